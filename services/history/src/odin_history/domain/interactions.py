"""What arrives from outside a run or goes out of it: signals, cancellation requests, child
workflows, and signals/cancellations a workflow sends to another one.

Outgoing work (start a child, signal another workflow, ...) is a transfer task; the transfer
processor does it through the target's history process and reports back with
:func:`apply_report`, which records the outcome in this run's history.
"""

from __future__ import annotations

from typing import Any

from odin_common.api.commands import (
    RequestCancelExternalWorkflowCommand,
    SignalExternalWorkflowCommand,
    StartChildWorkflowCommand,
)
from odin_common.api.events import EventType
from odin_common.durations import format_duration
from odin_common.state import ChildInfo, RequestCancelInfo, SignalInfo
from odin_history.domain.machine import START_DELAY, Machine

MAX_REQUEST_IDS = 1000
"""How many recent signal/cancel request ids a run remembers for deduplication."""


def _seen(m: Machine, request_id: str | None) -> bool:
    """True if this request id was applied already; otherwise remember it."""
    if request_id is None:
        return False
    ids = m.state.request_ids
    if request_id in ids:
        return True
    ids.append(request_id)
    if len(ids) > MAX_REQUEST_IDS:
        del ids[: len(ids) - MAX_REQUEST_IDS]
    return False


def signal(
    m: Machine,
    signal_name: str,
    args: list[Any],
    *,
    identity: str,
    request_id: str | None,
    end_start_delay: bool = False,
) -> None:
    """Deliver a signal. ``end_start_delay`` (a signal-with-start that finds the run waiting
    for its start delay) lets the first workflow task run now, as in Temporal; a plain
    signal waits for the delay like any other event."""
    m.require_running()
    if _seen(m, request_id):
        return
    if end_start_delay:
        m.delete_timer(START_DELAY)
    m.external(
        (
            EventType.WORKFLOW_EXECUTION_SIGNALED,
            {
                "signal_name": signal_name,
                "args": args,
                "identity": identity,
                "request_id": request_id,
            },
        )
    )


def request_cancel(
    m: Machine, *, reason: str | None, identity: str, request_id: str | None
) -> None:
    """Ask the workflow to cancel: it sees ``asyncio.CancelledError`` and may clean up."""
    m.require_running()
    if _seen(m, request_id) or m.state.cancel_requested:
        return
    m.state.cancel_requested = True
    m.external(
        (
            EventType.WORKFLOW_EXECUTION_CANCEL_REQUESTED,
            {"reason": reason, "identity": identity, "request_id": request_id},
        )
    )


def start_child(m: Machine, cmd: StartChildWorkflowCommand, completed: int) -> None:
    """Initiate a child; the transfer processor starts it. A workflow id that is taken, by
    another workflow or by a child of this one that is still running, is not refused here:
    the start fails as it would for any taken id, and the workflow is told with
    ``start_child_workflow_execution_failed`` (cause ``workflow_already_started``), as in
    Temporal."""
    state = m.state
    task_queue = cmd.task_queue or state.task_queue
    attributes = {
        "namespace": state.namespace,
        "workflow_id": cmd.workflow_id,
        "workflow_type": cmd.workflow_type,
        "task_queue": task_queue,
        "input": cmd.input,
        "execution_timeout": format_duration(cmd.execution_timeout),
        "run_timeout": format_duration(cmd.run_timeout),
        "task_timeout": format_duration(cmd.task_timeout),
        "parent_close_policy": cmd.parent_close_policy,
        "id_reuse_policy": cmd.id_reuse_policy,
        "retry_policy": cmd.retry_policy.model_dump(mode="json") if cmd.retry_policy else None,
        "cron_schedule": cmd.cron_schedule,
        "memo": cmd.memo,
        "search_attributes": cmd.search_attributes,
        "workflow_task_completed_event_id": completed,
    }
    initiated = m.append(EventType.START_CHILD_WORKFLOW_EXECUTION_INITIATED, attributes)
    state.children[initiated] = ChildInfo(
        initiated_event_id=initiated,
        workflow_id=cmd.workflow_id,
        workflow_type=cmd.workflow_type,
        namespace=state.namespace,
        parent_close_policy=cmd.parent_close_policy,
    )
    start: dict[str, Any] = {
        "workflow_type": cmd.workflow_type,
        "task_queue": task_queue,
        "input": cmd.input,
        "request_id": f"{state.run_id}:{initiated}",
        "id_reuse_policy": cmd.id_reuse_policy or "allow_duplicate",
    }
    for key in ("execution_timeout", "run_timeout", "task_timeout"):
        value = getattr(cmd, key)
        if value is not None:
            start[key] = format_duration(value)
    for key in ("retry_policy", "cron_schedule", "memo", "search_attributes"):
        if attributes[key] is not None:
            start[key] = attributes[key]
    m.add_transfer(
        "start_child",
        {
            "source": m.source(),
            "initiated_event_id": initiated,
            "workflow_id": cmd.workflow_id,
            "start": start,
        },
    )


def signal_external(m: Machine, cmd: SignalExternalWorkflowCommand, completed: int) -> None:
    state = m.state
    initiated = m.append(
        EventType.SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
        {
            "namespace": state.namespace,
            "workflow_id": cmd.workflow_id,
            "run_id": cmd.run_id,
            "signal_name": cmd.signal_name,
            "args": cmd.args,
            "child_workflow_only": cmd.child_workflow_only,
            "workflow_task_completed_event_id": completed,
        },
    )
    state.signals[initiated] = SignalInfo(
        initiated_event_id=initiated,
        workflow_id=cmd.workflow_id,
        run_id=cmd.run_id,
        signal_name=cmd.signal_name,
        args=cmd.args,
    )
    m.add_transfer(
        "signal_external",
        {
            "source": m.source(),
            "initiated_event_id": initiated,
            "workflow_id": cmd.workflow_id,
            "run_id": cmd.run_id,
            "signal_name": cmd.signal_name,
            "args": cmd.args,
            "request_id": f"{state.run_id}:{initiated}",
        },
    )


