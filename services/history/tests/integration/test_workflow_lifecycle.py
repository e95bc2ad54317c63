"""A workflow with an activity, driven through history's API as matching and a worker do."""

import pytest
from history_testkit import HistoryDriver, activity_command

pytestmark = pytest.mark.integration


async def test_workflow_with_one_activity_runs_to_completion(history: HistoryDriver) -> None:
    resp = await history.start("wf-1", input=[{"id": 1}])
    assert resp.status_code == 201, resp.text
    run_id = resp.json()["run_id"]
    assert resp.json()["started"] is True

    wt = await history.next_task("workflow", "wf-1")
    assert [e["event_type"] for e in wt["history"]] == [
        "workflow_execution_started",
        "workflow_task_scheduled",
        "workflow_task_started",
    ]
    assert wt["history"][0]["attributes"]["input"] == [{"id": 1}]
    assert (await history.complete_wt(wt, [activity_command()])).status_code == 200

    act = await history.next_task("activity", "wf-1")
    assert act["activity_type"] == "act"
    assert act["input"] == [1]
    assert act["attempt"] == 1
    resp = await history.activity("complete", act, result="done")
    assert resp.status_code == 200, resp.text

    wt2 = await history.next_task("workflow", "wf-1")
    assert [e["event_type"] for e in wt2["history"]][4:] == [
        "activity_task_scheduled",
        "activity_task_started",
        "activity_task_completed",
        "workflow_task_scheduled",
        "workflow_task_started",
    ]
    completed = next(e for e in wt2["history"] if e["event_type"] == "activity_task_completed")
    assert completed["attributes"]["result"] == "done"
    assert wt2["previous_started_event_id"] == wt["started_event_id"]
    resp = await history.complete_wt(wt2, [{"type": "complete_workflow", "result": "ok"}])
    assert resp.status_code == 200, resp.text

    result = await history.client.get("/api/v1/namespaces/default/workflows/wf-1/result")
    assert result.status_code == 200
    assert result.json() == {
        "workflow_id": "wf-1",
        "run_id": run_id,
        "status": "completed",
        "result": "ok",
    }
    desc = await history.describe("wf-1")
    assert desc["status"] == "completed"
    assert desc["pending_activities"] == []
    assert await history.event_types("wf-1") == [
        "workflow_execution_started",
        "workflow_task_scheduled",
        "workflow_task_started",
        "workflow_task_completed",
        "activity_task_scheduled",
        "activity_task_started",
        "activity_task_completed",
        "workflow_task_scheduled",
        "workflow_task_started",
        "workflow_task_completed",
        "workflow_execution_completed",
    ]
    assert desc["history_length"] == 11
