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
    """A scratch folder that looks like a clone with ../shared beside it."""
    work = tmp_path / "canvass"
    work.mkdir()
    for entry in ROOT.iterdir():
        if entry.name not in {".git", "data", ".pytest_cache"}:
            (work / entry.name).symlink_to(entry)
    (work / "data").mkdir()
    (tmp_path / "shared").symlink_to(SHARED)
    return work


def _run_demo_script(command: str, work: Path, env: dict) -> None:
    """Start the demo command, wait until the app answers on its port, then stop it."""
    port = _free_port()
    process = subprocess.Popen(command, shell=True, cwd=work, env={**env, "PORT": str(port)}, start_new_session=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            assert process.poll() is None, f"{command!r} stopped early:\n{process.stdout.read()[-3000:]}"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(1)
        pytest.fail(f"{command!r}: the app did not answer on port {port} within 300 s")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
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
            _run_demo_script(command, clone_like, env)
        else:
            result = subprocess.run(command, shell=True, cwd=clone_like, env=env, capture_output=True, text=True, timeout=900)
            assert result.returncode == 0, f"README command failed: {command}\n--- stdout\n{result.stdout[-3000:]}\n--- stderr\n{result.stderr[-3000:]}"
        ran += 1
    assert ran == len(commands) - sum(command in NOT_RUN_HERE for command in commands)
