"""The background loop that puts back tasks a crashed matching process left delivered."""

from __future__ import annotations

import asyncio

import structlog

from odin_common.tasks import raise_if_cancelled
from odin_matching.store.base import TaskStore

log = structlog.get_logger("odin.matching.reclaim")


async def reclaim_once(store: TaskStore, idle_seconds: float) -> int:
    reclaimed = await store.reclaim(idle_seconds)
    if reclaimed:
        log.info("requeued tasks left behind by a stopped poll", count=reclaimed)
    return reclaimed


async def run_reclaim_loop(store: TaskStore, interval_seconds: float, idle_seconds: float) -> None:
    """Every ``interval_seconds``, requeue entries idle longer than ``idle_seconds``. Runs
    until cancelled; a failed pass (Redis down) is logged and retried at the next tick."""
    while True:
        await asyncio.sleep(interval_seconds)
        try:
            await reclaim_once(store, idle_seconds)
        except Exception as exc:
            raise_if_cancelled()
            log.warning("reclaim pass failed", error=repr(exc))
