"""The activity task lifecycle: record started (for matching), heartbeat, complete, fail,
cancel."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from odin_common.api.internal import RecordTaskStartedRequest
from odin_common.api.worker import (
    ActivityCancelRequest,
    ActivityCompleteRequest,
    ActivityFailRequest,
    ActivityHeartbeatRequest,
)
from odin_common.state import ActivityInfo, ExecutionState
from odin_common.tokens import TaskToken
from odin_history.domain import activities
from odin_history.domain.machine import Machine
from odin_history.engine.context import HistoryContext
from odin_history.engine.workflows import Session
from odin_history.usecases.task_views import activity_task
from odin_history.usecases.workflow_tasks import ACCEPTED, decode_token

T = TypeVar("T")


async def record_activity_task_started(
    ctx: HistoryContext, namespace: str, workflow_id: str, req: RecordTaskStartedRequest
) -> dict[str, Any]:
    ns = await ctx.namespaces.get(namespace)

    async def body(s: Session) -> tuple[ExecutionState, ActivityInfo]:
        state, version = await s.load(req.run_id)
        m = s.machine(state)
        info = activities.start_activity(
            m, req.scheduled_event_id, req.attempt, req.request_id, req.identity
        )
        await s.commit(m, version)
        return state, info.model_copy()

    state, info = await ctx.engine.run(ns, workflow_id, body)
    return activity_task(namespace, state, info)


async def _on_activity(
    ctx: HistoryContext, namespace: str, token_text: str, apply: Callable[[Machine, TaskToken], T]
) -> T:
    token = decode_token(token_text, namespace, "activity")
    ns = await ctx.namespaces.get(namespace)

    async def body(s: Session) -> T:
        state, version = await s.load(token.run_id)
        m = s.machine(state)
        result = apply(m, token)
        await s.commit(m, version)
        return result

    return await ctx.engine.run(ns, token.workflow_id, body)


async def heartbeat_activity(
    ctx: HistoryContext, namespace: str, req: ActivityHeartbeatRequest
) -> dict[str, Any]:
    def apply(m: Machine, t: TaskToken) -> bool:
        return activities.heartbeat_activity(m, t.scheduled_event_id, t.attempt, req.details)

    return {"cancel_requested": await _on_activity(ctx, namespace, req.task_token, apply)}


async def complete_activity(
    ctx: HistoryContext, namespace: str, req: ActivityCompleteRequest
) -> dict[str, Any]:
    def apply(m: Machine, t: TaskToken) -> None:
        activities.complete_activity(m, t.scheduled_event_id, t.attempt, req.result, req.identity)

    await _on_activity(ctx, namespace, req.task_token, apply)
    return ACCEPTED


async def fail_activity(
    ctx: HistoryContext, namespace: str, req: ActivityFailRequest
) -> dict[str, Any]:
    failure = req.failure.model_dump(mode="json", exclude_none=True)

    def apply(m: Machine, t: TaskToken) -> None:
        activities.fail_activity(m, t.scheduled_event_id, t.attempt, failure, req.identity)

    await _on_activity(ctx, namespace, req.task_token, apply)
    return ACCEPTED


async def cancel_activity(
    ctx: HistoryContext, namespace: str, req: ActivityCancelRequest
) -> dict[str, Any]:
    def apply(m: Machine, t: TaskToken) -> None:
        activities.report_activity_canceled(
            m, t.scheduled_event_id, t.attempt, req.details, req.identity
        )

    await _on_activity(ctx, namespace, req.task_token, apply)
    return ACCEPTED
