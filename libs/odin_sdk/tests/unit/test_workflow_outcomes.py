"""Every way workflow code can end produces an answer: a closing command or a failed workflow
task, never nothing (a run that answers nothing waits forever). Options the server would
refuse are refused where the workflow code passes them."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

import pytest
from pydantic import BaseModel

from odin import workflow
from odin._runtime.definitions import WorkflowDefinition
from odin._runtime.instance import WorkflowInfo, WorkflowTaskError, new_instance
from odin.common import RetryPolicy, duration
from odin.exceptions import ApplicationError
from odin.testing import Replayer


class Order(BaseModel):
    id: int


def first_task(
    workflow_type: str, *inputs: Any, before_task: tuple[str, ...] = ()
) -> dict[str, Any]:
    """A history whose first workflow task is running: the start, then ``before_task``
    (input events such as a cancellation request), then the task."""
    events: list[dict[str, Any]] = []

    def add(event_type: str, **attrs: Any) -> None:
        events.append(
            {
                "event_id": len(events) + 1,
                "event_type": event_type,
                "event_time": "2026-01-01T00:00:00.000000Z",
                "attributes": attrs,
            }
        )

    add("workflow_execution_started", workflow_type=workflow_type, input=list(inputs), attempt=1)
    for event_type in before_task:
        add(event_type)
    add("workflow_task_scheduled")
    add("workflow_task_started")
    return {"workflow_id": "wf", "events": events}


def commands(history: dict[str, Any], *workflows: type) -> list[dict[str, Any]]:
    return Replayer(workflows=list(workflows)).replay_workflow(history).commands


def task_error(history: dict[str, Any], *workflows: type) -> WorkflowTaskError:
    with pytest.raises(WorkflowTaskError) as caught:
        commands(history, *workflows)
    return caught.value


# ---- cancellation before the run method ran ----------------------------------------------


@workflow.defn
class Napping:
    @workflow.run
    async def run(self) -> None:
        await workflow.sleep(60)


@workflow.defn
class CleaningUp:
    @workflow.run
    async def run(self) -> None:
        try:
            await workflow.sleep(60)
        except asyncio.CancelledError:
            await workflow.execute_activity(
                "clean_up", start_to_close_timeout=timedelta(seconds=10)
            )
            raise


def test_a_run_cancelled_before_its_first_task_is_cancelled() -> None:
    history = first_task("Napping", before_task=("workflow_execution_cancel_requested",))
    assert commands(history, Napping) == [{"type": "cancel_workflow"}]


def test_a_run_cancelled_before_its_first_task_sees_the_cancellation() -> None:
    history = first_task("CleaningUp", before_task=("workflow_execution_cancel_requested",))
    (cmd,) = commands(history, CleaningUp)
    assert (cmd["type"], cmd["activity_type"]) == ("schedule_activity", "clean_up")


def test_a_run_method_cancelled_before_it_ever_ran_still_cancels_the_run() -> None:
    # The safety net under the deferred cancellation: a run method task cancelled before its
    # first step never enters the coroutine, so only its done callback can answer.
    history = first_task("Napping", before_task=("workflow_execution_cancel_requested",))
    instance = new_instance(
        WorkflowDefinition.of(Napping),
        WorkflowInfo(
            namespace="test",
            workflow_id="wf",
            run_id="run",
            workflow_type="Napping",
            task_queue="q",
        ),
    )
    instance._main_started = True  # as if it had run: the cancellation is not deferred
    assert instance.activate(history["events"]).commands == [{"type": "cancel_workflow"}]


class Escape(BaseException):
    """Not an ``Exception``: nothing in workflow code is expected to catch it."""


@workflow.defn
class Escaping:
    @workflow.run
    async def run(self) -> None:
        raise Escape("out of band")


def test_a_run_method_that_ends_outside_the_normal_paths_fails_the_task() -> None:
    error = task_error(first_task("Escaping"), Escaping)
    assert error.cause_code == "workflow_error"
    assert "ended without closing the workflow" in str(error)
    assert "Escape: out of band" in str(error)


# ---- input and result conversion ---------------------------------------------------------


@workflow.defn
class Ordering:
    @workflow.run
    async def run(self, order: Order) -> int:
        return order.id


@workflow.defn
class Unserialisable:
    @workflow.run
    async def run(self) -> object:
        return object()


def test_input_that_does_not_fit_the_run_method_fails_the_workflow_task() -> None:
    error = task_error(first_task("Ordering", "not an order"), Ordering)
    assert error.cause_code == "workflow_error"
    assert "the input of workflow Ordering does not fit the parameters of Ordering.run" in str(
        error
    )
    assert isinstance(error.__cause__, ValueError)  # pydantic's ValidationError


def test_fitting_input_is_converted_to_the_parameter_types() -> None:
    history = first_task("Ordering", {"id": 3})
    assert commands(history, Ordering) == [{"type": "complete_workflow", "result": 3}]


def test_a_result_that_is_not_json_fails_the_workflow_task() -> None:
    error = task_error(first_task("Unserialisable"), Unserialisable)
    assert error.cause_code == "workflow_error"
    assert "the result of workflow Unserialisable (a object) cannot be converted to JSON" in str(
        error
    )


@workflow.defn
class FailingWithBadDetails:
    @workflow.run
    async def run(self) -> None:
        raise ApplicationError("declined", object(), type="Declined")


def test_an_application_error_whose_details_are_not_json_fails_the_workflow_task() -> None:
    error = task_error(first_task("FailingWithBadDetails"), FailingWithBadDetails)
    assert "ApplicationError whose details cannot be converted to JSON" in str(error)


@pytest.mark.parametrize(
    ("error", "details"),
    [
        (ApplicationError("no", 1, 2), [1, 2]),
        (ApplicationError("no", details=[1, 2]), [1, 2]),  # as SDK.md writes it
        (ApplicationError("no", details="one"), ["one"]),
        (ApplicationError("no", 1, details=(2,)), [1, 2]),
    ],
)
def test_application_error_details_go_positionally_or_by_keyword(
    error: ApplicationError, details: list[Any]
) -> None:
    assert error.details == details


# ---- signal handlers ---------------------------------------------------------------------


@workflow.defn
class Signalled:
    @workflow.run
    async def run(self) -> None:
        await workflow.sleep(60)

    @workflow.signal
    async def bug(self) -> None:
        await asyncio.sleep(0)
        raise KeyError("oops")

    @workflow.signal
    async def reject(self) -> None:
        await asyncio.sleep(0)
        raise ApplicationError("rejected", type="Rejected", non_retryable=True)

    @workflow.signal
    def reject_now(self) -> None:
        raise ApplicationError("rejected", type="Rejected", non_retryable=True)

    @workflow.signal
    async def restart(self) -> None:
        workflow.continue_as_new()


def signalled(name: str) -> dict[str, Any]:
    history = first_task("Signalled")
    history["events"].insert(
        1,
        {
            "event_id": 0,
            "event_type": "workflow_execution_signaled",
            "event_time": "2026-01-01T00:00:00.000000Z",
            "attributes": {"signal_name": name, "args": []},
        },
    )
    for i, event in enumerate(history["events"]):
        event["event_id"] = i + 1
    return history


def test_a_bug_in_an_async_signal_handler_fails_the_workflow_task() -> None:
    error = task_error(signalled("bug"), Signalled)
    assert error.cause_code == "workflow_error"
    assert "signal handler Signalled.bug raised KeyError" in str(error)


@pytest.mark.parametrize("handler", ["reject", "reject_now"])
def test_an_application_error_in_a_signal_handler_fails_the_workflow(handler: str) -> None:
    cmds = commands(signalled(handler), Signalled)
    assert cmds[-1]["type"] == "fail_workflow"
    failure = cmds[-1]["failure"]
    assert (failure["message"], failure["type"], failure["non_retryable"]) == (
        "rejected",
        "Rejected",
        True,
    )


def test_continue_as_new_from_a_signal_handler_continues_the_run() -> None:
    cmds = commands(signalled("restart"), Signalled)
    assert cmds[-1] == {"type": "continue_as_new", "input": []}


# ---- options the server would refuse -----------------------------------------------------


@workflow.defn
class Misconfigured:
    """Makes the call named by its input and returns the ValueError it raised."""

    @workflow.run
    async def run(self, case: str) -> str:
        try:
            if case == "schedule_to_start_only":
                workflow.start_activity("act", schedule_to_start_timeout=timedelta(seconds=5))
            elif case == "zero_start_to_close":
                workflow.start_activity("act", start_to_close_timeout=timedelta(0))
            elif case == "negative_timeout":
                workflow.start_activity("act", start_to_close_timeout=timedelta(seconds=-5))
            elif case == "centuries":
                workflow.start_activity(
                    "act",
                    start_to_close_timeout=timedelta(seconds=5),
                    heartbeat_timeout=timedelta(days=365 * 101),
                )
            elif case == "negative_retry_interval":
                workflow.start_activity(
                    "act",
                    start_to_close_timeout=timedelta(seconds=5),
                    retry_policy=RetryPolicy(initial_interval=timedelta(seconds=-1)),
                )
            elif case == "shrinking_backoff":
                workflow.start_activity(
                    "act",
                    start_to_close_timeout=timedelta(seconds=5),
                    retry_policy=RetryPolicy(backoff_coefficient=0.5),
                )
            elif case == "centuries_sleep":
                await workflow.sleep(timedelta(days=365 * 101))
            elif case == "child_run_timeout":
                await workflow.start_child_workflow(
                    "Child", id="child", run_timeout=timedelta(minutes=-1)
                )
        except ValueError as err:
            return str(err)
        return "accepted"


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("schedule_to_start_only", "start_to_close_timeout or schedule_to_close_timeout is"),
        ("zero_start_to_close", "start_to_close_timeout or schedule_to_close_timeout is"),
        ("negative_timeout", "start_to_close_timeout must not be negative"),
        ("centuries", "heartbeat_timeout must not be longer than 100 years"),
        ("negative_retry_interval", "RetryPolicy.initial_interval must not be negative"),
        ("shrinking_backoff", "RetryPolicy.backoff_coefficient must be between 1 and 100"),
        ("centuries_sleep", "a workflow timer must not be longer than 100 years"),
        ("child_run_timeout", "run_timeout must not be negative"),
    ],
)
def test_options_the_server_would_refuse_raise_value_error_at_the_call(
    case: str, message: str
) -> None:
    (cmd,) = commands(first_task("Misconfigured", case), Misconfigured)
    assert cmd["type"] == "complete_workflow"  # no command for the refused call
    assert message in cmd["result"]


def test_an_uncaught_value_error_fails_the_workflow_task() -> None:
    @workflow.defn(name="NoTimeout")
    class NoTimeout:
        @workflow.run
        async def run(self) -> None:
            await workflow.execute_activity("act", schedule_to_start_timeout=timedelta(seconds=5))

    error = task_error(first_task("NoTimeout"), NoTimeout)
    assert error.cause_code == "workflow_error"
    assert "ValueError: activity act: start_to_close_timeout" in str(error)


def test_a_negative_sleep_returns_at_once_without_a_timer() -> None:
    @workflow.defn(name="PastDeadline")
    class PastDeadline:
        @workflow.run
        async def run(self) -> str:
            await workflow.sleep(timedelta(seconds=-3))
            return "on time"

    history = first_task("PastDeadline")
    assert commands(history, PastDeadline) == [{"type": "complete_workflow", "result": "on time"}]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(seconds=10), "10s"),
        (timedelta(milliseconds=250), "0.25s"),
        (timedelta(seconds=1234, microseconds=567800), "1234.5678s"),
        (timedelta(days=30), "2592000s"),
        (timedelta(days=365 * 100), "3153600000s"),
        (timedelta(0), "0s"),
    ],
)
def test_durations_are_written_in_the_servers_grammar(value: timedelta, text: str) -> None:
    assert duration(value) == text


@workflow.defn
class Queried:
    @workflow.run
    async def run(self) -> None:
        workflow.logger.info("going to sleep")
        await workflow.sleep(60)

    @workflow.query
    def status(self) -> str:
        return "napping"


def queried_instance() -> Any:
    return new_instance(
        WorkflowDefinition.of(Queried),
        WorkflowInfo(
            namespace="test",
            workflow_id="wf",
            run_id="run",
            workflow_type="Queried",
            task_queue="q",
        ),
    )


def test_a_query_to_a_run_that_never_ran_says_so() -> None:
    # Terminated before any worker ran it: the history has no workflow task at all.
    history = first_task("Queried")["events"][:1]
    instance = queried_instance()
    instance.activate(history)
    with pytest.raises(RuntimeError, match="no state to query"):
        instance.query("status", [])


def test_rebuilding_a_run_for_a_query_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    # The history ends in a task still in flight: its code runs again, not as a replay.
    instance = queried_instance()
    instance.quiet = True
    with caplog.at_level(logging.INFO, logger="odin.workflow"):
        instance.activate(first_task("Queried")["events"])
    assert instance.query("status", []) == "napping"
    assert not [r for r in caplog.records if r.name == "odin.workflow"]
    loud = queried_instance()  # as in the task itself
    with caplog.at_level(logging.INFO, logger="odin.workflow"):
        loud.activate(first_task("Queried")["events"])
    assert [r for r in caplog.records if r.name == "odin.workflow"]
