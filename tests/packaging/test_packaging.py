"""Packaging: desktop integration files, icons, PyInstaller specs, and (slow) a real build of
the headless binary that is then run."""

from __future__ import annotations

import configparser
import importlib.util
import os
import re
import shutil
import signal
import sqlite3
import struct
import subprocess
import sys
import time
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import inspector

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
ICONS = ROOT / "inspector" / "resources" / "icons"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)
DESKTOP = PACKAGING / f"{inspector.APP_ID}.desktop"
METAINFO = PACKAGING / f"{inspector.APP_ID}.metainfo.xml"


def desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read_string(DESKTOP.read_text("utf-8"))
    return parser["Desktop Entry"]


def test_app_id_is_reverse_dns() -> None:
    assert re.fullmatch(r"[a-z]+(\.[A-Za-z0-9_-]+){2,}", inspector.APP_ID)


def test_desktop_file_uses_app_id() -> None:
    entry = desktop_entry()
    assert entry["Type"] == "Application"
    assert entry["Name"] == "Webhook Inspector"
    assert entry["Icon"] == inspector.APP_ID
    assert entry["Exec"].split()[0] == "webhook-inspector"
    assert entry["Terminal"] == "false"
    assert entry["Categories"].endswith(";")


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None,
                    reason="desktop-file-validate (desktop-file-utils) is not installed")
def test_desktop_file_validates() -> None:
    result = subprocess.run(["desktop-file-validate", str(DESKTOP)], capture_output=True,
                            text=True)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_metainfo_uses_app_id_and_version() -> None:
    root = ET.parse(METAINFO).getroot()
    assert root.tag == "component"
    assert root.get("type") == "desktop-application"
    assert root.findtext("id") == inspector.APP_ID
    assert root.findtext("launchable") == DESKTOP.name
    assert root.find("launchable").get("type") == "desktop-id"  # type: ignore[union-attr]
    assert root.findtext("metadata_license") == "CC0-1.0"
    assert root.findtext("project_license") == "MIT"
    assert root.findtext("name") == desktop_entry()["Name"]
    assert root.findtext("provides/binary") == "webhook-inspector"
    versions = [release.get("version") for release in root.iter("release")]
    assert inspector.__version__ in versions


@pytest.mark.skipif(shutil.which("appstreamcli") is None, reason="appstreamcli is not installed")
def test_metainfo_validates() -> None:
    result = subprocess.run(["appstreamcli", "validate", "--no-net", str(METAINFO)],
                            capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_icons_exist_at_every_size() -> None:
    root = ET.parse(ICONS / "webhook-inspector.svg").getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    for size in ICON_SIZES:
        assert png_size(ICONS / f"webhook-inspector-{size}.png") == (size, size)


def test_icons_load_as_package_data() -> None:
    from importlib import resources

    icons = resources.files("inspector").joinpath("resources").joinpath("icons")
    assert icons.joinpath("webhook-inspector.svg").read_bytes().startswith(b"<?xml")


def test_specs_and_entry_points() -> None:
    gui = (PACKAGING / "webhook-inspector.spec").read_text("utf-8")
    serve = (PACKAGING / "webhook-inspector-serve.spec").read_text("utf-8")
    assert "console=False" in gui
    assert '"__main__.py"' in gui
    assert "console=True" in serve
    for name in ("PySide6", "shiboken6", "qasync", "inspector.gui"):
        assert f'"{name}"' in serve
    main_module = (ROOT / "inspector" / "__main__.py").read_text("utf-8")
    guarded = main_module.split('if __name__ == "__main__":', 1)[1]
    assert guarded.index("freeze_support()") < guarded.index("main()")
    pyproject = (ROOT / "pyproject.toml").read_text("utf-8")
    assert re.search(r'(?m)^package = \[\s*"pyinstaller', pyproject)
    makefile = (ROOT / "Makefile").read_text("utf-8")
    assert re.search(r"(?m)^package:", makefile)


def load_serve_entry():
    spec = importlib.util.spec_from_file_location("serve_entry", PACKAGING / "serve_entry.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], ["serve"]),
        (["--port", "0"], ["serve", "--port", "0"]),
        (["serve", "--port", "0"], ["serve", "--port", "0"]),
        (["export", "--ndjson"], ["export", "--ndjson"]),
        (["--help"], ["--help"]),
        (["--db", "x.db", "import", "f.json"], ["--db", "x.db", "import", "f.json"]),
    ],
)
def test_headless_binary_defaults_to_serve(argv: list[str], expected: list[str]) -> None:
    assert load_serve_entry().arguments(argv) == expected


# --- the real thing ---------------------------------------------------------------------------


def run(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=120, check=False,
                          **kwargs)  # type: ignore[call-overload]  # fmt: skip


@pytest.mark.slow
def test_headless_binary_builds_and_serves(tmp_path: Path) -> None:
    pytest.importorskip("PyInstaller", reason="PyInstaller is not installed (make package "
                        "installs it: pip install -e '.[package]')")  # fmt: skip
    started = time.monotonic()
    build = subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
         "--distpath", str(tmp_path / "dist"), "--workpath", str(tmp_path / "build"),
         str(PACKAGING / "webhook-inspector-serve.spec")],
        capture_output=True, text=True, timeout=900, cwd=ROOT,
    )  # fmt: skip
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    built = time.monotonic()
    folder = tmp_path / "dist" / "webhook-inspector-serve"
    binary = folder / "webhook-inspector-serve"
    assert os.access(binary, os.X_OK)
    bundled = {p.name for p in (folder / "_internal").iterdir()}
    assert not {"PySide6", "shiboken6", "qasync"} & bundled
    assert (folder / "_internal" / "inspector" / "resources" / "samples" / "SOURCES.md").exists()

    env = {**os.environ, "WEBHOOK_INSPECTOR_HOME": str(tmp_path / "home")}
    env.pop("PYTHONPATH", None)
    helped = run([str(binary), "--help"], env=env)
    assert helped.returncode == 0, helped.stderr
    assert "serve" in helped.stdout

    db = tmp_path / "h.db"
    proc = subprocess.Popen(
        [str(binary), "serve", "--port", "0", "--db", str(db),
         "--secret", "/webhook/meta=meta:demo-meta-app-secret"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.search(r"Listening on (http://\S+?)/ ", line)
        assert match, line + (proc.stderr.read() if proc.stderr else "")
        url = match.group(1)
        request = urllib.request.Request(f"{url}/hook", data=b'{"n": 1}', method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
        sent = run([str(binary), "send", "meta", "text", "--to", f"{url}/webhook/meta"], env=env)
        assert sent.returncode == 0, sent.stdout + sent.stderr
        assert "-> 200" in sent.stdout
        time.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Stopped." in out
    with sqlite3.connect(db) as conn:
        query = "SELECT path, provider, sig_status FROM requests ORDER BY id"
        rows = conn.execute(query).fetchall()
    assert rows == [("/hook", "generic", "unsigned"), ("/webhook/meta", "meta", "valid")]
    checks = time.monotonic() - built
    print(f"\nPyInstaller build {built - started:.1f} s, run checks {checks:.1f} s")
