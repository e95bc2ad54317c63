"""The persisted mutable state of a workflow run (the ``executions.state`` column).

History owns and changes it; it lives here because it is a storage format, like the schema:
the reconciler in system workers reads it to find tasks that history believes are scheduled.
Durations are stored as float seconds, times as aware UTC datetimes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from odin_common.api.internal import DispatchTask

WorkflowStatusValue = Literal[
    "running", "completed", "failed", "canceled", "terminated", "continued_as_new", "timed_out"
]


class _State(BaseModel):
    model_config = ConfigDict(extra="ignore", validate_assignment=False)


class WorkflowTaskInfo(_State):
    """The workflow task that is scheduled or running (at most one per run)."""

    scheduled_event_id: int
    attempt: int = 1
    task_queue: str
    scheduled_time: datetime
    transient: bool = False
    """Attempts after a failed one write no scheduled/started events until they complete."""
    started_event_id: int | None = None
    started_time: datetime | None = None
    request_id: str | None = None
    identity: str | None = None
    last_failure: dict[str, Any] | None = None
    last_failure_cause: str | None = None

    @property
    def started(self) -> bool:
        return self.started_event_id is not None


class ActivityInfo(_State):
    """A scheduled activity: its options, its current attempt and what that attempt did."""

    scheduled_event_id: int
    activity_id: str
    activity_type: str
    task_queue: str
    input: list[Any] = Field(default_factory=list)
    scheduled_time: datetime
    """When the activity was first scheduled (schedule-to-close counts from here)."""
    attempt: int = 1
    attempt_scheduled_time: datetime
    """When the current attempt was queued (schedule-to-start counts from here)."""
    schedule_to_close_timeout: float | None = None
    schedule_to_start_timeout: float | None = None
    start_to_close_timeout: float | None = None
    heartbeat_timeout: float | None = None
    retry_policy: dict[str, Any] = Field(default_factory=dict)
    started_time: datetime | None = None
    request_id: str | None = None
    identity: str | None = None
    last_heartbeat_time: datetime | None = None
    heartbeat_details: Any = None
    last_failure: dict[str, Any] | None = None
    backoff_until: datetime | None = None
    """Set while the activity waits to be retried (no task is queued then)."""
    cancel_requested: bool = False

    @property
    def started(self) -> bool:
        return self.started_time is not None


class TimerInfo(_State):
    timer_id: str
    started_event_id: int
    fire_time: datetime


class ChildInfo(_State):
    initiated_event_id: int
    workflow_id: str
    workflow_type: str
    namespace: str
    run_id: str | None = None
    started_event_id: int | None = None
    parent_close_policy: str = "terminate"


class RequestCancelInfo(_State):
    initiated_event_id: int
    workflow_id: str
    run_id: str | None = None


class SignalInfo(_State):
    initiated_event_id: int
    workflow_id: str
    run_id: str | None = None
    signal_name: str
    args: list[Any] = Field(default_factory=list)


class ParentInfo(_State):
    namespace: str
    namespace_id: str
    workflow_id: str
    run_id: str
    initiated_event_id: int


class ExecutionState(_State):
    """Everything history knows about one run, besides its events."""

    namespace_id: str
    namespace: str
    workflow_id: str
    run_id: str
    first_run_id: str
    workflow_type: str
    task_queue: str
    status: WorkflowStatusValue = "running"
    start_time: datetime
    execution_time: datetime
    """When the first workflow task could run (start time + start delay or backoff)."""
    close_time: datetime | None = None
    input: list[Any] = Field(default_factory=list)
    result: Any = None
    failure: dict[str, Any] | None = None
    memo: dict[str, Any] = Field(default_factory=dict)
    search_attributes: dict[str, Any] = Field(default_factory=dict)
    execution_timeout: float | None = None
    run_timeout: float | None = None
    task_timeout: float = 10.0
    execution_expiration_time: datetime | None = None
    run_expiration_time: datetime | None = None
    retry_policy: dict[str, Any] | None = None
    attempt: int = 1
    cron_schedule: str | None = None
    parent: ParentInfo | None = None
    continued_from_run_id: str | None = None
    new_run_id: str | None = None
    start_request_id: str | None = None

    next_event_id: int = 1
    previous_started_event_id: int | None = None
    """The started event of the last completed workflow task."""
    workflow_task: WorkflowTaskInfo | None = None
    activities: dict[int, ActivityInfo] = Field(default_factory=dict)
    timers: dict[str, TimerInfo] = Field(default_factory=dict)
    children: dict[int, ChildInfo] = Field(default_factory=dict)
    request_cancels: dict[int, RequestCancelInfo] = Field(default_factory=dict)
    signals: dict[int, SignalInfo] = Field(default_factory=dict)
    buffered_events: list[dict[str, Any]] = Field(default_factory=list)
    """Events that arrived while a workflow task was running; written after it completes."""
    cancel_requested: bool = False
    request_ids: list[str] = Field(default_factory=list)
    """Recent request ids of signals/cancels (for idempotency), newest last, bounded."""
    sticky_task_queue: str | None = None
    sticky_schedule_to_start_timeout: float | None = None
    timer_keys: dict[str, tuple[datetime, int]] = Field(default_factory=dict)
    """Timer tasks this run has in ``timer_tasks``, by purpose (``wt``, ``act:5:stc``, ...):
    ``(fire_at, task_id)``, so they are deleted when what they guard is resolved."""

    @property
    def running(self) -> bool:
        return self.status == "running"

    def pending_dispatch(self, older_than: datetime) -> list[DispatchTask]:
        """Tasks this run expects a worker to pick up that were queued before ``older_than``
        and have not started (what the reconciler re-queues after Redis lost them)."""
        if not self.running:
            return []
        out: list[DispatchTask] = []
        wt = self.workflow_task
        if wt is not None and not wt.started and wt.scheduled_time <= older_than:
            # Always the normal queue: a sticky worker that has gone would never take it.
            out.append(
                DispatchTask(
                    namespace=self.namespace,
                    task_queue=self.task_queue,
                    kind="workflow",
                    workflow_id=self.workflow_id,
                    run_id=self.run_id,
                    scheduled_event_id=wt.scheduled_event_id,
                    attempt=wt.attempt,
                )
            )
        for info in self.activities.values():
            if (
                not info.started
                and info.backoff_until is None
                and info.attempt_scheduled_time <= older_than
            ):
                out.append(
                    DispatchTask(
                        namespace=self.namespace,
                        task_queue=info.task_queue,
                        kind="activity",
                        workflow_id=self.workflow_id,
                        run_id=self.run_id,
                        scheduled_event_id=info.scheduled_event_id,
                        attempt=info.attempt,
                    )
                )
        return out
