"""Helpers for history tests: a fake matching that records the tasks history dispatches,
and a driver that calls history the way matching and a worker do."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
from aiohttp import web

from odin_common.testing import assert_eventually


@dataclass
class FakeMatching:
    tasks: list[dict[str, Any]] = field(default_factory=list)
    fail: bool = False
    queries: list[dict[str, Any]] = field(default_factory=list)
    query_answer: dict[str, Any] = field(default_factory=lambda: {"result": "answer"})

    async def handle_query(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.queries.append(body)
        if "code" in self.query_answer:
            return web.json_response(self.query_answer, status=self.query_answer["status"])
        return web.json_response(self.query_answer)

    async def handle(self, request: web.Request) -> web.Response:
        if self.fail:
            return web.json_response(
                {"code": "unavailable", "status": 503, "detail": "down"}, status=503
            )
        body = await request.json()
        self.tasks.extend(body["tasks"])
        return web.json_response({"added": len(body["tasks"])})

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [t for t in self.tasks if t["kind"] == kind]


class HistoryDriver:
    """Drives history the way matching and a worker would."""

    def __init__(self, client: httpx.AsyncClient, matching: FakeMatching, app: Any) -> None:
        self.client = client
        self.matching = matching
        self.app = app
        self.ns = "default"
        self._taken: set[str] = set()

    async def start(self, workflow_id: str, **body: Any) -> httpx.Response:
        payload = {"workflow_type": "Wf", "task_queue": "q", **body}
        return await self.client.post(
            f"/api/v1/namespaces/{self.ns}/workflows/{workflow_id}", json=payload
        )

    async def next_task(
        self, kind: str, workflow_id: str, task_queue: str | None = None
    ) -> dict[str, Any]:
        """The next dispatched task of ``kind`` for the workflow (on ``task_queue`` if given),
        recorded as started."""

        def find() -> dict[str, Any]:
            for t in self.matching.of_kind(kind):
                key = f"{t['workflow_id']}/{t['run_id']}/{t['scheduled_event_id']}/{t['attempt']}/{kind}/{t['task_queue']}"
                if task_queue is not None and t["task_queue"] != task_queue:
                    continue
                if t["workflow_id"] == workflow_id and key not in self._taken:
                    self._taken.add(key)
                    return t
            raise AssertionError(f"no {kind} task dispatched for {workflow_id}")

        dispatched = await assert_eventually(find, timeout=10)
        resp = await self.record_started(dispatched)
        assert resp.status_code == 200, resp.text
        return dict(resp.json())

    async def dispatched(self, kind: str, workflow_id: str, count: int = 1) -> list[dict[str, Any]]:
        """Wait until ``count`` tasks of ``kind`` were dispatched for the workflow."""

        def check() -> list[dict[str, Any]]:
            found = [t for t in self.matching.of_kind(kind) if t["workflow_id"] == workflow_id]
            assert len(found) >= count, found
            return found

        return await assert_eventually(check, timeout=10)

    async def record_started(
        self, dispatched: dict[str, Any], request_id: str = "req-1"
    ) -> httpx.Response:
        kind = dispatched["kind"]
        return await self.client.post(
            f"/internal/namespaces/{dispatched['namespace']}/workflows/"
            f"{dispatched['workflow_id']}/record-{kind}-task-started",
            json={
                "run_id": dispatched["run_id"],
                "scheduled_event_id": dispatched["scheduled_event_id"],
                "attempt": dispatched["attempt"],
                "request_id": f"{request_id}-{dispatched['scheduled_event_id']}-{dispatched['attempt']}",
                "identity": "test-worker",
                "task_queue": dispatched["task_queue"],
            },
        )

    async def complete_wt(
        self, task: dict[str, Any], commands: list[dict[str, Any]]
    ) -> httpx.Response:
        return await self.client.post(
            f"/api/v1/namespaces/{self.ns}/workflow-tasks/complete",
            json={"task_token": task["task_token"], "commands": commands, "identity": "w"},
        )

    async def fail_wt(self, task: dict[str, Any], cause: str = "workflow_error") -> httpx.Response:
        return await self.client.post(
            f"/api/v1/namespaces/{self.ns}/workflow-tasks/fail",
            json={"task_token": task["task_token"], "cause": cause, "failure": {"message": "boom"}},
        )

    async def activity(self, verb: str, task: dict[str, Any], **body: Any) -> httpx.Response:
        return await self.client.post(
            f"/api/v1/namespaces/{self.ns}/activity-tasks/{verb}",
            json={"task_token": task["task_token"], **body},
        )

    async def describe(self, workflow_id: str) -> dict[str, Any]:
        resp = await self.client.get(f"/api/v1/namespaces/{self.ns}/workflows/{workflow_id}")
        assert resp.status_code == 200, resp.text
        return dict(resp.json())

    async def events(self, workflow_id: str, run_id: str | None = None) -> list[dict[str, Any]]:
        params = {"page_size": "1000"}
        if run_id:
            params["run_id"] = run_id
        resp = await self.client.get(
            f"/api/v1/namespaces/{self.ns}/workflows/{workflow_id}/history", params=params
        )
        assert resp.status_code == 200, resp.text
        return list(resp.json()["events"])

    async def event_types(self, workflow_id: str, run_id: str | None = None) -> list[str]:
        return [e["event_type"] for e in await self.events(workflow_id, run_id)]

    async def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        return await self.client.post(f"/api/v1/namespaces/{self.ns}/workflows/{path}", json=body)

    async def run_task(
        self, workflow_id: str, commands: list[dict[str, Any]], **extra: Any
    ) -> dict[str, Any]:
        """Take the next workflow task of the workflow and complete it with ``commands``."""
        task = await self.next_task("workflow", workflow_id)
        resp = await self.client.post(
            f"/api/v1/namespaces/{self.ns}/workflow-tasks/complete",
            json={"task_token": task["task_token"], "commands": commands, "identity": "w", **extra},
        )
        assert resp.status_code == 200, resp.text
        return task


def activity_command(activity_id: str = "1", **extra: Any) -> dict[str, Any]:
    return {
        "type": "schedule_activity",
        "activity_id": activity_id,
        "activity_type": "act",
        "input": [1],
        "start_to_close_timeout": "10s",
        **extra,
    }
