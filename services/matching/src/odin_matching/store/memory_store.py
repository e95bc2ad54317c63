"""The in-process task store of the single-process mode (``odin dev``, no Redis).

Same semantics as the Redis store, with plain dicts and asyncio futures: a poll that finds its
queue empty parks a future, and ``add`` hands the next task straight to the longest-waiting
poll. Nothing survives the process, which is fine: PostgreSQL (or SQLite) is the source of
truth and the reconciler re-adds what history still expects to be dispatched. Query answers
meet their waiter the same way: a parked future, or the answer kept until it is taken.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import secrets
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from odin_common.api.internal import DispatchKind, DispatchTask
from odin_common.clock import Clock, SystemClock
from odin_matching.store.base import (
    ANSWER_TTL_SECONDS,
    Lease,
    PollerSeen,
    QueryAnswer,
    QueueStatus,
)

QueueId = tuple[str, str, str]
QueryKey = tuple[str, str]


@dataclass(slots=True)
class _Entry:
    entry_id: str
    task: DispatchTask
    dedup_key: str
    enqueued_at: float
    request_id: str

    def lease(self) -> Lease:
        return Lease(self.task, self.entry_id, self.enqueued_at, self.request_id)


@dataclass(slots=True)
class _Queue:
    ready: deque[_Entry] = field(default_factory=deque)
    waiters: deque[asyncio.Future[_Entry]] = field(default_factory=deque)
    pending: dict[str, tuple[_Entry, float]] = field(default_factory=dict)
    """Delivered, not yet acked or requeued: entry id -> (entry, monotonic delivery time)."""
    queued: dict[str, str] = field(default_factory=dict)
    """Dedup key -> id of the entry that holds the task (ready or pending)."""
    pollers: dict[str, datetime] = field(default_factory=dict)


class InMemoryTaskStore:
    """A :class:`~odin_matching.store.base.TaskStore` in this process's memory."""

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        poller_ttl_seconds: float = 300.0,
        answer_ttl_seconds: float = ANSWER_TTL_SECONDS,
    ) -> None:
        self._clock = clock or SystemClock()
        self._poller_ttl = timedelta(seconds=poller_ttl_seconds)
        self._answer_ttl = answer_ttl_seconds
        self._queues: dict[QueueId, _Queue] = {}
        self._answers: dict[QueryKey, QueryAnswer] = {}
        """Answers published while nobody waited: kept until taken or forgotten."""
        self._answer_waiters: dict[QueryKey, deque[asyncio.Future[QueryAnswer]]] = {}
        self._answered: dict[QueryKey, float] = {}
        """Queries that had their answer -> when that is forgotten (monotonic). The TTL is
        the same for all, so insertion order is expiry order."""
        self._ids = itertools.count(1)
        # Entry ids double as history request ids: make them unique across restarts.
        self._boot = secrets.token_hex(4)

    def _queue(self, namespace: str, task_queue: str, kind: str) -> _Queue:
        key = (namespace, task_queue, kind)
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = _Queue()
        return queue

    def _new_entry(
        self, task: DispatchTask, dedup_key: str, enqueued_at: float, request_id: str | None
    ) -> _Entry:
        entry_id = f"{self._boot}-{next(self._ids)}"
        return _Entry(entry_id, task, dedup_key, enqueued_at, request_id or entry_id)

    @staticmethod
    def _offer(queue: _Queue, entry: _Entry) -> None:
        """Hand ``entry`` to the longest-waiting poll, or keep it ready for the next one."""
        queue.queued[entry.dedup_key] = entry.entry_id
        while queue.waiters:
            waiter = queue.waiters.popleft()
            if not waiter.done():
                queue.pending[entry.entry_id] = (entry, time.monotonic())
                waiter.set_result(entry)
                return
        queue.ready.append(entry)

    async def add(self, tasks: Sequence[DispatchTask]) -> int:
        now = self._clock.now().timestamp()
        added = 0
        for task in tasks:
            queue = self._queue(task.namespace, task.task_queue, task.kind)
            dedup_key = task.dedup_key()
            if dedup_key in queue.queued:
                continue
            self._offer(queue, self._new_entry(task, dedup_key, now, None))
            added += 1
        return added

    async def take(
        self,
        namespace: str,
        task_queue: str,
        kind: DispatchKind,
        consumer: str,
        timeout: float,
    ) -> Lease | None:
        queue = self._queue(namespace, task_queue, kind)
        if queue.ready:
            entry = queue.ready.popleft()
            queue.pending[entry.entry_id] = (entry, time.monotonic())
            return entry.lease()
        if timeout <= 0:
            return None
        waiter: asyncio.Future[_Entry] = asyncio.get_running_loop().create_future()
        queue.waiters.append(waiter)
        try:
            async with asyncio.timeout(timeout):
                return (await waiter).lease()
        except TimeoutError:
            # The task may have been handed to us just as the timeout fired.
            if waiter.done() and not waiter.cancelled():
                return waiter.result().lease()
            return None
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._requeue_entry(queue, waiter.result())
            raise
        finally:
            if not waiter.done():
                waiter.cancel()
            with contextlib.suppress(ValueError):
                queue.waiters.remove(waiter)

    async def ack(self, lease: Lease) -> None:
        queue = self._queue(lease.task.namespace, lease.task.task_queue, lease.task.kind)
        queue.pending.pop(lease.entry_id, None)
        dedup_key = lease.task.dedup_key()
        if queue.queued.get(dedup_key) == lease.entry_id:
            del queue.queued[dedup_key]

    async def requeue(self, lease: Lease) -> bool:
        queue = self._queue(lease.task.namespace, lease.task.task_queue, lease.task.kind)
        queue.pending.pop(lease.entry_id, None)
        dedup_key = lease.task.dedup_key()
        if queue.queued.get(dedup_key) != lease.entry_id:
            return False
        self._offer(
            queue, self._new_entry(lease.task, dedup_key, lease.enqueued_at, lease.request_id)
        )
        return True

    def _requeue_entry(self, queue: _Queue, entry: _Entry) -> bool:
        queue.pending.pop(entry.entry_id, None)
        if queue.queued.get(entry.dedup_key) != entry.entry_id:
            return False
        fresh = self._new_entry(entry.task, entry.dedup_key, entry.enqueued_at, entry.request_id)
        self._offer(queue, fresh)
        return True

    async def withdraw(self, task: DispatchTask) -> bool:
        queue = self._queue(task.namespace, task.task_queue, task.kind)
        entry_id = queue.queued.pop(task.dedup_key(), None)
        if entry_id is None:
            return False
        queue.pending.pop(entry_id, None)
        for entry in queue.ready:
            if entry.entry_id == entry_id:
                queue.ready.remove(entry)
                break
        return True

    async def reclaim(self, idle_seconds: float) -> int:
        cutoff = time.monotonic() - idle_seconds
        reclaimed = 0
        for queue in list(self._queues.values()):
            stale = [entry for entry, delivered in queue.pending.values() if delivered <= cutoff]
            for entry in stale:
                if self._requeue_entry(queue, entry):
                    reclaimed += 1
        return reclaimed

    async def describe(self, namespace: str, task_queue: str, kind: DispatchKind) -> QueueStatus:
        queue = self._queue(namespace, task_queue, kind)
        cutoff = self._clock.now() - self._poller_ttl
        for identity in [i for i, seen in queue.pollers.items() if seen < cutoff]:
            del queue.pollers[identity]
        pollers = [
            PollerSeen(identity, kind, seen)
            for identity, seen in sorted(
                queue.pollers.items(), key=lambda item: item[1], reverse=True
            )
        ]
        oldest = queue.ready[0].enqueued_at if queue.ready else None
        return QueueStatus(len(queue.ready), oldest, pollers)

    async def record_poller(
        self, namespace: str, task_queue: str, kind: DispatchKind, identity: str
    ) -> None:
        self._queue(namespace, task_queue, kind).pollers[identity] = self._clock.now()

    # -- query answers -------------------------------------------------------------------

    def _forget_expired_answers(self) -> None:
        now = time.monotonic()
        while self._answered:
            key, until = next(iter(self._answered.items()))
            if until > now:
                return
            del self._answered[key]
            self._answers.pop(key, None)

    def _deliver(self, key: QueryKey, answer: QueryAnswer) -> None:
        """Hand ``answer`` to the longest-waiting waiter, or keep it for the next one."""
        waiters = self._answer_waiters.get(key)
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(answer)
                return
        self._answers[key] = answer

    async def publish_answer(self, namespace: str, query_id: str, answer: QueryAnswer) -> bool:
        self._forget_expired_answers()
        key = (namespace, query_id)
        if key in self._answered:
            return False
        self._answered[key] = time.monotonic() + self._answer_ttl
        self._deliver(key, answer)
        return True

    async def wait_answer(
        self, namespace: str, query_id: str, timeout: float
    ) -> QueryAnswer | None:
        self._forget_expired_answers()
        key = (namespace, query_id)
        kept = self._answers.pop(key, None)
        if kept is not None or timeout <= 0:
            return kept
        waiter: asyncio.Future[QueryAnswer] = asyncio.get_running_loop().create_future()
        waiters = self._answer_waiters.setdefault(key, deque())
        waiters.append(waiter)
        try:
            async with asyncio.timeout(timeout):
                return await waiter
        except TimeoutError:
            # The answer may have come just as the timeout fired.
            if waiter.done() and not waiter.cancelled():
                return waiter.result()
            return None
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._deliver(key, waiter.result())  # not lost: the next wait takes it
            raise
        finally:
            if not waiter.done():
                waiter.cancel()
            with contextlib.suppress(ValueError):
                waiters.remove(waiter)
            if not waiters and self._answer_waiters.get(key) is waiters:
                del self._answer_waiters[key]

    async def check_ready(self) -> dict[str, str]:
        return {"task_store": "in-memory"}

    async def close(self) -> None:
        for queue in self._queues.values():
            for waiter in queue.waiters:
                waiter.cancel()
        self._queues.clear()
        for answer_waiters in self._answer_waiters.values():
            for answer_waiter in answer_waiters:
                answer_waiter.cancel()
        self._answer_waiters.clear()
        self._answers.clear()
        self._answered.clear()
