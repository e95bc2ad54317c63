"""The history process is SIGKILLed and restarted while 50 workflows run: all complete."""

import asyncio

from e2e_apps import ACTIVITIES, WORKFLOWS, Pipeline

from odin.client import Client
from odin.worker import Worker
from odin_common.testing import assert_eventually
from odin_devserver.cluster import ProcessCluster


async def test_history_restart_loses_nothing(cluster: ProcessCluster) -> None:
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
        cluster.kill("history")
        await cluster.restart("history")
        results = await asyncio.wait_for(asyncio.gather(*(h.result() for h in handles)), 180)
    assert results == [i + 2 for i in range(50)]
    await client.close()
