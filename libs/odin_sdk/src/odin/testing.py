"""Testing helpers: replay saved histories against current code, and a local server.

``Replayer(workflows=[...]).replay_workflow(history)`` runs a history saved from
``GET .../history`` (or ``handle.fetch_history()``) through the current workflow code and
raises :class:`~odin.exceptions.NondeterminismError` when the code no longer produces it.
``WorkflowEnvironment.start_local()`` starts the embedded dev server (all four services on
SQLite, in this process) and connects a client to it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from odin._runtime.definitions import WorkflowDefinition
from odin._runtime.instance import WorkflowInfo, WorkflowTaskError, new_instance
from odin.client import Client, WorkflowHistory
from odin.exceptions import NondeterminismError

__all__ = ["ReplayResult", "Replayer", "WorkflowEnvironment"]


@dataclass
class ReplayResult:
    workflow_id: str
    workflow_type: str
    commands: list[dict[str, Any]]
    """What the code would do next (for a history of a run that is still going)."""


class Replayer:
    def __init__(self, *, workflows: Sequence[type]) -> None:
        self._workflows = {d.name: d for d in (WorkflowDefinition.of(w) for w in workflows)}

    def replay_workflow(
        self, history: WorkflowHistory | dict[str, Any] | list[Any] | str | Path
    ) -> ReplayResult:
        """Replay one history (a :class:`WorkflowHistory`, its JSON as a dict or as text, or
        the path of a file holding it); raise :class:`NondeterminismError` if the code
        diverges."""
        if isinstance(history, str) and history.lstrip()[:1] in ("{", "["):
            history = json.loads(history)
        elif isinstance(history, str | Path):
            history = json.loads(Path(history).read_text())
        if not isinstance(history, WorkflowHistory):
            history = WorkflowHistory.from_json(history)
        events = history.events
        if not events or events[0]["event_type"] != "workflow_execution_started":
            raise ValueError("a history starts with workflow_execution_started")
        started = events[0]["attributes"]
        defn = self._workflows.get(started["workflow_type"])
        if defn is None:
            raise ValueError(
                f"workflow type {started['workflow_type']!r} is not among {sorted(self._workflows)}"
            )
        info = WorkflowInfo(
            namespace="replay",
            workflow_id=history.workflow_id or "replay",
            run_id=str(started.get("first_run_id") or "replay"),
            workflow_type=defn.name,
            task_queue=started.get("task_queue", ""),
        )
        instance = new_instance(defn, info)
        try:
            result = instance.activate(events)
        except WorkflowTaskError as exc:
            if exc.cause_code == "nondeterminism":
                raise NondeterminismError(str(exc)) from exc
            raise
        instance.finish_replay()
        return ReplayResult(info.workflow_id, defn.name, result.commands)

    def replay_workflows(self, histories: Sequence[Any]) -> list[ReplayResult]:
        return [self.replay_workflow(h) for h in histories]


class WorkflowEnvironment:
    """A running server and a client connected to it."""

    def __init__(self, client: Client, server: Any) -> None:
        self.client = client
        self._server = server

    @classmethod
    async def start_local(
        cls, *, namespace: str = "default", database: str | None = None, port: int = 0
    ) -> WorkflowEnvironment:
        """Start the embedded dev server in this process (needs the odin-devserver package,
        ``pip install 'odin-sdk[dev]'``)."""
        try:
            from odin_devserver import DevServer
        except ImportError as exc:
            raise RuntimeError(
                "WorkflowEnvironment.start_local() needs the embedded server: "
                "pip install 'odin-sdk[dev]' (the odin-devserver package)"
            ) from exc
        server = DevServer(database=database, port=port)
        await server.start()
        client = await Client.connect(server.url, namespace=namespace)
        return cls(client, server)

    async def shutdown(self) -> None:
        await self.client.close()
        await self._server.stop()

    async def __aenter__(self) -> WorkflowEnvironment:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.shutdown()
