"""The poll use case on the in-process store with a fake history."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from odin_common import errors
from odin_common.api.worker import PollRequest
from odin_common.clock import ManualClock, SystemClock
from odin_common.jsonutil import loads
from odin_common.metrics import TASK_QUEUE_LATENCY
from odin_common.testing import assert_eventually
from odin_matching.store.memory_store import InMemoryTaskStore
from odin_matching.usecases.context import Matching
from odin_matching.usecases.describe_task_queue import describe_task_queue
from odin_matching.usecases.poll import poll_task


@pytest.fixture
def matching(fake_history) -> Matching:
    return Matching(
        store=InMemoryTaskStore(),
        history=fake_history,
        clock=SystemClock(),
        consumer="test-consumer",
        poll_slice_seconds=0.1,
        history_call_timeout_seconds=0.2,
        history_retry_backoff_seconds=0.01,
    )


def poll_request(
    wait: str = "2s", kind: str = "workflow", identity: str = "worker-1"
) -> PollRequest:
    return PollRequest.model_validate({"kind": kind, "identity": identity, "wait": wait})


async def backlog(matching: Matching, kind: str = "workflow") -> int:
    return (await matching.store.describe("default", "orders", kind)).backlog_count  # type: ignore[arg-type]


async def test_a_queued_task_is_recorded_started_and_handed_over(matching, fake_history, make_task):
    await matching.store.add([make_task("wf-1")])

    body = await poll_task(matching, "default", "orders", poll_request())

    assert body is not None
    task = loads(body)
    assert task["workflow_id"] == "wf-1"
    assert task["identity"] == "worker-1"
    assert fake_history.started_workflows() == ["wf-1"]
    assert await backlog(matching) == 0
    # Handed over means acked: nothing is left pending for the reclaimer.
    assert await matching.store.reclaim(0) == 0


async def test_the_answer_is_history_body_unchanged(matching, fake_history, make_task):
    await matching.store.add([make_task("wf-1", kind="activity")])

    body = await poll_task(matching, "default", "orders", poll_request(kind="activity"))

    call = fake_history.calls[0]
    assert body == await fake_history.record(*call[:3], call[3])  # same request id, same answer


async def test_a_waiting_poll_receives_a_task_added_later(matching, make_task):
    poll = asyncio.create_task(poll_task(matching, "default", "orders", poll_request("5s")))
    await assert_eventually(lambda: _assert_waiting(matching))

    await matching.store.add([make_task("wf-late")])

    body = await asyncio.wait_for(poll, 5)
    assert body is not None
    assert loads(body)["workflow_id"] == "wf-late"


async def _assert_waiting(matching: Matching) -> None:
    status = await matching.store.describe("default", "orders", "workflow")
    assert status.pollers, "the poll has started"


async def test_the_wait_ends_with_no_task(matching, fake_history):
    assert await poll_task(matching, "default", "orders", poll_request("150ms")) is None
    assert fake_history.calls == []


async def test_a_poll_without_wait_takes_a_queued_task(matching, make_task):
    assert await poll_task(matching, "default", "orders", poll_request("0s")) is None
    await matching.store.add([make_task("wf-1")])
    body = await poll_task(matching, "default", "orders", poll_request("0s"))
    assert body is not None
    assert loads(body)["workflow_id"] == "wf-1"


async def test_a_poll_only_sees_its_own_kind_and_queue(matching, make_task):
    await matching.store.add(
        [make_task("wf-a", kind="activity"), make_task("wf-other", task_queue="other")]
    )
    assert await poll_task(matching, "default", "orders", poll_request("150ms")) is None
    body = await poll_task(matching, "default", "orders", poll_request(kind="activity"))
    assert body is not None
    assert loads(body)["workflow_id"] == "wf-a"


@pytest.mark.parametrize("why", ["stale", "closed"])
async def test_a_stale_task_is_dropped_and_the_poll_goes_on(matching, fake_history, make_task, why):
    getattr(fake_history, why).add("wf-stale")
    await matching.store.add([make_task("wf-stale"), make_task("wf-good")])

    body = await poll_task(matching, "default", "orders", poll_request())

    assert body is not None
    assert loads(body)["workflow_id"] == "wf-good"
    assert await backlog(matching) == 0
    # Dropped for good: it is neither queued nor pending, so adding it again queues it.
    assert await matching.store.reclaim(0) == 0
    assert await matching.store.add([make_task("wf-stale")]) == 1


async def test_history_down_requeues_the_task_and_it_is_delivered_later(
    matching, fake_history, make_task
):
    await matching.store.add([make_task("wf-1")])
    fake_history.down = True

    assert await poll_task(matching, "default", "orders", poll_request("300ms")) is None
    assert fake_history.calls, "history was asked"
    assert await backlog(matching) == 1

    fake_history.down = False
    body = await poll_task(matching, "default", "orders", poll_request())
    assert body is not None
    task = loads(body)
    assert task["workflow_id"] == "wf-1"
    # Every delivery of the task used the same request id, so a start that history did
    # record before its answer was lost is answered again instead of being dropped.
    assert {call[3].request_id for call in fake_history.calls} == {task["request_id"]}


async def test_a_history_call_that_hangs_is_cut_short_and_the_task_requeued(
    matching, fake_history, make_task
):
    await matching.store.add([make_task("wf-1")])
    fake_history.hang = True

    assert await poll_task(matching, "default", "orders", poll_request("500ms")) is None

    assert await backlog(matching) == 1
    fake_history.hang = False
    assert await poll_task(matching, "default", "orders", poll_request()) is not None


async def test_a_wait_longer_than_60s_is_refused(matching):
    with pytest.raises(errors.InvalidArgument):
        await poll_task(matching, "default", "orders", poll_request("61s"))


async def test_a_worker_gone_before_the_handover_leaves_the_task_queued(
    matching, fake_history, make_task
):
    await matching.store.add([make_task("wf-1")])

    async def gone() -> bool:
        return True

    assert await poll_task(matching, "default", "orders", poll_request(), gone) is None
    assert fake_history.calls == []
    assert await backlog(matching) == 1


async def test_a_worker_gone_after_history_answered_gets_the_task_to_the_next_poll(
    matching, fake_history, make_task
):
    await matching.store.add([make_task("wf-1")])

    async def gone_once_history_answered() -> bool:
        return bool(fake_history.started)

    first = await poll_task(
        matching, "default", "orders", poll_request(), gone_once_history_answered
    )
    assert first is None
    assert await backlog(matching) == 1

    body = await poll_task(matching, "default", "orders", poll_request())
    assert body is not None
    assert loads(body)["workflow_id"] == "wf-1"


async def test_a_cancelled_poll_puts_its_task_back(matching, fake_history, make_task):
    await matching.store.add([make_task("wf-1")])
    fake_history.hang = True
    matching.history_call_timeout_seconds = 30
    poll = asyncio.create_task(poll_task(matching, "default", "orders", poll_request()))
    await assert_eventually(lambda: _assert_called(fake_history))

    poll.cancel()
    with pytest.raises(asyncio.CancelledError):
        await poll

    assert await backlog(matching) == 1


def _assert_called(fake_history) -> None:
    assert fake_history.calls


async def test_the_handover_latency_is_observed(matching, make_task):
    metric = TASK_QUEUE_LATENCY.labels(queue_name="latency-q", task_type="workflow")
    before = _histogram_count(metric)
    await matching.store.add([make_task("wf-1", task_queue="latency-q")])

    assert await poll_task(matching, "default", "latency-q", poll_request()) is not None

    assert _histogram_count(metric) == before + 1


def _histogram_count(metric) -> float:
    for sample in metric.collect()[0].samples:
        if sample.name.endswith("_count"):
            return float(sample.value)
    raise AssertionError("no _count sample")


async def test_describe_counts_the_backlog_and_lists_recent_pollers(fake_history, make_task):
    clock = ManualClock()
    matching = Matching(
        store=InMemoryTaskStore(clock=clock, poller_ttl_seconds=60),
        history=fake_history,
        clock=clock,
        consumer="c",
        poll_slice_seconds=0.05,
    )
    await matching.store.add([make_task("wf-1"), make_task("wf-2", kind="activity")])
    await poll_task(matching, "default", "orders", poll_request("10ms", identity="old-worker"))
    clock.advance(timedelta(seconds=90))
    await matching.store.add([make_task("wf-3", kind="activity")])
    await poll_task(matching, "default", "orders", poll_request("10ms", kind="activity"))

    description = await describe_task_queue(matching, "default", "orders")

    assert description.name == "orders"
    assert description.namespace == "default"
    # The workflow poll took wf-1; the activity poll took wf-2, leaving wf-3 (queued 0 s ago).
    assert description.workflow.backlog_count == 0
    assert description.workflow.backlog_age_seconds is None
    assert description.workflow.pollers == []  # old-worker was seen 90 s ago, TTL is 60 s
    assert description.activity.backlog_count == 1
    assert description.activity.backlog_age_seconds == 0
    assert [(p.identity, p.kind) for p in description.activity.pollers] == [
        ("worker-1", "activity")
    ]
    assert description.activity.pollers[0].last_access_time == clock.now()


async def test_a_parked_poll_ends_when_the_process_stops(matching):
    poll = asyncio.create_task(poll_task(matching, "default", "orders", poll_request("30s")))
    await assert_eventually(lambda: _assert_waiting(matching))

    matching.stopping = True

    assert await asyncio.wait_for(poll, 5) is None
