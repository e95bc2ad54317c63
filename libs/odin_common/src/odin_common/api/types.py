"""Building blocks shared by the API models: names, durations, failures, retry policies."""

from __future__ import annotations

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
    model_validator,
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
    if value > MAX_TASK_TIMEOUT:
        raise ValueError("a workflow task timeout is at most 2m")
    # Zero means "not set", as in Temporal: a zero timeout would time out every task at once.
    return value if value else DEFAULT_TASK_TIMEOUT


TaskTimeout = Annotated[
    Duration,
    AfterValidator(_task_timeout),
    WithJsonSchema(
        {
            "type": "string",
            "description": "A duration of at most 2m; '0s' means the default, 10s.",
            "examples": ["10s"],
        }
    ),
]
"""How long one workflow task may take: at most 2 minutes; zero means the default (10 s)."""


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
        jsonutil.dumps(value)
    except TypeError as exc:
        raise ValueError(
            f"cannot be stored: {exc} (integers must lie between -2**63 and 2**64 - 1)"
        ) from None
    return value


JsonValue = Annotated[Any, AfterValidator(_storable)]
"""Any JSON value the store can keep as it is. JSON itself allows integers of any size;
the store (like Temporal's and most JSON tooling) keeps 64-bit ones, so larger ones are
refused with a 400 instead of failing later when the event is written."""


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _indexable(value: dict[str, Any]) -> dict[str, Any]:
    if _has_nul(value):
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

    @model_validator(mode="after")
    def _maximum_not_below_initial(self) -> RetryPolicy:
        if self.maximum_interval and self.maximum_interval < self.initial_interval:
            raise ValueError("maximum_interval cannot be shorter than initial_interval")
        return self

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
