"""Record the histories the replay suite replays: run every feature workflow on the embedded
server and save each run's history (JSON, as ``GET .../history`` returns it).

    .venv/bin/python tests/replay/record_histories.py

Re-record only on purpose: the point of the suite is that *today's* code still replays
*yesterday's* histories.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "e2e"))

import feature_workflows as fw  # noqa: E402

from odin.client import Client  # noqa: E402
from odin.worker import Worker  # noqa: E402
from odin_devserver import DevServer  # noqa: E402

QUEUE = "replay-suite"


async def record(client: Client, name: str, workflow: Any, *args: Any, drive: Any = None) -> None:
    handle = await client.start_workflow(workflow, args=list(args), id=name, task_queue=QUEUE)
    if drive is not None:
        await drive(handle)
    try:
        await handle.result()
    except Exception as exc:  # some runs end in failure or cancellation on purpose
        print(f"{name}: {type(exc).__name__}")
    history = await client.get_workflow_handle(name).fetch_history()
    if handle.result_run_id != (await client.get_workflow_handle(name).describe()).run_id:
        history = await client.get_workflow_handle(
            name, run_id=handle.result_run_id
        ).fetch_history()
    (HERE / "histories" / f"{name}.json").write_text(json.dumps(history.to_json(), indent=1) + "\n")
    print(f"recorded {name}: {len(history.events)} events")


async def main() -> None:
    async with DevServer(port=0) as server:
        client = await Client.connect(server.url)
        async with Worker(
            client, task_queue=QUEUE, workflows=fw.WORKFLOWS, activities=fw.ACTIVITIES
        ):

            async def approve(handle: Any) -> None:
                await handle.signal(fw.Approval.approve, "ana")
                await handle.signal(fw.Approval.approve, "bo")

            async def cancel(handle: Any) -> None:
                await asyncio.sleep(1.0)
                await handle.cancel("recording")

            await record(client, "timers", fw.Timers.run)
            await record(client, "signals", fw.Approval.run, 2, drive=approve)
            await record(client, "cancellation", fw.Cancellable.run, drive=cancel)
            await record(client, "activity-cancel", fw.CancelsItsActivity.run)
            await record(client, "timeouts", fw.Timeouts.run)
            await record(client, "child-result", fw.Parent.run, "result")
            await record(client, "child-failure", fw.Parent.run, "failure")
            await record(client, "child-cancel", fw.Parent.run, "cancel")
            await record(client, "child-abandon", fw.Parent.run, "abandon")
            await record(client, "continue-as-new", fw.Looping.run, 0)
            await record(client, "determinism", fw.Deterministic.run)
            target = await client.start_workflow(
                fw.Approval.run, 5, id="signal-target", task_queue=QUEUE
            )
            await record(client, "external-signal", fw.Signaller.run, target.id)
            victim = await client.start_workflow(
                fw.Sleeper.run, 3600.0, id="cancel-target", task_queue=QUEUE
            )
            await record(client, "external-cancel", fw.Canceller.run, victim.id)
            await client.get_workflow_handle("child-abandon-child").terminate("recording done")
        await client.close()


if __name__ == "__main__":
    asyncio.run(main())
