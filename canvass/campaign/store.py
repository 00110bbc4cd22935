"""A small campaign store: SQLite by default, PostgreSQL when given a URL, the same API for both.

What is kept, per campaign:

- **documents** keyed by ``(kind, key)``, each a JSON value with a ``version``
  number: the territory chosen, the strategy, the teams, the plan, field
  settings. Saving is optimistic: :meth:`Store.put` says which version it
  started from and fails with :class:`ConflictError` when another organiser
  saved in between, instead of silently overwriting their work;
  :meth:`Store.update` re-applies a change on the newest version instead;
- a **history** of saves (who, when, which version, value), the last
  ``history_keep`` versions of each document;
- the **field log**: per session, team and street segment, how many doors were
  knocked and opened and the outcome counts. Aggregated counts only: no name,
  no address, no individual voter is ever stored;
- wrong-password counts per campaign and (pseudonymised) client, for throttling.

SQLite (one file, WAL mode, ``synchronous=FULL``) suits one organiser or a
local/offline install: it has one writer at a time, and the ``-wal``/``-shm``
files beside the database belong to it. Several organisers on a shared server
should use PostgreSQL (``postgresql://user:password@host/db``, driver ``psycopg`` 3).

Database access goes through SQLAlchemy Core (a connection pool that checks a
connection before lending it, so a PostgreSQL restart costs nothing); the
schema is versioned by Alembic (``canvass/campaign/migrations``). Databases made
by canvass ≤ 0.1 (a ``schema_version`` table, no ``alembic_version``) are
recognised and upgraded in place.

A full disk, a read-only folder or a refused write raises
:class:`canvass.errors.StorageError`; the transaction is rolled back, so what was
saved before stays intact. A :class:`Store` may be shared by the threads of a
Streamlit server (``st.cache_resource``): each call borrows its own connection.
"""

from __future__ import annotations

import copy
import json
import os
import random
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, is_dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.dialects import postgresql, sqlite

from canvass._atomic import storage_error, storage_failure
from canvass.campaign import schema as t
from canvass.campaign.auth import EVERYONE, ThrottlePolicy, client_key, hash_password, needs_rehash, verify_password
from canvass.campaign.field_csv import OUTCOMES, FieldEntry, field_entry, read_field_csv
from canvass.errors import CanvassError, InputDataError, StorageError, TooManyAttemptsError

__all__ = [
    "FIELD_LOG_COLUMNS", "KINDS", "LATEST_VERSION", "OUTCOMES", "Campaign", "ConflictError", "Document", "HistoryEntry", "HistorySize",
    "Store", "UnknownCampaignError", "hash_password", "open_store", "verify_password",
]

KINDS = ("territory", "strategy", "teams", "plan", "field")
"""Kinds of documents the app keeps; :meth:`Store.put` refuses any other (a typo would hide data)."""

FIELD_LOG_COLUMNS = ("event_id", "session", "team", "segment_id", "doors_knocked", "doors_opened", *OUTCOMES, "recorded_at", "author")
"""Columns of :meth:`Store.field_log`, one row per logged entry."""

HISTORY_KEEP = 20
"""Versions of each document the history keeps by default (older ones are deleted as new ones are saved)."""

_MIGRATIONS = Path(__file__).with_name("migrations")
_SCRIPTS = ScriptDirectory(str(_MIGRATIONS))
LATEST_VERSION = int(_SCRIPTS.get_current_head())
"""Schema version of a database this canvass opened (Alembic revisions are numbered ``0001``, ``0002``…)."""

_MIGRATION_LOCK = 0x63616E76  # "canv": advisory lock so two servers starting together do not both migrate


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


@dataclass(frozen=True)
class HistorySize:
    """How much the history holds: saves kept, and the bytes of their values."""

    entries: int
    bytes: int


