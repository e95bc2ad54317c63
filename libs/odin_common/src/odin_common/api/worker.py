"""The worker API: long-poll for tasks, complete/fail them, heartbeat activities."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from odin_common.api.commands import Command
from odin_common.api.events import HistoryEvent
from odin_common.api.types import (
    Duration,
    Failure,
    Identity,
    JsonValue,
    Payloads,
    ResponseModel,
    StrictModel,
)

TaskKind = Literal["workflow", "activity"]
TaskTokenText = Annotated[str, StringConstraints(min_length=1, max_length=8192)]
MAX_POLL_WAIT = timedelta(seconds=60)

WorkflowTaskFailedCause = Literal[
    "nondeterminism",
    "workflow_error",
    "unhandled_command",
    "bad_command",
    "reset_sticky_task_queue",
    "other",
]


class PollRequest(StrictModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"kind": "activity", "identity": "worker-1@host", "wait": "30s"}]
        },
    )

    kind: TaskKind
    identity: Identity = ""
    wait: Duration = Field(
        default_factory=lambda: timedelta(seconds=30),
        description="How long to wait for a task (at most 60s); 204 when none came.",
    )


class WorkflowTask(ResponseModel):
    """A workflow task handed to a worker."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "kind": "workflow",
                    "task_token": "eyJ2IjoxLCJrIjoidyIsLi4ufQ",
                    "namespace": "default",
                    "workflow_id": "order-1",
                    "run_id": "9d7c8c52-7f5e-4c57-8f6d-1f2e3d4c5b6a",
                    "workflow_type": "OrderWorkflow",
                    "task_queue": "orders",
                    "attempt": 1,
                    "scheduled_event_id": 2,
                    "started_event_id": 3,
                    "history": [
                        {
                            "event_id": 1,
                            "event_type": "workflow_execution_started",
                            "event_time": "2026-01-01T00:00:00.000000Z",
                            "attributes": {
                                "workflow_type": "OrderWorkflow",
                                "task_queue": "orders",
                                "input": [{"id": 1}],
                            },
                        }
                    ],
                    "queries": [],
                }
            ]
        },
    )

    kind: Literal["workflow"] = "workflow"
    task_token: str
    namespace: str
    workflow_id: str
    run_id: str
    workflow_type: str
    task_queue: str
    attempt: int
    scheduled_event_id: int
    started_event_id: int
    previous_started_event_id: int | None = None
    history: list[HistoryEvent]
    next_page_token: str | None = None
    queries: list[dict[str, Any]] = Field(default_factory=list)


