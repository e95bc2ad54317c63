"""The SDK's HTTP layer: JSON over HTTP to the frontend, problem+json mapped to exceptions,
and retries where a retry cannot do harm (the server is restarting, a connection dropped).

aiohttp rather than httpx: a worker keeps dozens of long polls open while it completes tasks,
and httpx's connection pool scans every connection on every request (it was 70% of a
worker's CPU in the benchmark); ARCHITECTURE.md, "Performance notes", has the measurements.
"""

from __future__ import annotations

import asyncio
import json as _json
import random
import ssl
import time
from dataclasses import dataclass
from typing import Any

import aiohttp

from odin.exceptions import RPCError, WorkflowAlreadyStartedError

RETRYABLE_CODES = frozenset({"unavailable", "shard_not_owned", "rate_limited"})


@dataclass(frozen=True, slots=True)
class Response:
    status_code: int
    content: bytes

    def json(self) -> Any:
        return _json.loads(self.content) if self.content else None

    @property
    def text(self) -> str:
        return self.content.decode(errors="replace")


def error_from_response(resp: Response) -> RPCError:
    try:
        doc = resp.json()
    except ValueError:
        doc = {}
    if not isinstance(doc, dict):
        doc = {}
    code = str(
        doc.get("code") or ("unavailable" if resp.status_code >= 500 else "invalid_argument")
    )
    message = str(
        doc.get("detail") or doc.get("title") or resp.text[:300] or f"HTTP {resp.status_code}"
    )
    if code == "workflow_already_started":
        return WorkflowAlreadyStartedError(
            message,
            workflow_id=str(doc.get("workflow_id", "")),
            run_id=doc.get("run_id"),
            status=resp.status_code,
        )
    return RPCError(message, code=code, status=resp.status_code, details=doc)


class Transport:
    """JSON over HTTP to the frontend (one connection pool per Client)."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        tls: bool | ssl.SSLContext | None = None,
        retry_for: float = 30.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.retry_for = retry_for
        self._headers = {"user-agent": "odin-python-sdk/0.1", "accept": "application/json"}
        if api_key:
            self._headers["authorization"] = f"Bearer {api_key}"
        self._ssl: bool | ssl.SSLContext = True if tls is None else tls
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0, ssl=self._ssl, keepalive_timeout=60),
                headers=self._headers,
                timeout=aiohttp.ClientTimeout(total=30, sock_connect=10),
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        timeout: float | None = None,
        retry: bool = True,
        ok_statuses: tuple[int, ...] = (),
    ) -> Response:
        """Send a request; raise :class:`RPCError` for an error answer.

        With ``retry`` (the default), connection failures and ``unavailable`` answers are
        retried with backoff for up to ``retry_for`` seconds; use it for calls that are safe
        to repeat (reads, calls with a request id, task completions)."""
        deadline = time.monotonic() + self.retry_for
        delay = 0.1
        query = {k: str(v) for k, v in (params or {}).items() if v is not None}
        body = None if json is None else _json.dumps(json, separators=(",", ":")).encode()
        headers = {"content-type": "application/json"} if body is not None else None
        while True:
            try:
                async with self._client().request(
                    method,
                    self.base_url + path,
                    data=body,
                    params=query or None,
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=timeout or 30, sock_connect=10),
                ) as raw:
                    resp = Response(raw.status, await raw.read())
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                if not retry or time.monotonic() + delay > deadline:
                    raise RPCError(
                        f"cannot reach {self.base_url}: {exc!r}", code="unavailable", status=0
                    ) from exc
            else:
                if resp.status_code < 400 or resp.status_code in ok_statuses:
                    return resp
                error = error_from_response(resp)
                if (
                    not retry
                    or error.code not in RETRYABLE_CODES
                    or time.monotonic() + delay > deadline
                ):
                    raise error
            await asyncio.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 2.0)
