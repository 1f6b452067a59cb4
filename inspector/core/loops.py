"""Which event loop the capture service runs on: uvloop where it is installed, else asyncio's.

uvloop (an optional dependency, installed where it builds: not on Windows) answers webhooks
faster; the GUI's own loop (qasync) is never replaced. `LOOP_ENV=asyncio` (or `serve --loop
asyncio`) turns uvloop off, e.g. to compare or to rule it out when something misbehaves.
"""

from __future__ import annotations

import asyncio
import importlib
import os
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
LOOP_ENV = "WEBHOOK_INSPECTOR_LOOP"
CHOICES = ("auto", "uvloop", "asyncio")
"""auto: uvloop when installed; uvloop: required (an error when missing); asyncio: never."""


class LoopError(Exception):
    """The requested event loop cannot be used."""


def loop_choice(choice: str | None = None) -> str:
    """`choice`, else the LOOP_ENV variable, else "auto" (checked against CHOICES)."""
    value = (choice or os.environ.get(LOOP_ENV) or "auto").strip().lower()
    if value not in CHOICES:
        raise LoopError(f"unknown event loop {value!r}: use one of {', '.join(CHOICES)}")
    return value


def loop_factory(choice: str | None = None) -> Callable[[], asyncio.AbstractEventLoop]:
    """A function creating the event loop to run the capture service on."""
    wanted = loop_choice(choice)
    if wanted == "asyncio":
        return asyncio.new_event_loop
    try:
        uvloop = importlib.import_module("uvloop")
    except ImportError as exc:
        if wanted == "uvloop":
            raise LoopError("uvloop is not installed (pip install uvloop)") from exc
        return asyncio.new_event_loop
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def loop_name(loop: asyncio.AbstractEventLoop) -> str:
    """"uvloop" or "asyncio": what a loop is, for messages."""
    return "uvloop" if type(loop).__module__.startswith("uvloop") else "asyncio"


def run(coro: Coroutine[Any, Any, T], choice: str | None = None) -> T:
    """`asyncio.run(coro)` on the chosen loop."""
    try:
        factory = loop_factory(choice)
    except LoopError:
        coro.close()
        raise
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(coro)
