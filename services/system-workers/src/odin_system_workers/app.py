"""The system-workers app: operations endpoints and the task reconciler loop."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

import structlog
from fastapi import FastAPI
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from odin_common.clients import MatchingClient, new_session
from odin_common.clock import Clock, SystemClock
from odin_common.db.engine import create_engine
from odin_common.db.migrate import SchemaBehind, ensure_current
from odin_common.errors import Unavailable
from odin_common.service import create_service_app
from odin_common.tasks import stop_tasks
from odin_system_workers.routers import reconciler as reconciler_routes
from odin_system_workers.settings import SystemWorkersSettings
from odin_system_workers.store.executions import RunningExecutionPages
from odin_system_workers.usecases.readiness import check_ready
from odin_system_workers.usecases.reconcile import Reconciler

log = structlog.get_logger("odin.system_workers")

DESCRIPTION = """Background jobs that are not per-shard. Today: the task reconciler, which
queues again every task history believes is scheduled but that no queue holds any more
(what makes losing Redis harmless). Operations endpoints only; nothing here is public."""


async def _ensure_schema(engine: AsyncEngine) -> None:
    try:
        await ensure_current(engine)
    except SchemaBehind as exc:
        log.error("database schema is behind; not starting", detail=exc.detail)
        raise
    except (SQLAlchemyError, OSError) as exc:
        raise Unavailable(f"cannot check the database schema: {exc}") from exc


def create_app(
    settings: SystemWorkersSettings | None = None, *, clock: Clock | None = None
) -> FastAPI:
    settings = settings or SystemWorkersSettings()
    the_clock: Clock = clock or SystemClock()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.db_connection, pool_size=settings.db_pool_size)
        try:
            await _ensure_schema(engine)
        except BaseException:
            await engine.dispose()
            raise
        session = new_session(limit=64)
        matching = MatchingClient(
            session, settings.matching_url, timeout=settings.internal_timeout_seconds
        )
        reconciler = Reconciler(
            RunningExecutionPages(engine),
            matching,
            the_clock,
            interval=timedelta(seconds=settings.reconciler_interval_seconds),
            min_age=timedelta(seconds=settings.reconciler_min_age_seconds),
            page_size=settings.reconciler_page_size,
            batch_size=settings.reconciler_batch_size,
        )
        app.state.engine = engine
        app.state.matching = matching
        app.state.reconciler = reconciler
        loop_task: asyncio.Task[None] | None = None
        if settings.reconciler_enabled:
            loop_task = asyncio.create_task(reconciler.run_forever(), name="odin-reconciler")
        app.state.reconciler_task = loop_task
        try:
            yield
        finally:
            await stop_tasks(loop_task)
            await session.close()
            await engine.dispose()

    async def readiness() -> dict[str, str]:
        return await check_ready(
            app.state.engine, app.state.matching, settings.readiness_timeout_seconds
        )

    app = create_service_app(
        service="system-workers",
        settings=settings,
        lifespan=lifespan,
        readiness=readiness,
        title="Odin system workers",
        description=DESCRIPTION,
        capabilities=["reconciler"],
        openapi_tags=[
            {"name": "operations", "description": "Health, readiness, metrics, version."},
            {"name": "reconciler", "description": "The task reconciler."},
        ],
    )
    app.include_router(reconciler_routes.router)
    return app
