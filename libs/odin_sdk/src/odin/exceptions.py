"""Exceptions of the Odin SDK (the same shapes as temporalio.exceptions)::

OdinError
├── FailureError                 a failure that crosses the wire
│   ├── ApplicationError         raised by your code; fails an activity or a workflow
│   ├── ActivityError            an activity failed; ``cause`` says why
│   ├── ChildWorkflowError       a child workflow failed; ``cause`` says why
│   ├── TimeoutError             something timed out; ``type`` is the timeout kind
│   ├── CancelledError           something was cancelled
│   └── TerminatedError          the workflow was terminated
├── WorkflowFailureError         client side: the workflow did not complete
├── WorkflowAlreadyStartedError  client side: the id is taken
├── NondeterminismError          replay found code that no longer matches history
└── RPCError                     the server answered with an error (carries ``code``)
"""

from __future__ import annotations

import asyncio
from enum import StrEnum
from typing import Any


class OdinError(Exception):
    """Base of every Odin SDK exception."""


class FailureError(OdinError):
    """An error that is recorded as a failure ``{message, type, non_retryable, details}``.

    ``remote_stack_trace`` is the stack trace recorded where it was raised (another process).
    """

    remote_stack_trace: str | None = None

    def __init__(self, message: str, *, cause: BaseException | None = None) -> None:
        super().__init__(message)
        self.message = message
        if cause is not None:
            self.__cause__ = cause

    @property
    def cause(self) -> BaseException | None:
        return self.__cause__


class ApplicationError(FailureError):
    """Raise it from an activity or workflow to fail it with your own type and details.

    ``non_retryable=True`` stops retries regardless of the retry policy. Details go either
    as extra positional arguments (as in temporalio) or as ``details=`` (a list or tuple of
    details, or a single one); :attr:`details` is always the list.
    """

    def __init__(
        self,
        message: str,
        *positional_details: Any,
        type: str | None = None,
        non_retryable: bool = False,
        details: Any = None,
        cause: BaseException | None = None,
    ) -> None:
        super().__init__(message, cause=cause)
        self.details = list(positional_details)
        if details is not None:
            self.details += list(details) if isinstance(details, list | tuple) else [details]
        self.type = type
        self.non_retryable = non_retryable

    def __repr__(self) -> str:
        return f"ApplicationError({self.message!r}, type={self.type!r}, non_retryable={self.non_retryable})"


class TimeoutType(StrEnum):
    START_TO_CLOSE = "start_to_close"
    SCHEDULE_TO_START = "schedule_to_start"
    SCHEDULE_TO_CLOSE = "schedule_to_close"
    HEARTBEAT = "heartbeat"
    RUN = "run"
    EXECUTION = "execution"


class TimeoutError(FailureError):
    """A timeout; ``type`` is its kind and ``last_heartbeat_details`` what the activity sent."""

    def __init__(
        self,
        message: str,
        *,
        type: TimeoutType | None,
        last_heartbeat_details: Any = None,
        cause: BaseException | None = None,
    ) -> None:
        super().__init__(message, cause=cause)
        self.type = type
        self.last_heartbeat_details = last_heartbeat_details


class CancelledError(FailureError):
    """Something was cancelled (an activity, a child, the workflow)."""

    def __init__(self, message: str = "cancelled", *details: Any) -> None:
        super().__init__(message)
        self.details = list(details)


class TerminatedError(FailureError):
    """The workflow was terminated."""


class ActivityError(FailureError):
    """An activity failed; ``cause`` is the reason (ApplicationError, TimeoutError, ...)."""

    def __init__(
        self,
        message: str,
        *,
        activity_id: str,
        activity_type: str,
        scheduled_event_id: int,
        retry_state: str | None,
        cause: BaseException | None = None,
    ) -> None:
        super().__init__(message, cause=cause)
        self.activity_id = activity_id
        self.activity_type = activity_type
        self.scheduled_event_id = scheduled_event_id
        self.retry_state = retry_state


class ChildWorkflowError(FailureError):
    """A child workflow failed; ``cause`` is the reason."""

    def __init__(
        self,
        message: str,
        *,
        workflow_id: str,
        run_id: str | None,
        workflow_type: str,
        cause: BaseException | None = None,
    ) -> None:
        super().__init__(message, cause=cause)
        self.workflow_id = workflow_id
        self.run_id = run_id
        self.workflow_type = workflow_type


class WorkflowFailureError(OdinError):
    """The workflow did not complete; ``cause`` is its failure."""

    def __init__(self, *, cause: BaseException, status: str = "failed") -> None:
        super().__init__(f"workflow {status}: {cause}")
        self.status = status
        self.__cause__ = cause

    @property
    def cause(self) -> BaseException:
        assert self.__cause__ is not None
        return self.__cause__


class NondeterminismError(OdinError):
    """The workflow code produced different commands than its history records."""


class RPCError(OdinError):
    """The server refused a call. ``code`` is the stable problem+json code."""

    def __init__(
        self, message: str, *, code: str, status: int, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.details = details or {}

    def __repr__(self) -> str:
        return f"RPCError({self.message!r}, code={self.code!r}, status={self.status})"


class WorkflowAlreadyStartedError(RPCError):
    """A workflow with this id is already running (or the id may not be reused)."""

    def __init__(
        self, message: str, *, workflow_id: str, run_id: str | None, status: int = 409
    ) -> None:
        super().__init__(message, code="workflow_already_started", status=status)
        self.workflow_id = workflow_id
        self.run_id = run_id


def is_cancelled_exception(exception: BaseException) -> bool:
    """Whether ``exception`` means "cancelled": ``asyncio.CancelledError``,
    :class:`CancelledError`, or an activity or child workflow error caused by one. A workflow
    whose cancellation was requested and whose run method raises such an exception ends
    cancelled, not failed (as in temporalio)."""
    return isinstance(exception, asyncio.CancelledError | CancelledError) or (
        isinstance(exception, ActivityError | ChildWorkflowError)
        and isinstance(exception.cause, CancelledError)
    )
