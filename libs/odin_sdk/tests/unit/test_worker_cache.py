"""The worker's sticky cache: bounded (LRU), and a partial history for a run it no longer has
is answered with reset_sticky_task_queue."""

from __future__ import annotations

from typing import Any

from sdk_fakes import event, workflow_runner, workflow_task

from odin import workflow
from odin._worker_workflows import WorkflowTaskRunner


@workflow.defn
class Napper:
    @workflow.run
    async def run(self) -> None:
        await workflow.sleep(60)


def runner(answers: list[tuple[str, dict[str, Any]]], max_cached: int) -> WorkflowTaskRunner:
    async def respond(path: str, body: dict[str, Any]) -> dict[str, Any]:
        answers.append((path, body))
        return {"accepted": True}

    return workflow_runner(Napper, respond, max_cached=max_cached)


async def test_cache_keeps_the_most_recent_runs_only() -> None:
    answers: list[tuple[str, dict[str, Any]]] = []
    r = runner(answers, max_cached=2)
    for run_id in ("a", "b", "c"):
        await r.run(workflow_task(run_id, "Napper"))
    assert list(r.cache) == ["b", "c"]
    path, body = answers[-1]
    assert path == "workflow-tasks/complete"
    assert body["sticky_task_queue"] == "q:sticky:abc"
    assert body["sticky_schedule_to_start_timeout"] == "5s"
    assert body["commands"][0]["type"] == "start_timer"


async def test_partial_history_of_an_evicted_run_asks_for_the_full_history() -> None:
    answers: list[tuple[str, dict[str, Any]]] = []
    r = runner(answers, max_cached=1)
    await r.run(workflow_task("a", "Napper"))
    await r.run(workflow_task("b", "Napper"))  # evicts "a"
    await r.run(workflow_task("a", "Napper", [event(4, "workflow_task_completed")]))
    path, body = answers[-1]
    assert path == "workflow-tasks/fail"
    assert body["cause"] == "reset_sticky_task_queue"
