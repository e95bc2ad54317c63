"""Transfer tasks other than dispatch: work one workflow does on another (start a child, tell
a parent its child closed, apply a parent close policy, signal or cancel another workflow).

Each is done through the target's history process (routed by shard, this process included)
and is safe to repeat: starts and signals carry request ids, reports are ignored when they
were already applied. A failure that may pass (a peer is down) raises, and the transfer
processor retries the task; an answer that will not change (the target does not exist) is
reported back to the source workflow.
"""

from __future__ import annotations

import contextlib
from typing import Any
from urllib.parse import quote

from odin_common.api.internal import ChildEventRequest, ChildStartRequest
from odin_common.clients import HistoryClient
from odin_common.errors import (
    NamespaceNotFound,
    WorkflowAlreadyStarted,
    WorkflowNotFound,
    WorkflowNotRunning,
)
from odin_common.jsonutil import dumps

GONE = (WorkflowNotFound, WorkflowNotRunning, NamespaceNotFound)


def _path(namespace: str, workflow_id: str, suffix: str) -> str:
    return f"/api/v1/namespaces/{quote(namespace, safe='')}/workflows/{quote(workflow_id, safe='')}/{suffix}"


async def _report(history: HistoryClient, source: dict[str, Any], **report: Any) -> None:
    with contextlib.suppress(*GONE):  # the source workflow is gone: nobody to tell
        await history.child_event(
            source["namespace"],
            source["workflow_id"],
            ChildEventRequest(run_id=source["run_id"], **report),
        )


async def start_child(history: HistoryClient, payload: dict[str, Any]) -> None:
    source = payload["source"]
    workflow_id = payload["workflow_id"]
    request = ChildStartRequest(
        parent_namespace=source["namespace"],
        parent_namespace_id=source["namespace_id"],
        parent_workflow_id=source["workflow_id"],
        parent_run_id=source["run_id"],
        initiated_event_id=payload["initiated_event_id"],
        start=payload["start"],
    )
    initiated = payload["initiated_event_id"]
    try:
        resp = await history.start_child(source["namespace"], workflow_id, request)
    except WorkflowAlreadyStarted:
        await _report(
            history,
            source,
            event="child_start_failed",
            initiated_event_id=initiated,
            cause="workflow_already_started",
        )
        return
    except NamespaceNotFound:
        await _report(
            history,
            source,
            event="child_start_failed",
            initiated_event_id=initiated,
            cause="namespace_not_found",
        )
        return
    await _report(
        history,
        source,
        event="child_started",
        initiated_event_id=initiated,
        child_run_id=resp.json()["run_id"],
    )


async def notify_parent(history: HistoryClient, payload: dict[str, Any]) -> None:
    parent = payload["parent"]
    source = {
        "namespace": parent["namespace"],
        "workflow_id": parent["workflow_id"],
        "run_id": parent["run_id"],
    }
    await _report(
        history,
        source,
        event="child_closed",
        initiated_event_id=parent["initiated_event_id"],
        child_run_id=payload["child_run_id"],
        status=payload["status"],
        result=payload.get("result"),
        failure=payload.get("failure"),
    )


async def parent_closed(history: HistoryClient, payload: dict[str, Any]) -> None:
    """Apply a parent close policy to one child (terminate it or ask it to cancel)."""
    namespace, workflow_id = payload["namespace"], payload["workflow_id"]
    body: dict[str, Any] = {"reason": payload["reason"], "run_id": payload.get("run_id")}
    verb = "terminate" if payload["policy"] == "terminate" else "cancel"
    with contextlib.suppress(*GONE):  # already closed
        await history.for_workflow(
            namespace, workflow_id, "POST", _path(namespace, workflow_id, verb), body=dumps(body)
        )


async def signal_external(history: HistoryClient, payload: dict[str, Any]) -> None:
    source = payload["source"]
    namespace, workflow_id = source["namespace"], payload["workflow_id"]
    body = {
        "args": payload["args"],
        "run_id": payload.get("run_id"),
        "request_id": payload["request_id"],
    }
    initiated = payload["initiated_event_id"]
    try:
        await history.for_workflow(
            namespace,
            workflow_id,
            "POST",
            _path(namespace, workflow_id, f"signal/{quote(payload['signal_name'], safe='')}"),
            body=dumps(body),
        )
    except GONE as exc:
        await _report(
            history,
            source,
            event="external_signal_failed",
            initiated_event_id=initiated,
            cause=exc.code.value,
        )
        return
    await _report(history, source, event="external_signaled", initiated_event_id=initiated)


async def cancel_external(history: HistoryClient, payload: dict[str, Any]) -> None:
    source = payload["source"]
    namespace, workflow_id = source["namespace"], payload["workflow_id"]
    body = {
        "run_id": payload.get("run_id"),
        "request_id": payload["request_id"],
        "reason": f"requested by {source['workflow_id']}",
    }
    initiated = payload["initiated_event_id"]
    try:
        await history.for_workflow(
            namespace,
            workflow_id,
            "POST",
            _path(namespace, workflow_id, "cancel"),
            body=dumps(body),
        )
    except GONE as exc:
        await _report(
            history,
            source,
            event="external_cancel_failed",
            initiated_event_id=initiated,
            cause=exc.code.value,
        )
        return
    await _report(history, source, event="external_cancel_requested", initiated_event_id=initiated)


HANDLERS = {
    "start_child": start_child,
    "notify_parent": notify_parent,
    "parent_closed": parent_closed,
    "signal_external": signal_external,
    "cancel_external": cancel_external,
}


async def run_transfer_task(
    history: HistoryClient, task_type: str, payload: dict[str, Any]
) -> None:
    handler = HANDLERS.get(task_type)
    if handler is None:
        raise ValueError(f"unknown transfer task type {task_type!r}")
    await handler(history, payload)
