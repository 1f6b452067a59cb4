"""Fixtures shared by the core tests: a fresh store, and the scripted provider sender over it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from inspector.core.store import Store
from tests.core.senders import Sender


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(tmp_path / "history.db")
    yield opened
    opened.close()


@pytest.fixture
def sender(store: Store) -> Sender:
    return Sender(store)
