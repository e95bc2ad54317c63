"""Query tasks over real HTTP, on real Redis, with a fake history served over HTTP: history
asks a query, a worker polls the query task and answers it, possibly through another
matching process than the one that waits."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from odin_common.testing import assert_eventually
from odin_common.tokens import TaskToken
from odin_matching.app import create_app
from odin_matching.settings import MatchingSettings

pytestmark = pytest.mark.integration

POLL = "/api/v1/namespaces/default/task-queues/orders/poll"
DESCRIBE = "/api/v1/namespaces/default/task-queues/orders"
QUERIES = "/internal/queries"
RESPOND = "/api/v1/namespaces/default/query-tasks/respond"


def settings_for(redis_url: str, prefix: str, history_url: str) -> MatchingSettings:
    return MatchingSettings(
        redis_url=redis_url,
        redis_key_prefix=prefix,
        history_url=history_url,
        poll_slice_seconds=0.5,
        history_call_timeout_seconds=1.0,
        history_retry_backoff_seconds=0.05,
        poller_record_interval_seconds=0,
    )


@pytest.fixture
def start_matching(serve, redis_url, redis_prefix, history_server):
    """``async with start_matching() as client``: one more matching process on the same
    Redis keys and the same history."""

    def start() -> Any:
        return _started(serve, settings_for(redis_url, redis_prefix, history_server.url))

    return start


class _started:
    def __init__(self, serve: Any, settings: MatchingSettings) -> None:
        self._serving = serve(create_app(settings))
        self._client: httpx.AsyncClient | None = None

    async def __aenter__(self) -> httpx.AsyncClient:
        base_url = await self._serving.__aenter__()
        self._client = httpx.AsyncClient(base_url=base_url, timeout=90)
        return self._client

    async def __aexit__(self, *exc: object) -> None:
        assert self._client is not None
        await self._client.aclose()
        await self._serving.__aexit__(*exc)


@pytest.fixture
async def matching(start_matching) -> AsyncIterator[httpx.AsyncClient]:
    async with start_matching() as client:
        yield client


def query_json(
    workflow_id: str = "wf-1", query_id: str = "q-1", timeout: float = 20, **overrides: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "namespace": "default",
        "task_queue": "orders",
        "workflow_id": workflow_id,
        "run_id": "run-1",
        "query": {"query_id": query_id, "query_name": "status", "args": ["detail"]},
        "timeout_seconds": timeout,
    }
    body.update(overrides)
    return body


async def poll(client: httpx.AsyncClient, wait: str = "10s") -> httpx.Response:
    return await client.post(POLL, json={"kind": "workflow", "identity": "worker-1", "wait": wait})


async def backlog(client: httpx.AsyncClient) -> int:
    count: int = (await client.get(DESCRIBE)).json()["workflow"]["backlog_count"]
    return count


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    doc: dict[str, Any] = response.json()
    assert doc["code"] == code
    return doc


async def test_a_query_is_polled_answered_and_returned_to_the_waiting_call(
    matching, history_server
):
    waiting = asyncio.create_task(matching.post(QUERIES, json=query_json()))

    polled = await poll(matching)
    assert polled.status_code == 200
    task = polled.json()
    token = TaskToken.decode(task["task_token"], namespace="default")
    assert (token.kind, token.workflow_id, token.query_id) == ("query", "wf-1", "q-1")
    assert task["queries"] == [{"query_id": "q-1", "query_name": "status", "args": ["detail"]}]
    answered = await matching.post(
        RESPOND, json={"task_token": task["task_token"], "result": {"state": "shipped"}}
    )

    assert answered.status_code == 200
    assert answered.json() == {"accepted": True}
    response = await asyncio.wait_for(waiting, 20)
    assert response.status_code == 200
    assert response.json() == {"result": {"state": "shipped"}}
    assert history_server.history.calls == []  # nothing was recorded as started
    assert [call[1] for call in history_server.history.query_calls] == ["wf-1"]
    assert await backlog(matching) == 0


async def test_the_answer_reaches_the_waiting_process_through_another_one(start_matching):
    async with start_matching() as waiting_side, start_matching() as worker_side:
        waiting = asyncio.create_task(waiting_side.post(QUERIES, json=query_json()))

        polled = await poll(worker_side)
        assert polled.status_code == 200
        answered = await worker_side.post(
            RESPOND, json={"task_token": polled.json()["task_token"], "result": "from B"}
        )
        assert answered.status_code == 200

        response = await asyncio.wait_for(waiting, 20)
        assert response.status_code == 200
        assert response.json() == {"result": "from B"}


async def test_a_worker_error_is_query_failed(matching):
    waiting = asyncio.create_task(matching.post(QUERIES, json=query_json()))
    task = (await poll(matching)).json()

    await matching.post(
        RESPOND, json={"task_token": task["task_token"], "error": "unknown query 'status'"}
    )

    failed = assert_problem(await asyncio.wait_for(waiting, 20), 400, "query_failed")
    assert failed["detail"] == "unknown query 'status'"
    assert failed["query_id"] == "q-1"


async def test_a_second_answer_is_refused_and_not_delivered(start_matching):
    async with start_matching() as first_side, start_matching() as second_side:
        waiting = asyncio.create_task(first_side.post(QUERIES, json=query_json()))
        token = (await poll(first_side)).json()["task_token"]

        response = await second_side.post(RESPOND, json={"task_token": token, "result": "first"})
        assert response.json() == {"accepted": True}
        response = await first_side.post(RESPOND, json={"task_token": token, "result": "second"})
        assert_problem(response, 404, "task_not_found")

        assert (await asyncio.wait_for(waiting, 20)).json() == {"result": "first"}


async def test_a_query_nobody_polls_times_out_and_leaves_nothing_behind(matching, history_server):
    response = await matching.post(QUERIES, json=query_json(timeout=0.5))

    problem = assert_problem(response, 504, "query_timeout")
    assert problem["query_id"] == "q-1"
    assert await backlog(matching) == 0
    assert (await poll(matching, wait="300ms")).status_code == 204
    assert history_server.history.query_calls == []


async def test_an_answer_after_the_timeout_is_accepted_and_changes_nothing(matching):
    waiting = asyncio.create_task(matching.post(QUERIES, json=query_json(timeout=1)))
    token = (await poll(matching)).json()["task_token"]
    assert_problem(await asyncio.wait_for(waiting, 20), 504, "query_timeout")

    late = await matching.post(RESPOND, json={"task_token": token, "result": "late"})

    assert late.status_code == 200
    assert late.json() == {"accepted": True}
    assert await backlog(matching) == 0


@pytest.mark.parametrize("gone", ["workflow", "namespace"])
async def test_a_workflow_that_is_gone_fails_the_query_without_waiting_for_the_timeout(
    matching, history_server, gone
):
    if gone == "workflow":
        history_server.history.gone.add("wf-gone")
    else:
        history_server.history.gone_namespaces.add("default")
    waiting = asyncio.create_task(matching.post(QUERIES, json=query_json("wf-gone", timeout=60)))
    await assert_eventually(lambda: _backlog_is(matching, 1))

    # The poll drops the entry and goes on waiting: the wait ends without a task.
    assert (await poll(matching, wait="1s")).status_code == 204

    # query_failed, not the query_timeout 60 s would bring.
    failed = assert_problem(await asyncio.wait_for(waiting, 20), 400, "query_failed")
    assert "'wf-gone'" in failed["detail"]
    assert f"{gone}_not_found" in failed["detail"]
    assert await backlog(matching) == 0


async def test_a_query_task_is_requeued_while_history_is_down(matching, history_server):
    history = history_server.history
    history.down = True
    waiting = asyncio.create_task(matching.post(QUERIES, json=query_json()))
    await assert_eventually(lambda: _backlog_is(matching, 1))

    assert (await poll(matching, wait="1s")).status_code == 204
    assert history.query_calls, "history was asked"
    assert await backlog(matching) == 1

    history.down = False
    task = (await poll(matching)).json()
    await matching.post(RESPOND, json={"task_token": task["task_token"], "result": "back"})
    assert (await asyncio.wait_for(waiting, 20)).json() == {"result": "back"}


async def test_a_caller_that_gives_up_leaves_nothing_queued(matching):
    async with httpx.AsyncClient(base_url=str(matching.base_url), timeout=30) as history_side:
        abandoned = asyncio.create_task(history_side.post(QUERIES, json=query_json()))
        await assert_eventually(lambda: _backlog_is(matching, 1))
        abandoned.cancel()
        with pytest.raises(asyncio.CancelledError):
            await abandoned

    await assert_eventually(lambda: _backlog_is(matching, 0))


async def _backlog_is(client: httpx.AsyncClient, expected: int) -> None:
    assert await backlog(client) == expected


def _token(**overrides: Any) -> str:
    fields: dict[str, Any] = {
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
    ("path", "body", "code"),
    [
        (RESPOND, {"task_token": "bogus", "result": 1}, "task_token_invalid"),
        (RESPOND, {"task_token": _token(kind="workflow", query_id=None)}, "task_token_invalid"),
        (RESPOND, {"task_token": _token(namespace="prod")}, "task_token_invalid"),
        (RESPOND, {"task_token": _token(), "extra": True}, "invalid_argument"),
        (QUERIES, query_json(timeout=0), "invalid_argument"),
        (QUERIES, query_json(timeout=61), "invalid_argument"),
        (QUERIES, query_json(extra=True), "invalid_argument"),
        (QUERIES, query_json(query={"query_id": "q-1"}), "invalid_argument"),
    ],
    ids=[
        "bogus-token",
        "workflow-token",
        "other-namespace-token",
        "extra-answer-field",
        "timeout-0",
        "timeout-61",
        "extra-query-field",
        "no-query-name",
    ],
)
async def test_bad_input_is_a_problem_and_changes_nothing(
    matching, history_server, path, body, code
):
    waiting = asyncio.create_task(matching.post(QUERIES, json=query_json(timeout=1)))
    await assert_eventually(lambda: _backlog_is(matching, 1))

    response = await matching.post(path, json=body)

    assert_problem(response, 400, code)
    # The query that was waiting got nothing from it; no other task was queued.
    assert await backlog(matching) == 1
    assert_problem(await asyncio.wait_for(waiting, 20), 504, "query_timeout")
    assert history_server.history.query_calls == []
