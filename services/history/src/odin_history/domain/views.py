"""What people see of a run: the describe document and the result document."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from odin_common.api.types import RetryPolicy
from odin_common.durations import format_duration
from odin_common.state import ActivityInfo, ExecutionState


def _activity_state(info: ActivityInfo) -> str:
    if info.backoff_until is not None:
        return "backing_off"
    if info.cancel_requested:
        return "cancel_requested"
    return "started" if info.started else "scheduled"


def _pending_activity(info: ActivityInfo) -> dict[str, Any]:
    policy = RetryPolicy.model_validate(info.retry_policy)
    expiration = None
    if info.schedule_to_close_timeout is not None:
        expiration = info.scheduled_time + timedelta(seconds=info.schedule_to_close_timeout)
    return {
        "activity_id": info.activity_id,
        "activity_type": info.activity_type,
        "scheduled_event_id": info.scheduled_event_id,
        "state": _activity_state(info),
        "attempt": info.attempt,
        "maximum_attempts": policy.maximum_attempts,
        "task_queue": info.task_queue,
        "scheduled_time": info.scheduled_time,
        "last_started_time": info.started_time,
        "last_heartbeat_time": info.last_heartbeat_time,
        "heartbeat_details": info.heartbeat_details,
        "last_failure": info.last_failure,
        "last_worker_identity": info.identity,
        "next_attempt_schedule_time": info.backoff_until,
        "expiration_time": expiration,
    }


def describe(state: ExecutionState) -> dict[str, Any]:
    wt = state.workflow_task
    pending_wt = None
    if wt is not None:
        pending_wt = {
            "scheduled_event_id": wt.scheduled_event_id,
            "state": "started" if wt.started else "scheduled",
            "attempt": wt.attempt,
            "scheduled_time": wt.scheduled_time,
            "started_time": wt.started_time,
            "last_failure": wt.last_failure,
            "last_failure_cause": wt.last_failure_cause,
        }
    return {
        "workflow_id": state.workflow_id,
        "run_id": state.run_id,
        "workflow_type": state.workflow_type,
        "task_queue": state.task_queue,
        "status": state.status,
        "start_time": state.start_time,
        "execution_time": state.execution_time,
        "close_time": state.close_time,
        "history_length": state.next_event_id - 1,
        "memo": state.memo,
        "search_attributes": state.search_attributes,
        "result": state.result,
        "failure": state.failure,
        "pending_activities": [
            _pending_activity(a) for a in sorted(state.activities.values(), key=_by_id)
        ],
        "pending_children": [
            {
                "workflow_id": c.workflow_id,
                "run_id": c.run_id,
                "workflow_type": c.workflow_type,
                "initiated_event_id": c.initiated_event_id,
                "parent_close_policy": c.parent_close_policy,
            }
            for c in state.children.values()
        ],
        "pending_timers": [
            {
                "timer_id": t.timer_id,
                "started_event_id": t.started_event_id,
                "fire_time": t.fire_time,
            }
            for t in state.timers.values()
        ],
        "pending_workflow_task": pending_wt,
        "parent": (
            {
                "namespace": state.parent.namespace,
                "workflow_id": state.parent.workflow_id,
                "run_id": state.parent.run_id,
            }
            if state.parent
            else None
        ),
        "execution_timeout": format_duration(state.execution_timeout),
        "run_timeout": format_duration(state.run_timeout),
        "task_timeout": format_duration(state.task_timeout),
        "first_run_id": state.first_run_id,
        "continued_run_id": state.continued_from_run_id,
        "new_run_id": state.new_run_id,
    }


def _by_id(info: ActivityInfo) -> int:
    return info.scheduled_event_id


def result_document(state: ExecutionState) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "workflow_id": state.workflow_id,
        "run_id": state.run_id,
        "status": state.status,
    }
    if state.status == "completed":
        doc["result"] = state.result
    elif state.status != "running" and state.failure is not None:
        doc["failure"] = state.failure
    if state.new_run_id:
        doc["new_run_id"] = state.new_run_id
    return doc
