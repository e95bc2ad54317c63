"""Stopping background asyncio tasks reliably.

A background loop is stopped by cancelling it. Some libraries (Redis and database
drivers among them) can swallow a ``CancelledError`` that lands at an unlucky moment,
for instance when it races with one of their own timeouts and comes out as a
``TimeoutError``. A loop that logs failures and goes on would then never end, and the
service would hang in shutdown. Two defences, used together by every background loop:

- :func:`stop_tasks` cancels again until the tasks have really ended;
- :func:`cancel_requested` lets a loop's ``except Exception`` handler notice that it was
  cancelled although the error it caught says otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib

RECANCEL_SECONDS = 1.0
"""How long :func:`stop_tasks` waits before cancelling a task that is still running again."""


def cancel_requested() -> bool:
    """True when the current task has been asked to stop (even if the library it was
    awaiting turned the cancellation into another error)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def raise_if_cancelled() -> None:
    """Call from an ``except Exception`` handler of a loop that must honour cancellation."""
    if cancel_requested():
        raise asyncio.CancelledError


async def stop_tasks(*tasks: asyncio.Task[object] | None) -> None:
    """Cancel ``tasks`` and wait until every one has ended, cancelling again every
    :data:`RECANCEL_SECONDS` a task that swallowed its cancellation. Their outcomes
    (cancelled, failed) are not raised: the caller is shutting down."""
    pending = {task for task in tasks if task is not None and not task.done()}
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=RECANCEL_SECONDS)
    for ended in tasks:
        if ended is not None and not ended.cancelled():
            with contextlib.suppress(BaseException):
                ended.exception()  # retrieved, so asyncio does not log it as never retrieved
