"""Writing workflows: ``@workflow.defn``, ``@workflow.run`` and the calls a workflow makes.

Workflow code must be deterministic: it runs again from the start (replay) whenever a worker
needs its state, and must then make the same calls in the same order. Use the functions here
for anything that would differ between runs (time, randomness, ids, side effects) and
activities for all I/O. ``asyncio.sleep``, ``asyncio.gather``, ``asyncio.wait_for``,
``asyncio.timeout`` and ``asyncio.TaskGroup`` work inside workflows and stay deterministic:
timers become durable timers on the server.
"""

from __future__ import annotations

import asyncio
import logging
import random as _random
import uuid as _uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar, overload

from odin import converter
from odin._runtime.definitions import (
    QUERY_ATTR,
    RUN_ATTR,
    SIGNAL_ATTR,
    activity_name,
    define_workflow,
    handler_name,
    workflow_name,
)
from odin._runtime.instance import (
    DEFAULT_VERSION,
    ContinueAsNewError,
    WorkflowInfo,
    WorkflowInstance,
)
from odin._runtime.operations import ActivityCancellationType, ChildWorkflowCancellationType
from odin.common import RetryPolicy, duration

__all__ = [
    "DEFAULT_VERSION",
    "ActivityCancellationType",
    "ActivityHandle",
    "ChildWorkflowCancellationType",
    "ChildWorkflowHandle",
    "ContinueAsNewError",
    "ExternalWorkflowHandle",
    "ParentClosePolicy",
    "WorkflowInfo",
    "continue_as_new",
    "defn",
    "execute_activity",
    "execute_child_workflow",
    "get_external_workflow_handle",
    "get_version",
    "info",
    "logger",
    "now",
    "patched",
    "query",
    "random",
    "run",
    "set_signal_handler",
    "side_effect",
    "signal",
    "sleep",
    "start_activity",
    "start_child_workflow",
    "unsafe",
    "upsert_search_attributes",
    "uuid4",
    "wait_condition",
]

T = TypeVar("T")
ClassT = TypeVar("ClassT", bound=type)
F = TypeVar("F", bound=Callable[..., Any])

ActivityHandle = asyncio.Task
"""What ``start_activity`` returns: await it for the result, ``cancel()`` it to cancel the
activity (by default the server asks it to stop and awaiting raises
``asyncio.CancelledError`` at once; see :class:`ActivityCancellationType`)."""


def _instance() -> WorkflowInstance:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    if not isinstance(loop, WorkflowInstance):
        raise RuntimeError("this function can only be called from workflow code")
    return loop


class unsafe:
    @staticmethod
    def in_workflow() -> bool:
        """True when called from workflow code."""
        try:
            return isinstance(asyncio.get_running_loop(), WorkflowInstance)
        except RuntimeError:
            return False

    @staticmethod
    def is_replaying() -> bool:
        """True while the workflow replays history it already made."""
        return _instance().is_replaying


# ---- decorators ---------------------------------------------------------------------------


@overload
def defn(cls: ClassT) -> ClassT: ...


@overload
def defn(*, name: str | None = None) -> Callable[[ClassT], ClassT]: ...


def defn(cls: Any = None, *, name: str | None = None) -> Any:
    """Mark a class as a workflow. Its type name is the class name unless ``name`` is given."""

    def wrap(c: ClassT) -> ClassT:
        define_workflow(c, name)
        return c

    return wrap(cls) if cls is not None else wrap


def run(fn: F) -> F:
    """Mark the ``async def`` method that runs the workflow."""
    setattr(fn, RUN_ATTR, True)
    return fn


def signal(fn: F | None = None, *, name: str | None = None) -> Any:
    """Mark a method that handles a signal (delivered in order, never lost)."""

    def wrap(f: F) -> F:
        setattr(f, SIGNAL_ATTR, name or f.__name__)
        return f

    return wrap(fn) if fn is not None else wrap


def query(fn: F | None = None, *, name: str | None = None) -> Any:
    """Mark a method that answers a query from the workflow's state (must not change it)."""

    def wrap(f: F) -> F:
        setattr(f, QUERY_ATTR, name or f.__name__)
        return f

    return wrap(fn) if fn is not None else wrap


# ---- information and determinism ---------------------------------------------------------


