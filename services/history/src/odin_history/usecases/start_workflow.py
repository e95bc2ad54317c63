"""Starting a workflow: request-id idempotency, id reuse and id conflict policies."""

from __future__ import annotations

from typing import Any

from odin_common.api.workflows import WorkflowStartRequest
from odin_common.errors import WorkflowAlreadyStarted
from odin_common.state import ParentInfo
from odin_history.domain import runs
from odin_history.domain.machine import Machine, NewRun
from odin_history.engine.context import HistoryContext
from odin_history.engine.workflows import Session

FAILED_STATUSES = frozenset({"failed", "canceled", "terminated", "timed_out"})


def _spec(
    namespace_id: str, namespace: str, workflow_id: str, req: WorkflowStartRequest
) -> runs.RunSpec:
    return runs.RunSpec(
        namespace_id=namespace_id,
        namespace=namespace,
        workflow_id=workflow_id,
        workflow_type=req.workflow_type,
        task_queue=req.task_queue,
        input=req.input,
        task_timeout=req.task_timeout.total_seconds(),
        execution_timeout=req.execution_timeout.total_seconds() if req.execution_timeout else None,
        run_timeout=req.run_timeout.total_seconds() if req.run_timeout else None,
        retry_policy=req.retry_policy.model_dump(mode="json") if req.retry_policy else None,
        cron_schedule=req.cron_schedule,
        memo=req.memo,
        search_attributes=req.search_attributes,
        request_id=req.request_id,
    )


async def start_workflow(
    ctx: HistoryContext,
    namespace: str,
    workflow_id: str,
    req: WorkflowStartRequest,
    *,
    signals: list[tuple[str, list[Any]]] | None = None,
    parent: ParentInfo | None = None,
) -> tuple[int, dict[str, Any]]:
    """Start a run; returns (HTTP status, body): 201 when started, 200 when not.
    ``signals`` are delivered first (signal-with-start); ``parent`` makes it a child."""
    ns = await ctx.namespaces.get(namespace)

    def new(s: Session, spec: runs.RunSpec) -> Machine:
        # A cron workflow's first run waits for the schedule's first match, as in Temporal.
        backoff = req.start_delay
        if req.cron_schedule is not None:
            backoff = runs.cron_backoff(req.cron_schedule, s.now)
        return runs.new_run(
            spec,
            now=s.now,
            new_task_id=s.shard.new_task_id,
            backoff=backoff,
            signals=signals,
            start_delay=req.start_delay is not None,
        )

    async def body(s: Session) -> tuple[int, dict[str, Any]]:
        spec = _spec(ns.id, ns.name, workflow_id, req)
        spec.parent = parent
        current_id = await s.current_run_id()
        if current_id is None:
            m = new(s, spec)
            await s.commit(m, None)
            return 201, _answer(m, started=True)
        current, version = await s.load(current_id)
        if req.request_id is not None and current.start_request_id == req.request_id:
            return 200, {"workflow_id": workflow_id, "run_id": current.run_id, "started": False}
        if current.running:
            if req.id_conflict_policy == "use_existing":
                return 200, {"workflow_id": workflow_id, "run_id": current.run_id, "started": False}
            if req.id_conflict_policy == "fail":
                raise WorkflowAlreadyStarted(
                    f"workflow {workflow_id!r} is already running",
                    workflow_id=workflow_id,
                    run_id=current.run_id,
                )
            old = s.machine(current)
            runs.terminate_run(
                old, "terminated by a new start (id_conflict_policy=terminate_existing)", None, ""
            )
            fresh = new(s, spec)
            old.new_runs.append(NewRun(fresh))
            await s.commit(old, version)
            return 201, _answer(fresh, started=True)
        if req.id_reuse_policy == "reject_duplicate" or (
            req.id_reuse_policy == "allow_duplicate_failed_only"
            and current.status not in FAILED_STATUSES
        ):
            raise WorkflowAlreadyStarted(
                f"workflow id {workflow_id!r} was already used by a run that is "
                f"{current.status}, and id_reuse_policy is {req.id_reuse_policy}",
                workflow_id=workflow_id,
                run_id=current.run_id,
            )
        m = new(s, spec)
        await s.commit(m, None, previous_current=current.run_id)
        return 201, _answer(m, started=True)

    return await ctx.engine.run(ns, workflow_id, body)


def _answer(m: Machine, *, started: bool) -> dict[str, Any]:
    return {"workflow_id": m.state.workflow_id, "run_id": m.state.run_id, "started": started}
