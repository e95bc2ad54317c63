"""The task reconciler (ARCHITECTURE.md, invariant 1).

Redis may lose every queued task at any moment. PostgreSQL still says which tasks each
running workflow is waiting on (``ExecutionState.pending_dispatch``), so a round reads every
running execution, a page at a time, and adds the tasks that were scheduled a while ago and
have not started to matching again. Matching's add is idempotent (a task still queued is not
queued twice), so re-adding a task that was not lost is harmless, and rounds need no
coordination between system-workers replicas.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import structlog

from odin_common.api.internal import DispatchTask
from odin_common.clock import Clock
from odin_common.errors import OdinError
from odin_common.tasks import raise_if_cancelled
from odin_system_workers.domain.reconcile import (
    ExecutionKey,
    RunningExecution,
    batches,
    pending_tasks,
)
from odin_system_workers.metrics import (
    RECONCILER_LAST_SUCCESS,
    RECONCILER_ROUNDS,
    RECONCILER_TASKS_REQUEUED,
)

log = structlog.get_logger("odin.system_workers.reconciler")


class RunningExecutionSource(Protocol):
    """Where running executions come from (the database; a list in unit tests)."""

    async def list_running(
        self, *, after: ExecutionKey | None, limit: int
    ) -> list[RunningExecution]: ...


class TaskSink(Protocol):
    """Where tasks are queued again (``MatchingClient``); returns how many were newly queued."""

    async def add_tasks(self, tasks: Sequence[DispatchTask]) -> int: ...


@dataclass(frozen=True, slots=True)
class RoundResult:
    scanned: int
    """Running executions read."""
    submitted: int
    """Tasks sent to matching (scheduled, not started, older than the minimum age)."""
    requeued: int
    """Tasks matching queued anew: those no queue held any more."""
    invalid: int
    """Running executions whose state could not be parsed (logged and skipped)."""


async def reconcile_round(
    source: RunningExecutionSource,
    sink: TaskSink,
    *,
    older_than: datetime,
    page_size: int,
    batch_size: int,
) -> RoundResult:
    """One pass over every running execution. Tasks go to matching as soon as a batch is
    full, so memory stays bounded by one page and one batch however large the table is."""
    after: ExecutionKey | None = None
    scanned = submitted = requeued = invalid = 0
    buffer: list[DispatchTask] = []

    async def send(tasks: list[DispatchTask]) -> None:
        nonlocal submitted, requeued
        added = await sink.add_tasks(tasks)
        submitted += len(tasks)
        requeued += added
        RECONCILER_TASKS_REQUEUED.inc(added)

    while True:
        page = await source.list_running(after=after, limit=page_size)
        scanned += len(page)
        found = pending_tasks(page, older_than)
        for key in found.invalid:
            log.error(
                "unreadable execution state; skipped",
                namespace_id=key.namespace_id,
                workflow_id=key.workflow_id,
                run_id=key.run_id,
            )
        invalid += len(found.invalid)
        buffer.extend(found.tasks)
        while len(buffer) >= batch_size:
            await send(buffer[:batch_size])
            del buffer[:batch_size]
        if len(page) < page_size:
            break
        after = page[-1].key
    for batch in batches(buffer, batch_size):
        await send(batch)
    return RoundResult(scanned=scanned, submitted=submitted, requeued=requeued, invalid=invalid)


class Reconciler:
    """Runs rounds: on a fixed cadence in the background, and on demand."""

    def __init__(
        self,
        source: RunningExecutionSource,
        sink: TaskSink,
        clock: Clock,
        *,
        interval: timedelta,
        min_age: timedelta,
        page_size: int,
        batch_size: int,
    ) -> None:
        self.source = source
        self.sink = sink
        self.clock = clock
        self.interval = interval
        self.min_age = min_age
        self.page_size = page_size
        self.batch_size = batch_size
        # A round on demand waits for a background round in progress instead of doubling it.
        self._lock = asyncio.Lock()

    async def run_round(self) -> RoundResult:
        """One round; raises what stopped it (the database or matching being down)."""
        async with self._lock:
            began = time.monotonic()
            now = self.clock.now()
            try:
                result = await reconcile_round(
                    self.source,
                    self.sink,
                    older_than=now - self.min_age,
                    page_size=self.page_size,
                    batch_size=self.batch_size,
                )
            except Exception:
                RECONCILER_ROUNDS.labels(outcome="error").inc()
                raise
            RECONCILER_ROUNDS.labels(outcome="ok").inc()
            RECONCILER_LAST_SUCCESS.set(self.clock.now().timestamp())
            log.info(
                "reconciler round",
                requeued=result.requeued,
                submitted=result.submitted,
                scanned=result.scanned,
                invalid=result.invalid,
                duration_ms=round((time.monotonic() - began) * 1000, 1),
            )
            return result

    async def run_forever(self) -> None:
        """Start a round every ``interval`` (at once when one took longer) until cancelled.
        A failed round is logged and the next one goes ahead: this loop never ends by itself."""
        loop = asyncio.get_running_loop()
        period = self.interval.total_seconds()
        while True:
            began = loop.time()
            try:
                await self.run_round()
            except OdinError as exc:
                raise_if_cancelled()
                log.warning("reconciler round failed; retrying next round", error=str(exc))
            except Exception:
                raise_if_cancelled()
                log.exception("reconciler round failed; retrying next round")
            await asyncio.sleep(max(0.0, began + period - loop.time()))
