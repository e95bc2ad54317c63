"""Workflow tasks on the worker side: replay, the sticky cache, and query tasks.

A workflow task replays the run's history through its code (in a thread, so a long replay does
not stall the worker's polling) and answers with the commands of its last task. With sticky
execution the worker keeps the run in memory (LRU, ``max_cached_workflows``) and asks the
server to send the run's next task to its own sticky queue, with only the new events; a task
with a partial history for a run that is no longer cached is failed with the cause
``reset_sticky_task_queue``, and the server sends it again with the full history.

When the server refuses a completion because of its commands (400 ``invalid_argument``, 413
``payload_too_large``: it changed nothing), the task is failed with the cause ``bad_command``
and the server's reason, and the run leaves the cache: left to time out, the task would come
back to code that answers the same way, with no trace of why.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any, Protocol

from odin._runtime.definitions import WorkflowDefinition
from odin._runtime.failures import to_failure
from odin._runtime.instance import (
    ActivationResult,
    WorkflowInfo,
    WorkflowInstance,
    WorkflowTaskError,
    new_instance,
)
from odin.common import duration
from odin.exceptions import ApplicationError, NondeterminismError, RPCError

log = logging.getLogger("odin.worker")

Respond = Callable[[str, dict[str, Any]], Awaitable[Any]]
FetchHistory = Callable[[dict[str, Any]], Awaitable[list[dict[str, Any]]]]
REFUSED_CODES = frozenset({"invalid_argument", "payload_too_large"})
"""Answers to a workflow-task completion that refuse its commands (400, 413); others (a bad
task token, the server being unavailable) say nothing about the commands."""


MAX_EAGER_ACTIVITIES_PER_TASK = 3
"""Activities one workflow task completion asks to run eagerly, at most (as Temporal)."""


class EagerActivities(Protocol):
    """The worker's activity side, for activities handed back in a completion's answer."""

    async def reserve(self, command: dict[str, Any]) -> bool:
        """Take an activity slot for this ``schedule_activity`` command, if this worker can
        run it now; False (nothing taken) otherwise."""

    def release(self, count: int) -> None:
        """Give back slots reserved for activities the server did not hand back."""

    def start(self, task: dict[str, Any]) -> None:
        """Run an activity task on a reserved slot (freed when it ends)."""


class WorkflowTaskRunner:
    def __init__(
        self,
        workflows: dict[str, WorkflowDefinition],
        *,
        identity: str,
        respond: Respond,
        fetch_rest: FetchHistory,
        executor: ThreadPoolExecutor,
        sticky_queue: str | None,
        sticky_timeout: timedelta,
        max_cached: int,
        eager: EagerActivities | None = None,
    ) -> None:
        self.workflows = workflows
        self.identity = identity
        self.respond = respond
        self.fetch_rest = fetch_rest
        self.executor = executor
        self.sticky_queue = sticky_queue
        self.sticky_timeout = sticky_timeout
        self.max_cached = max_cached
        self.eager = eager
        self.cache: OrderedDict[str, WorkflowInstance] = OrderedDict()

    async def run(self, task: dict[str, Any]) -> None:
        if task.get("queries"):
            await self._answer_queries(task)
            return
        token = task["task_token"]
        defn = self.workflows.get(task["workflow_type"])
        if defn is None:
            await self._fail(token, "other", self._not_registered(task))
            return
        history = list(task["history"])
        if task.get("next_page_token"):
            history += await self.fetch_rest(task)
        run_id = task["run_id"]
        instance = self.cache.pop(run_id, None)
        if history and history[0]["event_id"] == 1:
            instance = new_instance(defn, _info(task))
        elif instance is None:
            await self._fail(
                token,
                "reset_sticky_task_queue",
                ApplicationError("this worker no longer has the run cached", type="CacheMiss"),
            )
            return
        loop = asyncio.get_running_loop()
        try:
            result: ActivationResult = await loop.run_in_executor(
                self.executor, instance.activate, history
            )
        except NondeterminismError as exc:
            log.error("workflow %s: %s", task["workflow_id"], exc)
            await self._fail(token, "nondeterminism", exc)
            return
        except WorkflowTaskError as exc:
            log.error("workflow %s: the workflow task failed: %s", task["workflow_id"], exc)
            await self._fail(token, exc.cause_code, exc.error or exc)
            return
        except Exception as exc:
            log.exception("workflow %s: the workflow task failed", task["workflow_id"])
            await self._fail(token, "workflow_error", exc)
            return
        reserved: list[dict[str, Any]] = []  # the commands that took an activity slot
        handed = 0
        try:
            commands = await self._request_eager(result, reserved)
            body: dict[str, Any] = {
                "task_token": token,
                "commands": commands,
                "identity": self.identity,
            }
            if self.sticky_queue is not None and not result.completed and self.max_cached > 0:
                self._remember(run_id, instance)
                body["sticky_task_queue"] = self.sticky_queue
                body["sticky_schedule_to_start_timeout"] = duration(self.sticky_timeout)
            answered = await self._complete(task, body)
            for activity_task in (answered or {}).get("activity_tasks") or []:
                if handed == len(reserved):
                    log.warning("the server handed back an activity this worker did not ask for")
                    break
                assert self.eager is not None
                self.eager.start(activity_task)
                handed += 1
        finally:
            if self.eager is not None and len(reserved) > handed:
                self.eager.release(len(reserved) - handed)

    async def _request_eager(
        self, result: ActivationResult, reserved: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """The commands, with ``request_eager_execution`` on the activities this worker has
        slots for; each command that takes a slot goes into ``reserved`` at once."""
        if self.eager is None or result.completed:
            return result.commands
        commands = []
        for command in result.commands:
            if (
                command["type"] == "schedule_activity"
                and len(reserved) < MAX_EAGER_ACTIVITIES_PER_TASK
                and await self.eager.reserve(command)
            ):
                command = {**command, "request_eager_execution": True}
                reserved.append(command)
            commands.append(command)
        return commands

    async def _complete(self, task: dict[str, Any], body: dict[str, Any]) -> dict[str, Any] | None:
        """Send the completion; None when the server refused it or no longer wants it."""
        token = body["task_token"]
        run_id = task["run_id"]
        try:
            answered: dict[str, Any] | None = await self.respond("workflow-tasks/complete", body)
        except RPCError as exc:
            self.cache.pop(run_id, None)
            if exc.code not in REFUSED_CODES:
                raise
            # The server refused the commands and changed nothing. Left alone, the task would
            # time out and come back with the same history, and the code would answer with
            # the same commands, forever and silently; failing it records why in the history.
            log.error(
                "workflow %s: the server refused the workflow task's commands: %s",
                task["workflow_id"],
                exc.message,
            )
            refused = ApplicationError(
                f"the server refused the workflow task's commands ({exc.code}): {exc.message}",
                *([exc.details] if exc.details else []),
                type="BadCommand",
            )
            await self._fail(token, "bad_command", refused)
            return None
        except BaseException:
            self.cache.pop(run_id, None)
            raise
        if answered is None:  # the server moved on: the cached copy may be wrong now
            self.cache.pop(run_id, None)
        return answered

    def _remember(self, run_id: str, instance: WorkflowInstance) -> None:
        self.cache[run_id] = instance
        while len(self.cache) > self.max_cached:
            self.cache.popitem(last=False)

    def _not_registered(self, task: dict[str, Any]) -> ApplicationError:
        return ApplicationError(
            f"workflow type {task['workflow_type']!r} is not registered on this worker "
            f"(it has {sorted(self.workflows)})",
            type="NotFoundError",
        )

    async def _fail(self, token: str, cause: str, exc: BaseException) -> None:
        failure = to_failure(exc)
        failure.setdefault("type", type(exc).__name__)
        await self.respond(
            "workflow-tasks/fail",
            {"task_token": token, "cause": cause, "failure": failure, "identity": self.identity},
        )

    async def _answer_queries(self, task: dict[str, Any]) -> None:
        """A query task: rebuild the run's state from its history (a fresh instance: nothing
        is sent) and answer each query from it."""
        defn = self.workflows.get(task["workflow_type"])
        history = list(task["history"])
        if task.get("next_page_token"):
            history += await self.fetch_rest(task)
        loop = asyncio.get_running_loop()
        instance: WorkflowInstance | None = None
        setup_error: str | None = None
        if defn is None:
            setup_error = str(self._not_registered(task))
        else:
            instance = new_instance(defn, _info(task))
            instance.quiet = True  # a task still in flight runs its code again here
            try:
                await loop.run_in_executor(self.executor, instance.activate, history)
            except Exception as exc:
                setup_error = f"replaying the workflow failed: {type(exc).__name__}: {exc}"
        for query in task["queries"]:
            body: dict[str, Any] = {"task_token": task["task_token"], "identity": self.identity}
            if setup_error is not None or instance is None:
                body["error"] = setup_error
            else:
                try:
                    body["result"] = await loop.run_in_executor(
                        self.executor,
                        instance.query,
                        query["query_name"],
                        list(query.get("args") or []),
                    )
                except KeyError as exc:
                    body["error"] = str(exc.args[0])
                except Exception as exc:
                    body["error"] = f"{type(exc).__name__}: {exc}"
            await self.respond("query-tasks/respond", body)


def _info(task: dict[str, Any]) -> WorkflowInfo:
    return WorkflowInfo(
        namespace=task["namespace"],
        workflow_id=task["workflow_id"],
        run_id=task["run_id"],
        workflow_type=task["workflow_type"],
        task_queue=task["task_queue"],
    )
