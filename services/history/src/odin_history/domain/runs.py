"""Runs: starting one, closing one, and the runs that follow a run (continue-as-new, retry,
cron). Everything here is pure; run ids come from ``uuid4``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from croniter import CroniterError, croniter

from odin_common.api.events import EventType
from odin_common.api.types import RetryPolicy
from odin_common.durations import format_duration
from odin_common.errors import WorkflowNotFound
from odin_common.state import ExecutionState, ParentInfo
from odin_history.domain.machine import BACKOFF, START_DELAY, Machine, NewRun, TaskIdAllocator


@dataclass(slots=True)
class RunSpec:
    """What a new run is made of."""

    namespace_id: str
    namespace: str
    workflow_id: str
    workflow_type: str
    task_queue: str
    input: list[Any]
    task_timeout: float
    execution_timeout: float | None = None
    run_timeout: float | None = None
    retry_policy: dict[str, Any] | None = None
    cron_schedule: str | None = None
    memo: dict[str, Any] | None = None
    search_attributes: dict[str, Any] | None = None
    parent: ParentInfo | None = None
    request_id: str | None = None
    identity: str = ""


def new_run(
    spec: RunSpec,
    *,
    now: datetime,
    new_task_id: TaskIdAllocator,
    run_id: str | None = None,
    first_run_id: str | None = None,
    attempt: int = 1,
    backoff: timedelta | None = None,
    continued_from_run_id: str | None = None,
    initiator: str | None = None,
    execution_expiration_time: datetime | None = None,
    last_failure: dict[str, Any] | None = None,
    last_result: Any = None,
    signals: list[tuple[str, list[Any]]] | None = None,
    start_delay: bool = False,
) -> Machine:
    """A new run. ``signals`` are delivered before its first workflow task (signal-with-start).
    ``backoff`` delays the first workflow task; with ``start_delay`` it is the start delay a
    signal-with-start cuts short (as in Temporal), rather than a retry or cron backoff."""
    run_id = run_id or str(uuid.uuid4())
    first_run_id = first_run_id or run_id
    execution_time = now + (backoff or timedelta(0))
    if execution_expiration_time is None and spec.execution_timeout is not None:
        execution_expiration_time = now + timedelta(seconds=spec.execution_timeout)
    state = ExecutionState(
        namespace_id=spec.namespace_id,
        namespace=spec.namespace,
        workflow_id=spec.workflow_id,
        run_id=run_id,
        first_run_id=first_run_id,
        workflow_type=spec.workflow_type,
        task_queue=spec.task_queue,
        start_time=now,
        execution_time=execution_time,
        input=spec.input,
        memo=spec.memo or {},
        search_attributes=spec.search_attributes or {},
        execution_timeout=spec.execution_timeout,
        run_timeout=spec.run_timeout,
        task_timeout=spec.task_timeout,
        execution_expiration_time=execution_expiration_time,
        retry_policy=spec.retry_policy,
        attempt=attempt,
        cron_schedule=spec.cron_schedule,
        parent=spec.parent,
        continued_from_run_id=continued_from_run_id,
        start_request_id=spec.request_id,
    )
    m = Machine(state, now, new_task_id, created=True, visibility_changed=True)
    m.append(
        EventType.WORKFLOW_EXECUTION_STARTED,
        {
            "workflow_type": spec.workflow_type,
            "task_queue": spec.task_queue,
            "input": spec.input,
            "execution_timeout": format_duration(spec.execution_timeout),
            "run_timeout": format_duration(spec.run_timeout),
            "task_timeout": format_duration(spec.task_timeout),
            "attempt": attempt,
            "first_run_id": first_run_id,
            "continued_from_run_id": continued_from_run_id,
            "initiator": initiator,
            "first_workflow_task_backoff": format_duration(backoff) if backoff else None,
            "retry_policy": spec.retry_policy,
            "cron_schedule": spec.cron_schedule,
            "memo": spec.memo,
            "search_attributes": spec.search_attributes,
            "parent": spec.parent.model_dump(mode="json") if spec.parent else None,
            "request_id": spec.request_id,
            "identity": spec.identity,
            "execution_expiration_time": execution_expiration_time,
            "last_failure": last_failure,
            "last_completion_result": last_result,
        },
    )
    for signal_name, args in signals or []:
        m.append(
            EventType.WORKFLOW_EXECUTION_SIGNALED,
            {
                "signal_name": signal_name,
                "args": args,
                "identity": spec.identity,
                "request_id": spec.request_id,
            },
        )
    if spec.request_id is not None and signals:
        state.request_ids.append(spec.request_id)
    if spec.run_timeout is not None:
        m.add_timer(
            "run",
            execution_time + timedelta(seconds=spec.run_timeout),
            "workflow_timeout",
            {"kind": "run"},
        )
    if execution_expiration_time is not None:
        m.add_timer(
            "execution", execution_expiration_time, "workflow_timeout", {"kind": "execution"}
        )
    if backoff and backoff > timedelta(0):
        key = START_DELAY if start_delay else BACKOFF
        m.add_timer(key, execution_time, "workflow_backoff", {})
    else:
        m.schedule_workflow_task()
    return m


def require_chain(state: ExecutionState, first_execution_run_id: str | None) -> None:
    """A call that names the first run of a chain (continue-as-new, retries, cron) applies
    only to a run of that chain, as Temporal's ``first_execution_run_id``."""
    if first_execution_run_id and state.first_run_id != first_execution_run_id:
        raise WorkflowNotFound(
            f"workflow {state.workflow_id!r} has no run in the chain started by run "
            f"{first_execution_run_id}",
            workflow_id=state.workflow_id,
        )


