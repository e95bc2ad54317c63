"""Fast JSON in and out (orjson), and the response class every service uses."""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import BaseModel
from starlette.responses import JSONResponse

_OPTS = orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS


def _default(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(value: Any) -> bytes:
    return orjson.dumps(value, default=_default, option=_OPTS)


def dumps_str(value: Any) -> str:
    return dumps(value).decode()


def loads(data: bytes | bytearray | memoryview | str) -> Any:
    return orjson.loads(data)


class OrjsonResponse(JSONResponse):
    """``application/json`` rendered with orjson (RFC 3339 times with a ``Z``)."""

    def render(self, content: Any) -> bytes:
        return dumps(content)


class RawJsonResponse(JSONResponse):
    """A response whose body is already JSON bytes (passed through from a peer service)."""

    def __init__(self, body: bytes, status_code: int = 200) -> None:
        super().__init__(content=None, status_code=status_code)
        self.body = body
        self.headers["content-length"] = str(len(body))

    def render(self, content: Any) -> bytes:
        return b""
