"""Child workflows and signals/cancellations between workflows (through the transfer queue)."""

from typing import Any

import pytest
from history_testkit import HistoryDriver

from odin_common.testing import assert_eventually

pytestmark = pytest.mark.integration


def child(workflow_id: str = "child", **extra: Any) -> dict[str, Any]:
    return {
        "type": "start_child_workflow",
        "workflow_id": workflow_id,
        "workflow_type": "Child",
        **extra,
    }


async def _events_of(history: HistoryDriver, workflow_id: str, *types: str) -> list[dict[str, Any]]:
    async def check() -> list[dict[str, Any]]:
        events = [e for e in await history.events(workflow_id) if e["event_type"] in types]
        assert events
        return events

    return await assert_eventually(check, timeout=15)


async def test_a_child_runs_and_its_result_reaches_the_parent(history: HistoryDriver) -> None:
    await history.start("parent")
    await history.run_task("parent", [child(input=[5])])
    (started,) = await _events_of(history, "parent", "child_workflow_execution_started")
    desc = await history.describe("parent")
    assert desc["pending_children"][0]["workflow_id"] == "child"
    child_desc = await history.describe("child")
    assert child_desc["parent"]["workflow_id"] == "parent"
    assert started["attributes"]["run_id"] == child_desc["run_id"]
    await history.run_task("child", [{"type": "complete_workflow", "result": "done"}])
    (completed,) = await _events_of(history, "parent", "child_workflow_execution_completed")
    assert completed["attributes"]["result"] == "done"
    assert (await history.describe("parent"))["pending_children"] == []


async def test_child_failure_and_start_failure(history: HistoryDriver) -> None:
    await history.start("taken", workflow_type="Other")
    await history.start("parent")
    await history.run_task("parent", [child("taken"), child("kid")])
    (failed_start,) = await _events_of(history, "parent", "start_child_workflow_execution_failed")
    assert failed_start["attributes"]["cause"] == "workflow_already_started"
    await history.run_task(
        "kid", [{"type": "fail_workflow", "failure": {"message": "nope", "type": "Bad"}}]
    )
    (failed,) = await _events_of(history, "parent", "child_workflow_execution_failed")
    assert failed["attributes"]["failure"]["message"] == "nope"


async def test_starting_a_child_whose_id_a_running_child_of_the_same_parent_has(
    history: HistoryDriver,
) -> None:
    # The command is accepted, and the start fails as for an id another workflow holds.
    await history.start("parent")
    await history.run_task("parent", [child("kid", input=[1])])
    (started,) = await _events_of(history, "parent", "child_workflow_execution_started")
    task = await history.next_task("workflow", "parent")
    resp = await history.complete_wt(task, [child("kid", input=[2])])
    assert resp.status_code == 200, resp.text
    (failed,) = await _events_of(history, "parent", "start_child_workflow_execution_failed")
    initiated = [
        e
        for e in await history.events("parent")
        if e["event_type"] == "start_child_workflow_execution_initiated"
    ]
    assert len(initiated) == 2
    assert failed["attributes"] == {
        "initiated_event_id": initiated[1]["event_id"],
        "workflow_id": "kid",
        "workflow_type": "Child",
        "cause": "workflow_already_started",
    }
    assert "workflow_task_failed" not in await history.event_types("parent")
    # The parent hears of the failure in its next task; the first child is untouched.
    task = await history.next_task("workflow", "parent")
    assert task["history"][-3]["event_type"] == "start_child_workflow_execution_failed"
    kid = await history.describe("kid")
    assert (kid["run_id"], kid["status"]) == (started["attributes"]["run_id"], "running")
    assert [c["workflow_id"] for c in (await history.describe("parent"))["pending_children"]] == [
        "kid"
    ]
    await history.complete_wt(task, [])
    await history.run_task("kid", [{"type": "complete_workflow", "result": 1}])
    (completed,) = await _events_of(history, "parent", "child_workflow_execution_completed")
    assert completed["attributes"]["initiated_event_id"] == initiated[0]["event_id"]


