"""The history service app: shards, mutable state, event history, transfer and timer queues."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from odin_common.clients import HistoryClient, MatchingClient, new_session
from odin_common.clock import Clock, SystemClock
from odin_common.db.engine import create_engine, ping
from odin_common.db.migrate import ensure_current
from odin_common.errors import Unavailable
from odin_common.service import create_service_app
from odin_history.engine.cache import ExecutionCache
from odin_history.engine.context import HistoryContext
from odin_history.engine.namespaces import NamespaceRegistry
from odin_history.engine.notifier import Notifier
from odin_history.engine.shards import ShardController
from odin_history.engine.timers import TimerProcessor
from odin_history.engine.transfer import TransferProcessor
from odin_history.engine.workflows import WorkflowEngine
from odin_history.routers import internal, namespaces, worker, workflows
from odin_history.settings import HistorySettings
from odin_history.usecases.timers import fire_timer
from odin_history.usecases.transfer_tasks import run_transfer_task

DESCRIPTION = """\
Odin's history service: it owns shards of workflows, their mutable state and event history,
and the transfer and timer queues. The frontend forwards the public workflow and namespace
calls here (same paths); matching records tasks as started through `/internal/...`.
"""


def create_app(settings: HistorySettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or HistorySettings()
    clock = clock or SystemClock()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = create_engine(
            settings.db_connection, pool_size=settings.db_pool_size, single_writer=True
        )
        http = new_session()
        try:
            await ensure_current(db)
            matching = MatchingClient(http, settings.matching_url, timeout=30)
            shards = ShardController(
                db,
                clock,
                shard_count=settings.shard_count,
                member_id=settings.own_member_id,
                address=settings.own_url,
                lease_seconds=settings.shard_lease_seconds,
            )
            history = HistoryClient(
                http,
                settings.own_url,
                settings.shard_count,
                timeout=settings.internal_timeout_seconds,
            )
            cache = ExecutionCache(settings.cache_size)
            notifier = Notifier()

            async def cross_workflow(task_type: str, payload: dict[str, Any]) -> None:
                await run_transfer_task(history, task_type, payload)

            transfer = TransferProcessor(
                db,
                matching,
                shards,
                clock,
                handle=cross_workflow,
                workers=settings.transfer_workers,
                scan_interval=settings.transfer_scan_interval_seconds,
            )
            engine = WorkflowEngine(db, clock, shards, cache, transfer, None, notifier)
            ctx = HistoryContext(
                settings,
                db,
                clock,
                NamespaceRegistry(db),
                shards,
                engine,
                notifier,
                matching,
                history,
            )

            async def fire(row: dict[str, object]) -> None:
                await fire_timer(ctx, row)

            timers = TimerProcessor(
                db, shards, clock, fire, lookahead=settings.timer_lookahead_seconds
            )
            engine.timers = timers
            shards.on_lost(cache.evict_shards)

            def acquired(_: set[int]) -> None:
                transfer.scan_now()
                timers.reload_soon()

            shards.on_acquired(acquired)
            app.state.ctx = ctx
            transfer.start()
            timers.start()
            await shards.start()
            try:
                yield
            finally:
                await timers.stop()
                await transfer.stop()
                await shards.stop()
        finally:
            await http.close()
            await db.dispose()

    async def readiness() -> dict[str, str]:
        ctx: HistoryContext = app.state.ctx
        await ping(ctx.db)
        if not ctx.shards.owned:
            raise Unavailable("this history process owns no shards yet")
        return {"database": "ok", "shards": str(len(ctx.shards.owned))}

    app = create_service_app(
        service="history",
        settings=settings,
        lifespan=lifespan,
        readiness=readiness,
        title="Odin history",
        description=DESCRIPTION,
        capabilities=[
            "workflows",
            "activities",
            "timers",
            "signals",
            "queries",
            "cancellation",
            "child_workflows",
            "continue_as_new",
            "cron",
            "retries",
            "sticky_execution",
        ],
    )
    for router in (namespaces.router, workflows.router, worker.router, internal.router):
        app.include_router(router)
    return app
