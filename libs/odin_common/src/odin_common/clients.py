"""Typed internal HTTP clients: how the services call each other.

aiohttp, not httpx, for these hops: every task crosses several of them and ARCHITECTURE.md
measured httpx's pool at 4-10x the CPU per request under concurrency. A peer's problem+json
answer is raised here as the same :class:`~odin_common.errors.OdinError` it raised there.

:class:`HistoryClient` routes a workflow's calls to the history process that owns its shard
(``shard_for(namespace, workflow_id)``), learning owners from ``GET /internal/cluster/shards``
and refreshing them when a process answers ``shard_not_owned``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp
import structlog

from odin_common import errors
from odin_common.api.internal import (
    AddTasksRequest,
    AddTasksResponse,
    BuildQueryTaskRequest,
    ChildEventRequest,
    ChildStartRequest,
    DispatchTask,
    QueryTaskRequest,
    RecordTaskStartedRequest,
    ShardMap,
)
from odin_common.hashing import shard_for
from odin_common.jsonutil import dumps, loads

log = structlog.get_logger("odin.clients")

CONNECT_RETRY_SECONDS = 10.0
"""How long a call keeps retrying a peer that refuses connections (e.g. while it restarts)."""


@dataclass(frozen=True, slots=True)
class PeerResponse:
    status: int
    body: bytes
    content_type: str

    def json(self) -> Any:
        return loads(self.body) if self.body else None


def new_session(limit: int = 512) -> aiohttp.ClientSession:
    """A session for internal calls (one per process, made in the app's lifespan)."""
    connector = aiohttp.TCPConnector(limit=limit, limit_per_host=0, keepalive_timeout=60)
    return aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=None, sock_connect=5),
        json_serialize=lambda value: dumps(value).decode(),
        auto_decompress=False,
    )


class PeerClient:
    """Calls one peer service at ``base_url``."""

    def __init__(
        self, session: aiohttp.ClientSession, base_url: str, *, timeout: float = 75.0
    ) -> None:
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    async def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        params: Mapping[str, str] | None = None,
        timeout: float | None = None,
        base_url: str | None = None,
    ) -> PeerResponse:
        url = (base_url or self.base_url) + path
        headers = {"content-type": "application/json"} if body is not None else None
        deadline = time.monotonic() + CONNECT_RETRY_SECONDS
        delay = 0.05
        while True:
            try:
                async with self.session.request(
                    method,
                    url,
                    data=body,
                    params=params,
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=timeout or self.timeout, sock_connect=5),
                ) as resp:
                    data = await resp.read()
                    content_type = resp.headers.get("content-type", "application/json")
                    status = resp.status
            except aiohttp.ClientConnectorError as exc:
                # The request never left: retrying cannot apply it twice.
                if time.monotonic() + delay > deadline:
                    raise errors.Unavailable(f"cannot reach {url}: {exc}") from exc
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)
                continue
            except (aiohttp.ClientError, TimeoutError) as exc:
                raise errors.Unavailable(f"call to {url} failed: {exc!r}") from exc
            break
        if status >= 400:
            raise _error_from(status, data, url)
        return PeerResponse(status, data, content_type)


def _error_from(status: int, data: bytes, url: str) -> errors.OdinError:
    try:
        doc = loads(data)
    except ValueError:
        doc = None
    if isinstance(doc, dict) and "code" in doc:
        return errors.error_from_problem(doc, status)
    text = data[:200].decode(errors="replace")
    if status >= 500:
        return errors.Unavailable(f"{url} answered {status}: {text}")
    return errors.InvalidArgument(f"{url} answered {status}: {text}")


