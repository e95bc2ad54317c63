"""Contracts of the calls between services (not part of the public API)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from odin_common.api.types import (
    Identifier,
    Identity,
    JsonValue,
    NamespaceName,
    Payloads,
    ResponseModel,
    StrictModel,
)
from odin_common.api.workflows import WorkflowStartRequest

DispatchKind = Literal["workflow", "activity"]


class QueryTaskInfo(StrictModel):
    query_id: str = Field(min_length=1, max_length=64)
    query_name: Identifier
    args: Payloads = Field(default_factory=list)


class DispatchTask(StrictModel):
    """A task history wants a worker to pick up. Matching keeps it in a queue until a poller
    takes it, then asks history to record it as started (which also drops stale tasks)."""

    namespace: NamespaceName
    task_queue: Identifier
    kind: DispatchKind
    workflow_id: str
    run_id: str
    scheduled_event_id: int = Field(ge=1)
    attempt: int = Field(ge=1)
    query: QueryTaskInfo | None = Field(
        None,
        description="Set on a query task: it goes to workflow pollers, is not recorded in "
        "history, and its answer is awaited by the matching process that queued it.",
    )

    def dedup_key(self) -> str:
        """Identifies the task: adding the same task twice queues it once."""
        parts = [
            self.namespace,
            self.workflow_id,
            self.run_id,
            self.kind,
            str(self.scheduled_event_id),
            str(self.attempt),
        ]
        if self.query is not None:
            parts.append(f"query:{self.query.query_id}")
        return "\x1f".join(parts)


class AddTasksRequest(StrictModel):
    tasks: list[DispatchTask] = Field(max_length=10000)


class AddTasksResponse(ResponseModel):
    added: int = Field(description="Tasks queued (tasks already queued are not counted).")


class RecordTaskStartedRequest(StrictModel):
    """Matching → history: a poller is about to receive this task."""

    run_id: str
    scheduled_event_id: int = Field(ge=1)
    attempt: int = Field(ge=1)
    request_id: str = Field(min_length=1, max_length=255)
    identity: Identity = ""
    task_queue: Identifier


class ShardMap(ResponseModel):
    """Which history process owns each shard (``owners[shard_id]`` is its base URL)."""

    shard_count: int
    owners: list[str | None]


class QueryTaskRequest(StrictModel):
    """History -> matching: hand this query to a worker of the task queue and wait for the
    answer (``POST /internal/queries``). Answers 200 ``{result}``, or the problem
    ``query_failed`` (the worker reported an error) or ``query_timeout`` (no answer in time)."""

    namespace: NamespaceName
    task_queue: Identifier
    workflow_id: str
    run_id: str
    query: QueryTaskInfo
    timeout_seconds: float = Field(10.0, gt=0, le=60)


class BuildQueryTaskRequest(StrictModel):
    """Matching -> history: a poller takes this query task; answer it as the worker sees it
    (``POST /internal/namespaces/{ns}/workflows/{wid}/build-query-task``). Changes nothing."""

    run_id: str
    query: QueryTaskInfo
    task_queue: Identifier


class ChildStartRequest(StrictModel):
    """History -> history (the child's owner): start a child workflow."""

    parent_namespace: str
    parent_namespace_id: str
    parent_workflow_id: str
    parent_run_id: str
    initiated_event_id: int
    start: WorkflowStartRequest


class ChildEventRequest(StrictModel):
    """History -> history (the parent's owner): something happened to a child (it started,
    could not start, or closed), or to a signal/cancel the parent sent elsewhere."""

    run_id: str
    initiated_event_id: int
    event: Literal[
        "child_started",
        "child_start_failed",
        "child_closed",
        "external_signaled",
        "external_signal_failed",
        "external_cancel_requested",
        "external_cancel_failed",
    ]
    child_run_id: str | None = None
    status: str | None = None
    result: JsonValue = None
    failure: dict[str, JsonValue] | None = None
    cause: str | None = None
