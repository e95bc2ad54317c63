"""History paging and long polls, the result endpoint, namespaces."""

import asyncio
import base64

import pytest
from history_testkit import HistoryDriver

pytestmark = pytest.mark.integration


async def test_history_pages(history: HistoryDriver) -> None:
    await history.start("wf")
    wt = await history.next_task("workflow", "wf")
    timers = [
        {"type": "start_timer", "timer_id": str(i), "start_to_fire_timeout": "1h"}
        for i in range(10)
    ]
    await history.complete_wt(wt, timers)
    seen: list[int] = []
    token = None
    while True:
        params = {"page_size": "4"}
        if token:
            params["next_page_token"] = token
        page = (
            await history.client.get(
                "/api/v1/namespaces/default/workflows/wf/history", params=params
            )
        ).json()
        seen += [e["event_id"] for e in page["events"]]
        token = page["next_page_token"]
        if not token:
            break
    assert seen == list(range(1, 15))
    # a page token is the workflow's own: on another workflow it is bad input, not a 404
    assert (await history.start("other")).status_code == 201
    first = (
        await history.client.get(
            "/api/v1/namespaces/default/workflows/wf/history", params={"page_size": "4"}
        )
    ).json()
    resp = await history.client.get(
        "/api/v1/namespaces/default/workflows/other/history",
        params={"next_page_token": first["next_page_token"]},
    )
    assert resp.status_code == 400
    assert "another workflow" in resp.json()["detail"]
    # a token of an older server (run id and event id only) still works
    run_id = (await history.describe("wf"))["run_id"]
    old_token = base64.urlsafe_b64encode(f"{run_id}:5".encode()).rstrip(b"=").decode()
    resp = await history.client.get(
        "/api/v1/namespaces/default/workflows/wf/history",
        params={"next_page_token": old_token, "page_size": "2"},
    )
    assert [e["event_id"] for e in resp.json()["events"]] == [5, 6]


async def test_wait_new_event_long_polls(history: HistoryDriver) -> None:
    await history.start("wf")
    page = (
        await history.client.get(
            "/api/v1/namespaces/default/workflows/wf/history", params={"wait_new_event": "true"}
        )
    ).json()
    token = page["next_page_token"]
    assert token
    waiting = asyncio.create_task(
        history.client.get(
            "/api/v1/namespaces/default/workflows/wf/history",
            params={"wait_new_event": "true", "next_page_token": token},
        )
    )
    await asyncio.sleep(0.2)
    assert not waiting.done()
    await history.next_task("workflow", "wf")
    page = (await asyncio.wait_for(waiting, 10)).json()
    assert [e["event_type"] for e in page["events"]] == ["workflow_task_started"]


async def test_close_filter_waits_for_the_close_event(history: HistoryDriver) -> None:
    await history.start("wf")
    waiting = asyncio.create_task(
        history.client.get(
            "/api/v1/namespaces/default/workflows/wf/history",
            params={"wait_new_event": "true", "event_filter": "close"},
        )
    )
    wt = await history.next_task("workflow", "wf")
    await history.complete_wt(wt, [{"type": "complete_workflow", "result": 7}])
    page = (await asyncio.wait_for(waiting, 10)).json()
    assert [e["event_type"] for e in page["events"]] == ["workflow_execution_completed"]
    assert page["events"][0]["attributes"]["result"] == 7


async def test_result_waits_then_answers_202(history: HistoryDriver) -> None:
    await history.start("wf")
    resp = await history.client.get(
        "/api/v1/namespaces/default/workflows/wf/result", params={"wait": "200ms"}
    )
    assert resp.status_code == 202
    assert resp.json()["status"] == "running"
    waiting = asyncio.create_task(
        history.client.get("/api/v1/namespaces/default/workflows/wf/result", params={"wait": "10s"})
    )
    wt = await history.next_task("workflow", "wf")
    await history.complete_wt(wt, [{"type": "complete_workflow", "result": "r"}])
    resp = await asyncio.wait_for(waiting, 10)
    assert resp.status_code == 200
    assert resp.json()["result"] == "r"


