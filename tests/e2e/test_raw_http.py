"""A worker in any language: drive a workflow with an activity through poll/complete with
plain HTTP, exactly as API.md documents (no SDK)."""

from typing import Any

import httpx
from e2e_harness import Deployment

NS = "/api/v1/namespaces/default"


async def _poll(client: httpx.AsyncClient, kind: str) -> dict[str, Any]:
    for _ in range(10):
        resp = await client.post(
            f"{NS}/task-queues/raw/poll",
            json={"kind": kind, "identity": "raw-worker", "wait": "10s"},
        )
        if resp.status_code == 200:
            return dict(resp.json())
        assert resp.status_code == 204, resp.text
    raise AssertionError(f"no {kind} task came")


async def test_a_workflow_driven_with_plain_http(deployment: Deployment) -> None:
    async with httpx.AsyncClient(base_url=deployment.url, timeout=30) as client:
        resp = await client.post(
            f"{NS}/workflows/raw-1",
            json={"workflow_type": "RawWorkflow", "task_queue": "raw", "input": [{"id": 1}]},
        )
        assert resp.status_code == 201, resp.text
        run_id = resp.json()["run_id"]

        task = await _poll(client, "workflow")
        assert task["workflow_type"] == "RawWorkflow"
        assert task["history"][0]["attributes"]["input"] == [{"id": 1}]
        command = {
            "type": "schedule_activity",
            "activity_id": "charge-1",
            "activity_type": "charge",
            "input": [{"id": 1}],
            "start_to_close_timeout": "30s",
        }
        resp = await client.post(
            f"{NS}/workflow-tasks/complete",
            json={
                "task_token": task["task_token"],
                "commands": [command],
                "identity": "raw-worker",
            },
        )
        assert resp.status_code == 200, resp.text
        first_token = task["task_token"]

        act = await _poll(client, "activity")
        assert (act["activity_id"], act["activity_type"], act["input"]) == (
            "charge-1",
            "charge",
            [{"id": 1}],
        )
        beat = await client.post(
            f"{NS}/activity-tasks/heartbeat",
            json={"task_token": act["task_token"], "details": {"done": 50}},
        )
        assert beat.json() == {"cancel_requested": False}
        resp = await client.post(
            f"{NS}/activity-tasks/complete",
            json={"task_token": act["task_token"], "result": "charged"},
        )
        assert resp.status_code == 200, resp.text

        history_before = (await client.get(f"{NS}/workflows/raw-1/history")).json()["events"]
        # A repeated completion and a stale one are refused and change nothing.
        again = await client.post(
            f"{NS}/activity-tasks/complete",
            json={"task_token": act["task_token"], "result": "twice"},
        )
        stale = await client.post(
            f"{NS}/workflow-tasks/complete", json={"task_token": first_token, "commands": []}
        )
        for resp in (again, stale):
            assert resp.status_code == 404
            assert resp.headers["content-type"] == "application/problem+json"
            assert resp.json()["code"] == "task_not_found"
        assert (await client.get(f"{NS}/workflows/raw-1/history")).json()[
            "events"
        ] == history_before

        task = await _poll(client, "workflow")
        completed = [e for e in task["history"] if e["event_type"] == "activity_task_completed"]
        assert completed[0]["attributes"]["result"] == "charged"
        resp = await client.post(
            f"{NS}/workflow-tasks/complete",
            json={
                "task_token": task["task_token"],
                "commands": [{"type": "complete_workflow", "result": {"receipt": "charged"}}],
            },
        )
        assert resp.status_code == 200, resp.text

        result = await client.get(f"{NS}/workflows/raw-1/result", params={"wait": "10s"})
        assert result.status_code == 200
        assert result.json() == {
            "workflow_id": "raw-1",
            "run_id": run_id,
            "status": "completed",
            "result": {"receipt": "charged"},
        }


async def test_an_eager_activity_comes_back_in_the_completion_answer(
    deployment: Deployment,
) -> None:
    async with httpx.AsyncClient(base_url=deployment.url, timeout=30) as client:
        resp = await client.post(
            f"{NS}/workflows/raw-eager",
            json={"workflow_type": "RawWorkflow", "task_queue": "raw", "input": [2]},
        )
        assert resp.status_code == 201, resp.text
        task = await _poll(client, "workflow")
        command = {
            "type": "schedule_activity",
            "activity_id": "charge-2",
            "activity_type": "charge",
            "input": [2],
            "start_to_close_timeout": "30s",
            "request_eager_execution": True,
        }
        resp = await client.post(
            f"{NS}/workflow-tasks/complete",
            json={"task_token": task["task_token"], "commands": [command]},
        )
        assert resp.status_code == 200, resp.text
        [act] = resp.json()["activity_tasks"]
        assert (act["activity_id"], act["input"], act["attempt"]) == ("charge-2", [2], 1)
        resp = await client.post(
            f"{NS}/activity-tasks/complete",
            json={"task_token": act["task_token"], "result": "charged eagerly"},
        )
        assert resp.status_code == 200, resp.text
        task = await _poll(client, "workflow")
        completed = [e for e in task["history"] if e["event_type"] == "activity_task_completed"]
        assert completed[0]["attributes"]["result"] == "charged eagerly"
        resp = await client.post(
            f"{NS}/workflow-tasks/complete",
            json={
                "task_token": task["task_token"],
                "commands": [{"type": "complete_workflow", "result": "done"}],
            },
        )
        assert resp.status_code == 200, resp.text
        result = await client.get(f"{NS}/workflows/raw-eager/result", params={"wait": "10s"})
        assert result.json()["result"] == "done"
