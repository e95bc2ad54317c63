"""Configuration shared by every Odin service.

All settings come from environment variables with the ``HUGO_ORCHESTRATOR_`` prefix (the names
the original plan documented are the interface; see API.md, "Running the services"). Each
service subclasses :class:`ServiceSettings` and adds its own fields.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "HUGO_ORCHESTRATOR_"
DEFAULT_PORTS = {"frontend": 8080, "history": 8081, "matching": 8082, "system-workers": 8083}


class ServiceSettings(BaseSettings):
    """Settings every service reads. Subclasses set ``service_name``."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=False)

    service_name: ClassVar[str] = "odin"

    db_connection: str = Field(
        "postgresql://postgres@127.0.0.1:5432/odin",
        description="Database URL: postgresql://user:pass@host:port/db or sqlite:///path.db.",
    )
    redis_url: str | None = Field(
        None,
        description="Redis URL for the task queues. Unset: the in-process task store "
        "(only valid when all services run in one process, as in `odin dev`).",
    )
    redis_key_prefix: str = Field(
        "odin", description="Prefix of every Redis key Odin writes (lets tests share a server)."
    )
    otlp_endpoint: str | None = Field(
        None, description="OTLP/HTTP endpoint for traces, e.g. http://otel-collector:4318."
    )
    shard_count: int = Field(512, ge=1, le=16384, description="Number of history shards.")
    history_retention_days: int = Field(
        30,
        ge=0,
        description="Default retention of closed workflows for new namespaces (recorded on "
        "the namespace; nothing removes closed workflows yet).",
    )
    host: str = Field("0.0.0.0", description="Interface this process listens on.")
    port: int | None = Field(
        None, ge=0, le=65535, description="Port this process listens on (default per service)."
    )
    frontend_url: str = Field("http://127.0.0.1:8080", description="Where the frontend is.")
    history_url: str = Field(
        "http://127.0.0.1:8081",
        description="Where a history process is (the others are found through the shards table).",
    )
    matching_url: str = Field("http://127.0.0.1:8082", description="Where matching is.")
    system_workers_url: str = Field(
        "http://127.0.0.1:8083", description="Where the system workers are."
    )
    max_payload_bytes: int = Field(
        2 * 1024 * 1024, ge=1024, description="Largest accepted request body, in bytes."
    )
    db_pool_size: int = Field(16, ge=1, le=512, description="Database connections per process.")
    log_level: str = Field("info", description="debug, info, warning or error.")
    log_format: str = Field("console", description="console or json.")
    internal_timeout_seconds: float = Field(
        75.0, gt=0, description="Upper bound on one internal HTTP call (long polls included)."
    )

    @field_validator("frontend_url", "history_url", "matching_url", "system_workers_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @property
    def listen_port(self) -> int:
        if self.port is not None:
            return self.port
        return DEFAULT_PORTS.get(self.service_name, 8080)

    @property
    def uses_sqlite(self) -> bool:
        return self.db_connection.startswith("sqlite")
