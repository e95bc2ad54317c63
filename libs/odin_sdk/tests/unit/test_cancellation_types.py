"""What cancelling an activity's or a child workflow's handle does, by cancellation type
(replayed from histories written the way the server writes them)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sdk_fakes import History, replay_commands

from odin import workflow
from odin.exceptions import ActivityError, ChildWorkflowError

CANCEL_CHILD = {
    "type": "request_cancel_external_workflow",
    "workflow_id": "child",
    "run_id": "child-run",
    "child_workflow_only": True,
}


@workflow.defn
class CancelsChild:
    @workflow.run
    async def run(self, kind: str) -> str:
        handle = await workflow.start_child_workflow("Child", id="child", cancellation_type=kind)
        await workflow.sleep(1)
        handle.cancel()
        try:
            await handle
        except ChildWorkflowError as err:
            return f"child error caused by {type(err.cause).__name__}"
        except asyncio.CancelledError:
            return "cancelled"
        return "child finished"


def child_started(h: History) -> int:
    """The first workflow task starts the child, which is running by the second one."""
    done = h.completed(h.task())
    initiated = h.add(
        "start_child_workflow_execution_initiated",
        workflow_id="child",
        workflow_type="Child",
        workflow_task_completed_event_id=done,
    )
    h.add("child_workflow_execution_started", initiated_event_id=initiated, run_id="child-run")
    h.completed(h.task())
    return initiated


def child_history(kind: str) -> History:
    """Up to the workflow task in which the parent cancels its running child."""
    h = History("CancelsChild", kind)
    child_started(h)
    timer = h.add("timer_started", timer_id="1", start_to_fire_timeout="1s")
    h.add("timer_fired", timer_id="1", started_event_id=timer)
    h.task()
    return h


def child_cancel_initiated(h: History) -> int:
    """The workflow task in which the parent asked its child to cancel completes."""
    done = h.completed(h.events[-1]["event_id"])
    return h.add(
        "request_cancel_external_workflow_execution_initiated",
        workflow_id="child",
        run_id="child-run",
        child_workflow_only=True,
        workflow_task_completed_event_id=done,
    )


def child_cancel_requested(h: History) -> None:
    requested = child_cancel_initiated(h)
    h.add("external_workflow_execution_cancel_requested", initiated_event_id=requested)


def test_by_default_the_parent_waits_for_the_child_to_be_cancelled() -> None:
    h = child_history("wait_cancellation_completed")
    assert replay_commands(h, CancelsChild) == [CANCEL_CHILD]  # and goes on waiting
    child_cancel_requested(h)
    h.add("child_workflow_execution_canceled", initiated_event_id=5, started_event_id=6)
    h.task()
    assert replay_commands(h, CancelsChild) == [
        {"type": "complete_workflow", "result": "child error caused by CancelledError"}
    ]


def test_a_child_that_finishes_anyway_gives_its_result() -> None:
    h = child_history("wait_cancellation_completed")
    child_cancel_requested(h)
    h.add("child_workflow_execution_completed", initiated_event_id=5, result="done")
    h.task()
    assert replay_commands(h, CancelsChild) == [
        {"type": "complete_workflow", "result": "child finished"}
    ]


def test_wait_cancellation_requested_raises_once_the_request_arrived() -> None:
    h = child_history("wait_cancellation_requested")
    assert replay_commands(h, CancelsChild) == [CANCEL_CHILD]
    child_cancel_requested(h)
    h.task()
    assert replay_commands(h, CancelsChild) == [
        {"type": "complete_workflow", "result": "cancelled"}
    ]


def test_wait_cancellation_requested_gives_the_outcome_of_a_child_that_closed_first() -> None:
    h = child_history("wait_cancellation_requested")
    requested = child_cancel_initiated(h)
    h.add("child_workflow_execution_completed", initiated_event_id=5, result="done")
    h.add(
        "request_cancel_external_workflow_execution_failed",
        initiated_event_id=requested,
        cause="external_workflow_execution_not_found",
    )
    h.task()
    assert replay_commands(h, CancelsChild) == [
        {"type": "complete_workflow", "result": "child finished"}
    ]


@pytest.mark.parametrize(("kind", "asks"), [("try_cancel", [CANCEL_CHILD]), ("abandon", [])])
def test_try_cancel_and_abandon_raise_at_once(kind: str, asks: list[dict[str, object]]) -> None:
    assert replay_commands(child_history(kind), CancelsChild) == [
        *asks,
        {"type": "complete_workflow", "result": "cancelled"},
    ]


@workflow.defn
class LetsItsCancellationEscape:
    @workflow.run
    async def run(self, kind: str) -> None:
        handle = await workflow.start_child_workflow("Child", id="child", cancellation_type=kind)
        await workflow.sleep(1)
        handle.cancel()
        await handle


def test_a_cancellation_nobody_asked_for_fails_the_workflow() -> None:
    """Only a cancel request ends the workflow as canceled (as in temporalio)."""
    h = child_history("try_cancel")
    h.events[0]["attributes"]["workflow_type"] = "LetsItsCancellationEscape"
    commands = replay_commands(h, LetsItsCancellationEscape)
    assert commands[0] == CANCEL_CHILD
    assert commands[1]["type"] == "fail_workflow"
    assert commands[1]["failure"]["type"] == "CancelledError"


@workflow.defn
class WaitsForChild:
    @workflow.run
    async def run(self) -> None:
        await workflow.execute_child_workflow("Child", id="child")


def test_a_cancelled_workflow_waits_for_its_child_and_ends_cancelled() -> None:
    h = History("WaitsForChild")
    initiated = child_started(h)
    h.add("workflow_execution_cancel_requested")
    h.task()
    assert replay_commands(h, WaitsForChild) == [CANCEL_CHILD]
    child_cancel_requested(h)
    h.add("child_workflow_execution_canceled", initiated_event_id=initiated)
    h.task()
    # The ChildWorkflowError it raised means "cancelled": the workflow is, it did not fail.
    assert replay_commands(h, WaitsForChild) == [{"type": "cancel_workflow"}]


@workflow.defn
class CancelsActivity:
    @workflow.run
    async def run(self, kind: str) -> str:
        handle = workflow.start_activity(
            "slow", start_to_close_timeout=timedelta(minutes=1), cancellation_type=kind
        )
        await workflow.sleep(1)
        handle.cancel()
        try:
            await handle
        except ActivityError as err:
            return f"activity error caused by {type(err.cause).__name__}"
        except asyncio.CancelledError:
            return "cancelled"
        return "activity finished"


def activity_history(kind: str) -> tuple[History, int]:
    h = History("CancelsActivity", kind)
    done = h.completed(h.task())
    timer = h.add("timer_started", timer_id="1", start_to_fire_timeout="1s")
    scheduled = h.add(
        "activity_task_scheduled",
        activity_id="1",
        activity_type="slow",
        workflow_task_completed_event_id=done,
    )
    h.add("timer_fired", timer_id="1", started_event_id=timer)
    h.task()
    return h, scheduled


def test_an_activity_can_wait_for_its_cancellation_to_complete() -> None:
    h, scheduled = activity_history("wait_cancellation_completed")
    cancel = {"type": "request_cancel_activity", "scheduled_event_id": scheduled}
    assert replay_commands(h, CancelsActivity) == [cancel]  # and goes on waiting
    done = h.completed(h.events[-1]["event_id"])
    h.add(
        "activity_task_cancel_requested",
        scheduled_event_id=scheduled,
        workflow_task_completed_event_id=done,
    )
    h.add("activity_task_canceled", scheduled_event_id=scheduled)
    h.task()
    assert replay_commands(h, CancelsActivity) == [
        {"type": "complete_workflow", "result": "activity error caused by CancelledError"}
    ]


@pytest.mark.parametrize(("kind", "asks_the_server"), [("try_cancel", True), ("abandon", False)])
def test_try_cancel_and_abandon_activities_raise_at_once(kind: str, asks_the_server: bool) -> None:
    h, scheduled = activity_history(kind)
    cancel = {"type": "request_cancel_activity", "scheduled_event_id": scheduled}
    assert replay_commands(h, CancelsActivity) == [
        *([cancel] if asks_the_server else []),
        {"type": "complete_workflow", "result": "cancelled"},
    ]


def test_an_unknown_cancellation_type_is_refused() -> None:
    with pytest.raises(ValueError, match="wait_forever"):
        workflow.ChildWorkflowCancellationType("wait_forever")
