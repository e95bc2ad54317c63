"""The reconciler's round and loop, against an in-memory table and a fake matching (no I/O)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import REGISTRY

from odin_common.api.internal import DispatchTask
from odin_common.clock import ManualClock
from odin_common.errors import Unavailable
from odin_common.state import ExecutionState
from odin_common.testing import assert_eventually
from odin_system_workers.domain.reconcile import ExecutionKey, RunningExecution, batches
from odin_system_workers.usecases.reconcile import Reconciler, reconcile_round

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
MIN_AGE = timedelta(seconds=5)


class MemoryExecutions:
    """The ``executions`` table as a list: keyset pages of running rows, in key order."""

    def __init__(self, rows: Sequence[ExecutionState | tuple[ExecutionKey, str, object]]) -> None:
        self.rows: list[tuple[ExecutionKey, str, object]] = []
        for row in rows:
            if isinstance(row, ExecutionState):
                self.add(row)
            else:
                self.rows.append(row)
        self.rows.sort(key=lambda r: r[0])
        self.calls: list[tuple[ExecutionKey | None, int]] = []
        self.failures = 0

    def add(self, state: ExecutionState) -> None:
        key = ExecutionKey(state.namespace_id, state.workflow_id, state.run_id)
        self.rows.append((key, state.status, state.model_dump(mode="json")))
        self.rows.sort(key=lambda r: r[0])

    async def list_running(
        self, *, after: ExecutionKey | None, limit: int
    ) -> list[RunningExecution]:
        self.calls.append((after, limit))
        if self.failures:
            self.failures -= 1
            raise Unavailable("cannot read running executions: connection refused")
        out = [
            RunningExecution(key, state)
            for key, status, state in self.rows
            if status == "running" and (after is None or key > after)
        ]
        return out[:limit]


class FakeMatching:
    """Records every add; like matching, a task already queued is not queued (or counted) twice."""

    def __init__(self) -> None:
        self.batches: list[list[DispatchTask]] = []
        self.queued: set[str] = set()
        self.failures = 0
        self.failure: Exception = Unavailable("matching is down")

    async def add_tasks(self, tasks: Sequence[DispatchTask]) -> int:
        if self.failures:
            self.failures -= 1
            raise self.failure
        self.batches.append(list(tasks))
        new = {t.dedup_key() for t in tasks} - self.queued
        self.queued |= new
        return len(new)

    @property
    def sent(self) -> list[DispatchTask]:
        return [task for batch in self.batches for task in batch]


def make_reconciler(
    source: MemoryExecutions,
    sink: FakeMatching,
    *,
    page_size: int = 100,
    batch_size: int = 100,
    interval: timedelta = timedelta(seconds=10),
    clock: ManualClock | None = None,
) -> Reconciler:
    return Reconciler(
        source,
        sink,
        clock or ManualClock(NOW),
        interval=interval,
        min_age=MIN_AGE,
        page_size=page_size,
        batch_size=batch_size,
    )


def lost_runs(states, count: int) -> list[ExecutionState]:
    return [states.workflow_task(states.run(f"wf-{i:03d}")) for i in range(count)]


async def test_a_round_requeues_exactly_the_lost_tasks(states) -> None:
    rows, expected = states.six_situations()
    sink = FakeMatching()

    result = await reconcile_round(
        MemoryExecutions(rows), sink, older_than=NOW - MIN_AGE, page_size=100, batch_size=100
    )

    assert {task.dedup_key() for task in sink.sent} == expected
    assert len(sink.sent) == 2
    assert result.requeued == 2
    assert result.submitted == 2
    assert result.scanned == 5  # the closed run is not read
    assert result.invalid == 0


async def test_the_minimum_age_decides_when_a_task_counts_as_lost(states) -> None:
    young = states.workflow_task(states.run("wf-young"), age=timedelta(seconds=1))
    sink = FakeMatching()
    clock = ManualClock(NOW)
    reconciler = make_reconciler(MemoryExecutions([young]), sink, clock=clock)

    assert (await reconciler.run_round()).requeued == 0
    clock.advance(timedelta(seconds=4))
    assert (await reconciler.run_round()).requeued == 1
    assert [t.workflow_id for t in sink.sent] == ["wf-young"]


async def test_pages_follow_the_key_and_batches_stay_small(states) -> None:
    rows = lost_runs(states, 7)
    closed = [
        states.workflow_task(states.run(f"wf-{i:03d}-closed", status="completed")) for i in range(4)
    ]
    source = MemoryExecutions(rows + closed)
    sink = FakeMatching()

    result = await reconcile_round(
        source, sink, older_than=NOW - MIN_AGE, page_size=3, batch_size=2
    )

    keys = [ExecutionKey(r.namespace_id, r.workflow_id, r.run_id) for r in rows]
    assert source.calls == [(None, 3), (keys[2], 3), (keys[5], 3)]
    assert sorted(t.workflow_id for t in sink.sent) == [r.workflow_id for r in rows]
    assert all(len(batch) <= 2 for batch in sink.batches)
    assert (result.scanned, result.submitted, result.requeued) == (7, 7, 7)


async def test_a_full_last_page_is_followed_by_an_empty_one(states) -> None:
    source = MemoryExecutions(lost_runs(states, 6))
    sink = FakeMatching()

    result = await reconcile_round(
        source, sink, older_than=NOW - MIN_AGE, page_size=3, batch_size=10
    )

    assert len(source.calls) == 3
    assert result.scanned == 6
    assert len(sink.sent) == 6


async def test_requeued_counts_only_what_matching_did_not_hold(states) -> None:
    rows, _ = states.six_situations()
    sink = FakeMatching()
    reconciler = make_reconciler(MemoryExecutions(rows), sink)

    first = await reconciler.run_round()
    second = await reconciler.run_round()

    assert (first.submitted, first.requeued) == (2, 2)
    assert (second.submitted, second.requeued) == (2, 0)


async def test_an_unreadable_state_is_skipped_and_the_others_are_reconciled(states) -> None:
    bad = (ExecutionKey("ns", "wf-000-bad", "r1"), "running", {"status": "running"})
    source = MemoryExecutions([*lost_runs(states, 2), bad])
    sink = FakeMatching()

    result = await reconcile_round(
        source, sink, older_than=NOW - MIN_AGE, page_size=100, batch_size=100
    )

    assert result.invalid == 1
    assert result.scanned == 3
    assert sorted(t.workflow_id for t in sink.sent) == ["wf-000", "wf-001"]


async def test_a_failed_round_raises_and_does_not_count_as_success(states) -> None:
    source = MemoryExecutions(lost_runs(states, 1))
    sink = FakeMatching()
    clock = ManualClock(NOW)
    reconciler = make_reconciler(source, sink, clock=clock)
    await reconciler.run_round()
    last_ok = REGISTRY.get_sample_value("reconciler_last_success_timestamp_seconds")
    assert last_ok == NOW.timestamp()
    errors_before = _sample("reconciler_rounds_total", {"outcome": "error"})

    clock.advance(timedelta(minutes=1))
    sink.failures = 1
    with pytest.raises(Unavailable):
        await reconciler.run_round()

    assert REGISTRY.get_sample_value("reconciler_last_success_timestamp_seconds") == last_ok
    assert _sample("reconciler_rounds_total", {"outcome": "error"}) == errors_before + 1


async def test_the_requeued_counter_grows_by_what_matching_added(states) -> None:
    before = _sample("reconciler_tasks_requeued_total")
    reconciler = make_reconciler(MemoryExecutions(lost_runs(states, 3)), FakeMatching())

    await reconciler.run_round()
    await reconciler.run_round()

    assert _sample("reconciler_tasks_requeued_total") == before + 3


async def test_the_loop_survives_database_and_matching_outages(states) -> None:
    source = MemoryExecutions(lost_runs(states, 2))
    source.failures = 1  # round 1: the database is down
    sink = FakeMatching()
    sink.failures = 1  # round 2: matching is down
    sink.failure = RuntimeError("something unexpected")
    reconciler = make_reconciler(source, sink, interval=timedelta(milliseconds=10))

    loop = asyncio.create_task(reconciler.run_forever())
    try:

        def requeued() -> None:
            assert sorted(t.workflow_id for t in sink.sent) == ["wf-000", "wf-001"]

        await assert_eventually(requeued)
        assert len(source.calls) >= 3
        # It keeps going after recovering: a task lost later is found by a later round.
        late = states.workflow_task(states.run("wf-late", namespace_id="zz-later"))
        source.add(late)
        await assert_eventually(lambda: _assert_in("wf-late", sink))
        assert not loop.done()
    finally:
        loop.cancel()
        with pytest.raises(asyncio.CancelledError):
            await loop


def _assert_in(workflow_id: str, sink: FakeMatching) -> None:
    assert workflow_id in {t.workflow_id for t in sink.sent}


def _sample(name: str, labels: dict[str, str] | None = None) -> float:
    return REGISTRY.get_sample_value(name, labels or {}) or 0.0


def test_batches_split_in_order() -> None:
    tasks = [
        DispatchTask(
            namespace="default",
            task_queue="q",
            kind="workflow",
            workflow_id=f"w{i}",
            run_id="r",
            scheduled_event_id=2,
            attempt=1,
        )
        for i in range(5)
    ]
    assert [[t.workflow_id for t in b] for b in batches(tasks, 2)] == [
        ["w0", "w1"],
        ["w2", "w3"],
        ["w4"],
    ]
    with pytest.raises(ValueError):
        list(batches(tasks, 0))
