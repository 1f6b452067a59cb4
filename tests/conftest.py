"""Shared test setup. Qt runs offscreen: set before any QApplication exists."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

FIXTURES = Path(__file__).parent / "fixtures"
PROVIDER_FIXTURES = FIXTURES / "providers"


@pytest.fixture
def provider_fixture():
    """Read a provider fixture's exact bytes by file name."""

    def read(name: str) -> bytes:
        return (PROVIDER_FIXTURES / name).read_bytes()

    return read
