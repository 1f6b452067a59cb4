from __future__ import annotations

import asyncio

from inspector.core.tasks import TaskGroup


async def test_spawned_tasks_are_kept_and_cancelled_on_close() -> None:
    group = TaskGroup()
    started = asyncio.Event()

    async def forever() -> None:
        started.set()
        await asyncio.sleep(3600)

    task = group.spawn(forever())
    await started.wait()
    assert len(group) == 1
    await group.close()
    assert task.cancelled()
    assert len(group) == 0


async def test_finished_tasks_are_released_and_errors_logged(caplog) -> None:
    group = TaskGroup()

    async def boom() -> None:
        raise RuntimeError("bad")

    task = group.spawn(boom(), name="boom")
    await asyncio.gather(task, return_exceptions=True)
    await asyncio.sleep(0)
    assert len(group) == 0
    assert "task boom failed" in caplog.text


async def test_wait_lets_every_task_finish_including_ones_started_meanwhile() -> None:
    group = TaskGroup()
    done: list[str] = []

    async def second() -> None:
        await asyncio.sleep(0.01)
        done.append("second")

    async def first() -> None:
        await asyncio.sleep(0.01)
        group.spawn(second())
        done.append("first")

    task = group.spawn(first())
    await group.wait()
    assert done == ["first", "second"]
    assert not task.cancelled()
    assert len(group) == 0
