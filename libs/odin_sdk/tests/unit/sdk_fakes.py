"""Task documents as the server sends them, for the worker's unit tests (no server)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from odin._runtime.definitions import WorkflowDefinition
from odin._worker_workflows import EagerActivities, WorkflowTaskRunner
from odin.testing import Replayer

EVENT_TIME = "2026-01-01T00:00:00.000000Z"


def event(event_id: int, event_type: str, **attributes: Any) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "event_type": event_type,
        "event_time": EVENT_TIME,
        "attributes": attributes,
    }


def first_events(workflow_type: str, *args: Any) -> list[dict[str, Any]]:
    """The history of a run's first workflow task."""
    return [
        event(1, "workflow_execution_started", workflow_type=workflow_type, input=list(args)),
        event(2, "workflow_task_scheduled"),
        event(3, "workflow_task_started"),
    ]


def workflow_task(
    run_id: str, workflow_type: str, history: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """A workflow task of the run ``run_id`` (by default its first one)."""
    return {
        "task_token": f"token-{run_id}",
        "namespace": "default",
        "workflow_id": f"wf-{run_id}",
        "run_id": run_id,
        "workflow_type": workflow_type,
        "task_queue": "q",
        "history": first_events(workflow_type) if history is None else history,
    }


def workflow_runner(
    workflow: type,
    respond: Callable[[str, dict[str, Any]], Awaitable[Any]],
    *,
    max_cached: int = 10,
    eager: EagerActivities | None = None,
) -> WorkflowTaskRunner:
    """A worker's workflow side for ``workflow``, answering the server with ``respond``."""

    async def fetch_rest(_: dict[str, Any]) -> list[dict[str, Any]]:
        return []

    definition = WorkflowDefinition.of(workflow)
    return WorkflowTaskRunner(
        {definition.name: definition},
        identity="test",
        respond=respond,
        fetch_rest=fetch_rest,
        executor=ThreadPoolExecutor(1),
        sticky_queue="q:sticky:abc" if max_cached else None,
        sticky_timeout=timedelta(seconds=5),
        max_cached=max_cached,
        eager=eager,
    )


class History:
    """Builds a history the way the server writes it."""

    def __init__(self, workflow_type: str, *args: Any) -> None:
        self.events: list[dict[str, Any]] = []
        self.add(
            "workflow_execution_started",
            workflow_type=workflow_type,
            task_queue="q",
            input=list(args),
            attempt=1,
        )

    def add(self, event_type: str, **attrs: Any) -> int:
        event_id = len(self.events) + 1
        second = event_id
        self.events.append(
            {
                "event_id": event_id,
                "event_type": event_type,
                "event_time": f"2026-01-01T00:00:{second:02d}.000000Z",
                "attributes": attrs,
            }
        )
        return event_id

    def task(self) -> int:
        sched = self.add("workflow_task_scheduled")
        return self.add("workflow_task_started", scheduled_event_id=sched)

    def completed(self, started: int) -> int:
        return self.add(
            "workflow_task_completed", scheduled_event_id=started - 1, started_event_id=started
        )

    def json(self) -> dict[str, Any]:
        return {"workflow_id": "wf", "events": list(self.events)}


def replay_commands(h: History, *workflows: type) -> list[dict[str, Any]]:
    """The commands of the last workflow task of ``h``, replayed through ``workflows``."""
    return Replayer(workflows=list(workflows)).replay_workflow(h.json()).commands
