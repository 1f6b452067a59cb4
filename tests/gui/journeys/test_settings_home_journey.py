"""With WEBHOOK_INSPECTOR_HOME set, every Qt settings file (the app's: theme, geometry,
follow; Qt's own QtProject.conf from a file dialog) is written under that folder and nothing
under the user's ~/.config. Two homes do not share a theme. The app runs in a subprocess
(the test session has its own QSettings paths) with a throw-away HOME and XDG_CONFIG_HOME."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = r"""
import sys
from pathlib import Path
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QFileDialog
from inspector.core.config import Settings
from inspector.gui.app import make_application, start

app = make_application()
print("theme at start:", QSettings().value("view/theme", "unset"), flush=True)
bridge, window = start(Settings(db_path=Path(sys.argv[1]), port=0), None)

def journey():
    view = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    themes = next(a.menu() for a in view.actions() if a.text() == "Theme")
    next(a for a in themes.actions() if a.text() == sys.argv[2]).trigger()
    dialog = QFileDialog(window, "Import requests")
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
    dialog.show()
    dialog.reject()
    dialog.deleteLater()  # a Qt file dialog saves its state in QtProject.conf as it goes
    QTimer.singleShot(200, window.close)

window.closed.connect(app.quit)
QTimer.singleShot(500, journey)
app.exec()
bridge.stop()
"""


def run_app(tmp_path: Path, home: Path, theme: str) -> str:
    user = tmp_path / "user"
    env = {**os.environ, "HOME": str(user), "XDG_CONFIG_HOME": str(user / ".config"),
           "WEBHOOK_INSPECTOR_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(home / "history.db"), theme], env=env, text=True,
        capture_output=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout


def files_under(folder: Path) -> list[str]:
    if not folder.exists():
        return []
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_qt_settings_stay_in_each_home(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    assert "theme at start: unset" in run_app(tmp_path, first, "Dark")
    written = files_under(first / "config")
    assert "QtProject.conf" in written
    app_conf = [name for name in written if name.endswith(".conf") and "QtProject" not in name]
    assert app_conf, written
    text = (first / "config" / app_conf[0]).read_text()
    assert "theme=dark" in text
    assert "geometry" in text
    assert files_under(tmp_path / "user") == []  # nothing in ~/.config (or anywhere in ~)

    assert "theme at start: unset" in run_app(tmp_path, second, "Light")  # not inherited
    assert "theme at start: dark" in run_app(tmp_path, first, "Dark")  # kept per home
    assert files_under(tmp_path / "user") == []
