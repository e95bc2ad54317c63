"""Routes other services call (not part of the public API)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request

from odin_common.api.internal import AddTasksRequest, AddTasksResponse, QueryTaskRequest
from odin_common.api.workflows import QueryResponse
from odin_common.problem import PROBLEM_JSON, PROBLEM_RESPONSES
from odin_matching.deps import MatchingDep
from odin_matching.usecases.add_tasks import add_tasks
from odin_matching.usecases.query_workflow import query_workflow

router = APIRouter(prefix="/internal", tags=["internal"], responses=PROBLEM_RESPONSES)


@router.post(
    "/tasks",
    summary="Queue tasks for pollers (idempotent per task)",
    response_model=AddTasksResponse,
)
async def add(body: AddTasksRequest, matching: MatchingDep) -> AddTasksResponse:
    return await add_tasks(matching, body)


@router.post(
    "/queries",
    summary="Hand a query to a worker of the task queue and wait for its answer",
    response_model=QueryResponse,
    responses={
        400: {
            "description": "Invalid input (`invalid_argument`), or the query failed "
            "(`query_failed`: the worker's error, or the workflow is gone)",
            "content": {PROBLEM_JSON: {}},
        },
        504: {
            "description": "No worker answered in time (`query_timeout`)",
            "content": {PROBLEM_JSON: {}},
        },
    },
)
async def query(body: QueryTaskRequest, request: Request, matching: MatchingDep) -> QueryResponse:
    return await query_workflow(matching, body, request.is_disconnected)
