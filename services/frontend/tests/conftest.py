"""The frontend under test and the fake peers it talks to.

``FakePeer`` is a small aiohttp app on a free port standing in for a history or matching
process: it records every request it receives (method, raw path, raw query string, body) and
answers what the test told it to (by default a 200 naming itself). It also serves
``/healthz`` and, when given a shard map, ``/internal/cluster/shards``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp.web
import httpx
import orjson
import pytest
import uvicorn
from aiohttp.test_utils import TestServer
from fastapi import FastAPI

from odin_common import errors
from odin_common.testing import assert_eventually, free_port
from odin_frontend.app import create_app
from odin_frontend.settings import FrontendSettings


@dataclass
class Received:
    method: str
    path: str
    query: str
    body: bytes
    content_type: str | None

    @property
    def target(self) -> str:
        return f"{self.path}?{self.query}" if self.query else self.path


@dataclass
class Canned:
    status: int
    body: bytes
    content_type: str = "application/json"
    delay: float = 0.0
    hold: bool = False


@dataclass
class FakePeer:
    name: str
    received: list[Received] = field(default_factory=list)
    cancelled: list[Received] = field(default_factory=list)
    shard_map: dict[str, Any] | None = None
    shard_map_requests: int = 0
    healthy: bool = True
    url: str = ""
    _canned: dict[tuple[str, str], list[Canned]] = field(default_factory=dict)
    _released: asyncio.Event = field(default_factory=asyncio.Event)

    def answer(
        self,
        method: str,
        path: str,
        status: int = 200,
        body: Any = None,
        *,
        raw: bytes | None = None,
        content_type: str = "application/json",
        delay: float = 0.0,
        hold: bool = False,
    ) -> None:
        """Answer ``method path`` with ``status`` and ``body`` (JSON) or ``raw`` bytes.

        Several answers for the same request are given in order; the last one repeats.
        ``hold`` keeps the request open until :meth:`release` (or the caller goes away).
        """
        data = raw if raw is not None else (b"" if body is None else orjson.dumps(body))
        self._canned.setdefault((method, path), []).append(
            Canned(status, data, content_type, delay, hold)
        )

    def fail(self, method: str, path: str, error: errors.OdinError) -> None:
        """Answer with ``error``'s problem document, as the real services do."""
        self.answer(
            method,
            path,
            error.status,
            raw=orjson.dumps(error.to_problem()),
            content_type="application/problem+json",
        )

    def forget(self, method: str, path: str) -> None:
        """Drop the answers given for ``method path``."""
        self._canned.pop((method, path), None)

    def release(self) -> None:
        self._released.set()

    def paths(self) -> list[str]:
        return [r.target for r in self.received]

    async def handle(self, request: aiohttp.web.Request) -> aiohttp.web.StreamResponse:
        if request.path == "/healthz":
            if not self.healthy:
                return aiohttp.web.json_response({"status": "down"}, status=503)
            return aiohttp.web.json_response({"status": "ok", "service": self.name})
        if request.path == "/internal/cluster/shards":
            self.shard_map_requests += 1
            if self.shard_map is None:
                return aiohttp.web.json_response({"code": "not_found"}, status=404)
            return aiohttp.web.json_response(self.shard_map)
        body = await request.read()
        path, _, query = request.raw_path.partition("?")
        got = Received(
            method=request.method,
            path=path,
            query=query,
            body=body,
            content_type=request.headers.get("content-type"),
        )
        self.received.append(got)
        answers = self._canned.get((request.method, got.path))
        if not answers:
            return aiohttp.web.json_response(
                {"peer": self.name, "method": request.method, "path": got.path}
            )
        canned = answers.pop(0) if len(answers) > 1 else answers[0]
        try:
            if canned.hold:
                await self._released.wait()
            if canned.delay:
                await asyncio.sleep(canned.delay)
        except asyncio.CancelledError:
            self.cancelled.append(got)
            raise
        return aiohttp.web.Response(
            status=canned.status,
            body=canned.body or None,
            headers={"content-type": canned.content_type} if canned.body else None,
        )


async def _serve(peer: FakePeer) -> AsyncIterator[FakePeer]:
    app = aiohttp.web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_route("*", "/{tail:.*}", peer.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    peer.url = str(server.make_url("")).rstrip("/")
    try:
        yield peer
    finally:
        peer.release()
        await server.close()


@pytest.fixture
async def history() -> AsyncIterator[FakePeer]:
    async for peer in _serve(FakePeer("history")):
        yield peer


@pytest.fixture
async def history2() -> AsyncIterator[FakePeer]:
    async for peer in _serve(FakePeer("history2")):
        yield peer


@pytest.fixture
async def matching() -> AsyncIterator[FakePeer]:
    async for peer in _serve(FakePeer("matching")):
        yield peer


@dataclass
class Frontend:
    app: FastAPI
    client: httpx.AsyncClient


SHARD_COUNT = 8


def frontend_settings(history: FakePeer, matching: FakePeer, **overrides: Any) -> FrontendSettings:
    values: dict[str, Any] = {
        "history_url": history.url,
        "matching_url": matching.url,
        "shard_count": SHARD_COUNT,
        "max_payload_bytes": 4096,
        **overrides,
    }
    return FrontendSettings(**values)


@pytest.fixture
def make_frontend(
    history: FakePeer, matching: FakePeer
) -> Callable[..., contextlib.AbstractAsyncContextManager[Frontend]]:
    """``async with make_frontend(**settings) as fe``: the app in-process, via ASGI."""

    @contextlib.asynccontextmanager
    async def make(**overrides: Any) -> AsyncIterator[Frontend]:
        app = create_app(frontend_settings(history, matching, **overrides))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://frontend") as c:
                yield Frontend(app, c)

    return make


@pytest.fixture
async def frontend(
    make_frontend: Callable[..., contextlib.AbstractAsyncContextManager[Frontend]],
) -> AsyncIterator[Frontend]:
    async with make_frontend() as fe:
        yield fe


@pytest.fixture
def client(frontend: Frontend) -> httpx.AsyncClient:
    return frontend.client


class _QuietServer(uvicorn.Server):
    def capture_signals(self) -> contextlib.AbstractContextManager[None]:  # type: ignore[override]
        return contextlib.nullcontext()


@pytest.fixture
async def served_frontend(history: FakePeer, matching: FakePeer) -> AsyncIterator[str]:
    """The frontend behind a real uvicorn server on a free port; yields its base URL."""
    port = free_port()
    app = create_app(frontend_settings(history, matching))
    server = _QuietServer(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, http="httptools")
    )
    task = asyncio.create_task(server.serve())

    def started() -> None:
        assert server.started

    await assert_eventually(started, timeout=10)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture
def nothing_forwarded(history: FakePeer, matching: FakePeer) -> Iterator[None]:
    """Asserts, after the test, that no peer received a request."""
    yield
    assert history.received == []
    assert matching.received == []
