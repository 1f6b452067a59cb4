"""`make check-qt` (packaging/check-qt-deps.sh) stops `make run` when Qt's X11 plugin misses
system libraries; a fake `ldd` on PATH plays the system."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "packaging" / "check-qt-deps.sh"


def fake(bin_dir: Path, name: str, output: str) -> None:
    program = bin_dir / name
    program.write_text(f"#!/bin/sh\nprintf '%s\\n' '{output}'\n")
    program.chmod(0o755)


def check(
    tmp_path: Path, ldd_output: str, emoji_fonts: str = "Noto Color Emoji"
) -> subprocess.CompletedProcess[str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    fake(bin_dir, "ldd", ldd_output)
    fake(bin_dir, "fc-list", emoji_fonts)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "DISPLAY": ":0"}
    return subprocess.run(["bash", str(SCRIPT), sys.executable], env=env, text=True,
                          capture_output=True, timeout=60, check=False)  # fmt: skip


@pytest.mark.parametrize("library", ["libxcb-cursor.so.0", "libxkbcommon-x11.so.0"])
def test_a_missing_library_is_named_and_fails(tmp_path: Path, library: str) -> None:
    result = check(tmp_path, f"\t{library} => not found")
    assert result.returncode == 1
    assert library in result.stderr
    assert "apt-get install" in result.stderr


def test_nothing_missing_passes(tmp_path: Path) -> None:
    result = check(tmp_path, "\tlibc.so.6 => /lib/libc.so.6 (0x0)")
    assert result.returncode == 0
    assert result.stderr == ""


def test_no_emoji_font_is_said_but_does_not_fail(tmp_path: Path) -> None:
    result = check(tmp_path, "\tlibc.so.6 => /lib/libc.so.6 (0x0)", emoji_fonts="")
    assert result.returncode == 0
    assert "fonts-noto-color-emoji" in result.stderr
