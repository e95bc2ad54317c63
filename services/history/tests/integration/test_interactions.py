"""Signals, signal-with-start, cancellation requests and queries."""

import asyncio

import pytest
from history_testkit import HistoryDriver, activity_command

pytestmark = pytest.mark.integration


def _signals(task: dict) -> list[tuple[str, list]]:
    return [
        (e["attributes"]["signal_name"], e["attributes"]["args"])
        for e in task["history"]
        if e["event_type"] == "workflow_execution_signaled"
    ]


async def test_signals_reach_the_workflow_once_and_in_order(history: HistoryDriver) -> None:
    await history.start("wf")
    await history.run_task("wf", [])
    for i in range(3):
        resp = await history.post("wf/signal/approve", {"args": [i], "request_id": f"s-{i}"})
        assert resp.status_code == 202, resp.text
    again = await history.post("wf/signal/approve", {"args": [0], "request_id": "s-0"})
    assert again.status_code == 202
    task = await history.next_task("workflow", "wf")
    assert _signals(task) == [("approve", [0]), ("approve", [1]), ("approve", [2])]


async def test_a_signal_during_a_running_task_is_not_lost(history: HistoryDriver) -> None:
    await history.start("wf")
    task = await history.next_task("workflow", "wf")
    await history.post("wf/signal/late", {"args": ["x"]})
    assert "workflow_execution_signaled" not in await history.event_types("wf")
    await history.complete_wt(task, [{"type": "complete_workflow"}])  # must see the signal first
    assert (await history.describe("wf"))["status"] == "running"
    task = await history.next_task("workflow", "wf")
    assert _signals(task) == [("late", ["x"])]


async def test_signals_to_unknown_or_closed_workflows(history: HistoryDriver) -> None:
    resp = await history.post("nope/signal/s", {})
    assert resp.status_code == 404
    assert resp.json()["code"] == "workflow_not_found"
    await history.start("wf")
    await history.run_task("wf", [{"type": "complete_workflow"}])
    resp = await history.post("wf/signal/s", {})
    assert resp.status_code == 409
    assert resp.json()["code"] == "workflow_not_running"


async def test_signal_with_start_starts_then_signals(history: HistoryDriver) -> None:
    body = {"workflow_type": "Wf", "task_queue": "q", "signal_args": [1]}
    first = await history.post("wf/signal-with-start/go", body)
    assert first.status_code == 201
    assert first.json()["started"] is True
    second = await history.post("wf/signal-with-start/go", {**body, "signal_args": [2]})
    assert second.status_code == 200
    assert second.json() == {**first.json(), "started": False}
    task = await history.next_task("workflow", "wf")
    types = [e["event_type"] for e in task["history"]]
    assert types[:2] == ["workflow_execution_started", "workflow_execution_signaled"]
    assert _signals(task) == [("go", [1]), ("go", [2])]


async def test_signal_with_start_on_a_closed_id_follows_the_reuse_policy(
    history: HistoryDriver,
) -> None:
    await history.start("wf")
    await history.run_task("wf", [{"type": "complete_workflow"}])
    body = {"workflow_type": "Wf", "task_queue": "q", "signal_args": [1]}
    refused = await history.post(
        "wf/signal-with-start/go", {**body, "id_reuse_policy": "reject_duplicate"}
    )
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "workflow_already_started"
    assert await history.event_types("wf") == [
        "workflow_execution_started",
        "workflow_task_scheduled",
        "workflow_task_started",
        "workflow_task_completed",
        "workflow_execution_completed",
    ]
    started = await history.post("wf/signal-with-start/go", body)
    assert started.status_code == 201
    assert started.json()["started"] is True


@pytest.mark.parametrize("explicit", [False, True])
async def test_signal_with_start_use_existing_signals_the_running_run(
    history: HistoryDriver, explicit: bool
) -> None:
    first = (await history.start("wf")).json()
    body = {"workflow_type": "Wf", "task_queue": "q", "signal_args": [1]}
    if explicit:
        body["id_conflict_policy"] = "use_existing"  # the default when none is given
    resp = await history.post("wf/signal-with-start/go", body)
    assert resp.status_code == 200, resp.text
    assert resp.json() == {**first, "started": False}
    task = await history.next_task("workflow", "wf")
    assert task["run_id"] == first["run_id"]
    assert _signals(task) == [("go", [1])]


