"""Exceptions to the wire failure object ``{message, type, non_retryable, details, cause}``
and back."""

from __future__ import annotations

import asyncio
import traceback
from typing import Any

from odin import converter
from odin.exceptions import (
    ActivityError,
    ApplicationError,
    CancelledError,
    ChildWorkflowError,
    FailureError,
    TerminatedError,
    TimeoutError,
    TimeoutType,
)

MAX_STACK = 16000
MAX_MESSAGE = 32000
"""The server refuses a failure message longer than 32768 characters (with the whole answer
it is part of); longer ones are cut."""


def _stack(exc: BaseException) -> str | None:
    if exc.__traceback__ is None:
        return None
    return "".join(traceback.format_exception(exc))[-MAX_STACK:]


def timeout_type(value: Any) -> TimeoutType | None:
    """The timeout kind named ``value``, or None for an unknown one."""
    return TimeoutType(value) if value in TimeoutType._value2member_map_ else None


def to_failure(exc: BaseException) -> dict[str, Any]:
    """The wire failure for ``exc`` (with its cause chain)."""
    out: dict[str, Any]
    if isinstance(exc, ApplicationError):
        out = {
            "message": exc.message,
            "type": exc.type,
            "non_retryable": exc.non_retryable,
            "details": [converter.to_json(d) for d in exc.details] or None,
        }
    elif isinstance(exc, TimeoutError):
        out = {
            "message": exc.message,
            "type": "TimeoutError",
            "timeout_type": exc.type.value if exc.type else None,
            "details": converter.to_json(exc.last_heartbeat_details),
        }
    elif isinstance(exc, CancelledError | asyncio.CancelledError):
        details = getattr(exc, "details", None)
        out = {
            "message": str(exc) or "cancelled",
            "type": "CancelledError",
            "details": [converter.to_json(d) for d in details] if details else None,
        }
    elif isinstance(exc, ActivityError):
        out = {
            "message": exc.message,
            "type": "ActivityError",
            "details": {
                "activity_id": exc.activity_id,
                "activity_type": exc.activity_type,
                "scheduled_event_id": exc.scheduled_event_id,
                "retry_state": exc.retry_state,
            },
        }
    elif isinstance(exc, ChildWorkflowError):
        out = {
            "message": exc.message,
            "type": "ChildWorkflowError",
            "details": {
                "workflow_id": exc.workflow_id,
                "run_id": exc.run_id,
                "workflow_type": exc.workflow_type,
            },
        }
    elif isinstance(exc, FailureError):
        out = {"message": exc.message, "type": type(exc).__name__}
    else:
        out = {"message": str(exc) or type(exc).__name__, "type": type(exc).__name__}
    if len(out["message"]) > MAX_MESSAGE:
        out["message"] = out["message"][:MAX_MESSAGE] + " [...]"
    stack = _stack(exc)
    if stack:
        out["stack_trace"] = stack
    cause = exc.__cause__
    if cause is not None and cause is not exc:
        out["cause"] = to_failure(cause)
    return {k: v for k, v in out.items() if v is not None}


def from_failure(failure: dict[str, Any] | None) -> BaseException:
    """The exception a wire failure stands for (with its cause chain)."""
    if not failure:
        return ApplicationError("unknown failure")
    message = str(failure.get("message") or "")
    kind = failure.get("type")
    details = failure.get("details")
    cause = from_failure(failure["cause"]) if failure.get("cause") else None
    exc: BaseException
    if kind == "TimeoutError" or failure.get("timeout_type"):
        exc = TimeoutError(
            message, type=timeout_type(failure.get("timeout_type")), last_heartbeat_details=details
        )
    elif kind == "CancelledError":
        exc = CancelledError(message or "cancelled", *(details or []))
    elif kind == "TerminatedError":
        exc = TerminatedError(message or "terminated")
    elif kind == "ActivityError" and isinstance(details, dict):
        exc = ActivityError(
            message,
            activity_id=str(details.get("activity_id", "")),
            activity_type=str(details.get("activity_type", "")),
            scheduled_event_id=int(details.get("scheduled_event_id", 0)),
            retry_state=details.get("retry_state"),
        )
    elif kind == "ChildWorkflowError" and isinstance(details, dict):
        exc = ChildWorkflowError(
            message,
            workflow_id=str(details.get("workflow_id", "")),
            run_id=details.get("run_id"),
            workflow_type=str(details.get("workflow_type", "")),
        )
    else:
        detail_list = (
            details if isinstance(details, list) else ([] if details is None else [details])
        )
        exc = ApplicationError(
            message, *detail_list, type=kind, non_retryable=bool(failure.get("non_retryable"))
        )
    if cause is not None:
        exc.__cause__ = cause
    if failure.get("stack_trace") and isinstance(exc, FailureError):
        exc.remote_stack_trace = str(failure["stack_trace"])
    return exc
