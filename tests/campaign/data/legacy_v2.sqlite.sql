-- A campaign database written by canvass.campaign.store before SQLAlchemy/Alembic (commit a508e93), schema version 2:
-- open_store(..., upgrade_to=2), campaign 'Ancienne campagne' (password 'ancien mot de passe', scrypt hash), strategy saved twice,
-- teams once, two field entries (segments 12 and 40). Dumped with sqlite3 iterdump / pg_dump --inserts (psql meta-commands removed).
BEGIN TRANSACTION;
CREATE TABLE campaigns (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL UNIQUE,
            password_hash TEXT NOT NULL,
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL
        );
INSERT INTO "campaigns" VALUES(1,'Ancienne campagne','scrypt$16384$8$1$e930c87253c9bd8b7773f505febd6433$605aae7b93da02cacdabbd8dcff4bb573982f145bbda2b83da638e8d3abab0e6','2026-11-30T14:03:54.007432+00:00','alice');
CREATE TABLE documents (
            campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            version INTEGER NOT NULL CHECK (version >= 1),
            updated_at TEXT NOT NULL,
            updated_by TEXT NOT NULL,
            PRIMARY KEY (campaign_id, kind, key)
        );
INSERT INTO "documents" VALUES(1,'strategy','main','{"camp": ["gauche"], "w": 0.7}',2,'2026-11-30T14:03:54.030373+00:00','bob');
INSERT INTO "documents" VALUES(1,'teams','main','[{"name": "Centre", "size": 4}]',1,'2026-11-30T14:03:54.042229+00:00','alice');
CREATE TABLE field_events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
            session TEXT NOT NULL,
            team TEXT NOT NULL,
            segment_id INTEGER NOT NULL,
            doors_knocked INTEGER NOT NULL CHECK (doors_knocked >= 0),
            doors_opened INTEGER NOT NULL CHECK (doors_opened >= 0 AND doors_opened <= doors_knocked),
            outcomes TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            author TEXT NOT NULL
        );
INSERT INTO "field_events" VALUES(1,1,'samedi 1','Centre',12,20,8,'{"indecis": 2, "soutien": 3}','2026-11-30T14:03:54.050625+00:00','alice');
INSERT INTO "field_events" VALUES(2,1,'samedi 1','Gare',40,30,10,'{}','2026-11-30T14:03:54.054271+00:00','bob');
CREATE TABLE history (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            key TEXT NOT NULL,
            version INTEGER NOT NULL,
            value TEXT NOT NULL,
            author TEXT NOT NULL,
            recorded_at TEXT NOT NULL
        );
INSERT INTO "history" VALUES(1,1,'strategy','main',1,'{"camp": ["gauche"], "w": 0.5}','alice','2026-11-30T14:03:54.020962+00:00');
INSERT INTO "history" VALUES(2,1,'strategy','main',2,'{"camp": ["gauche"], "w": 0.7}','bob','2026-11-30T14:03:54.030373+00:00');
INSERT INTO "history" VALUES(3,1,'teams','main',1,'[{"name": "Centre", "size": 4}]','alice','2026-11-30T14:03:54.042229+00:00');
CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL);
INSERT INTO "schema_version" VALUES(1,'2026-11-30T14:03:53.815397+00:00');
INSERT INTO "schema_version" VALUES(2,'2026-11-30T14:03:53.815556+00:00');
CREATE INDEX history_by_campaign ON history (campaign_id, kind, id);
CREATE INDEX field_events_by_campaign ON field_events (campaign_id, session, segment_id);
DELETE FROM "sqlite_sequence";
INSERT INTO "sqlite_sequence" VALUES('campaigns',1);
INSERT INTO "sqlite_sequence" VALUES('history',3);
INSERT INTO "sqlite_sequence" VALUES('field_events',2);
COMMIT;
