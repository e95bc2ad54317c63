"""A workflow whose code changed incompatibly: its workflow task fails with a
non-determinism error (visible in history and describe) until the old code is back."""

import asyncio
from pathlib import Path

from e2e_harness import Deployment, WorkerProcess

from odin.client import Client
from odin_common.testing import assert_eventually


async def test_incompatible_code_fails_the_task_until_the_old_code_returns(
    deployment: Deployment, workers: list[WorkerProcess], tmp_path: Path
) -> None:
    logs = tmp_path / "logs"
    old = WorkerProcess(deployment.url, "changing", logs, variant="v1")
    workers.append(old)
    client = await Client.connect(deployment.url)
    handle = await client.start_workflow("Changing", id="changing", task_queue="changing")

    async def sleeping() -> None:
        history = await handle.fetch_history()
        assert "timer_started" in [e["event_type"] for e in history.events]

    await assert_eventually(sleeping, timeout=60)
    old.stop()
    new = WorkerProcess(deployment.url, "changing", logs, variant="v2")
    workers.append(new)

    async def failing() -> dict:
        desc = await handle.describe()
        task = desc.pending_workflow_task
        assert task is not None
        assert task["last_failure_cause"] == "nondeterminism"
        return task

    task = await assert_eventually(failing, timeout=60)
    assert "activity_task_scheduled" in task["last_failure"]["message"]
    history = await handle.fetch_history()
    failed = [e for e in history.events if e["event_type"] == "workflow_task_failed"]
    assert failed
    assert failed[0]["attributes"]["cause"] == "nondeterminism"
    assert (await handle.describe()).status == "running"

    new.stop()
    workers.append(WorkerProcess(deployment.url, "changing", logs, variant="v1"))
    assert await asyncio.wait_for(handle.result(), 90) == "ab"
    await client.close()
