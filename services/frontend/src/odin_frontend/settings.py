"""Configuration of the frontend (``HUGO_ORCHESTRATOR_*`` environment variables)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from odin_common.settings import ServiceSettings


class FrontendSettings(ServiceSettings):
    service_name: ClassVar[str] = "frontend"

    namespace_cache_seconds: float = Field(
        5.0,
        ge=0,
        description="How long a namespace history confirmed to exist is trusted before a poll "
        "or task-queue call checks it again (unknown namespaces are never cached).",
    )
    long_poll_margin_seconds: float = Field(
        10.0,
        gt=0,
        description="Added to a long poll's wait to bound the internal call that serves it.",
    )
    query_timeout_seconds: float = Field(
        10.0,
        gt=0,
        le=60,
        description="How long history waits for a worker to answer a query (the same variable "
        "configures history). The frontend's call that serves a query may last this plus "
        "long_poll_margin_seconds.",
    )
    shard_map_ttl_seconds: float = Field(
        30.0,
        gt=0,
        description="How long the shard -> history process map is used before it is reloaded "
        "(it is also reloaded at once when a history process answers shard_not_owned).",
    )
    readiness_timeout_seconds: float = Field(
        2.0, gt=0, description="How long /readyz waits for history and matching to answer."
    )
    http_connection_limit: int = Field(
        512, ge=1, description="Open connections to the other services, at most."
    )
