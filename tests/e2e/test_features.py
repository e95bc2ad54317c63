"""Every workflow feature, used through the SDK as a user would, on both deployments."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from e2e_harness import Deployment
from feature_workflows import (
    ACTIVITIES,
    EFFECTS,
    WORKFLOWS,
    Approval,
    Cancellable,
    Canceller,
    CancelsItsActivity,
    Deterministic,
    DuplicateChild,
    Looping,
    Parent,
    Signaller,
    Sleeper,
    Timeouts,
    Timers,
    WaitsAfterContinuing,
)

from odin.client import Client
from odin.exceptions import RPCError, WorkflowFailureError
from odin.worker import Worker
from odin_common.testing import assert_eventually

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(loop_scope="module")
async def client(module_deployment: Deployment) -> AsyncIterator[Client]:
    connected = await Client.connect(module_deployment.url)
    queue = f"features-{uuid.uuid4().hex[:8]}"
    connected.queue = queue  # type: ignore[attr-defined]
    async with Worker(connected, task_queue=queue, workflows=WORKFLOWS, activities=ACTIVITIES):
        yield connected
    await connected.close()


def _q(client: Client) -> str:
    return str(client.queue)  # type: ignore[attr-defined]


def _id() -> str:
    return f"wf-{uuid.uuid4().hex[:10]}"


async def test_timers(client: Client) -> None:
    result = await client.execute_workflow(Timers.run, id=_id(), task_queue=_q(client))
    assert result == [
        "slept",
        "asyncio.sleep",
        "wait_for timed out",
        "wait_condition timed out",
        "30 timers",
    ]


async def test_signals_queries_and_signal_with_start(client: Client) -> None:
    handle = await client.start_workflow(Approval.run, 3, id=_id(), task_queue=_q(client))
    await handle.signal(Approval.approve, "ana", request_id="once")
    await handle.signal(Approval.approve, "ana", request_id="once")  # delivered once

    async def one_approval() -> None:
        assert await handle.query(Approval.status) == {"approvals": ["ana"], "done": False}

    await assert_eventually(one_approval, timeout=30)
    with pytest.raises(RPCError) as failed:
        await handle.query(Approval.broken)
    assert failed.value.code == "query_failed"
    assert "always fails" in failed.value.message
    with pytest.raises(RPCError) as unknown:
        await handle.query("no-such-query")
    assert unknown.value.code == "query_failed"
    await handle.signal("approve", "bo")
    again = await client.signal_with_start_workflow(
        Approval.run,
        3,
        id=handle.id,
        task_queue=_q(client),
        signal=Approval.approve,
        signal_args=["cy"],
    )
    assert again.result_run_id == handle.result_run_id
    assert await handle.result() == ["ana", "bo", "cy"]
    # a closed workflow still answers queries while a worker runs
    assert await handle.query(Approval.status) == {"approvals": ["ana", "bo", "cy"], "done": False}
    fresh = await client.signal_with_start_workflow(
        Approval.run,
        1,
        id=_id(),
        task_queue=_q(client),
        signal=Approval.approve,
        signal_args=["first"],
    )
    assert await fresh.result() == ["first"]
    with pytest.raises(RPCError) as closed:
        await handle.signal(Approval.approve, "late")
    assert closed.value.code == "workflow_not_running"
    with pytest.raises(RPCError) as missing:
        await client.get_workflow_handle("no-such-workflow").signal(Approval.approve, "x")
    assert missing.value.code == "workflow_not_found"


async def test_query_timeout_without_a_worker(client: Client) -> None:
    handle = await client.start_workflow(Approval.run, 1, id=_id(), task_queue="no-worker-here")
    with pytest.raises(RPCError) as timed_out:
        await handle.query(Approval.status)
    assert timed_out.value.code == "query_timeout"
    await handle.terminate("test over")


async def test_cancellation_lets_the_workflow_clean_up(client: Client) -> None:
    handle = await client.start_workflow(Cancellable.run, id=_id(), task_queue=_q(client))

    async def activity_running() -> None:
        desc = await handle.describe()
        assert desc.pending_activities
        assert desc.pending_activities[0]["state"] == "started"

    await assert_eventually(activity_running, timeout=30)
    await handle.cancel("changed my mind")
    with pytest.raises(WorkflowFailureError) as caught:
        await handle.result()
    assert caught.value.status == "canceled"
    assert "cleaned up" in EFFECTS
    assert (await handle.describe()).status == "canceled"

    def activity_was_told() -> None:  # at its next heartbeat
        assert "activity saw the cancellation" in EFFECTS

    await assert_eventually(activity_was_told, timeout=15)


async def test_a_workflow_cancels_its_own_activity(client: Client) -> None:
    result = await client.execute_workflow(CancelsItsActivity.run, id=_id(), task_queue=_q(client))
    assert result == "activity cancelled"
    seen = EFFECTS.count("activity saw the cancellation")
    waited = await client.execute_workflow(
        CancelsItsActivity.run, True, id=_id(), task_queue=_q(client)
    )
    assert waited == "activity stopped: CancelledError"
    # the activity had seen the request before the workflow went on
    assert EFFECTS.count("activity saw the cancellation") > seen


async def test_activity_timeouts_and_heartbeat_details(client: Client) -> None:
    result = await client.execute_workflow(Timeouts.run, id=_id(), task_queue=_q(client))
    assert result["schedule_to_start"] == "schedule_to_start"
    assert result["start_to_close"] == "start_to_close"
    assert result["heartbeat"] == "heartbeat"
    assert result["schedule_to_close"] in {"schedule_to_close", "start_to_close"}
    assert result["resumed_from"] == 6  # the second attempt resumed from the first's progress


async def test_workflow_timeouts(client: Client) -> None:
    from datetime import timedelta

    run = await client.start_workflow(
        Sleeper.run, 60.0, id=_id(), task_queue=_q(client), run_timeout=timedelta(seconds=1)
    )
    with pytest.raises(WorkflowFailureError) as caught:
        await run.result()
    assert caught.value.status == "timed_out"
    execution = await client.start_workflow(
        Sleeper.run, 60.0, id=_id(), task_queue=_q(client), execution_timeout=timedelta(seconds=1)
    )
    with pytest.raises(WorkflowFailureError) as caught:
        await execution.result()
    assert caught.value.status == "timed_out"


async def test_child_workflows(client: Client) -> None:
    assert (
        await client.execute_workflow(Parent.run, "result", id=_id(), task_queue=_q(client))
        == "child got hi"
    )
    failure = await client.execute_workflow(Parent.run, "failure", id=_id(), task_queue=_q(client))
    assert failure == {"error": "ChildWorkflowError", "cause": "ChildBoom"}
    cancelled_id = _id()
    assert (
        await client.execute_workflow(Parent.run, "cancel", id=cancelled_id, task_queue=_q(client))
        == "child CancelledError"
    )
    # the parent waited for the child to finish as canceled (WAIT_CANCELLATION_COMPLETED)
    child = await client.get_workflow_handle(f"{cancelled_id}-child").describe()
    assert child.status == "canceled"


async def test_child_id_of_a_running_child_is_refused_as_already_started(
    client: Client,
) -> None:
    parent_id = _id()
    result = await client.execute_workflow(DuplicateChild.run, id=parent_id, task_queue=_q(client))
    assert result == {"second": "WorkflowAlreadyStartedError", "first": "CancelledError"}
    events = (await client.get_workflow_handle(parent_id).fetch_history()).events
    types = [e["event_type"] for e in events]
    assert types.count("start_child_workflow_execution_initiated") == 2
    (failed,) = [e for e in events if e["event_type"] == "start_child_workflow_execution_failed"]
    assert failed["attributes"]["cause"] == "workflow_already_started"
    assert "workflow_task_failed" not in types  # the command was accepted, not refused
    child = await client.get_workflow_handle(f"{parent_id}-child").describe()
    assert child.status == "canceled"


@pytest.mark.parametrize(
    ("policy", "status"),
    [("terminate", "terminated"), ("request_cancel", "canceled"), ("abandon", "running")],
)
async def test_parent_close_policies(client: Client, policy: str, status: str) -> None:
    parent_id = _id()
    assert (
        await client.execute_workflow(Parent.run, policy, id=parent_id, task_queue=_q(client))
        == "parent done"
    )
    child = client.get_workflow_handle(f"{parent_id}-child")

    async def child_status() -> None:
        assert (await child.describe()).status == status

    await assert_eventually(child_status, timeout=30)
    if status == "running":
        await child.terminate("test over")


async def test_continue_as_new_follows_the_chain(client: Client) -> None:
    handle = await client.start_workflow(Looping.run, 0, id=_id(), task_queue=_q(client))
    assert await handle.result() == 3
    first = client.get_workflow_handle(handle.id, run_id=handle.result_run_id)
    desc = await first.describe()
    assert desc.status == "continued_as_new"
    assert desc.raw["new_run_id"]
    latest = await client.get_workflow_handle(handle.id).describe()
    assert latest.status == "completed"
    assert latest.run_id != handle.result_run_id
    # the handle start_workflow gave is not pinned to the first run (as in temporalio)
    assert handle.run_id is None
    assert (await handle.describe()).run_id == latest.run_id
    assert len((await client.get_workflow_handle(handle.id).fetch_history()).events) < 20


async def test_a_started_handle_reaches_the_latest_run_of_its_chain(client: Client) -> None:
    """As in temporalio: signal, describe and cancel go to the run after a continue-as-new."""
    released = await client.start_workflow(
        WaitsAfterContinuing.run, 1, id=_id(), task_queue=_q(client)
    )
    cancelled = await client.start_workflow(
        WaitsAfterContinuing.run, 1, id=_id(), task_queue=_q(client)
    )
    for handle in (released, cancelled):

        async def continued(handle: Any = handle) -> None:
            assert (await handle.describe()).run_id != handle.result_run_id

        await assert_eventually(continued, timeout=30)
    await released.signal(WaitsAfterContinuing.release)
    assert await released.result() == 0
    await cancelled.cancel()
    with pytest.raises(WorkflowFailureError) as caught:
        await cancelled.result()
    assert caught.value.status == "canceled"


async def test_determinism_helpers(client: Client) -> None:
    handle = await client.start_workflow(Deterministic.run, id=_id(), task_queue=_q(client))
    result = await handle.result()
    assert result["uuid_matches_activity_input"] is True
    assert (result["effect"], result["version"], result["patched"]) == ("effect value", 2, True)
    assert result["now_is_task_time"] is True
    desc = await handle.describe()
    assert desc.raw["search_attributes"] == {"CustomStage": "done"}
    markers = [
        e for e in (await handle.fetch_history()).events if e["event_type"] == "marker_recorded"
    ]
    assert [m["attributes"]["marker_name"] for m in markers] == ["side_effect", "version", "patch"]


async def test_signal_and_cancel_other_workflows(client: Client) -> None:
    target = await client.start_workflow(Approval.run, 5, id=_id(), task_queue=_q(client))
    result = await client.execute_workflow(
        Signaller.run, target.id, id=_id(), task_queue=_q(client)
    )
    assert result == "signalled; unknown target refused"
    assert await target.result() == ["signaller"]
    victim = await client.start_workflow(Sleeper.run, 3600.0, id=_id(), task_queue=_q(client))
    assert (
        await client.execute_workflow(Canceller.run, victim.id, id=_id(), task_queue=_q(client))
        == "cancel requested"
    )
    with pytest.raises(WorkflowFailureError) as caught:
        await victim.result()
    assert caught.value.status == "canceled"


async def test_describe_shows_pending_work(client: Client) -> None:
    handle = await client.start_workflow(Parent.run, "abandon", id=_id(), task_queue=_q(client))
    await handle.result()
    sleeper = await client.start_workflow(Sleeper.run, 3600.0, id=_id(), task_queue=_q(client))

    async def timer_pending() -> None:
        desc = await sleeper.describe()
        assert [t["timer_id"] for t in desc.raw["pending_timers"]] == ["1"]

    await assert_eventually(timer_pending, timeout=30)
    await sleeper.terminate("test over")
    await client.get_workflow_handle(f"{handle.id}-child").terminate("test over")


async def test_many_concurrent_workflows_with_sticky_workers(client: Client) -> None:
    handles = await asyncio.gather(
        *(client.start_workflow(Timers.run, id=_id(), task_queue=_q(client)) for _ in range(10))
    )
    results = await asyncio.gather(*(h.result() for h in handles))
    assert all(r[-1] == "30 timers" for r in results)
    history = await handles[0].fetch_history()
    scheduled = [
        e["attributes"]["task_queue"]
        for e in history.events
        if e["event_type"] == "workflow_task_scheduled"
    ]
    assert scheduled[0] == _q(client)
    assert any(":sticky:" in queue for queue in scheduled[1:])
