"""Matching served by uvicorn on a free port, as workers and history reach it."""

from __future__ import annotations

import asyncio
import fcntl
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI

from odin_common.testing import assert_eventually, free_port

FLUSH_DB_URL = "redis://127.0.0.1:6379/9"
"""The logical database of the tests that flush Redis (never DB 0, which other tests share)."""

ServeApp = Callable[[FastAPI], AbstractAsyncContextManager[str]]


@asynccontextmanager
async def _serve(app: FastAPI) -> AsyncIterator[str]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
    )
    running = asyncio.create_task(server.serve())

    def started() -> None:
        assert server.started or running.done()

    await assert_eventually(started)
    if running.done():
        running.result()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await running


@pytest.fixture
def serve() -> ServeApp:
    """``async with serve(app) as base_url``: the app served over real HTTP."""
    return _serve


@pytest.fixture
def flushable_redis_url() -> Iterator[str]:
    """A Redis database this test may FLUSHDB. The tests that flush it take turns (a file
    lock, so they also take turns across xdist workers)."""
    with (Path(tempfile.gettempdir()) / "odin-matching-redis-db9.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield FLUSH_DB_URL
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
