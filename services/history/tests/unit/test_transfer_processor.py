"""The transfer processor: a cross-workflow task that keeps failing holds up nothing else,
and one its peer refuses for good is dropped instead of being retried forever."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from types import SimpleNamespace
from typing import Any

import pytest

from odin_common.clock import SystemClock
from odin_common.errors import InvalidArgument, Unavailable
from odin_common.testing import assert_eventually
from odin_history.domain.machine import TransferTask
from odin_history.engine import transfer
from odin_history.engine.transfer import TransferProcessor


class _Engine:
    @contextlib.asynccontextmanager
    async def begin(self) -> AsyncIterator[None]:
        yield None


class _Matching:
    def __init__(self) -> None:
        self.pushed: list[str] = []

    async def add_tasks(self, tasks: Sequence[Any]) -> None:
        self.pushed.extend(t.workflow_id for t in tasks)


def _dispatch(workflow_id: str) -> dict[str, Any]:
    return {
        "namespace": "default",
        "task_queue": "q",
        "kind": "workflow",
        "workflow_id": workflow_id,
        "run_id": "r",
        "scheduled_event_id": 2,
        "attempt": 1,
    }


async def test_a_failing_cross_workflow_task_blocks_nothing_and_a_refused_one_is_dropped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    deleted: list[int] = []

    async def delete(_: object, keys: Sequence[tuple[int, int]]) -> None:
        deleted.extend(task_id for _, task_id in keys)

    monkeypatch.setattr(transfer.store, "delete_transfer_tasks", delete)
    handled: list[str] = []
    flaky_calls = 0

    async def handle(task_type: str, payload: dict[str, Any]) -> None:
        nonlocal flaky_calls
        if payload["workflow_id"] == "flaky":
            flaky_calls += 1
            raise Unavailable("peer down")
        if payload["workflow_id"] == "refused":
            raise InvalidArgument("never valid")
        handled.append(payload["workflow_id"])

    matching = _Matching()
    processor = TransferProcessor(
        _Engine(),  # type: ignore[arg-type]
        matching,  # type: ignore[arg-type]
        SimpleNamespace(owned={0}),  # type: ignore[arg-type]
        SystemClock(),
        handle=handle,
        workers=1,
        scan_interval=3600,
    )
    processor.start()
    try:
        processor.submit(0, [TransferTask(1, "signal_external", {"workflow_id": "flaky"})])
        processor.submit(0, [TransferTask(2, "signal_external", {"workflow_id": "refused"})])
        await asyncio.sleep(0.05)  # the single worker has taken the first two
        processor.submit(
            0,
            [
                TransferTask(3, "dispatch", _dispatch("wf-a")),
                TransferTask(4, "signal_external", {"workflow_id": "fine"}),
            ],
        )

        def progressed() -> None:
            assert matching.pushed == ["wf-a"]
            assert handled == ["fine"]
            assert sorted(deleted) == [2, 3, 4]  # the refused one dropped, not retried
            assert flaky_calls >= 2  # still being retried, on its own

        await assert_eventually(progressed, timeout=10)
    finally:
        await asyncio.wait_for(processor.stop(), 10)
    assert 1 not in deleted
