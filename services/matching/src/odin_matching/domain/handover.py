"""What a poll does with a task when history answers "record task started"."""

from __future__ import annotations

from enum import Enum

from odin_common import errors


class Outcome(Enum):
    HAND_OVER = "hand_over"
    """History recorded the start: ack the entry and give the task to the poller."""
    DROP = "drop"
    """The task is stale (already started, completed, workflow closed or gone): ack it."""
    REQUEUE = "requeue"
    """History could not answer: put the task back for another poll."""


STALE_ERRORS: tuple[type[errors.OdinError], ...] = (
    errors.TaskNotFound,
    errors.WorkflowNotFound,
    errors.WorkflowNotRunning,
    errors.NamespaceNotFound,
)


def outcome_of_error(error: BaseException) -> Outcome:
    """How a poll treats a failed "record task started" call."""
    if isinstance(error, STALE_ERRORS):
        return Outcome.DROP
    return Outcome.REQUEUE
