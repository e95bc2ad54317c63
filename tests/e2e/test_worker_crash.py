"""A worker is SIGKILLed in the middle of a workflow with three activities; a new worker
finishes it, and the activities that did not fail ran exactly once."""

import asyncio
from pathlib import Path

from e2e_apps import count
from e2e_harness import Deployment, WorkerProcess

from odin.client import Client
from odin_common.testing import assert_eventually


async def test_a_new_worker_finishes_what_a_killed_one_started(
    deployment: Deployment, workers: list[WorkerProcess], tmp_path: Path
) -> None:
    effects = tmp_path / "effects"
    effects.mkdir()
    first = WorkerProcess(deployment.url, "crash", tmp_path / "logs")
    workers.append(first)
    client = await Client.connect(deployment.url)
    handle = await client.start_workflow(
        "ThreeSteps", str(effects), id="three-steps", task_queue="crash"
    )

    def step_two_running() -> None:
        assert count(effects, "two") == 1

    await assert_eventually(step_two_running, timeout=60)
    first.kill()

    second = WorkerProcess(deployment.url, "crash", tmp_path / "logs")
    workers.append(second)
    (effects / "gate").touch()
    result = await asyncio.wait_for(handle.result(), 90)
    assert result == ["one-done", "two-done", "three-done"]
    assert count(effects, "one") == 1
    assert count(effects, "three") == 1
    # the interrupted step ran again (activities run at least once): once per worker
    assert count(effects, "two") == 2
    history = await handle.fetch_history()
    started = [e for e in history.events if e["event_type"] == "activity_task_started"]
    assert [e["attributes"]["attempt"] for e in started] == [1, 2, 1]
    await client.close()
