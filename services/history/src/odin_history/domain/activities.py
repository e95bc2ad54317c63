"""Activity rules: scheduling, attempts, heartbeats, retries with backoff, and the four
timeouts (schedule-to-start, start-to-close, schedule-to-close, heartbeat)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from odin_common.api.commands import RequestCancelActivityCommand, ScheduleActivityCommand
from odin_common.api.events import EventType
from odin_common.api.types import RetryPolicy
from odin_common.durations import format_duration
from odin_common.errors import InvalidArgument, TaskNotFound
from odin_common.state import ActivityInfo
from odin_history.domain.machine import Machine

TIMEOUT_KINDS = ("schedule_to_start", "start_to_close", "schedule_to_close", "heartbeat")


def _seconds(value: timedelta | None) -> float | None:
    """Seconds, or None when not set; zero means "not set" too, as in Temporal."""
    return value.total_seconds() if value else None


def schedule_activity(
    m: Machine, cmd: ScheduleActivityCommand, completed_event_id: int, *, may_run_eagerly: bool
) -> int | None:
    """Record the activity and queue its first attempt. Returns its scheduled event id when
    the attempt is kept back for eager execution (see :func:`start_eagerly`) rather than
    dispatched to the queue: asked for, allowed (``may_run_eagerly``), on the workflow's own
    task queue, and with a start-to-close limit, which retries the attempt should the worker
    never get it."""
    state = m.state
    if any(a.activity_id == cmd.activity_id for a in state.activities.values()):
        raise InvalidArgument(
            f"schedule_activity: activity_id {cmd.activity_id!r} is already in use by a "
            "pending activity of this workflow"
        )
    s2c = _seconds(cmd.schedule_to_close_timeout)
    s2s = _seconds(cmd.schedule_to_start_timeout)
    stc = _seconds(cmd.start_to_close_timeout)
    if s2c is None and s2s is None and stc is None:
        raise InvalidArgument(
            "schedule_activity: one of schedule_to_close_timeout, schedule_to_start_timeout "
            "or start_to_close_timeout is required (and not zero)"
        )
    stc = stc or s2c or state.run_timeout or state.execution_timeout
    heartbeat = _seconds(cmd.heartbeat_timeout)
    policy = cmd.retry_policy or RetryPolicy()
    task_queue = cmd.task_queue or state.task_queue
    scheduled_event_id = m.append(
        EventType.ACTIVITY_TASK_SCHEDULED,
        {
            "activity_id": cmd.activity_id,
            "activity_type": cmd.activity_type,
            "task_queue": task_queue,
            "input": cmd.input,
            "schedule_to_close_timeout": format_duration(s2c),
            "schedule_to_start_timeout": format_duration(s2s),
            "start_to_close_timeout": format_duration(stc),
            "heartbeat_timeout": format_duration(heartbeat),
            "retry_policy": policy.model_dump(mode="json"),
            "workflow_task_completed_event_id": completed_event_id,
        },
    )
    info = ActivityInfo(
        scheduled_event_id=scheduled_event_id,
        activity_id=cmd.activity_id,
        activity_type=cmd.activity_type,
        task_queue=task_queue,
        input=cmd.input,
        scheduled_time=m.now,
        attempt_scheduled_time=m.now,
        schedule_to_close_timeout=s2c,
        schedule_to_start_timeout=s2s,
        start_to_close_timeout=stc,
        heartbeat_timeout=heartbeat,
        retry_policy=policy.model_dump(mode="json"),
    )
    state.activities[scheduled_event_id] = info
    eager = (
        cmd.request_eager_execution
        and may_run_eagerly
        and task_queue == state.task_queue
        and stc is not None
    )
    _queue_attempt(m, info, dispatch=not eager)
    if s2c is not None:
        _arm(m, info, "schedule_to_close", m.now + timedelta(seconds=s2c))
    return scheduled_event_id if eager else None


def start_eagerly(m: Machine, scheduled_event_id: int, identity: str) -> ActivityInfo | None:
    """Start the first attempt of an activity scheduled for eager execution, handed to the
    worker that completed the workflow task (None if the same completion closed the run).
    Should the worker never get it, its start-to-close timeout retries it through the queue,
    as any lost attempt."""
    if not m.state.running or scheduled_event_id not in m.state.activities:
        return None
    return start_activity(m, scheduled_event_id, 1, uuid.uuid4().hex, identity)


def _arm(m: Machine, info: ActivityInfo, kind: str, fire_at: datetime) -> None:
    m.add_timer(
        f"act:{info.scheduled_event_id}:{kind}",
        fire_at,
        "activity_timeout",
        {"scheduled_event_id": info.scheduled_event_id, "attempt": info.attempt, "kind": kind},
    )


def _queue_attempt(m: Machine, info: ActivityInfo, *, dispatch: bool = True) -> None:
    info.attempt_scheduled_time = m.now
    info.backoff_until = None
    if not dispatch:
        return
    m.dispatch("activity", info.task_queue, info.scheduled_event_id, info.attempt)
    if info.schedule_to_start_timeout is not None:
        _arm(
            m, info, "schedule_to_start", m.now + timedelta(seconds=info.schedule_to_start_timeout)
        )


def _require(m: Machine, scheduled_event_id: int, attempt: int, *, started: bool) -> ActivityInfo:
    if not m.state.running:
        raise TaskNotFound(
            f"workflow {m.state.workflow_id} is {m.state.status}; the activity is gone",
            workflow_id=m.state.workflow_id,
        )
    info = m.state.activities.get(scheduled_event_id)
    if info is None or info.attempt != attempt or info.backoff_until is not None:
        raise TaskNotFound(
            "this activity task is no longer current (completed, timed out, retried or canceled)",
            workflow_id=m.state.workflow_id,
        )
    if started and not info.started:
        raise TaskNotFound("this activity task has not been handed to a worker")
    return info


def start_activity(
    m: Machine, scheduled_event_id: int, attempt: int, request_id: str, identity: str
) -> ActivityInfo:
    info = _require(m, scheduled_event_id, attempt, started=False)
    if info.started:
        if info.request_id == request_id:
            return info
        raise TaskNotFound("this activity task was already handed to another poller")
    info.started_time = m.now
    info.request_id = request_id
    info.identity = identity
    info.last_heartbeat_time = None
    m.delete_timer(f"act:{scheduled_event_id}:schedule_to_start")
    if info.start_to_close_timeout is not None:
        _arm(m, info, "start_to_close", m.now + timedelta(seconds=info.start_to_close_timeout))
    if info.heartbeat_timeout is not None:
        _arm(m, info, "heartbeat", m.now + timedelta(seconds=info.heartbeat_timeout))
    m.changed = True
    return info


def heartbeat_activity(m: Machine, scheduled_event_id: int, attempt: int, details: Any) -> bool:
    info = _require(m, scheduled_event_id, attempt, started=True)
    info.last_heartbeat_time = m.now
    if details is not None:
        info.heartbeat_details = details
    m.changed = True
    return info.cancel_requested


def _started_event(info: ActivityInfo) -> tuple[EventType, dict[str, Any]]:
    return (
        EventType.ACTIVITY_TASK_STARTED,
        {
            "scheduled_event_id": info.scheduled_event_id,
            "attempt": info.attempt,
            "identity": info.identity or "",
            "request_id": info.request_id,
            "last_failure": info.last_failure,
        },
    )


def _finish(
    m: Machine, info: ActivityInfo, event_type: EventType, attributes: dict[str, Any]
) -> None:
    """Close the activity with ``event_type`` (preceded by its started event, if it ran)."""
    del m.state.activities[info.scheduled_event_id]
    m.delete_timers(f"act:{info.scheduled_event_id}:")
    attributes = {"scheduled_event_id": info.scheduled_event_id, **attributes}
    if info.started:
        attributes["started_event_id"] = None
        m.external(_started_event(info), (event_type, attributes))
    else:
        m.external((event_type, attributes))


def complete_activity(
    m: Machine, scheduled_event_id: int, attempt: int, result: Any, identity: str
) -> None:
    info = _require(m, scheduled_event_id, attempt, started=True)
    _finish(m, info, EventType.ACTIVITY_TASK_COMPLETED, {"result": result, "identity": identity})


def _retry_delay(
    m: Machine, info: ActivityInfo, failure: dict[str, Any]
) -> tuple[timedelta | None, str]:
    policy = RetryPolicy.model_validate(info.retry_policy)
    if failure.get("non_retryable"):
        return None, "non_retryable_failure"
    if failure.get("type") and failure["type"] in policy.non_retryable_error_types:
        return None, "non_retryable_failure"
    if info.cancel_requested:
        return None, "cancel_requested"
    if policy.maximum_attempts and info.attempt >= policy.maximum_attempts:
        return None, "maximum_attempts_reached"
    delay = policy.backoff(info.attempt)
    if info.schedule_to_close_timeout is not None:
        deadline = info.scheduled_time + timedelta(seconds=info.schedule_to_close_timeout)
        if m.now + delay >= deadline:
            return None, "timeout"
    return delay, "in_progress"


def _fail_attempt(
    m: Machine,
    info: ActivityInfo,
    failure: dict[str, Any],
    identity: str,
    *,
    timeout_kind: str | None = None,
) -> None:
    """An attempt failed (or timed out): retry after a backoff, or close the activity."""
    delay, retry_state = _retry_delay(m, info, failure)
    if delay is not None:
        info.last_failure = failure
        info.attempt += 1
        info.started_time = None
        info.request_id = None
        info.identity = identity or info.identity
        info.backoff_until = m.now + delay
        for kind in ("schedule_to_start", "start_to_close", "heartbeat"):
            m.delete_timer(f"act:{info.scheduled_event_id}:{kind}")
        m.add_timer(
            f"act:{info.scheduled_event_id}:retry",
            info.backoff_until,
            "activity_retry",
            {"scheduled_event_id": info.scheduled_event_id, "attempt": info.attempt},
        )
        return
    if timeout_kind is None:
        _finish(
            m,
            info,
            EventType.ACTIVITY_TASK_FAILED,
            {"failure": failure, "retry_state": retry_state, "identity": identity},
        )
    else:
        _finish(
            m,
            info,
            EventType.ACTIVITY_TASK_TIMED_OUT,
            {"timeout_type": timeout_kind, "failure": failure, "retry_state": retry_state},
        )


def fail_activity(
    m: Machine, scheduled_event_id: int, attempt: int, failure: dict[str, Any], identity: str
) -> None:
    info = _require(m, scheduled_event_id, attempt, started=True)
    _fail_attempt(m, info, failure, identity)


def report_activity_canceled(
    m: Machine, scheduled_event_id: int, attempt: int, details: Any, identity: str
) -> None:
    info = _require(m, scheduled_event_id, attempt, started=True)
    _finish(m, info, EventType.ACTIVITY_TASK_CANCELED, {"details": details, "identity": identity})


def request_cancel_activity(
    m: Machine, cmd: RequestCancelActivityCommand, completed_event_id: int
) -> bool:
    """Apply ``request_cancel_activity``. True if the activity was canceled at once (it had
    not started), which the workflow must be told about in a new workflow task."""
    info = m.state.activities.get(cmd.scheduled_event_id)
    if info is None and cmd.scheduled_event_id >= m.state.next_event_id:
        raise InvalidArgument(
            f"request_cancel_activity: no pending activity was scheduled by event "
            f"{cmd.scheduled_event_id}"
        )
    requested = m.append(
        EventType.ACTIVITY_TASK_CANCEL_REQUESTED,
        {
            "scheduled_event_id": cmd.scheduled_event_id,
            "workflow_task_completed_event_id": completed_event_id,
        },
    )
    if info is None:
        # It closed while this task ran (its result is buffered): nothing left to cancel.
        return False
    if info.started:
        info.cancel_requested = True
        return False
    del m.state.activities[info.scheduled_event_id]
    m.delete_timers(f"act:{info.scheduled_event_id}:")
    m.append(
        EventType.ACTIVITY_TASK_CANCELED,
        {
            "scheduled_event_id": info.scheduled_event_id,
            "started_event_id": None,
            "latest_cancel_requested_event_id": requested,
            "details": None,
            "identity": "",
        },
    )
    return True


def _timeout_failure(kind: str, info: ActivityInfo) -> dict[str, Any]:
    failure: dict[str, Any] = {
        "message": f"activity {kind} timeout",
        "type": "TimeoutError",
        "timeout_type": kind,
        "non_retryable": False,
        "details": info.heartbeat_details if kind == "heartbeat" else None,
    }
    if info.last_failure is not None:
        failure["cause"] = info.last_failure
    return failure


def activity_timeout_fired(m: Machine, payload: dict[str, Any]) -> None:
    """A timeout timer of an activity fired; it may be stale (the activity moved on)."""
    scheduled_event_id = int(payload["scheduled_event_id"])
    kind = str(payload["kind"])
    m.state.timer_keys.pop(f"act:{scheduled_event_id}:{kind}", None)
    info = m.state.activities.get(scheduled_event_id)
    if info is None or not m.state.running:
        return
    if kind == "schedule_to_close":
        failure = _timeout_failure(kind, info)
        _finish(
            m,
            info,
            EventType.ACTIVITY_TASK_TIMED_OUT,
            {"timeout_type": kind, "failure": failure, "retry_state": "timeout"},
        )
        return
    if info.attempt != int(payload["attempt"]) or info.backoff_until is not None:
        return
    if kind == "schedule_to_start":
        if info.started:
            return
        # Not retried: another attempt would wait in the same queue (as in Temporal).
        _finish(
            m,
            info,
            EventType.ACTIVITY_TASK_TIMED_OUT,
            {
                "timeout_type": kind,
                "failure": _timeout_failure(kind, info),
                "retry_state": "non_retryable_failure",
            },
        )
        return
    if not info.started or info.started_time is None:
        return
    if kind == "heartbeat":
        assert info.heartbeat_timeout is not None
        last = info.last_heartbeat_time or info.started_time
        deadline = last + timedelta(seconds=info.heartbeat_timeout)
        if deadline > m.now:
            _arm(m, info, "heartbeat", deadline)
            return
    _fail_attempt(m, info, _timeout_failure(kind, info), info.identity or "", timeout_kind=kind)
    m.changed = True


def activity_retry_fired(m: Machine, payload: dict[str, Any]) -> None:
    scheduled_event_id = int(payload["scheduled_event_id"])
    m.state.timer_keys.pop(f"act:{scheduled_event_id}:retry", None)
    info = m.state.activities.get(scheduled_event_id)
    if (
        info is None
        or not m.state.running
        or info.attempt != int(payload["attempt"])
        or info.backoff_until is None
    ):
        return
    _queue_attempt(m, info)
