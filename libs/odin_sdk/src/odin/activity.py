"""Writing activities: ``@activity.defn`` and what an activity can ask while it runs.

Activities are ordinary functions (``async def`` runs on the worker's event loop, ``def`` in a
thread). They run at least once: make their effects idempotent. A long activity calls
``heartbeat()``; when its workflow cancels it, an async activity sees
``asyncio.CancelledError`` at its next ``await`` after a heartbeat (a sync one can check
``is_cancelled()``).
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar, overload

from odin._runtime.definitions import define_activity

__all__ = ["Info", "defn", "heartbeat", "info", "is_cancelled"]

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Info:
    """Facts about the running activity attempt."""

    activity_id: str
    activity_type: str
    attempt: int
    workflow_id: str
    workflow_run_id: str
    workflow_type: str
    workflow_namespace: str
    task_queue: str
    task_token: str
    heartbeat_details: list[Any]
    """What the previous attempt sent with its last heartbeat (empty on the first)."""
    scheduled_time: datetime
    started_time: datetime
    schedule_to_close_timeout: timedelta | None
    start_to_close_timeout: timedelta | None
    heartbeat_timeout: timedelta | None


class ActivityContext:
    """The worker's side of a running activity (set in a context variable)."""

    def __init__(self, info: Info, heartbeat: Callable[[list[Any]], None]) -> None:
        self.info = info
        self._heartbeat = heartbeat
        self.cancel_requested = False

    def heartbeat(self, details: list[Any]) -> None:
        self._heartbeat(details)


_CONTEXT: contextvars.ContextVar[ActivityContext] = contextvars.ContextVar("odin_activity")


def _context() -> ActivityContext:
    try:
        return _CONTEXT.get()
    except LookupError:
        raise RuntimeError("this function can only be called from a running activity") from None


@overload
def defn(fn: F) -> F: ...


@overload
def defn(*, name: str | None = None) -> Callable[[F], F]: ...


def defn(fn: Any = None, *, name: str | None = None) -> Any:
    """Mark a function as an activity; its type name is the function name unless ``name``."""

    def wrap(f: F) -> F:
        define_activity(f, name)
        return f

    return wrap(fn) if fn is not None else wrap


def info() -> Info:
    return _context().info


def heartbeat(*details: Any) -> None:
    """Tell the server the activity is alive, with progress details the next attempt gets
    (``info().heartbeat_details``) if this one fails. Sent in the background, throttled."""
    _context().heartbeat(list(details))


def is_cancelled() -> bool:
    """True once the server asked this activity to stop."""
    return _context().cancel_requested
