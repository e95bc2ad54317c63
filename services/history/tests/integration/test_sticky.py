"""Sticky execution: a worker that caches a run gets its next task on its own queue, with only
the new events; if it does not take it in time, the task falls back to the normal queue."""

import pytest
from history_testkit import HistoryDriver

pytestmark = pytest.mark.integration

TIMER = {"type": "start_timer", "timer_id": "t", "start_to_fire_timeout": "100ms"}


async def test_the_next_task_goes_to_the_sticky_queue_with_new_events_only(
    history: HistoryDriver,
) -> None:
    await history.start("wf")
    first = await history.run_task(
        "wf", [TIMER], sticky_task_queue="w1-sticky", sticky_schedule_to_start_timeout="10s"
    )
    task = await history.next_task("workflow", "wf")
    assert task["task_queue"] == "w1-sticky"
    events = task["history"]
    assert events[0]["event_id"] == first["started_event_id"] + 1
    assert [e["event_type"] for e in events] == [
        "workflow_task_completed",
        "timer_started",
        "timer_fired",
        "workflow_task_scheduled",
        "workflow_task_started",
    ]


async def test_a_sticky_task_not_taken_in_time_goes_to_the_normal_queue(
    history: HistoryDriver,
) -> None:
    await history.start("wf")
    await history.run_task(
        "wf", [TIMER], sticky_task_queue="gone", sticky_schedule_to_start_timeout="300ms"
    )
    # nobody polls "gone": after the timeout the task is dispatched again on the normal queue
    task = await history.next_task("workflow", "wf", task_queue="q")
    assert task["task_queue"] == "q"
    assert task["history"][0]["event_id"] == 1
    assert "sticky_task_queue" not in (await history.describe("wf"))


async def test_a_worker_that_lost_the_run_asks_for_the_full_history(history: HistoryDriver) -> None:
    await history.start("wf")
    await history.run_task(
        "wf", [TIMER], sticky_task_queue="w1", sticky_schedule_to_start_timeout="10s"
    )
    task = await history.next_task("workflow", "wf")
    assert task["history"][0]["event_id"] > 1
    resp = await history.fail_wt(task, cause="reset_sticky_task_queue")
    assert resp.status_code == 200
    task = await history.next_task("workflow", "wf")
    assert task["task_queue"] == "q"
    assert task["attempt"] == 1
    assert task["history"][0]["event_id"] == 1


async def test_a_sticky_task_taken_from_the_normal_queue_gets_the_full_history(
    history: HistoryDriver,
) -> None:
    await history.start("wf")
    await history.run_task(
        "wf", [TIMER], sticky_task_queue="w1", sticky_schedule_to_start_timeout="1h"
    )
    sticky = (await history.dispatched("workflow", "wf", count=2))[-1]
    assert sticky["task_queue"] == "w1"
    # the reconciler puts it on the normal queue (the sticky worker is gone)
    resp = await history.record_started({**sticky, "task_queue": "q"}, request_id="from-normal")
    assert resp.status_code == 200, resp.text
    task = resp.json()
    assert task["task_queue"] == "q"
    assert task["history"][0]["event_id"] == 1
    late = await history.record_started(sticky, request_id="sticky-worker")
    assert late.json()["code"] == "task_not_found"
