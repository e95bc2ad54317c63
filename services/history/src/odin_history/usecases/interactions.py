"""Signals, signal-with-start, cancellation requests and queries from clients; and the
internal calls history processes make to each other about child workflows."""

from __future__ import annotations

import time
import uuid
from typing import Any

from odin_common.api.internal import (
    BuildQueryTaskRequest,
    ChildEventRequest,
    ChildStartRequest,
    QueryTaskInfo,
    QueryTaskRequest,
)
from odin_common.api.workflows import (
    CancelRequest,
    QueryRequest,
    SignalRequest,
    SignalWithStartRequest,
    WorkflowStartRequest,
)
from odin_common.db.engine import read_connection
from odin_common.errors import InvalidArgument, QueryTimeout, WorkflowAlreadyStarted
from odin_common.state import ExecutionState, ParentInfo
from odin_common.tokens import TaskToken
from odin_history.domain import interactions, runs
from odin_history.engine.context import HistoryContext
from odin_history.engine.namespaces import NamespaceInfo
from odin_history.engine.workflows import Session
from odin_history.store.events import read_events
from odin_history.usecases.start_workflow import start_workflow

MIN_QUERY_SECONDS = 1.0
"""A query waiting for the first workflow task still gives the worker this long to answer."""

SIGNAL_WITH_START_ATTEMPTS = 5
"""Signal-with-start races with concurrent starts and closes at most this many times."""


async def signal_workflow(
    ctx: HistoryContext, namespace: str, workflow_id: str, signal_name: str, req: SignalRequest
) -> dict[str, Any]:
    ns = await ctx.namespaces.get(namespace)

    async def body(s: Session) -> dict[str, Any]:
        state, version = await s.load(req.run_id)
        m = s.machine(state)
        interactions.signal(m, signal_name, req.args, identity="", request_id=req.request_id)
        await s.commit(m, version)
        return {"workflow_id": workflow_id, "run_id": state.run_id}

    return await ctx.engine.run(ns, workflow_id, body)


async def signal_with_start(
    ctx: HistoryContext,
    namespace: str,
    workflow_id: str,
    signal_name: str,
    req: SignalWithStartRequest,
) -> tuple[int, dict[str, Any]]:
    """Signal the running run, or start one (the signal is its first event after the start).

    ``id_conflict_policy`` says what happens to a running run, as in Temporal:
    ``use_existing`` (the default here) signals it, ``terminate_existing`` terminates it and
    starts a new run that gets the signal, and ``fail`` is refused (signal-with-start exists
    to reach a running run)."""
    policy = req.id_conflict_policy
    if policy == "fail":
        raise InvalidArgument(
            "signal-with-start cannot use id_conflict_policy=fail: a running run is either "
            "signaled (use_existing, the default) or replaced by a new run that receives the "
            "signal (terminate_existing)",
            workflow_id=workflow_id,
        )
    ns = await ctx.namespaces.get(namespace)
    start = WorkflowStartRequest.model_validate(req.model_dump(exclude={"signal_args"}))
    signals = [(signal_name, req.signal_args)]
    if policy == "terminate_existing":
        # One step on the current run: terminate it if running, start the new one with the
        # signal (the id reuse policy still applies when no run is running).
        return await start_workflow(ctx, namespace, workflow_id, start, signals=signals)
    # use_existing: a start that finds a run already open (a concurrent start won) must not
    # answer it unsignaled, so the start itself is made with ``fail`` and the loop signals.
    start = start.model_copy(update={"id_conflict_policy": "fail"})

    async def body(s: Session) -> tuple[int, dict[str, Any]] | None:
        current_id = await s.current_run_id()
        if current_id is None:
            return None
        state, version = await s.load(current_id)
        if not state.running:
            return None
        m = s.machine(state)
        interactions.signal(
            m,
            signal_name,
            req.signal_args,
            identity="",
            request_id=req.request_id,
            end_start_delay=True,
        )
        await s.commit(m, version)
        return 200, {"workflow_id": workflow_id, "run_id": state.run_id, "started": False}

    async def is_running(s: Session) -> bool:
        current_id = await s.current_run_id()
        return current_id is not None and (await s.load(current_id))[0].running

    for _ in range(SIGNAL_WITH_START_ATTEMPTS):
        signaled = await ctx.engine.run(ns, workflow_id, body)
        if signaled is not None:
            return signaled
        try:
            return await start_workflow(ctx, namespace, workflow_id, start, signals=signals)
        except WorkflowAlreadyStarted:
            # Either another start won the race (a run is open now: signal it on the next
            # pass) or the id reuse policy refuses a new run (nothing is open: refuse too).
            if await ctx.engine.run(ns, workflow_id, is_running) is False:
                raise
    raise WorkflowAlreadyStarted(
        f"workflow {workflow_id!r} keeps being started and closed concurrently; try again",
        workflow_id=workflow_id,
    )


