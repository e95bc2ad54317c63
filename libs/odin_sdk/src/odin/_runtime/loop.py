"""The deterministic event loop workflow code runs on.

Nothing here reads a clock or does I/O: ``time()`` is the time of the workflow task being
processed, ready callbacks run in the order they were scheduled, and a timer
(``asyncio.sleep``, ``wait_for``, ``timeout``) becomes a durable ``start_timer`` command (a
cancelled one a ``cancel_timer``, or nothing if it was never sent). Code produces commands
through :meth:`DeterministicLoop.command`; the history processing in
:mod:`odin._runtime.instance` matches them with events.
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from odin.common import MAX_DURATION

log = logging.getLogger("odin.workflow")
MAX_TIMER_SECONDS = MAX_DURATION.total_seconds()

TERMINAL_COMMANDS = frozenset(
    {"complete_workflow", "fail_workflow", "cancel_workflow", "continue_as_new"}
)


class WorkflowTaskError(Exception):
    """The workflow task must fail (and be retried): a bug in the code, not a failure of the
    workflow. ``cause_code`` is the workflow-task failure cause sent to the server."""

    def __init__(self, message: str, *, cause: str, error: BaseException | None = None) -> None:
        super().__init__(message)
        self.cause_code = cause
        self.error = error


@dataclass
class Pending:
    """A command produced by the code, waiting to meet its event in history."""

    command: dict[str, Any]
    on_match: Callable[[dict[str, Any]], None] | None = None
    dropped: bool = False

    @property
    def type(self) -> str:
        return str(self.command["type"])


@dataclass
class _Timer:
    timer_id: str
    handle: asyncio.TimerHandle
    pending: Pending


class DeterministicLoop(asyncio.AbstractEventLoop):
    def __init__(self) -> None:
        self._ready: collections.deque[asyncio.Handle] = collections.deque()
        self._now = datetime(1970, 1, 1, tzinfo=UTC)
        self.is_replaying = False
        self.quiet = False
        """Answering a query: the workflow's logger is silent even in a task it runs anew."""
        self._commands: list[Pending] = []
        self._seq: dict[str, int] = collections.defaultdict(int)
        self._timers: dict[str, _Timer] = {}
        self._timer_ids: dict[int, str] = {}
        self._conditions: list[tuple[Callable[[], bool], asyncio.Future[None]]] = []
        self._closed = False
        self._task_error: WorkflowTaskError | None = None
        self._exception_handler: Any = None

    # ---- asyncio.AbstractEventLoop: the parts coroutines use --------------------------

    def time(self) -> float:
        return self._now.timestamp()

    def now(self) -> datetime:
        return self._now

    def get_debug(self) -> bool:
        return False

    def is_running(self) -> bool:
        return True

    def is_closed(self) -> bool:
        return False

    def create_future(self) -> asyncio.Future[Any]:
        return asyncio.Future(loop=self)

    def create_task(  # type: ignore[override]
        self,
        coro: Coroutine[Any, Any, Any],
        *,
        name: str | None = None,
        context: contextvars.Context | None = None,
    ) -> asyncio.Task[Any]:
        task = asyncio.Task(coro, loop=self, name=name, context=context)
        # A run that is evicted from memory leaves tasks waiting forever; that is expected.
        task._log_destroy_pending = False  # type: ignore[attr-defined]
        return task

    def call_soon(  # type: ignore[override]
        self, callback: Callable[..., Any], *args: Any, context: contextvars.Context | None = None
    ) -> asyncio.Handle:
        handle = asyncio.Handle(callback, args, self, context)
        self._ready.append(handle)
        return handle

    def call_soon_threadsafe(  # type: ignore[override]
        self, callback: Callable[..., Any], *args: Any, context: contextvars.Context | None = None
    ) -> asyncio.Handle:
        raise RuntimeError("workflows must not use threads")

    def call_later(  # type: ignore[override]
        self,
        delay: float,
        callback: Callable[..., Any],
        *args: Any,
        context: contextvars.Context | None = None,
    ) -> asyncio.TimerHandle:
        return self.call_at(self.time() + delay, callback, *args, context=context)

    def call_at(  # type: ignore[override]
        self,
        when: float,
        callback: Callable[..., Any],
        *args: Any,
        context: contextvars.Context | None = None,
    ) -> asyncio.TimerHandle:
        handle = asyncio.TimerHandle(when, callback, args, self, context)
        delay = when - self.time()
        if delay <= 0:
            self._ready.append(handle)
            return handle
        if not delay <= MAX_TIMER_SECONDS:  # also refuses inf and nan
            raise ValueError(
                f"a workflow timer must not be longer than 100 years (asked for {delay:.0f}s)"
            )
        timer_id = str(self.next_seq("timer"))
        millis = max(1, round(delay * 1000))
        pending = self.command(
            {"type": "start_timer", "timer_id": timer_id, "start_to_fire_timeout": f"{millis}ms"}
        )
        self._timers[timer_id] = _Timer(timer_id, handle, pending)
        # TimerHandle has __slots__ and compares by value: key by identity.
        self._timer_ids[id(handle)] = timer_id
        return handle

    def _timer_handle_cancelled(self, handle: asyncio.TimerHandle) -> None:
        timer_id = self._timer_ids.pop(id(handle), None)
        timer = self._timers.pop(timer_id, None) if timer_id else None
        if timer is None:
            return
        if self.drop(timer.pending):
            return
        self.command({"type": "cancel_timer", "timer_id": timer.timer_id})

    def fire_timer(self, timer_id: str) -> None:
        timer = self._timers.pop(timer_id, None)
        if timer is None:
            return
        self._timer_ids.pop(id(timer.handle), None)
        if not timer.handle.cancelled():
            self._ready.append(timer.handle)

    def get_exception_handler(self) -> Any:
        return self._exception_handler

    def set_exception_handler(self, handler: Any) -> None:
        self._exception_handler = handler

    def default_exception_handler(self, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        log.error("unhandled error in a workflow: %s", context.get("message"), exc_info=exc)

    def call_exception_handler(self, context: dict[str, Any]) -> None:
        if self._exception_handler is not None:
            self._exception_handler(self, context)
        else:
            self.default_exception_handler(context)

    def run_in_executor(self, executor: Any, func: Any, *args: Any) -> Any:  # type: ignore[override]
        raise RuntimeError("workflows must not run code in executors; use an activity")

    # ---- commands ------------------------------------------------------------------------

    def command(
        self, command: dict[str, Any], on_match: Callable[[dict[str, Any]], None] | None = None
    ) -> Pending:
        """Record a command the code produced (ignored once the workflow closed)."""
        pending = Pending(command, on_match)
        if self._closed:
            pending.dropped = True
            return pending
        self._commands.append(pending)
        if command["type"] in TERMINAL_COMMANDS:
            self._closed = True
        return pending

    def drop(self, pending: Pending) -> bool:
        """Withdraw a command that was not sent yet; False if it was already sent."""
        if pending in self._commands:
            self._commands.remove(pending)
            pending.dropped = True
            return True
        return pending.dropped

    def next_seq(self, kind: str) -> int:
        self._seq[kind] += 1
        return self._seq[kind]

    # ---- running -------------------------------------------------------------------------

    async def wait_condition(self, fn: Callable[[], bool], timeout: float | None) -> None:
        if fn():
            return
        future: asyncio.Future[None] = self.create_future()
        self._conditions.append((fn, future))
        try:
            if timeout is None:
                await future
            else:
                await asyncio.wait_for(future, timeout)
        finally:
            self._conditions = [(f, fut) for f, fut in self._conditions if fut is not future]

    def _check_conditions(self) -> bool:
        woke = False
        for fn, future in list(self._conditions):
            if future.done():
                continue
            try:
                satisfied = fn()
            except Exception as exc:
                future.set_exception(exc)
                woke = True
                continue
            if satisfied:
                future.set_result(None)
                woke = True
        return woke

    def run_until_idle(self) -> None:
        """Run ready callbacks (and satisfied conditions) until nothing is ready."""
        previous = asyncio.events._get_running_loop()
        asyncio.events._set_running_loop(self)
        try:
            while True:
                while self._ready:
                    handle = self._ready.popleft()
                    if not handle._cancelled:
                        handle._run()
                    if self._task_error is not None:
                        raise self._task_error
                if not self._check_conditions():
                    break
        finally:
            asyncio.events._set_running_loop(previous)

    def call_in_workflow(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Call ``fn`` synchronously as workflow code (workflow APIs available)."""
        previous = asyncio.events._get_running_loop()
        asyncio.events._set_running_loop(self)
        try:
            return fn(*args)
        finally:
            asyncio.events._set_running_loop(previous)