async def test_signal_with_start_terminate_existing_replaces_the_running_run(
    history: HistoryDriver,
) -> None:
    first = (await history.start("wf")).json()
    await history.run_task("wf", [])
    body = {
        "workflow_type": "Wf",
        "task_queue": "q",
        "input": ["fresh"],
        "signal_args": [1],
        "id_conflict_policy": "terminate_existing",
    }
    resp = await history.post("wf/signal-with-start/go", body)
    assert resp.status_code == 201, resp.text
    second = resp.json()
    assert second["started"] is True
    assert second["run_id"] != first["run_id"]
    old_types = await history.event_types("wf", first["run_id"])
    assert old_types[-1] == "workflow_execution_terminated"
    assert "workflow_execution_signaled" not in old_types
    assert (await history.describe("wf"))["run_id"] == second["run_id"]
    task = await history.next_task("workflow", "wf")
    assert task["run_id"] == second["run_id"]
    assert [e["event_type"] for e in task["history"]][:2] == [
        "workflow_execution_started",
        "workflow_execution_signaled",
    ]
    assert task["history"][0]["attributes"]["input"] == ["fresh"]
    assert _signals(task) == [("go", [1])]
    # With nothing running, it starts a run as any signal-with-start does.
    await history.client.post("/api/v1/namespaces/default/workflows/wf/terminate", json={})
    again = await history.post("wf/signal-with-start/go", body)
    assert again.status_code == 201, again.text
    assert again.json()["run_id"] not in {first["run_id"], second["run_id"]}


async def test_signal_with_start_refuses_conflict_policy_fail(history: HistoryDriver) -> None:
    body = {
        "workflow_type": "Wf",
        "task_queue": "q",
        "signal_args": [1],
        "id_conflict_policy": "fail",
    }
    await history.start("wf")
    before = await history.events("wf")
    for path in ("wf/signal-with-start/go", "other/signal-with-start/go"):
        resp = await history.post(path, body)
        assert resp.status_code == 400, resp.text
        assert resp.headers["content-type"].startswith("application/problem+json")
        doc = resp.json()
        assert doc["code"] == "invalid_argument"
        assert "id_conflict_policy=fail" in doc["detail"]
    assert await history.events("wf") == before
    missing = await history.client.get("/api/v1/namespaces/default/workflows/other")
    assert missing.status_code == 404


async def test_cancel_request_is_recorded_once(history: HistoryDriver) -> None:
    await history.start("wf")
    await history.run_task("wf", [activity_command()])
    for _ in range(2):
        resp = await history.post("wf/cancel", {"reason": "stop", "request_id": "c-1"})
        assert resp.status_code == 202
    await history.post("wf/cancel", {"reason": "again"})
    task = await history.next_task("workflow", "wf")
    requested = [
        e for e in task["history"] if e["event_type"] == "workflow_execution_cancel_requested"
    ]
    assert len(requested) == 1
    assert requested[0]["attributes"]["reason"] == "stop"
    resp = await history.complete_wt(task, [{"type": "cancel_workflow", "details": "cleaned up"}])
    assert resp.status_code == 200
    assert (await history.describe("wf"))["status"] == "canceled"
    assert (await history.post("wf/cancel", {})).json()["code"] == "workflow_not_running"


async def test_query_is_handed_to_matching_and_writes_nothing(history: HistoryDriver) -> None:
    await history.start("wf")
    await history.run_task("wf", [])
    before = await history.events("wf")
    resp = await history.post("wf/query/status", {"args": [1]})
    assert resp.status_code == 200
    assert resp.json() == {"result": "answer"}
    (sent,) = history.matching.queries
    assert sent["task_queue"] == "q"
    assert sent["query"]["query_name"] == "status"
    assert sent["query"]["args"] == [1]
    assert await history.events("wf") == before
    history.matching.query_answer = {"code": "query_failed", "status": 400, "detail": "no handler"}
    failed = await history.post("wf/query/nope", {})
    assert failed.status_code == 400
    assert failed.json()["code"] == "query_failed"


async def test_a_query_waits_for_the_first_workflow_task(history: HistoryDriver) -> None:
    await history.start("wf")
    query = asyncio.create_task(history.post("wf/query/status", {}))
    await asyncio.sleep(0.3)
    assert history.matching.queries == []  # no state to query before the first task
    await history.run_task("wf", [])
    resp = await asyncio.wait_for(query, 10)
    assert resp.status_code == 200, resp.text
    assert len(history.matching.queries) == 1


async def test_a_query_to_a_workflow_no_worker_ran_times_out(history: HistoryDriver) -> None:
    await history.start("wf")
    resp = await history.post("wf/query/status", {})  # the test history waits 2 s at most
    assert resp.status_code == 504
    assert resp.json()["code"] == "query_timeout"
    assert "first workflow task" in resp.json()["detail"]
    assert history.matching.queries == []


async def test_query_task_document_for_workers(history: HistoryDriver) -> None:
    await history.start("wf")
    await history.run_task("wf", [{"type": "complete_workflow", "result": 1}])
    run_id = (await history.describe("wf"))["run_id"]
    resp = await history.client.post(
        "/internal/namespaces/default/workflows/wf/build-query-task",
        json={
            "run_id": run_id,
            "task_queue": "q",
            "query": {"query_id": "q1", "query_name": "status", "args": []},
        },
    )
    assert resp.status_code == 200, resp.text
    task = resp.json()
    assert task["queries"] == [{"query_id": "q1", "query_name": "status", "args": []}]
    assert task["history"][-1]["event_type"] == "workflow_execution_completed"
    from odin_common.tokens import TaskToken

    token = TaskToken.decode(task["task_token"])
    assert (token.kind, token.query_id) == ("query", "q1")
