"""Workflow requests and responses (start, describe, history, result, terminate, ...)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import ConfigDict, Field, model_validator

from odin_common.api.events import HistoryEvent
from odin_common.api.types import (
    DEFAULT_TASK_TIMEOUT,
    CronSchedule,
    Duration,
    Failure,
    Identifier,
    JsonValue,
    Payloads,
    RequestedRetryPolicy,
    RequestId,
    ResponseModel,
    RunId,
    SearchAttributes,
    StrictModel,
    TaskTimeout,
)

WorkflowStatus = Literal[
    "running", "completed", "failed", "canceled", "terminated", "continued_as_new", "timed_out"
]
IdReusePolicy = Literal["allow_duplicate", "allow_duplicate_failed_only", "reject_duplicate"]
IdConflictPolicy = Literal["fail", "use_existing", "terminate_existing"]


class WorkflowStartRequest(StrictModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "workflow_type": "OrderWorkflow",
                    "task_queue": "orders",
                    "input": [{"id": 1, "amount": 42}],
                    "request_id": "0b9c2f4e-3c55-4a51-a9b3-6d8f8f7f6a10",
                    "execution_timeout": "1h",
                }
            ]
        },
    )

    workflow_type: Identifier
    task_queue: Identifier
    input: Payloads = Field(default_factory=list, description="Positional arguments.")
    request_id: RequestId | None = Field(
        None, description="Repeating a start with the same request_id returns the first answer."
    )
    id_reuse_policy: IdReusePolicy = "allow_duplicate"
    id_conflict_policy: IdConflictPolicy = "fail"
    execution_timeout: Duration | None = Field(
        None, description="Limit on the whole execution, across retries and continue-as-new."
    )
    run_timeout: Duration | None = Field(None, description="Limit on a single run.")
    task_timeout: TaskTimeout = Field(
        default_factory=lambda: DEFAULT_TASK_TIMEOUT,
        description="Limit on one workflow task (at most 2m: longer counts as 2m, as in "
        "Temporal; 0s means the default, 10s).",
    )
    retry_policy: RequestedRetryPolicy | None = None
    memo: dict[str, JsonValue] | None = None
    search_attributes: SearchAttributes | None = None
    cron_schedule: CronSchedule | None = Field(
        None,
        description="Run on this schedule (UTC): the first run waits for the first match, and "
        "each run that closes is followed by the next one at the next match.",
    )
    start_delay: Duration | None = Field(
        None,
        description="Wait this long before the first workflow task; a later signal-with-start "
        "ends the wait, as in Temporal (a plain signal does not). Not with cron_schedule.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> WorkflowStartRequest:
        if self.cron_schedule is not None and self.start_delay is not None:
            raise ValueError("start_delay cannot be combined with cron_schedule")
        if not self.task_timeout:
            # Zero means "not set", as in Temporal: it would time every task out at once.
            self.task_timeout = DEFAULT_TASK_TIMEOUT
        return self


class WorkflowStartResponse(ResponseModel):
    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "workflow_id": "order-1",
                    "run_id": "9d7c8c52-7f5e-4c57-8f6d-1f2e3d4c5b6a",
                    "started": True,
                }
            ]
        },
    )

    workflow_id: str
    run_id: str
    started: bool


class PendingActivity(ResponseModel):
    activity_id: str
    activity_type: str
    scheduled_event_id: int
    state: Literal["scheduled", "started", "cancel_requested", "backing_off"]
    attempt: int
    maximum_attempts: int
    task_queue: str
    scheduled_time: datetime
    last_started_time: datetime | None = None
    last_heartbeat_time: datetime | None = None
    heartbeat_details: Any = None
    last_failure: Failure | None = None
    last_worker_identity: str | None = None
    next_attempt_schedule_time: datetime | None = None
    expiration_time: datetime | None = None


class PendingWorkflowTask(ResponseModel):
    scheduled_event_id: int
    state: Literal["scheduled", "started"]
    attempt: int
    scheduled_time: datetime
    started_time: datetime | None = None
    last_failure: Failure | None = None
    last_failure_cause: str | None = None


class PendingChild(ResponseModel):
    workflow_id: str
    run_id: str | None = None
    workflow_type: str
    initiated_event_id: int
    parent_close_policy: str


class PendingTimer(ResponseModel):
    timer_id: str
    started_event_id: int
    fire_time: datetime


class WorkflowParent(ResponseModel):
    namespace: str
    workflow_id: str
    run_id: str


class WorkflowDescribeResponse(ResponseModel):
    workflow_id: str
    run_id: str
    workflow_type: str
    task_queue: str
    status: WorkflowStatus
    start_time: datetime
    execution_time: datetime | None = None
    close_time: datetime | None = None
    history_length: int
    memo: dict[str, Any] = Field(default_factory=dict)
    search_attributes: dict[str, Any] = Field(default_factory=dict)
    result: Any = None
    failure: Failure | None = None
    pending_activities: list[PendingActivity] = Field(default_factory=list)
    pending_children: list[PendingChild] = Field(default_factory=list)
    pending_timers: list[PendingTimer] = Field(default_factory=list)
    pending_workflow_task: PendingWorkflowTask | None = None
    parent: WorkflowParent | None = None
    execution_timeout: Duration | None = None
    run_timeout: Duration | None = None
    task_timeout: Duration | None = None
    first_run_id: str | None = None
    continued_run_id: str | None = Field(
        None, description="The run this one continues (continue-as-new, retry or cron)."
    )
    new_run_id: str | None = Field(None, description="The run that continues this one.")


class HistoryResponse(ResponseModel):
    events: list[HistoryEvent]
    next_page_token: str | None = None


class WorkflowResultResponse(ResponseModel):
    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "workflow_id": "order-1",
                    "run_id": "9d7c8c52-7f5e-4c57-8f6d-1f2e3d4c5b6a",
                    "status": "completed",
                    "result": "charged 1",
                }
            ]
        },
    )

    workflow_id: str
    run_id: str
    status: WorkflowStatus
    result: Any = None
    failure: Failure | None = None
    new_run_id: str | None = None


class TerminateRequest(StrictModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "stuck on a bad deploy"}]},
    )

    reason: str | None = Field(None, max_length=4096)
    details: JsonValue = None
    run_id: RunId | None = None
    request_id: RequestId | None = None
    first_execution_run_id: RunId | None = Field(
        None,
        description="Only if the workflow's current run belongs to the chain (continue-as-new, "
        "retries, cron) this run started; else workflow_not_found. What a handle from a start "
        "sends, so it never reaches a later, unrelated workflow of the same id.",
    )


class WorkflowRef(ResponseModel):
    workflow_id: str
    run_id: str


class SignalRequest(StrictModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"args": [{"approved_by": "ana"}], "request_id": "sig-1"}]},
    )

    args: Payloads = Field(default_factory=list, description="Arguments of the signal handler.")
    run_id: RunId | None = Field(None, description="A specific run (default: the current one).")
    request_id: RequestId | None = Field(
        None, description="Repeating a signal with the same request_id delivers it once."
    )


class SignalWithStartRequest(WorkflowStartRequest):
    """A start request plus the signal's arguments: signal the workflow, starting it first if
    it is not running."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "workflow_type": "OrderWorkflow",
                    "task_queue": "orders",
                    "input": [{"id": 1}],
                    "signal_args": [{"approved_by": "ana"}],
                }
            ]
        },
    )

    signal_args: Payloads = Field(default_factory=list)
    id_conflict_policy: IdConflictPolicy = Field(
        "use_existing",
        description="A running run is signaled (use_existing) or terminated and replaced by a "
        "new run that receives the signal (terminate_existing); fail is refused.",
    )


class QueryRequest(StrictModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"args": []}]})

    args: Payloads = Field(default_factory=list, description="Arguments of the query handler.")
    run_id: RunId | None = None


class QueryResponse(ResponseModel):
    model_config = ConfigDict(
        extra="allow", json_schema_extra={"examples": [{"result": "approved"}]}
    )

    result: Any = None


class CancelRequest(StrictModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "customer changed their mind"}]}
    )

    reason: str | None = Field(None, max_length=4096)
    run_id: RunId | None = None
    request_id: RequestId | None = None
    first_execution_run_id: RunId | None = Field(
        None,
        description="Only if the workflow's current run belongs to the chain (continue-as-new, "
        "retries, cron) this run started; else workflow_not_found. What a handle from a start "
        "sends, so it never reaches a later, unrelated workflow of the same id.",
    )
