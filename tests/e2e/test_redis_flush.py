"""Redis loses everything (FLUSHALL) while 50 workflows run: all complete (invariant 1)."""

import asyncio

import redis.asyncio as aioredis
from e2e_apps import ACTIVITIES, WORKFLOWS, Pipeline

from odin.client import Client
from odin.worker import Worker
from odin_common.testing import assert_eventually
from odin_devserver.cluster import ProcessCluster


async def test_redis_flushall_loses_nothing(cluster: ProcessCluster) -> None:
    assert cluster.redis_url is not None
    admin = aioredis.Redis.from_url(cluster.redis_url)
    client = await Client.connect(cluster.frontend_url)
    async with Worker(client, task_queue="pipeline", workflows=WORKFLOWS, activities=ACTIVITIES):
        handles = await asyncio.gather(
            *(
                client.start_workflow(Pipeline.run, i, id=f"pipeline-{i}", task_queue="pipeline")
                for i in range(50)
            )
        )

        async def some_progress() -> None:
            desc = await handles[-1].describe()
            assert desc.history_length >= 5

        await assert_eventually(some_progress, timeout=60)
        await admin.flushall()
        results = await asyncio.wait_for(asyncio.gather(*(h.result() for h in handles)), 180)
    assert results == [i + 2 for i in range(50)]
    await admin.aclose()
    await client.close()
