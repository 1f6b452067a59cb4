"""Render the app icon's PNG sizes from the SVG master (run after changing the SVG, commit both).

    .venv/bin/python packaging/make_icons.py

Uses Qt's SVG renderer (QtSvg ships with PySide6-Essentials); runs headless.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ICONS = Path(__file__).resolve().parent.parent / "inspector" / "resources" / "icons"
MASTER = ICONS / "webhook-inspector.svg"
SIZES = (16, 24, 32, 48, 64, 128, 256)


def render(size: int, renderer: QSvgRenderer) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return image


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(MASTER))
    if not renderer.isValid():
        print(f"cannot read {MASTER}", file=sys.stderr)
        return 1
    for size in SIZES:
        path = ICONS / f"webhook-inspector-{size}.png"
        if not render(size, renderer).save(str(path), "PNG"):
            print(f"cannot write {path}", file=sys.stderr)
            return 1
        print(path.relative_to(ICONS.parent.parent.parent))
    del app
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
