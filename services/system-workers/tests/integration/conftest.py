"""A fake matching server, the databases to test on, and the app running in-process."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from fastapi import FastAPI

from odin_common.api.internal import AddTasksRequest, DispatchTask
from odin_common.clock import ManualClock
from odin_common.db.engine import create_engine
from odin_common.db.schema import executions
from odin_common.hashing import shard_for
from odin_common.state import ExecutionState
from odin_system_workers.app import create_app
from odin_system_workers.settings import SystemWorkersSettings

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
"""The time of the reconciler's clock (the same as the state builders' ``now``)."""


class FakeMatching:
    """Records ``POST /internal/tasks``. Like matching, a task already queued is not queued
    (nor counted) again. ``fail_adds`` makes the next adds answer 503 (an outage)."""

    def __init__(self) -> None:
        self.url = ""
        self.requests: list[list[DispatchTask]] = []
        self.queued: dict[str, DispatchTask] = {}
        self.fail_adds = 0
        self.failed_adds = 0
        self.healthy = True

    @property
    def sent(self) -> list[DispatchTask]:
        return [task for request in self.requests for task in request]

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/internal/tasks", self._add)
        app.router.add_get("/healthz", self._healthz)
        return app

    async def _add(self, request: web.Request) -> web.Response:
        body = AddTasksRequest.model_validate(await request.json())
        if self.fail_adds:
            self.fail_adds -= 1
            self.failed_adds += 1
            return _problem(503, "unavailable", "matching is restarting")
        self.requests.append(body.tasks)
        added = 0
        for task in body.tasks:
            if task.dedup_key() not in self.queued:
                self.queued[task.dedup_key()] = task
                added += 1
        return web.json_response({"added": added})

    async def _healthz(self, _: web.Request) -> web.Response:
        if not self.healthy:
            return _problem(503, "unavailable", "matching cannot reach Redis")
        return web.json_response({"status": "ok", "service": "matching"})


def _problem(status: int, code: str, detail: str) -> web.Response:
    doc: dict[str, Any] = {
        "type": f"https://odin.dev/problems/{code}",
        "title": "Service unavailable",
        "status": status,
        "detail": detail,
        "code": code,
    }
    return web.json_response(doc, status=status, content_type="application/problem+json")


@pytest.fixture
async def matching() -> AsyncIterator[FakeMatching]:
    fake = FakeMatching()
    server = TestServer(fake.app(), host="127.0.0.1")
    await server.start_server()
    fake.url = str(server.make_url("")).rstrip("/")
    try:
        yield fake
    finally:
        await server.close()


@pytest.fixture(params=["postgresql", "sqlite"])
def db_url(request: pytest.FixtureRequest) -> str:
    """Each test that uses it runs on a fresh migrated PostgreSQL database and SQLite file."""
    return str(request.getfixturevalue("pg_url" if request.param == "postgresql" else "sqlite_url"))


def execution_row(state: ExecutionState) -> dict[str, Any]:
    """The ``executions`` row history writes for ``state``."""
    return {
        "namespace_id": state.namespace_id,
        "workflow_id": state.workflow_id,
        "run_id": state.run_id,
        "shard_id": shard_for(state.namespace, state.workflow_id, 512),
        "status": state.status,
        "workflow_type": state.workflow_type,
        "task_queue": state.task_queue,
        "start_time": state.start_time,
        "close_time": state.close_time,
        "next_event_id": state.next_event_id,
        "db_version": 1,
        "state": state.model_dump(mode="json"),
    }


@dataclass
class Harness:
    """A database, a fake matching, a clock at the tests' ``NOW``, and the app over them."""

    db_url: str
    matching: FakeMatching
    clock: ManualClock = field(default_factory=lambda: ManualClock(NOW))

    async def insert(self, runs: list[ExecutionState]) -> None:
        engine = create_engine(self.db_url, pool_size=1)
        try:
            async with engine.begin() as conn:
                await conn.execute(executions.insert(), [execution_row(s) for s in runs])
        finally:
            await engine.dispose()

    def settings(self, **overrides: Any) -> SystemWorkersSettings:
        values: dict[str, Any] = {
            "db_connection": self.db_url,
            "matching_url": self.matching.url,
            "reconciler_enabled": False,
            "reconciler_min_age_seconds": 5,
        }
        values.update(overrides)
        return SystemWorkersSettings(**values)

    @contextlib.asynccontextmanager
    async def app(self, **overrides: Any) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
        app = create_app(self.settings(**overrides), clock=self.clock)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://sw") as client:
                yield app, client


@pytest.fixture
def harness(db_url: str, matching: FakeMatching) -> Harness:
    return Harness(db_url, matching)