class HistoryClient(PeerClient):
    """Calls history, each workflow call on the process that owns the workflow's shard."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        shard_count: int,
        *,
        timeout: float = 75.0,
        map_ttl: float = 30.0,
    ) -> None:
        super().__init__(session, base_url, timeout=timeout)
        self.shard_count = shard_count
        self.map_ttl = map_ttl
        self._owners: list[str | None] = []
        self._map_loaded_at = 0.0
        self._refresh_lock = asyncio.Lock()

    def shard_of(self, namespace: str, workflow_id: str) -> int:
        return shard_for(namespace, workflow_id, self.shard_count)

    async def owner_url(self, shard_id: int, *, refresh: bool = False) -> str:
        if refresh or not self._owners or time.monotonic() - self._map_loaded_at > self.map_ttl:
            await self._refresh_map(force=refresh)
        if shard_id < len(self._owners) and self._owners[shard_id]:
            return self._owners[shard_id] or self.base_url
        return self.base_url

    async def _refresh_map(self, *, force: bool) -> None:
        async with self._refresh_lock:
            if not force and time.monotonic() - self._map_loaded_at <= self.map_ttl:
                return
            try:
                resp = await super().request("GET", "/internal/cluster/shards", timeout=5)
                shard_map = ShardMap.model_validate(resp.json())
                if shard_map.shard_count != self.shard_count:
                    raise errors.Unavailable(
                        f"history has {shard_map.shard_count} shards but this process is "
                        f"configured with {self.shard_count}: set the same "
                        "HUGO_ORCHESTRATOR_SHARD_COUNT everywhere"
                    )
                self._owners = shard_map.owners
            except errors.OdinError as exc:
                log.warning("shard map unavailable; using the configured history", error=str(exc))
                self._owners = []
            self._map_loaded_at = time.monotonic()

    async def for_workflow(
        self,
        namespace: str,
        workflow_id: str,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        params: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> PeerResponse:
        """Call ``path`` on the owner of the workflow's shard (retrying once after a move)."""
        shard_id = self.shard_of(namespace, workflow_id)
        refresh = False
        for attempt in range(3):
            base = await self.owner_url(shard_id, refresh=refresh)
            try:
                return await self.request(
                    method, path, body=body, params=params, timeout=timeout, base_url=base
                )
            except errors.ShardNotOwned:
                if attempt == 2:
                    raise
                refresh = True
                await asyncio.sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")

    async def record_task_started(
        self, kind: str, namespace: str, workflow_id: str, request: RecordTaskStartedRequest
    ) -> PeerResponse:
        """Ask history to record a workflow or activity task as started; the body of the
        answer is the task exactly as the worker receives it."""
        path = (
            f"/internal/namespaces/{quote(namespace, safe='')}/workflows/"
            f"{quote(workflow_id, safe='')}/record-{kind}-task-started"
        )
        return await self.for_workflow(
            namespace, workflow_id, "POST", path, body=dumps(request.model_dump(mode="json"))
        )

    def _internal(self, namespace: str, workflow_id: str, verb: str) -> str:
        return (
            f"/internal/namespaces/{quote(namespace, safe='')}/workflows/"
            f"{quote(workflow_id, safe='')}/{verb}"
        )

    async def build_query_task(
        self, namespace: str, workflow_id: str, request: BuildQueryTaskRequest
    ) -> PeerResponse:
        """The query task as the worker receives it (history changes nothing)."""
        return await self.for_workflow(
            namespace,
            workflow_id,
            "POST",
            self._internal(namespace, workflow_id, "build-query-task"),
            body=dumps(request.model_dump(mode="json")),
        )

    async def start_child(
        self, namespace: str, workflow_id: str, request: ChildStartRequest
    ) -> PeerResponse:
        """Start a child workflow on the history process that owns it."""
        return await self.for_workflow(
            namespace,
            workflow_id,
            "POST",
            self._internal(namespace, workflow_id, "start-child"),
            body=dumps(request.model_dump(mode="json")),
        )

    async def child_event(
        self, namespace: str, workflow_id: str, request: ChildEventRequest
    ) -> PeerResponse:
        """Tell a workflow what became of a child (or of a signal/cancel it sent)."""
        return await self.for_workflow(
            namespace,
            workflow_id,
            "POST",
            self._internal(namespace, workflow_id, "child-event"),
            body=dumps(request.model_dump(mode="json")),
        )


class MatchingClient(PeerClient):
    """Calls matching."""

    async def add_tasks(self, tasks: Sequence[DispatchTask]) -> int:
        body = AddTasksRequest(tasks=list(tasks)).model_dump(mode="json")
        resp = await self.request("POST", "/internal/tasks", body=dumps(body), timeout=15)
        return AddTasksResponse.model_validate(resp.json()).added

    async def query(self, request: QueryTaskRequest) -> PeerResponse:
        """Hand a query to a worker and wait for its answer (``{result}``); raises
        ``QueryFailed`` or ``QueryTimeout``."""
        return await self.request(
            "POST",
            "/internal/queries",
            body=dumps(request.model_dump(mode="json")),
            timeout=request.timeout_seconds + 10,
        )
