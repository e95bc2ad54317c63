"""Internal endpoints: matching records tasks as started; peers read the shard map."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from odin_common.api.internal import (
    BuildQueryTaskRequest,
    ChildEventRequest,
    ChildStartRequest,
    RecordTaskStartedRequest,
    ShardMap,
)
from odin_common.api.worker import ActivityTask, WorkflowTask
from odin_common.api.workflows import WorkflowStartResponse
from odin_common.db.engine import read_connection
from odin_common.jsonutil import OrjsonResponse
from odin_common.problem import PROBLEM_RESPONSES
from odin_history.deps import ContextDep, NamespacePath, WorkflowIdPath
from odin_history.store.shards import read_shard_owners
from odin_history.usecases import activity_tasks, interactions, workflow_tasks

router = APIRouter(prefix="/internal", tags=["internal"], responses=PROBLEM_RESPONSES)


@router.post(
    "/namespaces/{namespace}/workflows/{workflow_id}/record-workflow-task-started",
    response_model=WorkflowTask,
)
async def record_workflow_task_started(
    ctx: ContextDep,
    namespace: NamespacePath,
    workflow_id: WorkflowIdPath,
    body: RecordTaskStartedRequest,
) -> Response:
    return OrjsonResponse(
        await workflow_tasks.record_workflow_task_started(ctx, namespace, workflow_id, body)
    )


@router.post(
    "/namespaces/{namespace}/workflows/{workflow_id}/record-activity-task-started",
    response_model=ActivityTask,
)
async def record_activity_task_started(
    ctx: ContextDep,
    namespace: NamespacePath,
    workflow_id: WorkflowIdPath,
    body: RecordTaskStartedRequest,
) -> Response:
    return OrjsonResponse(
        await activity_tasks.record_activity_task_started(ctx, namespace, workflow_id, body)
    )


@router.post(
    "/namespaces/{namespace}/workflows/{workflow_id}/build-query-task", response_model=WorkflowTask
)
async def build_query_task(
    ctx: ContextDep,
    namespace: NamespacePath,
    workflow_id: WorkflowIdPath,
    body: BuildQueryTaskRequest,
) -> Response:
    return OrjsonResponse(await interactions.build_query_task(ctx, namespace, workflow_id, body))


@router.post(
    "/namespaces/{namespace}/workflows/{workflow_id}/start-child",
    status_code=201,
    response_model=WorkflowStartResponse,
)
async def start_child(
    ctx: ContextDep, namespace: NamespacePath, workflow_id: WorkflowIdPath, body: ChildStartRequest
) -> Response:
    status, doc = await interactions.start_child(ctx, namespace, workflow_id, body)
    return OrjsonResponse(doc, status_code=status)


@router.post("/namespaces/{namespace}/workflows/{workflow_id}/child-event")
async def child_event(
    ctx: ContextDep, namespace: NamespacePath, workflow_id: WorkflowIdPath, body: ChildEventRequest
) -> Response:
    return OrjsonResponse(await interactions.child_event(ctx, namespace, workflow_id, body))


@router.get("/cluster/shards", response_model=ShardMap)
async def shard_map(ctx: ContextDep) -> Response:
    async with read_connection(ctx.db) as conn:
        owners = await read_shard_owners(conn, ctx.clock.now())
    for shard_id in ctx.shards.owned:
        owners[shard_id] = ctx.settings.own_url
    doc = {
        "shard_count": ctx.settings.shard_count,
        "owners": [owners.get(s) for s in range(ctx.settings.shard_count)],
    }
    return OrjsonResponse(doc)
