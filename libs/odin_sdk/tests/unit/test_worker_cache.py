"""The worker's sticky cache: bounded (LRU), and a partial history for a run it no longer has
is answered with reset_sticky_task_queue."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from odin import workflow
from odin._runtime.definitions import WorkflowDefinition
from odin._worker_workflows import WorkflowTaskRunner


@workflow.defn
class Napper:
    @workflow.run
    async def run(self) -> None:
        await workflow.sleep(60)


def task(run_id: str, events: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "task_token": f"token-{run_id}",
        "namespace": "default",
        "workflow_id": f"wf-{run_id}",
        "run_id": run_id,
        "workflow_type": "Napper",
        "task_queue": "q",
        "history": events,
    }


def first_task_events() -> list[dict[str, Any]]:
    times = "2026-01-01T00:00:00.000000Z"
    return [
        {
            "event_id": 1,
            "event_type": "workflow_execution_started",
            "event_time": times,
            "attributes": {"workflow_type": "Napper", "input": []},
        },
        {
            "event_id": 2,
            "event_type": "workflow_task_scheduled",
            "event_time": times,
            "attributes": {},
        },
        {
            "event_id": 3,
            "event_type": "workflow_task_started",
            "event_time": times,
            "attributes": {},
        },
    ]


def runner(answers: list[tuple[str, dict[str, Any]]], max_cached: int) -> WorkflowTaskRunner:
    async def respond(path: str, body: dict[str, Any]) -> dict[str, Any]:
        answers.append((path, body))
        return {"accepted": True}

    async def fetch_rest(_: dict[str, Any]) -> list[dict[str, Any]]:
        return []

    return WorkflowTaskRunner(
        {"Napper": WorkflowDefinition.of(Napper)},
        identity="test",
        respond=respond,
        fetch_rest=fetch_rest,
        executor=ThreadPoolExecutor(1),
        sticky_queue="q:sticky:abc",
        sticky_timeout=timedelta(seconds=5),
        max_cached=max_cached,
    )


async def test_cache_keeps_the_most_recent_runs_only() -> None:
    answers: list[tuple[str, dict[str, Any]]] = []
    r = runner(answers, max_cached=2)
    for run_id in ("a", "b", "c"):
        await r.run(task(run_id, first_task_events()))
    assert list(r.cache) == ["b", "c"]
    path, body = answers[-1]
    assert path == "workflow-tasks/complete"
    assert body["sticky_task_queue"] == "q:sticky:abc"
    assert body["sticky_schedule_to_start_timeout"] == "5s"
    assert body["commands"][0]["type"] == "start_timer"


async def test_partial_history_of_an_evicted_run_asks_for_the_full_history() -> None:
    answers: list[tuple[str, dict[str, Any]]] = []
    r = runner(answers, max_cached=1)
    await r.run(task("a", first_task_events()))
    await r.run(task("b", first_task_events()))  # evicts "a"
    later = {
        "event_id": 4,
        "event_type": "workflow_task_completed",
        "event_time": "2026-01-01T00:00:01.000000Z",
        "attributes": {},
    }
    await r.run(task("a", [later]))
    path, body = answers[-1]
    assert path == "workflow-tasks/fail"
    assert body["cause"] == "reset_sticky_task_queue"
