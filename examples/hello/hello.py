"""Hello, Odin: a workflow with two activities.

Start the dev server in one terminal (`make dev`), then run this in another:

    .venv/bin/python examples/hello/hello.py [name]

It runs a worker for the `hello` task queue, starts the workflow, prints its result and
stops. `ODIN_ADDRESS` points it at another server.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from datetime import timedelta

from odin import activity, workflow
from odin.client import Client
from odin.common import RetryPolicy
from odin.worker import Worker

TASK_QUEUE = "hello"


@activity.defn
async def compose_greeting(name: str) -> str:
    return f"Hello, {name}!"


@activity.defn
def shout(text: str) -> str:
    """A synchronous activity: it runs in a worker thread."""
    activity.heartbeat("shouting")
    return text.upper()


@workflow.defn
class HelloWorkflow:
    @workflow.run
    async def run(self, name: str) -> str:
        greeting = await workflow.execute_activity(
            compose_greeting, name, start_to_close_timeout=timedelta(seconds=10)
        )
        workflow.logger.info("composed %r", greeting)
        return await workflow.execute_activity(
            shout,
            greeting,
            start_to_close_timeout=timedelta(seconds=10),
            retry_policy=RetryPolicy(maximum_attempts=3),
        )


async def main(name: str) -> str:
    address = os.environ.get("ODIN_ADDRESS", "http://localhost:8080")
    client = await Client.connect(address, namespace="default")
    async with Worker(
        client,
        task_queue=TASK_QUEUE,
        workflows=[HelloWorkflow],
        activities=[compose_greeting, shout],
    ):
        result = await client.execute_workflow(
            HelloWorkflow.run, name, id=f"hello-{uuid.uuid4()}", task_queue=TASK_QUEUE
        )
    await client.close()
    return str(result)


if __name__ == "__main__":
    print(asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "Odin")))
