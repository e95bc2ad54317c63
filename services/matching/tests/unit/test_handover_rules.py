"""Which answers of history make a poll drop a task, and which make it requeue."""

from __future__ import annotations

import pytest

from odin_common import errors
from odin_matching.domain.handover import Outcome, outcome_of_error


@pytest.mark.parametrize(
    "error",
    [
        errors.TaskNotFound("started elsewhere"),
        errors.WorkflowNotFound("gone"),
        errors.WorkflowNotRunning("closed"),
        errors.NamespaceNotFound("deleted"),
    ],
)
def test_stale_answers_drop_the_task(error):
    assert outcome_of_error(error) is Outcome.DROP


@pytest.mark.parametrize(
    "error",
    [
        errors.Unavailable("down"),
        errors.ShardNotOwned("moving"),
        errors.InternalError("bug"),
        errors.InvalidArgument("odd"),
        TimeoutError(),
        ConnectionResetError(),
    ],
)
def test_other_failures_requeue_the_task(error):
    assert outcome_of_error(error) is Outcome.REQUEUE
