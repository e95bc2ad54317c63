"""FastAPI dependencies: the resources the lifespan keeps on ``app.state``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from odin_system_workers.usecases.reconcile import Reconciler


def get_reconciler(request: Request) -> Reconciler:
    reconciler: Reconciler = request.app.state.reconciler
    return reconciler


ReconcilerDep = Annotated[Reconciler, Depends(get_reconciler)]