def open_store(url_or_path: str | Path, *, upgrade_to: int | None = None, history_keep: int | None = HISTORY_KEEP,
               throttle: ThrottlePolicy | None = None) -> Store:
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
    history_keep
        Versions of each document the history keeps (None: all of them).
    throttle
        Delays and lockouts after wrong passwords (:meth:`Store.login`); default :class:`ThrottlePolicy()`.

    Raises
    ------
    StorageError
        The SQLite folder cannot be created or written (disk full, read-only).
    CanvassError
        Unsupported URL scheme, PostgreSQL driver missing or server unreachable,
        or a database written by a newer canvass.
    """
    text = str(url_or_path)
    if text.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        try:
            import psycopg  # noqa: F401 - checked here for a clear message
        except ImportError as error:
            raise CanvassError("PostgreSQL needs the psycopg driver: pip install 'psycopg[binary]'") from error
        url = sa.engine.make_url(text).set(drivername="postgresql+psycopg")
        engine = sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10, connect_args={"connect_timeout": 10})
        store = Store(engine, target=_mask(text), history_keep=history_keep, throttle=throttle or ThrottlePolicy())
    else:
        if text.startswith("sqlite:///"):
            text = text[len("sqlite:///"):]
        elif re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*://", text):
            raise CanvassError(f"unsupported database URL {_mask(text)!r}: give a postgresql:// URL or the path of a SQLite file")
        if text in ("", ":memory:"):
            raise CanvassError("the campaign store needs a file: give the path of a SQLite file (or a postgresql:// URL)")
        path = Path(text).expanduser()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise storage_error(error, path) or error from error
        store = Store(_sqlite_engine(path), target=str(path), history_keep=history_keep, throttle=throttle or ThrottlePolicy())
    try:
        store._migrate(LATEST_VERSION if upgrade_to is None else upgrade_to)
    except BaseException:
        store.close()
        raise
    return store


def _sqlite_engine(path: Path) -> sa.Engine:
    """A SQLite engine whose write transactions take the write lock at once (``BEGIN IMMEDIATE``, waiting up to 30 s)."""
    engine = sa.create_engine(sa.engine.URL.create("sqlite", database=str(path)), connect_args={"timeout": 30, "check_same_thread": False})

    @sa.event.listens_for(engine, "connect")
    def _on_connect(connection: Any, _record: Any) -> None:
        connection.isolation_level = None  # transactions are begun below, not by the driver
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", "busy_timeout=30000", "secure_delete=ON"):
            connection.execute(f"PRAGMA {pragma}")

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        # a deferred transaction that reads then writes fails at once when another writer holds the lock: writers wait at BEGIN instead
        connection.exec_driver_sql("BEGIN IMMEDIATE" if connection.get_execution_options().get("canvass_write") else "BEGIN")

    return engine


class Store:
    """Campaign store over a SQLAlchemy engine; make it with :func:`open_store`.

    Every write runs in one transaction: either all of it is saved, or none.
    """

    def __init__(self, engine: sa.Engine, *, target: str, history_keep: int | None, throttle: ThrottlePolicy):
        if history_keep is not None and history_keep < 1:
            raise ValueError(f"history_keep must be at least 1 (or None to keep every version), not {history_keep}")
        self.dialect = engine.dialect.name
        self.history_keep = history_keep
        self.throttle = throttle
        self._engine = engine
        self._writer = engine.execution_options(canvass_write=True)
        self._target = target
        self._closed = False
        self._insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert  # INSERT … ON CONFLICT, same spelling on both

    # -- connections and transactions --------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[sa.Connection]:
        """One write transaction, committed at the end of the block (SQLite: the writer lock is taken at BEGIN)."""
        with self._storage_errors(), self._open(self._writer).begin() as connection:
            yield connection

    @contextmanager
    def _read(self) -> Iterator[sa.Connection]:
        """One read-only transaction, rolled back at the end of the block."""
        with self._storage_errors(), self._open(self._engine).connect() as connection:
            yield connection

    def _open(self, engine: sa.Engine) -> sa.Engine:
        if self._closed:
            raise CanvassError("this campaign store is closed")
        return engine

    @contextmanager
    def _storage_errors(self) -> Iterator[None]:
        """Turn disk and server failures into :class:`StorageError` / :class:`CanvassError`; other errors pass through."""
        try:
            yield
        except sa.exc.DBAPIError as error:
            translated = self._translate(error)
            if translated is None:
                raise
            raise translated from error

    def _translate(self, error: sa.exc.DBAPIError) -> CanvassError | None:
        original = error.orig
        if self.dialect == "sqlite":
            name = getattr(original, "sqlite_errorname", "") or ""
            path = Path(self._target)
            if name == "SQLITE_FULL":
                return storage_failure("full", path)
            if name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_IOERR", "SQLITE_PERM")):
                return storage_failure(_folder_state(path.parent), path, detail=str(original))
            return None
        state = getattr(original, "sqlstate", None)
        if state == "53100":  # disk_full
            return StorageError(f"PostgreSQL at {self._target} has no disk space left: nothing of this save was written; ask its administrator",
                                french="Enregistrement impossible : le serveur PostgreSQL n’a plus de place sur son disque. Rien de cet "
                                       "enregistrement n’a été écrit ; prévenez son administrateur.",
                                reason="full")
        if state == "25006":  # read_only_sql_transaction
            return StorageError(f"PostgreSQL at {self._target} is read-only (a standby?): nothing of this save was written",
                                french="Enregistrement impossible : le serveur PostgreSQL est en lecture seule. Rien de cet enregistrement n’a été écrit.",
                                reason="read-only")
        if isinstance(error, sa.exc.OperationalError) and (state is None or state.startswith("08")):
            return CanvassError(f"cannot connect to PostgreSQL at {self._target}: {str(original).strip()}")
        return None

    def close(self) -> None:
        """Close the connections (the data stays in the database)."""
        self._closed = True
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.dialect}, {self._target!r})"

    # -- schema ------------------------------------------------------------------------------

    def _migrate(self, target: int) -> None:
        if not 0 <= target <= LATEST_VERSION:
            raise ValueError(f"schema version {target} does not exist (0 to {LATEST_VERSION})")
        with self._write() as connection:
            if self.dialect == "postgresql":
                connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
            current = self._current_version(connection)
            if target > current:
                config = Config()
                config.set_main_option("script_location", str(_MIGRATIONS))
                config.attributes["connection"] = connection
                command.upgrade(config, f"{target:04d}")

    def _current_version(self, connection: sa.Connection) -> int:
        """The schema version; a canvass ≤ 0.1 database (``schema_version`` only) is stamped with the Alembic revision it matches."""
        tables = set(sa.inspect(connection).get_table_names())
        legacy = connection.execute(sa.text("SELECT COALESCE(MAX(version), 0) FROM schema_version")).scalar_one() if "schema_version" in tables else 0
        migration = MigrationContext.configure(connection)
        revision = migration.get_current_revision()
        known = {script.revision for script in _SCRIPTS.walk_revisions()}
        if int(legacy) > LATEST_VERSION or (revision is not None and revision not in known):
            raise CanvassError(
                f"the campaign database {self._target} has schema version {revision or legacy}, newer than this canvass "
                f"knows ({LATEST_VERSION}): upgrade canvass before opening it"
            )
        if revision is None and legacy:
            revision = f"{int(legacy):04d}"
            migration.stamp(_SCRIPTS, revision)
        return int(revision or 0)

    @property
    def schema_version(self) -> int:
        """Schema version of the database (:data:`LATEST_VERSION` once opened normally)."""
        with self._read() as connection:
            return int(MigrationContext.configure(connection).get_current_revision() or 0)

    # -- campaigns ---------------------------------------------------------------------------

    def create_campaign(self, name: str, password: str, *, author: str) -> Campaign:
        """Create a campaign protected by ``password`` (stored as a salted argon2id hash only).

        Raises
        ------
        ConflictError
            If a campaign of that name already exists.
        """
        name = _required_text(name, "campaign name")
        author = _required_text(author, "author")
        password_hash = hash_password(password)
        now = _now()
        with self._write() as connection:
            campaign_id = self._insert_id(connection, self._insert(t.campaigns).values(
                name=name, password_hash=password_hash, created_at=now, created_by=author).on_conflict_do_nothing(index_elements=["name"]))
            if campaign_id is None:
                raise ConflictError(f"a campaign named {name!r} already exists: open it with its password, or choose another name")
        return Campaign(campaign_id, name, _time(now), author)

    def campaigns(self) -> list[Campaign]:
        """Every campaign, by name."""
        query = sa.select(t.campaigns.c.id, t.campaigns.c.name, t.campaigns.c.created_at, t.campaigns.c.created_by).order_by(t.campaigns.c.name)
        with self._read() as connection:
            return [Campaign(int(row.id), row.name, _time(row.created_at), row.created_by) for row in connection.execute(query)]

    def find_campaign(self, name: str) -> Campaign | None:
        """The campaign called ``name``, or None."""
        query = sa.select(t.campaigns.c.id, t.campaigns.c.name, t.campaigns.c.created_at, t.campaigns.c.created_by).where(
            t.campaigns.c.name == str(name).strip())
        with self._read() as connection:
            row = connection.execute(query).first()
        return Campaign(int(row.id), row.name, _time(row.created_at), row.created_by) if row else None

    def check_password(self, campaign: Campaign | int, password: str) -> bool:
        """Tell whether ``password`` opens ``campaign``, without throttling (use :meth:`login` for a login form).

        Raises
        ------
        UnknownCampaignError
            If the campaign does not exist.
        """
        return verify_password(password, self._password_hash(campaign))

    def login(self, campaign: Campaign | int, password: str, *, client: str, now: float | None = None) -> bool:
        """Check a password typed in a login form, with throttling; tell whether it opens ``campaign``.

        ``client`` says who tries (the app passes the browser's IP address; only
        a hash of it is stored). A try is counted as wrong before the (slow)
        check, so that tries sent in parallel are throttled too; a right
        password then clears the client's count. A hash made by an older scheme
        is replaced by an argon2id hash. ``now`` (Unix seconds) is for tests.

        Raises
        ------
        TooManyAttemptsError
            The client (or, after many wrong passwords from everywhere, everyone)
            must wait: ``retry_after`` seconds, and a French message in ``french``.
        UnknownCampaignError
            If the campaign does not exist.
        """
        campaign_id, key = _campaign_id(campaign), client_key(client)
        moment = time.time() if now is None else float(now)
        failures = t.login_failures
        with self._write() as connection:
            stored = self._password_hash(campaign_id, connection)
            connection.execute(failures.delete().where(failures.c.campaign_id == campaign_id,
                                                       failures.c.last_failure_at < moment - self.throttle.forget_after))
            for who in (key, EVERYONE):
                connection.execute(self._insert(failures).values(campaign_id=campaign_id, client=who, failures=0, last_failure_at=moment)
                                   .on_conflict_do_nothing(index_elements=["campaign_id", "client"]))
            rows = connection.execute(sa.select(failures.c.client, failures.c.failures, failures.c.last_failure_at).where(
                failures.c.campaign_id == campaign_id, failures.c.client.in_((key, EVERYONE))).with_for_update()).all()
            wait = max(row.last_failure_at + self.throttle.wait(row.failures, everyone=row.client == EVERYONE) - moment for row in rows)
            if wait > 0:
                raise TooManyAttemptsError(wait)
            everyone_before = next(row.last_failure_at for row in rows if row.client == EVERYONE)
            connection.execute(failures.update().where(failures.c.campaign_id == campaign_id, failures.c.client.in_((key, EVERYONE)))
                               .values(failures=failures.c.failures + 1, last_failure_at=moment))
        if not verify_password(password, stored):
            return False
        fresh = hash_password(password) if needs_rehash(stored) else None
        with self._write() as connection:
            connection.execute(failures.delete().where(failures.c.campaign_id == campaign_id, failures.c.client == key))
            # take back this try from the campaign's count (its time too, unless a wrong password came since)
            connection.execute(failures.update().where(failures.c.campaign_id == campaign_id, failures.c.client == EVERYONE, failures.c.failures > 0)
                               .values(failures=failures.c.failures - 1,
                                       last_failure_at=sa.case((failures.c.last_failure_at == moment, everyone_before),
                                                               else_=failures.c.last_failure_at)))
            if fresh is not None:  # only if nobody changed the password meanwhile
                connection.execute(t.campaigns.update().where(t.campaigns.c.id == campaign_id, t.campaigns.c.password_hash == stored)
                                   .values(password_hash=fresh))
        return True

    def set_password(self, campaign: Campaign | int, password: str, *, author: str) -> None:
        """Replace the campaign's password (the app checks the old one first); wrong-password counts are cleared."""
        password_hash = hash_password(password)
        with self._write() as connection:
            result = connection.execute(t.campaigns.update().where(t.campaigns.c.id == _campaign_id(campaign)).values(password_hash=password_hash))
            if result.rowcount == 0:
                raise UnknownCampaignError(f"no campaign with id {_campaign_id(campaign)}")
            connection.execute(t.login_failures.delete().where(t.login_failures.c.campaign_id == _campaign_id(campaign)))

    def _password_hash(self, campaign: Campaign | int, connection: sa.Connection | None = None) -> str:
        query = sa.select(t.campaigns.c.password_hash).where(t.campaigns.c.id == _campaign_id(campaign))
        if connection is None:
            with self._read() as reading:
                stored = reading.execute(query).scalar_one_or_none()
        else:
            stored = connection.execute(query).scalar_one_or_none()
        if stored is None:
            raise UnknownCampaignError(f"no campaign with id {_campaign_id(campaign)} in {self._target}")
        return stored

    # -- documents ---------------------------------------------------------------------------

    def get(self, campaign: Campaign | int, kind: str, key: str = "main") -> Document | None:
        """The document ``(kind, key)`` of the campaign, or None if it was never saved."""
        d = t.documents
        query = sa.select(d.c.value, d.c.version, d.c.updated_at, d.c.updated_by).where(
            d.c.campaign_id == _campaign_id(campaign), d.c.kind == _kind(kind), d.c.key == str(key))
        with self._read() as connection:
            row = connection.execute(query).first()
        if row is None:
            return None
        return Document(json.loads(row.value), int(row.version), _time(row.updated_at), row.updated_by, kind, str(key))

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
        StorageError
            The disk is full or read-only; nothing was saved, the previous version is intact.
        """
        campaign_id, kind, key = _campaign_id(campaign), _kind(kind), str(key)
        author = _required_text(author, "author")
        text = _dumps(value)
        with self._write() as connection:
            return self._put(connection, campaign_id, kind, key, text, expected_version, author)

    def update(self, campaign: Campaign | int, kind: str, key: str, change: Callable[[Any], Any], *, author: str, default: Any = None,
               attempts: int = 100) -> int:
        """Apply ``change`` to the newest value of a document and save it, again on the newer value if someone saved meanwhile.

        ``change`` receives a copy of the value (``default`` when the document
        does not exist yet) and returns the new value; it may run several times,
        so it must not have side effects. Return the new version.

        Raises
        ------
        ConflictError
            The document kept changing during ``attempts`` tries.
        """
        for attempt in range(attempts):
            document = self.get(campaign, kind, key)
            value = change(copy.deepcopy(document.value) if document else copy.deepcopy(default))
            try:
                return self.put(campaign, kind, key, value, expected_version=document.version if document else None, author=author)
            except ConflictError:
                time.sleep(random.uniform(0, 0.002 * (attempt + 1)))  # back off so that the writers do not collide in step
        raise ConflictError(f"{kind} {key!r} kept changing while saving ({attempts} tries); nothing was saved: try again",
                            kind=kind, key=str(key))

    def _put(self, connection: sa.Connection, campaign_id: int, kind: str, key: str, text: str, expected_version: int | None, author: str) -> int:
        now = _now()
        self._check_campaign(connection, campaign_id)
        d = t.documents
        if expected_version is None:
            inserted = self._insert_id(connection, self._insert(d).values(
                campaign_id=campaign_id, kind=kind, key=key, value=text, version=1, updated_at=now, updated_by=author,
            ).on_conflict_do_nothing(index_elements=["campaign_id", "kind", "key"]))
            saved, new_version = inserted is not None, 1
        else:
            result = connection.execute(
                d.update().where(d.c.campaign_id == campaign_id, d.c.kind == kind, d.c.key == key, d.c.version == int(expected_version))
                .values(value=text, version=d.c.version + 1, updated_at=now, updated_by=author)
            )
            saved, new_version = result.rowcount == 1, int(expected_version) + 1
        if not saved:
            row = connection.execute(sa.select(d.c.version, d.c.updated_at, d.c.updated_by).where(
                d.c.campaign_id == campaign_id, d.c.kind == kind, d.c.key == key)).first()
            raise _conflict(kind, key, expected_version, row)
        h = t.history
        connection.execute(h.insert().values(campaign_id=campaign_id, kind=kind, key=key, version=new_version, value=text, author=author,
                                             recorded_at=now))
        if self.history_keep is not None:
            connection.execute(h.delete().where(h.c.campaign_id == campaign_id, h.c.kind == kind, h.c.key == key,
                                                h.c.version <= new_version - self.history_keep))
        return new_version

    def history(self, campaign: Campaign | int, kind: str | None = None, limit: int = 50) -> list[HistoryEntry]:
        """The last ``limit`` saves of the campaign (of one ``kind`` if given), newest first."""
        h = t.history
        query = sa.select(h.c.kind, h.c.key, h.c.version, h.c.value, h.c.author, h.c.recorded_at).where(h.c.campaign_id == _campaign_id(campaign))
        if kind is not None:
            query = query.where(h.c.kind == _kind(kind))
        with self._read() as connection:
            rows = connection.execute(query.order_by(h.c.id.desc()).limit(int(limit))).all()
        return [HistoryEntry(row.kind, row.key, int(row.version), json.loads(row.value), row.author, _time(row.recorded_at)) for row in rows]

    def history_size(self, campaign: Campaign | int | None = None) -> HistorySize:
        """Saves the history holds and the bytes of their values (of one campaign, or of the whole database)."""
        h = t.history
        size = sa.func.octet_length(h.c.value) if self.dialect == "postgresql" else sa.func.length(sa.cast(h.c.value, sa.LargeBinary))
        query = sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(size), 0))
        if campaign is not None:
            query = query.where(h.c.campaign_id == _campaign_id(campaign))
        with self._read() as connection:
            entries, total = connection.execute(query).one()
        return HistorySize(int(entries), int(total))

    def prune_history(self, keep: int | None = None) -> int:
        """Delete every history entry older than the last ``keep`` versions of its document (default: ``history_keep``); return how many.

        Saves trim their own document's history; this trims a database filled
        before (or with a larger ``history_keep``). On SQLite, the file shrinks
        only after ``VACUUM``.
        """
        keep = self.history_keep if keep is None else keep
        if keep is None or keep < 1:
            raise ValueError(f"keep must be at least 1, not {keep}")
        h, newer = t.history, t.history.alias("newer")
        latest = (sa.select(sa.func.max(newer.c.version)).where(newer.c.campaign_id == h.c.campaign_id, newer.c.kind == h.c.kind,
                                                               newer.c.key == h.c.key).scalar_subquery())
        with self._write() as connection:
            return int(connection.execute(h.delete().where(h.c.version <= latest - keep)).rowcount)

    # -- field log ---------------------------------------------------------------------------

    def log_field(self, campaign: Campaign | int, *, session: str, team: str, segment_id: int, doors_knocked: int, doors_opened: int,
                  outcomes: Mapping[str, int] | None = None, author: str, entry_key: str | None = None) -> int:
        """Record what a team did on one street segment during a session; return the entry's id.

        ``outcomes`` are counts keyed by :data:`OUTCOMES` (French or English
        names accepted, e.g. ``{"soutien": 3, "indécis": 2, "absent": 10}``).
        ``entry_key`` is the id a phone gave the entry (see :mod:`canvass.serve.app`):
        an entry already stored under that key in this campaign is not stored
        again, and its id is returned (the first copy's counts are kept).

        Raises
        ------
        InputDataError
            Negative or non-whole counts, more doors opened than knocked, an unknown outcome, a bad ``entry_key``.
        """
        entry = field_entry(session=session, team=team, segment_id=segment_id, doors_knocked=doors_knocked, doors_opened=doors_opened,
                            outcomes=outcomes)
        author = _required_text(author, "author")
        row = _event_row(_campaign_id(campaign), entry, _now(), author)
        f = t.field_events
        with self._write() as connection:
            self._check_campaign(connection, campaign)
            if entry_key is None:
                return self._insert_id(connection, f.insert().values(row))
            row["entry_key"] = _entry_key(entry_key)
            statement = self._insert(f).values(row).on_conflict_do_nothing(index_elements=[f.c.campaign_id, f.c.entry_key])
            inserted = self._insert_id(connection, statement)
            if inserted is not None:
                return inserted
            return int(connection.execute(sa.select(f.c.id).where(f.c.campaign_id == row["campaign_id"],
                                                                  f.c.entry_key == row["entry_key"])).scalar_one())

    def import_field_csv(self, campaign: Campaign | int, path: str | Path, *, session: str, author: str,
                         teams: Iterable[str] | None = None, segments: Iterable[int] | None = None, replace: bool = False) -> int:
        """Import a field sheet (CSV) for ``session``, all lines or none; return the number of lines imported.

        The sheet is read by :func:`canvass.campaign.field_csv.read_field_csv`
        (its columns, ``teams`` and ``segments`` are described there).

        Parameters
        ----------
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
        entries = read_field_csv(path, session=session, teams=teams, segments=segments)
        now, campaign_id, f = _now(), _campaign_id(campaign), t.field_events
        with self._write() as connection:
            self._check_campaign(connection, campaign_id)
            existing = connection.execute(sa.select(sa.func.count()).where(f.c.campaign_id == campaign_id, f.c.session == session)).scalar_one()
            if existing and not replace:
                raise InputDataError(
                    f"session {session!r} already has {existing} field entries; nothing was imported",
                    source=path,
                    hint="give another session name, or replace that session's entries (replace=True) if this sheet corrects them",
                )
            connection.execute(f.delete().where(f.c.campaign_id == campaign_id, f.c.session == session))
            if entries:
                connection.execute(f.insert(), [_event_row(campaign_id, entry, now, author) for entry in entries])
        return len(entries)

    def field_log(self, campaign: Campaign | int, *, session: str | None = None) -> pd.DataFrame:
        """The field log, one row per entry (:data:`FIELD_LOG_COLUMNS`), outcomes as integer columns (0 when not given)."""
        f = t.field_events
        query = sa.select(f.c.id, f.c.session, f.c.team, f.c.segment_id, f.c.doors_knocked, f.c.doors_opened, f.c.outcomes, f.c.recorded_at,
                          f.c.author).where(f.c.campaign_id == _campaign_id(campaign))
        if session is not None:
            query = query.where(f.c.session == str(session))
        with self._read() as connection:
            rows = connection.execute(query.order_by(f.c.id)).all()
        records = []
        for row in rows:
            outcomes = json.loads(row.outcomes)
            records.append({"event_id": row.id, "session": row.session, "team": row.team, "segment_id": row.segment_id,
                            "doors_knocked": row.doors_knocked, "doors_opened": row.doors_opened,
                            **{outcome: int(outcomes.get(outcome, 0)) for outcome in OUTCOMES}, "recorded_at": row.recorded_at, "author": row.author})
        frame = pd.DataFrame.from_records(records, columns=list(FIELD_LOG_COLUMNS))
        for column in ("event_id", "segment_id", "doors_knocked", "doors_opened", *OUTCOMES):
            frame[column] = frame[column].astype("int64")
        for column in ("session", "team", "author"):
            frame[column] = frame[column].astype("string")
        frame["recorded_at"] = pd.to_datetime(frame["recorded_at"], utc=True, format="ISO8601")
        return frame

    def done_segments(self, campaign: Campaign | int, *, session: str | None = None) -> set[int]:
        """Segments with at least one field entry (in ``session`` if given): leave them out of the next plan."""
        f = t.field_events
        query = sa.select(f.c.segment_id).distinct().where(f.c.campaign_id == _campaign_id(campaign))
        if session is not None:
            query = query.where(f.c.session == str(session))
        with self._read() as connection:
            return {int(segment) for segment in connection.execute(query).scalars()}

    def _insert_id(self, connection: sa.Connection, statement: sa.Insert) -> int | None:
        """Run a one-row ``INSERT``; return the row's first primary-key column (the new ``id``), or None if nothing was inserted (``ON CONFLICT``).

        PostgreSQL tells through ``RETURNING`` (psycopg reports no row count for it); SQLite through the row count and the
        last row id (``RETURNING`` needs SQLite 3.35, newer than some Debian 11 servers have).
        """
        if self.dialect == "postgresql":
            row = connection.execute(statement.returning(*statement.table.primary_key.columns)).first()
            return None if row is None else int(row[0])
        result = connection.execute(statement)
        return int(result.inserted_primary_key[0]) if result.rowcount == 1 else None

    def _check_campaign(self, connection: sa.Connection, campaign: Campaign | int) -> None:
        if connection.execute(sa.select(t.campaigns.c.id).where(t.campaigns.c.id == _campaign_id(campaign))).first() is None:
            raise UnknownCampaignError(f"no campaign with id {_campaign_id(campaign)} in {self._target}")


# -- helpers ------------------------------------------------------------------------------------


def _folder_state(folder: Path) -> str:
    """Why SQLite could not write in ``folder``: ``read-only`` file system, ``full`` disk, or ``permission``."""
    try:
        stats = os.statvfs(folder)
    except OSError:
        return "permission"
    if stats.f_flag & os.ST_RDONLY:
        return "read-only"
    if stats.f_bavail == 0:
        return "full"
    return "permission"


def _event_row(campaign_id: int, entry: FieldEntry, now: str, author: str) -> dict[str, Any]:
    return {"campaign_id": campaign_id, "session": entry.session, "team": entry.team, "segment_id": entry.segment_id,
            "doors_knocked": entry.doors_knocked, "doors_opened": entry.doors_opened, "outcomes": json.dumps(dict(entry.outcomes), sort_keys=True),
            "recorded_at": now, "author": author}


def _entry_key(key: object) -> str:
    """A phone's entry id: 8 to 64 letters, digits, ``-`` or ``_``."""
    text = str(key)
    if not re.fullmatch(r"[A-Za-z0-9_-]{8,64}", text):
        raise InputDataError(f"the entry id {text[:80]!r} is not an id a team page makes", where="entry_key",
                             hint="8 to 64 letters, digits, '-' or '_'")
    return text


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


def _conflict(kind: str, key: str, expected: int | None, row: Any) -> ConflictError:
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
