"""``POST /internal/queries``: queue a query task for the workflow's pollers and wait for the
worker's answer, which may reach any matching process (the store is the meeting point).

The wait blocks in slices and checks between them whether the caller went away or the
process is stopping. Whatever ends the wait (an answer, the timeout, a shutdown, a caller
that left), the query's entry is withdrawn from its queue, so a query nobody waits for is not
handed to a worker. Should this process stop before it can withdraw it, a poll drops the
entry once it is older than any query waits (``domain.queries.is_abandoned``) without asking
history or a worker. A late answer is accepted and expires unread in the store.
"""

from __future__ import annotations

import asyncio
import time

import structlog

from odin_common import errors
from odin_common.api.internal import DispatchTask, QueryTaskRequest
from odin_common.api.workflows import QueryResponse
from odin_matching.store.base import QueryAnswer, TaskStore
from odin_matching.usecases.context import DisconnectCheck, Matching, never_disconnected

log = structlog.get_logger("odin.matching.query")


async def query_workflow(
    matching: Matching,
    request: QueryTaskRequest,
    is_disconnected: DisconnectCheck = never_disconnected,
) -> QueryResponse:
    """The worker's result; raises ``QueryFailed`` (the worker's error, or the workflow is
    gone) or ``QueryTimeout`` (no answer within ``request.timeout_seconds``)."""
    deadline = time.monotonic() + request.timeout_seconds
    task = DispatchTask(
        namespace=request.namespace,
        task_queue=request.task_queue,
        kind="workflow",
        workflow_id=request.workflow_id,
        run_id=request.run_id,
        scheduled_event_id=1,
        attempt=1,
        query=request.query,
    )
    await matching.store.add([task])
    try:
        answer = await _wait(matching, request, deadline, is_disconnected)
    finally:
        await asyncio.shield(_withdraw(matching.store, task))
    if answer.error is not None:
        raise errors.QueryFailed(answer.error, query_id=request.query.query_id)
    return QueryResponse(result=answer.result)


async def _wait(
    matching: Matching,
    request: QueryTaskRequest,
    deadline: float,
    is_disconnected: DisconnectCheck,
) -> QueryAnswer:
    query = request.query
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise errors.QueryTimeout(
                f"no worker answered query {query.query_name!r} of workflow "
                f"{request.workflow_id!r} within {request.timeout_seconds:g}s (is a worker "
                f"polling task queue {request.task_queue!r}?)",
                query_id=query.query_id,
            )
        if matching.stopping:
            raise errors.Unavailable("matching is shutting down; ask again")
        if await is_disconnected():
            raise errors.Unavailable("the caller stopped waiting for the query")
        answer = await matching.store.wait_answer(
            request.namespace, query.query_id, min(remaining, matching.poll_slice_seconds)
        )
        if answer is not None:
            return answer


async def _withdraw(store: TaskStore, task: DispatchTask) -> None:
    try:
        await store.withdraw(task)
    except errors.OdinError as exc:
        # Harmless: a poll drops the entry once it is older than any query waits.
        log.warning(
            "could not withdraw a finished query's task",
            namespace=task.namespace,
            workflow_id=task.workflow_id,
            error=str(exc),
        )
