"""Dependency aliases of the history routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from odin_common.api.types import NamespaceName, WorkflowId
from odin_history.engine.context import HistoryContext


async def _context(request: Request) -> HistoryContext:
    # async: FastAPI runs a plain-def dependency in a worker thread, a thread hop per request.
    ctx: HistoryContext = request.app.state.ctx
    return ctx


ContextDep = Annotated[HistoryContext, Depends(_context)]
NamespacePath = Annotated[NamespaceName, Path(description="Namespace name.")]
WorkflowIdPath = Annotated[WorkflowId, Path(description="Workflow id.")]
