"""The workflow state machine: pure rules over :class:`ExecutionState`, no I/O.

A :class:`Machine` wraps the state of one run at one instant (``now``). Operations append
events, queue transfer tasks (work for matching) and timer tasks (work due later), and change
the state; the engine then writes all of it in one transaction. Rules follow Temporal:

- While a workflow task is running, events from outside (activity results, timer firings,
  signals...) are *buffered* and written after the task completes, so a worker always sees a
  history that ends with the task it is working on.
- A workflow task that fails writes ``workflow_task_failed`` once; the attempts after it are
  *transient*: their scheduled/started events are only written if one completes, so a task
  that fails forever does not grow the history.
- Activity attempts write no events until the activity closes: ``activity_task_started``
  (with the final attempt) is written right before the completed/failed/timed-out event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from odin_common.api.events import EventType
from odin_common.api.internal import DispatchTask
from odin_common.clock import rfc3339
from odin_common.durations import format_duration
from odin_common.errors import TaskNotFound, WorkflowNotRunning
from odin_common.state import ChildInfo, ExecutionState, WorkflowTaskInfo

TaskIdAllocator = Callable[[], int]


@dataclass(slots=True)
class TransferTask:
    task_id: int
    task_type: str
    payload: dict[str, Any]


@dataclass(slots=True)
class TimerTask:
    task_id: int
    fire_at: datetime
    task_type: str
    payload: dict[str, Any]


@dataclass(slots=True)
class NewRun:
    """A run created by this change (start, continue-as-new, retry, cron)."""

    machine: Machine


BACKOFF = "backoff"
"""Timer key of a run's first workflow task waiting for its retry or cron backoff."""
START_DELAY = "start_delay"
"""Timer key of a run's first workflow task waiting for its start delay (a signal-with-start
ends it)."""


def workflow_task_backoff(attempt: int) -> timedelta:
    """Delay before dispatching workflow-task attempt ``attempt`` (after failures):
    none for the first retry, then 0.5 s doubling up to 10 s."""
    if attempt <= 2:
        return timedelta(0)
    return timedelta(seconds=min(0.5 * 2 ** (attempt - 3), 10.0))


