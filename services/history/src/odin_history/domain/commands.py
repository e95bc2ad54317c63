"""Completing a workflow task: the commands, applied in order, each becoming events."""

from __future__ import annotations

from typing import Any, assert_never

from odin_common.api.commands import (
    CancelTimerCommand,
    CancelWorkflowCommand,
    Command,
    CompleteWorkflowCommand,
    ContinueAsNewCommand,
    FailWorkflowCommand,
    RecordMarkerCommand,
    RequestCancelActivityCommand,
    RequestCancelExternalWorkflowCommand,
    ScheduleActivityCommand,
    SignalExternalWorkflowCommand,
    StartChildWorkflowCommand,
    StartTimerCommand,
    UpsertSearchAttributesCommand,
)
from odin_common.api.events import EventType
from odin_common.durations import format_duration
from odin_common.errors import InvalidArgument
from odin_common.state import ActivityInfo, TimerInfo, WorkflowTaskInfo
from odin_history.domain import activities, interactions, runs
from odin_history.domain.machine import Machine

MAX_EAGER_ACTIVITIES = 3
"""Activities one workflow task completion may start eagerly (as Temporal's SDKs ask for at
most); further ones asking for it are queued as usual."""

TERMINAL = frozenset({"complete_workflow", "fail_workflow", "cancel_workflow", "continue_as_new"})


def complete_workflow_task(
    m: Machine,
    wt: WorkflowTaskInfo,
    commands: list[Command],
    identity: str,
    *,
    sticky_task_queue: str | None = None,
    sticky_timeout: float | None = None,
) -> list[ActivityInfo]:
    """Apply the commands; returns the activities started at once for the completing worker
    (``request_eager_execution``)."""
    terminal = [i for i, cmd in enumerate(commands) if cmd.type in TERMINAL]
    if len(terminal) > 1 or (terminal and terminal[0] != len(commands) - 1):
        raise InvalidArgument(
            "a command that closes the workflow (complete_workflow, fail_workflow, "
            "cancel_workflow, continue_as_new) must be the last and only one"
        )
    if terminal and m.state.buffered_events:
        # New events came while the task ran: the workflow must see them before it may
        # close, so this task fails (not the worker's fault: attempt stays 1) and another
        # one is scheduled with the new events.
        m.fail_workflow_task(
            wt,
            cause="unhandled_command",
            failure={"message": "new events arrived while the workflow task ran; retrying"},
            identity=identity,
            count_attempt=False,
        )
        return []
    completed = m.begin_workflow_task_completion(wt, identity)
    m.state.sticky_task_queue = sticky_task_queue
    m.state.sticky_schedule_to_start_timeout = sticky_timeout
    needs_task = False
    eager: list[int] = []
    for cmd in commands:
        needs_task |= _apply(m, cmd, completed, eager)
    if m.state.running and (m.flush_buffer() or needs_task):
        m.schedule_workflow_task()
    started = (activities.start_eagerly(m, scheduled, identity) for scheduled in eager)
    return [info for info in started if info is not None]


def _apply(m: Machine, cmd: Command, completed: int, eager: list[int]) -> bool:
    """Apply one command; True when it produced an event the workflow has not seen yet.
    Activities kept back for eager execution are added to ``eager``."""
    if isinstance(cmd, ScheduleActivityCommand):
        scheduled = activities.schedule_activity(
            m, cmd, completed, may_run_eagerly=len(eager) < MAX_EAGER_ACTIVITIES
        )
        if scheduled is not None:
            eager.append(scheduled)
    elif isinstance(cmd, RequestCancelActivityCommand):
        return activities.request_cancel_activity(m, cmd, completed)
    elif isinstance(cmd, StartTimerCommand):
        _start_timer(m, cmd, completed)
    elif isinstance(cmd, CancelTimerCommand):
        _cancel_timer(m, cmd, completed)
    elif isinstance(cmd, CompleteWorkflowCommand):
        runs.complete_run(m, cmd.result, completed)
    elif isinstance(cmd, FailWorkflowCommand):
        runs.fail_run(m, cmd.failure.model_dump(mode="json", exclude_none=True), completed)
    elif isinstance(cmd, CancelWorkflowCommand):
        m.close(
            "canceled",
            EventType.WORKFLOW_EXECUTION_CANCELED,
            {"details": cmd.details, "workflow_task_completed_event_id": completed},
        )
    elif isinstance(cmd, ContinueAsNewCommand):
        _continue_as_new(m, cmd, completed)
    elif isinstance(cmd, RecordMarkerCommand):
        m.append(
            EventType.MARKER_RECORDED,
            {
                "marker_name": cmd.marker_name,
                "details": cmd.details,
                "workflow_task_completed_event_id": completed,
            },
        )
    elif isinstance(cmd, UpsertSearchAttributesCommand):
        m.state.search_attributes.update(cmd.search_attributes)
        m.append(
            EventType.UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
            {
                "search_attributes": cmd.search_attributes,
                "workflow_task_completed_event_id": completed,
            },
        )
        m.visibility_changed = True
    elif isinstance(cmd, StartChildWorkflowCommand):
        interactions.start_child(m, cmd, completed)
    elif isinstance(cmd, SignalExternalWorkflowCommand):
        interactions.signal_external(m, cmd, completed)
    elif isinstance(cmd, RequestCancelExternalWorkflowCommand):
        interactions.request_cancel_external(m, cmd, completed)
    else:
        assert_never(cmd)
    return False


