"""FastAPI dependencies: the resources the lifespan keeps on ``app.state``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from odin_system_workers.usecases.reconcile import Reconciler


async def get_reconciler(request: Request) -> Reconciler:
    # async: FastAPI runs a plain-def dependency in a worker thread, a thread hop per request.
    reconciler: Reconciler = request.app.state.reconciler
    return reconciler


ReconcilerDep = Annotated[Reconciler, Depends(get_reconciler)]
