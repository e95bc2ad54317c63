"""Background tasks stop even when a library swallows their cancellation."""

from __future__ import annotations

import asyncio

import pytest

from odin_common import tasks
from odin_common.tasks import cancel_requested, raise_if_cancelled, stop_tasks


async def _swallowing_loop(rounds: list[str]) -> None:
    """A periodic loop whose step turns a cancellation into an ordinary error, as a driver
    racing its own timeout can, and which logs-and-continues on ordinary errors."""
    while True:
        try:
            try:
                await asyncio.sleep(0.01)
            except asyncio.CancelledError:
                raise TimeoutError("the driver's timeout won the race") from None
        except Exception:
            rounds.append("failed")
            if len(rounds) > 1:
                raise_if_cancelled()


async def test_stop_tasks_cancels_again_until_a_swallowing_task_ends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tasks, "RECANCEL_SECONDS", 0.05)
    rounds: list[str] = []
    task = asyncio.create_task(_swallowing_loop(rounds))
    await asyncio.sleep(0.02)
    await asyncio.wait_for(stop_tasks(task), 5)
    assert task.cancelled()
    assert rounds  # the first cancellation really was swallowed


async def test_stop_tasks_accepts_none_finished_and_failed_tasks() -> None:
    async def fail() -> None:
        raise RuntimeError("boom")

    failed = asyncio.create_task(fail())
    finished = asyncio.create_task(asyncio.sleep(0))
    await asyncio.sleep(0.01)
    await stop_tasks(None, failed, finished)  # nothing raised, nothing left unretrieved
    assert failed.done()
    assert finished.done()


async def test_cancel_requested_sees_a_pending_cancellation() -> None:
    seen: list[bool] = []

    async def body() -> None:
        seen.append(cancel_requested())
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            seen.append(cancel_requested())
            raise

    task = asyncio.create_task(body())
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert seen == [False, True]
