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

from pydantic import ValidationError

from odin_common.api.internal import ChildEventRequest, ChildStartRequest
from odin_common.clients import HistoryClient
from odin_common.errors import (
    ErrorCode,
    InvalidArgument,
    NamespaceNotFound,
    Unavailable,
    WorkflowAlreadyStarted,
    WorkflowNotFound,
    WorkflowNotRunning,
)
from odin_common.jsonutil import dumps

GONE = (WorkflowNotFound, WorkflowNotRunning, NamespaceNotFound)
REFUSED = (*GONE, InvalidArgument)
"""Answers to a signal or cancel request that the requesting workflow is told about."""


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
    initiated = payload["initiated_event_id"]
    try:
        request = ChildStartRequest(
            parent_namespace=source["namespace"],
            parent_namespace_id=source["namespace_id"],
            parent_workflow_id=source["workflow_id"],
            parent_run_id=source["run_id"],
            initiated_event_id=initiated,
            start=payload["start"],
        )
        resp = await history.start_child(source["namespace"], workflow_id, request)
    except (WorkflowAlreadyStarted, NamespaceNotFound, InvalidArgument) as exc:
        cause = exc.code.value
    except ValidationError:
        cause = ErrorCode.INVALID_ARGUMENT.value
    else:
        await _report(
            history,
            source,
            event="child_started",
            initiated_event_id=initiated,
            child_run_id=resp.json()["run_id"],
        )
        return
    await _report(
        history, source, event="child_start_failed", initiated_event_id=initiated, cause=cause
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


CHAIN_ATTEMPTS = 5
"""How often an action on a run chain is retried when the run continued as new meanwhile."""


async def _current_run_of_chain(
    history: HistoryClient, namespace: str, workflow_id: str, first_run_id: str
) -> str | None:
    """The running run of the chain that began with ``first_run_id`` (it may have continued
    as new since), or None when the chain has closed or the id now names another execution."""
    path = f"/api/v1/namespaces/{quote(namespace, safe='')}/workflows/{quote(workflow_id, safe='')}"
    try:
        described = (await history.for_workflow(namespace, workflow_id, "GET", path)).json()
    except GONE:
        return None
    if described["status"] != "running":
        return None
    if first_run_id not in {described["run_id"], described.get("first_run_id")}:
        return None
    run_id: str = described["run_id"]
    return run_id


async def _on_chain(
    history: HistoryClient,
    namespace: str,
    workflow_id: str,
    first_run_id: str,
    verb: str,
    body: dict[str, Any],
) -> bool:
    """POST ``verb`` to the running run of a chain; False when no run of it is running."""
    for _ in range(CHAIN_ATTEMPTS):
        run_id = await _current_run_of_chain(history, namespace, workflow_id, first_run_id)
        if run_id is None:
            return False
        try:
            await history.for_workflow(
                namespace,
                workflow_id,
                "POST",
                _path(namespace, workflow_id, verb),
                body=dumps({**body, "run_id": run_id}),
            )
        except WorkflowNotRunning:
            continue  # it continued as new (or closed) in between: look again
        return True
    raise Unavailable(f"workflow {workflow_id!r} keeps continuing as new; will try again")


async def parent_closed(history: HistoryClient, payload: dict[str, Any]) -> None:
    """Apply a parent close policy to one child (terminate it or ask it to cancel), whichever
    run of the child's chain is running now. A child whose start had not been reported when
    the parent closed gets the policy when the report arrives (see ``apply_report``)."""
    first_run_id = payload.get("run_id")
    if first_run_id is None:
        return
    namespace, workflow_id = payload["namespace"], payload["workflow_id"]
    verb = "terminate" if payload["policy"] == "terminate" else "cancel"
    await _on_chain(
        history, namespace, workflow_id, first_run_id, verb, {"reason": payload["reason"]}
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
    except REFUSED as exc:
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
    """Ask another workflow to cancel. A workflow cancelling its own child follows the
    child's chain of runs (``child_workflow_only``); otherwise the named run (or the current
    one) is asked."""
    source = payload["source"]
    namespace, workflow_id = source["namespace"], payload["workflow_id"]
    body = {
        "run_id": payload.get("run_id"),
        "request_id": payload["request_id"],
        "reason": f"requested by {source['workflow_id']}",
    }
    initiated = payload["initiated_event_id"]
    try:
        if payload.get("child_workflow_only") and body["run_id"] is not None:
            if not await _on_chain(history, namespace, workflow_id, body["run_id"], "cancel", body):
                raise WorkflowNotRunning(f"child workflow {workflow_id!r} has closed")
        else:
            await history.for_workflow(
                namespace,
                workflow_id,
                "POST",
                _path(namespace, workflow_id, "cancel"),
                body=dumps(body),
            )
    except REFUSED as exc:
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
