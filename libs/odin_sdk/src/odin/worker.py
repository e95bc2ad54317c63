"""The worker: polls a task queue for workflow and activity tasks and runs them.

Workflow tasks replay the run's history through the workflow code (in a thread, so a long
replay does not stall polling) and answer with commands; runs stay cached for sticky
execution. Activities run on the event loop (``async def``) or in a thread (``def``), with
heartbeats sent in the background. ``shutdown()`` stops polling, lets running tasks finish
(activities for up to ``graceful_shutdown_timeout``) and hands back the rest: a cancelled
activity is reported as failed so the server retries it elsewhere.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from odin._runtime.definitions import ActivityDefinition, WorkflowDefinition
from odin._worker_activities import ActivityTaskRunner
from odin._worker_workflows import WorkflowTaskRunner
from odin.client import Client
from odin.common import duration
from odin.exceptions import RPCError

__all__ = ["Worker"]

log = logging.getLogger("odin.worker")
POLL_WAIT_SECONDS = 30
STALE_CODES = frozenset({"task_not_found", "workflow_not_found", "namespace_not_found"})


def default_identity() -> str:
    return f"{os.getpid()}@{socket.gethostname()}"


class Worker:
    """Runs workflows and activities from one task queue."""

    def __init__(
        self,
        client: Client,
        *,
        task_queue: str,
        workflows: Sequence[type] = (),
        activities: Sequence[Callable[..., Any]] = (),
        max_concurrent_activities: int = 100,
        max_concurrent_workflow_tasks: int = 100,
        identity: str | None = None,
        max_workflow_pollers: int = 4,
        max_activity_pollers: int = 4,
        max_cached_workflows: int = 1000,
        sticky_queue_schedule_to_start_timeout: timedelta = timedelta(seconds=5),
        graceful_shutdown_timeout: timedelta = timedelta(0),
        disable_eager_activity_execution: bool = False,
    ) -> None:
        """``max_cached_workflows`` runs are kept in memory for sticky execution (0 turns it
        off: every workflow task then replays the whole history).

        An activity a workflow schedules on this worker's task queue, of a type registered
        here, runs eagerly when an activity slot is free: the server hands it back in the
        answer to the workflow task's completion, without a trip through the task queue
        (at most three per workflow task). ``disable_eager_activity_execution`` turns that
        off."""
        if not workflows and not activities:
            raise ValueError("a worker needs at least one workflow or activity")
        # Refuse a value the server would refuse on every workflow task, now.
        duration(sticky_queue_schedule_to_start_timeout, "sticky_queue_schedule_to_start_timeout")
        self.client = client
        self.task_queue = task_queue
        self.identity = identity or client.identity or default_identity()
        self._transport = client._transport
        self._ns_path = client._ns_path
        self._wf_slots = asyncio.Semaphore(max_concurrent_workflow_tasks)
        self._act_slots = asyncio.Semaphore(max_concurrent_activities)
        self._wf_pollers = max(1, min(max_workflow_pollers, max_concurrent_workflow_tasks))
        self._act_pollers = max(1, min(max_activity_pollers, max_concurrent_activities))
        self._graceful = graceful_shutdown_timeout.total_seconds()
        self._wf_executor = ThreadPoolExecutor(
            max_workers=max(1, min(max_concurrent_workflow_tasks, 8)), thread_name_prefix="odin-wf"
        )
        self._act_executor = ThreadPoolExecutor(
            max_workers=max(1, max_concurrent_activities), thread_name_prefix="odin-act"
        )
        self.sticky_queue = (
            f"{task_queue}:sticky:{uuid.uuid4().hex[:12]}" if max_cached_workflows > 0 else None
        )
        self._workflows = WorkflowTaskRunner(
            {d.name: d for d in (WorkflowDefinition.of(w) for w in workflows)},
            identity=self.identity,
            respond=self._respond,
            fetch_rest=self._rest_of_history,
            executor=self._wf_executor,
            sticky_queue=self.sticky_queue,
            sticky_timeout=sticky_queue_schedule_to_start_timeout,
            max_cached=max_cached_workflows,
            eager=None if disable_eager_activity_execution or not activities else _Eager(self),
        )
        self._activities = ActivityTaskRunner(
            {d.name: d for d in (ActivityDefinition.of(a) for a in activities)},
            identity=self.identity,
            respond=self._respond,
            transport=self._transport,
            ns_path=self._ns_path,
            executor=self._act_executor,
        )
        self._pollers: list[asyncio.Task[None]] = []
        self._wf_tasks: set[asyncio.Task[None]] = set()
        self._act_tasks: set[asyncio.Task[None]] = set()
        self._stop = asyncio.Event()
        self._handing_back = False  # shutdown reached the activities: run no new ones
        self._stopped = asyncio.Event()
        self._running = False

    # ---- lifecycle -----------------------------------------------------------------------

    async def run(self) -> None:
        """Poll and run tasks until :meth:`shutdown` is called."""
        if self._running:
            raise RuntimeError("this worker is already running")
        self._running = True
        try:
            if self._workflows.workflows:
                queues = [self.task_queue] * self._wf_pollers
                if self.sticky_queue is not None:
                    queues += [self.sticky_queue] * max(1, self._wf_pollers // 2)
                self._pollers += [
                    asyncio.create_task(
                        self._poll(
                            queue, "workflow", self._wf_slots, self._workflows.run, self._wf_tasks
                        )
                    )
                    for queue in queues
                ]
            if self._activities.activities:
                self._pollers += [
                    asyncio.create_task(
                        self._poll(
                            self.task_queue,
                            "activity",
                            self._act_slots,
                            self._activities.run,
                            self._act_tasks,
                        )
                    )
                    for _ in range(self._act_pollers)
                ]
            await self._stop.wait()
            await self._drain()
        finally:
            self._stopped.set()

    async def shutdown(self) -> None:
        """Stop polling, finish (or hand back) what is running, and return when done."""
        self._stop.set()
        if self._running:
            await self._stopped.wait()

    async def __aenter__(self) -> Worker:
        self._runner = asyncio.create_task(self.run())
        await asyncio.sleep(0)
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.shutdown()
        await self._runner

    async def _drain(self) -> None:
        for poller in self._pollers:
            poller.cancel()
        await asyncio.gather(*self._pollers, return_exceptions=True)
        if self._wf_tasks:
            await asyncio.wait(set(self._wf_tasks), timeout=30)
        if self._act_tasks and self._graceful > 0:
            await asyncio.wait(set(self._act_tasks), timeout=self._graceful)
        self._handing_back = True
        self._activities.cancel_all()
        if self._act_tasks:
            await asyncio.wait(set(self._act_tasks), timeout=10)
        self._wf_executor.shutdown(wait=False, cancel_futures=True)
        self._act_executor.shutdown(wait=False, cancel_futures=True)

    # ---- polling -------------------------------------------------------------------------

    async def _poll(
        self,
        queue: str,
        kind: str,
        slots: asyncio.Semaphore,
        handle: Callable[[dict[str, Any]], Awaitable[None]],
        running: set[asyncio.Task[None]],
    ) -> None:
        path = f"{self._ns_path}/task-queues/{quote(queue, safe='')}/poll"
        body = {"kind": kind, "identity": self.identity, "wait": f"{POLL_WAIT_SECONDS}s"}
        backoff = 0.1
        while True:
            await slots.acquire()
            try:
                resp = await self._transport.call(
                    "POST",
                    path,
                    json=body,
                    timeout=POLL_WAIT_SECONDS + 20,
                    retry=False,
                    ok_statuses=(204,),
                )
            except RPCError as exc:
                slots.release()
                log.warning("polling %s tasks failed (%s); retrying in %.1fs", kind, exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            except BaseException:
                slots.release()
                raise
            backoff = 0.1
            if resp.status_code == 204:
                slots.release()
                continue
            task = asyncio.create_task(self._guarded(handle, resp.json(), slots))
            running.add(task)
            task.add_done_callback(running.discard)

    async def _guarded(
        self,
        handle: Callable[[dict[str, Any]], Awaitable[None]],
        task: dict[str, Any],
        slots: asyncio.Semaphore,
    ) -> None:
        try:
            await handle(task)
        except Exception:
            log.exception("handling a %s task failed", task.get("kind"))
        finally:
            slots.release()

    async def _respond(self, path: str, body: dict[str, Any]) -> dict[str, Any] | None:
        """Send a task's answer; a stale task (the server moved on) is logged, not raised."""
        try:
            resp = await self._transport.call("POST", f"{self._ns_path}/{path}", json=body)
        except RPCError as exc:
            if exc.code in STALE_CODES:
                log.info("the server no longer wants this task (%s): %s", path, exc.message)
                return None
            raise
        return dict(resp.json())

    async def _rest_of_history(self, task: dict[str, Any]) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        token = task.get("next_page_token")
        path = f"{self._ns_path}/workflows/{quote(task['workflow_id'], safe='')}/history"
        while token:
            resp = await self._transport.call(
                "GET",
                path,
                params={"run_id": task["run_id"], "next_page_token": token, "page_size": 1000},
            )
            page = resp.json()
            events += page["events"]
            token = page.get("next_page_token")
        return [e for e in events if e["event_id"] <= task["started_event_id"]]


class _Eager:
    """The worker's side of eager activities (``odin._worker_workflows.EagerActivities``):
    the slots are the worker's activity slots, the tasks run as polled ones do."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker

    async def reserve(self, command: dict[str, Any]) -> bool:
        w = self.worker
        if (
            w._stop.is_set()
            or command.get("task_queue") not in (None, w.task_queue)
            or command["activity_type"] not in w._activities.activities
            or w._act_slots.locked()
        ):
            return False
        await w._act_slots.acquire()  # a free slot: taken at once
        return True

    def release(self, count: int) -> None:
        for _ in range(count):
            self.worker._act_slots.release()

    def start(self, task: dict[str, Any]) -> None:
        w = self.worker
        # A workflow task that outlived the shutdown's wait for it: hand its activity back.
        run = w._activities.hand_back if w._handing_back else w._activities.run
        running = asyncio.create_task(w._guarded(run, task, w._act_slots))
        w._act_tasks.add(running)
        running.add_done_callback(w._act_tasks.discard)
