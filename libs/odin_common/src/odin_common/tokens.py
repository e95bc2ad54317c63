"""Task tokens: what a worker hands back to complete, fail or heartbeat a task.

A token is ``base64url(json)`` of :class:`TaskToken` without padding. It names the task
exactly (namespace, workflow, run, scheduled event, attempt), so history can refuse a
duplicate or stale completion (invariant 2). Tokens are opaque to workers; anything that does
not decode to a valid token is answered with ``task_token_invalid``.
"""

from __future__ import annotations

import base64
import binascii
from typing import Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from odin_common.errors import TaskTokenInvalid

TOKEN_VERSION: Literal[1] = 1


class TaskToken(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    v: Literal[1] = TOKEN_VERSION
    kind: Literal["workflow", "activity", "query"]
    namespace: str = Field(min_length=1, max_length=255)
    workflow_id: str = Field(min_length=1, max_length=1000)
    run_id: str = Field(min_length=1, max_length=64)
    scheduled_event_id: int = Field(ge=0)
    attempt: int = Field(ge=1)
    activity_id: str | None = None
    query_id: str | None = None

    def encode(self) -> str:
        raw = orjson.dumps(self.model_dump(exclude_none=True))
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")

    @classmethod
    def decode(cls, text: str, *, namespace: str | None = None) -> TaskToken:
        """Decode ``text``; with ``namespace``, also check the token belongs to it."""
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            token = cls.model_validate(orjson.loads(raw))
        except (binascii.Error, ValueError, ValidationError, orjson.JSONDecodeError) as exc:
            raise TaskTokenInvalid("the task token is malformed") from exc
        if namespace is not None and token.namespace != namespace:
            raise TaskTokenInvalid(
                f"the task token belongs to namespace {token.namespace!r}, not {namespace!r}"
            )
        return token
