"""A small campaign store: SQLite by default, PostgreSQL when given a URL, the same API for both.

What is kept, per campaign:

- **documents** keyed by ``(kind, key)``, each a JSON value with a ``version``
  number: the territory chosen, the strategy, the teams, the plan, field
  settings. Saving is optimistic: :meth:`Store.put` says which version it
  started from and fails with :class:`ConflictError` when another organiser
  saved in between, instead of silently overwriting their work;
- an append-only **history** of every save (who, when, which version, value);
- the **field log**: per session, team and street segment, how many doors were
  knocked and opened and the outcome counts. Aggregated counts only: no name,
  no address, no individual voter is ever stored.

SQLite (one file, WAL mode) suits one organiser or a local/offline install:
it has one writer at a time, and the ``-wal``/``-shm`` files beside the
database belong to it. Several organisers on a shared server should use
PostgreSQL (``postgresql://user:password@host/db``, driver ``psycopg`` 3).

The schema is versioned: :data:`MIGRATIONS` is an ordered list of steps,
the ``schema_version`` table records the steps applied, and :func:`open_store`
applies the missing ones in one transaction.

One :class:`Store` holds one connection guarded by a lock, so it may be shared
by the threads of a Streamlit server (``st.cache_resource``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import sqlite3
import threading
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, is_dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from canvass.errors import CanvassError, InputDataError
from canvass.opendata._io import read_text_table, to_number

KINDS = ("territory", "strategy", "teams", "plan", "field")
"""Kinds of documents the app keeps; :meth:`Store.put` refuses any other (a typo would hide data)."""

OUTCOMES = ("soutien", "indecis", "opposant", "absent", "refus")
"""Outcome counts of the field log, in display order: supporter, undecided, opponent, nobody home, refused to talk."""

_OUTCOME_ALIASES = {
    "soutien": ("soutien", "soutiens", "support", "supporter", "supporters", "pour"),
    "indecis": ("indecis", "undecided", "hesitant", "hesitants"),
    "opposant": ("opposant", "opposants", "opponent", "opponents", "opposed", "contre"),
    "absent": ("absent", "absents", "not_home", "nobody_home", "absence", "absences"),
    "refus": ("refus", "refuse", "refused", "refusal", "refusals"),
}

_FIELD_CSV_COLUMNS = {
    "team": ("equipe", "team", "nom_equipe", "team_name"),
    "segment_id": ("segment_id", "segment", "id_segment", "troncon", "troncon_id"),
    "doors_knocked": ("portes_frappees", "doors_knocked", "frappees", "knocked"),
    "doors_opened": ("portes_ouvertes", "doors_opened", "ouvertes", "opened"),
}

FIELD_LOG_COLUMNS = ("event_id", "session", "team", "segment_id", "doors_knocked", "doors_opened", *OUTCOMES, "recorded_at", "author")
"""Columns of :meth:`Store.field_log`, one row per logged entry."""

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: campaigns, versioned documents, history of saves.
    (
        """CREATE TABLE campaigns (
            id {id},
            name TEXT NOT NULL UNIQUE,
            password_hash TEXT NOT NULL,
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL
        )""",
        """CREATE TABLE documents (
            campaign_id {bigint} NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            version INTEGER NOT NULL CHECK (version >= 1),
            updated_at TEXT NOT NULL,
            updated_by TEXT NOT NULL,
            PRIMARY KEY (campaign_id, kind, key)
        )""",
        """CREATE TABLE history (
            id {id},
            campaign_id {bigint} NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            key TEXT NOT NULL,
            version INTEGER NOT NULL,
            value TEXT NOT NULL,
            author TEXT NOT NULL,
            recorded_at TEXT NOT NULL
        )""",
        "CREATE INDEX history_by_campaign ON history (campaign_id, kind, id)",
    ),
    # 2: the field log (aggregated counts per session, team and segment).
    (
        """CREATE TABLE field_events (
            id {id},
            campaign_id {bigint} NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
            session TEXT NOT NULL,
            team TEXT NOT NULL,
            segment_id {bigint} NOT NULL,
            doors_knocked INTEGER NOT NULL CHECK (doors_knocked >= 0),
            doors_opened INTEGER NOT NULL CHECK (doors_opened >= 0 AND doors_opened <= doors_knocked),
            outcomes TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            author TEXT NOT NULL
        )""",
        "CREATE INDEX field_events_by_campaign ON field_events (campaign_id, session, segment_id)",
    ),
)
"""Schema steps, oldest first: step ``i`` (1-based) brings the database to version ``i``. Never edit a released step; append one."""

LATEST_VERSION = len(MIGRATIONS)

_TYPES = {
    "sqlite": {"id": "INTEGER PRIMARY KEY AUTOINCREMENT", "bigint": "INTEGER"},
    "postgresql": {"id": "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", "bigint": "BIGINT"},
}
_MIGRATION_LOCK = 0x63616E76  # "canv": advisory lock so two servers starting together do not both migrate

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


class ConflictError(CanvassError):
    """Someone else saved the document after it was loaded: saving now would erase their work.

    The app should reload the document (``current_version``), show who changed
    it (``updated_by``, ``updated_at``) and let the organiser apply their
    changes again.
    """

    def __init__(self, message: str, *, kind: str | None = None, key: str | None = None, expected_version: int | None = None,
                 current_version: int | None = None, updated_by: str | None = None, updated_at: datetime | None = None):
        self.kind = kind
        self.key = key
        self.expected_version = expected_version
        self.current_version = current_version
        self.updated_by = updated_by
        self.updated_at = updated_at
        super().__init__(message)


class UnknownCampaignError(CanvassError, LookupError):
    """No campaign has this id (deleted, or another database)."""


@dataclass(frozen=True)
class Campaign:
    """A campaign: its id (the key of everything else), its name, who created it and when."""

    id: int
    name: str
    created_at: datetime
    created_by: str


@dataclass(frozen=True)
class Document:
    """A saved value and its version; pass ``version`` as ``expected_version`` when saving it back."""

    value: Any
    version: int
    updated_at: datetime
    updated_by: str
    kind: str
    key: str


@dataclass(frozen=True)
class HistoryEntry:
    """One save, as it was recorded."""

    kind: str
    key: str
    version: int
    value: Any
    author: str
    recorded_at: datetime


def hash_password(password: str) -> str:
    """Return a salted scrypt hash of ``password``, as ``scrypt$n$r$p$salt$digest`` (hex)."""
    if not isinstance(password, str) or not password:
        raise ValueError("a campaign password cannot be empty")
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32)
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """Tell whether ``password`` matches a hash made by :func:`hash_password` (constant-time comparison)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        computed = hashlib.scrypt(str(password).encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=len(digest) // 2)
    except (ValueError, AttributeError):
        return False
    return hmac.compare_digest(computed.hex(), digest)


def open_store(url_or_path: str | Path, *, upgrade_to: int | None = None) -> Store:
    """Open (or create) a campaign store and bring its schema up to date.

    Parameters
    ----------
    url_or_path
        A PostgreSQL URL (``postgresql://user:password@host:5432/db``, e.g. the
        app's ``DATABASE_URL``), or the path of a SQLite file (created with its
        folder if missing; ``sqlite:///relative.db`` and ``sqlite:////abs.db``
        are accepted too).
    upgrade_to
        Schema version to stop at; only for testing the upgrade path. By
        default, every missing migration is applied.

    Raises
    ------
    CanvassError
        Unsupported URL scheme, PostgreSQL driver missing or server unreachable,
        or a database written by a newer canvass.
    """
    text = str(url_or_path)
    if text.startswith(("postgresql://", "postgres://")):
        return Store("postgresql", text, upgrade_to=upgrade_to)
    if text.startswith("sqlite:///"):
        text = text[len("sqlite:///"):]
    elif re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*://", text):
        raise CanvassError(f"unsupported database URL {_mask(text)!r}: give a postgresql:// URL or the path of a SQLite file")
    if text != ":memory:":
        Path(text).expanduser().parent.mkdir(parents=True, exist_ok=True)
        text = str(Path(text).expanduser())
    return Store("sqlite", text, upgrade_to=upgrade_to)


class _Cursor:
    """A DB-API cursor that takes ``?`` placeholders whatever the driver."""

    def __init__(self, cursor: Any, dialect: str):
        self._cursor = cursor
        self._postgres = dialect == "postgresql"

    def execute(self, sql: str, params: Iterable[Any] = ()) -> _Cursor:
        self._cursor.execute(sql.replace("?", "%s") if self._postgres else sql, tuple(params))
        return self

    def executemany(self, sql: str, rows: list[tuple]) -> None:
        if rows:
            self._cursor.executemany(sql.replace("?", "%s") if self._postgres else sql, rows)

    def fetchone(self) -> tuple | None:
        return self._cursor.fetchone()

    def fetchall(self) -> list[tuple]:
        return self._cursor.fetchall()

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    def insert(self, sql: str, params: Iterable[Any]) -> int | None:
        """Run an ``INSERT`` into a table with an ``id`` column; return the new id, or None when nothing was inserted.

        No ``RETURNING`` on SQLite: it needs SQLite 3.35, newer than some Debian 11 servers have.
        """
        if self._postgres:
            row = self.execute(sql + " RETURNING id", params).fetchone()
            return int(row[0]) if row else None
        self.execute(sql, params)
        return int(self._cursor.lastrowid) if self._cursor.rowcount == 1 else None


class Store:
    """Campaign store over one DB-API connection; make it with :func:`open_store`.

    Every write runs in one transaction: either all of it is saved, or none.
    """

    def __init__(self, dialect: str, target: str, *, upgrade_to: int | None = None):
        self.dialect = dialect
        self._target = target
        self._lock = threading.RLock()
        self._conn: Any = None
        self._connect()
        self._migrate(LATEST_VERSION if upgrade_to is None else upgrade_to)

    # -- connection and transactions --------------------------------------------------------

    def _connect(self) -> None:
        if self.dialect == "sqlite":
            conn = sqlite3.connect(self._target, timeout=30, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=30000")
        else:
            try:
                import psycopg
            except ImportError as error:
                raise CanvassError("PostgreSQL needs the psycopg driver: pip install 'psycopg[binary]'") from error
            try:
                conn = psycopg.connect(self._target, autocommit=True, connect_timeout=10)
            except psycopg.OperationalError as error:
                raise CanvassError(f"cannot connect to PostgreSQL at {_mask(self._target)}: {str(error).strip()}") from error
        self._conn = conn

    def _connection(self) -> Any:
        if self._conn is None:
            raise CanvassError("this campaign store is closed")
        if self.dialect == "postgresql" and (self._conn.closed or self._conn.broken):
            self._connect()  # the server restarted or dropped us: reconnect once
        return self._conn

    @contextmanager
    def _transaction(self) -> Iterator[_Cursor]:
        """Run the block in one write transaction (SQLite: ``BEGIN IMMEDIATE``, waiting up to 30 s for the writer lock)."""
        with self._lock:
            conn = self._connection()
            if self.dialect == "postgresql":
                with ExitStack() as stack:
                    try:
                        stack.enter_context(conn.transaction())  # sends BEGIN
                    except Exception as error:
                        if not self._dropped(error):
                            raise
                        stack.close()
                        conn = self._connection()  # dropped before anything was written: reconnect, begin again
                        stack.enter_context(conn.transaction())
                    yield _Cursor(stack.enter_context(conn.cursor()), self.dialect)
                return
            cursor = conn.cursor()
            cursor.execute("BEGIN IMMEDIATE")
            try:
                yield _Cursor(cursor, self.dialect)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[tuple]:
        """Run one read; on PostgreSQL, a connection dropped since the last call (server restart) is reopened and the read run again."""
        for attempt in (1, 2):
            try:
                with self._reading() as cursor:
                    return cursor.execute(sql, params).fetchall()
            except Exception as error:
                if attempt == 2 or not self._dropped(error):
                    raise
        raise AssertionError("unreachable")

    def _query_one(self, sql: str, params: Iterable[Any] = ()) -> tuple | None:
        rows = self._query(sql, params)
        return rows[0] if rows else None

    def _dropped(self, error: BaseException) -> bool:
        """Whether ``error`` means the PostgreSQL connection is gone (then :meth:`_connection` reconnects)."""
        if self.dialect != "postgresql" or self._conn is None:
            return False
        import psycopg

        return isinstance(error, psycopg.OperationalError) and bool(self._conn.broken or self._conn.closed)

    @contextmanager
    def _reading(self) -> Iterator[_Cursor]:
        with self._lock:
            conn = self._connection()
            cursor = conn.cursor()
            try:
                yield _Cursor(cursor, self.dialect)
            finally:
                cursor.close()

    def close(self) -> None:
        """Close the connection (the data stays in the database)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.dialect}, {_mask(self._target)!r})"

    # -- schema ------------------------------------------------------------------------------

    def _migrate(self, target: int) -> None:
        if not 0 <= target <= LATEST_VERSION:
            raise ValueError(f"schema version {target} does not exist (0 to {LATEST_VERSION})")
        with self._transaction() as cursor:
            if self.dialect == "postgresql":
                cursor.execute("SELECT pg_advisory_xact_lock(?)", (_MIGRATION_LOCK,))
            cursor.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
            current = cursor.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()[0]
            if current > LATEST_VERSION:
                raise CanvassError(
                    f"the campaign database {_mask(self._target)} has schema version {current}, newer than this canvass "
                    f"knows ({LATEST_VERSION}): upgrade canvass before opening it"
                )
            for version in range(current + 1, target + 1):
                for statement in MIGRATIONS[version - 1]:
                    cursor.execute(statement.format(**_TYPES[self.dialect]))
                cursor.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)", (version, _now()))

    @property
    def schema_version(self) -> int:
        """Schema version of the database (:data:`LATEST_VERSION` once opened normally)."""
        return self._query("SELECT COALESCE(MAX(version), 0) FROM schema_version")[0][0]

    # -- campaigns ---------------------------------------------------------------------------

    def create_campaign(self, name: str, password: str, *, author: str) -> Campaign:
        """Create a campaign protected by ``password`` (stored as a salted scrypt hash only).

        Raises
        ------
        ConflictError
            If a campaign of that name already exists.
        """
        name = _required_text(name, "campaign name")
        author = _required_text(author, "author")
        password_hash = hash_password(password)
        now = _now()
        with self._transaction() as cursor:
            campaign_id = cursor.insert(
                "INSERT INTO campaigns (name, password_hash, created_at, created_by) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING",
                (name, password_hash, now, author),
            )
            if campaign_id is None:
                raise ConflictError(f"a campaign named {name!r} already exists: open it with its password, or choose another name")
        return Campaign(int(campaign_id), name, _time(now), author)

    def campaigns(self) -> list[Campaign]:
        """Every campaign, by name."""
        rows = self._query("SELECT id, name, created_at, created_by FROM campaigns ORDER BY name")
        return [Campaign(int(row[0]), row[1], _time(row[2]), row[3]) for row in rows]

    def find_campaign(self, name: str) -> Campaign | None:
        """The campaign called ``name``, or None."""
        row = self._query_one("SELECT id, name, created_at, created_by FROM campaigns WHERE name = ?", (str(name).strip(),))
        return Campaign(int(row[0]), row[1], _time(row[2]), row[3]) if row else None

    def check_password(self, campaign: Campaign | int, password: str) -> bool:
        """Tell whether ``password`` opens ``campaign`` (constant-time comparison of scrypt hashes).

        Raises
        ------
        UnknownCampaignError
            If the campaign does not exist.
        """
        row = self._query_one("SELECT password_hash FROM campaigns WHERE id = ?", (_campaign_id(campaign),))
        if row is None:
            raise UnknownCampaignError(f"no campaign with id {_campaign_id(campaign)} in {_mask(self._target)}")
        return verify_password(password, row[0])

    def set_password(self, campaign: Campaign | int, password: str, *, author: str) -> None:
        """Replace the campaign's password (the app checks the old one first)."""
        password_hash = hash_password(password)
        with self._transaction() as cursor:
            cursor.execute("UPDATE campaigns SET password_hash = ? WHERE id = ?", (password_hash, _campaign_id(campaign)))
            if cursor.rowcount == 0:
                raise UnknownCampaignError(f"no campaign with id {_campaign_id(campaign)}")

    # -- documents ---------------------------------------------------------------------------

    def get(self, campaign: Campaign | int, kind: str, key: str = "main") -> Document | None:
        """The document ``(kind, key)`` of the campaign, or None if it was never saved."""
        row = self._query_one(
            "SELECT value, version, updated_at, updated_by FROM documents WHERE campaign_id = ? AND kind = ? AND key = ?",
            (_campaign_id(campaign), _kind(kind), str(key)),
        )
        if row is None:
            return None
        return Document(json.loads(row[0]), int(row[1]), _time(row[2]), row[3], kind, str(key))

    def put(self, campaign: Campaign | int, kind: str, key: str, value: Any, *, expected_version: int | None, author: str) -> int:
        """Save a document if nobody saved it since version ``expected_version``; return its new version.

        Parameters
        ----------
        campaign
            The campaign (or its id).
        kind
            One of :data:`KINDS`.
        key
            Which document of that kind (``"main"`` when there is only one).
        value
            Anything JSON can hold (dicts, lists, numbers, text; numpy numbers,
            tuples, paths and dataclasses are converted). NaN is refused.
        expected_version
            The version loaded before editing; None to create the document.
        author
            Who saves (shown to the others in conflicts and in the history).

        Raises
        ------
        ConflictError
            The document was saved by someone else since ``expected_version``
            (or already exists when ``expected_version`` is None). Nothing was saved.
        UnknownCampaignError
            If the campaign does not exist.
        """
        campaign_id, kind, key = _campaign_id(campaign), _kind(kind), str(key)
        author = _required_text(author, "author")
        text = _dumps(value)
        with self._transaction() as cursor:
            return self._put(cursor, campaign_id, kind, key, text, expected_version, author)

    def _put(self, cursor: _Cursor, campaign_id: int, kind: str, key: str, text: str, expected_version: int | None, author: str) -> int:
        now = _now()
        if cursor.execute("SELECT 1 FROM campaigns WHERE id = ?", (campaign_id,)).fetchone() is None:
            raise UnknownCampaignError(f"no campaign with id {campaign_id} in {_mask(self._target)}")
        if expected_version is None:
            cursor.execute(
                "INSERT INTO documents (campaign_id, kind, key, value, version, updated_at, updated_by) VALUES (?, ?, ?, ?, 1, ?, ?) "
                "ON CONFLICT (campaign_id, kind, key) DO NOTHING",
                (campaign_id, kind, key, text, now, author),
            )
            new_version = 1
        else:
            cursor.execute(
                "UPDATE documents SET value = ?, version = version + 1, updated_at = ?, updated_by = ? "
                "WHERE campaign_id = ? AND kind = ? AND key = ? AND version = ?",
                (text, now, author, campaign_id, kind, key, int(expected_version)),
            )
            new_version = int(expected_version) + 1
        if cursor.rowcount != 1:
            row = cursor.execute(
                "SELECT version, updated_at, updated_by FROM documents WHERE campaign_id = ? AND kind = ? AND key = ?", (campaign_id, kind, key)
            ).fetchone()
            raise _conflict(kind, key, expected_version, row)
        cursor.execute(
            "INSERT INTO history (campaign_id, kind, key, version, value, author, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (campaign_id, kind, key, new_version, text, author, now),
        )
        return new_version

    def history(self, campaign: Campaign | int, kind: str | None = None, limit: int = 50) -> list[HistoryEntry]:
        """The last ``limit`` saves of the campaign (of one ``kind`` if given), newest first."""
        sql = "SELECT kind, key, version, value, author, recorded_at FROM history WHERE campaign_id = ?"
        params: list[Any] = [_campaign_id(campaign)]
        if kind is not None:
            sql += " AND kind = ?"
            params.append(_kind(kind))
        sql += " ORDER BY id DESC LIMIT ?"
        params.append(int(limit))
        rows = self._query(sql, params)
        return [HistoryEntry(row[0], row[1], int(row[2]), json.loads(row[3]), row[4], _time(row[5])) for row in rows]

    # -- field log ---------------------------------------------------------------------------

    def log_field(self, campaign: Campaign | int, *, session: str, team: str, segment_id: int, doors_knocked: int, doors_opened: int,
                  outcomes: Mapping[str, int] | None = None, author: str) -> int:
        """Record what a team did on one street segment during a session; return the entry's id.

        ``outcomes`` are counts keyed by :data:`OUTCOMES` (French or English
        names accepted, e.g. ``{"soutien": 3, "indécis": 2, "absent": 10}``).

        Raises
        ------
        InputDataError
            Negative or non-whole counts, more doors opened than knocked, an unknown outcome.
        """
        problems: list[str] = []
        row = _field_row(problems, session=session, team=team, segment_id=segment_id, knocked=doors_knocked, opened=doors_opened,
                         outcomes=_outcome_counts(problems, outcomes or {}))
        if problems:
            raise InputDataError("this field entry cannot be saved: " + "; ".join(problems),
                                 hint="counts are whole numbers ≥ 0 and no more doors are opened than knocked")
        author = _required_text(author, "author")
        with self._transaction() as cursor:
            self._check_campaign(cursor, campaign)
            return cursor.insert(
                "INSERT INTO field_events (campaign_id, session, team, segment_id, doors_knocked, doors_opened, outcomes, recorded_at, author) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (_campaign_id(campaign), *row, _now(), author),
            )

    def import_field_csv(self, campaign: Campaign | int, path: str | Path, *, session: str, author: str,
                         teams: Iterable[str] | None = None, segments: Iterable[int] | None = None, replace: bool = False) -> int:
        """Import a field sheet (CSV) for ``session``, all lines or none; return the number of lines imported.

        Columns (French or English, accents and case ignored): ``equipe``/``team``,
        ``segment_id``, ``portes_frappees``/``doors_knocked``,
        ``portes_ouvertes``/``doors_opened``, and optional outcome columns
        ``soutien``, ``indecis``, ``opposant``, ``absent``, ``refus`` (blank = 0).
        Any other column is refused: the log keeps counts only, never names or comments.

        Parameters
        ----------
        teams
            Team names the session had; when given, other names are refused (typos).
        segments
            Segment ids of the territory; when given, other ids are refused.
        replace
            Replace the entries already logged for ``session``; otherwise a session
            that has entries is refused, so that a sheet is never counted twice.

        Raises
        ------
        InputDataError
            Missing or unknown columns, or bad lines (each named with its line
            number and column). Nothing is imported then.
        """
        path = Path(path)
        session = _required_text(session, "session")
        author = _required_text(author, "author")
        raw = read_text_table(path)
        columns: dict[str, str] = {}
        unknown, duplicated = [], []
        for column in raw.columns:
            name = _normalise(column)
            role = next((role for role, names in _FIELD_CSV_COLUMNS.items() if name in names), None)
            role = role or next((outcome for outcome, names in _OUTCOME_ALIASES.items() if name in names), None)
            if role is None:
                unknown.append(column)
            elif role in columns:
                duplicated.append(column)
            else:
                columns[role] = column
        missing = [_FIELD_CSV_COLUMNS[role][0] for role in _FIELD_CSV_COLUMNS if role not in columns]
        if missing or unknown or duplicated:
            what = "; ".join(filter(None, [
                f"missing columns: {', '.join(missing)}" if missing else "",
                f"unknown columns: {', '.join(unknown)}" if unknown else "",
                f"columns given twice: {', '.join(duplicated)}" if duplicated else "",
            ]))
            raise InputDataError(
                what + "; nothing was imported",
                source=path,
                where=f"header: {', '.join(raw.columns)}",
                hint="the field sheet has the columns equipe, segment_id, portes_frappees, portes_ouvertes and optionally "
                     f"{', '.join(OUTCOMES)}; remove other columns (no names or comments: counts only)",
            )
        known_teams = {str(team).strip() for team in teams} if teams is not None else None
        known_segments = {int(segment) for segment in segments} if segments is not None else None
        rows, problems = [], []
        for index, record in enumerate(raw.to_dict("records")):
            line_problems: list[str] = []
            cell = lambda role: record.get(columns[role]) if role in columns else None  # noqa: E731
            counts = {outcome: _count(line_problems, cell(outcome), columns[outcome], blank=0) for outcome in OUTCOMES if outcome in columns}
            row = _field_row(
                line_problems, session=session, team=cell("team"), segment_id=cell("segment_id"),
                knocked=cell("doors_knocked"), opened=cell("doors_opened"), outcomes=counts, names=columns,
            )
            if not line_problems:
                if known_teams is not None and row[1] not in known_teams:
                    line_problems.append(f"column {columns['team']}: team {row[1]!r} is not one of the session's teams ({', '.join(sorted(known_teams))})")
                if known_segments is not None and row[2] not in known_segments:
                    line_problems.append(f"column {columns['segment_id']}: segment {row[2]} is not in the territory")
            if line_problems:
                problems.append(f"line {index + 2}: " + ", ".join(line_problems))
            else:
                rows.append(row)
        if problems:
            shown = "; ".join(problems[:5]) + (f" … ({len(problems)} bad lines in all)" if len(problems) > 5 else "")
            raise InputDataError(
                f"{len(problems)} line(s) cannot be imported; nothing was imported",
                source=path,
                where=shown,
                hint="fix these lines (whole counts ≥ 0, doors opened ≤ doors knocked) and import the file again",
            )
        now = _now()
        with self._transaction() as cursor:
            self._check_campaign(cursor, campaign)
            campaign_id = _campaign_id(campaign)
            existing = cursor.execute("SELECT COUNT(*) FROM field_events WHERE campaign_id = ? AND session = ?", (campaign_id, session)).fetchone()[0]
            if existing and not replace:
                raise InputDataError(
                    f"session {session!r} already has {existing} field entries; nothing was imported",
                    source=path,
                    hint="give another session name, or replace that session's entries (replace=True) if this sheet corrects them",
                )
            cursor.execute("DELETE FROM field_events WHERE campaign_id = ? AND session = ?", (campaign_id, session))
            cursor.executemany(
                "INSERT INTO field_events (campaign_id, session, team, segment_id, doors_knocked, doors_opened, outcomes, recorded_at, author) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(campaign_id, *row, now, author) for row in rows],
            )
        return len(rows)

    def field_log(self, campaign: Campaign | int, *, session: str | None = None) -> pd.DataFrame:
        """The field log, one row per entry (:data:`FIELD_LOG_COLUMNS`), outcomes as integer columns (0 when not given)."""
        sql = ("SELECT id, session, team, segment_id, doors_knocked, doors_opened, outcomes, recorded_at, author "
               "FROM field_events WHERE campaign_id = ?")
        params: list[Any] = [_campaign_id(campaign)]
        if session is not None:
            sql += " AND session = ?"
            params.append(str(session))
        rows = self._query(sql + " ORDER BY id", params)
        records = []
        for row in rows:
            outcomes = json.loads(row[6])
            records.append({"event_id": row[0], "session": row[1], "team": row[2], "segment_id": row[3], "doors_knocked": row[4],
                            "doors_opened": row[5], **{outcome: int(outcomes.get(outcome, 0)) for outcome in OUTCOMES},
                            "recorded_at": row[7], "author": row[8]})
        frame = pd.DataFrame.from_records(records, columns=list(FIELD_LOG_COLUMNS))
        for column in ("event_id", "segment_id", "doors_knocked", "doors_opened", *OUTCOMES):
            frame[column] = frame[column].astype("int64")
        for column in ("session", "team", "author"):
            frame[column] = frame[column].astype("string")
        frame["recorded_at"] = pd.to_datetime(frame["recorded_at"], utc=True, format="ISO8601")
        return frame

    def done_segments(self, campaign: Campaign | int, *, session: str | None = None) -> set[int]:
        """Segments with at least one field entry (in ``session`` if given): leave them out of the next plan."""
        sql = "SELECT DISTINCT segment_id FROM field_events WHERE campaign_id = ?"
        params: list[Any] = [_campaign_id(campaign)]
        if session is not None:
            sql += " AND session = ?"
            params.append(str(session))
        return {int(row[0]) for row in self._query(sql, params)}

    def _check_campaign(self, cursor: _Cursor, campaign: Campaign | int) -> None:
        if cursor.execute("SELECT 1 FROM campaigns WHERE id = ?", (_campaign_id(campaign),)).fetchone() is None:
            raise UnknownCampaignError(f"no campaign with id {_campaign_id(campaign)} in {_mask(self._target)}")


# -- helpers ------------------------------------------------------------------------------------


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _mask(url: str) -> str:
    """The URL without its password."""
    return re.sub(r"(://[^:/@]+):[^@/]*@", r"\1:***@", url)


def _campaign_id(campaign: Campaign | int) -> int:
    return int(campaign.id if isinstance(campaign, Campaign) else campaign)


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"unknown document kind {kind!r}: one of {', '.join(KINDS)}")
    return kind


def _required_text(value: object, what: str) -> str:
    text = "" if value is None else str(value).strip()
    if not text:
        raise ValueError(f"the {what} cannot be empty")
    return text


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    raise TypeError(f"cannot save a {type(value).__name__} in the campaign store: convert it to dicts, lists, numbers and text")


def _dumps(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True, allow_nan=False, default=_json_default)
    except ValueError as error:
        raise ValueError(f"cannot save this value: {error} (replace NaN/infinity by None)") from error


def _conflict(kind: str, key: str, expected: int | None, row: tuple | None) -> ConflictError:
    if row is None:
        return ConflictError(
            f"{kind} {key!r} no longer exists (you loaded version {expected}); nothing was saved: reload the campaign",
            kind=kind, key=key, expected_version=expected,
        )
    version, updated_at, updated_by = int(row[0]), _time(row[1]), row[2]
    when = f"{updated_at:%Y-%m-%d %H:%M:%S} UTC"
    if expected is None:
        message = (f"{kind} {key!r} was already saved by {updated_by} at {when} (version {version}); nothing was saved: "
                   "load it, apply your changes and save again")
    else:
        message = (f"{kind} {key!r} was changed by {updated_by} at {when} (version {version}) after you loaded version {expected}; "
                   "your changes were not saved: reload it, apply them again and save")
    return ConflictError(message, kind=kind, key=key, expected_version=expected, current_version=version, updated_by=updated_by, updated_at=updated_at)


def _normalise(name: object) -> str:
    text = "".join(c for c in unicodedata.normalize("NFKD", str(name)) if not unicodedata.combining(c)).lower().strip()
    return re.sub(r"[\s\-'’.]+", "_", text)


def _count(problems: list[str], value: object, column: str, *, blank: int | None = None) -> int:
    """A whole count ≥ 0 from a cell (text or number); a problem is appended when it is not one."""
    if value is None or (not isinstance(value, str) and pd.isna(value)) or (isinstance(value, str) and not value.strip()):
        if blank is None:
            problems.append(f"column {column}: empty")
            return 0
        return blank
    if isinstance(value, bool):
        number = float("nan")
    elif isinstance(value, str):
        number = float(to_number(pd.Series([value], dtype="string")).iloc[0])
    else:
        number = float(value)
    if not np.isfinite(number) or not number.is_integer():
        problems.append(f"column {column}: {value!r} is not a whole number")
        return 0
    if number < 0:
        problems.append(f"column {column}: {value!r} is negative")
        return 0
    return int(number)


def _outcome_counts(problems: list[str], outcomes: Mapping[str, Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for name, value in outcomes.items():
        outcome = next((key for key, names in _OUTCOME_ALIASES.items() if _normalise(name) in names), None)
        if outcome is None:
            problems.append(f"unknown outcome {name!r} (one of {', '.join(OUTCOMES)})")
        elif outcome in counts:
            problems.append(f"outcome {outcome!r} given twice")
        else:
            counts[outcome] = _count(problems, value, outcome)
    return counts


def _field_row(problems: list[str], *, session: object, team: object, segment_id: object, knocked: object, opened: object,
               outcomes: dict[str, int], names: Mapping[str, str] | None = None) -> tuple:
    """Check one field entry; return ``(session, team, segment_id, knocked, opened, outcomes JSON)``."""
    names = names or {}
    team_text = "" if team is None or (not isinstance(team, str) and pd.isna(team)) else str(team).strip()
    if not team_text:
        problems.append(f"column {names.get('team', 'team')}: no team")
    segment = _count(problems, segment_id, names.get("segment_id", "segment_id"))
    doors_knocked = _count(problems, knocked, names.get("doors_knocked", "doors_knocked"))
    doors_opened = _count(problems, opened, names.get("doors_opened", "doors_opened"))
    if doors_opened > doors_knocked:
        problems.append(f"column {names.get('doors_opened', 'doors_opened')}: {doors_opened} doors opened but only {doors_knocked} knocked")
    return (str(session), team_text, segment, doors_knocked, doors_opened, json.dumps(outcomes, sort_keys=True))
