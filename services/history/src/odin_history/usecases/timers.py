"""Applying a due timer task to its workflow."""

from __future__ import annotations

from typing import Any

from odin_common.errors import NamespaceNotFound, WorkflowNotFound
from odin_history.domain import activities, runs
from odin_history.domain.commands import user_timer_fired
from odin_history.domain.machine import Machine
from odin_history.engine.context import HistoryContext
from odin_history.engine.workflows import Session


def _apply(m: Machine, task_type: str, payload: dict[str, Any]) -> None:
    if task_type == "workflow_task_timeout":
        m.state.timer_keys.pop("wt", None)
        wt = m.state.workflow_task
        if (
            wt is not None
            and wt.started
            and wt.scheduled_event_id == payload["scheduled_event_id"]
            and wt.attempt == payload["attempt"]
            and m.state.running
        ):
            m.fail_workflow_task(
                wt,
                cause="timeout",
                failure={"message": "workflow task timed out", "type": "TimeoutError"},
                identity=wt.identity or "",
                timed_out=True,
            )
    elif task_type == "workflow_task_dispatch":
        m.dispatch_delayed_workflow_task(payload["scheduled_event_id"], payload["attempt"])
    elif task_type == "workflow_task_sticky_timeout":
        m.sticky_timed_out(payload["scheduled_event_id"], payload["attempt"])
    elif task_type == "activity_timeout":
        activities.activity_timeout_fired(m, payload)
    elif task_type == "activity_retry":
        activities.activity_retry_fired(m, payload)
    elif task_type == "user_timer":
        user_timer_fired(m, payload)
    elif task_type == "workflow_timeout":
        runs.time_out_run(m, str(payload["kind"]))
    elif task_type == "workflow_backoff":
        runs.backoff_fired(m)
    else:
        raise ValueError(f"unknown timer task type {task_type!r}")


async def fire_timer(ctx: HistoryContext, row: dict[str, Any]) -> None:
    """Apply one timer task; a timer for a run that no longer needs it changes nothing."""
    try:
        ns = await ctx.namespaces.get_by_id(row["namespace_id"])
    except NamespaceNotFound:
        return
    if ns.deleted:
        return

    async def body(s: Session) -> None:
        try:
            state, version = await s.load(row["run_id"])
        except WorkflowNotFound:
            return
        m = s.machine(state)
        _apply(m, row["task_type"], row["payload"])
        await s.commit(m, version)

    await ctx.engine.run(ns, row["workflow_id"], body)
