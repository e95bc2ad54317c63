"""The matching app over real HTTP, on real Redis, with a fake history served over HTTP."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from odin_common.redis_keys import RedisKeys
from odin_common.testing import assert_eventually, free_port
from odin_matching.app import create_app
from odin_matching.settings import MatchingSettings
from odin_matching.store.redis_store import RedisTaskStore

pytestmark = pytest.mark.integration

POLL = "/api/v1/namespaces/default/task-queues/orders/poll"
DESCRIBE = "/api/v1/namespaces/default/task-queues/orders"


def settings_for(
    redis_url: str, prefix: str, history_url: str, **overrides: Any
) -> MatchingSettings:
    values: dict[str, Any] = {
        "redis_url": redis_url,
        "redis_key_prefix": prefix,
        "history_url": history_url,
        "poll_slice_seconds": 0.5,
        "history_call_timeout_seconds": 1.0,
        "history_retry_backoff_seconds": 0.05,
        "poller_record_interval_seconds": 0,
        "max_payload_bytes": 64 * 1024,
    }
    values.update(overrides)
    return MatchingSettings(**values)


@pytest.fixture
async def matching(
    serve, redis_url, redis_prefix, history_server
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings_for(redis_url, redis_prefix, history_server.url))
    async with serve(app) as base_url, httpx.AsyncClient(base_url=base_url, timeout=30) as client:
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


async def add(client: httpx.AsyncClient, *tasks: dict[str, object]) -> int:
    response = await client.post("/internal/tasks", json={"tasks": list(tasks)})
    assert response.status_code == 200, response.text
    added: int = response.json()["added"]
    return added


async def poll(
    client: httpx.AsyncClient, wait: str = "5s", kind: str = "workflow", identity: str = "w1"
) -> httpx.Response:
    return await client.post(POLL, json={"kind": kind, "identity": identity, "wait": wait})


async def backlog(client: httpx.AsyncClient, kind: str = "workflow") -> int:
    response = await client.get(DESCRIBE)
    assert response.status_code == 200, response.text
    count: int = response.json()[kind]["backlog_count"]
    return count


async def test_a_task_is_recorded_started_and_handed_over(matching, history_server):
    assert await add(matching, task_json("wf-1", kind="activity")) == 1

    response = await poll(matching, kind="activity", identity="worker-7")

    assert response.status_code == 200
    task = response.json()
    assert (task["kind"], task["workflow_id"], task["identity"]) == ("activity", "wf-1", "worker-7")
    ((kind, namespace, workflow_id, started),) = history_server.history.calls
    assert (kind, namespace, workflow_id) == ("activity", "default", "wf-1")
    assert (started.run_id, started.scheduled_event_id, started.attempt) == ("run-1", 2, 1)
    assert started.task_queue == "orders"
    assert started.request_id == task["request_id"]
    assert await backlog(matching, "activity") == 0


async def test_a_waiting_poll_gets_a_task_the_moment_it_is_added(matching):
    waiting = asyncio.create_task(poll(matching, wait="10s"))
    await assert_eventually(lambda: _has_poller(matching, "w1"))
    await add(matching, task_json("wf-late"))
    response = await asyncio.wait_for(waiting, 10)
    assert response.status_code == 200
    assert response.json()["workflow_id"] == "wf-late"


async def _has_poller(client: httpx.AsyncClient, identity: str, kind: str = "workflow") -> None:
    body = (await client.get(DESCRIBE)).json()
    assert identity in [p["identity"] for p in body[kind]["pollers"]]


async def test_adding_a_task_that_is_queued_adds_nothing(matching):
    assert await add(matching, task_json("wf-1"), task_json("wf-1"), task_json("wf-2")) == 2
    assert await add(matching, task_json("wf-1")) == 0
    assert await backlog(matching) == 2

    handed = await poll(matching)
    assert handed.json()["workflow_id"] == "wf-1"
    # Still counted as queued while wf-2 waits; wf-1 is gone, so it can be queued again.
    assert await add(matching, task_json("wf-2")) == 0
    assert await add(matching, task_json("wf-1")) == 1


async def test_stale_tasks_are_dropped_within_the_same_poll(matching, history_server):
    history_server.history.stale.add("wf-started-elsewhere")
    history_server.history.closed.add("wf-closed")
    await add(
        matching, task_json("wf-started-elsewhere"), task_json("wf-closed"), task_json("wf-good")
    )

    response = await poll(matching)

    assert response.status_code == 200
    assert response.json()["workflow_id"] == "wf-good"
    assert [call[2] for call in history_server.history.calls] == [
        "wf-started-elsewhere",
        "wf-closed",
        "wf-good",
    ]
    assert await backlog(matching) == 0
    assert (await poll(matching, wait="200ms")).status_code == 204


async def test_a_task_is_requeued_while_history_is_down_and_delivered_once_it_is_back(
    matching, history_server
):
    history = history_server.history
    history.down = True
    await add(matching, task_json("wf-1"))

    assert (await poll(matching, wait="1s")).status_code == 204
    assert history.calls, "history was asked"
    assert await backlog(matching) == 1

    history.down = False
    response = await poll(matching)
    assert response.status_code == 200
    assert response.json()["workflow_id"] == "wf-1"
    assert {call[3].request_id for call in history.calls} == {response.json()["request_id"]}


async def test_no_task_within_the_wait_is_204(matching):
    response = await poll(matching, wait="300ms")
    assert response.status_code == 204
    assert response.content == b""


async def test_a_worker_that_disconnects_mid_poll_does_not_lose_the_task(matching, history_server):
    async with httpx.AsyncClient(base_url=str(matching.base_url), timeout=30) as gone_worker:
        abandoned = asyncio.create_task(poll(gone_worker, wait="30s", identity="gone"))
        await assert_eventually(lambda: _has_poller(matching, "gone"))
        abandoned.cancel()
        with pytest.raises(asyncio.CancelledError):
            await abandoned

    await add(matching, task_json("wf-1"))

    response = await poll(matching, identity="present")
    assert response.status_code == 200
    assert response.json()["workflow_id"] == "wf-1"
    assert [call[3].identity for call in history_server.history.calls] == ["present"]


async def test_a_worker_that_leaves_while_history_answers_does_not_lose_the_task(
    matching, history_server
):
    history = history_server.history
    history.hang = True
    await add(matching, task_json("wf-1"))
    async with httpx.AsyncClient(base_url=str(matching.base_url), timeout=30) as gone_worker:
        abandoned = asyncio.create_task(poll(gone_worker, wait="30s", identity="gone"))
        await assert_eventually(lambda: _history_called(history))
        abandoned.cancel()
        with pytest.raises(asyncio.CancelledError):
            await abandoned
    history.hang = False
    history.released.set()

    # History recorded the start for the worker that left; the requeued entry keeps that
    # delivery's request id, so history answers the next poll with the same task.
    response = await poll(matching, identity="present")
    assert response.status_code == 200
    assert response.json()["workflow_id"] == "wf-1"


def _history_called(history) -> None:
    assert history.calls


async def test_tasks_a_crashed_matching_process_held_are_reclaimed(
    serve, redis_url, redis_prefix, history_server, make_task
):
    crashed = RedisTaskStore(redis_url, RedisKeys(redis_prefix), max_block_seconds=1)
    await crashed.add([make_task("wf-1")])
    held = await crashed.take("default", "orders", "workflow", "crashed-consumer", 2)
    assert held is not None
    await crashed.close()  # it never acks: the process died with the entry delivered

    settings = settings_for(
        redis_url,
        redis_prefix,
        history_server.url,
        reclaim_interval_seconds=0.2,
        reclaim_idle_seconds=1.5,
    )
    async with (
        serve(create_app(settings)) as base_url,
        httpx.AsyncClient(base_url=base_url, timeout=30) as client,
    ):
        response = await poll(client, wait="20s")
        assert response.status_code == 200
        assert response.json()["workflow_id"] == "wf-1"
        assert response.json()["request_id"] == held.request_id


async def test_matching_recovers_by_itself_after_redis_lost_everything(
    serve, history_server, flushable_redis_url
):
    prefix = f"odintest-flush-{uuid.uuid4().hex[:8]}"
    admin = Redis.from_url(flushable_redis_url)
    app = create_app(settings_for(flushable_redis_url, prefix, history_server.url))
    try:
        async with (
            serve(app) as base_url,
            httpx.AsyncClient(base_url=base_url, timeout=30) as client,
        ):
            await add(client, task_json("wf-1"))
            assert (await poll(client)).json()["workflow_id"] == "wf-1"

            parked = asyncio.create_task(poll(client, wait="20s", identity="parked"))
            await assert_eventually(lambda: _has_poller(client, "parked"))
            await admin.flushdb()

            assert await add(client, task_json("wf-2")) == 1
            response = await asyncio.wait_for(parked, 20)
            assert response.status_code == 200
            assert response.json()["workflow_id"] == "wf-2"

            await admin.flushdb()
            assert await add(client, task_json("wf-3")) == 1
            assert (await poll(client)).json()["workflow_id"] == "wf-3"
            assert (await client.get("/readyz")).status_code == 200
    finally:
        await admin.flushdb()
        await admin.aclose()


async def test_describe_shows_backlog_age_and_pollers(matching):
    await add(matching, task_json("wf-1"), task_json("wf-2"), task_json("wf-a", kind="activity"))
    await poll(matching, identity="worker-1")

    response = await matching.get(DESCRIBE)

    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["namespace"]) == ("orders", "default")
    assert body["workflow"]["backlog_count"] == 1
    assert body["workflow"]["backlog_age_seconds"] >= 0
    assert [p["identity"] for p in body["workflow"]["pollers"]] == ["worker-1"]
    assert body["workflow"]["pollers"][0]["kind"] == "workflow"
    assert body["activity"]["backlog_count"] == 1
    assert body["activity"]["pollers"] == []


async def test_readyz_checks_redis(serve, redis_url, redis_prefix, history_server, matching):
    ready = await matching.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"redis": "ok"}

    down = settings_for(f"redis://127.0.0.1:{free_port()}/0", redis_prefix, history_server.url)
    async with serve(create_app(down)) as base_url, httpx.AsyncClient(base_url=base_url) as client:
        response = await client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["code"] == "unavailable"
        polled = await poll(client, wait="1s")
        assert polled.status_code == 503
        assert polled.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        (POLL, {"kind": "query", "wait": "1s"}, 400),
        (POLL, {"kind": "workflow", "wait": "61s"}, 400),
        (POLL, {"kind": "workflow", "wait": "soon"}, 400),
        ("/api/v1/namespaces/bad%20ns/task-queues/orders/poll", {"kind": "workflow"}, 400),
        ("/api/v1/namespaces/default/task-queues/bad%7Fqueue/poll", {"kind": "workflow"}, 400),
        ("/internal/tasks", {"tasks": [task_json(kind="signal")]}, 400),
        ("/internal/tasks", {"tasks": [task_json(attempt=0)]}, 400),
        ("/internal/tasks", {"tasks": [task_json(f"wf-{i}") for i in range(1000)]}, 413),
    ],
    ids=[
        "unknown-kind",
        "wait-over-60s",
        "malformed-wait",
        "bad-namespace",
        "bad-task-queue",
        "unknown-task-kind",
        "attempt-0",
        "oversized-body",
    ],
)
async def test_bad_input_is_a_problem_and_queues_nothing(
    matching, history_server, path, body, status
):
    response = await matching.post(path, json=body)

    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == ("payload_too_large" if status == 413 else "invalid_argument")
    assert await backlog(matching) == 0
    assert history_server.history.calls == []
