"""A workflow run inside a worker: the event loop of :mod:`loop`, the operations of
:mod:`operations`, and the processing of history.

Processing a history (the whole of it, or only the new events of a cached run):

- events up to a ``workflow_task_started`` are inputs; when the task runs they are applied in
  the order Temporal applies them: signals first (so a signal-with-start's handler runs before
  the workflow), then everything else in history order (the start, activity and child
  results, timer firings, a cancellation request);
- at a ``workflow_task_started`` the loop runs until nothing is ready, and the commands the
  code produced are kept, in order, as *unmatched*;
- if that task completed (``workflow_task_completed`` follows), the command events after it
  must be exactly those commands: anything else is a :class:`NondeterminismError`;
- the last ``workflow_task_started`` is the task being worked on: its commands are the answer.
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import inspect
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from odin import converter
from odin._runtime.definitions import WorkflowDefinition
from odin._runtime.failures import from_failure, to_failure
from odin._runtime.loop import Pending, WorkflowTaskError
from odin._runtime.operations import DEFAULT_VERSION, WorkflowOperations
from odin.common import parse_duration
from odin.exceptions import (
    CancelledError,
    FailureError,
    NondeterminismError,
    is_cancelled_exception,
)

__all__ = [
    "DEFAULT_VERSION",
    "ActivationResult",
    "ContinueAsNewError",
    "WorkflowInfo",
    "WorkflowInstance",
    "WorkflowTaskError",
    "new_instance",
]

COMMAND_EVENTS: dict[str, frozenset[str]] = {
    "schedule_activity": frozenset({"activity_task_scheduled"}),
    "request_cancel_activity": frozenset({"activity_task_cancel_requested"}),
    "start_timer": frozenset({"timer_started"}),
    "cancel_timer": frozenset({"timer_canceled"}),
    "record_marker": frozenset({"marker_recorded"}),
    "upsert_search_attributes": frozenset({"upsert_workflow_search_attributes"}),
    "start_child_workflow": frozenset({"start_child_workflow_execution_initiated"}),
    "signal_external_workflow": frozenset({"signal_external_workflow_execution_initiated"}),
    "request_cancel_external_workflow": frozenset(
        {"request_cancel_external_workflow_execution_initiated"}
    ),
    "complete_workflow": frozenset(
        {"workflow_execution_completed", "workflow_execution_continued_as_new"}
    ),
    "fail_workflow": frozenset(
        {"workflow_execution_failed", "workflow_execution_continued_as_new"}
    ),
    "cancel_workflow": frozenset({"workflow_execution_canceled"}),
    "continue_as_new": frozenset({"workflow_execution_continued_as_new"}),
}
EVENT_OF_COMMAND = frozenset(e for events in COMMAND_EVENTS.values() for e in events)
ACTIVITY_OUTCOMES = frozenset(
    {
        "activity_task_completed",
        "activity_task_failed",
        "activity_task_timed_out",
        "activity_task_canceled",
    }
)
CHILD_EVENTS = frozenset(
    {
        "child_workflow_execution_started",
        "start_child_workflow_execution_failed",
        "child_workflow_execution_completed",
        "child_workflow_execution_failed",
        "child_workflow_execution_canceled",
        "child_workflow_execution_terminated",
        "child_workflow_execution_timed_out",
    }
)
EXTERNAL_OUTCOMES = frozenset(
    {
        "external_workflow_execution_signaled",
        "signal_external_workflow_execution_failed",
        "external_workflow_execution_cancel_requested",
        "request_cancel_external_workflow_execution_failed",
    }
)


class ContinueAsNewError(BaseException):
    """Raised by ``workflow.continue_as_new``; ends this run and starts the next one."""

    def __init__(self, command: dict[str, Any]) -> None:
        super().__init__("continue as new")
        self.command = command


@dataclass
class WorkflowInfo:
    """What a workflow knows about itself (``workflow.info()``)."""

    namespace: str
    workflow_id: str
    run_id: str
    workflow_type: str
    task_queue: str
    attempt: int = 1
    first_run_id: str | None = None
    continued_run_id: str | None = None
    cron_schedule: str | None = None
    execution_timeout: timedelta | None = None
    run_timeout: timedelta | None = None
    task_timeout: timedelta | None = None
    start_time: datetime | None = None
    parent: dict[str, Any] | None = None
    search_attributes: dict[str, Any] = field(default_factory=dict)
    memo: dict[str, Any] = field(default_factory=dict)
    last_failure: BaseException | None = None
    last_completion_result: Any = None


@dataclass
class ActivationResult:
    commands: list[dict[str, Any]]
    completed: bool
    """The workflow produced its closing command."""


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _seed(run_id: str) -> int:
    return int.from_bytes(hashlib.sha256(run_id.encode()).digest()[:8], "big")


class WorkflowInstance(WorkflowOperations):
    """One run of one workflow."""

    def __init__(self, defn: WorkflowDefinition, info: WorkflowInfo) -> None:
        super().__init__()
        self.defn = defn
        self.info = info
        self.search_attributes = info.search_attributes
        self.random = random.Random(_seed(info.run_id))
        self._unmatched: collections.deque[Pending] = collections.deque()
        self._current: list[Pending] = []
        self._inputs: list[dict[str, Any]] = []
        self._workflow: Any = None
        self._main: asyncio.Task[None] | None = None
        self._main_started = False
        self._cancel_requested = False
        self._signal_handlers: dict[str, Callable[..., Any]] = {}
        self._unhandled_signals: dict[str, list[list[Any]]] = collections.defaultdict(list)
        self.last_event_id = 0

    # ---- processing history --------------------------------------------------------------

    def activate(self, events: list[dict[str, Any]]) -> ActivationResult:
        """Process ``events`` and return the commands of the last workflow task. Raises
        :class:`NondeterminismError` or :class:`WorkflowTaskError` when the task must fail."""
        outgoing: list[dict[str, Any]] = []
        count = len(events)
        for i, event in enumerate(events):
            et = event["event_type"]
            self.last_event_id = int(event["event_id"])
            if et == "workflow_task_started":
                nxt = events[i + 1]["event_type"] if i + 1 < count else None
                if nxt is None:
                    outgoing = self._run_task(event, replaying=False)
                elif nxt == "workflow_task_completed":
                    self.preload_markers(events, i + 2)
                    self._run_task(event, replaying=True)
            elif et in EVENT_OF_COMMAND:
                self._match(event)
            elif not et.startswith("workflow_task_") and et != "activity_task_started":
                self._inputs.append(event)
        return ActivationResult(outgoing, self._closed)

    def finish_replay(self) -> None:
        """After replaying a whole history: every command of a completed task must have met
        its event (the commands of a task still in progress are what the code would do)."""
        leftover = [p for p in self._unmatched if p not in self._current]
        if leftover:
            raise NondeterminismError(
                f"the workflow produced a {leftover[0].type} command "
                f"({_describe(leftover[0].command)}) that its history does not have"
            )

    def _run_task(self, event: dict[str, Any], *, replaying: bool) -> list[dict[str, Any]]:
        if self._unmatched:
            extra = self._unmatched[0]
            raise NondeterminismError(
                f"the workflow produced a {extra.type} command ({_describe(extra.command)}) "
                f"that its history does not have (before event {event['event_id']})"
            )
        self._now = _parse_time(event["event_time"])
        self.is_replaying = replaying
        self._apply_inputs()
        self.run_until_idle()
        self._markers_ahead.clear()
        produced = [p for p in self._commands if not p.dropped]
        self._commands = []
        self._unmatched.extend(produced)
        self._current = [] if replaying else produced
        return [p.command for p in produced]

    def _match(self, event: dict[str, Any]) -> None:
        et = event["event_type"]
        if not self._unmatched:
            raise NondeterminismError(
                f"history event {event['event_id']} is {et} ({_describe(event['attributes'])}), "
                "but the workflow code produced no command for it"
            )
        pending = self._unmatched.popleft()
        if et not in COMMAND_EVENTS.get(pending.type, frozenset()) or not _same(
            pending.command, event
        ):
            raise NondeterminismError(
                f"history event {event['event_id']} is {et} ({_describe(event['attributes'])}), "
                f"but the workflow code produced {pending.type} ({_describe(pending.command)})"
            )
        if pending.on_match is not None:
            pending.on_match(event)

    def _apply_inputs(self) -> None:
        inputs, self._inputs = self._inputs, []
        for event in inputs:
            if event["event_type"] == "workflow_execution_started":
                self._start(event)
        for event in inputs:
            if event["event_type"] == "workflow_execution_signaled":
                attrs = event["attributes"]
                self._deliver_signal(str(attrs["signal_name"]), list(attrs.get("args") or []))
        for event in inputs:
            et = event["event_type"]
            if et == "workflow_execution_started":
                self._main = self.create_task(
                    self._run_main(event), name=f"workflow:{self.info.workflow_id}"
                )
                self._main.add_done_callback(self._main_done)
            elif et in ACTIVITY_OUTCOMES:
                self.resolve_activity(event)
            elif et in CHILD_EVENTS:
                self.resolve_child(event)
            elif et in EXTERNAL_OUTCOMES:
                self.resolve_external(event)
            elif et == "timer_fired":
                self.fire_timer(str(event["attributes"]["timer_id"]))
            elif et == "workflow_execution_cancel_requested":
                self._request_cancel()

    def _request_cancel(self) -> None:
        self._cancel_requested = True
        main = self._main
        if main is None or main.done():
            return
        if self._main_started:
            main.cancel()
        else:
            # Requested in the task that starts the run: a task cancelled before its first
            # step never enters its coroutine (no handler runs, no command is produced), so
            # the cancellation is delivered at the run method's first await instead, where
            # the workflow can react to it (what temporalio does).
            self.call_soon(main.cancel)

    # ---- start, signals, queries ---------------------------------------------------------

    def _start(self, event: dict[str, Any]) -> None:
        attrs = event["attributes"]
        info = self.info
        info.attempt = int(attrs.get("attempt") or 1)
        info.first_run_id = attrs.get("first_run_id")
        info.continued_run_id = attrs.get("continued_from_run_id")
        info.cron_schedule = attrs.get("cron_schedule")
        info.start_time = _parse_time(event["event_time"])
        info.parent = attrs.get("parent")
        info.memo = dict(attrs.get("memo") or {})
        info.search_attributes.update(attrs.get("search_attributes") or {})
        info.last_completion_result = attrs.get("last_completion_result")
        if attrs.get("last_failure"):
            info.last_failure = from_failure(attrs["last_failure"])
        info.execution_timeout = parse_duration(attrs.get("execution_timeout"))
        info.run_timeout = parse_duration(attrs.get("run_timeout"))
        info.task_timeout = parse_duration(attrs.get("task_timeout"))
        self._workflow = self.call_in_workflow(self.defn.cls)
        for name, method in self.defn.signals.items():
            self._signal_handlers[name] = method.__get__(self._workflow)

    def set_signal_handler(self, name: str, handler: Callable[..., Any] | None) -> None:
        """Handle signal ``name`` with ``handler`` from now on (signals that came before it
        are delivered to it at once, in order)."""
        if handler is None:
            self._signal_handlers.pop(name, None)
            return
        self._signal_handlers[name] = handler
        for args in self._unhandled_signals.pop(name, []):
            self._deliver_signal(name, args)

    def _deliver_signal(self, name: str, args: list[Any]) -> None:
        handler = self._signal_handlers.get(name)
        if handler is None:
            self._unhandled_signals[name].append(args)
            return
        values = converter.decode_args(args, converter.param_types(handler))
        if inspect.iscoroutinefunction(handler):
            task = self.create_task(handler(*values), name=f"signal:{name}")
            task.add_done_callback(lambda t: self._signal_handler_done(handler, t))
        else:
            self.call_soon(self._run_sync_handler, handler, values)

    def _run_sync_handler(self, handler: Callable[..., Any], values: list[Any]) -> None:
        try:
            handler(*values)
        except (Exception, ContinueAsNewError) as exc:
            self._end_with(exc, f"signal handler {_name_of(handler)}")

    def _signal_handler_done(self, handler: Callable[..., Any], task: asyncio.Task[Any]) -> None:
        """An ``async`` signal handler finished: its exception counts as one raised by the
        run method would (it is not left unread on the task)."""
        what = f"signal handler {_name_of(handler)}"
        if task.cancelled():
            self._end_cancelled(what)
        elif (exc := task.exception()) is not None:
            self._end_with(exc, what)

    def query(self, name: str, args: list[Any]) -> Any:
        """Answer a query from the current state (raises when it cannot)."""
        method = self.defn.queries.get(name)
        if method is None:
            known = ", ".join(sorted(self.defn.queries)) or "none"
            raise KeyError(f"workflow {self.defn.name} has no query {name!r} (it has: {known})")
        if self._workflow is None:
            raise RuntimeError(
                f"workflow {self.info.workflow_id} never ran any code (no workflow task of it "
                "completed), so it has no state to query"
            )
        handler = method.__get__(self._workflow)
        values = converter.decode_args(args, converter.param_types(handler))
        return converter.to_json(self.call_in_workflow(handler, *values))

    async def _run_main(self, event: dict[str, Any]) -> None:
        """Run the run method and close the workflow with its outcome.

        Input that does not fit the run method's parameters and a result that cannot be
        converted to JSON fail the *workflow task* (like any exception that is not a
        :class:`FailureError`): the task is retried, so deploying fixed code lets the run
        go on, where failing the workflow would lose it."""
        self._main_started = True
        try:
            args = self._decode_input(event["attributes"].get("input") or [])
            result = await self.defn.run_fn(self._workflow, *args)
            encoded = self._encode_result(result)
        except asyncio.CancelledError as exc:
            if self._cancel_requested:
                self.command({"type": "cancel_workflow"})
            else:
                # Nobody asked the workflow to cancel (its code cancelled something of its own
                # and let that escape): it fails, with the cancellation as its failure, as in
                # temporalio.
                failure = CancelledError("the workflow's own code was cancelled")
                failure.__cause__ = exc
                self._end_with(failure, None)
        except (Exception, ContinueAsNewError) as exc:
            if self._cancel_requested and is_cancelled_exception(exc):
                # e.g. the ChildWorkflowError of a child cancelled with the workflow
                self.command({"type": "cancel_workflow"})
            else:
                self._end_with(exc, None)
        else:
            self.command({"type": "complete_workflow", "result": encoded})

    def _decode_input(self, values: list[Any]) -> list[Any]:
        try:
            return converter.decode_args(values, self.defn.arg_types)
        except Exception as exc:
            raise WorkflowTaskError(
                f"the input of workflow {self.defn.name} does not fit the parameters of "
                f"{_name_of(self.defn.run_fn)}: {type(exc).__name__}: {exc}",
                cause="workflow_error",
            ) from exc

    def _encode_result(self, result: Any) -> Any:
        try:
            return converter.to_json(result)
        except Exception as exc:
            raise WorkflowTaskError(
                f"the result of workflow {self.defn.name} (a {type(result).__name__}) cannot "
                f"be converted to JSON: {type(exc).__name__}: {exc}",
                cause="workflow_error",
            ) from exc

    def _end_with(self, exc: BaseException, what: str | None) -> None:
        """What an exception escaping workflow code (the run method when ``what`` is None,
        else a signal handler) does: continue-as-new, fail the workflow (a
        :class:`FailureError` such as ``ApplicationError``), or fail the workflow task (a
        bug: anything else; the task is retried)."""
        prefix = f"{what} raised " if what else ""
        if isinstance(exc, ContinueAsNewError):
            self.command(exc.command)
        elif isinstance(exc, FailureError):
            try:
                failure = to_failure(exc)
            except Exception as err:
                self._task_error = WorkflowTaskError(
                    f"{prefix}{type(exc).__name__} whose details cannot be converted to JSON: "
                    f"{type(err).__name__}: {err}",
                    cause="workflow_error",
                    error=err,
                )
            else:
                self.command({"type": "fail_workflow", "failure": failure})
        elif isinstance(exc, WorkflowTaskError):
            self._task_error = exc
        elif isinstance(exc, NondeterminismError):
            self._task_error = WorkflowTaskError(str(exc), cause="nondeterminism", error=exc)
        else:
            self._task_error = WorkflowTaskError(
                f"{prefix}{type(exc).__name__}: {exc}", cause="workflow_error", error=exc
            )

    def _end_cancelled(self, what: str) -> None:
        """Workflow code ended cancelled without handling it: the run is cancelled if that
        was asked for, and otherwise the workflow task fails."""
        if self._cancel_requested:
            self.command({"type": "cancel_workflow"})
        else:
            self._task_error = WorkflowTaskError(
                f"{what} was cancelled, but nobody asked to cancel the workflow",
                cause="workflow_error",
            )

    def _main_done(self, task: asyncio.Task[None]) -> None:
        """The run method's task ended. :meth:`_run_main` closes the workflow or fails the
        task itself; this catches the ways around it (a task cancelled before it ever ran, an
        exception ``_run_main`` does not handle), so that a run never ends with nothing."""
        if self._closed or self._task_error is not None:
            return
        if task.cancelled():
            self._end_cancelled("the workflow's run method")
            return
        exc = task.exception()
        self._task_error = WorkflowTaskError(
            "the workflow's run method ended without closing the workflow"
            + (f": {type(exc).__name__}: {exc}" if exc is not None else ""),
            cause="workflow_error",
            error=exc,
        )

    # ---- determinism helpers -------------------------------------------------------------

    def uuid4(self) -> uuid.UUID:
        return uuid.UUID(int=self.random.getrandbits(128), version=4)


def _same(command: dict[str, Any], event: dict[str, Any]) -> bool:
    attrs = event["attributes"]
    kind = command["type"]
    if kind == "schedule_activity":
        return bool(
            attrs.get("activity_id") == command["activity_id"]
            and attrs.get("activity_type") == command["activity_type"]
        )
    if kind in {"start_timer", "cancel_timer"}:
        return bool(attrs.get("timer_id") == command["timer_id"])
    if kind == "request_cancel_activity":
        return bool(attrs.get("scheduled_event_id") == command["scheduled_event_id"])
    if kind == "record_marker":
        details = attrs.get("details") or {}
        return bool(
            attrs.get("marker_name") == command["marker_name"]
            and details.get("id") == command["details"].get("id")
        )
    if kind == "start_child_workflow":
        return bool(
            attrs.get("workflow_id") == command["workflow_id"]
            and attrs.get("workflow_type") == command["workflow_type"]
        )
    if kind == "signal_external_workflow":
        return bool(
            attrs.get("workflow_id") == command["workflow_id"]
            and attrs.get("signal_name") == command["signal_name"]
        )
    if kind == "request_cancel_external_workflow":
        return bool(attrs.get("workflow_id") == command["workflow_id"])
    if kind == "complete_workflow" and event["event_type"].endswith("continued_as_new"):
        return bool(attrs.get("initiator") == "cron")
    if kind == "fail_workflow" and event["event_type"].endswith("continued_as_new"):
        return bool(attrs.get("initiator") in {"retry", "cron"})
    if kind == "continue_as_new":
        return bool(attrs.get("initiator") in {None, "workflow"})
    return True


def _name_of(fn: Callable[..., Any]) -> str:
    return str(getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or fn)


def _describe(attrs: dict[str, Any]) -> str:
    keys = (
        "activity_type",
        "activity_id",
        "timer_id",
        "marker_name",
        "scheduled_event_id",
        "workflow_id",
        "signal_name",
    )
    parts = [f"{k}={attrs[k]!r}" for k in keys if k in attrs]
    details = attrs.get("details")
    if isinstance(details, dict) and "id" in details:
        parts.append(f"id={details['id']!r}")
    return ", ".join(parts) or "no attributes"


def new_instance(defn: WorkflowDefinition, info: WorkflowInfo) -> WorkflowInstance:
    """A fresh instance (the event loop API is abstract for type checkers, not at run time)."""
    return WorkflowInstance(defn, info)  # type: ignore[abstract]
