"""The matching app: task queues on Redis Streams (or in process), worker long polls, and the
rendezvous of queries with their answers."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
from collections.abc import AsyncIterator

from fastapi import FastAPI

from odin_common.clients import HistoryClient, new_session
from odin_common.clock import SystemClock
from odin_common.redis_keys import RedisKeys
from odin_common.service import create_service_app
from odin_common.tasks import stop_tasks
from odin_matching.routers import internal, query_tasks, task_queues
from odin_matching.settings import MatchingSettings
from odin_matching.store.base import TaskStore
from odin_matching.store.memory_store import InMemoryTaskStore
from odin_matching.store.redis_store import RedisTaskStore
from odin_matching.usecases.context import Matching
from odin_matching.usecases.reclaim import run_reclaim_loop


def build_store(settings: MatchingSettings) -> TaskStore:
    """Redis when ``redis_url`` is set, else the in-process store (single process only)."""
    if settings.redis_url is None:
        return InMemoryTaskStore(poller_ttl_seconds=settings.poller_ttl_seconds)
    return RedisTaskStore(
        settings.redis_url,
        RedisKeys(settings.redis_key_prefix),
        max_block_seconds=settings.poll_slice_seconds,
        blocking_connections=settings.redis_blocking_connections,
        command_connections=settings.redis_command_connections,
        answer_wait_connections=settings.redis_query_wait_connections,
        poller_ttl_seconds=settings.poller_ttl_seconds,
        poller_record_interval_seconds=settings.poller_record_interval_seconds,
    )


def consumer_name() -> str:
    """This process's name in the consumer group: unique per start."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def create_app(settings: MatchingSettings | None = None) -> FastAPI:
    settings = settings or MatchingSettings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = build_store(settings)
        session = new_session()
        history = HistoryClient(
            session,
            settings.history_url,
            settings.shard_count,
            timeout=settings.history_call_timeout_seconds,
        )
        app.state.matching = Matching(
            store=store,
            history=history,
            clock=SystemClock(),
            consumer=consumer_name(),
            poll_slice_seconds=settings.poll_slice_seconds,
            history_call_timeout_seconds=settings.history_call_timeout_seconds,
            history_retry_backoff_seconds=settings.history_retry_backoff_seconds,
        )
        reclaimer = asyncio.create_task(
            run_reclaim_loop(
                store, settings.reclaim_interval_seconds, settings.reclaim_idle_seconds
            ),
            name="matching-reclaim",
        )
        try:
            yield
        finally:
            app.state.matching.stopping = True
            await stop_tasks(reclaimer)
            await session.close()
            await store.close()

    async def readiness() -> dict[str, str]:
        matching: Matching = app.state.matching
        return await matching.store.check_ready()

    app = create_service_app(
        service="matching",
        settings=settings,
        lifespan=lifespan,
        readiness=readiness,
        title="Odin matching",
        description="Task queues on Redis Streams, worker long polls and query tasks "
        "(internal service).",
        capabilities=["long-poll", "redis-streams" if settings.redis_url else "in-memory-queues"],
        openapi_tags=[
            {"name": "task queues", "description": "Worker long polls and queue descriptions."},
            {"name": "query tasks", "description": "Workers answer the queries they polled."},
            {"name": "internal", "description": "Called by history and the reconciler."},
            {"name": "operations", "description": "Health, readiness, metrics, version."},
        ],
    )
    app.include_router(task_queues.router)
    app.include_router(query_tasks.router)
    app.include_router(internal.router)
    return app