def info() -> WorkflowInfo:
    """Facts about this workflow run."""
    return _instance().info


def now() -> datetime:
    """The workflow's current time: the time of the workflow task being processed (UTC)."""
    return _instance().now()


def random() -> _random.Random:
    """A random generator seeded per run: the same numbers on every replay."""
    return _instance().random


def uuid4() -> _uuid.UUID:
    """A random UUID that stays the same on replay."""
    return _instance().uuid4()


def side_effect(fn: Callable[[], T]) -> T:
    """Run ``fn`` once and record its (JSON) result; replay returns the recorded value.
    ``fn`` must be quick and must not fail: use an activity for real work."""
    return _instance().side_effect(fn)  # type: ignore[no-any-return]


def get_version(change_id: str, min_supported: int, max_supported: int) -> int:
    """Branch on code changes safely: new runs get ``max_supported``; runs that passed this
    point before the change existed replay with ``DEFAULT_VERSION`` (-1)."""
    return _instance().get_version(change_id, min_supported, max_supported)


def patched(patch_id: str) -> bool:
    """True for runs that reach this point with the patched code; False when replaying a run
    that passed it before the patch."""
    return _instance().patched(patch_id)


def upsert_search_attributes(attributes: dict[str, Any]) -> None:
    """Add or change the run's search attributes (recorded in history, visible to lists)."""
    _instance().upsert_search_attributes(attributes)


class _ReplaySafeLogger(logging.LoggerAdapter):  # type: ignore[type-arg]
    """Logs with the workflow's ids; silent while the workflow replays, and while a worker
    rebuilds its state to answer a query."""

    def isEnabledFor(self, level: int) -> bool:
        if unsafe.in_workflow() and (unsafe.is_replaying() or _instance().quiet):
            return False
        return bool(self.logger.isEnabledFor(level))

    def process(self, msg: Any, kwargs: Any) -> tuple[Any, Any]:
        if unsafe.in_workflow():
            i = info()
            extra = {
                "workflow_id": i.workflow_id,
                "run_id": i.run_id,
                "workflow_type": i.workflow_type,
            }
            kwargs["extra"] = {**extra, **(kwargs.get("extra") or {})}
            msg = f"{msg} ({i.workflow_type} {i.workflow_id})"
        return msg, kwargs


logger = _ReplaySafeLogger(logging.getLogger("odin.workflow"), {})


# ---- time ---------------------------------------------------------------------------------


async def sleep(seconds: float | timedelta) -> None:
    """A durable timer: survives worker and server restarts. A zero or negative duration
    returns at once without a timer (as ``asyncio.sleep`` does); one longer than 100 years
    raises ``ValueError``."""
    delay = seconds.total_seconds() if isinstance(seconds, timedelta) else float(seconds)
    await asyncio.sleep(delay)


async def wait_condition(
    fn: Callable[[], bool], *, timeout: float | timedelta | None = None
) -> None:
    """Wait until ``fn()`` is true (checked whenever the workflow's state may have changed).
    With ``timeout``, raises ``asyncio.TimeoutError`` when it passes first."""
    seconds = timeout.total_seconds() if isinstance(timeout, timedelta) else timeout
    await _instance().wait_condition(fn, seconds)


# ---- activities ---------------------------------------------------------------------------

_NO_ARG = object()


