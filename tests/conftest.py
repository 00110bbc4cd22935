"""Fixtures shared across the test suite: a throwaway PostgreSQL server, and campaign database locations."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

POSTGRES_PACKAGE = "postgresql"
"""Debian package with the server binaries the PostgreSQL fixture starts (apt-get install postgresql)."""


# -- a throwaway PostgreSQL server -----------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_server():
    """Start a PostgreSQL server in a temporary folder (trust auth, localhost only); yield its admin URL; stop it."""
    binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda path: int(Path(path).parts[-3]))
    if not binaries:
        pytest.fail(
            "PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin/initdb): "
            f"install the Debian package '{POSTGRES_PACKAGE}' (apt-get install {POSTGRES_PACKAGE}); scripts/test.sh does it when run as root",
            pytrace=False,
        )
    try:
        import psycopg
    except ImportError:
        pytest.fail("the PostgreSQL driver is missing: pip install 'psycopg[binary]'", pytrace=False)
    bindir = Path(binaries[-1]).parent
    root = Path(tempfile.mkdtemp(prefix="canvass-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root: run it as the postgres system user
        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            pytest.fail(f"no 'postgres' system user: install the Debian package '{POSTGRES_PACKAGE}'", pytrace=False)
        os.chown(root, account.pw_uid, account.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = root / "data", _free_port()

    def run(*command: str) -> None:
        result = subprocess.run([*as_user, *command], capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            log = (root / "log").read_text() if (root / "log").exists() else ""
            pytest.fail(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}\n{log}", pytrace=False)

    run(str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync")
    run(str(bindir / "pg_ctl"), "-D", str(data), "-o", f"-p {port} -k {root} -c listen_addresses=localhost",
        "-l", str(root / "log"), "-w", "-t", "60", "start")
    url = f"postgresql://postgres@localhost:{port}/postgres"
    deadline = time.monotonic() + 30
    while True:
        try:
            psycopg.connect(url, connect_timeout=2).close()
            break
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    try:
        yield url
    finally:
        subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def postgres_database(postgres_server):
    """A fresh, empty database on the throwaway PostgreSQL server; dropped afterwards."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield postgres_server.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    """Where a fresh, empty campaign database lives: a SQLite file, or a new database on the PostgreSQL server."""
    if request.param == "sqlite":
        return str(tmp_path / "campagne" / "campaign.db")
    return request.getfixturevalue("postgres_database")
