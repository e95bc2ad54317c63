"""Activity attempts: retries with backoff, non-retryable failures, the four timeouts,
heartbeats and cancellation."""

from typing import Any

import pytest
from history_testkit import HistoryDriver, activity_command

pytestmark = pytest.mark.integration

FAST_RETRY = {"initial_interval": "100ms", "backoff_coefficient": 1.0}


async def _schedule(history: HistoryDriver, **command: Any) -> dict[str, Any]:
    await history.start("wf")
    wt = await history.next_task("workflow", "wf")
    resp = await history.complete_wt(wt, [activity_command(**command)])
    assert resp.status_code == 200, resp.text
    return wt


async def _closing_event(history: HistoryDriver) -> dict[str, Any]:
    """The event that closed the activity (after the workflow task it triggered)."""
    await history.next_task("workflow", "wf")
    closing = {"activity_task_completed", "activity_task_failed", "activity_task_timed_out"}
    return next(e for e in await history.events("wf") if e["event_type"] in closing)


async def test_failed_attempts_are_retried_with_backoff(history: HistoryDriver) -> None:
    await _schedule(history, retry_policy={**FAST_RETRY, "maximum_attempts": 3})
    act = await history.next_task("activity", "wf")
    await history.activity("fail", act, failure={"message": "flaky", "type": "Flaky"})
    desc = await history.describe("wf")
    pending = desc["pending_activities"][0]
    assert pending["attempt"] == 2
    assert pending["state"] == "backing_off"
    assert pending["last_failure"]["message"] == "flaky"
    act2 = await history.next_task("activity", "wf")
    assert act2["attempt"] == 2
    # the failure of attempt 1 wrote no event
    assert "activity_task_failed" not in await history.event_types("wf")
    stale = await history.activity("complete", act, result="late")
    assert stale.json()["code"] == "task_not_found"
    await history.activity("complete", act2, result="ok")
    events = await history.events("wf")
    started = next(e for e in events if e["event_type"] == "activity_task_started")
    assert started["attributes"]["attempt"] == 2
    assert started["attributes"]["last_failure"]["message"] == "flaky"


async def test_maximum_attempts_ends_with_activity_failed(history: HistoryDriver) -> None:
    await _schedule(history, retry_policy={**FAST_RETRY, "maximum_attempts": 2})
    for _ in range(2):
        act = await history.next_task("activity", "wf")
        await history.activity("fail", act, failure={"message": "nope"})
    event = await _closing_event(history)
    assert event["event_type"] == "activity_task_failed"
    assert event["attributes"]["retry_state"] == "maximum_attempts_reached"
    assert event["attributes"]["failure"]["message"] == "nope"


@pytest.mark.parametrize(
    "failure",
    [
        {"message": "bad card", "non_retryable": True},
        {"message": "bad card", "type": "CardDeclined"},
    ],
)
async def test_non_retryable_failures_are_not_retried(
    history: HistoryDriver, failure: dict[str, Any]
) -> None:
    await _schedule(
        history, retry_policy={**FAST_RETRY, "non_retryable_error_types": ["CardDeclined"]}
    )
    act = await history.next_task("activity", "wf")
    await history.activity("fail", act, failure=failure)
    event = await _closing_event(history)
    assert event["event_type"] == "activity_task_failed"
    assert event["attributes"]["retry_state"] == "non_retryable_failure"


async def test_start_to_close_timeout_retries_then_times_out(history: HistoryDriver) -> None:
    await _schedule(
        history, start_to_close_timeout="300ms", retry_policy={**FAST_RETRY, "maximum_attempts": 2}
    )
    act = await history.next_task("activity", "wf")
    act2 = await history.next_task("activity", "wf")
    assert act2["attempt"] == 2
    assert (await history.activity("complete", act, result=1)).status_code == 404
    event = await _closing_event(history)
    assert event["event_type"] == "activity_task_timed_out"
    assert event["attributes"]["timeout_type"] == "start_to_close"
    assert event["attributes"]["failure"]["timeout_type"] == "start_to_close"


