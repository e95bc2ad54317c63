"""Configuration of the system-workers process (``HUGO_ORCHESTRATOR_*`` environment variables)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from odin_common.settings import ServiceSettings

MAX_ADD_TASKS = 10_000
"""Matching refuses an ``AddTasksRequest`` with more tasks than this."""


class SystemWorkersSettings(ServiceSettings):
    service_name: ClassVar[str] = "system-workers"

    db_pool_size: int = Field(
        4,
        ge=1,
        le=512,
        description="Database connections per process (the reconciler reads one page at a time).",
    )
    reconciler_enabled: bool = Field(
        True,
        description="Run the task reconciler in the background. Off: it only runs when asked "
        "(POST /internal/reconciler/run).",
    )
    reconciler_interval_seconds: float = Field(
        10.0,
        gt=0,
        description="Seconds between the starts of two reconciler rounds. A task Redis lost is "
        "queued again at most this long (plus the minimum age) after it was scheduled.",
    )
    reconciler_min_age_seconds: float = Field(
        5.0,
        ge=0,
        description="A task must have been scheduled at least this many seconds ago before the "
        "reconciler considers it lost (younger ones are normally still on their way to matching).",
    )
    reconciler_page_size: int = Field(
        500,
        ge=1,
        le=10_000,
        description="Running executions read from the database per query.",
    )
    reconciler_batch_size: int = Field(
        1000,
        ge=1,
        le=MAX_ADD_TASKS,
        description="Tasks sent to matching per POST /internal/tasks call.",
    )
    readiness_timeout_seconds: float = Field(
        3.0,
        gt=0,
        description="How long /readyz waits for matching to answer /healthz.",
    )
