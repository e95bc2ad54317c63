"""The workflow task lifecycle: record started (for matching), complete, fail."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from odin_common.api.internal import RecordTaskStartedRequest
from odin_common.api.worker import WorkflowTaskCompleteRequest, WorkflowTaskFailRequest
from odin_common.db.engine import read_connection
from odin_common.errors import TaskTokenInvalid
from odin_common.metrics import WORKFLOW_REPLAY_COUNT
from odin_common.state import ActivityInfo, ExecutionState, WorkflowTaskInfo
from odin_common.tokens import TaskToken
from odin_history.domain.commands import complete_workflow_task as apply_completion
from odin_history.domain.machine import Machine
from odin_history.engine.context import HistoryContext
from odin_history.engine.workflows import Session
from odin_history.store.events import read_events
from odin_history.usecases.task_views import activity_task

ACCEPTED = {"accepted": True}

T = TypeVar("T")


def decode_token(text: str, namespace: str, kind: str) -> TaskToken:
    token = TaskToken.decode(text, namespace=namespace)
    if token.kind != kind:
        raise TaskTokenInvalid(f"this is a {token.kind} task token, not a {kind} task token")
    return token


async def record_workflow_task_started(
    ctx: HistoryContext, namespace: str, workflow_id: str, req: RecordTaskStartedRequest
) -> dict[str, Any]:
    ns = await ctx.namespaces.get(namespace)

    async def body(s: Session) -> tuple[ExecutionState, WorkflowTaskInfo, int]:
        state, version = await s.load(req.run_id)
        m = s.machine(state)
        wt = m.start_workflow_task(
            req.scheduled_event_id, req.attempt, req.request_id, req.identity, req.task_queue
        )
        await s.commit(m, version)
        # Events up to here are what the worker replays (later ones are buffered or belong
        # to a later task).
        last = wt.started_event_id if not wt.transient else state.next_event_id - 1
        return state, wt.model_copy(), last or 0

    state, wt, last_event = await ctx.engine.run(ns, workflow_id, body)
    # A task taken from the sticky queue goes to the worker that has the run cached: it only
    # needs the events after the last task it completed.
    sticky = wt.task_queue != state.task_queue and state.previous_started_event_id is not None
    first = (state.previous_started_event_id or 0) + 1 if sticky else 1
    async with read_connection(ctx.db) as conn:
        stored = await read_events(conn, ns.id, workflow_id, state.run_id, from_event_id=first)
    history = [e.as_json() for e in stored if e.event_id <= last_event]
    if wt.transient:
        history += _transient_events(state, wt)
    if state.previous_started_event_id is not None and not sticky:
        WORKFLOW_REPLAY_COUNT.labels(namespace, state.workflow_type).inc()
    token = TaskToken(
        kind="workflow",
        namespace=namespace,
        workflow_id=workflow_id,
        run_id=state.run_id,
        scheduled_event_id=wt.scheduled_event_id,
        attempt=wt.attempt,
    )
    return {
        "kind": "workflow",
        "task_token": token.encode(),
        "namespace": namespace,
        "workflow_id": workflow_id,
        "run_id": state.run_id,
        "workflow_type": state.workflow_type,
        "task_queue": wt.task_queue,
        "attempt": wt.attempt,
        "scheduled_event_id": wt.scheduled_event_id,
        "started_event_id": wt.started_event_id,
        "previous_started_event_id": state.previous_started_event_id,
        "history": history,
        "next_page_token": None,
        "queries": [],
    }


def _transient_events(state: ExecutionState, wt: WorkflowTaskInfo) -> list[dict[str, Any]]:
    """The scheduled/started events of a retried task, shown to the worker but not written
    until the task completes."""
    assert wt.started_event_id is not None
    return [
        {
            "event_id": wt.scheduled_event_id,
            "event_type": "workflow_task_scheduled",
            "event_time": wt.scheduled_time,
            "attributes": {
                "task_queue": wt.task_queue,
                "start_to_close_timeout": f"{state.task_timeout:g}s",
                "attempt": wt.attempt,
            },
        },
        {
            "event_id": wt.started_event_id,
            "event_type": "workflow_task_started",
            "event_time": wt.started_time,
            "attributes": {
                "scheduled_event_id": wt.scheduled_event_id,
                "identity": wt.identity or "",
                "request_id": wt.request_id,
            },
        },
    ]


async def _with_started_task(
    ctx: HistoryContext,
    namespace: str,
    token_text: str,
    apply: Callable[[Machine, WorkflowTaskInfo], T],
) -> tuple[ExecutionState, T]:
    token = decode_token(token_text, namespace, "workflow")
    ns = await ctx.namespaces.get(namespace)

    async def body(s: Session) -> tuple[ExecutionState, T]:
        state, version = await s.load(token.run_id)
        m: Machine = s.machine(state)
        wt = m.require_started_workflow_task(token.scheduled_event_id, token.attempt)
        outcome = apply(m, wt)
        await s.commit(m, version)
        return m.state, outcome

    return await ctx.engine.run(ns, token.workflow_id, body)


async def complete_workflow_task(
    ctx: HistoryContext, namespace: str, req: WorkflowTaskCompleteRequest
) -> dict[str, Any]:
    sticky_timeout = (
        req.sticky_schedule_to_start_timeout.total_seconds()
        if req.sticky_schedule_to_start_timeout
        else None
    )

    def apply(m: Machine, wt: WorkflowTaskInfo) -> list[ActivityInfo]:
        started = apply_completion(
            m,
            wt,
            list(req.commands),
            req.identity,
            sticky_task_queue=req.sticky_task_queue or None,
            sticky_timeout=sticky_timeout,
        )
        return [info.model_copy() for info in started]

    state, eager = await _with_started_task(ctx, namespace, req.task_token, apply)
    return {**ACCEPTED, "activity_tasks": [activity_task(namespace, state, a) for a in eager]}


async def fail_workflow_task(
    ctx: HistoryContext, namespace: str, req: WorkflowTaskFailRequest
) -> dict[str, Any]:
    failure = req.failure.model_dump(mode="json", exclude_none=True)

    def apply(m: Machine, wt: WorkflowTaskInfo) -> None:
        m.fail_workflow_task(
            wt,
            cause=req.cause,
            failure=failure,
            identity=req.identity,
            # A worker that lost its cached copy of the run asks for the full history: not
            # a failure of the workflow's code, so the attempt does not count.
            count_attempt=req.cause != "reset_sticky_task_queue",
        )

    await _with_started_task(ctx, namespace, req.task_token, apply)
    return ACCEPTED
