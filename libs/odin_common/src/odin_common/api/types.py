"""Building blocks shared by the API models: names, durations, failures, retry policies."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from croniter import CroniterError, croniter
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
)

from odin_common import jsonutil
from odin_common.durations import format_duration, parse_duration


def _to_duration(value: object) -> timedelta:
    return parse_duration(value)


def _duration_out(value: timedelta) -> str:
    return format_duration(value) or "0s"


Duration = Annotated[
    timedelta,
    BeforeValidator(_to_duration),
    PlainSerializer(_duration_out, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "description": "A duration: '250ms', '30s', '5m', '1h30m', or a number of seconds.",
            "examples": ["30s"],
        }
    ),
]
"""A length of time: a Go-style string or a number of seconds; rendered back as a string."""


DEFAULT_TASK_TIMEOUT = timedelta(seconds=10)
MAX_TASK_TIMEOUT = timedelta(minutes=2)


def _task_timeout(value: timedelta) -> timedelta:
    # Longer is reduced to the maximum, as Temporal does: a workflow already running with a
    # longer one in a command must not fail its tasks from now on.
    return min(value, MAX_TASK_TIMEOUT)


TaskTimeout = Annotated[
    Duration,
    AfterValidator(_task_timeout),
    WithJsonSchema(
        {
            "type": "string",
            "description": "A duration; longer than 2m counts as 2m, '0s' as not set.",
            "examples": ["10s"],
        }
    ),
]
"""How long one workflow task may take: at most 2 minutes (longer is reduced to that); zero
means not set (the default, or what a continued run inherits)."""


def _not_dot_segment(value: str) -> str:
    if value in {".", ".."}:
        raise ValueError("'.' and '..' cannot be used: HTTP clients resolve them away in paths")
    return value


NamespaceName = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$"),
]
"""1-255 characters: letters, digits, '.', '_' and '-', starting with a letter or digit."""

MAX_ID_BYTES = 1000


def _fits_an_index(value: str) -> str:
    # PostgreSQL cannot index a key much over 2,700 bytes: an id of 1,000 characters outside
    # ASCII would be accepted here and then refused by the database (Temporal's limit is
    # bytes, too).
    if len(value.encode()) > MAX_ID_BYTES:
        raise ValueError(f"at most {MAX_ID_BYTES} bytes in UTF-8")
    return value


Identifier = Annotated[
    str,
    StringConstraints(min_length=1, max_length=1000, pattern=r"^[^\x00-\x1f\x7f]+$"),
    AfterValidator(_not_dot_segment),
    AfterValidator(_fits_an_index),
]
"""A workflow/activity type, task queue or activity id: 1-1000 bytes (UTF-8), no control
chars, not '.' or '..'."""

WorkflowId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=1000, pattern=r"^[^\x00-\x1f\x7f/]+$"),
    AfterValidator(_not_dot_segment),
    AfterValidator(_fits_an_index),
]
"""1-1000 bytes (UTF-8) without '/' or control characters, not '.' or '..' (it is a path
segment of the API)."""


def _valid_cron(value: str) -> str:
    try:
        croniter(value, datetime.now(UTC)).get_next(datetime)
    except (ValueError, KeyError, CroniterError) as exc:
        raise ValueError(f"not a valid cron schedule: {exc}") from None
    return value


CronSchedule = Annotated[
    str,
    StringConstraints(min_length=1, max_length=255),
    AfterValidator(_valid_cron),
    WithJsonSchema(
        {
            "type": "string",
            "maxLength": 255,
            "description": "A cron expression (5 fields, or 6 with seconds last, or @hourly, "
            "@daily, ...), evaluated in UTC.",
            "examples": ["0 * * * *"],
        }
    ),
]
"""A cron expression that has a next fire time."""

RunId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$")]

NO_NUL = r"^[^\x00]*$"
"""PostgreSQL's text cannot hold a NUL character: strings stored as they are must not have one."""

RequestId = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=NO_NUL)]

Identity = Annotated[str, StringConstraints(max_length=255, pattern=NO_NUL)]


