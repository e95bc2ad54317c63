"""Activity tasks on the worker side: run the function (``async def`` on the event loop,
``def`` in a thread), send its heartbeats in the background, and report the outcome."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from odin import converter
from odin._http import Transport
from odin._runtime.definitions import ActivityDefinition
from odin._runtime.failures import to_failure
from odin.activity import _CONTEXT, ActivityContext, Info
from odin.common import parse_duration
from odin.exceptions import ApplicationError, RPCError

log = logging.getLogger("odin.worker")
SHUTDOWN_MESSAGE = "the worker running this activity shut down"
Respond = Callable[[str, dict[str, Any]], Awaitable[Any]]


def _time(value: str | None) -> datetime:
    assert value is not None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class ActivityTaskRunner:
    def __init__(
        self,
        activities: dict[str, ActivityDefinition],
        *,
        identity: str,
        respond: Respond,
        transport: Transport,
        ns_path: str,
        executor: ThreadPoolExecutor,
    ) -> None:
        self.activities = activities
        self.identity = identity
        self.respond = respond
        self.transport = transport
        self.ns_path = ns_path
        self.executor = executor
        self.running: dict[str, tuple[asyncio.Future[Any], ActivityContext]] = {}

    def cancel_all(self) -> None:
        """Hand back what is running (worker shutdown): each is reported failed, so the
        server retries it elsewhere."""
        for future, _ in list(self.running.values()):
            future.cancel()

    async def hand_back(self, task: dict[str, Any]) -> None:
        """Report a task this worker will not run (it is shutting down) as failed, so the
        server retries it elsewhere."""
        failure = to_failure(ApplicationError(SHUTDOWN_MESSAGE, type="WorkerShutdown"))
        await self.respond(
            "activity-tasks/fail",
            {"task_token": task["task_token"], "failure": failure, "identity": self.identity},
        )

    async def run(self, task: dict[str, Any]) -> None:
        token = task["task_token"]
        defn = self.activities.get(task["activity_type"])
        if defn is None:
            error = ApplicationError(
                f"activity type {task['activity_type']!r} is not registered on this worker "
                f"(it has {sorted(self.activities)})",
                type="NotFoundError",
            )
            await self.respond(
                "activity-tasks/fail",
                {"task_token": token, "failure": to_failure(error), "identity": self.identity},
            )
            return
        info = _activity_info(task)
        heartbeater = _Heartbeater(
            self.transport, self.ns_path, self.identity, token, info.heartbeat_timeout
        )
        context = ActivityContext(info, heartbeater.record)
        ctx = contextvars.copy_context()
        ctx.run(_CONTEXT.set, context)
        loop = asyncio.get_running_loop()
        running: asyncio.Future[Any]
        try:
            args = converter.decode_args(task.get("input") or [], defn.arg_types)
        except Exception as exc:
            await self.respond(
                "activity-tasks/fail",
                {
                    "task_token": token,
                    "failure": to_failure(
                        ApplicationError(
                            f"the activity's input does not fit its parameters: {exc}",
                            non_retryable=True,
                        )
                    ),
                    "identity": self.identity,
                },
            )
            return
        if defn.is_async:
            running = loop.create_task(defn.fn(*args), context=ctx)
        else:
            running = loop.run_in_executor(self.executor, ctx.run, defn.fn, *args)
        heartbeater.on_cancel = lambda: _request_cancel(context, running)
        self.running[token] = (running, context)
        try:
            result = _encode_result(defn, await asyncio.shield(running))
        except asyncio.CancelledError:
            if not running.cancelled():
                running.cancel()
                raise
            if context.cancel_requested:
                await self.respond(
                    "activity-tasks/cancel", {"task_token": token, "identity": self.identity}
                )
            else:
                await self.hand_back(task)
            return
        except Exception as exc:
            # The next attempt resumes from the latest progress, even if a heartbeat with it
            # was still waiting for its turn.
            await heartbeater.flush()
            await self.respond(
                "activity-tasks/fail",
                {"task_token": token, "failure": _failure_of(exc), "identity": self.identity},
            )
            return
        finally:
            heartbeater.stop()
            self.running.pop(token, None)
        try:
            await self.respond(
                "activity-tasks/complete",
                {"task_token": token, "result": result, "identity": self.identity},
            )
        except RPCError as exc:
            if exc.code != "payload_too_large":
                raise
            # Every attempt would return as much: fail it for good (as Temporal's server does
            # with a result over its size limit) rather than leave it to time out.
            error = ApplicationError(
                f"activity {defn.name}'s result is larger than the server accepts: {exc.message}",
                type="PayloadTooLarge",
                non_retryable=True,
            )
            await self.respond(
                "activity-tasks/fail",
                {"task_token": token, "failure": to_failure(error), "identity": self.identity},
            )


def _encode_result(defn: ActivityDefinition, value: Any) -> Any:
    """The activity's result as JSON. One that cannot be converted fails the attempt without
    retries: every attempt would return the same kind of value."""
    try:
        return converter.to_json(value)
    except Exception as exc:
        raise ApplicationError(
            f"activity {defn.name} returned a {type(value).__name__}, which cannot be "
            f"converted to JSON: {type(exc).__name__}: {exc}",
            type="SerializationError",
            non_retryable=True,
        ) from exc


def _failure_of(exc: BaseException) -> dict[str, Any]:
    """The wire failure for ``exc``; if its details cannot be converted to JSON, a failure
    that says so (rather than no answer, which would leave the attempt to time out)."""
    try:
        return to_failure(exc)
    except Exception as err:
        return to_failure(
            ApplicationError(
                f"{type(exc).__name__}: {exc} (its details cannot be converted to JSON: "
                f"{type(err).__name__}: {err})",
                type=type(exc).__name__ if not isinstance(exc, ApplicationError) else exc.type,
                non_retryable=getattr(exc, "non_retryable", False),
            )
        )


def _activity_info(task: dict[str, Any]) -> Info:
    details = task.get("heartbeat_details")
    return Info(
        activity_id=task["activity_id"],
        activity_type=task["activity_type"],
        attempt=int(task["attempt"]),
        workflow_id=task["workflow_id"],
        workflow_run_id=task["run_id"],
        workflow_type=task["workflow_type"],
        workflow_namespace=task["namespace"],
        task_queue=task["task_queue"],
        task_token=task["task_token"],
        heartbeat_details=details
        if isinstance(details, list)
        else ([] if details is None else [details]),
        scheduled_time=_time(task["scheduled_time"]),
        started_time=_time(task["started_time"]),
        schedule_to_close_timeout=parse_duration(task.get("schedule_to_close_timeout")),
        start_to_close_timeout=parse_duration(task.get("start_to_close_timeout")),
        heartbeat_timeout=parse_duration(task.get("heartbeat_timeout")),
    )


def _request_cancel(context: ActivityContext, running: asyncio.Future[Any]) -> None:
    context.cancel_requested = True
    running.cancel()


class _Heartbeater:
    """Sends an activity's heartbeats in the background, at most one per interval (80% of the
    heartbeat timeout, 30 s without one), always with the latest details."""

    def __init__(
        self,
        transport: Transport,
        ns_path: str,
        identity: str,
        token: str,
        timeout: timedelta | None,
    ) -> None:
        self.transport = transport
        self.ns_path = ns_path
        self.identity = identity
        self.token = token
        self.interval = min(0.8 * timeout.total_seconds(), 30.0) if timeout else 30.0
        self.loop = asyncio.get_running_loop()
        self.details: list[Any] | None = None
        self.dirty = False
        self.last_sent = 0.0
        self.sender: asyncio.Task[None] | None = None
        self.on_cancel: Callable[[], None] = lambda: None
        self.stopped = False

    def record(self, details: list[Any]) -> None:
        try:
            in_loop = asyncio.get_running_loop() is self.loop
        except RuntimeError:
            in_loop = False
        if in_loop:
            self._record(details)
        else:
            self.loop.call_soon_threadsafe(self._record, details)

    def _record(self, details: list[Any]) -> None:
        if self.stopped:
            return
        self.details = [converter.to_json(d) for d in details]
        self.dirty = True
        if self.sender is None or self.sender.done():
            self.sender = asyncio.create_task(self._send())

    async def _send(self) -> None:
        while self.dirty and not self.stopped:
            wait = self.last_sent + self.interval - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            self.dirty = False
            self.last_sent = time.monotonic()
            try:
                resp = await self.transport.call(
                    "POST",
                    f"{self.ns_path}/activity-tasks/heartbeat",
                    json={
                        "task_token": self.token,
                        "details": self.details,
                        "identity": self.identity,
                    },
                    retry=False,
                )
            except RPCError as exc:
                if exc.code == "task_not_found":
                    # The server gave up on this attempt (timed out, workflow closed): stop it.
                    self.on_cancel()
                    return
                log.warning("heartbeat failed: %s", exc)
                continue
            if resp.json().get("cancel_requested"):
                self.on_cancel()
                return

    async def flush(self) -> None:
        """Send the latest details now if they were not sent yet."""
        if not self.dirty or self.stopped:
            return
        if self.sender is not None and not self.sender.done():
            self.sender.cancel()
        self.dirty = False
        with contextlib.suppress(RPCError):
            await self.transport.call(
                "POST",
                f"{self.ns_path}/activity-tasks/heartbeat",
                json={"task_token": self.token, "details": self.details, "identity": self.identity},
                retry=False,
            )

    def stop(self) -> None:
        self.stopped = True
        if self.sender is not None and not self.sender.done():
            self.sender.cancel()
