"""Workflows: served by the history process that owns ``shard_for(namespace, workflow_id)``:
start, describe, history, result, and the calls that talk to a run (signal, signal-with-start,
query, cancel, terminate)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from odin_common.api.workflows import (
    CancelRequest,
    HistoryResponse,
    QueryRequest,
    QueryResponse,
    SignalRequest,
    SignalWithStartRequest,
    TerminateRequest,
    WorkflowDescribeResponse,
    WorkflowRef,
    WorkflowResultResponse,
    WorkflowStartRequest,
    WorkflowStartResponse,
)
from odin_frontend import examples, message_examples
from odin_frontend.deps import frontend_of
from odin_frontend.domain.waits import MAX_WAIT, long_poll_timeout, parse_wait
from odin_frontend.openapi import (
    ALREADY_STARTED,
    INVALID_ARGS,
    INVALID_EXTRA,
    INVALID_FILTER,
    INVALID_RESULT_WAIT,
    INVALID_RUN_ID,
    INVALID_SIGNAL_ARGS,
    INVALID_START,
    NAMESPACE_NOT_FOUND,
    NOT_RUNNING,
    QUERY_FAILED,
    QUERY_TIMEOUT,
    TOO_LARGE,
    WORKFLOW_NOT_FOUND,
    WorkflowResultPending,
    answer,
    problems,
    request_body,
)
from odin_frontend.routers._proxy import (
    invalid_field,
    read_body,
    relay,
    relay_unless_disconnected,
    upstream_target,
)
from odin_frontend.routers.params import (
    NamespacePath,
    PageSizeQuery,
    PageTokenQuery,
    QueryNamePath,
    RunIdQuery,
    SignalNamePath,
    WorkflowIdPath,
)
from odin_frontend.usecases import forward


def _operation_id(route: APIRoute) -> str:
    return route.name


router = APIRouter(
    prefix="/api/v1/namespaces/{namespace}/workflows",
    tags=["workflows"],
    generate_unique_id_function=_operation_id,
)


@router.post(
    "/{workflow_id}",
    status_code=201,
    summary="Start a workflow",
    description="Starts a run of `workflow_type` under the id you choose; a worker polling "
    "`task_queue` runs it. 201 with `started: true` for a new run. 200 with `started: false` "
    "when nothing new was started: a repeated `request_id` (the first answer again), or "
    "`id_conflict_policy: use_existing` with a run already open. 409 "
    "`workflow_already_started` when a run of this id is open (policy `fail`, the default) or "
    "`id_reuse_policy` forbids another run.",
    response_description="A new run was started",
    responses={
        **answer(201, "A new run was started", WorkflowStartResponse, examples.WORKFLOW_STARTED),
        **answer(
            200,
            "Nothing new was started: the existing run",
            WorkflowStartResponse,
            examples.WORKFLOW_NOT_STARTED,
        ),
        **problems(NAMESPACE_NOT_FOUND, ALREADY_STARTED, TOO_LARGE, invalid=INVALID_START),
    },
    openapi_extra=request_body(
        WorkflowStartRequest,
        "What to run, where, with which input and limits",
        examples.WORKFLOW_START,
    ),
)
async def start_workflow(
    request: Request, namespace: NamespacePath, workflow_id: WorkflowIdPath
) -> Response:
    _, raw = await read_body(request, WorkflowStartRequest)
    fe = frontend_of(request)
    return relay(
        await forward.to_workflow_owner(
            fe.history, namespace, workflow_id, "POST", upstream_target(request), raw
        )
    )


@router.get(
    "/{workflow_id}",
    summary="Describe a workflow",
    description="Status, timestamps, result or failure once closed, and what the run is "
    "waiting for (pending activities, timers, children, workflow task).",
    responses={
        **answer(200, "The run", WorkflowDescribeResponse, examples.WORKFLOW_DESCRIPTION),
        **problems(NAMESPACE_NOT_FOUND, WORKFLOW_NOT_FOUND, invalid=INVALID_RUN_ID),
    },
)
async def describe_workflow(
    request: Request,
    namespace: NamespacePath,
    workflow_id: WorkflowIdPath,
    run_id: RunIdQuery = None,
) -> Response:
    fe = frontend_of(request)
    return relay(
        await forward.to_workflow_owner(
            fe.history, namespace, workflow_id, "GET", upstream_target(request)
        )
    )


@router.get(
    "/{workflow_id}/history",
    summary="Read a workflow's event history",
    description="The events of a run, oldest first, a page at a time. With "
    "`wait_new_event=true` a page that would be empty instead waits (up to "
    "HUGO_ORCHESTRATOR_LONG_POLL_SECONDS, 30 s by default) for the next event: pass the last page's `next_page_token` to follow a run as it happens. "
    "`event_filter=close` answers only the closing event (waiting for it with "
    "`wait_new_event=true`).",
    responses={
        **answer(200, "A page of events", HistoryResponse, examples.HISTORY),
        **problems(NAMESPACE_NOT_FOUND, WORKFLOW_NOT_FOUND, invalid=INVALID_FILTER),
    },
)
async def get_workflow_history(
    request: Request,
    namespace: NamespacePath,
    workflow_id: WorkflowIdPath,
    run_id: RunIdQuery = None,
    page_size: PageSizeQuery = 100,
    next_page_token: PageTokenQuery = None,
    wait_new_event: Annotated[
        bool,
        Query(
            description="Wait (up to HUGO_ORCHESTRATOR_LONG_POLL_SECONDS, 30 s by default) "
            "for a new event rather than answer an empty page.",
            openapi_examples={"no_wait": {"summary": "Answer at once", "value": False}},
        ),
    ] = False,
    event_filter: Annotated[
        Literal["all", "close"],
        Query(
            description="`all` events, or only the `close` event.",
            openapi_examples={"all": {"summary": "Every event", "value": "all"}},
        ),
    ] = "all",
) -> Response:
    fe = frontend_of(request)
    target = upstream_target(request)
    if not wait_new_event:
        return relay(
            await forward.to_workflow_owner(fe.history, namespace, workflow_id, "GET", target)
        )
    call = forward.to_workflow_owner(
        fe.history,
        namespace,
        workflow_id,
        "GET",
        target,
        timeout=long_poll_timeout(MAX_WAIT, fe.settings.long_poll_margin_seconds),
    )
    return await relay_unless_disconnected(request, call)


@router.get(
    "/{workflow_id}/result",
    summary="Wait for a workflow's result",
    description="Waits up to `wait` (default 30s, at most 60s) for the run to close. 200 "
    "with the status and the result or failure once it is closed; 202 with "
    '`{status: "running"}` when the wait ends first (ask again).',
    responses={
        **answer(200, "The run is closed", WorkflowResultResponse, examples.RESULT_CLOSED),
        **answer(
            202,
            "The run was still running when the wait ended",
            WorkflowResultPending,
            examples.RESULT_RUNNING,
        ),
        **problems(NAMESPACE_NOT_FOUND, WORKFLOW_NOT_FOUND, invalid=INVALID_RESULT_WAIT),
    },
)
async def get_workflow_result(
    request: Request,
    namespace: NamespacePath,
    workflow_id: WorkflowIdPath,
    run_id: RunIdQuery = None,
    wait: Annotated[
        str | None,
        Query(
            description="How long to wait for the run to close: a duration such as `30s`, "
            "`1m` or `250ms` (or seconds), at most 60s; `0s` answers at once.",
            openapi_examples={"thirty_seconds": {"summary": "Wait up to 30 s", "value": "30s"}},
        ),
    ] = None,
) -> Response:
    try:
        # Without a wait, history applies its default (30s): bound the call by the longest.
        waited = MAX_WAIT if wait is None else parse_wait(wait)
    except ValueError as exc:
        raise invalid_field("query", "wait", str(exc)) from None
    fe = frontend_of(request)
    call = forward.to_workflow_owner(
        fe.history,
        namespace,
        workflow_id,
        "GET",
        upstream_target(request),
        timeout=long_poll_timeout(waited, fe.settings.long_poll_margin_seconds),
    )
    return await relay_unless_disconnected(request, call)


@router.post(
    "/{workflow_id}/signal/{signal_name}",
    status_code=202,
    summary="Signal a workflow",
    description="Delivers a message to a running workflow: history records it "
    "(`workflow_execution_signaled`) and the workflow's handler for `signal_name` receives "
    "`args` on its next task. 202 with the run that received it. 409 "
    "`workflow_not_running` if the run is closed. Repeating the call with the same "
    "`request_id` delivers the signal once.",
    response_description="The signal was recorded",
    responses={
        **answer(202, "The signal was recorded", WorkflowRef, message_examples.SIGNALED),
        **problems(
            NAMESPACE_NOT_FOUND, WORKFLOW_NOT_FOUND, NOT_RUNNING, TOO_LARGE, invalid=INVALID_ARGS
        ),
    },
    openapi_extra=request_body(
        SignalRequest, "The signal's arguments, and which run", message_examples.SIGNAL
    ),
)
async def signal_workflow(
    request: Request,
    namespace: NamespacePath,
    workflow_id: WorkflowIdPath,
    signal_name: SignalNamePath,
) -> Response:
    _, raw = await read_body(request, SignalRequest)
    fe = frontend_of(request)
    return relay(
        await forward.to_workflow_owner(
            fe.history, namespace, workflow_id, "POST", upstream_target(request), raw
        )
    )


@router.post(
    "/{workflow_id}/signal-with-start/{signal_name}",
    status_code=201,
    summary="Signal a workflow, starting it if needed",
    description="Signals the running workflow of this id; if none is running, starts one "
    "(the body is a start request) and delivers the signal as its first message, in one "
    "step. 201 with `started: true` when a run was started, 200 with `started: false` when "
    "the open run was signaled. With `id_conflict_policy: terminate_existing` an open run "
    "is terminated instead and a new one started with the signal (`fail` is refused with "
    "400). 409 `workflow_already_started` when no run is open and `id_reuse_policy` forbids "
    "another one.",
    response_description="A new run was started and signaled",
    responses={
        **answer(
            201,
            "A new run was started and signaled",
            WorkflowStartResponse,
            message_examples.SIGNAL_WITH_START_STARTED,
        ),
        **answer(
            200,
            "The open run was signaled",
            WorkflowStartResponse,
            message_examples.SIGNAL_WITH_START_SIGNALED,
        ),
        **problems(NAMESPACE_NOT_FOUND, ALREADY_STARTED, TOO_LARGE, invalid=INVALID_SIGNAL_ARGS),
    },
    openapi_extra=request_body(
        SignalWithStartRequest,
        "How to start the workflow if needed, and the signal's arguments",
        message_examples.SIGNAL_WITH_START,
    ),
)
async def signal_with_start_workflow(
    request: Request,
    namespace: NamespacePath,
    workflow_id: WorkflowIdPath,
    signal_name: SignalNamePath,
) -> Response:
    _, raw = await read_body(request, SignalWithStartRequest)
    fe = frontend_of(request)
    return relay(
        await forward.to_workflow_owner(
            fe.history, namespace, workflow_id, "POST", upstream_target(request), raw
        )
    )


@router.post(
    "/{workflow_id}/query/{query_name}",
    summary="Query a workflow",
    description="Asks a worker to run the workflow's handler for `query_name` on the run's "
    "current state and answers its result. Nothing is recorded in the history. The call "
    "waits for a worker of the workflow's task queue (10 s by default): 504 "
    "`query_timeout` when none answers in time, 400 `query_failed` when the handler failed "
    "or does not exist (the worker's error is the detail).",
    responses={
        **answer(200, "The query's result", QueryResponse, message_examples.QUERY_ANSWER),
        **problems(
            NAMESPACE_NOT_FOUND,
            WORKFLOW_NOT_FOUND,
            QUERY_FAILED,
            QUERY_TIMEOUT,
            TOO_LARGE,
            invalid=INVALID_ARGS,
        ),
    },
    openapi_extra=request_body(
        QueryRequest, "The query's arguments, and which run", message_examples.QUERY
    ),
)
async def query_workflow(
    request: Request,
    namespace: NamespacePath,
    workflow_id: WorkflowIdPath,
    query_name: QueryNamePath,
) -> Response:
    _, raw = await read_body(request, QueryRequest)
    fe = frontend_of(request)
    # History waits up to the query timeout for a worker: a long call, bounded by that wait
    # plus the margin, and given up (so matching stops waiting) when the client leaves.
    call = forward.to_workflow_owner(
        fe.history,
        namespace,
        workflow_id,
        "POST",
        upstream_target(request),
        raw,
        timeout=long_poll_timeout(
            timedelta(seconds=fe.settings.query_timeout_seconds),
            fe.settings.long_poll_margin_seconds,
        ),
    )
    return await relay_unless_disconnected(request, call)


@router.post(
    "/{workflow_id}/cancel",
    status_code=202,
    summary="Request cancellation of a workflow",
    description="Asks the run to cancel: history records the request "
    "(`workflow_execution_cancel_requested`) and the workflow code sees it on its next task, "
    "then decides how to wind down (it may clean up, and normally closes as `canceled`). "
    "To stop a run at once without running its code, terminate it. 202 with the run asked. "
    "409 `workflow_not_running` if the run is closed. Repeating the call with the same "
    "`request_id` changes nothing more.",
    response_description="The cancellation request was recorded",
    responses={
        **answer(
            202,
            "The cancellation request was recorded",
            WorkflowRef,
            message_examples.CANCEL_REQUESTED,
        ),
        **problems(
            NAMESPACE_NOT_FOUND, WORKFLOW_NOT_FOUND, NOT_RUNNING, TOO_LARGE, invalid=INVALID_EXTRA
        ),
    },
    openapi_extra=request_body(
        CancelRequest, "Why (recorded in the history), and which run", message_examples.CANCEL
    ),
)
async def cancel_workflow(
    request: Request, namespace: NamespacePath, workflow_id: WorkflowIdPath
) -> Response:
    _, raw = await read_body(request, CancelRequest)
    fe = frontend_of(request)
    return relay(
        await forward.to_workflow_owner(
            fe.history, namespace, workflow_id, "POST", upstream_target(request), raw
        )
    )


@router.post(
    "/{workflow_id}/terminate",
    summary="Terminate a workflow",
    description="Closes the run at once as `terminated`: no workflow code runs, pending "
    "activities are abandoned. 409 "
    "`workflow_not_running` if the run is already closed.",
    responses={
        **answer(200, "The run that was terminated", WorkflowRef, examples.TERMINATED),
        **problems(
            NAMESPACE_NOT_FOUND, WORKFLOW_NOT_FOUND, NOT_RUNNING, TOO_LARGE, invalid=INVALID_EXTRA
        ),
    },
    openapi_extra=request_body(
        TerminateRequest, "Why (recorded in the history), and which run", examples.TERMINATE
    ),
)
async def terminate_workflow(
    request: Request, namespace: NamespacePath, workflow_id: WorkflowIdPath
) -> Response:
    _, raw = await read_body(request, TerminateRequest)
    fe = frontend_of(request)
    return relay(
        await forward.to_workflow_owner(
            fe.history, namespace, workflow_id, "POST", upstream_target(request), raw
        )
    )
