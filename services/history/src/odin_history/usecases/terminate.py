"""Terminating a workflow: immediate, no workflow code runs."""

from __future__ import annotations

from typing import Any

from odin_common.api.workflows import TerminateRequest
from odin_history.domain import runs
from odin_history.engine.context import HistoryContext
from odin_history.engine.workflows import Session


async def terminate_workflow(
    ctx: HistoryContext, namespace: str, workflow_id: str, req: TerminateRequest
) -> dict[str, Any]:
    ns = await ctx.namespaces.get(namespace)

    async def body(s: Session) -> dict[str, Any]:
        state, version = await s.load(req.run_id)
        runs.require_chain(state, req.first_execution_run_id)
        m = s.machine(state)
        runs.terminate_run(m, req.reason, req.details, "")
        await s.commit(m, version)
        return {"workflow_id": workflow_id, "run_id": state.run_id}

    return await ctx.engine.run(ns, workflow_id, body)
