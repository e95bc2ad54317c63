"""Fixtures for history tests: the app on a real database (PostgreSQL and SQLite), with a
fake matching."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn
from aiohttp import web
from aiohttp.test_utils import TestServer
from history_testkit import FakeMatching, HistoryDriver

from odin_common.clock import SystemClock
from odin_history.app import create_app
from odin_history.settings import HistorySettings


@pytest.fixture
async def fake_matching() -> AsyncIterator[tuple[FakeMatching, str]]:
    fake = FakeMatching()
    app = web.Application()
    app.router.add_post("/internal/tasks", fake.handle)
    app.router.add_post("/internal/queries", fake.handle_query)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield fake, str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


@pytest.fixture(params=["postgresql", "sqlite"])
def db_url(request: pytest.FixtureRequest) -> str:
    fixture = "pg_url" if request.param == "postgresql" else "sqlite_url"
    return str(request.getfixturevalue(fixture))


@pytest.fixture
async def history(
    db_url: str, fake_matching: tuple[FakeMatching, str]
) -> AsyncIterator[HistoryDriver]:
    """History served over real HTTP (it calls itself for cross-workflow work)."""
    fake, url = fake_matching
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = HistorySettings(
        db_connection=db_url,
        matching_url=url,
        advertise_url=base_url,
        shard_count=8,
        transfer_scan_interval_seconds=0.5,
        timer_lookahead_seconds=5,
        query_timeout_seconds=2,
    )
    app = create_app(settings, clock=SystemClock())
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="on"))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if serving.done():
            serving.result()
        await asyncio.sleep(0.01)
    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            yield HistoryDriver(client, fake, app)
    finally:
        app.state.ctx.notifier.close()
        server.should_exit = True
        await serving
