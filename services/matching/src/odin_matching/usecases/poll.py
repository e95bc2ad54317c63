"""A worker's long poll: wait for a task, have history record it as started, hand it over.

A query entry (``DispatchTask.query``) is not recorded as started: history builds the query
task instead (the run's history and the query), which changes nothing. When history says the
run is gone, the entry is dropped and the waiting query is told at once.

The entry a poll takes is always settled, whatever happens: acked once history answered (the
task was handed over, or history says it is stale), requeued when history could not answer or
the worker went away first. Redis reads are never cancelled mid-flight (an entry delivered
to a cancelled read would wait for the reclaim loop): the poll blocks in slices and checks
for a disconnected worker between them.
"""

from __future__ import annotations

import asyncio
import time

import structlog

from odin_common import errors
from odin_common.api.internal import (
    BuildQueryTaskRequest,
    DispatchTask,
    RecordTaskStartedRequest,
)
from odin_common.api.worker import MAX_POLL_WAIT, PollRequest
from odin_common.clients import PeerResponse
from odin_common.metrics import TASK_QUEUE_LATENCY
from odin_matching.domain.handover import Outcome, outcome_of_error
from odin_matching.domain.queries import is_abandoned, query_failure_message
from odin_matching.store.base import Lease, QueryAnswer
from odin_matching.usecases.context import DisconnectCheck, Matching, never_disconnected

log = structlog.get_logger("odin.matching.poll")


async def poll_task(
    matching: Matching,
    namespace: str,
    task_queue: str,
    request: PollRequest,
    is_disconnected: DisconnectCheck = never_disconnected,
) -> bytes | None:
    """The task as history rendered it (JSON bytes), or None when the wait ended without
    one or the worker went away."""
    if request.wait > MAX_POLL_WAIT:
        raise errors.InvalidArgument(
            f"wait may be at most {int(MAX_POLL_WAIT.total_seconds())}s",
            field="wait",
        )
    deadline = time.monotonic() + request.wait.total_seconds()
    store = matching.store
    await store.record_poller(namespace, task_queue, request.kind, request.identity)
    first = True
    while True:
        remaining = deadline - time.monotonic()
        if (remaining <= 0 and not first) or matching.stopping:
            return None
        first = False  # a poll with no wait still takes a task that is already queued
        lease = await store.take(
            namespace,
            task_queue,
            request.kind,
            matching.consumer,
            max(0.0, min(remaining, matching.poll_slice_seconds)),
        )
        if lease is None:
            if matching.stopping or await is_disconnected():
                return None
            continue
        outcome, body = await _hand_over(matching, lease, request.identity, is_disconnected)
        if body is not None:
            return body
        if outcome is None:  # the worker went away
            return None
        if outcome is Outcome.REQUEUE:
            pause = min(matching.history_retry_backoff_seconds, deadline - time.monotonic())
            if pause > 0:
                await asyncio.sleep(pause)


async def _hand_over(
    matching: Matching, lease: Lease, identity: str, is_disconnected: DisconnectCheck
) -> tuple[Outcome | None, bytes | None]:
    """Settle ``lease``. Returns (outcome, task body); outcome None: the worker went away."""
    store = matching.store
    task = lease.task
    settled = False
    try:
        if task.query is not None and is_abandoned(
            lease.enqueued_at, matching.clock.now().timestamp()
        ):
            settled = True
            await store.ack(lease)
            log.info(
                "dropped a query nobody waits for",
                namespace=task.namespace,
                workflow_id=task.workflow_id,
                query_id=task.query.query_id,
            )
            return Outcome.DROP, None
        if await is_disconnected():
            settled = True
            await store.requeue(lease)
            return None, None
        try:
            async with asyncio.timeout(matching.history_call_timeout_seconds):
                answer = await _ask_history(matching, lease, identity)
        except Exception as exc:
            outcome = outcome_of_error(exc)
            settled = True
            if outcome is Outcome.DROP:
                await store.ack(lease)
                log.info(
                    "dropped a stale task",
                    namespace=task.namespace,
                    workflow_id=task.workflow_id,
                    kind=task.kind,
                    query=task.query is not None,
                    reason=getattr(exc, "code", type(exc).__name__),
                )
                if task.query is not None:
                    await _fail_query(matching, task, exc)
            else:
                await store.requeue(lease)
                log.warning(
                    "history could not hand the task over; requeued it",
                    namespace=task.namespace,
                    workflow_id=task.workflow_id,
                    kind=task.kind,
                    error=repr(exc),
                    exc_info=not isinstance(exc, errors.OdinError | TimeoutError),
                )
            return outcome, None
        settled = True
        if await is_disconnected():
            # History recorded the start (or built the query task), but nobody is there to
            # take it. The entry keeps this request id, so the next poll is answered the same
            # task.
            await store.requeue(lease)
            return None, None
        await store.ack(lease)
    finally:
        if not settled:
            # Cancelled (server shutdown) between the take and the hand-over.
            await asyncio.shield(store.requeue(lease))
    latency = matching.clock.now().timestamp() - lease.enqueued_at
    TASK_QUEUE_LATENCY.labels(queue_name=task.task_queue, task_type=task.kind).observe(
        max(latency, 0.0)
    )
    return Outcome.HAND_OVER, answer.body


async def _ask_history(matching: Matching, lease: Lease, identity: str) -> PeerResponse:
    """History's rendering of the task for the worker: a query task is built (nothing is
    recorded), any other task is recorded as started."""
    task = lease.task
    if task.query is not None:
        built = BuildQueryTaskRequest(
            run_id=task.run_id, query=task.query, task_queue=task.task_queue
        )
        return await matching.history.build_query_task(task.namespace, task.workflow_id, built)
    started = RecordTaskStartedRequest(
        run_id=task.run_id,
        scheduled_event_id=task.scheduled_event_id,
        attempt=task.attempt,
        request_id=lease.request_id,
        identity=identity,
        task_queue=task.task_queue,
    )
    return await matching.history.record_task_started(
        task.kind, task.namespace, task.workflow_id, started
    )


async def _fail_query(matching: Matching, task: DispatchTask, error: BaseException) -> None:
    """History cannot build the query task (the run is gone): its waiter fails now rather
    than at its timeout."""
    assert task.query is not None
    answer = QueryAnswer(error=query_failure_message(task.workflow_id, task.run_id, error))
    try:
        await matching.store.publish_answer(task.namespace, task.query.query_id, answer)
    except errors.OdinError as exc:
        log.warning(
            "could not tell a waiting query that its workflow is gone; it will time out",
            namespace=task.namespace,
            workflow_id=task.workflow_id,
            query_id=task.query.query_id,
            error=str(exc),
        )
