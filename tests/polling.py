"""Waiting in async tests for state that other tasks or processes change."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


async def until(predicate: Callable[[], bool], seconds: float) -> None:
    """Poll (bounded in time) until `predicate()` is true."""
    async with asyncio.timeout(seconds):
        while not predicate():  # noqa: ASYNC110 - polling state owned by other tasks
            await asyncio.sleep(0.01)
