"""Stage 5: plan -> maps and walk sheets (the only stage that uses WGS84)."""
