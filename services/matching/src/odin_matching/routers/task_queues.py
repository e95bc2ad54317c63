"""The worker-facing routes: long poll and task queue description."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response

from odin_common.api.worker import ActivityTask, PollRequest, TaskQueueDescription, WorkflowTask
from odin_common.jsonutil import RawJsonResponse
from odin_common.problem import PROBLEM_RESPONSES
from odin_matching.deps import MatchingDep, NamespacePath, TaskQueuePath
from odin_matching.usecases.describe_task_queue import describe_task_queue
from odin_matching.usecases.poll import poll_task

router = APIRouter(
    prefix="/api/v1/namespaces/{namespace}/task-queues",
    tags=["task queues"],
    responses=PROBLEM_RESPONSES,
)

PolledTask = Annotated[WorkflowTask | ActivityTask, Field(discriminator="kind")]


@router.post(
    "/{task_queue:path}/poll",
    summary="Long-poll a task queue for a workflow or activity task",
    response_model=None,
    responses={
        200: {"model": PolledTask, "description": "A task, recorded by history as started"},
        204: {"description": "The wait ended with no task"},
    },
)
async def poll(
    namespace: NamespacePath,
    task_queue: TaskQueuePath,
    body: Annotated[PollRequest, Body()],
    request: Request,
    matching: MatchingDep,
) -> Any:
    task = await poll_task(matching, namespace, task_queue, body, request.is_disconnected)
    if task is None:
        return Response(status_code=204)
    return RawJsonResponse(task)


@router.get(
    "/{task_queue:path}",
    summary="Backlog and recent pollers of a task queue",
    response_model=TaskQueueDescription,
)
async def describe(
    namespace: NamespacePath, task_queue: TaskQueuePath, matching: MatchingDep
) -> TaskQueueDescription:
    return await describe_task_queue(matching, namespace, task_queue)
