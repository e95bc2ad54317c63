"""The transfer queue processor: pushes committed transfer tasks (the outbox) to matching,
then deletes them. Tasks arrive from this process's own commits at once; a periodic scan
picks up what an earlier process left behind (crash between commit and push) or what failed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import structlog
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine

from odin_common.api.internal import DispatchTask
from odin_common.clients import MatchingClient
from odin_common.clock import Clock
from odin_common.db.engine import read_connection
from odin_common.errors import OdinError
from odin_common.tasks import raise_if_cancelled, stop_tasks
from odin_history.domain.machine import TransferTask
from odin_history.engine.shards import ShardController
from odin_history.store import tasks as store

log = structlog.get_logger("odin.history.transfer")

TaskKey = tuple[int, int]
TaskHandler = Callable[[str, dict[str, Any]], Awaitable[None]]
"""Does one non-dispatch transfer task (cross-workflow work); raises to be retried."""


CROSS_WORKFLOW_CONCURRENCY = 64
"""Cross-workflow transfer tasks (child starts, signals, ...) carried out at once."""


def _permanent(exc: Exception) -> bool:
    """A refusal that repeating the same request cannot change (bad input, not found)."""
    if isinstance(exc, ValidationError):
        return True
    return isinstance(exc, OdinError) and 400 <= exc.status < 500 and exc.status not in {408, 429}


class TransferProcessor:
    def __init__(
        self,
        engine: AsyncEngine,
        matching: MatchingClient,
        shards: ShardController,
        clock: Clock,
        *,
        handle: TaskHandler | None = None,
        workers: int = 4,
        batch_size: int = 200,
        scan_interval: float = 5.0,
    ) -> None:
        self.engine = engine
        self.matching = matching
        self.shards = shards
        self.clock = clock
        self.handle = handle
        self.workers = workers
        self.batch_size = batch_size
        self.scan_interval = scan_interval
        self._queue: asyncio.Queue[tuple[int, TransferTask]] = asyncio.Queue()
        self._inflight: set[TaskKey] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._background: set[asyncio.Task[None]] = set()
        self._cross_workflow_slots = asyncio.Semaphore(CROSS_WORKFLOW_CONCURRENCY)

    def submit(self, shard_id: int, tasks: list[TransferTask]) -> None:
        for task in tasks:
            key = (shard_id, task.task_id)
            if key not in self._inflight:
                self._inflight.add(key)
                self._queue.put_nowait((shard_id, task))

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._worker(), name=f"transfer-{i}") for i in range(self.workers)
        ]
        self._tasks.append(asyncio.create_task(self._scanner(), name="transfer-scan"))

    async def stop(self) -> None:
        await stop_tasks(*self._tasks, *self._background)
        self._tasks = []

    def scan_now(self) -> None:
        """Look for leftover tasks soon (after shards were acquired)."""
        self._tasks.append(asyncio.create_task(self._scan_once(age=0.0), name="transfer-scan-now"))
        self._tasks = [t for t in self._tasks if not t.done()]

    async def _worker(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self.batch_size and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            await self._process(batch)

    async def _process(self, batch: list[tuple[int, TransferTask]]) -> None:
        dispatch = [(s, t) for s, t in batch if t.task_type == "dispatch"]
        others = [(s, t) for s, t in batch if t.task_type != "dispatch"]
        for item in others:  # each on its own: one that keeps failing holds up nothing else
            task = asyncio.create_task(self._other(item), name="transfer-cross-workflow")
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        await self._retrying(dispatch, self._push_dispatch)

    async def _other(self, item: tuple[int, TransferTask]) -> None:
        async with self._cross_workflow_slots:
            await self._retrying([item], self._run_other)

    async def _push_dispatch(self, tasks: list[tuple[int, TransferTask]]) -> None:
        await self.matching.add_tasks([DispatchTask.model_validate(t.payload) for _, t in tasks])

    async def _run_other(self, tasks: list[tuple[int, TransferTask]]) -> None:
        assert self.handle is not None, "no handler for cross-workflow transfer tasks"
        for _, task in tasks:
            try:
                await self.handle(task.task_type, task.payload)
            except Exception as exc:
                raise_if_cancelled()
                if not _permanent(exc):
                    raise
                # The peer refused the request itself: repeating it cannot help. (Refusals
                # the source workflow must hear about are reported by the handlers.)
                log.error(
                    "transfer task refused for good; dropped",
                    task_type=task.task_type,
                    task_id=task.task_id,
                    workflow_id=task.payload.get("workflow_id"),
                    error=repr(exc),
                )

    async def _retrying(
        self,
        batch: list[tuple[int, TransferTask]],
        work: Callable[[list[tuple[int, TransferTask]]], Awaitable[None]],
    ) -> None:
        """Do ``work`` until it succeeds (or the shard is lost), then delete the rows."""
        delay = 0.05
        while batch:
            owned = [(s, t) for s, t in batch if s in self.shards.owned]
            for shard_id, task in batch:
                if shard_id not in self.shards.owned:
                    self._inflight.discard((shard_id, task.task_id))
            if not owned:
                return
            try:
                await work(owned)
                async with self.engine.begin() as conn:
                    await store.delete_transfer_tasks(conn, [(s, t.task_id) for s, t in owned])
            except Exception as exc:  # a peer or the database is down: retry
                raise_if_cancelled()
                log.warning("transfer tasks failed; retrying", error=repr(exc), size=len(owned))
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                batch = owned
                continue
            for shard_id, task in owned:
                self._inflight.discard((shard_id, task.task_id))
            return

    async def _scanner(self) -> None:
        while True:
            await asyncio.sleep(self.scan_interval)
            await self._scan_once(age=self.scan_interval)

    async def _scan_once(self, *, age: float) -> None:
        try:
            before = self.clock.now() - timedelta(seconds=age)
            async with read_connection(self.engine) as conn:
                rows = await store.list_transfer_tasks(
                    conn, sorted(self.shards.owned), created_before=before, limit=5000
                )
        except Exception as exc:
            raise_if_cancelled()
            log.warning("transfer scan failed", error=repr(exc))
            return
        by_shard: dict[int, list[TransferTask]] = {}
        for shard_id, task_id, task_type, payload in rows:
            by_shard.setdefault(shard_id, []).append(TransferTask(task_id, task_type, payload))
        for shard_id, tasks in by_shard.items():
            self.submit(shard_id, tasks)
