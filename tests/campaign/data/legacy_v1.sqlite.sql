-- A campaign database written by canvass.campaign.store before SQLAlchemy/Alembic (commit a508e93), schema version 1:
-- open_store(..., upgrade_to=1), campaign 'Ancienne campagne' (password 'ancien mot de passe', scrypt hash), strategy saved twice,
-- teams once. Dumped with sqlite3 iterdump / pg_dump --inserts (psql meta-commands removed).
BEGIN TRANSACTION;
CREATE TABLE campaigns (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL UNIQUE,
            password_hash TEXT NOT NULL,
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL
        );
INSERT INTO "campaigns" VALUES(1,'Ancienne campagne','scrypt$16384$8$1$b86a0aa3f0a54b3e3a91ad1b0467eb35$889a48def4cbc1c6a598cced72886f35b6f81654137aa3353b56d642d2298944','2026-11-30T14:03:53.713639+00:00','alice');
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
INSERT INTO "documents" VALUES(1,'strategy','main','{"camp": ["gauche"], "w": 0.7}',2,'2026-11-30T14:03:53.734208+00:00','bob');
INSERT INTO "documents" VALUES(1,'teams','main','[{"name": "Centre", "size": 4}]',1,'2026-11-30T14:03:53.746275+00:00','alice');
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
INSERT INTO "history" VALUES(1,1,'strategy','main',1,'{"camp": ["gauche"], "w": 0.5}','alice','2026-11-30T14:03:53.726393+00:00');
INSERT INTO "history" VALUES(2,1,'strategy','main',2,'{"camp": ["gauche"], "w": 0.7}','bob','2026-11-30T14:03:53.734208+00:00');
INSERT INTO "history" VALUES(3,1,'teams','main',1,'[{"name": "Centre", "size": 4}]','alice','2026-11-30T14:03:53.746275+00:00');
CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL);
INSERT INTO "schema_version" VALUES(1,'2026-11-30T14:03:53.527399+00:00');
CREATE INDEX history_by_campaign ON history (campaign_id, kind, id);
DELETE FROM "sqlite_sequence";
INSERT INTO "sqlite_sequence" VALUES('campaigns',1);
INSERT INTO "sqlite_sequence" VALUES('history',3);
COMMIT;