def backoff_fired(m: Machine) -> None:
    """The start delay (or retry/cron backoff) of a run is over: its first task may run.
    A timer whose wait a signal-with-start ended already does nothing."""
    waited = [m.state.timer_keys.pop(key, None) for key in (BACKOFF, START_DELAY)]
    if not any(waited):
        return
    m.changed = True
    if m.state.running and m.state.workflow_task is None:
        m.schedule_workflow_task()


def spec_of(state: ExecutionState, **overrides: Any) -> RunSpec:
    spec = RunSpec(
        namespace_id=state.namespace_id,
        namespace=state.namespace,
        workflow_id=state.workflow_id,
        workflow_type=state.workflow_type,
        task_queue=state.task_queue,
        input=state.input,
        task_timeout=state.task_timeout,
        execution_timeout=state.execution_timeout,
        run_timeout=state.run_timeout,
        retry_policy=state.retry_policy,
        cron_schedule=state.cron_schedule,
        memo=state.memo,
        search_attributes=state.search_attributes,
        parent=state.parent,
        request_id=state.start_request_id,
    )
    for key, value in overrides.items():
        if value is not None:
            setattr(spec, key, value)
    return spec


def continue_run(
    m: Machine,
    *,
    initiator: str,
    spec: RunSpec,
    backoff: timedelta | None,
    attempt: int = 1,
    failure: dict[str, Any] | None = None,
    last_result: Any = None,
    completed_event_id: int | None = None,
) -> Machine:
    """Close this run as continued-as-new and create the run that follows it."""
    state = m.state
    new_run_id = str(uuid.uuid4())
    m.close(
        "continued_as_new",
        EventType.WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
        {
            "new_run_id": new_run_id,
            "workflow_type": spec.workflow_type,
            "task_queue": spec.task_queue,
            "input": spec.input,
            "run_timeout": format_duration(spec.run_timeout),
            "task_timeout": format_duration(spec.task_timeout),
            "backoff_start_interval": format_duration(backoff) if backoff else None,
            "initiator": initiator,
            "failure": failure,
            "last_completion_result": last_result,
            "workflow_task_completed_event_id": completed_event_id,
        },
    )
    state.new_run_id = new_run_id
    successor = new_run(
        spec,
        now=m.now,
        new_task_id=m.new_task_id,
        run_id=new_run_id,
        first_run_id=state.first_run_id,
        attempt=attempt,
        backoff=backoff,
        continued_from_run_id=state.run_id,
        initiator=initiator,
        execution_expiration_time=state.execution_expiration_time,
        last_failure=failure,
        last_result=last_result,
    )
    m.new_runs.append(NewRun(successor))
    return successor


