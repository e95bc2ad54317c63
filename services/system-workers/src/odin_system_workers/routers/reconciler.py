"""``POST /internal/reconciler/run``: one reconciler round now, for operators and tests."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field

from odin_common.api.types import ResponseModel
from odin_system_workers.deps import ReconcilerDep

router = APIRouter(prefix="/internal/reconciler", tags=["reconciler"])


class ReconcilerRunResponse(ResponseModel):
    requeued: int = Field(
        description="Tasks queued again because no queue held them (matching's count)."
    )
    scanned: int = Field(description="Running executions read.")
    submitted: int = Field(
        description="Tasks sent to matching: scheduled, not started, and older than the "
        "minimum age (tasks still queued are among them but are not queued twice)."
    )
    invalid: int = Field(description="Running executions whose state could not be read (logged).")


@router.post(
    "/run",
    summary="Run one reconciler round now",
    description="Reads every running execution and queues again each task it is waiting on "
    "that no queue holds. Waits for a round already in progress to finish first.",
    responses={
        503: {
            "description": "The database or matching is unavailable; nothing was lost, the "
            "next round retries",
            "content": {"application/problem+json": {}},
        }
    },
)
async def run_reconciler(reconciler: ReconcilerDep) -> ReconcilerRunResponse:
    result = await reconciler.run_round()
    return ReconcilerRunResponse(
        requeued=result.requeued,
        scanned=result.scanned,
        submitted=result.submitted,
        invalid=result.invalid,
    )
