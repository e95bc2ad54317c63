"""Commands a workflow task completes with: ``{type, ...fields}``. See API.md, "Worker API"."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from odin_common.api.types import (
    CronSchedule,
    Duration,
    Failure,
    Identifier,
    JsonValue,
    Payloads,
    RequestedRetryPolicy,
    RunId,
    SearchAttributes,
    StrictModel,
    TaskTimeout,
    WorkflowId,
)

ParentClosePolicy = Literal["terminate", "request_cancel", "abandon"]


class ScheduleActivityCommand(StrictModel):
    type: Literal["schedule_activity"]
    activity_id: Identifier
    activity_type: Identifier
    task_queue: Identifier | None = None
    input: Payloads = Field(default_factory=list)
    schedule_to_close_timeout: Duration | None = None
    schedule_to_start_timeout: Duration | None = None
    start_to_close_timeout: Duration | None = None
    heartbeat_timeout: Duration | None = None
    retry_policy: RequestedRetryPolicy | None = None
    request_eager_execution: bool = Field(
        False,
        description="Hand the first attempt straight back to the worker completing this "
        "workflow task (in `activity_tasks` of the answer) instead of through the task queue. "
        "Honoured for up to three activities per completion that run on the workflow's own "
        "task queue and have a start-to-close limit.",
    )


class RequestCancelActivityCommand(StrictModel):
    type: Literal["request_cancel_activity"]
    scheduled_event_id: int = Field(ge=1)


class StartTimerCommand(StrictModel):
    type: Literal["start_timer"]
    timer_id: Identifier
    start_to_fire_timeout: Duration


class CancelTimerCommand(StrictModel):
    type: Literal["cancel_timer"]
    timer_id: Identifier


class CompleteWorkflowCommand(StrictModel):
    type: Literal["complete_workflow"]
    result: JsonValue = None


class FailWorkflowCommand(StrictModel):
    type: Literal["fail_workflow"]
    failure: Failure


class CancelWorkflowCommand(StrictModel):
    type: Literal["cancel_workflow"]
    details: JsonValue = None


class ContinueAsNewCommand(StrictModel):
    type: Literal["continue_as_new"]
    workflow_type: Identifier | None = None
    task_queue: Identifier | None = None
    input: Payloads = Field(default_factory=list)
    run_timeout: Duration | None = None
    task_timeout: TaskTimeout | None = None
    backoff_start_interval: Duration | None = None
    memo: dict[str, JsonValue] | None = None
    search_attributes: SearchAttributes | None = None


class StartChildWorkflowCommand(StrictModel):
    type: Literal["start_child_workflow"]
    workflow_id: WorkflowId
    workflow_type: Identifier
    task_queue: Identifier | None = None
    input: Payloads = Field(default_factory=list)
    execution_timeout: Duration | None = None
    run_timeout: Duration | None = None
    task_timeout: TaskTimeout | None = None
    parent_close_policy: ParentClosePolicy = "terminate"
    id_reuse_policy: (
        Literal["allow_duplicate", "allow_duplicate_failed_only", "reject_duplicate"] | None
    ) = None
    retry_policy: RequestedRetryPolicy | None = None
    cron_schedule: CronSchedule | None = None
    memo: dict[str, JsonValue] | None = None
    search_attributes: SearchAttributes | None = None


class SignalExternalWorkflowCommand(StrictModel):
    type: Literal["signal_external_workflow"]
    workflow_id: WorkflowId
    run_id: RunId | None = None
    signal_name: Identifier
    args: Payloads = Field(default_factory=list)
    child_workflow_only: bool = False


class RequestCancelExternalWorkflowCommand(StrictModel):
    type: Literal["request_cancel_external_workflow"]
    workflow_id: WorkflowId
    run_id: RunId | None = None
    child_workflow_only: bool = False


class RecordMarkerCommand(StrictModel):
    type: Literal["record_marker"]
    marker_name: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    details: JsonValue = None


class UpsertSearchAttributesCommand(StrictModel):
    type: Literal["upsert_search_attributes"]
    search_attributes: SearchAttributes


Command = Annotated[
    ScheduleActivityCommand
    | RequestCancelActivityCommand
    | StartTimerCommand
    | CancelTimerCommand
    | CompleteWorkflowCommand
    | FailWorkflowCommand
    | CancelWorkflowCommand
    | ContinueAsNewCommand
    | StartChildWorkflowCommand
    | SignalExternalWorkflowCommand
    | RequestCancelExternalWorkflowCommand
    | RecordMarkerCommand
    | UpsertSearchAttributesCommand,
    Field(discriminator="type"),
]
