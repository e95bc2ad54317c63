"""The timer queue processor: fires timer tasks when they are due.

Timers due within a look-ahead window are kept in a heap (loaded from ``timer_tasks`` for the
owned shards, plus every timer this process commits); each due timer is handed to the fire
function (a use case that applies it to its workflow) and then deleted. A timer that fails to
fire is retried after a short delay, so a timer survives any crash: it stays in the table
until it has been applied.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from odin_common.clock import Clock
from odin_common.db.engine import read_connection
from odin_common.tasks import raise_if_cancelled, stop_tasks
from odin_history.engine.shards import ShardController
from odin_history.store import tasks as store

LOAD_LIMIT = 10_000
"""Timers read from the table at a time."""
BACKLOG_RELOAD = timedelta(seconds=1)
"""When a read hit the limit, the next one comes this soon (not after half the lookahead)."""

log = structlog.get_logger("odin.history.timers")

TimerKey = tuple[int, int]
"""(shard_id, task_id)"""


@dataclass(order=True, slots=True)
class DueTimer:
    fire_at: datetime
    shard_id: int
    task_id: int
    row: dict[str, Any] = field(compare=False)


FireFn = Callable[[dict[str, Any]], Awaitable[None]]


class TimerProcessor:
    def __init__(
        self,
        engine: AsyncEngine,
        shards: ShardController,
        clock: Clock,
        fire: FireFn,
        *,
        lookahead: float = 30.0,
        concurrency: int = 32,
    ) -> None:
        self.engine = engine
        self.shards = shards
        self.clock = clock
        self.fire = fire
        self.lookahead = timedelta(seconds=lookahead)
        self._heap: list[DueTimer] = []
        self._known: set[TimerKey] = set()
        self._cancelled: set[TimerKey] = set()
        self._horizon: datetime | None = None
        self._next_load: datetime | None = None
        self._wake = asyncio.Event()
        self._semaphore = asyncio.Semaphore(concurrency)
        self._running: set[asyncio.Task[None]] = set()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="timer-queue")

    async def stop(self) -> None:
        await stop_tasks(self._task, *self._running)

    def reload_soon(self) -> None:
        """Reload from the table (after shards were acquired)."""
        self._next_load = None
        self._wake.set()

    def submit(self, rows: list[dict[str, Any]]) -> None:
        """Timers this process just committed."""
        pushed = False
        for row in rows:
            key = (row["shard_id"], row["task_id"])
            if key in self._known:
                continue
            # Volatile timers exist only here: they are kept whatever the horizon.
            if row.get("volatile") or (
                self._horizon is not None and row["fire_at"] <= self._horizon
            ):
                self._known.add(key)
                heapq.heappush(self._heap, DueTimer(row["fire_at"], key[0], key[1], row))
                pushed = True
        if pushed:
            self._wake.set()

    def cancel(self, keys: list[TimerKey]) -> None:
        """Timers deleted by a commit (what they guarded was resolved)."""
        for key in keys:
            if key in self._known:
                self._cancelled.add(key)

    async def _load(self, now: datetime) -> None:
        horizon = now + self.lookahead
        async with read_connection(self.engine) as conn:
            rows = await store.list_due_timers(
                conn, sorted(self.shards.owned), before=horizon, limit=LOAD_LIMIT
            )
        full = len(rows) == LOAD_LIMIT
        if full:  # a backlog: take what was read, come back for the rest soon
            horizon = rows[-1]["fire_at"]
        for row in rows:
            key = (row["shard_id"], row["task_id"])
            if key not in self._known and row["fire_at"] <= horizon:
                self._known.add(key)
                heapq.heappush(self._heap, DueTimer(row["fire_at"], key[0], key[1], row))
        self._horizon = horizon
        self._next_load = now + (BACKLOG_RELOAD if full else self.lookahead / 2)

    async def _loop(self) -> None:
        while True:
            now = self.clock.now()
            if self._next_load is None or now >= self._next_load:
                try:
                    await self._load(now)
                except Exception as exc:
                    raise_if_cancelled()
                    log.warning("loading timers failed", error=repr(exc))
                    self._next_load = now + timedelta(seconds=1)
            while self._heap and self._heap[0].fire_at <= now:
                due = heapq.heappop(self._heap)
                key = (due.shard_id, due.task_id)
                if key in self._cancelled or due.shard_id not in self.shards.owned:
                    self._cancelled.discard(key)
                    self._known.discard(key)
                    continue
                await self._semaphore.acquire()
                task = asyncio.create_task(self._fire(due), name="timer-fire")
                self._running.add(task)
                task.add_done_callback(self._running.discard)
            wait = 1.0
            if self._heap:
                wait = min(wait, (self._heap[0].fire_at - self.clock.now()).total_seconds())
            if self._next_load is not None:
                wait = min(wait, (self._next_load - self.clock.now()).total_seconds())
            self._wake.clear()
            if wait > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), wait)

    async def _fire(self, due: DueTimer) -> None:
        key = (due.shard_id, due.task_id)
        try:
            await self.fire(due.row)
            if not due.row.get("volatile"):
                async with self.engine.begin() as conn:
                    await store.delete_timer_tasks(conn, [(due.shard_id, due.fire_at, due.task_id)])
            self._known.discard(key)
            self._cancelled.discard(key)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("firing a timer failed; retrying", error=repr(exc), task_id=due.task_id)
            retry = DueTimer(
                self.clock.now() + timedelta(seconds=1), due.shard_id, due.task_id, due.row
            )
            heapq.heappush(self._heap, retry)
            self._wake.set()
        finally:
            self._semaphore.release()
