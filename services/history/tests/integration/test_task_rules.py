"""Invariant 2: duplicates and stale completions are refused and change nothing; the rules of
the workflow task (buffering, failures, timeouts)."""

import pytest
from history_testkit import HistoryDriver, activity_command

from odin_common.tokens import TaskToken

pytestmark = pytest.mark.integration


async def test_repeated_completion_is_task_not_found_and_changes_nothing(
    history: HistoryDriver,
) -> None:
    await history.start("wf")
    wt = await history.next_task("workflow", "wf")
    assert (await history.complete_wt(wt, [activity_command()])).status_code == 200
    before = await history.events("wf")
    again = await history.complete_wt(wt, [{"type": "complete_workflow"}])
    assert again.status_code == 404
    assert again.json()["code"] == "task_not_found"
    assert await history.events("wf") == before

    act = await history.next_task("activity", "wf")
    assert (await history.activity("complete", act, result=1)).status_code == 200
    before = await history.events("wf")
    for verb, body in [("complete", {"result": 2}), ("fail", {"failure": {"message": "x"}})]:
        resp = await history.activity(verb, act, **body)
        assert resp.status_code == 404
        assert resp.json()["code"] == "task_not_found"
    assert await history.events("wf") == before


async def test_record_started_is_idempotent_per_request_id(history: HistoryDriver) -> None:
    await history.start("wf")
    dispatched = (await history.dispatched("workflow", "wf"))[0]
    first = await history.record_started(dispatched, request_id="a")
    again = await history.record_started(dispatched, request_id="a")
    other = await history.record_started(dispatched, request_id="b")
    assert first.status_code == 200
    assert again.status_code == 200
    assert again.json()["task_token"] == first.json()["task_token"]
    assert other.status_code == 404
    assert other.json()["code"] == "task_not_found"
    assert (await history.event_types("wf")).count("workflow_task_started") == 1


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        TaskToken(
            kind="workflow",
            namespace="other",
            workflow_id="wf",
            run_id="r",
            scheduled_event_id=2,
            attempt=1,
        ).encode(),
        TaskToken(
            kind="activity",
            namespace="default",
            workflow_id="wf",
            run_id="r",
            scheduled_event_id=2,
            attempt=1,
        ).encode(),
    ],
)
async def test_bogus_tokens_are_refused(history: HistoryDriver, token: str) -> None:
    await history.start("wf")
    resp = await history.client.post(
        "/api/v1/namespaces/default/workflow-tasks/complete",
        json={"task_token": token, "commands": []},
    )
    assert resp.status_code == 400
    assert resp.json()["code"] == "task_token_invalid"


async def test_token_for_an_unknown_run_is_not_found(history: HistoryDriver) -> None:
    await history.start("wf")
    token = TaskToken(
        kind="workflow",
        namespace="default",
        workflow_id="wf",
        run_id="nope",
        scheduled_event_id=2,
        attempt=1,
    ).encode()
    resp = await history.client.post(
        "/api/v1/namespaces/default/workflow-tasks/complete",
        json={"task_token": token, "commands": []},
    )
    assert resp.status_code == 404
    assert resp.json()["code"] == "workflow_not_found"


async def test_events_during_a_running_task_are_buffered(history: HistoryDriver) -> None:
    await history.start("wf")
    wt = await history.next_task("workflow", "wf")
    await history.complete_wt(wt, [activity_command("a"), activity_command("b")])
    act_a = await history.next_task("activity", "wf")
    act_b = await history.next_task("activity", "wf")
    await history.activity("complete", act_a, result="A")
    wt2 = await history.next_task("workflow", "wf")
    # b completes while the workflow task runs: not visible in its history...
    await history.activity("complete", act_b, result="B")
    assert "activity_task_completed" not in (await history.event_types("wf"))[-2:]
    # ...and the workflow may not close before it has seen it.
    resp = await history.complete_wt(wt2, [{"type": "complete_workflow", "result": "done"}])
    assert resp.status_code == 200
    types = await history.event_types("wf")
    assert types[-5:] == [
        "workflow_task_started",
        "workflow_task_failed",
        "activity_task_started",
        "activity_task_completed",
        "workflow_task_scheduled",
    ]
    failed = [e for e in await history.events("wf") if e["event_type"] == "workflow_task_failed"]
    assert failed[0]["attributes"]["cause"] == "unhandled_command"
    wt3 = await history.next_task("workflow", "wf")
    assert wt3["attempt"] == 1
    completed = [e for e in wt3["history"] if e["event_type"] == "activity_task_completed"]
    assert [e["attributes"]["result"] for e in completed] == ["A", "B"]
    started = {
        e["event_id"]: e for e in wt3["history"] if e["event_type"] == "activity_task_started"
    }
    for e in completed:
        assert e["attributes"]["started_event_id"] in started
    assert (await history.complete_wt(wt3, [{"type": "complete_workflow"}])).status_code == 200
    assert (await history.describe("wf"))["status"] == "completed"


