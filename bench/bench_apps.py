"""Workflows of the benchmark, and its worker process
(``python bench_apps.py ADDRESS [--no-sticky] [--no-eager]``)."""

from __future__ import annotations

import asyncio
import signal
import sys
from datetime import timedelta

from odin import activity, workflow
from odin.client import Client
from odin.worker import Worker

TASK_QUEUE = "bench"


@activity.defn
async def noop(n: int) -> int:
    return n


@workflow.defn
class OneActivity:
    @workflow.run
    async def run(self, n: int) -> int:
        return int(
            await workflow.execute_activity(noop, n, start_to_close_timeout=timedelta(seconds=30))
        )


@workflow.defn
class TenActivities:
    @workflow.run
    async def run(self, n: int) -> int:
        total = 0
        for i in range(10):
            total += await workflow.execute_activity(
                noop, i, start_to_close_timeout=timedelta(seconds=30)
            )
        return total + n


async def serve(address: str, sticky: bool, eager: bool) -> None:
    client = await Client.connect(address)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with Worker(
        client,
        task_queue=TASK_QUEUE,
        workflows=[OneActivity, TenActivities],
        activities=[noop],
        max_concurrent_workflow_tasks=200,
        max_concurrent_activities=200,
        max_workflow_pollers=16,
        max_activity_pollers=16,
        max_cached_workflows=10000 if sticky else 0,
        disable_eager_activity_execution=not eager,
    ):
        await stop.wait()
    await client.close()


if __name__ == "__main__":
    asyncio.run(
        serve(sys.argv[1], sticky="--no-sticky" not in sys.argv, eager="--no-eager" not in sys.argv)
    )