def _start_timer(m: Machine, cmd: StartTimerCommand, completed: int) -> None:
    if cmd.timer_id in m.state.timers:
        raise InvalidArgument(f"start_timer: timer_id {cmd.timer_id!r} is already running")
    fire_at = m.now + cmd.start_to_fire_timeout
    started = m.append(
        EventType.TIMER_STARTED,
        {
            "timer_id": cmd.timer_id,
            "start_to_fire_timeout": format_duration(cmd.start_to_fire_timeout),
            "workflow_task_completed_event_id": completed,
        },
    )
    m.state.timers[cmd.timer_id] = TimerInfo(
        timer_id=cmd.timer_id, started_event_id=started, fire_time=fire_at
    )
    m.add_timer(
        f"timer:{cmd.timer_id}",
        fire_at,
        "user_timer",
        {"timer_id": cmd.timer_id, "started_event_id": started},
    )


def _cancel_timer(m: Machine, cmd: CancelTimerCommand, completed: int) -> None:
    info = m.state.timers.pop(cmd.timer_id, None)
    if info is None:
        info = _unfire(m, cmd.timer_id)
    if info is None:
        raise InvalidArgument(f"cancel_timer: no running timer has timer_id {cmd.timer_id!r}")
    m.delete_timer(f"timer:{cmd.timer_id}")
    m.append(
        EventType.TIMER_CANCELED,
        {
            "timer_id": cmd.timer_id,
            "started_event_id": info.started_event_id,
            "workflow_task_completed_event_id": completed,
        },
    )


def _unfire(m: Machine, timer_id: str) -> TimerInfo | None:
    """A timer that fired while the task that cancels it ran: its ``timer_fired`` event is
    still buffered. The workflow never saw it fire, so the cancellation wins (as in Temporal):
    the buffered event is dropped and the timer is recorded as canceled."""
    for index, entry in enumerate(m.state.buffered_events):
        attrs = entry["attributes"]
        if entry["event_type"] == EventType.TIMER_FIRED.value and attrs.get("timer_id") == timer_id:
            del m.state.buffered_events[index]
            return TimerInfo(
                timer_id=timer_id, started_event_id=int(attrs["started_event_id"]), fire_time=m.now
            )
    return None


def user_timer_fired(m: Machine, payload: dict[str, Any]) -> None:
    timer_id = str(payload["timer_id"])
    m.state.timer_keys.pop(f"timer:{timer_id}", None)
    info = m.state.timers.get(timer_id)
    if info is None or info.started_event_id != payload["started_event_id"] or not m.state.running:
        return
    del m.state.timers[timer_id]
    m.external(
        (EventType.TIMER_FIRED, {"timer_id": timer_id, "started_event_id": info.started_event_id})
    )


def _continue_as_new(m: Machine, cmd: ContinueAsNewCommand, completed: int) -> None:
    state = m.state
    spec = runs.spec_of(
        state,
        workflow_type=cmd.workflow_type,
        task_queue=cmd.task_queue,
        run_timeout=cmd.run_timeout.total_seconds() if cmd.run_timeout else None,
        task_timeout=cmd.task_timeout.total_seconds() if cmd.task_timeout else None,
        memo=cmd.memo,
        search_attributes=cmd.search_attributes,
    )
    spec.input = cmd.input
    runs.continue_run(
        m,
        initiator="workflow",
        spec=spec,
        backoff=cmd.backoff_start_interval,
        completed_event_id=completed,
    )