async def test_failed_workflow_task_is_recorded_once_and_retried(history: HistoryDriver) -> None:
    await history.start("wf")
    wt = await history.next_task("workflow", "wf")
    assert (await history.fail_wt(wt, cause="nondeterminism")).status_code == 200
    types_after_first = await history.event_types("wf")
    assert types_after_first[-1] == "workflow_task_failed"
    desc = await history.describe("wf")
    pending = desc["pending_workflow_task"]
    assert pending["attempt"] == 2
    assert pending["last_failure_cause"] == "nondeterminism"
    assert pending["last_failure"]["message"] == "boom"

    wt2 = await history.next_task("workflow", "wf")
    assert wt2["attempt"] == 2
    # The retried task shows its own scheduled/started events, which are not written yet.
    assert [e["event_type"] for e in wt2["history"]][-2:] == [
        "workflow_task_scheduled",
        "workflow_task_started",
    ]
    assert (await history.fail_wt(wt2)).status_code == 200
    assert await history.event_types("wf") == types_after_first
    wt3 = await history.next_task("workflow", "wf")
    assert wt3["attempt"] == 3
    assert (await history.complete_wt(wt3, [{"type": "complete_workflow"}])).status_code == 200
    types = await history.event_types("wf")
    assert types[len(types_after_first) :] == [
        "workflow_task_scheduled",
        "workflow_task_started",
        "workflow_task_completed",
        "workflow_execution_completed",
    ]
    ids = [e["event_id"] for e in await history.events("wf")]
    assert ids == list(range(1, len(ids) + 1))


async def test_workflow_task_timeout_schedules_a_new_attempt(history: HistoryDriver) -> None:
    await history.start("wf", task_timeout="1s")
    wt = await history.next_task("workflow", "wf")
    wt2 = await history.next_task("workflow", "wf")
    assert wt2["attempt"] == 2
    assert "workflow_task_timed_out" in await history.event_types("wf")
    late = await history.complete_wt(wt, [{"type": "complete_workflow"}])
    assert late.status_code == 404
    assert (await history.complete_wt(wt2, [{"type": "complete_workflow"}])).status_code == 200


async def test_bad_commands_are_refused_and_change_nothing(history: HistoryDriver) -> None:
    await history.start("wf")
    wt = await history.next_task("workflow", "wf")
    before = await history.events("wf")
    for commands in (
        [{"type": "schedule_activity", "activity_id": "1", "activity_type": "a"}],
        [{"type": "complete_workflow"}, activity_command()],
        [activity_command("x"), activity_command("x")],
        [{"type": "cancel_timer", "timer_id": "nope"}],
        [{"type": "bogus"}],
        [{"type": "start_timer", "timer_id": "t", "start_to_fire_timeout": "soon"}],
    ):
        resp = await history.complete_wt(wt, commands)
        assert resp.status_code == 400, commands
        assert resp.json()["code"] == "invalid_argument"
    assert await history.events("wf") == before
    assert (await history.complete_wt(wt, [{"type": "complete_workflow"}])).status_code == 200


async def test_terminate(history: HistoryDriver) -> None:
    await history.start("wf")
    resp = await history.client.post(
        "/api/v1/namespaces/default/workflows/wf/terminate", json={"reason": "stop"}
    )
    assert resp.status_code == 200
    desc = await history.describe("wf")
    assert desc["status"] == "terminated"
    assert (await history.event_types("wf"))[-1] == "workflow_execution_terminated"
    again = await history.client.post("/api/v1/namespaces/default/workflows/wf/terminate", json={})
    assert again.status_code == 409
    assert again.json()["code"] == "workflow_not_running"
    result = await history.client.get("/api/v1/namespaces/default/workflows/wf/result")
    assert result.json()["status"] == "terminated"
    assert result.json()["failure"]["message"] == "stop"
