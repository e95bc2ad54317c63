"""The HTTP app on the in-process store (no Redis), with a fake history."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from odin_common.tokens import TaskToken
from odin_matching.app import create_app
from odin_matching.settings import MatchingSettings
from odin_matching.store.memory_store import InMemoryTaskStore

POLL = "/api/v1/namespaces/default/task-queues/orders/poll"


@pytest.fixture
async def app(fake_history) -> AsyncIterator[FastAPI]:
    settings = MatchingSettings(redis_url=None, poll_slice_seconds=0.1, max_payload_bytes=4096)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        app.state.matching.history = fake_history
        yield app


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://matching") as client:
        yield client


def task_json(workflow_id: str = "wf-1", **overrides: object) -> dict[str, object]:
    task: dict[str, object] = {
        "namespace": "default",
        "task_queue": "orders",
        "kind": "workflow",
        "workflow_id": workflow_id,
        "run_id": "run-1",
        "scheduled_event_id": 2,
        "attempt": 1,
    }
    task.update(overrides)
    return task


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    doc: dict[str, object] = response.json()
    assert doc["code"] == code
    assert doc["status"] == status
    return doc


async def test_without_redis_the_in_process_store_serves(app, client):
    assert isinstance(app.state.matching.store, InMemoryTaskStore)
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"task_store": "in-memory"}


async def test_added_tasks_are_handed_to_a_poll(client, fake_history):
    added = await client.post("/internal/tasks", json={"tasks": [task_json()]})
    assert added.status_code == 200
    assert added.json() == {"added": 1}

    polled = await client.post(POLL, json={"kind": "workflow", "identity": "w1", "wait": "2s"})

    assert polled.status_code == 200
    assert polled.headers["content-type"] == "application/json"
    call = fake_history.calls[0]
    assert polled.content == await fake_history.record(*call[:3], call[3])


async def test_adding_a_queued_task_again_adds_nothing(client):
    first = await client.post("/internal/tasks", json={"tasks": [task_json(), task_json()]})
    again = await client.post("/internal/tasks", json={"tasks": [task_json()]})
    assert first.json() == {"added": 1}
    assert again.json() == {"added": 0}


async def test_no_task_within_the_wait_is_204_without_body(client):
    polled = await client.post(POLL, json={"kind": "activity", "wait": "100ms"})
    assert polled.status_code == 204
    assert polled.content == b""


async def test_describe_reports_backlog_and_pollers(client):
    await client.post("/internal/tasks", json={"tasks": [task_json(kind="activity")]})
    await client.post(POLL, json={"kind": "workflow", "identity": "w1", "wait": "10ms"})

    described = await client.get("/api/v1/namespaces/default/task-queues/orders")

    assert described.status_code == 200
    body = described.json()
    assert body["name"] == "orders"
    assert body["activity"]["backlog_count"] == 1
    assert body["activity"]["backlog_age_seconds"] >= 0
    assert body["workflow"]["backlog_count"] == 0
    assert [p["identity"] for p in body["workflow"]["pollers"]] == ["w1"]


async def test_a_task_queue_name_with_a_slash_works(client):
    await client.post("/internal/tasks", json={"tasks": [task_json(task_queue="team/orders")]})
    polled = await client.post(
        "/api/v1/namespaces/default/task-queues/team%2Forders/poll",
        json={"kind": "workflow", "wait": "1s"},
    )
    assert polled.status_code == 200
    assert polled.json()["task_queue"] == "team/orders"


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "query", "wait": "1s"},
        {"kind": "workflow", "wait": "61s"},
        {"kind": "workflow", "wait": "10 parsecs"},
        {"kind": "workflow", "wait": "-1s"},
        {"kind": "workflow", "identity": "x" * 300},
        {"kind": "workflow", "unknown": 1},
        {},
    ],
    ids=[
        "unknown-kind",
        "wait-over-60s",
        "malformed-wait",
        "negative-wait",
        "long-identity",
        "extra-field",
        "empty",
    ],
)
async def test_a_bad_poll_body_is_400(client, body):
    assert_problem(await client.post(POLL, json=body), 400, "invalid_argument")


async def test_a_poll_body_that_is_not_json_is_400(client):
    response = await client.post(
        POLL, content=b"{not json", headers={"content-type": "application/json"}
    )
    assert_problem(response, 400, "invalid_argument")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/namespaces/bad%20name/task-queues/orders/poll",
        "/api/v1/namespaces/-dash/task-queues/orders/poll",
        "/api/v1/namespaces/default/task-queues/bad%01queue/poll",
        "/api/v1/namespaces/default/task-queues//poll",
    ],
)
async def test_bad_names_in_the_path_are_400(client, path):
    response = await client.post(path, json={"kind": "workflow", "wait": "1s"})
    assert_problem(response, 400, "invalid_argument")


async def test_describe_with_a_bad_namespace_is_400(client):
    response = await client.get("/api/v1/namespaces/no%20spaces/task-queues/orders")
    assert_problem(response, 400, "invalid_argument")


async def test_an_oversized_body_is_413_and_queues_nothing(client):
    tasks = [task_json(f"wf-{i}") for i in range(100)]
    response = await client.post("/internal/tasks", json={"tasks": tasks})
    assert_problem(response, 413, "payload_too_large")
    described = await client.get("/api/v1/namespaces/default/task-queues/orders")
    assert described.json()["workflow"]["backlog_count"] == 0


@pytest.mark.parametrize(
    "task",
    [
        task_json(scheduled_event_id=0),
        task_json(kind="query"),
        task_json(namespace="bad name"),
        task_json(task_queue=""),
        {k: v for k, v in task_json().items() if k != "run_id"},
    ],
    ids=["event-id-0", "unknown-kind", "bad-namespace", "empty-queue", "missing-run-id"],
)
async def test_an_invalid_task_is_400_and_queues_nothing(client, task):
    response = await client.post("/internal/tasks", json={"tasks": [task_json("wf-ok"), task]})
    assert_problem(response, 400, "invalid_argument")
    described = await client.get("/api/v1/namespaces/default/task-queues/orders")
    assert described.json()["workflow"]["backlog_count"] == 0


async def test_unknown_paths_and_methods_are_problems(client):
    assert_problem(await client.get("/api/v1/nothing-here"), 404, "not_found")
    assert_problem(await client.put("/internal/tasks", json={}), 405, "method_not_allowed")


QUERIES = "/internal/queries"
RESPOND = "/api/v1/namespaces/default/query-tasks/respond"


def query_json(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "namespace": "default",
        "task_queue": "orders",
        "workflow_id": "wf-1",
        "run_id": "run-1",
        "query": {"query_id": "q-1", "query_name": "status", "args": []},
        "timeout_seconds": 5,
    }
    body.update(overrides)
    return body


def query_token(**overrides: object) -> str:
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


async def test_a_query_is_answered_through_the_http_routes(client, fake_history):
    waiting = asyncio.create_task(client.post(QUERIES, json=query_json()))
    polled = await client.post(POLL, json={"kind": "workflow", "identity": "w1", "wait": "2s"})
    assert polled.status_code == 200
    task = polled.json()
    assert task["queries"][0]["query_id"] == "q-1"

    answered = await client.post(
        RESPOND, json={"task_token": task["task_token"], "result": {"total": 3}}
    )

    assert answered.status_code == 200
    assert answered.json() == {"accepted": True}
    response = await asyncio.wait_for(waiting, 5)
    assert response.status_code == 200
    assert response.json() == {"result": {"total": 3}}


async def test_a_worker_error_is_query_failed_and_no_answer_is_query_timeout(client):
    waiting = asyncio.create_task(client.post(QUERIES, json=query_json()))
    task = (await client.post(POLL, json={"kind": "workflow", "wait": "2s"})).json()
    await client.post(RESPOND, json={"task_token": task["task_token"], "error": "boom"})
    failed = assert_problem(await asyncio.wait_for(waiting, 5), 400, "query_failed")
    assert (failed["detail"], failed["query_id"]) == ("boom", "q-1")

    timed_out = await client.post(QUERIES, json=query_json(timeout_seconds=0.2))
    assert_problem(timed_out, 504, "query_timeout")
    described = await client.get("/api/v1/namespaces/default/task-queues/orders")
    assert described.json()["workflow"]["backlog_count"] == 0


@pytest.mark.parametrize(
    "body",
    [
        query_json(timeout_seconds=0),
        query_json(timeout_seconds=-1),
        query_json(timeout_seconds=61),
        query_json(timeout_seconds="soon"),
        query_json(extra=1),
        query_json(query={"query_id": "q" * 65, "query_name": "status"}),
        query_json(query={"query_id": "", "query_name": "status"}),
        query_json(query={"query_id": "q-1", "query_name": "status", "unknown": 1}),
        query_json(query={"query_id": "q-1"}),
        query_json(namespace="bad name"),
        query_json(task_queue=""),
        {k: v for k, v in query_json().items() if k != "query"},
    ],
    ids=[
        "timeout-0",
        "timeout-negative",
        "timeout-over-60",
        "timeout-not-a-number",
        "extra-field",
        "long-query-id",
        "empty-query-id",
        "extra-query-field",
        "no-query-name",
        "bad-namespace",
        "empty-queue",
        "no-query",
    ],
)
async def test_a_bad_query_request_is_400_and_queues_nothing(client, body):
    assert_problem(await client.post(QUERIES, json=body), 400, "invalid_argument")
    described = await client.get("/api/v1/namespaces/default/task-queues/orders")
    assert described.json()["workflow"]["backlog_count"] == 0


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"task_token": "bogus!", "result": 1}, "task_token_invalid"),
        ({"task_token": query_token(kind="workflow", query_id=None)}, "task_token_invalid"),
        ({"task_token": query_token(kind="activity", query_id=None)}, "task_token_invalid"),
        ({"task_token": query_token(query_id=None)}, "task_token_invalid"),
        ({"task_token": query_token(namespace="prod")}, "task_token_invalid"),
        ({"task_token": query_token(), "extra": 1}, "invalid_argument"),
        ({"task_token": ""}, "invalid_argument"),
        ({"result": 1}, "invalid_argument"),
    ],
    ids=[
        "bogus-token",
        "workflow-token",
        "activity-token",
        "no-query-id",
        "other-namespace",
        "extra-field",
        "empty-token",
        "no-token",
    ],
)
async def test_a_bad_answer_is_400_and_delivers_nothing(app, client, body, code):
    response = await client.post(RESPOND, json=body)
    assert_problem(response, 400, code)
    assert await app.state.matching.store.wait_answer("default", "q-1", 0) is None


async def test_an_answer_with_a_bad_namespace_in_the_path_is_400(client):
    response = await client.post(
        "/api/v1/namespaces/bad%20ns/query-tasks/respond", json={"task_token": query_token()}
    )
    assert_problem(response, 400, "invalid_argument")


async def test_an_answer_nobody_waits_for_is_accepted(client):
    response = await client.post(RESPOND, json={"task_token": query_token(), "result": 1})
    assert response.status_code == 200
    assert response.json() == {"accepted": True}
