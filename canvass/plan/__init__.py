"""Stage 4: scored street segments + volunteer teams -> street plan (arc routing on OR-Tools)."""