@dataclass
class Machine:
    state: ExecutionState
    now: datetime
    new_task_id: TaskIdAllocator
    events: list[dict[str, Any]] = field(default_factory=list)
    transfer: list[TransferTask] = field(default_factory=list)
    timers: list[TimerTask] = field(default_factory=list)
    volatile_timers: list[TimerTask] = field(default_factory=list)
    """Timers kept only in memory: losing one (a crash) is harmless (see sticky queues)."""
    deleted_timers: list[tuple[datetime, int]] = field(default_factory=list)
    new_runs: list[NewRun] = field(default_factory=list)
    created: bool = False
    closed_now: bool = False
    visibility_changed: bool = False
    changed: bool = False
    _carried_attempt: int | None = None

    # ---- events --------------------------------------------------------------------------

    def append(
        self, event_type: EventType, attributes: dict[str, Any], at: datetime | None = None
    ) -> int:
        """Write an event now (it gets the next event id)."""
        event_id = self.state.next_event_id
        self.state.next_event_id += 1
        self.events.append(
            {
                "event_id": event_id,
                "event_type": event_type.value,
                "event_time": at or self.now,
                "attributes": attributes,
            }
        )
        self.changed = True
        return event_id

    def external(self, *entries: tuple[EventType, dict[str, Any]]) -> None:
        """Record events that came from outside the workflow (one fact, possibly two events,
        e.g. an activity's started + completed). Buffered while a workflow task runs;
        otherwise written, and a workflow task is scheduled so the workflow sees them."""
        wt = self.state.workflow_task
        if wt is not None and wt.started:
            for index, (event_type, attributes) in enumerate(entries):
                self.state.buffered_events.append(
                    {
                        "event_type": event_type.value,
                        "event_time": rfc3339(self.now),
                        "attributes": attributes,
                        "link_started": index > 0 and "started_event_id" in attributes,
                    }
                )
            self.changed = True
            return
        if wt is not None and wt.transient:
            # Its scheduled/started events were never written; after a new event it would
            # not line up any more, so it is re-scheduled as an ordinary task.
            self._drop_workflow_task()
            self._carried_attempt = wt.attempt
        previous: int | None = None
        for event_type, attributes in entries:
            if previous is not None and "started_event_id" in attributes:
                attributes["started_event_id"] = previous
            previous = self.append(event_type, attributes)
        self.schedule_workflow_task()

    def flush_buffer(self) -> bool:
        """Write buffered events; True if there were any."""
        buffered = self.state.buffered_events
        if not buffered:
            return False
        self.state.buffered_events = []
        previous: int | None = None
        for entry in buffered:
            attributes = entry["attributes"]
            if entry.get("link_started") and previous is not None:
                attributes["started_event_id"] = previous
            at = datetime.fromisoformat(entry["event_time"].replace("Z", "+00:00"))
            previous = self.append(EventType(entry["event_type"]), attributes, at=at)
        return True

    # ---- tasks ---------------------------------------------------------------------------

    def dispatch(self, kind: str, task_queue: str, scheduled_event_id: int, attempt: int) -> None:
        task = DispatchTask(
            namespace=self.state.namespace,
            task_queue=task_queue,
            kind=kind,
            workflow_id=self.state.workflow_id,
            run_id=self.state.run_id,
            scheduled_event_id=scheduled_event_id,
            attempt=attempt,
        )
        self.transfer.append(
            TransferTask(self.new_task_id(), "dispatch", task.model_dump(mode="json"))
        )
        self.changed = True

    def add_transfer(self, task_type: str, payload: dict[str, Any]) -> None:
        """Queue work for the transfer processor (done after the commit)."""
        self.transfer.append(TransferTask(self.new_task_id(), task_type, payload))
        self.changed = True

    def source(self) -> dict[str, Any]:
        """This run, as the origin of a cross-workflow task."""
        state = self.state
        return {
            "namespace": state.namespace,
            "namespace_id": state.namespace_id,
            "workflow_id": state.workflow_id,
            "run_id": state.run_id,
        }

    def add_timer(
        self, key: str, fire_at: datetime, task_type: str, payload: dict[str, Any]
    ) -> None:
        """Queue a timer task and remember it under ``key`` (replacing an older one)."""
        self.delete_timer(key)
        task_id = self.new_task_id()
        self.timers.append(TimerTask(task_id, fire_at, task_type, payload))
        self.state.timer_keys[key] = (fire_at, task_id)
        self.changed = True

    def delete_timer(self, key: str) -> None:
        old = self.state.timer_keys.pop(key, None)
        if old is not None:
            self.deleted_timers.append(old)
            self.changed = True

    def delete_timers(self, prefix: str) -> None:
        for key in [k for k in self.state.timer_keys if k.startswith(prefix)]:
            self.delete_timer(key)

    # ---- workflow tasks ------------------------------------------------------------------

    def require_running(self) -> None:
        if not self.state.running:
            raise WorkflowNotRunning(
                f"workflow {self.state.workflow_id} run {self.state.run_id} is {self.state.status}",
                workflow_id=self.state.workflow_id,
                run_id=self.state.run_id,
            )

    def schedule_workflow_task(
        self, *, attempt: int | None = None, transient: bool = False
    ) -> None:
        """Schedule a workflow task unless one is already scheduled or running."""
        state = self.state
        if state.workflow_task is not None or not state.running:
            return
        if BACKOFF in state.timer_keys or START_DELAY in state.timer_keys:
            # The run's first task waits for its retry/cron backoff (or start delay); events
            # that arrive meanwhile are seen by that task.
            return
        if attempt is None:
            attempt = self._carried_attempt or 1
        self._carried_attempt = None
        delay = workflow_task_backoff(attempt)
        # A worker that has the run cached asked for its next task on its own (sticky) queue.
        queue = state.sticky_task_queue or state.task_queue
        if transient:
            scheduled_event_id = state.next_event_id
        else:
            scheduled_event_id = self.append(
                EventType.WORKFLOW_TASK_SCHEDULED,
                {
                    "task_queue": queue,
                    "start_to_close_timeout": format_duration(state.task_timeout),
                    "attempt": attempt,
                },
            )
        scheduled_time = self.now + delay
        state.workflow_task = WorkflowTaskInfo(
            scheduled_event_id=scheduled_event_id,
            attempt=attempt,
            task_queue=queue,
            scheduled_time=scheduled_time,
            transient=transient,
        )
        payload = {"scheduled_event_id": scheduled_event_id, "attempt": attempt}
        if delay > timedelta(0):
            self.add_timer("wt", scheduled_time, "workflow_task_dispatch", payload)
        else:
            self.dispatch("workflow", queue, scheduled_event_id, attempt)
            if state.sticky_task_queue is not None:
                # Not written to timer_tasks (one row per task would cost a write and a
                # delete): if it is lost, the reconciler hands the task to the normal queue.
                timeout = timedelta(seconds=state.sticky_schedule_to_start_timeout or 5.0)
                self.volatile_timers.append(
                    TimerTask(
                        self.new_task_id(),
                        self.now + timeout,
                        "workflow_task_sticky_timeout",
                        payload,
                    )
                )
        self.changed = True

    def sticky_timed_out(self, scheduled_event_id: int, attempt: int) -> None:
        """The worker with the run cached did not take its task in time: hand the task to
        the run's normal queue (with the full history) and stop using the sticky queue."""
        wt = self.state.workflow_task
        if (
            wt is None
            or wt.started
            or wt.scheduled_event_id != scheduled_event_id
            or wt.attempt != attempt
            or wt.task_queue == self.state.task_queue
        ):
            return
        self.state.sticky_task_queue = None
        wt.task_queue = self.state.task_queue
        self.dispatch("workflow", wt.task_queue, scheduled_event_id, attempt)

    def dispatch_delayed_workflow_task(self, scheduled_event_id: int, attempt: int) -> None:
        wt = self.state.workflow_task
        self.state.timer_keys.pop("wt", None)
        if (
            wt is None
            or wt.started
            or wt.scheduled_event_id != scheduled_event_id
            or wt.attempt != attempt
        ):
            return
        self.dispatch("workflow", wt.task_queue, scheduled_event_id, attempt)

    def _drop_workflow_task(self) -> None:
        self.state.workflow_task = None
        self.delete_timer("wt")

    def matching_workflow_task(self, scheduled_event_id: int, attempt: int) -> WorkflowTaskInfo:
        wt = self.state.workflow_task
        if not self.state.running:
            raise TaskNotFound(
                f"workflow {self.state.workflow_id} is {self.state.status}; the task is gone",
                workflow_id=self.state.workflow_id,
                run_id=self.state.run_id,
            )
        if wt is None or wt.scheduled_event_id != scheduled_event_id or wt.attempt != attempt:
            raise TaskNotFound(
                "this workflow task is no longer current (completed, timed out or superseded)",
                workflow_id=self.state.workflow_id,
                run_id=self.state.run_id,
            )
        return wt

    def start_workflow_task(
        self,
        scheduled_event_id: int,
        attempt: int,
        request_id: str,
        identity: str,
        task_queue: str | None = None,
    ) -> WorkflowTaskInfo:
        wt = self.matching_workflow_task(scheduled_event_id, attempt)
        if task_queue is not None and task_queue != wt.task_queue and not wt.started:
            if task_queue != self.state.task_queue:
                raise TaskNotFound(
                    "this workflow task was moved to another task queue (its sticky worker "
                    "did not take it in time)"
                )
            # Taken from the normal queue (the sticky worker was too slow, or the reconciler
            # re-queued it there): the worker gets the full history, and stickiness ends.
            wt.task_queue = self.state.task_queue
            self.state.sticky_task_queue = None
        if wt.started:
            if wt.request_id == request_id:
                return wt
            raise TaskNotFound(
                "this workflow task was already handed to another poller",
                workflow_id=self.state.workflow_id,
            )
        if wt.scheduled_time > self.now:
            raise TaskNotFound("this workflow task is not due yet")
        if wt.transient:
            wt.started_event_id = wt.scheduled_event_id + 1
        else:
            wt.started_event_id = self.append(
                EventType.WORKFLOW_TASK_STARTED,
                {
                    "scheduled_event_id": wt.scheduled_event_id,
                    "identity": identity,
                    "request_id": request_id,
                },
            )
        wt.started_time = self.now
        wt.request_id = request_id
        wt.identity = identity
        self.add_timer(
            "wt",
            self.now + timedelta(seconds=self.state.task_timeout),
            "workflow_task_timeout",
            {"scheduled_event_id": wt.scheduled_event_id, "attempt": wt.attempt},
        )
        self.changed = True
        return wt

    def require_started_workflow_task(
        self, scheduled_event_id: int, attempt: int
    ) -> WorkflowTaskInfo:
        wt = self.matching_workflow_task(scheduled_event_id, attempt)
        if not wt.started:
            raise TaskNotFound("this workflow task has not been handed to a worker")
        return wt

    def begin_workflow_task_completion(self, wt: WorkflowTaskInfo, identity: str) -> int:
        """Write the events that close a workflow task successfully; the id of
        ``workflow_task_completed`` (commands point at it)."""
        if wt.transient:
            scheduled = self.append(
                EventType.WORKFLOW_TASK_SCHEDULED,
                {
                    "task_queue": wt.task_queue,
                    "start_to_close_timeout": format_duration(self.state.task_timeout),
                    "attempt": wt.attempt,
                },
                at=wt.scheduled_time,
            )
            started = self.append(
                EventType.WORKFLOW_TASK_STARTED,
                {
                    "scheduled_event_id": scheduled,
                    "identity": wt.identity or "",
                    "request_id": wt.request_id,
                },
                at=wt.started_time,
            )
            assert (scheduled, started) == (wt.scheduled_event_id, wt.started_event_id)
        completed = self.append(
            EventType.WORKFLOW_TASK_COMPLETED,
            {
                "scheduled_event_id": wt.scheduled_event_id,
                "started_event_id": wt.started_event_id,
                "identity": identity,
            },
        )
        self.state.previous_started_event_id = wt.started_event_id
        self._drop_workflow_task()
        return completed

    def fail_workflow_task(
        self,
        wt: WorkflowTaskInfo,
        *,
        cause: str,
        failure: dict[str, Any],
        identity: str,
        timed_out: bool = False,
        count_attempt: bool = True,
    ) -> None:
        """A workflow task failed or timed out: record it and schedule the next attempt."""
        if not wt.transient:
            if timed_out:
                self.append(
                    EventType.WORKFLOW_TASK_TIMED_OUT,
                    {
                        "scheduled_event_id": wt.scheduled_event_id,
                        "started_event_id": wt.started_event_id,
                        "timeout_type": "start_to_close",
                    },
                )
            else:
                self.append(
                    EventType.WORKFLOW_TASK_FAILED,
                    {
                        "scheduled_event_id": wt.scheduled_event_id,
                        "started_event_id": wt.started_event_id,
                        "cause": cause,
                        "failure": failure,
                        "identity": identity,
                    },
                )
        self._drop_workflow_task()
        # The worker's cached copy of the run is no longer what history says: the next task
        # goes to the normal queue with the full history.
        self.state.sticky_task_queue = None
        flushed = self.flush_buffer()
        next_attempt = wt.attempt + 1 if count_attempt else 1
        self.schedule_workflow_task(attempt=next_attempt, transient=not flushed and count_attempt)
        new = self.state.workflow_task
        if new is not None:
            new.last_failure = failure
            new.last_failure_cause = "timeout" if timed_out else cause
        self.changed = True

    # ---- closing -------------------------------------------------------------------------

    def close(self, status: str, event_type: EventType, attributes: dict[str, Any]) -> int:
        """Close the run with its closing event; pending work is abandoned, the parent is told,
        and the parent close policy is applied to pending children."""
        state = self.state
        event_id = self.append(event_type, attributes)
        self._close_notifications(status, attributes)
        state.status = status  # type: ignore[assignment]
        state.close_time = self.now
        state.workflow_task = None
        state.buffered_events = []
        state.activities = {}
        state.timers = {}
        # Children still starting stay: their parent close policy applies once they have.
        state.children = {
            key: child
            for key, child in state.children.items()
            if child.run_id is None and child.parent_close_policy != "abandon"
        }
        state.signals = {}
        state.request_cancels = {}
        state.sticky_task_queue = None
        for key in list(state.timer_keys):
            self.delete_timer(key)
        self.closed_now = True
        self.visibility_changed = True
        return event_id

    def _close_notifications(self, status: str, attributes: dict[str, Any]) -> None:
        state = self.state
        if state.parent is not None and status != "continued_as_new":
            if status == "completed":
                result, failure = attributes.get("result"), None
            else:
                result = None
                failure = attributes.get("failure") or _close_failure(status, attributes)
            self.add_transfer(
                "notify_parent",
                {
                    "parent": state.parent.model_dump(mode="json"),
                    "child_run_id": state.run_id,
                    "status": status,
                    "result": result,
                    "failure": failure,
                },
            )
        for child in state.children.values():
            if child.parent_close_policy != "abandon":
                self.add_parent_close_policy(child, status)

    def add_parent_close_policy(self, child: ChildInfo, parent_status: str) -> None:
        """Terminate the child, or ask it to cancel, as its parent close policy says (this run
        has closed). A child not yet known to have started is dealt with when its start is
        reported."""
        if child.run_id is None:
            return
        self.add_transfer(
            "parent_closed",
            {
                "namespace": child.namespace,
                "workflow_id": child.workflow_id,
                "run_id": child.run_id,
                "policy": child.parent_close_policy,
                "reason": f"parent {self.state.workflow_id} closed ({parent_status})",
            },
        )


def _close_failure(status: str, attributes: dict[str, Any]) -> dict[str, Any]:
    """The failure a parent sees for a child that closed with ``status``."""
    if status == "terminated":
        return {"message": attributes.get("reason") or "terminated", "type": "TerminatedError"}
    if status == "canceled":
        return {
            "message": "canceled",
            "type": "CancelledError",
            "details": attributes.get("details"),
        }
    if status == "timed_out":
        kind = attributes.get("timeout_type")
        return {"message": f"workflow {kind} timeout", "type": "TimeoutError", "timeout_type": kind}
    return {"message": status}
