"""Worker endpoints: complete and fail workflow tasks; heartbeat, complete, fail and cancel
activity tasks (the frontend routes them here by the task token)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from odin_common.api.worker import (
    ActivityCancelRequest,
    ActivityCompleteRequest,
    ActivityFailRequest,
    ActivityHeartbeatRequest,
    ActivityHeartbeatResponse,
    TaskAccepted,
    WorkflowTaskCompleted,
    WorkflowTaskCompleteRequest,
    WorkflowTaskFailRequest,
)
from odin_common.jsonutil import OrjsonResponse
from odin_common.problem import PROBLEM_RESPONSES
from odin_history.deps import ContextDep, NamespacePath
from odin_history.usecases import activity_tasks, workflow_tasks

router = APIRouter(
    prefix="/api/v1/namespaces/{namespace}", tags=["workers"], responses=PROBLEM_RESPONSES
)


@router.post("/workflow-tasks/complete", response_model=WorkflowTaskCompleted)
async def complete_workflow_task(
    ctx: ContextDep, namespace: NamespacePath, body: WorkflowTaskCompleteRequest
) -> Response:
    return OrjsonResponse(await workflow_tasks.complete_workflow_task(ctx, namespace, body))


@router.post("/workflow-tasks/fail", response_model=TaskAccepted)
async def fail_workflow_task(
    ctx: ContextDep, namespace: NamespacePath, body: WorkflowTaskFailRequest
) -> Response:
    return OrjsonResponse(await workflow_tasks.fail_workflow_task(ctx, namespace, body))


@router.post("/activity-tasks/heartbeat", response_model=ActivityHeartbeatResponse)
async def heartbeat_activity_task(
    ctx: ContextDep, namespace: NamespacePath, body: ActivityHeartbeatRequest
) -> Response:
    return OrjsonResponse(await activity_tasks.heartbeat_activity(ctx, namespace, body))


@router.post("/activity-tasks/complete", response_model=TaskAccepted)
async def complete_activity_task(
    ctx: ContextDep, namespace: NamespacePath, body: ActivityCompleteRequest
) -> Response:
    return OrjsonResponse(await activity_tasks.complete_activity(ctx, namespace, body))


@router.post("/activity-tasks/fail", response_model=TaskAccepted)
async def fail_activity_task(
    ctx: ContextDep, namespace: NamespacePath, body: ActivityFailRequest
) -> Response:
    return OrjsonResponse(await activity_tasks.fail_activity(ctx, namespace, body))


@router.post("/activity-tasks/cancel", response_model=TaskAccepted)
async def cancel_activity_task(
    ctx: ContextDep, namespace: NamespacePath, body: ActivityCancelRequest
) -> Response:
    return OrjsonResponse(await activity_tasks.cancel_activity(ctx, namespace, body))
