"""What was done in the field: progress per team and per bureau, and the streets left for the next session."""