async def test_heartbeats_keep_an_activity_alive_and_carry_details(history: HistoryDriver) -> None:
    await _schedule(
        history,
        start_to_close_timeout="30s",
        heartbeat_timeout="400ms",
        retry_policy={**FAST_RETRY, "maximum_attempts": 2},
    )
    act = await history.next_task("activity", "wf")
    for i in range(4):
        resp = await history.activity("heartbeat", act, details={"row": i})
        assert resp.status_code == 200
        assert resp.json() == {"cancel_requested": False}
        desc = await history.describe("wf")
        assert desc["pending_activities"][0]["state"] == "started"
        await _pause(0.2)
    # silence: the heartbeat timeout fires and the next attempt gets the last details
    act2 = await history.next_task("activity", "wf")
    assert act2["attempt"] == 2
    assert act2["heartbeat_details"] == {"row": 3}
    await history.activity("complete", act2, result="ok")


async def _pause(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)  # the activity works: time must pass for heartbeats to matter


async def test_schedule_to_start_timeout(history: HistoryDriver) -> None:
    await _schedule(history, schedule_to_start_timeout="300ms")
    event = await _closing_event(history)
    assert event["event_type"] == "activity_task_timed_out"
    assert event["attributes"]["timeout_type"] == "schedule_to_start"
    assert "started_event_id" not in event["attributes"]


async def test_schedule_to_close_timeout_bounds_all_attempts(history: HistoryDriver) -> None:
    await _schedule(
        history,
        schedule_to_close_timeout="700ms",
        start_to_close_timeout="200ms",
        retry_policy=FAST_RETRY,
    )
    event = await _closing_event(history)
    assert event["event_type"] == "activity_task_timed_out"
    assert event["attributes"]["timeout_type"] in {"schedule_to_close", "start_to_close"}
    assert (await history.describe("wf"))["pending_activities"] == []


async def test_cancel_requests_reach_the_activity_through_heartbeats(
    history: HistoryDriver,
) -> None:
    await history.start("wf")
    wt = await history.next_task("workflow", "wf")
    timer = {"type": "start_timer", "timer_id": "t", "start_to_fire_timeout": "200ms"}
    await history.complete_wt(wt, [activity_command(), timer])
    act = await history.next_task("activity", "wf")
    wt2 = await history.next_task("workflow", "wf")  # the timer fired
    scheduled = next(e for e in wt2["history"] if e["event_type"] == "activity_task_scheduled")
    cancel = {"type": "request_cancel_activity", "scheduled_event_id": scheduled["event_id"]}
    assert (await history.complete_wt(wt2, [cancel])).status_code == 200
    desc = await history.describe("wf")
    assert desc["pending_activities"][0]["state"] == "cancel_requested"
    resp = await history.activity("heartbeat", act)
    assert resp.json() == {"cancel_requested": True}
    assert (await history.activity("cancel", act, details="stopped")).status_code == 200
    wt3 = await history.next_task("workflow", "wf")
    canceled = next(e for e in wt3["history"] if e["event_type"] == "activity_task_canceled")
    assert canceled["attributes"]["details"] == "stopped"


async def test_cancelling_an_activity_that_has_not_started_is_immediate(
    history: HistoryDriver,
) -> None:
    await history.start("wf")
    wt = await history.next_task("workflow", "wf")
    timer = {"type": "start_timer", "timer_id": "t", "start_to_fire_timeout": "100ms"}
    await history.complete_wt(wt, [activity_command(task_queue="nobody-polls"), timer])
    wt2 = await history.next_task("workflow", "wf")
    scheduled = next(e for e in wt2["history"] if e["event_type"] == "activity_task_scheduled")
    cancel = {"type": "request_cancel_activity", "scheduled_event_id": scheduled["event_id"]}
    assert (await history.complete_wt(wt2, [cancel])).status_code == 200
    wt3 = await history.next_task("workflow", "wf")
    assert [e["event_type"] for e in wt3["history"]][-5:] == [
        "workflow_task_completed",
        "activity_task_cancel_requested",
        "activity_task_canceled",
        "workflow_task_scheduled",
        "workflow_task_started",
    ]
    assert (await history.describe("wf"))["pending_activities"] == []
    queued = (await history.dispatched("activity", "wf"))[0]
    assert (await history.record_started(queued)).json()["code"] == "task_not_found"


