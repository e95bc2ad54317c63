"""Settings of the history service (``HUGO_ORCHESTRATOR_`` environment variables)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from odin_common.settings import ServiceSettings


class HistorySettings(ServiceSettings):
    service_name: ClassVar[str] = "history"

    advertise_url: str | None = Field(
        None,
        description="The URL other services use to reach this process (default "
        "http://127.0.0.1:<port>); published in the shards table.",
    )
    member_id: str | None = Field(
        None,
        description="This process's name in cluster_members (default: derived from "
        "advertise_url, so a restarted process takes its shards back at once).",
    )
    shard_lease_seconds: float = Field(
        20.0, gt=0, description="How long a shard lease lasts without renewal."
    )
    cache_size: int = Field(20000, ge=1, description="Runs whose mutable state is kept in memory.")
    timer_lookahead_seconds: float = Field(
        30.0, gt=0, description="Timers due within this window are held in memory."
    )
    transfer_scan_interval_seconds: float = Field(
        5.0, gt=0, description="How often leftover transfer tasks are looked for."
    )
    transfer_workers: int = Field(4, ge=1, description="Concurrent pushes to matching.")
    query_timeout_seconds: float = Field(
        10.0, gt=0, le=60, description="How long a query waits for a worker to answer."
    )
    long_poll_seconds: float = Field(
        30.0, gt=0, le=60, description="How long history?wait_new_event=true waits at most."
    )

    @property
    def own_url(self) -> str:
        return (self.advertise_url or f"http://127.0.0.1:{self.listen_port}").rstrip("/")

    @property
    def own_member_id(self) -> str:
        return self.member_id or f"history@{self.own_url}"
