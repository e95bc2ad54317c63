"""Namespace requests and responses."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints

from odin_common.api.types import NO_NUL, NamespaceName, ResponseModel, StrictModel

Description = Annotated[str, StringConstraints(max_length=4096, pattern=NO_NUL)]


class NamespaceCreate(StrictModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"name": "payments", "description": "Payment workflows", "retention_days": 30}
            ]
        },
    )

    name: NamespaceName
    description: Description = ""
    retention_days: int | None = Field(
        None,
        ge=0,
        le=3650,
        description="Days closed workflows are to be kept (default: "
        "HUGO_ORCHESTRATOR_HISTORY_RETENTION_DAYS, 30). Recorded; removing closed workflows "
        "once it has passed is not implemented yet.",
    )


class NamespaceUpdate(StrictModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"description": "Payments (EU)", "retention_days": 7}]},
    )

    description: Description | None = None
    retention_days: int | None = Field(None, ge=0, le=3650)


class NamespaceResponse(ResponseModel):
    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "id": "5f0c6c1e-8a0b-4f55-9d2e-6f7f1f0d9a11",
                    "name": "payments",
                    "description": "Payment workflows",
                    "retention_days": 30,
                    "state": "registered",
                    "created_at": "2026-01-01T00:00:00.000000Z",
                    "updated_at": "2026-01-01T00:00:00.000000Z",
                }
            ]
        },
    )

    id: str
    name: str
    description: str
    retention_days: int
    state: Literal["registered", "deleted"]
    created_at: datetime
    updated_at: datetime


class NamespaceListResponse(ResponseModel):
    namespaces: list[NamespaceResponse]
    next_page_token: str | None = None
