"""The Qt binding itself must survive long sessions (a guard on the pinned PySide6 range)."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtWidgets import QApplication, QWidget
app = QApplication([])
widget = QWidget()
before = sys.getrefcount(None)
for _ in range(50000):
    widget.setEnabled(True)
print(sys.getrefcount(None) - before)
"""


def test_calls_returning_none_do_not_leak_references_to_none() -> None:
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert abs(int(result.stdout.strip().splitlines()[-1])) < 1000
