"""History events: ``{event_id, event_type, event_time, attributes}``.

Event types are Temporal's, in snake_case. Attributes that point at an earlier event are named
``*_event_id``. The attributes of each type are documented in API.md and docs/events.md.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class EventType(StrEnum):
    WORKFLOW_EXECUTION_STARTED = "workflow_execution_started"
    WORKFLOW_EXECUTION_COMPLETED = "workflow_execution_completed"
    WORKFLOW_EXECUTION_FAILED = "workflow_execution_failed"
    WORKFLOW_EXECUTION_TIMED_OUT = "workflow_execution_timed_out"
    WORKFLOW_EXECUTION_CANCELED = "workflow_execution_canceled"
    WORKFLOW_EXECUTION_TERMINATED = "workflow_execution_terminated"
    WORKFLOW_EXECUTION_CONTINUED_AS_NEW = "workflow_execution_continued_as_new"
    WORKFLOW_EXECUTION_SIGNALED = "workflow_execution_signaled"
    WORKFLOW_EXECUTION_CANCEL_REQUESTED = "workflow_execution_cancel_requested"
    WORKFLOW_TASK_SCHEDULED = "workflow_task_scheduled"
    WORKFLOW_TASK_STARTED = "workflow_task_started"
    WORKFLOW_TASK_COMPLETED = "workflow_task_completed"
    WORKFLOW_TASK_FAILED = "workflow_task_failed"
    WORKFLOW_TASK_TIMED_OUT = "workflow_task_timed_out"
    ACTIVITY_TASK_SCHEDULED = "activity_task_scheduled"
    ACTIVITY_TASK_STARTED = "activity_task_started"
    ACTIVITY_TASK_COMPLETED = "activity_task_completed"
    ACTIVITY_TASK_FAILED = "activity_task_failed"
    ACTIVITY_TASK_TIMED_OUT = "activity_task_timed_out"
    ACTIVITY_TASK_CANCEL_REQUESTED = "activity_task_cancel_requested"
    ACTIVITY_TASK_CANCELED = "activity_task_canceled"
    TIMER_STARTED = "timer_started"
    TIMER_FIRED = "timer_fired"
    TIMER_CANCELED = "timer_canceled"
    MARKER_RECORDED = "marker_recorded"
    UPSERT_WORKFLOW_SEARCH_ATTRIBUTES = "upsert_workflow_search_attributes"
    START_CHILD_WORKFLOW_EXECUTION_INITIATED = "start_child_workflow_execution_initiated"
    START_CHILD_WORKFLOW_EXECUTION_FAILED = "start_child_workflow_execution_failed"
    CHILD_WORKFLOW_EXECUTION_STARTED = "child_workflow_execution_started"
    CHILD_WORKFLOW_EXECUTION_COMPLETED = "child_workflow_execution_completed"
    CHILD_WORKFLOW_EXECUTION_FAILED = "child_workflow_execution_failed"
    CHILD_WORKFLOW_EXECUTION_CANCELED = "child_workflow_execution_canceled"
    CHILD_WORKFLOW_EXECUTION_TERMINATED = "child_workflow_execution_terminated"
    CHILD_WORKFLOW_EXECUTION_TIMED_OUT = "child_workflow_execution_timed_out"
    SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED = "signal_external_workflow_execution_initiated"
    SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED = "signal_external_workflow_execution_failed"
    EXTERNAL_WORKFLOW_EXECUTION_SIGNALED = "external_workflow_execution_signaled"
    REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED = (
        "request_cancel_external_workflow_execution_initiated"
    )
    REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED = (
        "request_cancel_external_workflow_execution_failed"
    )
    EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED = "external_workflow_execution_cancel_requested"


CLOSE_EVENT_TYPES = frozenset(
    {
        EventType.WORKFLOW_EXECUTION_COMPLETED,
        EventType.WORKFLOW_EXECUTION_FAILED,
        EventType.WORKFLOW_EXECUTION_TIMED_OUT,
        EventType.WORKFLOW_EXECUTION_CANCELED,
        EventType.WORKFLOW_EXECUTION_TERMINATED,
        EventType.WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
    }
)


class HistoryEvent(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "event_id": 5,
                    "event_type": "activity_task_scheduled",
                    "event_time": "2026-01-01T00:00:00.000000Z",
                    "attributes": {
                        "activity_id": "1",
                        "activity_type": "charge",
                        "task_queue": "orders",
                        "input": [{"id": 1}],
                        "workflow_task_completed_event_id": 4,
                    },
                }
            ]
        },
    )

    event_id: int = Field(ge=1)
    event_type: EventType
    event_time: datetime
    attributes: dict[str, Any] = Field(default_factory=dict)
