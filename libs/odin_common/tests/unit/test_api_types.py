"""Limits the API models put on values the store or the task loop could not live with."""

from datetime import timedelta

import pytest
from pydantic import ValidationError

from odin_common.api.commands import ContinueAsNewCommand
from odin_common.api.types import RetryPolicy
from odin_common.api.workflows import WorkflowStartRequest

START = {"workflow_type": "W", "task_queue": "q"}


def test_a_zero_task_timeout_means_the_default() -> None:
    assert WorkflowStartRequest.model_validate(START).task_timeout == timedelta(seconds=10)
    zero = WorkflowStartRequest.model_validate({**START, "task_timeout": "0s"})
    assert zero.task_timeout == timedelta(seconds=10)  # not "every task times out at once"
    assert WorkflowStartRequest.model_validate({**START, "task_timeout": "2m"}).task_timeout == (
        timedelta(minutes=2)
    )


def test_a_task_timeout_over_two_minutes_counts_as_two_minutes() -> None:
    """As in Temporal, which reduces it: refusing it would fail the tasks of a workflow
    whose code already asks for more."""
    start = WorkflowStartRequest.model_validate({**START, "task_timeout": "10m"})
    assert start.task_timeout == timedelta(minutes=2)
    command = {"type": "continue_as_new", "task_timeout": "10m"}
    assert ContinueAsNewCommand.model_validate(command).task_timeout == timedelta(minutes=2)


def test_a_zero_task_timeout_in_a_command_stays_not_set() -> None:
    # continue-as-new then keeps the run's own timeout (domain.commands)
    command = ContinueAsNewCommand.model_validate({"type": "continue_as_new", "task_timeout": 0})
    assert not command.task_timeout


def test_a_requested_retry_policy_cannot_cap_below_its_first_interval() -> None:
    policy = {"initial_interval": "10s", "maximum_interval": "1s"}
    with pytest.raises(ValidationError, match="maximum_interval"):
        WorkflowStartRequest.model_validate({**START, "retry_policy": policy})
    # a policy stored before the check existed still loads
    assert RetryPolicy.model_validate(policy).effective_maximum_interval() == timedelta(seconds=1)


@pytest.mark.parametrize(
    "extra",
    [
        {"request_id": "r\x00"},
        {"search_attributes": {"k\x00": 1}},
        {"search_attributes": {"k": {"nested": ["\x00"]}}},
        {"task_queue": "\u961f" * 334},  # 334 characters, 1,002 bytes
        {"input": [float("inf")]},  # what Python's JSON parser makes of 1e400
        {"memo": {"k": [1, None, {"x": float("-inf")}]}},
    ],
)
def test_values_postgresql_cannot_store_or_index_are_refused(extra: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        WorkflowStartRequest.model_validate({**START, **extra})


def test_ids_may_use_any_script_within_1000_bytes() -> None:
    assert WorkflowStartRequest.model_validate({**START, "task_queue": "\u961f" * 333})