def start_activity(
    activity: Any,
    arg: Any = _NO_ARG,
    *,
    args: list[Any] | tuple[Any, ...] = (),
    task_queue: str | None = None,
    schedule_to_close_timeout: timedelta | None = None,
    schedule_to_start_timeout: timedelta | None = None,
    start_to_close_timeout: timedelta | None = None,
    heartbeat_timeout: timedelta | None = None,
    retry_policy: RetryPolicy | None = None,
    activity_id: str | None = None,
    result_type: Any = None,
    cancellation_type: ActivityCancellationType | str = ActivityCancellationType.TRY_CANCEL,
) -> asyncio.Task[Any]:
    """Schedule an activity; returns a handle (an ``asyncio.Task``) to await or cancel.
    ``cancellation_type`` says what cancelling it does (see :class:`ActivityCancellationType`).

    ``start_to_close_timeout`` or ``schedule_to_close_timeout`` is required (as in
    temporalio): without either, a started attempt would never time out. A missing one, or a
    negative or longer than 100 years timeout or retry interval, raises ``ValueError`` here.
    """
    instance = _instance()
    name, declared = activity_name(activity)
    values = ([arg] if arg is not _NO_ARG else []) + list(args)
    cancellation = ActivityCancellationType(cancellation_type)
    # A zero timedelta means "not set" to the server as well, so it does not count.
    if not start_to_close_timeout and not schedule_to_close_timeout:
        raise ValueError(
            f"activity {name}: start_to_close_timeout or schedule_to_close_timeout is "
            "required (schedule_to_start_timeout alone leaves a started attempt without "
            "a timeout)"
        )
    command: dict[str, Any] = {
        "activity_id": activity_id,
        "input": [converter.to_json(v) for v in values],
    }
    for key, value in (
        ("task_queue", task_queue),
        (
            "schedule_to_close_timeout",
            duration(schedule_to_close_timeout, "schedule_to_close_timeout"),
        ),
        (
            "schedule_to_start_timeout",
            duration(schedule_to_start_timeout, "schedule_to_start_timeout"),
        ),
        ("start_to_close_timeout", duration(start_to_close_timeout, "start_to_close_timeout")),
        ("heartbeat_timeout", duration(heartbeat_timeout, "heartbeat_timeout")),
        ("retry_policy", retry_policy.to_json() if retry_policy else None),
    ):
        if value is not None:
            command[key] = value
    return instance.create_task(
        instance.run_activity(command, name, result_type or declared, cancellation),
        name=f"activity:{name}",
    )


def execute_activity(activity: Any, arg: Any = _NO_ARG, **options: Any) -> Awaitable[Any]:
    """Run an activity and wait for its result (see :func:`start_activity` for the options).
    A failed activity raises :class:`~odin.exceptions.ActivityError`."""
    return start_activity(activity, arg, **options)


# ---- continue-as-new ----------------------------------------------------------------------


def continue_as_new(
    *args: Any,
    workflow: Any = None,
    task_queue: str | None = None,
    run_timeout: timedelta | None = None,
    task_timeout: timedelta | None = None,
    memo: dict[str, Any] | None = None,
    search_attributes: dict[str, Any] | None = None,
) -> None:
    """End this run and start a fresh one (same workflow id, empty history) with ``args``."""
    _instance()
    command: dict[str, Any] = {
        "type": "continue_as_new",
        "input": [converter.to_json(a) for a in args],
    }
    if workflow is not None:
        command["workflow_type"] = workflow_name(workflow)[0]
    for key, value in (
        ("task_queue", task_queue),
        ("run_timeout", duration(run_timeout, "run_timeout")),
        ("task_timeout", duration(task_timeout, "task_timeout")),
        ("memo", memo),
        ("search_attributes", search_attributes),
    ):
        if value is not None:
            command[key] = value
    raise ContinueAsNewError(command)


# ---- child workflows ----------------------------------------------------------------------


class ParentClosePolicy(StrEnum):
    """What happens to a child when its parent closes first."""

    TERMINATE = "terminate"
    REQUEST_CANCEL = "request_cancel"
    ABANDON = "abandon"


class ChildWorkflowHandle:
    """A started child workflow: await it (or ``result()``) for its result, ``signal`` it,
    or ``cancel()`` it (by default the child is asked to cancel and awaiting the handle
    raises :class:`~odin.exceptions.ChildWorkflowError` caused by ``CancelledError`` once it
    has; see :class:`ChildWorkflowCancellationType`). A failed child raises
    :class:`~odin.exceptions.ChildWorkflowError`."""

    def __init__(self, workflow_id: str, run_id: str, task: asyncio.Task[Any]) -> None:
        self.id = workflow_id
        self.first_execution_run_id = run_id
        self._task = task

    def __await__(self) -> Any:
        return self._task.__await__()

    async def result(self) -> Any:
        return await self._task

    def cancel(self) -> bool:
        return self._task.cancel()

    async def signal(self, signal: Any, *args: Any) -> None:
        await get_external_workflow_handle(self.id).signal(signal, *args)


