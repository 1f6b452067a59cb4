"""Bad `--db` paths and bad `serve` options: a one-line error naming the option, exit status 2,
no traceback, no hang, nothing moved, no secret repeated."""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from inspector.core.config import Settings
from inspector.core.service import InspectorService
from inspector.core.store import Store, StoreError, quarantine

from .conftest import ROOT

SECRET = "hunter2-do-not-print"


def run_cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WEBHOOK_INSPECTOR_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "inspector", *args], capture_output=True, text=True, env=env,
        cwd=ROOT, timeout=60,
    )  # fmt: skip


def make_device(path: Path) -> None:
    """A character device with /dev/null's numbers (the test runs as root)."""
    os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(1, 3))


def make_fifo(path: Path) -> None:
    os.mkfifo(path)


def make_directory(path: Path) -> None:
    path.mkdir()


SPECIALS: dict[str, tuple[Callable[[Path], None], str]] = {
    "device": (make_device, "a character device"),
    "fifo": (make_fifo, "a FIFO"),
    "directory": (make_directory, "a directory"),
}


@pytest.mark.parametrize("kind", list(SPECIALS))
def test_a_device_fifo_or_directory_as_db_is_refused_and_never_moved(
    tmp_path: Path, kind: str, figure
) -> None:
    make, words = SPECIALS[kind]
    db = tmp_path / "fake.db"
    make(db)
    before = db.lstat()
    result = run_cli(tmp_path / "home", "serve", "--port", "0", "--db", str(db))
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("webhook-inspector: --db:")
    assert words in lines[0]
    with pytest.raises(StoreError, match=words):
        asyncio.run(InspectorService(Settings(db_path=db, port=0)).start())
    with pytest.raises(StoreError, match=words):
        quarantine(db, "test")
    after = db.lstat()
    assert (after.st_ino, after.st_mode, after.st_rdev) == (before.st_ino, before.st_mode,
                                                            before.st_rdev)  # fmt: skip
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "home") == ["fake.db"]
    figure(f"{kind}: exit 2, {lines[0]!r}; not moved, nothing created beside it")


def test_a_regular_corrupt_file_is_still_quarantined(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    db.write_bytes(b"not a database at all" * 10)
    store = Store.open(db)
    store.close()
    assert store.quarantined is not None
    assert store.quarantined.moved_to.read_bytes()[:3] == b"not"


BAD_OPTIONS: dict[str, tuple[list[str], str]] = {
    "port 70000": (["--port", "70000"], "--port"),
    "port -1": (["--port", "-1"], "--port"),
    "max-body 1e400M": (["--max-body", "1e400M"], "--max-body"),
    "max-body -5": (["--max-body", "-5"], "--max-body"),
    "db read-only place": (["--db", "/proc/self/cannot.db"], "--db"),
    "secret unknown scheme": (["--secret", f"/x=bogus:{SECRET}"], "--secret"),
    "secret malformed": (["--secret", f"x={SECRET}"], "--secret"),
    "secret scheme missing": (["--secret", f"/x={SECRET}"], "--secret"),
    "respond unknown answer": (["--respond", "path:/x=500,soon"], "--respond"),
    "respond bad filter": (["--respond", "(path:/x=500"], "--respond"),
    "respond unknowable field": (["--respond", "sig:invalid=500"], "--respond"),
}


@pytest.mark.parametrize("case", list(BAD_OPTIONS))
def test_bad_serve_option_is_a_one_line_error_naming_it(tmp_path: Path, case: str, figure) -> None:
    options, name = BAD_OPTIONS[case]
    if "--db" not in options:
        options = [*options, "--db", str(tmp_path / "h.db")]
    result = run_cli(tmp_path / "home", "serve", "--port", "0", *options)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert name in lines[0]
    assert "Traceback" not in result.stderr
    assert SECRET not in result.stderr + result.stdout
    assert "Listening" not in result.stdout
    figure(f"{case}: exit 2, {lines[0][:90]!r}")
