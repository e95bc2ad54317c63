"""Query tasks on the in-process store with a fake history: the waiting query, the poll that
hands the query task over, and the worker's answer."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from pydantic import ValidationError

from odin_common import errors
from odin_common.api.internal import QueryTaskRequest
from odin_common.api.worker import PollRequest, QueryTaskRespondRequest
from odin_common.clock import ManualClock, SystemClock
from odin_common.jsonutil import loads
from odin_common.testing import assert_eventually
from odin_common.tokens import TaskToken
from odin_matching.domain.queries import (
    ABANDONED_AFTER_SECONDS,
    MAX_QUERY_WAIT_SECONDS,
    is_abandoned,
    query_failure_message,
)
from odin_matching.store.base import ANSWER_TTL_SECONDS
from odin_matching.store.memory_store import InMemoryTaskStore
from odin_matching.usecases.context import Matching
from odin_matching.usecases.poll import poll_task
from odin_matching.usecases.query_workflow import query_workflow
from odin_matching.usecases.respond_query_task import respond_query_task


@pytest.fixture
def matching(fake_history) -> Matching:
    return Matching(
        store=InMemoryTaskStore(),
        history=fake_history,
        clock=SystemClock(),
        consumer="test-consumer",
        poll_slice_seconds=0.1,
        history_call_timeout_seconds=0.2,
        history_retry_backoff_seconds=0.01,
    )


def query_request(
    workflow_id: str = "wf-1",
    query_id: str = "q-1",
    timeout: float = 10,
    namespace: str = "default",
) -> QueryTaskRequest:
    return QueryTaskRequest.model_validate(
        {
            "namespace": namespace,
            "task_queue": "orders",
            "workflow_id": workflow_id,
            "run_id": "run-1",
            "query": {"query_id": query_id, "query_name": "status", "args": [1]},
            "timeout_seconds": timeout,
        }
    )


def poll_request(wait: str = "2s") -> PollRequest:
    return PollRequest.model_validate({"kind": "workflow", "identity": "worker-1", "wait": wait})


def respond(token: str, *, result: object = None, error: str | None = None):
    return QueryTaskRespondRequest(task_token=token, result=result, error=error)


async def backlog(matching: Matching) -> int:
    return (await matching.store.describe("default", "orders", "workflow")).backlog_count


async def poll_query_task(matching: Matching) -> dict[str, object]:
    body = await poll_task(matching, "default", "orders", poll_request())
    assert body is not None
    task: dict[str, object] = loads(body)
    return task


async def test_a_polled_query_task_is_answered_and_the_waiting_query_returns_it(
    matching, fake_history
):
    waiting = asyncio.create_task(query_workflow(matching, query_request()))

    task = await poll_query_task(matching)
    token = TaskToken.decode(str(task["task_token"]))
    assert (token.kind, token.query_id) == ("query", "q-1")
    assert task["queries"] == [{"query_id": "q-1", "query_name": "status", "args": [1]}]
    accepted = await respond_query_task(
        matching, "default", respond(str(task["task_token"]), result={"state": "approved"})
    )

    assert accepted.accepted is True
    response = await asyncio.wait_for(waiting, 5)
    assert response.result == {"state": "approved"}
    # Built, not recorded as started: history changed nothing.
    assert fake_history.calls == []
    ((namespace, workflow_id, built),) = fake_history.query_calls
    assert (namespace, workflow_id, built.run_id, built.task_queue) == (
        "default",
        "wf-1",
        "run-1",
        "orders",
    )
    assert built.query.query_id == "q-1"
    assert await backlog(matching) == 0


async def test_the_poll_hands_over_history_query_task_unchanged(matching, fake_history):
    waiting = asyncio.create_task(query_workflow(matching, query_request()))
    body = await poll_task(matching, "default", "orders", poll_request())
    namespace, workflow_id, built = fake_history.query_calls[0]
    assert body == await fake_history.build_query(namespace, workflow_id, built)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting


async def test_a_null_result_is_a_result(matching):
    waiting = asyncio.create_task(query_workflow(matching, query_request()))
    task = await poll_query_task(matching)
    await respond_query_task(matching, "default", respond(str(task["task_token"])))
    assert (await asyncio.wait_for(waiting, 5)).result is None


async def test_a_worker_error_fails_the_query(matching):
    waiting = asyncio.create_task(query_workflow(matching, query_request()))
    task = await poll_query_task(matching)

    await respond_query_task(
        matching,
        "default",
        respond(str(task["task_token"]), error="unknown query 'statuss'"),
    )

    with pytest.raises(errors.QueryFailed) as failed:
        await asyncio.wait_for(waiting, 5)
    assert failed.value.detail == "unknown query 'statuss'"
    assert failed.value.extra == {"query_id": "q-1"}


def test_an_answer_is_a_result_or_an_error_not_both() -> None:
    with pytest.raises(ValidationError, match="not both"):
        respond("token", result="ok", error="failed")


async def test_a_query_nobody_polls_times_out_and_leaves_nothing_queued(matching, fake_history):
    with pytest.raises(errors.QueryTimeout) as timed_out:
        await query_workflow(matching, query_request(timeout=0.3))

    assert "orders" in timed_out.value.detail
    assert timed_out.value.extra == {"query_id": "q-1"}
    assert await backlog(matching) == 0
    assert await poll_task(matching, "default", "orders", poll_request("100ms")) is None
    assert fake_history.query_calls == []


async def test_an_answer_after_the_timeout_is_accepted_and_harmless(matching):
    waiting = asyncio.create_task(query_workflow(matching, query_request(timeout=0.5)))
    task = await poll_query_task(matching)
    with pytest.raises(errors.QueryTimeout):
        await asyncio.wait_for(waiting, 5)

    late = await respond_query_task(matching, "default", respond(str(task["task_token"]), result=1))

    assert late.accepted is True
    assert await backlog(matching) == 0


async def test_answering_twice_delivers_the_first_answer_only(matching):
    waiting = asyncio.create_task(query_workflow(matching, query_request()))
    task = await poll_query_task(matching)
    token = str(task["task_token"])

    first = await respond_query_task(matching, "default", respond(token, result="first"))
    with pytest.raises(errors.TaskNotFound):  # as any repeated completion
        await respond_query_task(matching, "default", respond(token, error="second"))

    assert first.accepted is True
    assert (await asyncio.wait_for(waiting, 5)).result == "first"
    # A later query with the same id on the same store does not find the duplicate either.
    assert await matching.store.wait_answer("default", "q-1", 0) is None


@pytest.mark.parametrize("gone", ["workflow", "namespace"])
async def test_a_workflow_history_no_longer_has_fails_the_query_at_once(
    matching, fake_history, gone
):
    if gone == "workflow":
        fake_history.gone.add("wf-gone")
    else:
        fake_history.gone_namespaces.add("default")
    waiting = asyncio.create_task(query_workflow(matching, query_request("wf-gone", timeout=60)))

    # The poll drops the entry and goes on waiting for another task.
    assert await poll_task(matching, "default", "orders", poll_request("200ms")) is None

    with pytest.raises(errors.QueryFailed) as failed:
        await asyncio.wait_for(waiting, 5)  # long before the query's 60 s
    assert "'wf-gone'" in failed.value.detail
    assert f"{gone}_not_found" in failed.value.detail
    assert await backlog(matching) == 0
    assert len(fake_history.query_calls) == 1


async def test_a_query_task_waits_in_the_queue_while_history_is_down(matching, fake_history):
    fake_history.down = True
    waiting = asyncio.create_task(query_workflow(matching, query_request()))

    assert await poll_task(matching, "default", "orders", poll_request("300ms")) is None
    assert fake_history.query_calls, "history was asked"
    assert await backlog(matching) == 1
    assert not waiting.done()

    fake_history.down = False
    task = await poll_query_task(matching)
    await respond_query_task(matching, "default", respond(str(task["task_token"]), result="ok"))
    assert (await asyncio.wait_for(waiting, 5)).result == "ok"


async def test_a_worker_gone_before_the_handover_leaves_the_query_task_queued(matching):
    waiting = asyncio.create_task(query_workflow(matching, query_request()))
    await assert_eventually(lambda: _queued(matching))

    async def gone() -> bool:
        return True

    assert await poll_task(matching, "default", "orders", poll_request(), gone) is None
    assert await backlog(matching) == 1
    task = await poll_query_task(matching)
    await respond_query_task(matching, "default", respond(str(task["task_token"]), result=2))
    assert (await asyncio.wait_for(waiting, 5)).result == 2


async def _queued(matching: Matching) -> None:
    assert await backlog(matching) == 1


async def test_an_entry_older_than_any_query_waits_is_dropped_without_asking_history(
    fake_history, make_task
):
    clock = ManualClock()
    matching = Matching(
        store=InMemoryTaskStore(clock=clock),
        history=fake_history,
        clock=clock,
        consumer="c",
        poll_slice_seconds=0.05,
    )
    # Queued by a matching process that stopped before it could withdraw it.
    await matching.store.add([make_task("wf-1", query_id="q-orphan"), make_task("wf-2")])
    clock.advance(timedelta(seconds=ABANDONED_AFTER_SECONDS + 1))

    body = await poll_task(matching, "default", "orders", poll_request())

    assert body is not None
    assert loads(body)["workflow_id"] == "wf-2"
    assert fake_history.query_calls == []
    assert await backlog(matching) == 0


async def test_a_query_whose_caller_went_away_is_withdrawn(matching):
    waiting = asyncio.create_task(query_workflow(matching, query_request()))
    await assert_eventually(lambda: _queued(matching))

    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting

    assert await backlog(matching) == 0


async def test_a_waiting_query_ends_when_the_process_stops(matching):
    waiting = asyncio.create_task(query_workflow(matching, query_request(timeout=60)))
    await assert_eventually(lambda: _queued(matching))

    matching.stopping = True

    with pytest.raises(errors.Unavailable):
        await asyncio.wait_for(waiting, 5)
    assert await backlog(matching) == 0


async def test_queries_on_the_same_workflow_are_separate_tasks(matching):
    first = asyncio.create_task(query_workflow(matching, query_request(query_id="q-1")))
    second = asyncio.create_task(query_workflow(matching, query_request(query_id="q-2")))
    tasks = [await poll_query_task(matching), await poll_query_task(matching)]
    for task in tasks:
        query_id = TaskToken.decode(str(task["task_token"])).query_id
        await respond_query_task(
            matching, "default", respond(str(task["task_token"]), result=query_id)
        )
    assert (await first).result == "q-1"
    assert (await second).result == "q-2"


def _token(**overrides: object) -> str:
    fields: dict[str, object] = {
        "kind": "query",
        "namespace": "default",
        "workflow_id": "wf-1",
        "run_id": "run-1",
        "scheduled_event_id": 0,
        "attempt": 1,
        "query_id": "q-1",
    }
    fields.update(overrides)
    return TaskToken.model_validate(fields).encode()


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        _token(kind="workflow", query_id=None),
        _token(kind="activity", activity_id="1", query_id=None),
        _token(kind="workflow"),
        _token(query_id=None),
        _token(query_id=""),
        _token(query_id="q" * 65),
        _token(namespace="prod"),
    ],
    ids=[
        "garbage",
        "workflow-token",
        "activity-token",
        "workflow-token-with-query-id",
        "no-query-id",
        "empty-query-id",
        "long-query-id",
        "other-namespace",
    ],
)
async def test_an_answer_with_a_token_that_is_not_this_namespace_query_token_is_refused(
    matching, token
):
    waiting = asyncio.create_task(query_workflow(matching, query_request(timeout=0.5)))

    with pytest.raises(errors.TaskTokenInvalid):
        await respond_query_task(matching, "default", respond(token, result="forged"))

    with pytest.raises(errors.QueryTimeout):
        await waiting  # nothing was delivered


def test_the_longest_query_wait_is_the_contract_s():
    QueryTaskRequest.model_validate(
        {**_request_fields(), "timeout_seconds": MAX_QUERY_WAIT_SECONDS}
    )
    with pytest.raises(ValueError, match="timeout_seconds"):
        QueryTaskRequest.model_validate(
            {**_request_fields(), "timeout_seconds": MAX_QUERY_WAIT_SECONDS + 0.001}
        )
    # An answer outlives any wait, so a duplicate answer is refused as long as it matters.
    assert ANSWER_TTL_SECONDS > MAX_QUERY_WAIT_SECONDS


def _request_fields() -> dict[str, object]:
    return query_request().model_dump(mode="json")


def test_only_entries_older_than_the_longest_wait_are_abandoned():
    assert not is_abandoned(1000.0, 1000.0 + MAX_QUERY_WAIT_SECONDS)
    assert is_abandoned(1000.0, 1000.0 + ABANDONED_AFTER_SECONDS + 0.1)
    assert ABANDONED_AFTER_SECONDS > MAX_QUERY_WAIT_SECONDS


def test_the_failure_message_names_the_run_and_the_reason():
    message = query_failure_message("wf-1", "run-1", errors.WorkflowNotFound("no such workflow"))
    assert message == (
        "workflow 'wf-1' run 'run-1' cannot be queried: no such workflow (workflow_not_found)"
    )


async def test_a_query_whose_caller_disconnected_stops_waiting_and_is_withdrawn(matching):
    left = asyncio.Event()

    async def disconnected() -> bool:
        return left.is_set()

    waiting = asyncio.create_task(query_workflow(matching, query_request(timeout=60), disconnected))
    await assert_eventually(lambda: _queued(matching))

    left.set()

    with pytest.raises(errors.Unavailable):
        await asyncio.wait_for(waiting, 5)
    assert await backlog(matching) == 0
