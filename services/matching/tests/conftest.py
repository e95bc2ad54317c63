"""Fakes shared by matching's unit and integration tests: a history that follows the
"record task started" and "build query task" contracts (docs/internal-api.md), in process or
served over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import pytest
from aiohttp import web

from odin_common import errors
from odin_common.api.internal import (
    BuildQueryTaskRequest,
    DispatchTask,
    QueryTaskInfo,
    RecordTaskStartedRequest,
)
from odin_common.clients import PeerResponse
from odin_common.jsonutil import dumps, loads
from odin_common.testing import free_port
from odin_common.tokens import TaskToken

TaskKey = tuple[str, str, str, str, int, int]


@dataclass
class FakeHistory:
    """Records tasks as started the way history does: the first request id wins; repeating
    it answers the same task again; another request id, or a task in ``stale``, is
    ``task_not_found``. Builds query tasks the way history does (a workflow task document
    with a ``query`` token), or answers ``workflow_not_found`` / ``namespace_not_found`` for
    a workflow in ``gone`` or a namespace in ``gone_namespaces``. ``down`` makes every call
    fail with ``unavailable``; ``hang`` makes calls wait until released (to exercise the call
    timeout)."""

    down: bool = False
    hang: bool = False
    stale: set[str] = field(default_factory=set)
    """Workflow ids whose tasks are stale."""
    closed: set[str] = field(default_factory=set)
    """Workflow ids whose workflow is no longer running."""
    started: dict[TaskKey, str] = field(default_factory=dict)
    gone: set[str] = field(default_factory=set)
    """Workflow ids history does not know (any more)."""
    gone_namespaces: set[str] = field(default_factory=set)
    calls: list[tuple[str, str, str, RecordTaskStartedRequest]] = field(default_factory=list)
    query_calls: list[tuple[str, str, BuildQueryTaskRequest]] = field(default_factory=list)
    released: asyncio.Event = field(default_factory=asyncio.Event)

    async def record(
        self, kind: str, namespace: str, workflow_id: str, request: RecordTaskStartedRequest
    ) -> bytes:
        self.calls.append((kind, namespace, workflow_id, request))
        if self.hang:
            await self.released.wait()
        if self.down:
            raise errors.Unavailable("history is down (fake)")
        if workflow_id in self.stale:
            raise errors.TaskNotFound("the task was already started (fake)")
        if workflow_id in self.closed:
            raise errors.WorkflowNotRunning("the workflow is closed (fake)")
        key = (
            kind,
            namespace,
            workflow_id,
            request.run_id,
            request.scheduled_event_id,
            request.attempt,
        )
        first = self.started.setdefault(key, request.request_id)
        if first != request.request_id:
            raise errors.TaskNotFound("the task was started by another request (fake)")
        return dumps(
            {
                "kind": kind,
                "task_token": f"token-{workflow_id}-{request.scheduled_event_id}",
                "namespace": namespace,
                "workflow_id": workflow_id,
                "run_id": request.run_id,
                "task_queue": request.task_queue,
                "attempt": request.attempt,
                "scheduled_event_id": request.scheduled_event_id,
                "request_id": request.request_id,
                "identity": request.identity,
            }
        )

    async def record_task_started(
        self, kind: str, namespace: str, workflow_id: str, request: RecordTaskStartedRequest
    ) -> PeerResponse:
        body = await self.record(kind, namespace, workflow_id, request)
        return PeerResponse(200, body, "application/json")

    async def build_query(
        self, namespace: str, workflow_id: str, request: BuildQueryTaskRequest
    ) -> bytes:
        self.query_calls.append((namespace, workflow_id, request))
        if self.hang:
            await self.released.wait()
        if self.down:
            raise errors.Unavailable("history is down (fake)")
        if namespace in self.gone_namespaces:
            raise errors.NamespaceNotFound(f"namespace {namespace!r} not found (fake)")
        if workflow_id in self.gone:
            raise errors.WorkflowNotFound(f"workflow {workflow_id!r} not found (fake)")
        token = TaskToken(
            kind="query",
            namespace=namespace,
            workflow_id=workflow_id,
            run_id=request.run_id,
            scheduled_event_id=0,
            attempt=1,
            query_id=request.query.query_id,
        )
        return dumps(
            {
                "kind": "workflow",
                "task_token": token.encode(),
                "namespace": namespace,
                "workflow_id": workflow_id,
                "run_id": request.run_id,
                "workflow_type": "OrderWorkflow",
                "task_queue": request.task_queue,
                "attempt": 1,
                "scheduled_event_id": 0,
                "started_event_id": 3,
                "history": [],
                "queries": [request.query.model_dump(mode="json")],
            }
        )

    async def build_query_task(
        self, namespace: str, workflow_id: str, request: BuildQueryTaskRequest
    ) -> PeerResponse:
        body = await self.build_query(namespace, workflow_id, request)
        return PeerResponse(200, body, "application/json")

    def started_workflows(self) -> list[str]:
        return [key[2] for key in self.started]


@pytest.fixture
def fake_history() -> FakeHistory:
    return FakeHistory()


@pytest.fixture
def make_task() -> Callable[..., DispatchTask]:
    def make(
        workflow_id: str = "wf-1",
        *,
        namespace: str = "default",
        task_queue: str = "orders",
        kind: str = "workflow",
        run_id: str = "run-1",
        scheduled_event_id: int = 2,
        attempt: int = 1,
        query_id: str | None = None,
    ) -> DispatchTask:
        """A task; with ``query_id``, a query task (``query_name`` "status")."""
        query = None if query_id is None else QueryTaskInfo(query_id=query_id, query_name="status")
        return DispatchTask.model_validate(
            {
                "namespace": namespace,
                "task_queue": task_queue,
                "kind": kind,
                "workflow_id": workflow_id,
                "run_id": run_id,
                "scheduled_event_id": scheduled_event_id,
                "attempt": attempt,
                "query": query,
            }
        )

    return make


@dataclass
class HistoryServer:
    url: str
    history: FakeHistory


@pytest.fixture
async def history_server(fake_history: FakeHistory) -> AsyncIterator[HistoryServer]:
    """``fake_history`` served over HTTP on a free port, as matching reaches history."""

    async def record(request: web.Request) -> web.Response:
        kind = request.match_info["kind"]
        try:
            body = RecordTaskStartedRequest.model_validate(loads(await request.read()))
            answer = await fake_history.record(
                kind, request.match_info["ns"], request.match_info["wid"], body
            )
        except errors.OdinError as exc:
            return web.Response(
                body=dumps(exc.to_problem()),
                status=exc.status,
                content_type="application/problem+json",
            )
        return web.Response(body=answer, content_type="application/json")

    async def build_query(request: web.Request) -> web.Response:
        try:
            body = BuildQueryTaskRequest.model_validate(loads(await request.read()))
            answer = await fake_history.build_query(
                request.match_info["ns"], request.match_info["wid"], body
            )
        except errors.OdinError as exc:
            return web.Response(
                body=dumps(exc.to_problem()),
                status=exc.status,
                content_type="application/problem+json",
            )
        return web.Response(body=answer, content_type="application/json")

    async def shards(_: web.Request) -> web.Response:
        return web.Response(
            body=dumps({"shard_count": 1, "owners": [None]}), content_type="application/json"
        )

    app = web.Application()
    app.router.add_post(
        "/internal/namespaces/{ns}/workflows/{wid}/record-{kind}-task-started", record
    )
    app.router.add_post("/internal/namespaces/{ns}/workflows/{wid}/build-query-task", build_query)
    app.router.add_get("/internal/cluster/shards", shards)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    port = free_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    try:
        yield HistoryServer(f"http://127.0.0.1:{port}", fake_history)
    finally:
        fake_history.released.set()
        await runner.cleanup()
