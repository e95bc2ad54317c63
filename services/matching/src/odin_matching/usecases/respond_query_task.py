"""``POST /api/v1/namespaces/{ns}/query-tasks/respond``: a worker answers a query task. The
answer goes to the store, where the matching process waiting for the query takes it."""

from __future__ import annotations

from odin_common import errors
from odin_common.api.worker import QueryTaskRespondRequest, TaskAccepted
from odin_common.tokens import TaskToken
from odin_matching.store.base import QueryAnswer
from odin_matching.usecases.context import Matching

MAX_QUERY_ID_LENGTH = 64
"""As ``QueryTaskInfo.query_id``: a token naming a longer id answers no query."""


async def respond_query_task(
    matching: Matching, namespace: str, request: QueryTaskRespondRequest
) -> TaskAccepted:
    """Accept the answer. A query answered already is refused with ``task_not_found``, as
    any repeated completion; an answer to a query nobody waits for any more (it timed out)
    is kept for a short while and harms nothing."""
    token = TaskToken.decode(request.task_token, namespace=namespace)
    if token.kind != "query" or token.query_id is None:
        raise errors.TaskTokenInvalid(
            f"the task token is a {token.kind} task's token, not a query task's: "
            "answer workflow and activity tasks through their own endpoints"
        )
    if not 1 <= len(token.query_id) <= MAX_QUERY_ID_LENGTH:
        raise errors.TaskTokenInvalid("the task token names an invalid query id")
    answer = (
        QueryAnswer(error=request.error)
        if request.error is not None
        else QueryAnswer(result=request.result)
    )
    if not await matching.store.publish_answer(namespace, token.query_id, answer):
        raise errors.TaskNotFound("the query task was answered already")
    return TaskAccepted()
