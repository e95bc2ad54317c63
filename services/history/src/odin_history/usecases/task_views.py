"""The activity task a worker receives (API.md, "Worker API"): from a poll, or handed back
eagerly in the answer to a workflow task completion."""

from __future__ import annotations

from typing import Any

from odin_common.durations import format_duration
from odin_common.state import ActivityInfo, ExecutionState
from odin_common.tokens import TaskToken


def activity_task(namespace: str, state: ExecutionState, info: ActivityInfo) -> dict[str, Any]:
    """The started attempt ``info`` of an activity of the run ``state``, with its token."""
    token = TaskToken(
        kind="activity",
        namespace=namespace,
        workflow_id=state.workflow_id,
        run_id=state.run_id,
        scheduled_event_id=info.scheduled_event_id,
        attempt=info.attempt,
        activity_id=info.activity_id,
    )
    return {
        "kind": "activity",
        "task_token": token.encode(),
        "namespace": namespace,
        "workflow_id": state.workflow_id,
        "run_id": state.run_id,
        "workflow_type": state.workflow_type,
        "activity_id": info.activity_id,
        "activity_type": info.activity_type,
        "task_queue": info.task_queue,
        "input": info.input,
        "attempt": info.attempt,
        "heartbeat_details": info.heartbeat_details,
        "scheduled_time": info.scheduled_time,
        "current_attempt_scheduled_time": info.attempt_scheduled_time,
        "started_time": info.started_time,
        "schedule_to_close_timeout": format_duration(info.schedule_to_close_timeout),
        "start_to_close_timeout": format_duration(info.start_to_close_timeout),
        "heartbeat_timeout": format_duration(info.heartbeat_timeout),
        "retry_policy": info.retry_policy,
    }
