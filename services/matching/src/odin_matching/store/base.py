"""The task store: where dispatch tasks wait for a poller.

Two implementations pass one contract suite: :class:`~odin_matching.store.redis_store.
RedisTaskStore` (Redis Streams, production) and :class:`~odin_matching.store.memory_store.
InMemoryTaskStore` (one process, ``odin dev``).

The life of a task: ``add`` queues it once per dedup key; ``take`` delivers it to one poll as
a :class:`Lease`; the poll then either ``ack``\\ s it (handed over, or stale) or ``requeue``\\ s
it (history unavailable, poller gone). A lease neither acked nor requeued (the process
crashed) is put back by ``reclaim`` once it has been idle long enough. ``withdraw`` takes a
task out whether it waits or is being handed over (a query nobody waits for any more).

Query answers meet their waiter through the store too (:class:`QueryRendezvous`): the worker's
answer may reach another matching process than the one that waits, so in production the
meeting point is Redis.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from odin_common.api.internal import DispatchKind, DispatchTask


@dataclass(frozen=True, slots=True)
class Lease:
    """A task delivered to one poll, until it is acked or requeued."""

    task: DispatchTask
    entry_id: str
    enqueued_at: float
    """When the task was first queued (epoch seconds; kept across requeues)."""
    request_id: str
    """What history is told identifies this delivery. Kept when the task is requeued, so a
    delivery history did record (its answer was lost) is answered again, not dropped."""


@dataclass(frozen=True, slots=True)
class PollerSeen:
    identity: str
    kind: DispatchKind
    last_access_time: datetime


@dataclass(frozen=True, slots=True)
class QueueStatus:
    """One (namespace, task queue, kind): what waits in it and who polled it lately."""

    backlog_count: int
    oldest_enqueued_at: float | None
    """Epoch seconds of the first task waiting for a poller; None when none waits."""
    pollers: list[PollerSeen]


ANSWER_TTL_SECONDS = 90.0
"""How long an answer waits in the store for the process that waits for it, and how long a
second answer to the same query is ignored. Longer than any query waits (60 s at most,
``QueryTaskRequest.timeout_seconds``), so a query never receives two answers."""


@dataclass(frozen=True, slots=True)
class QueryAnswer:
    """A worker's answer to a query: its result, or the reason it failed (``error`` set)."""

    result: Any = None
    error: str | None = None


class QueryRendezvous(Protocol):
    """Where the answer to a query meets the process waiting for it. Queries are identified
    by (namespace, query id)."""

    async def publish_answer(self, namespace: str, query_id: str, answer: QueryAnswer) -> bool:
        """Leave the answer for the query's waiter (now or later: it is kept for
        :data:`ANSWER_TTL_SECONDS`). Returns False, and changes nothing, when the query
        already had an answer."""
        ...

    async def wait_answer(
        self, namespace: str, query_id: str, timeout: float
    ) -> QueryAnswer | None:
        """Take the query's answer, waiting up to ``timeout`` seconds for it; None when none
        came (a store may return earlier than ``timeout``: callers loop until their
        deadline). Each answer is taken once."""
        ...


class TaskStore(QueryRendezvous, Protocol):
    async def add(self, tasks: Sequence[DispatchTask]) -> int:
        """Queue each task unless its ``dedup_key()`` is already queued; return how many were
        newly queued."""
        ...

    async def take(
        self,
        namespace: str,
        task_queue: str,
        kind: DispatchKind,
        consumer: str,
        timeout: float,
    ) -> Lease | None:
        """Wait up to ``timeout`` seconds for a task; None when none came. A ``timeout`` of
        0 only looks: it returns a task that is already waiting, without blocking."""
        ...

    async def ack(self, lease: Lease) -> None:
        """The task was handed over (or is stale): forget it."""
        ...

    async def requeue(self, lease: Lease) -> bool:
        """Put the task back at the tail of its queue. Returns False when it was not the
        queued copy any more (another process already requeued or delivered it)."""
        ...

    async def withdraw(self, task: DispatchTask) -> bool:
        """Take the task out of its queue, whether it waits for a poller or was delivered and
        not yet acked; a later ack or requeue of that delivery does nothing. Returns False
        when the task was not queued."""
        ...

    async def reclaim(self, idle_seconds: float) -> int:
        """Requeue tasks delivered more than ``idle_seconds`` ago and never acked or requeued
        (their process crashed); return how many."""
        ...

    async def describe(
        self, namespace: str, task_queue: str, kind: DispatchKind
    ) -> QueueStatus: ...

    async def record_poller(
        self, namespace: str, task_queue: str, kind: DispatchKind, identity: str
    ) -> None:
        """Remember that ``identity`` polled this queue now."""
        ...

    async def check_ready(self) -> dict[str, str]:
        """Named readiness checks; raises ``Unavailable`` when the store cannot serve."""
        ...

    async def close(self) -> None: ...
