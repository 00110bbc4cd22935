"""Campaign state that outlives the app: settings, teams, plans, history and the field log, in SQLite or PostgreSQL."""