async def start_child_workflow(
    workflow: Any,
    arg: Any = _NO_ARG,
    *,
    id: str,
    task_queue: str | None = None,
    args: list[Any] | tuple[Any, ...] = (),
    execution_timeout: timedelta | None = None,
    run_timeout: timedelta | None = None,
    task_timeout: timedelta | None = None,
    parent_close_policy: ParentClosePolicy | str = ParentClosePolicy.TERMINATE,
    id_reuse_policy: str | None = None,
    retry_policy: RetryPolicy | None = None,
    cron_schedule: str | None = None,
    memo: dict[str, Any] | None = None,
    search_attributes: dict[str, Any] | None = None,
    result_type: Any = None,
    cancellation_type: ChildWorkflowCancellationType
    | str = ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
) -> ChildWorkflowHandle:
    """Start a child workflow and return once it has started (raises
    :class:`~odin.exceptions.WorkflowAlreadyStartedError` if the id is taken).
    ``cancellation_type`` says what cancelling its handle does (see
    :class:`ChildWorkflowCancellationType`; by default it waits for the child to close)."""
    instance = _instance()
    cancellation = ChildWorkflowCancellationType(cancellation_type)
    name, declared = workflow_name(workflow)
    values = ([arg] if arg is not _NO_ARG else []) + list(args)
    command: dict[str, Any] = {
        "workflow_id": id,
        "workflow_type": name,
        "input": [converter.to_json(v) for v in values],
        "parent_close_policy": str(ParentClosePolicy(parent_close_policy)),
    }
    for key, value in (
        ("task_queue", task_queue),
        ("execution_timeout", duration(execution_timeout, "execution_timeout")),
        ("run_timeout", duration(run_timeout, "run_timeout")),
        ("task_timeout", duration(task_timeout, "task_timeout")),
        ("id_reuse_policy", id_reuse_policy),
        ("retry_policy", retry_policy.to_json() if retry_policy else None),
        ("cron_schedule", cron_schedule),
        ("memo", memo),
        ("search_attributes", search_attributes),
    ):
        if value is not None:
            command[key] = value
    child = instance.start_child(command, result_type or declared, cancellation)
    task = instance.create_task(instance.child_result(child), name=f"child:{id}")
    # A child that fails to start fails this call; its result task then needs no reader.
    task.add_done_callback(lambda t: t.cancelled() or t.exception())
    try:
        run_id = await asyncio.shield(child.started)
    except asyncio.CancelledError:
        task.cancel()
        raise
    return ChildWorkflowHandle(id, run_id, task)


async def execute_child_workflow(workflow: Any, arg: Any = _NO_ARG, **options: Any) -> Any:
    """Start a child workflow and wait for its result (options as for
    :func:`start_child_workflow`)."""
    handle = await start_child_workflow(workflow, arg, **options)
    return await handle


# ---- other workflows ----------------------------------------------------------------------


class ExternalWorkflowHandle:
    """Another workflow this one can signal or ask to cancel (``get_external_workflow_handle``)."""

    def __init__(self, workflow_id: str, run_id: str | None = None) -> None:
        self.id = workflow_id
        self.run_id = run_id

    async def signal(self, signal: Any, *args: Any) -> None:
        """Signal it; raises ``ApplicationError`` if it does not exist or already closed."""
        name = handler_name(signal, SIGNAL_ATTR)
        command: dict[str, Any] = {
            "type": "signal_external_workflow",
            "workflow_id": self.id,
            "signal_name": name,
            "args": [converter.to_json(a) for a in args],
        }
        if self.run_id:
            command["run_id"] = self.run_id
        await _instance().send_external(command, f"signal {name} to {self.id}")

    async def cancel(self) -> None:
        """Ask it to cancel; raises ``ApplicationError`` if it does not exist or already closed."""
        command: dict[str, Any] = {
            "type": "request_cancel_external_workflow",
            "workflow_id": self.id,
        }
        if self.run_id:
            command["run_id"] = self.run_id
        await _instance().send_external(command, f"cancel of {self.id}")


def get_external_workflow_handle(
    workflow_id: str, *, run_id: str | None = None
) -> ExternalWorkflowHandle:
    _instance()
    return ExternalWorkflowHandle(workflow_id, run_id)


def set_signal_handler(name: str, handler: Callable[..., Any] | None) -> None:
    """Handle signal ``name`` with ``handler`` (None removes it). Signals that arrived before
    a handler existed are delivered to it at once, in order."""
    _instance().set_signal_handler(name, handler)
