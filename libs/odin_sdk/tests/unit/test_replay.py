"""The deterministic runtime against hand-written histories (no server)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import timedelta
from typing import Any

import pytest
from pydantic import BaseModel
from sdk_fakes import History, replay_commands

from odin import activity, workflow
from odin.exceptions import ActivityError, ApplicationError, NondeterminismError
from odin.testing import Replayer


class Order(BaseModel):
    id: int
    amount: float


@activity.defn
async def charge(order: Order) -> str:
    return f"charged {order.id}"


@activity.defn(name="ship")
async def ship_it(order_id: int) -> str:
    return "shipped"


@workflow.defn
class OrderWorkflow:
    @workflow.run
    async def run(self, order: Order) -> str:
        receipt = await workflow.execute_activity(
            charge, order, start_to_close_timeout=timedelta(seconds=10)
        )
        await workflow.sleep(5)
        shipped = await workflow.execute_activity(
            ship_it, order.id, start_to_close_timeout=timedelta(seconds=10)
        )
        return f"{receipt}, {shipped}"


@workflow.defn(name="OrderWorkflow")
class ChangedOrderWorkflow:
    @workflow.run
    async def run(self, order: Order) -> str:
        return await workflow.execute_activity(
            ship_it, order.id, start_to_close_timeout=timedelta(seconds=10)
        )


def replay(h: History, *workflows: type) -> list[dict[str, Any]]:
    return replay_commands(h, *(workflows or (OrderWorkflow,)))


def order_history_through(step: int) -> History:
    h = History("OrderWorkflow", {"id": 7, "amount": 9.5})
    started = h.task()
    if step == 0:
        return h
    done = h.completed(started)
    sched = h.add(
        "activity_task_scheduled",
        activity_id="1",
        activity_type="charge",
        input=[{"id": 7, "amount": 9.5}],
        workflow_task_completed_event_id=done,
    )
    act_started = h.add("activity_task_started", scheduled_event_id=sched, attempt=1)
    h.add(
        "activity_task_completed",
        scheduled_event_id=sched,
        started_event_id=act_started,
        result="charged 7",
    )
    started = h.task()
    if step == 1:
        return h
    done = h.completed(started)
    timer = h.add(
        "timer_started",
        timer_id="1",
        start_to_fire_timeout="5000ms",
        workflow_task_completed_event_id=done,
    )
    h.add("timer_fired", timer_id="1", started_event_id=timer)
    started = h.task()
    if step == 2:
        return h
    done = h.completed(started)
    sched = h.add("activity_task_scheduled", activity_id="2", activity_type="ship", input=[7])
    act_started = h.add("activity_task_started", scheduled_event_id=sched, attempt=1)
    h.add(
        "activity_task_completed",
        scheduled_event_id=sched,
        started_event_id=act_started,
        result="shipped",
    )
    started = h.task()
    if step == 3:
        return h
    done = h.completed(started)
    h.add(
        "workflow_execution_completed",
        result="charged 7, shipped",
        workflow_task_completed_event_id=done,
    )
    return h


def test_first_task_schedules_the_first_activity() -> None:
    (cmd,) = replay(order_history_through(0))
    assert cmd["type"] == "schedule_activity"
    assert cmd["activity_id"] == "1"
    assert cmd["activity_type"] == "charge"
    assert cmd["input"] == [{"id": 7, "amount": 9.5}]
    assert cmd["start_to_close_timeout"] == "10s"


def test_each_task_continues_where_the_history_ends() -> None:
    assert replay(order_history_through(1)) == [
        {"type": "start_timer", "timer_id": "1", "start_to_fire_timeout": "5000ms"}
    ]
    (cmd,) = replay(order_history_through(2))
    assert (cmd["type"], cmd["activity_type"], cmd["input"]) == ("schedule_activity", "ship", [7])
    assert replay(order_history_through(3)) == [
        {"type": "complete_workflow", "result": "charged 7, shipped"}
    ]


def test_a_complete_history_replays_cleanly() -> None:
    assert replay(order_history_through(4)) == []


def test_changed_code_is_a_nondeterminism_error() -> None:
    with pytest.raises(NondeterminismError, match="activity_task_scheduled"):
        replay(order_history_through(4), ChangedOrderWorkflow)


def test_missing_command_is_a_nondeterminism_error() -> None:
    @workflow.defn(name="OrderWorkflow")
    class Shortened:
        @workflow.run
        async def run(self, order: Order) -> str:
            return "nothing"

    with pytest.raises(NondeterminismError):
        replay(order_history_through(4), Shortened)


@workflow.defn
class Failing:
    @workflow.run
    async def run(self) -> None:
        try:
            await workflow.execute_activity("flaky", start_to_close_timeout=timedelta(seconds=1))
        except ActivityError as err:
            if not isinstance(err.cause, ApplicationError):
                raise
            raise ApplicationError("gave up", type="GaveUp", non_retryable=True) from err


def test_activity_failures_surface_as_activity_error() -> None:
    h = History("Failing")
    done = h.completed(h.task())
    sched = h.add("activity_task_scheduled", activity_id="1", activity_type="flaky")
    act = h.add("activity_task_started", scheduled_event_id=sched)
    h.add(
        "activity_task_failed",
        scheduled_event_id=sched,
        started_event_id=act,
        failure={"message": "nope", "type": "Flaky"},
        retry_state="maximum_attempts_reached",
    )
    h.task()
    (cmd,) = replay(h, Failing)
    assert cmd["type"] == "fail_workflow"
    failure = cmd["failure"]
    assert (failure["message"], failure["type"], failure["non_retryable"]) == (
        "gave up",
        "GaveUp",
        True,
    )
    assert failure["cause"]["type"] == "ActivityError"
    assert failure["cause"]["cause"]["message"] == "nope"
    del done


@workflow.defn
class Deterministic:
    @workflow.run
    async def run(self) -> list[Any]:
        value = workflow.side_effect(lambda: 41)
        version = workflow.get_version("change", workflow.DEFAULT_VERSION, 2)
        patched = workflow.patched("fix")
        return [
            value + 1,
            version,
            patched,
            str(workflow.uuid4()),
            workflow.random().randint(0, 10**9),
            workflow.now().isoformat(),
        ]


def test_side_effects_versions_and_randomness_replay_identically() -> None:
    h = History("Deterministic")
    h.task()
    first = replay(h, Deterministic)
    assert [c["type"] for c in first] == ["record_marker"] * 3 + ["complete_workflow"]
    result = first[-1]["result"]
    assert result[:3] == [42, 2, True]
    # Record the markers with *other* values: replay must return what history says.
    done = h.completed(h.events[-1]["event_id"])
    h.add("marker_recorded", marker_name="side_effect", details={"id": "1", "value": 99})
    h.add("marker_recorded", marker_name="version", details={"id": "change", "version": 1})
    h.add("marker_recorded", marker_name="patch", details={"id": "fix"})
    h.add("workflow_execution_completed", result=result, workflow_task_completed_event_id=done)
    instance_result = Replayer(workflows=[Deterministic]).replay_workflow(h.json())
    assert instance_result.commands == []
    # the same history as JSON text (what GET .../history answers) replays the same way
    as_text = Replayer(workflows=[Deterministic]).replay_workflow(json.dumps(h.json()))
    assert as_text.commands == []


def test_old_histories_take_the_old_branch() -> None:
    @workflow.defn(name="Versioned")
    class Versioned:
        @workflow.run
        async def run(self) -> str:
            await workflow.sleep(1)
            if (
                workflow.get_version("new-step", workflow.DEFAULT_VERSION, 1)
                == workflow.DEFAULT_VERSION
            ):
                return "old"
            return "new"

    h = History("Versioned")
    done = h.completed(h.task())
    timer = h.add(
        "timer_started",
        timer_id="1",
        start_to_fire_timeout="1000ms",
        workflow_task_completed_event_id=done,
    )
    h.add("timer_fired", timer_id="1", started_event_id=timer)
    done = h.completed(h.task())
    h.add("workflow_execution_completed", result="old", workflow_task_completed_event_id=done)
    Replayer(workflows=[Versioned]).replay_workflow(h.json())  # no marker: the old branch
    fresh = History("Versioned")
    done = fresh.completed(fresh.task())
    timer = fresh.add("timer_started", timer_id="1", start_to_fire_timeout="1000ms")
    fresh.add("timer_fired", timer_id="1", started_event_id=timer)
    fresh.task()
    commands = replay(fresh, Versioned)
    assert commands[0]["type"] == "record_marker"
    assert commands[-1] == {"type": "complete_workflow", "result": "new"}


@workflow.defn
class Racing:
    @workflow.run
    async def run(self) -> str:
        try:
            await asyncio.wait_for(
                workflow.execute_activity("slow", start_to_close_timeout=timedelta(minutes=5)),
                timeout=60,
            )
        except TimeoutError:
            return "timed out"
        return "done"


def test_wait_for_makes_a_durable_timer_and_cancels_the_loser() -> None:
    h = History("Racing")
    started = h.task()
    commands = replay(h, Racing)
    # wait_for arms its timer before the activity's task first runs
    assert [c["type"] for c in commands] == ["start_timer", "schedule_activity"]
    done = h.completed(started)
    timer = h.add("timer_started", timer_id="1", start_to_fire_timeout="60000ms")
    sched = h.add("activity_task_scheduled", activity_id="1", activity_type="slow")
    h.add("timer_fired", timer_id="1", started_event_id=timer)
    h.task()
    commands = replay(h, Racing)
    assert commands == [
        {"type": "request_cancel_activity", "scheduled_event_id": sched},
        {"type": "complete_workflow", "result": "timed out"},
    ]
    del done


def test_workflow_bugs_fail_the_task_not_the_workflow() -> None:
    @workflow.defn(name="Buggy")
    class Buggy:
        @workflow.run
        async def run(self) -> None:
            raise KeyError("oops")

    from odin._runtime.instance import WorkflowTaskError

    h = History("Buggy")
    h.task()
    with pytest.raises(WorkflowTaskError) as err:
        replay(h, Buggy)
    assert err.value.cause_code == "workflow_error"


def test_continue_as_new_is_the_last_command() -> None:
    @workflow.defn(name="Looping")
    class Looping:
        @workflow.run
        async def run(self, n: int) -> None:
            workflow.continue_as_new(n + 1)

    h = History("Looping", 1)
    h.task()
    assert replay(h, Looping) == [{"type": "continue_as_new", "input": [2]}]


def test_the_workflow_logger_is_silent_during_replay(caplog: pytest.LogCaptureFixture) -> None:
    @workflow.defn(name="Chatty")
    class Chatty:
        @workflow.run
        async def run(self) -> None:
            workflow.logger.warning("before the timer")
            await workflow.sleep(1)
            workflow.logger.warning("after the timer")

    h = History("Chatty")
    done = h.completed(h.task())
    timer = h.add(
        "timer_started",
        timer_id="1",
        start_to_fire_timeout="1000ms",
        workflow_task_completed_event_id=done,
    )
    h.add("timer_fired", timer_id="1", started_event_id=timer)
    h.task()
    with caplog.at_level("WARNING", logger="odin.workflow"):
        replay(h, Chatty)
    messages = [r.getMessage() for r in caplog.records]
    assert any("after the timer" in m for m in messages)
    assert not any("before the timer" in m for m in messages)  # that task was replayed


def test_signals_are_handled_before_the_workflow_starts_and_in_order() -> None:
    @workflow.defn(name="Collector")
    class Collector:
        def __init__(self) -> None:
            self.seen: list[str] = []

        @workflow.signal
        def add(self, item: str) -> None:
            self.seen.append(item)

        @workflow.run
        async def run(self) -> list[str]:
            return list(self.seen)

    h = History("Collector")
    h.add("workflow_execution_signaled", signal_name="add", args=["a"])
    h.add("workflow_execution_signaled", signal_name="add", args=["b"])
    h.task()
    assert replay(h, Collector) == [{"type": "complete_workflow", "result": ["a", "b"]}]


@workflow.defn
class CancelThenRecord:
    """Cancels an activity that never started, then records a side effect and a version in
    the same workflow task: history has ``activity_task_canceled`` among that task's command
    events, before the markers."""

    @workflow.run
    async def run(self) -> list[Any]:
        handle = workflow.start_activity("slow", start_to_close_timeout=timedelta(minutes=1))
        await workflow.sleep(1)
        handle.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await handle
        version = workflow.get_version("after-cancel", workflow.DEFAULT_VERSION, 2)
        value = workflow.side_effect(lambda: 1)
        await workflow.sleep(1)
        return [version, value]


def cancel_then_record_history() -> History:
    h = History("CancelThenRecord")
    done = h.completed(h.task())
    # the activity's task first runs after the run method reached the timer
    timer = h.add("timer_started", timer_id="1", start_to_fire_timeout="1000ms")
    sched = h.add(
        "activity_task_scheduled",
        activity_id="1",
        activity_type="slow",
        workflow_task_completed_event_id=done,
    )
    h.add("timer_fired", timer_id="1", started_event_id=timer)
    done = h.completed(h.task())
    requested = h.add(
        "activity_task_cancel_requested",
        scheduled_event_id=sched,
        workflow_task_completed_event_id=done,
    )
    # written by the server at once: the activity had not started
    h.add(
        "activity_task_canceled",
        scheduled_event_id=sched,
        started_event_id=None,
        latest_cancel_requested_event_id=requested,
    )
    h.add("marker_recorded", marker_name="version", details={"id": "after-cancel", "version": 1})
    h.add("marker_recorded", marker_name="side_effect", details={"id": "1", "value": 99})
    timer = h.add("timer_started", timer_id="2", start_to_fire_timeout="1000ms")
    h.add("timer_fired", timer_id="2", started_event_id=timer)
    h.task()
    return h


def test_markers_after_other_events_of_a_task_are_replayed() -> None:
    # Recorded values win over what the code computes now (version 2, side effect 1).
    assert replay(cancel_then_record_history(), CancelThenRecord) == [
        {"type": "complete_workflow", "result": [1, 99]}
    ]


def test_a_version_marker_after_a_cancelled_activity_replays_without_divergence() -> None:
    h = cancel_then_record_history()
    done = h.completed(h.events[-1]["event_id"])
    h.add("workflow_execution_completed", result=[1, 99], workflow_task_completed_event_id=done)
    assert replay(h, CancelThenRecord) == []
