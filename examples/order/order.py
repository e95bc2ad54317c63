"""The order workflow of the SDK guide (../shared/design/SDK.md), as written there.

With the dev server running (`make dev`): `.venv/bin/python examples/order/order.py`
(`ODIN_ADDRESS` points it at another server). It prints the query answer and the result.
"""

import asyncio
import os
from datetime import timedelta

from odin import activity, workflow
from odin.client import Client
from odin.common import RetryPolicy
from odin.worker import Worker


@activity.defn
async def charge(order: dict) -> str:
    activity.heartbeat({"progress": 1})  # long activities heartbeat
    return f"charged {order['id']}"


@workflow.defn
class OrderWorkflow:
    def __init__(self) -> None:
        self.approved = False

    @workflow.run
    async def run(self, order: dict) -> str:
        receipt = await workflow.execute_activity(
            charge,
            order,
            start_to_close_timeout=timedelta(seconds=10),
            retry_policy=RetryPolicy(maximum_attempts=5),
        )
        await workflow.wait_condition(lambda: self.approved, timeout=timedelta(hours=1))
        await workflow.sleep(timedelta(seconds=5))  # a durable timer
        return receipt

    @workflow.signal
    def approve(self) -> None:
        self.approved = True

    @workflow.query
    def status(self) -> str:
        return "approved" if self.approved else "waiting"


async def main() -> None:
    address = os.environ.get("ODIN_ADDRESS", "http://localhost:8080")
    client = await Client.connect(address, namespace="default")
    async with Worker(client, task_queue="orders", workflows=[OrderWorkflow], activities=[charge]):
        handle = await client.start_workflow(
            OrderWorkflow.run, {"id": 1}, id="order-1", task_queue="orders"
        )
        await handle.signal(OrderWorkflow.approve)
        print(await handle.query(OrderWorkflow.status))
        print(await handle.result())
    await client.close()


if __name__ == "__main__":
    asyncio.run(main())
