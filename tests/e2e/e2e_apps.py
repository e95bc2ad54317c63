"""Workflows, activities and a worker process for the end-to-end tests.

Run as a worker: ``python e2e_apps.py --address URL --task-queue Q [--variant v1|v2]``; it
runs until SIGTERM. Activities record each execution as a line in ``<effects>/<name>`` so the
tests can count effects across processes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
from datetime import timedelta
from pathlib import Path

from odin import activity, workflow
from odin.client import Client
from odin.common import RetryPolicy
from odin.worker import Worker

VARIANT = os.environ.get("ODIN_E2E_VARIANT", "v1")


def record(effects: str, name: str) -> None:
    with (Path(effects) / name).open("a") as f:
        f.write(f"{os.getpid()} attempt={activity.info().attempt}\n")


def count(effects: str | Path, name: str) -> int:
    path = Path(effects) / name
    return len(path.read_text().splitlines()) if path.exists() else 0


@activity.defn
async def step(name: str, effects: str) -> str:
    record(effects, name)
    if name == "two":
        # Blocks until the test opens the gate, heartbeating so a dead worker is noticed.
        while not (Path(effects) / "gate").exists():
            activity.heartbeat(name)
            await asyncio.sleep(0.1)
    return f"{name}-done"


@activity.defn
async def add_one(n: int) -> int:
    return n + 1


@activity.defn
async def echo(text: str) -> str:
    return text


@workflow.defn
class ThreeSteps:
    @workflow.run
    async def run(self, effects: str) -> list[str]:
        results = []
        for name in ("one", "two", "three"):
            results.append(
                await workflow.execute_activity(
                    step,
                    args=[name, effects],
                    start_to_close_timeout=timedelta(seconds=60),
                    heartbeat_timeout=timedelta(seconds=2),
                    retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=200)),
                )
            )
        return results


@workflow.defn
class Pipeline:
    @workflow.run
    async def run(self, n: int) -> int:
        x = await workflow.execute_activity(
            add_one, n, start_to_close_timeout=timedelta(seconds=10)
        )
        await workflow.sleep(0.5)
        return int(
            await workflow.execute_activity(
                add_one, x, start_to_close_timeout=timedelta(seconds=10)
            )
        )


if VARIANT == "v1":

    @workflow.defn
    class Changing:
        @workflow.run
        async def run(self) -> str:
            first = await workflow.execute_activity(
                echo, "a", start_to_close_timeout=timedelta(seconds=10)
            )
            await workflow.sleep(1)
            second = await workflow.execute_activity(
                echo, "b", start_to_close_timeout=timedelta(seconds=10)
            )
            return first + second

else:

    @workflow.defn
    class Changing:  # type: ignore[no-redef]
        """An incompatible change: a timer where history has an activity."""

        @workflow.run
        async def run(self) -> str:
            await workflow.sleep(1)
            return await workflow.execute_activity(
                echo, "c", start_to_close_timeout=timedelta(seconds=10)
            )


WORKFLOWS = [ThreeSteps, Pipeline, Changing]
ACTIVITIES = [step, add_one, echo]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--address", required=True)
    parser.add_argument("--task-queue", required=True)
    args = parser.parse_args()
    client = await Client.connect(args.address)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with Worker(
        client, task_queue=args.task_queue, workflows=WORKFLOWS, activities=ACTIVITIES
    ):
        print("worker running", flush=True)
        await stop.wait()
    await client.close()


if __name__ == "__main__":
    asyncio.run(main())
