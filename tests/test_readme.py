"""Every command of the README, run as written, in README order.

The commands run in a scratch folder laid out like a clone: each top-level entry of the repository is
linked there, and ``../shared`` points to the real shared folder, so ``../shared/data/real/brest``
reads the real files in place. ``canvass fetch`` commands go to a local server replaying recorded
responses (``CANVASS_CATALOGUE``), benchmarks run their quick case (``CANVASS_BENCH_QUICK``), and
``bash scripts/demo.sh`` must answer on its port before it is stopped. The one command not run here
is ``bash scripts/test.sh``: it is this test suite, which CI runs through ``.ci/run``.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.fetch.conftest import iris_wfs, publishers, replay, write_catalogue  # noqa: F401 (fixtures)
from tests.helpers import SHARED

ROOT = Path(__file__).resolve().parents[1]
NOT_RUN_HERE = {"bash scripts/test.sh": "the test suite itself, run by CI through .ci/run"}


def readme_commands(text: str) -> list[str]:
    """Shell commands of the README's ```bash blocks: continuation lines joined, comments dropped."""
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            command = _strip_comment(line).strip()
            if command:
                commands.append(command)
    return commands


def _strip_comment(line: str) -> str:
    """Drop a ``# comment`` that starts after white space, outside quotes."""
    quote = None
    for position, char in enumerate(line):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (position == 0 or line[position - 1].isspace()):
            return line[:position]
    return line


def test_readme_commands_are_parsed():
    commands = readme_commands((ROOT / "README.md").read_text(encoding="utf-8"))
    assert "bash scripts/demo.sh" in commands
    assert "bash scripts/test.sh" in commands
    assert all("#" not in command.split()[0] for command in commands)
    assert not any(command.endswith("\\") for command in commands)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def replay_catalogue(replay, tmp_path) -> Path:
    """A catalogue whose every URL points at the local server replaying cuts of the real files."""
    return write_catalogue(tmp_path / "catalogue.toml", replay)


@pytest.fixture
def clone_like(tmp_path) -> Path:
    """A scratch folder that looks like a clone with ../shared beside it, and a virtual environment of its own.

    The scratch ``.venv`` sees the repository's installed packages (a ``.pth`` file) and links their
    commands, so ``scripts/setup.sh`` runs there in seconds without rewriting the repository's own
    environment (pip writes each command's interpreter path into it).
    """
    work = tmp_path / "canvass"
    work.mkdir()
    for entry in ROOT.iterdir():
        if entry.name not in {".git", ".venv", "data", "static", ".pytest_cache"}:
            (work / entry.name).symlink_to(entry)
    (work / "data").mkdir()
    (tmp_path / "shared").symlink_to(SHARED)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(work / ".venv")], check=True)
    scratch_site = next((work / ".venv" / "lib").glob("python3*/site-packages"))
    (scratch_site / "repository.pth").write_text(next(Path(p) for p in sys.path if p.endswith("site-packages") and Path(p).is_dir()).as_posix() + "\n")
    for command in (ROOT / ".venv" / "bin").iterdir():  # not canvass's own command: setup.sh installs it here
        if command.name != "canvass" and not command.name.startswith("pip") and not (work / ".venv" / "bin" / command.name).exists():
            (work / ".venv" / "bin" / command.name).symlink_to(command)
    return work


def _run_server(command: str, work: Path, env: dict, url: str) -> None:
    """Start a command that serves (the app, canvass serve), wait until ``url`` answers 200, then stop it."""
    process = subprocess.Popen(command, shell=True, cwd=work, env=env, start_new_session=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            assert process.poll() is None, f"{command!r} stopped early:\n{process.stdout.read()[-3000:]}"
            try:
                with urllib.request.urlopen(url, timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(1)
        pytest.fail(f"{command!r}: {url} did not answer within 300 s")
    finally:
        _stop(process)


def _stop(process: subprocess.Popen) -> None:
    """Stop a server's whole process group (it may already have stopped)."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def test_every_readme_command_runs_as_written(clone_like, replay_catalogue):
    """Run the README top to bottom; each command must exit 0."""
    commands = readme_commands((ROOT / "README.md").read_text(encoding="utf-8"))
    env = {**os.environ, "CANVASS_CATALOGUE": str(replay_catalogue), "CANVASS_CACHE": str(clone_like.parent / "cache"),
           "CANVASS_BENCH_QUICK": "1", "CANVASS_PASSWORD": "demo"}
    env.pop("DATABASE_URL", None)
    ran = 0
    for command in commands:
        if command in NOT_RUN_HERE:
            continue
        if command.startswith("bash scripts/demo.sh"):
            port = _free_port()
            _run_server(command, clone_like, {**env, "PORT": str(port)}, f"http://127.0.0.1:{port}/_stcore/health")
        elif command.startswith(".venv/bin/canvass serve"):
            port = re.search(r"--port (\d+)", command)
            _run_server(command, clone_like, env, f"http://127.0.0.1:{port.group(1) if port else 8502}/")
        else:
            result = subprocess.run(command, shell=True, cwd=clone_like, env=env, capture_output=True, text=True, timeout=900)
            assert result.returncode == 0, f"README command failed: {command}\n--- stdout\n{result.stdout[-3000:]}\n--- stderr\n{result.stderr[-3000:]}"
        ran += 1
    assert ran == len(commands) - sum(command in NOT_RUN_HERE for command in commands)