def _storable(value: Any) -> Any:
    try:
        encoded = jsonutil.dumps(value)
    except TypeError as exc:
        raise ValueError(
            f"cannot be stored: {exc} (integers must lie between -2**63 and 2**64 - 1)"
        ) from None
    # A number too large for a double (1e400) reaches here as infinity, which JSON cannot
    # hold (it would be stored as null); the walk runs only when the encoding has a null.
    if b"null" in encoded and any(
        isinstance(v, float) and not math.isfinite(v) for v in _scalars(value)
    ):
        raise ValueError("cannot be stored: a number is too large (JSON has no infinity)")
    return value


def _scalars(value: Any) -> Iterator[Any]:
    """Every value inside a JSON document that is not an object or an array, object keys
    included."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _scalars(item)
    elif isinstance(value, list):
        for item in value:
            yield from _scalars(item)
    else:
        yield value


JsonValue = Annotated[Any, AfterValidator(_storable)]
"""Any JSON value the store can keep as it is. JSON itself allows integers of any size;
the store (like Temporal's and most JSON tooling) keeps 64-bit ones, so larger ones are
refused with a 400 instead of failing later when the event is written."""


def _indexable(value: dict[str, Any]) -> dict[str, Any]:
    if any(isinstance(v, str) and "\x00" in v for v in _scalars(value)):
        raise ValueError("search attributes cannot contain the NUL character (\\u0000)")
    return value


SearchAttributes = Annotated[dict[str, JsonValue], AfterValidator(_indexable)]
"""Search attributes: indexed as JSONB, which cannot hold a NUL character in a key or a
string."""


class StrictModel(BaseModel):
    """Request bodies: unknown fields are an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class ResponseModel(BaseModel):
    """Response bodies (and documents the services pass through unchanged)."""

    model_config = ConfigDict(extra="allow")


class Failure(BaseModel):
    """Why something failed, on the wire: ``{message, type?, non_retryable?, details?}``.

    ``cause`` chains failures (an activity failure inside a workflow failure);
    ``timeout_type`` is set on timeouts (``start_to_close``, ``schedule_to_start``,
    ``schedule_to_close``, ``heartbeat``, ``execution``, ``run``).
    """

    model_config = ConfigDict(extra="forbid")

    message: Annotated[str, StringConstraints(max_length=32768)] = ""
    type: Annotated[str, StringConstraints(max_length=1000)] | None = None
    non_retryable: bool = False
    details: JsonValue = None
    stack_trace: Annotated[str, StringConstraints(max_length=65536)] | None = None
    timeout_type: str | None = None
    cause: Failure | None = None


class RetryPolicy(BaseModel):
    """How an activity (or workflow) is retried. Defaults follow Temporal's."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"initial_interval": "1s", "backoff_coefficient": 2.0, "maximum_attempts": 5}
            ]
        },
    )

    initial_interval: Duration = Field(default=timedelta(seconds=1))
    backoff_coefficient: float = Field(2.0, ge=1.0, le=100.0)
    maximum_interval: Duration | None = Field(None, description="Default: 100 x initial_interval.")
    maximum_attempts: int = Field(0, ge=0, description="0 means unlimited.")
    non_retryable_error_types: list[Annotated[str, StringConstraints(max_length=1000)]] = Field(
        default_factory=list
    )

    def effective_maximum_interval(self) -> timedelta:
        return self.maximum_interval or self.initial_interval * 100

    def backoff(self, attempt: int) -> timedelta:
        """The wait before attempt ``attempt + 1`` after attempt ``attempt`` failed."""
        cap = self.effective_maximum_interval().total_seconds()
        try:
            interval = self.initial_interval.total_seconds() * self.backoff_coefficient ** (
                max(attempt, 1) - 1
            )
        except OverflowError:
            interval = cap
        return timedelta(seconds=min(interval, cap))


Payloads = list[JsonValue]
"""Positional arguments, as a JSON array."""


def _sane_intervals(policy: RetryPolicy) -> RetryPolicy:
    if policy.maximum_interval and policy.maximum_interval < policy.initial_interval:
        raise ValueError("maximum_interval cannot be shorter than initial_interval")
    return policy


RequestedRetryPolicy = Annotated[RetryPolicy, AfterValidator(_sane_intervals)]
"""A retry policy in a request or command. The check is not :class:`RetryPolicy`'s own: a
policy stored before it existed must still load."""