class ActivityTask(ResponseModel):
    """An activity task handed to a worker."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "kind": "activity",
                    "task_token": "eyJ2IjoxLCJrIjoiYSIsLi4ufQ",
                    "namespace": "default",
                    "workflow_id": "order-1",
                    "run_id": "9d7c8c52-7f5e-4c57-8f6d-1f2e3d4c5b6a",
                    "workflow_type": "OrderWorkflow",
                    "activity_id": "1",
                    "activity_type": "charge",
                    "task_queue": "orders",
                    "input": [{"id": 1}],
                    "attempt": 1,
                    "heartbeat_details": None,
                    "scheduled_time": "2026-01-01T00:00:00.000000Z",
                    "started_time": "2026-01-01T00:00:00.010000Z",
                    "start_to_close_timeout": "10s",
                }
            ]
        },
    )

    kind: Literal["activity"] = "activity"
    task_token: str
    namespace: str
    workflow_id: str
    run_id: str
    workflow_type: str
    activity_id: str
    activity_type: str
    task_queue: str
    input: Payloads
    attempt: int
    heartbeat_details: Any = None
    scheduled_time: datetime
    current_attempt_scheduled_time: datetime | None = None
    started_time: datetime
    schedule_to_close_timeout: Duration | None = None
    start_to_close_timeout: Duration | None = None
    heartbeat_timeout: Duration | None = None
    retry_policy: dict[str, Any] | None = None


class WorkflowTaskCompleteRequest(StrictModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "task_token": "eyJ2IjoxLCJrIjoidyIsLi4ufQ",
                    "identity": "worker-1@host",
                    "commands": [
                        {
                            "type": "schedule_activity",
                            "activity_id": "1",
                            "activity_type": "charge",
                            "input": [{"id": 1}],
                            "start_to_close_timeout": "10s",
                        }
                    ],
                }
            ]
        },
    )

    task_token: TaskTokenText
    commands: list[Command] = Field(default_factory=list, max_length=10000)
    identity: Identity = ""
    query_results: dict[str, JsonValue] | None = None
    sticky_task_queue: Annotated[str, StringConstraints(max_length=1000)] | None = None
    sticky_schedule_to_start_timeout: Duration | None = None


class WorkflowTaskFailRequest(StrictModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "task_token": "eyJ2IjoxLCJrIjoidyIsLi4ufQ",
                    "cause": "nondeterminism",
                    "failure": {
                        "message": "command 0 was start_timer, history has activity_task_scheduled",
                        "type": "NondeterminismError",
                    },
                    "identity": "worker-1@host",
                }
            ]
        },
    )

    task_token: TaskTokenText
    cause: WorkflowTaskFailedCause = "workflow_error"
    failure: Failure
    identity: Identity = ""


class ActivityHeartbeatRequest(StrictModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"task_token": "eyJ2IjoxLCJrIjoiYSIsLi4ufQ", "details": [{"row": 100}]}]
        },
    )

    task_token: TaskTokenText
    details: JsonValue = None
    identity: Identity = ""


class ActivityHeartbeatResponse(ResponseModel):
    cancel_requested: bool


class ActivityCompleteRequest(StrictModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"task_token": "eyJ2IjoxLCJrIjoiYSIsLi4ufQ", "result": "charged 1"}]
        },
    )

    task_token: TaskTokenText
    result: JsonValue = None
    identity: Identity = ""


class ActivityFailRequest(StrictModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "task_token": "eyJ2IjoxLCJrIjoiYSIsLi4ufQ",
                    "failure": {
                        "message": "card declined",
                        "type": "CardDeclined",
                        "non_retryable": True,
                    },
                }
            ]
        },
    )

    task_token: TaskTokenText
    failure: Failure
    identity: Identity = ""


class ActivityCancelRequest(StrictModel):
    task_token: TaskTokenText
    details: JsonValue = None
    identity: Identity = ""


class TaskAccepted(ResponseModel):
    """The answer to a task completion: the server took it."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{"accepted": True}]})

    accepted: bool = True


class WorkflowTaskCompleted(ResponseModel):
    """The answer to a workflow task completion: the server took it, and hands back the
    activities the commands asked to run eagerly, already started."""

    model_config = ConfigDict(
        extra="allow", json_schema_extra={"examples": [{"accepted": True, "activity_tasks": []}]}
    )

    accepted: bool = True
    activity_tasks: list[ActivityTask] = Field(default_factory=list)


class PollerInfo(ResponseModel):
    identity: str
    last_access_time: datetime
    kind: str


class TaskQueueKindStatus(ResponseModel):
    backlog_count: int
    backlog_age_seconds: float | None = None
    pollers: list[PollerInfo]


class TaskQueueDescription(ResponseModel):
    name: str
    namespace: str
    workflow: TaskQueueKindStatus
    activity: TaskQueueKindStatus


class QueryTaskRespondRequest(StrictModel):
    """A worker's answer to a query task: the result, or why the query failed."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"task_token": "eyJ2IjoxLCJrIjoicSIsLi4ufQ", "result": "approved"}]
        },
    )

    task_token: TaskTokenText
    result: JsonValue = None
    error: Annotated[str, StringConstraints(max_length=32768)] | None = Field(
        None,
        description="Set when the query failed (unknown query, the handler raised); "
        "then there is no result.",
    )
    identity: Identity = ""

    @model_validator(mode="after")
    def _result_or_error(self) -> QueryTaskRespondRequest:
        if self.error is not None and self.result is not None:
            raise ValueError("send either result or error, not both")
        return self