async def cancel_workflow(
    ctx: HistoryContext, namespace: str, workflow_id: str, req: CancelRequest
) -> dict[str, Any]:
    ns = await ctx.namespaces.get(namespace)

    async def body(s: Session) -> dict[str, Any]:
        state, version = await s.load(req.run_id)
        runs.require_chain(state, req.first_execution_run_id)
        m = s.machine(state)
        interactions.request_cancel(m, reason=req.reason, identity="", request_id=req.request_id)
        await s.commit(m, version)
        return {"workflow_id": workflow_id, "run_id": state.run_id}

    return await ctx.engine.run(ns, workflow_id, body)


async def query_workflow(
    ctx: HistoryContext, namespace: str, workflow_id: str, query_name: str, req: QueryRequest
) -> bytes:
    """Ask a worker of the workflow's task queue to answer the query from the run's state
    (running or closed); nothing is written. The body of the answer is ``{result}``."""
    ns = await ctx.namespaces.get(namespace)
    deadline = time.monotonic() + ctx.settings.query_timeout_seconds
    state = await _ready_for_queries(ctx, ns, workflow_id, req.run_id, deadline)
    request = QueryTaskRequest(
        namespace=namespace,
        task_queue=state.task_queue,
        workflow_id=workflow_id,
        run_id=state.run_id,
        query=QueryTaskInfo(query_id=uuid.uuid4().hex, query_name=query_name, args=req.args),
        timeout_seconds=max(deadline - time.monotonic(), MIN_QUERY_SECONDS),
    )
    resp = await ctx.matching.query(request)
    return resp.body


async def _ready_for_queries(
    ctx: HistoryContext,
    ns: NamespaceInfo,
    workflow_id: str,
    run_id: str | None,
    deadline: float,
) -> ExecutionState:
    """The run, once it can answer queries: a workflow's state exists only after its first
    workflow task completed, so a query that comes sooner waits for that (as in Temporal)."""
    state = await ctx.engine.read(ns, workflow_id, run_id)
    key = (ns.id, workflow_id, state.run_id)
    while state.previous_started_event_id is None and state.running:
        with ctx.notifier.watch(key) as changed:
            state = await ctx.engine.read(ns, workflow_id, state.run_id)
            if state.previous_started_event_id is not None or not state.running:
                break
            if not await ctx.notifier.wait(changed, deadline - time.monotonic()):
                raise QueryTimeout(
                    f"workflow {workflow_id!r} has not completed its first workflow task, so "
                    "it has no state to query yet (is a worker polling its task queue?)"
                )
    return state


async def build_query_task(
    ctx: HistoryContext, namespace: str, workflow_id: str, req: BuildQueryTaskRequest
) -> dict[str, Any]:
    """The query task a worker receives: the run's history and the query to answer."""
    ns = await ctx.namespaces.get(namespace)
    state = await ctx.engine.read(ns, workflow_id, req.run_id)
    last = state.next_event_id - 1
    async with read_connection(ctx.db) as conn:
        stored = await read_events(conn, ns.id, workflow_id, state.run_id)
    token = TaskToken(
        kind="query",
        namespace=namespace,
        workflow_id=workflow_id,
        run_id=state.run_id,
        scheduled_event_id=0,
        attempt=1,
        query_id=req.query.query_id,
    )
    return {
        "kind": "workflow",
        "task_token": token.encode(),
        "namespace": namespace,
        "workflow_id": workflow_id,
        "run_id": state.run_id,
        "workflow_type": state.workflow_type,
        "task_queue": req.task_queue,
        "attempt": 1,
        "scheduled_event_id": 0,
        "started_event_id": last,
        "previous_started_event_id": state.previous_started_event_id,
        "history": [e.as_json() for e in stored if e.event_id <= last],
        "next_page_token": None,
        "queries": [req.query.model_dump(mode="json")],
    }


async def start_child(
    ctx: HistoryContext, namespace: str, workflow_id: str, req: ChildStartRequest
) -> tuple[int, dict[str, Any]]:
    parent = ParentInfo(
        namespace=req.parent_namespace,
        namespace_id=req.parent_namespace_id,
        workflow_id=req.parent_workflow_id,
        run_id=req.parent_run_id,
        initiated_event_id=req.initiated_event_id,
    )
    return await start_workflow(ctx, namespace, workflow_id, req.start, parent=parent)


async def child_event(
    ctx: HistoryContext, namespace: str, workflow_id: str, req: ChildEventRequest
) -> dict[str, Any]:
    ns = await ctx.namespaces.get(namespace)

    async def body(s: Session) -> dict[str, Any]:
        state, version = await s.load(req.run_id)
        m = s.machine(state)
        interactions.apply_report(
            m,
            event=req.event,
            initiated_event_id=req.initiated_event_id,
            child_run_id=req.child_run_id,
            status=req.status,
            result=req.result,
            failure=req.failure,
            cause=req.cause,
        )
        await s.commit(m, version)
        return {"accepted": True}

    return await ctx.engine.run(ns, workflow_id, body)