def cron_backoff(cron: str, now: datetime) -> timedelta | None:
    """The wait until the schedule's next match; None when it has none (a schedule with
    a year in the past, or one stored before schedules were validated)."""
    try:
        nxt: datetime = croniter(cron, now).get_next(datetime)
    except (ValueError, KeyError, CroniterError):
        return None
    return max(nxt - now, timedelta(0))


def workflow_retry_backoff(
    state: ExecutionState, failure: dict[str, Any], now: datetime
) -> timedelta | None:
    """The wait before retrying a failed or timed-out run, or None when it is not retried."""
    if state.retry_policy is None:
        return None
    policy = RetryPolicy.model_validate(state.retry_policy)
    if failure.get("non_retryable"):
        return None
    if failure.get("type") and failure["type"] in policy.non_retryable_error_types:
        return None
    if policy.maximum_attempts and state.attempt >= policy.maximum_attempts:
        return None
    delay = policy.backoff(state.attempt)
    if (
        state.execution_expiration_time is not None
        and now + delay >= state.execution_expiration_time
    ):
        return None
    return delay


def _next_run_or_close(
    m: Machine,
    *,
    failure: dict[str, Any] | None,
    result: Any,
    close: tuple[str, EventType, dict[str, Any]],
    completed_event_id: int | None,
) -> None:
    """After a run ends: retry it (failures), start the next cron run, or close it."""
    state = m.state
    if failure is not None:
        delay = workflow_retry_backoff(state, failure, m.now)
        if delay is not None:
            continue_run(
                m,
                initiator="retry",
                spec=spec_of(state),
                backoff=delay,
                attempt=state.attempt + 1,
                failure=failure,
                completed_event_id=completed_event_id,
            )
            return
    cron_wait = cron_backoff(state.cron_schedule, m.now) if state.cron_schedule else None
    if cron_wait is not None:
        continue_run(
            m,
            initiator="cron",
            spec=spec_of(state),
            backoff=cron_wait,
            failure=failure,
            last_result=result,
            completed_event_id=completed_event_id,
        )
        return
    status, event_type, attributes = close
    m.close(status, event_type, attributes)
    state.result = result
    state.failure = failure


def complete_run(m: Machine, result: Any, completed_event_id: int) -> None:
    _next_run_or_close(
        m,
        failure=None,
        result=result,
        close=(
            "completed",
            EventType.WORKFLOW_EXECUTION_COMPLETED,
            {"result": result, "workflow_task_completed_event_id": completed_event_id},
        ),
        completed_event_id=completed_event_id,
    )


def fail_run(m: Machine, failure: dict[str, Any], completed_event_id: int) -> None:
    _next_run_or_close(
        m,
        failure=failure,
        result=None,
        close=(
            "failed",
            EventType.WORKFLOW_EXECUTION_FAILED,
            {"failure": failure, "workflow_task_completed_event_id": completed_event_id},
        ),
        completed_event_id=completed_event_id,
    )


def time_out_run(m: Machine, kind: str) -> None:
    """The run (``kind="run"``) or the whole execution (``"execution"``) ran out of time."""
    m.state.timer_keys.pop(kind, None)
    if not m.state.running:
        return
    m.flush_buffer()
    failure = {"message": f"workflow {kind} timeout", "type": "TimeoutError", "timeout_type": kind}
    close = ("timed_out", EventType.WORKFLOW_EXECUTION_TIMED_OUT, {"timeout_type": kind})
    if kind == "execution":
        m.close(*close)
        m.state.failure = failure
        return
    _next_run_or_close(m, failure=failure, result=None, close=close, completed_event_id=None)


def terminate_run(m: Machine, reason: str | None, details: Any, identity: str) -> None:
    m.require_running()
    m.flush_buffer()
    m.close(
        "terminated",
        EventType.WORKFLOW_EXECUTION_TERMINATED,
        {"reason": reason, "details": details, "identity": identity},
    )
    m.state.failure = {"message": reason or "terminated", "type": "TerminatedError"}
