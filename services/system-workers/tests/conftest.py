"""Builders of ``ExecutionState`` documents shared by the unit and integration tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from odin_common.api.internal import DispatchTask
from odin_common.state import ActivityInfo, ExecutionState, WorkflowTaskInfo

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
MIN_AGE = timedelta(seconds=5)
OLD = timedelta(minutes=2)


@dataclass
class StateBuilder:
    """Makes running (or closed) workflow runs in the situations the reconciler must tell apart.
    ``now`` is the time of the reconciler's clock."""

    now: datetime = NOW
    namespace: str = "default"
    namespace_id: str = "00000000-0000-0000-0000-000000000001"

    def run(
        self,
        workflow_id: str,
        *,
        run_id: str | None = None,
        status: str = "running",
        namespace: str | None = None,
        namespace_id: str | None = None,
    ) -> ExecutionState:
        run_id = run_id or f"run-{workflow_id}"
        start = self.now - timedelta(hours=1)
        return ExecutionState.model_validate(
            {
                "namespace_id": namespace_id or self.namespace_id,
                "namespace": namespace or self.namespace,
                "workflow_id": workflow_id,
                "run_id": run_id,
                "first_run_id": run_id,
                "workflow_type": "OrderWorkflow",
                "task_queue": "orders",
                "status": status,
                "start_time": start,
                "execution_time": start,
                "next_event_id": 3,
            }
        )

    def workflow_task(
        self,
        state: ExecutionState,
        *,
        age: timedelta = OLD,
        started: bool = False,
        attempt: int = 1,
    ) -> ExecutionState:
        state.workflow_task = WorkflowTaskInfo(
            scheduled_event_id=2,
            attempt=attempt,
            task_queue=state.task_queue,
            scheduled_time=self.now - age,
            started_event_id=3 if started else None,
            started_time=self.now - age / 2 if started else None,
        )
        return state

    def activity(
        self,
        state: ExecutionState,
        *,
        scheduled_event_id: int = 5,
        age: timedelta = OLD,
        attempt: int = 1,
        started: bool = False,
        backoff: bool = False,
    ) -> ExecutionState:
        state.activities[scheduled_event_id] = ActivityInfo(
            scheduled_event_id=scheduled_event_id,
            activity_id=f"act-{scheduled_event_id}",
            activity_type="charge_card",
            task_queue="payments",
            scheduled_time=self.now - age * 3,
            attempt=attempt,
            attempt_scheduled_time=self.now - age,
            started_time=self.now - age / 2 if started else None,
            backoff_until=self.now + timedelta(minutes=1) if backoff else None,
            retry_policy={"maximum_attempts": 5},
        )
        return state

    def six_situations(self) -> tuple[list[ExecutionState], set[str]]:
        """One run of each kind the brief names, and the dedup keys of the tasks that are lost:
        a scheduled-not-started workflow task and a scheduled (attempt 2) activity."""
        lost_wft = self.workflow_task(self.run("wf-lost-workflow-task"))
        started_wft = self.workflow_task(self.run("wf-started-workflow-task"), started=True)
        lost_activity = self.activity(self.run("wf-lost-activity"), attempt=2)
        backoff = self.activity(self.run("wf-activity-in-backoff"), attempt=2, backoff=True)
        closed = self.workflow_task(self.run("wf-closed", status="completed"))
        young = self.activity(
            self.workflow_task(self.run("wf-too-young"), age=timedelta(seconds=1)),
            age=timedelta(seconds=1),
        )
        expected = {
            DispatchTask(
                namespace=self.namespace,
                task_queue="orders",
                kind="workflow",
                workflow_id="wf-lost-workflow-task",
                run_id="run-wf-lost-workflow-task",
                scheduled_event_id=2,
                attempt=1,
            ).dedup_key(),
            DispatchTask(
                namespace=self.namespace,
                task_queue="payments",
                kind="activity",
                workflow_id="wf-lost-activity",
                run_id="run-wf-lost-activity",
                scheduled_event_id=5,
                attempt=2,
            ).dedup_key(),
        }
        return [lost_wft, started_wft, lost_activity, backoff, closed, young], expected


@pytest.fixture
def states() -> StateBuilder:
    return StateBuilder()