@pytest.mark.parametrize(
    ("policy", "status"),
    [("terminate", "terminated"), ("request_cancel", "running"), ("abandon", "running")],
)
async def test_parent_close_policies(history: HistoryDriver, policy: str, status: str) -> None:
    await history.start("parent")
    await history.run_task("parent", [child(parent_close_policy=policy)])
    await _events_of(history, "parent", "child_workflow_execution_started")
    await history.client.post("/api/v1/namespaces/default/workflows/parent/terminate", json={})

    async def child_state() -> None:
        desc = await history.describe("child")
        assert desc["status"] == status
        if policy == "request_cancel":
            assert "workflow_execution_cancel_requested" in await history.event_types("child")

    await assert_eventually(child_state, timeout=15)


async def test_a_child_started_as_its_parent_closes_still_gets_the_policy(
    history: HistoryDriver,
) -> None:
    # The start of the child is carried out after the parent has already closed.
    await history.start("parent")
    await history.run_task(
        "parent", [child(parent_close_policy="terminate"), {"type": "complete_workflow"}]
    )
    assert (await history.describe("parent"))["status"] == "completed"

    async def child_terminated() -> None:
        assert (await history.describe("child"))["status"] == "terminated"

    await assert_eventually(child_terminated, timeout=15)


async def test_parent_close_policy_follows_a_child_that_continued_as_new(
    history: HistoryDriver,
) -> None:
    await history.start("parent")
    await history.run_task("parent", [child(parent_close_policy="terminate")])
    (started,) = await _events_of(history, "parent", "child_workflow_execution_started")
    await history.run_task("child", [{"type": "continue_as_new"}])
    second_run = (await history.describe("child"))["run_id"]
    assert second_run != started["attributes"]["run_id"]
    await history.client.post("/api/v1/namespaces/default/workflows/parent/terminate", json={})

    async def child_terminated() -> None:
        desc = await history.describe("child")
        assert (desc["run_id"], desc["status"]) == (second_run, "terminated")

    await assert_eventually(child_terminated, timeout=15)


async def test_cancelling_a_child_follows_its_continue_as_new(history: HistoryDriver) -> None:
    await history.start("parent")
    await history.run_task("parent", [child()])
    (started,) = await _events_of(history, "parent", "child_workflow_execution_started")
    await history.run_task("child", [{"type": "continue_as_new"}])
    cancel = {
        "type": "request_cancel_external_workflow",
        "workflow_id": "child",
        "run_id": started["attributes"]["run_id"],
        "child_workflow_only": True,
    }
    await history.run_task("parent", [cancel])
    await _events_of(history, "parent", "external_workflow_execution_cancel_requested")
    assert "workflow_execution_cancel_requested" in await history.event_types("child")


async def test_signal_and_cancel_another_workflow(history: HistoryDriver) -> None:
    await history.start("target")
    await history.run_task("target", [])
    await history.start("sender")
    signal = {
        "type": "signal_external_workflow",
        "workflow_id": "target",
        "signal_name": "ping",
        "args": [1],
    }
    missing = {"type": "signal_external_workflow", "workflow_id": "ghost", "signal_name": "ping"}
    cancel = {"type": "request_cancel_external_workflow", "workflow_id": "target"}
    await history.run_task("sender", [signal, missing, cancel])
    await _events_of(history, "sender", "external_workflow_execution_signaled")
    (failed,) = await _events_of(history, "sender", "signal_external_workflow_execution_failed")
    assert failed["attributes"]["cause"] == "workflow_not_found"
    await _events_of(history, "sender", "external_workflow_execution_cancel_requested")
    target = await history.next_task("workflow", "target")
    types = [e["event_type"] for e in target["history"]]
    assert "workflow_execution_signaled" in types
    assert "workflow_execution_cancel_requested" in types
