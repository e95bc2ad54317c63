"""Configuration of the matching service (environment variables, ``HUGO_ORCHESTRATOR_`` prefix)."""

from __future__ import annotations

from typing import ClassVar, Self

from pydantic import Field, model_validator

from odin_common.settings import ServiceSettings


class MatchingSettings(ServiceSettings):
    """Settings of the matching process (the common ones come from :class:`ServiceSettings`)."""

    service_name: ClassVar[str] = "matching"

    poll_slice_seconds: float = Field(
        5.0,
        gt=0,
        le=30,
        description="A long poll (or a query waiting for its answer) blocks on Redis in slices "
        "of this length and checks between slices whether the worker went away or the process "
        "is stopping (a Redis read is never cancelled mid-flight).",
    )
    history_call_timeout_seconds: float = Field(
        10.0,
        gt=0,
        description="Upper bound on asking history to record a task as started; on timeout the "
        "task is put back in the queue.",
    )
    history_retry_backoff_seconds: float = Field(
        0.5,
        ge=0,
        description="Pause of a poll after history failed, so a down history does not spin.",
    )
    reclaim_interval_seconds: float = Field(
        10.0, gt=0, description="How often entries left behind by a crashed process are reclaimed."
    )
    reclaim_idle_seconds: float = Field(
        30.0,
        gt=0,
        description="An entry delivered this long ago and never acknowledged is put back in its "
        "queue. Must stay above history_call_timeout_seconds (the longest a poll holds one).",
    )
    poller_ttl_seconds: float = Field(
        300.0, gt=0, description="Task queue descriptions list the pollers seen this recently."
    )
    poller_record_interval_seconds: float = Field(
        5.0,
        ge=0,
        description="A poller's last poll time is written to Redis at most this often per "
        "poller and queue (keeps a Redis write off most polls).",
    )
    redis_blocking_connections: int = Field(
        1024,
        ge=1,
        le=65536,
        description="Redis connections for blocking reads: the most long polls that can wait on "
        "Redis at once (further polls wait for a free connection).",
    )
    redis_command_connections: int = Field(
        64, ge=1, le=4096, description="Redis connections for every other command."
    )
    redis_query_wait_connections: int = Field(
        128,
        ge=1,
        le=65536,
        description="Redis connections for queries waiting for their answer: the most that "
        "wait on Redis at once. Further queries take turns slice by slice (their answer waits "
        "in Redis meanwhile) within their own timeout.",
    )

    @model_validator(mode="after")
    def _reclaim_after_history_timeout(self) -> Self:
        if self.reclaim_idle_seconds <= self.history_call_timeout_seconds:
            raise ValueError(
                "reclaim_idle_seconds must be larger than history_call_timeout_seconds: "
                "otherwise an entry a poll is still handing over could be reclaimed and "
                "delivered twice"
            )
        return self
