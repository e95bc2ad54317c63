"""Workflow endpoints: start, describe, history, result, terminate."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from odin_common.api.types import Identifier, RunId
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
from odin_common.durations import parse_duration
from odin_common.errors import InvalidArgument
from odin_common.jsonutil import OrjsonResponse, RawJsonResponse
from odin_common.problem import PROBLEM_RESPONSES
from odin_history.deps import ContextDep, NamespacePath, WorkflowIdPath
from odin_history.usecases import interactions, reads
from odin_history.usecases.start_workflow import start_workflow as start_uc
from odin_history.usecases.terminate import terminate_workflow as terminate_uc

NamePath = Annotated[Identifier, Path(description="Signal or query name.")]

router = APIRouter(
    prefix="/api/v1/namespaces/{namespace}/workflows",
    tags=["workflows"],
    responses=PROBLEM_RESPONSES,
)
MAX_WAIT = 60.0


def wait_seconds(value: str | None, default: float) -> float:
    if value is None:
        return default
    try:
        seconds = parse_duration(value).total_seconds()
    except ValueError as exc:
        raise InvalidArgument(f"wait: {exc}") from exc
    if seconds > MAX_WAIT:
        raise InvalidArgument(f"wait: at most {MAX_WAIT:g}s")
    return seconds


@router.post("/{workflow_id}", status_code=201, response_model=WorkflowStartResponse)
async def start_workflow(
    ctx: ContextDep,
    namespace: NamespacePath,
    workflow_id: WorkflowIdPath,
    body: WorkflowStartRequest,
) -> Response:
    status, doc = await start_uc(ctx, namespace, workflow_id, body)
    return OrjsonResponse(doc, status_code=status)


@router.get("/{workflow_id}", response_model=WorkflowDescribeResponse)
async def describe_workflow(
    ctx: ContextDep,
    namespace: NamespacePath,
    workflow_id: WorkflowIdPath,
    run_id: Annotated[RunId | None, Query()] = None,
) -> Response:
    return OrjsonResponse(await reads.describe_workflow(ctx, namespace, workflow_id, run_id))


@router.get("/{workflow_id}/history", response_model=HistoryResponse)
async def get_history(
    ctx: ContextDep,
    namespace: NamespacePath,
    workflow_id: WorkflowIdPath,
    run_id: Annotated[RunId | None, Query()] = None,
    page_size: Annotated[int, Query(ge=1, le=1000)] = 100,
    next_page_token: Annotated[str | None, Query(max_length=2048)] = None,
    wait_new_event: bool = False,
    event_filter: Literal["all", "close"] = "all",
) -> Response:
    doc = await reads.get_history(
        ctx,
        namespace,
        workflow_id,
        run_id=run_id,
        page_size=page_size,
        next_page_token=next_page_token,
        wait_new_event=wait_new_event,
        event_filter=event_filter,
    )
    return OrjsonResponse(doc)


@router.get(
    "/{workflow_id}/result",
    response_model=WorkflowResultResponse,
    responses={202: {"description": "Still running when the wait ended"}},
)
async def get_result(
    ctx: ContextDep,
    namespace: NamespacePath,
    workflow_id: WorkflowIdPath,
    run_id: Annotated[RunId | None, Query()] = None,
    wait: Annotated[str | None, Query(max_length=32)] = None,
) -> Response:
    status, doc = await reads.get_result(
        ctx, namespace, workflow_id, run_id, wait_seconds(wait, 30.0)
    )
    return OrjsonResponse(doc, status_code=status)


@router.post("/{workflow_id}/terminate", response_model=WorkflowRef)
async def terminate_workflow(
    ctx: ContextDep, namespace: NamespacePath, workflow_id: WorkflowIdPath, body: TerminateRequest
) -> Response:
    return OrjsonResponse(await terminate_uc(ctx, namespace, workflow_id, body))


@router.post("/{workflow_id}/signal/{signal_name}", status_code=202, response_model=WorkflowRef)
async def signal_workflow(
    ctx: ContextDep,
    namespace: NamespacePath,
    workflow_id: WorkflowIdPath,
    signal_name: NamePath,
    body: SignalRequest,
) -> Response:
    doc = await interactions.signal_workflow(ctx, namespace, workflow_id, signal_name, body)
    return OrjsonResponse(doc, status_code=202)


@router.post(
    "/{workflow_id}/signal-with-start/{signal_name}",
    status_code=201,
    response_model=WorkflowStartResponse,
)
async def signal_with_start(
    ctx: ContextDep,
    namespace: NamespacePath,
    workflow_id: WorkflowIdPath,
    signal_name: NamePath,
    body: SignalWithStartRequest,
) -> Response:
    status, doc = await interactions.signal_with_start(
        ctx, namespace, workflow_id, signal_name, body
    )
    return OrjsonResponse(doc, status_code=status)


@router.post("/{workflow_id}/query/{query_name}", response_model=QueryResponse)
async def query_workflow(
    ctx: ContextDep,
    namespace: NamespacePath,
    workflow_id: WorkflowIdPath,
    query_name: NamePath,
    body: QueryRequest,
) -> Response:
    raw = await interactions.query_workflow(ctx, namespace, workflow_id, query_name, body)
    return RawJsonResponse(raw)


@router.post("/{workflow_id}/cancel", status_code=202, response_model=WorkflowRef)
async def cancel_workflow(
    ctx: ContextDep, namespace: NamespacePath, workflow_id: WorkflowIdPath, body: CancelRequest
) -> Response:
    doc = await interactions.cancel_workflow(ctx, namespace, workflow_id, body)
    return OrjsonResponse(doc, status_code=202)
