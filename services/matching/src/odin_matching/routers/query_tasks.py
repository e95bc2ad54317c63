"""The worker's answer to a query task."""

from __future__ import annotations

from fastapi import APIRouter

from odin_common.api.worker import QueryTaskRespondRequest, TaskAccepted
from odin_common.problem import PROBLEM_RESPONSES
from odin_matching.deps import MatchingDep, NamespacePath
from odin_matching.usecases.respond_query_task import respond_query_task

router = APIRouter(
    prefix="/api/v1/namespaces/{namespace}/query-tasks",
    tags=["query tasks"],
    responses=PROBLEM_RESPONSES,
)


@router.post(
    "/respond",
    summary="Answer a query task (its result, or the error that made it fail)",
    response_model=TaskAccepted,
)
async def respond(
    namespace: NamespacePath, body: QueryTaskRespondRequest, matching: MatchingDep
) -> TaskAccepted:
    return await respond_query_task(matching, namespace, body)