async def test_an_eager_activity_is_started_and_handed_back_without_the_queue(
    history: HistoryDriver,
) -> None:
    await history.start("wf")
    wt = await history.next_task("workflow", "wf")
    commands = [
        activity_command("eager", request_eager_execution=True),
        activity_command("elsewhere", task_queue="other", request_eager_execution=True),
        activity_command("queued"),
    ]
    resp = await history.complete_wt(wt, commands)
    assert resp.status_code == 200, resp.text
    tasks = resp.json()["activity_tasks"]
    # Only the activity on the workflow's own task queue runs eagerly; the others are queued.
    assert [t["activity_id"] for t in tasks] == ["eager"]
    queued = await history.dispatched("activity", "wf", count=2)
    assert sorted(t["task_queue"] for t in queued) == ["other", "q"]
    task = tasks[0]
    assert (task["kind"], task["attempt"], task["activity_type"]) == ("activity", 1, "act")
    desc = await history.describe("wf")
    eager = next(a for a in desc["pending_activities"] if a["activity_id"] == "eager")
    assert eager["state"] == "started"
    assert (await history.activity("complete", task, result="done")).status_code == 200
    # A repeated completion of the eager task is refused like any other.
    assert (await history.activity("complete", task, result="again")).status_code == 404
    event = await _closing_event(history)
    assert event["event_type"] == "activity_task_completed"
    assert event["attributes"]["result"] == "done"


async def test_a_lost_eager_activity_is_retried_through_the_queue(history: HistoryDriver) -> None:
    await history.start("wf")
    wt = await history.next_task("workflow", "wf")
    command = activity_command(
        start_to_close_timeout="300ms", retry_policy=FAST_RETRY, request_eager_execution=True
    )
    resp = await history.complete_wt(wt, [command])
    assert len(resp.json()["activity_tasks"]) == 1  # ... and the worker never runs it
    retry = await history.next_task("activity", "wf")
    assert retry["attempt"] == 2
    await history.activity("complete", retry, result="second time")
    event = await _closing_event(history)
    assert event["attributes"]["result"] == "second time"


async def test_no_eager_activity_when_the_same_task_closes_the_workflow(
    history: HistoryDriver,
) -> None:
    await history.start("wf")
    wt = await history.next_task("workflow", "wf")
    commands = [
        activity_command(request_eager_execution=True),
        {"type": "complete_workflow", "result": 1},
    ]
    resp = await history.complete_wt(wt, commands)
    assert resp.json() == {"accepted": True, "activity_tasks": []}
    assert (await history.describe("wf"))["status"] == "completed"


async def test_at_most_three_eager_activities_and_only_with_a_start_to_close_limit(
    history: HistoryDriver,
) -> None:
    await history.start("wf")  # no run or execution timeout to fall back on
    wt = await history.next_task("workflow", "wf")
    commands = [activity_command(str(i), request_eager_execution=True) for i in range(4)]
    unbounded = activity_command("unbounded", request_eager_execution=True)
    del unbounded["start_to_close_timeout"]
    unbounded["schedule_to_start_timeout"] = "10s"
    resp = await history.complete_wt(wt, [unbounded, *commands])
    assert [t["activity_id"] for t in resp.json()["activity_tasks"]] == ["0", "1", "2"]
    queued = await history.dispatched("activity", "wf", count=2)
    assert sorted(t["scheduled_event_id"] for t in queued) == sorted(
        a["scheduled_event_id"]
        for a in (await history.describe("wf"))["pending_activities"]
        if a["activity_id"] in {"unbounded", "3"}
    )