def request_cancel_external(
    m: Machine, cmd: RequestCancelExternalWorkflowCommand, completed: int
) -> None:
    state = m.state
    initiated = m.append(
        EventType.REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
        {
            "namespace": state.namespace,
            "workflow_id": cmd.workflow_id,
            "run_id": cmd.run_id,
            "child_workflow_only": cmd.child_workflow_only,
            "workflow_task_completed_event_id": completed,
        },
    )
    state.request_cancels[initiated] = RequestCancelInfo(
        initiated_event_id=initiated, workflow_id=cmd.workflow_id, run_id=cmd.run_id
    )
    m.add_transfer(
        "cancel_external",
        {
            "source": m.source(),
            "initiated_event_id": initiated,
            "workflow_id": cmd.workflow_id,
            "run_id": cmd.run_id,
            "child_workflow_only": cmd.child_workflow_only,
            "request_id": f"{state.run_id}:{initiated}",
        },
    )


CHILD_CLOSE_EVENTS = {
    "completed": EventType.CHILD_WORKFLOW_EXECUTION_COMPLETED,
    "failed": EventType.CHILD_WORKFLOW_EXECUTION_FAILED,
    "canceled": EventType.CHILD_WORKFLOW_EXECUTION_CANCELED,
    "terminated": EventType.CHILD_WORKFLOW_EXECUTION_TERMINATED,
    "timed_out": EventType.CHILD_WORKFLOW_EXECUTION_TIMED_OUT,
}


def _child_started_after_close(m: Machine, initiated_event_id: int, run_id: str | None) -> None:
    """The parent closed before it heard that this child started: apply its parent close
    policy now, or the child would outlive a parent that asked for it to be stopped."""
    child = m.state.children.pop(initiated_event_id, None)
    if child is None or run_id is None:
        return  # unknown, or already handled
    child.run_id = run_id
    m.changed = True
    m.add_parent_close_policy(child, m.state.status)


def apply_report(
    m: Machine,
    *,
    event: str,
    initiated_event_id: int,
    child_run_id: str | None = None,
    status: str | None = None,
    result: Any = None,
    failure: dict[str, Any] | None = None,
    cause: str | None = None,
) -> None:
    """Record what became of something this run started elsewhere. Reports that arrive twice
    or after the run closed change nothing."""
    state = m.state
    if not state.running:
        if event == "child_started":
            _child_started_after_close(m, initiated_event_id, child_run_id)
        elif (
            event in {"child_start_failed", "child_closed"}
            and state.children.pop(initiated_event_id, None) is not None
        ):
            m.changed = True
        return
    if event in {"child_started", "child_start_failed", "child_closed"}:
        child = state.children.get(initiated_event_id)
        if child is None:
            return
        base = {
            "initiated_event_id": initiated_event_id,
            "workflow_id": child.workflow_id,
            "workflow_type": child.workflow_type,
        }
        if event == "child_start_failed":
            del state.children[initiated_event_id]
            m.external(
                (
                    EventType.START_CHILD_WORKFLOW_EXECUTION_FAILED,
                    {**base, "cause": cause or "failed"},
                )
            )
            return
        entries: list[tuple[EventType, dict[str, Any]]] = []
        if child.started_event_id is None:
            # A child may close before the report that it started arrives: write both.
            child.run_id = child_run_id
            child.started_event_id = initiated_event_id
            entries.append(
                (EventType.CHILD_WORKFLOW_EXECUTION_STARTED, {**base, "run_id": child_run_id})
            )
        if event == "child_closed":
            del state.children[initiated_event_id]
            close_type = CHILD_CLOSE_EVENTS.get(
                status or "", EventType.CHILD_WORKFLOW_EXECUTION_FAILED
            )
            attrs: dict[str, Any] = {**base, "run_id": child.run_id or child_run_id}
            if status == "completed":
                attrs["result"] = result
            else:
                attrs["failure"] = failure
            entries.append((close_type, attrs))
        if entries:
            m.external(*entries)
        else:
            m.changed = True
        return
    if event in {"external_signaled", "external_signal_failed"}:
        info = state.signals.pop(initiated_event_id, None)
        if info is None:
            return
        if event == "external_signaled":
            m.external(
                (
                    EventType.EXTERNAL_WORKFLOW_EXECUTION_SIGNALED,
                    {
                        "initiated_event_id": initiated_event_id,
                        "workflow_id": info.workflow_id,
                        "run_id": info.run_id,
                    },
                )
            )
        else:
            m.external(
                (
                    EventType.SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED,
                    {
                        "initiated_event_id": initiated_event_id,
                        "workflow_id": info.workflow_id,
                        "cause": cause,
                    },
                )
            )
        return
    cancel = state.request_cancels.pop(initiated_event_id, None)
    if cancel is None:
        return
    if event == "external_cancel_requested":
        m.external(
            (
                EventType.EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED,
                {
                    "initiated_event_id": initiated_event_id,
                    "workflow_id": cancel.workflow_id,
                    "run_id": cancel.run_id,
                },
            )
        )
    else:
        m.external(
            (
                EventType.REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED,
                {
                    "initiated_event_id": initiated_event_id,
                    "workflow_id": cancel.workflow_id,
                    "cause": cause,
                },
            )
        )
