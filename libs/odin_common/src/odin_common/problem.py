"""One place that turns errors into ``application/problem+json`` (RFC 9457), and the request
body limit. Every service installs both with :func:`install_error_handling`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import structlog
from fastapi import FastAPI
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response

from odin_common import errors
from odin_common.jsonutil import dumps, loads

log = structlog.get_logger("odin.errors")

PROBLEM_JSON = "application/problem+json"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def problem_response(error: errors.OdinError) -> Response:
    headers = {}
    if isinstance(error, errors.RateLimited | errors.Unavailable):
        headers["retry-after"] = "1"
    return Response(
        content=dumps(error.to_problem()),
        status_code=error.status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        out.append(
            {
                "loc": [str(part) for part in err.get("loc", ())],
                "msg": str(err.get("msg", "")),
                "type": str(err.get("type", "")),
            }
        )
    return jsonable_encoder(out)  # type: ignore[no-any-return]


def _describe(errs: list[dict[str, Any]]) -> str:
    if not errs:
        return "the request is invalid"
    first = errs[0]
    where = ".".join(part for part in first["loc"] if part not in {"body"}) or "body"
    more = f" (and {len(errs) - 1} more)" if len(errs) > 1 else ""
    return f"{where}: {first['msg']}{more}"


async def _odin_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, errors.OdinError)
    return problem_response(exc)


async def _validation_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errs = _validation_errors(exc)
    return problem_response(errors.InvalidArgument(_describe(errs), errors=errs))


async def _http_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    error: errors.OdinError
    if exc.status_code == 404:
        error = errors.ResourceNotFound(exc.detail if exc.detail != "Not Found" else "no such path")
    elif exc.status_code == 405:
        error = errors.MethodNotAllowed("this method is not allowed on this path")
    elif exc.status_code == 413:
        error = errors.PayloadTooLarge(str(exc.detail))
    elif 400 <= exc.status_code < 500:
        error = errors.InvalidArgument(str(exc.detail))
    else:
        error = errors.Unavailable(str(exc.detail))
    return problem_response(error)


def _is_unavailable(exc: BaseException) -> bool:
    """Errors that mean a dependency (database, Redis, a peer) is down, not a bug."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    return bool(
        names
        & {
            "OperationalError",
            "InterfaceError",
            "ConnectionError",
            "TimeoutError",
            "ClientConnectionError",
            "ServerDisconnectedError",
            "OSError",
        }
    )


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    if _is_unavailable(exc):
        log.warning("dependency unavailable", path=request.url.path, error=repr(exc))
        response = problem_response(errors.Unavailable(f"a dependency is unavailable: {exc!r}"))
    else:
        log.exception("unhandled error", path=request.url.path, exc_info=exc)
        response = problem_response(
            errors.InternalError("an unexpected error happened; it was logged")
        )
    # Starlette raises the exception again after this response and uvicorn then closes the
    # connection: saying so keeps a client's pool (a peer service's) from sending its next
    # request down the closed connection.
    response.headers["connection"] = "close"
    return response


class BodyLimitMiddleware:
    """Refuses request bodies larger than ``max_bytes`` with 413 before the app sees them.

    The body is read up front (it is small by construction), then replayed to the app; later
    ``receive`` calls go to the server, so the app still learns of a client disconnect.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in {"GET", "HEAD", "OPTIONS", "DELETE"}:
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if _non_standard_json(body):
            response = problem_response(
                errors.InvalidArgument(
                    "the body is not standard JSON: NaN and Infinity are not JSON numbers"
                )
            )
            await response(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(
            errors.PayloadTooLarge(
                f"the request body is larger than the limit of {self.max_bytes} bytes",
                limit_bytes=self.max_bytes,
            )
        )
        await response(scope, receive, send)


def _non_standard_json(body: bytes) -> bool:
    """Python's JSON parser (the one FastAPI uses) accepts NaN and Infinity, which are not
    JSON and would be stored as null. A quick look for the words first; only a body that has
    them is parsed again, strictly (they may sit inside a string)."""
    if b"NaN" not in body and b"Infinity" not in body:
        return False
    try:
        loads(body)
    except ValueError:
        try:
            json.loads(body)  # not JSON at all: the app's own parser says so
        except ValueError:
            return False
        return True
    return False


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def install_error_handling(app: FastAPI, max_body_bytes: int) -> None:
    app.add_exception_handler(errors.OdinError, _odin_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
    app.add_middleware(BodyLimitMiddleware, max_bytes=max_body_bytes)


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "Invalid input (`invalid_argument`, ...)", "content": {PROBLEM_JSON: {}}},
    404: {"description": "Not found (`namespace_not_found`, ...)", "content": {PROBLEM_JSON: {}}},
    413: {"description": "Payload too large (`payload_too_large`)", "content": {PROBLEM_JSON: {}}},
    503: {
        "description": "A dependency is unavailable (`unavailable`)",
        "content": {PROBLEM_JSON: {}},
    },
}
"""Error responses to document on every route (``responses=`` of a router)."""
