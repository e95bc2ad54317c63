"""What the use cases of one matching process share (built once, in the app's lifespan)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from odin_common.api.internal import BuildQueryTaskRequest, RecordTaskStartedRequest
from odin_common.clients import PeerResponse
from odin_common.clock import Clock
from odin_matching.store.base import TaskStore

DisconnectCheck = Callable[[], Awaitable[bool]]
"""Whether the caller of a long request (a poll, a query) went away."""


async def never_disconnected() -> bool:
    return False


class HistoryPeer(Protocol):
    """The calls matching makes to history (``odin_common.clients.HistoryClient``)."""

    async def record_task_started(
        self, kind: str, namespace: str, workflow_id: str, request: RecordTaskStartedRequest
    ) -> PeerResponse: ...

    async def build_query_task(
        self, namespace: str, workflow_id: str, request: BuildQueryTaskRequest
    ) -> PeerResponse: ...


@dataclass(slots=True)
class Matching:
    store: TaskStore
    history: HistoryPeer
    clock: Clock
    consumer: str
    """This process's consumer name in the Redis consumer group."""
    poll_slice_seconds: float = 5.0
    history_call_timeout_seconds: float = 10.0
    history_retry_backoff_seconds: float = 0.5
    stopping: bool = False
    """Set when the process is shutting down: polls end (204) at their next slice instead of
    being cancelled mid-read, which could strand an entry until it is reclaimed; waiting
    queries end with ``unavailable`` (history may ask another matching process)."""
