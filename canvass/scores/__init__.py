"""Stage 3: territory -> priority scores per bureau, then per street segment."""
