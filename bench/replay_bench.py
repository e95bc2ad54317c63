"""How long a worker takes to replay a long history: a workflow that ran 1,666 activities one
after another (10,000 events), replayed from the first event (what a worker without the run
cached does for every workflow task).

    .venv/bin/python bench/replay_bench.py [--events 10000]
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import timedelta
from typing import Any

from odin import activity, workflow
from odin.testing import Replayer


@activity.defn
async def step(i: int) -> int:
    return i


@workflow.defn
class LongWorkflow:
    @workflow.run
    async def run(self, steps: int) -> int:
        total = 0
        for i in range(steps):
            total += await workflow.execute_activity(
                step, i, start_to_close_timeout=timedelta(seconds=10)
            )
        return total


def history(steps: int) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []

    def add(event_type: str, **attrs: Any) -> int:
        event_id = len(events) + 1
        events.append(
            {
                "event_id": event_id,
                "event_type": event_type,
                "event_time": f"2026-01-01T00:{event_id // 60000 % 60:02d}:{event_id // 1000 % 60:02d}.{event_id % 1000:03d}000Z",
                "attributes": attrs,
            }
        )
        return event_id

    add(
        "workflow_execution_started",
        workflow_type="LongWorkflow",
        task_queue="q",
        input=[steps],
        attempt=1,
    )
    sched = add("workflow_task_scheduled")
    started = add("workflow_task_started", scheduled_event_id=sched)
    total = 0
    for i in range(steps):
        done = add("workflow_task_completed", scheduled_event_id=sched, started_event_id=started)
        act = add(
            "activity_task_scheduled",
            activity_id=str(i + 1),
            activity_type="step",
            input=[i],
            workflow_task_completed_event_id=done,
        )
        act_started = add("activity_task_started", scheduled_event_id=act, attempt=1)
        add(
            "activity_task_completed",
            scheduled_event_id=act,
            started_event_id=act_started,
            result=i,
        )
        total += i
        sched = add("workflow_task_scheduled")
        started = add("workflow_task_started", scheduled_event_id=sched)
    done = add("workflow_task_completed", scheduled_event_id=sched, started_event_id=started)
    add("workflow_execution_completed", result=total, workflow_task_completed_event_id=done)
    return events


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    steps = max(1, (args.events - 5) // 6)
    events = history(steps)
    replayer = Replayer(workflows=[LongWorkflow])
    timings = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        replayer.replay_workflow({"workflow_id": "long", "events": events})
        timings.append(time.perf_counter() - started)
    print(f"replayed {len(events)} events ({steps} activities) {args.repeat} times")
    print(f"  best {min(timings):.3f} s, median {statistics.median(timings):.3f} s")


if __name__ == "__main__":
    main()