async def test_unknown_workflow_and_run(history: HistoryDriver) -> None:
    for path in ("", "/history", "/result"):
        resp = await history.client.get(f"/api/v1/namespaces/default/workflows/nope{path}")
        assert resp.status_code == 404, path
        assert resp.json()["code"] == "workflow_not_found"
    await history.start("wf")
    resp = await history.client.get(
        "/api/v1/namespaces/default/workflows/wf",
        params={"run_id": "00000000-0000-0000-0000-000000000000"},
    )
    assert resp.json()["code"] == "workflow_not_found"


async def test_namespace_crud(history: HistoryDriver) -> None:
    c = history.client
    resp = await c.post("/api/v1/namespaces", json={"name": "payments", "description": "p"})
    assert resp.status_code == 201
    assert resp.json()["retention_days"] == 30
    again = await c.post("/api/v1/namespaces", json={"name": "payments"})
    assert again.status_code == 409
    assert again.json()["code"] == "namespace_already_exists"
    patched = await c.patch("/api/v1/namespaces/payments", json={"retention_days": 7})
    assert patched.json()["retention_days"] == 7
    names = [n["name"] for n in (await c.get("/api/v1/namespaces")).json()["namespaces"]]
    assert names == ["default", "payments"]
    page = (await c.get("/api/v1/namespaces", params={"page_size": 1})).json()
    assert [n["name"] for n in page["namespaces"]] == ["default"]
    page2 = (
        await c.get(
            "/api/v1/namespaces",
            params={"page_size": 1, "next_page_token": page["next_page_token"]},
        )
    ).json()
    assert [n["name"] for n in page2["namespaces"]] == ["payments"]
    assert page2["next_page_token"] is None
    history.ns = "payments"
    assert (await history.start("wf")).status_code == 201
    deleted = await c.delete("/api/v1/namespaces/payments")
    assert deleted.json()["state"] == "deleted"
    assert (await c.get("/api/v1/namespaces/payments")).json()["code"] == "namespace_not_found"
    assert (await history.start("wf2")).json()["code"] == "namespace_not_found"
    assert (await c.post("/api/v1/namespaces", json={"name": "payments"})).status_code == 201


async def test_bad_input_is_refused_and_writes_nothing(history: HistoryDriver) -> None:
    c = history.client
    bad_starts = [
        {},
        {"workflow_type": "Wf"},
        {"workflow_type": "Wf", "task_queue": "q", "input": "not a list"},
        {"workflow_type": "Wf", "task_queue": "q", "execution_timeout": "forever"},
        {"workflow_type": "Wf", "task_queue": "q", "task_timeout": -1},
        {"workflow_type": "Wf", "task_queue": "q", "id_reuse_policy": "sometimes"},
        {"workflow_type": "Wf", "task_queue": "q", "extra": True},
        {"workflow_type": "", "task_queue": "q"},
        {"workflow_type": "Wf", "task_queue": "q", "retry_policy": {"backoff_coefficient": 0.5}},
    ]
    for body in bad_starts:
        resp = await c.post("/api/v1/namespaces/default/workflows/wf", json=body)
        assert resp.status_code == 400, body
        assert resp.headers["content-type"] == "application/problem+json"
        assert resp.json()["code"] == "invalid_argument"
    assert (await c.get("/api/v1/namespaces/default/workflows/wf")).status_code == 404
    big = {"workflow_type": "Wf", "task_queue": "q", "input": ["x" * (3 * 1024 * 1024)]}
    resp = await c.post("/api/v1/namespaces/default/workflows/wf", json=big)
    assert resp.status_code == 413
    assert resp.json()["code"] == "payload_too_large"
    for params in (
        {"page_size": "0"},
        {"page_size": "abc"},
        {"next_page_token": "%%%"},
        {"event_filter": "some"},
    ):
        resp = await c.get("/api/v1/namespaces/default/workflows/wf/history", params=params)
        assert resp.status_code in {400, 404}, params
    resp = await c.get("/api/v1/namespaces/default/workflows/wf/result", params={"wait": "2m"})
    assert resp.status_code == 400
    resp = await c.post(
        "/api/v1/namespaces/Bad Name!/workflows/wf", json={"workflow_type": "W", "task_queue": "q"}
    )
    assert resp.status_code == 400
