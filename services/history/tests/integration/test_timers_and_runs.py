"""Durable timers, and the runs that follow a run: continue-as-new, retries, timeouts."""

from typing import Any

import pytest
from history_testkit import HistoryDriver

pytestmark = pytest.mark.integration


async def _run_task(history: HistoryDriver, commands: list[dict[str, Any]]) -> dict[str, Any]:
    wt = await history.next_task("workflow", "wf")
    resp = await history.complete_wt(wt, commands)
    assert resp.status_code == 200, resp.text
    return wt


async def test_timers_fire_and_can_be_cancelled(history: HistoryDriver) -> None:
    await history.start("wf")
    await _run_task(
        history,
        [
            {"type": "start_timer", "timer_id": "a", "start_to_fire_timeout": "200ms"},
            {"type": "start_timer", "timer_id": "b", "start_to_fire_timeout": "1h"},
        ],
    )
    desc = await history.describe("wf")
    assert {t["timer_id"] for t in desc["pending_timers"]} == {"a", "b"}
    wt = await history.next_task("workflow", "wf")
    fired = [e for e in wt["history"] if e["event_type"] == "timer_fired"]
    assert [e["attributes"]["timer_id"] for e in fired] == ["a"]
    await history.complete_wt(wt, [{"type": "cancel_timer", "timer_id": "b"}])
    assert (await history.event_types("wf"))[-1] == "timer_canceled"
    assert (await history.describe("wf"))["pending_timers"] == []


async def test_many_timers_in_one_workflow(history: HistoryDriver) -> None:
    await history.start("wf")
    timers = [
        {"type": "start_timer", "timer_id": str(i), "start_to_fire_timeout": f"{100 + i * 10}ms"}
        for i in range(30)
    ]
    wt = await _run_task(history, timers)
    del wt
    fired: set[str] = set()
    while len(fired) < 30:
        wt = await history.next_task("workflow", "wf")
        fired |= {
            e["attributes"]["timer_id"] for e in wt["history"] if e["event_type"] == "timer_fired"
        }
        await history.complete_wt(wt, [])
    assert fired == {str(i) for i in range(30)}


async def test_continue_as_new_starts_a_fresh_run(history: HistoryDriver) -> None:
    first = (await history.start("wf", input=[1])).json()
    await _run_task(history, [{"type": "continue_as_new", "input": [2]}])
    old = await history.client.get(
        "/api/v1/namespaces/default/workflows/wf", params={"run_id": first["run_id"]}
    )
    assert old.json()["status"] == "continued_as_new"
    new_run = old.json()["new_run_id"]
    desc = await history.describe("wf")
    assert desc["run_id"] == new_run
    assert desc["status"] == "running"
    assert desc["continued_run_id"] == first["run_id"]
    wt = await history.next_task("workflow", "wf")
    assert wt["run_id"] == new_run
    assert wt["history"][0]["attributes"]["input"] == [2]
    assert wt["history"][0]["attributes"]["initiator"] == "workflow"
    result = await history.client.get(
        "/api/v1/namespaces/default/workflows/wf/result", params={"run_id": first["run_id"]}
    )
    assert result.json()["status"] == "continued_as_new"
    assert result.json()["new_run_id"] == new_run


async def test_cancel_and_terminate_can_name_the_chain_instead_of_a_run(
    history: HistoryDriver,
) -> None:
    first = (await history.start("wf")).json()["run_id"]
    await _run_task(history, [{"type": "continue_as_new"}])
    chain = {"first_execution_run_id": first}
    assert (await history.post("wf/cancel", chain)).status_code == 202  # the continued run
    assert (await history.post("wf/terminate", chain)).status_code == 200
    # a new workflow of the same id is not that chain: nothing happens to it
    second = (await history.start("wf")).json()["run_id"]
    for verb in ("cancel", "terminate"):
        resp = await history.post(f"wf/{verb}", chain)
        assert resp.status_code == 404
        assert resp.json()["code"] == "workflow_not_found"
    desc = await history.describe("wf")
    assert (desc["run_id"], desc["status"]) == (second, "running")


async def test_failed_workflow_is_retried_by_its_retry_policy(history: HistoryDriver) -> None:
    await history.start("wf", retry_policy={"initial_interval": "100ms", "maximum_attempts": 2})
    fail = {"type": "fail_workflow", "failure": {"message": "oops"}}
    await _run_task(history, [fail])
    wt = await history.next_task("workflow", "wf")
    started = wt["history"][0]["attributes"]
    assert started["attempt"] == 2
    assert started["initiator"] == "retry"
    assert started["last_failure"]["message"] == "oops"
    await history.complete_wt(wt, [fail])
    result = await history.client.get("/api/v1/namespaces/default/workflows/wf/result")
    assert result.json()["status"] == "failed"
    assert result.json()["failure"]["message"] == "oops"


async def test_run_timeout(history: HistoryDriver) -> None:
    await history.start("wf", run_timeout="500ms")
    result = await history.client.get(
        "/api/v1/namespaces/default/workflows/wf/result", params={"wait": "10s"}
    )
    assert result.status_code == 200
    assert result.json()["status"] == "timed_out"
    assert (await history.event_types("wf"))[-1] == "workflow_execution_timed_out"


async def test_execution_timeout_spans_retries(history: HistoryDriver) -> None:
    await history.start(
        "wf",
        execution_timeout="1s",
        retry_policy={"initial_interval": "100ms", "backoff_coefficient": 1.0},
    )
    fail = {"type": "fail_workflow", "failure": {"message": "oops"}}
    await _run_task(history, [fail])
    result = await history.client.get(
        "/api/v1/namespaces/default/workflows/wf/result", params={"wait": "10s"}
    )
    assert result.json()["status"] == "timed_out"


async def test_a_cron_workflows_first_run_waits_for_the_schedule(history: HistoryDriver) -> None:
    await history.start("wf", cron_schedule="0 0 1 1 *")  # next New Year, far away
    started = (await history.events("wf"))[0]["attributes"]
    assert started["first_workflow_task_backoff"] is not None
    assert await history.event_types("wf") == ["workflow_execution_started"]
    assert (await history.describe("wf"))["pending_workflow_task"] is None


async def test_cron_workflow_runs_again_on_schedule(history: HistoryDriver) -> None:
    first = (await history.start("wf", cron_schedule="* * * * * *")).json()  # every second
    await _run_task(history, [{"type": "complete_workflow", "result": 1}])
    old = await history.client.get(
        "/api/v1/namespaces/default/workflows/wf", params={"run_id": first["run_id"]}
    )
    assert old.json()["status"] == "continued_as_new"
    next_run = await history.events("wf", old.json()["new_run_id"])
    started = next_run[0]["attributes"]
    assert started["initiator"] == "cron"
    assert started["last_completion_result"] == 1
    assert started["first_workflow_task_backoff"] is not None


@pytest.mark.parametrize(
    "body",
    [
        {"cron_schedule": "not a cron"},
        {"cron_schedule": "61 * * * *"},
        {"cron_schedule": "0 0 31 2 *"},  # February 31st never comes
        {"cron_schedule": "0 * * * *", "start_delay": "5s"},
    ],
)
async def test_bad_cron_schedules_are_refused(history: HistoryDriver, body: dict[str, Any]) -> None:
    response = await history.start("wf", **body)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    described = await history.client.get(f"/api/v1/namespaces/{history.ns}/workflows/wf")
    assert described.status_code == 404
