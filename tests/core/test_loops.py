"""Which event loop the capture service runs on (core.loops)."""

from __future__ import annotations

import asyncio
import importlib.util

import pytest

from inspector.core import loops

HAVE_UVLOOP = importlib.util.find_spec("uvloop") is not None


async def running_loop_name() -> str:
    return loops.loop_name(asyncio.get_running_loop())


@pytest.mark.skipif(not HAVE_UVLOOP, reason="uvloop is not installed here")
def test_uvloop_is_the_default_where_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(loops.LOOP_ENV, raising=False)
    assert loops.run(running_loop_name()) == "uvloop"
    assert loops.run(running_loop_name(), "uvloop") == "uvloop"


def test_asyncio_by_option_or_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert loops.run(running_loop_name(), "asyncio") == "asyncio"
    monkeypatch.setenv(loops.LOOP_ENV, "asyncio")
    assert loops.run(running_loop_name()) == "asyncio"


def test_without_uvloop_auto_falls_back_and_uvloop_is_an_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(loops.LOOP_ENV, raising=False)
    real_import = loops.importlib.import_module

    def no_uvloop(name: str) -> object:
        if name == "uvloop":
            raise ImportError(name)
        return real_import(name)

    monkeypatch.setattr(loops.importlib, "import_module", no_uvloop)
    assert loops.run(running_loop_name()) == "asyncio"
    with pytest.raises(loops.LoopError, match="not installed"):
        loops.run(running_loop_name(), "uvloop")


def test_an_unknown_loop_is_refused_in_plain_words(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(loops.LOOP_ENV, "tokio")
    with pytest.raises(loops.LoopError, match="unknown event loop 'tokio'"):
        loops.run(running_loop_name())
