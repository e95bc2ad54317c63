"""Starting workflows: idempotency, id conflict and id reuse policies, start delay."""

import pytest
from history_testkit import HistoryDriver

pytestmark = pytest.mark.integration


async def _close(history: HistoryDriver, workflow_id: str, command: dict[str, object]) -> None:
    wt = await history.next_task("workflow", workflow_id)
    resp = await history.complete_wt(wt, [command])
    assert resp.status_code == 200, resp.text


async def test_repeated_request_id_returns_the_first_answer(history: HistoryDriver) -> None:
    first = await history.start("wf", request_id="r-1")
    again = await history.start("wf", request_id="r-1")
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json() == {**first.json(), "started": False}
    assert len(history.matching.of_kind("workflow")) <= 1
    assert await history.event_types("wf") == [
        "workflow_execution_started",
        "workflow_task_scheduled",
    ]


async def test_conflict_policy_fail_refuses_a_second_start(history: HistoryDriver) -> None:
    first = await history.start("wf")
    resp = await history.start("wf")
    assert resp.status_code == 409
    doc = resp.json()
    assert doc["code"] == "workflow_already_started"
    assert doc["run_id"] == first.json()["run_id"]


async def test_conflict_policy_use_existing(history: HistoryDriver) -> None:
    first = await history.start("wf")
    resp = await history.start("wf", id_conflict_policy="use_existing")
    assert resp.status_code == 200
    assert resp.json() == {**first.json(), "started": False}


async def test_conflict_policy_terminate_existing(history: HistoryDriver) -> None:
    first = (await history.start("wf")).json()
    resp = await history.start("wf", id_conflict_policy="terminate_existing")
    assert resp.status_code == 201
    second = resp.json()
    assert second["run_id"] != first["run_id"]
    old = await history.client.get(
        "/api/v1/namespaces/default/workflows/wf", params={"run_id": first["run_id"]}
    )
    assert old.json()["status"] == "terminated"
    assert (await history.describe("wf"))["run_id"] == second["run_id"]


@pytest.mark.parametrize(
    ("policy", "close", "allowed"),
    [
        ("allow_duplicate", {"type": "complete_workflow"}, True),
        ("allow_duplicate_failed_only", {"type": "complete_workflow"}, False),
        (
            "allow_duplicate_failed_only",
            {"type": "fail_workflow", "failure": {"message": "x"}},
            True,
        ),
        ("reject_duplicate", {"type": "fail_workflow", "failure": {"message": "x"}}, False),
    ],
)
async def test_reuse_policies(
    history: HistoryDriver, policy: str, close: dict[str, object], allowed: bool
) -> None:
    await history.start("wf")
    await _close(history, "wf", close)
    resp = await history.start("wf", id_reuse_policy=policy)
    if allowed:
        assert resp.status_code == 201, resp.text
    else:
        assert resp.status_code == 409
        assert resp.json()["code"] == "workflow_already_started"


async def test_unknown_namespace(history: HistoryDriver) -> None:
    history.ns = "nope"
    resp = await history.start("wf")
    assert resp.status_code == 404
    assert resp.json()["code"] == "namespace_not_found"


async def test_start_delay_holds_the_first_task_back(history: HistoryDriver) -> None:
    resp = await history.start("wf", start_delay="1s")
    assert resp.status_code == 201
    assert history.matching.of_kind("workflow") == []
    assert await history.event_types("wf") == ["workflow_execution_started"]
    wt = await history.next_task("workflow", "wf")
    assert [e["event_type"] for e in wt["history"]] == [
        "workflow_execution_started",
        "workflow_task_scheduled",
        "workflow_task_started",
    ]
    assert wt["history"][0]["attributes"]["first_workflow_task_backoff"] == "1s"


async def test_a_signal_with_start_ends_the_start_delay_a_signal_does_not(
    history: HistoryDriver,
) -> None:
    """As in Temporal: a plain signal waits for the delay; a signal-with-start that finds the
    run waiting lets its first workflow task run at once, with both signals."""
    assert (await history.start("wf", start_delay="1h")).status_code == 201
    assert (await history.post("wf/signal/early", {"args": [1]})).status_code == 202
    assert history.matching.of_kind("workflow") == []
    body = {"workflow_type": "W", "task_queue": "q", "signal_args": [2]}
    resp = await history.post("wf/signal-with-start/go", body)
    assert resp.json()["started"] is False
    wt = await history.next_task("workflow", "wf")
    assert [e["event_type"] for e in wt["history"]] == [
        "workflow_execution_started",
        "workflow_execution_signaled",
        "workflow_execution_signaled",
        "workflow_task_scheduled",
        "workflow_task_started",
    ]


async def test_the_signal_of_a_signal_with_start_keeps_the_start_delay(
    history: HistoryDriver,
) -> None:
    body = {"workflow_type": "W", "task_queue": "q", "start_delay": "1h", "signal_args": [1]}
    assert (await history.post("wf/signal-with-start/go", body)).status_code == 201
    assert history.matching.of_kind("workflow") == []
    assert await history.event_types("wf") == [
        "workflow_execution_started",
        "workflow_execution_signaled",
    ]
