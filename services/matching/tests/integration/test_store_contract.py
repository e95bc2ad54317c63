"""The task store contract: the Redis store and the in-process store behave the same (tasks,
and the rendezvous of query answers with their waiters)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from odin_common.redis_keys import RedisKeys
from odin_common.testing import assert_eventually
from odin_matching.store.base import QueryAnswer, TaskStore
from odin_matching.store.memory_store import InMemoryTaskStore
from odin_matching.store.redis_store import RedisTaskStore

pytestmark = pytest.mark.integration


StoreFactory = Callable[..., TaskStore]


@pytest.fixture(params=["memory", "redis"])
async def make_store(request, redis_url, redis_prefix) -> AsyncIterator[StoreFactory]:
    """Builds stores of one kind (all on the same Redis keys); closes them afterwards."""
    built: list[TaskStore] = []

    def make(**options: Any) -> TaskStore:
        store: TaskStore
        if request.param == "memory":
            store = InMemoryTaskStore(poller_ttl_seconds=60, **options)
        else:
            store = RedisTaskStore(
                redis_url,
                RedisKeys(redis_prefix),
                max_block_seconds=1.0,
                poller_ttl_seconds=60,
                poller_record_interval_seconds=0,
                **options,
            )
        built.append(store)
        return store

    try:
        yield make
    finally:
        for store in built:
            await store.close()


@pytest.fixture
def store(make_store) -> TaskStore:
    return make_store()


async def take(
    store: TaskStore, kind: str = "workflow", timeout: float = 2.0, queue: str = "orders"
):
    return await store.take("default", queue, kind, "consumer-1", timeout)  # type: ignore[arg-type]


async def backlog(store: TaskStore, kind: str = "workflow", queue: str = "orders") -> int:
    return (await store.describe("default", queue, kind)).backlog_count  # type: ignore[arg-type]


async def test_an_added_task_is_taken_with_its_enqueue_time(store, make_task):
    before = time.time()
    assert await store.add([make_task("wf-1")]) == 1

    lease = await take(store)

    assert lease is not None
    assert lease.task == make_task("wf-1")
    assert before - 1 <= lease.enqueued_at <= time.time() + 1
    assert lease.request_id


async def test_tasks_come_out_in_the_order_they_were_added(store, make_task):
    await store.add([make_task(f"wf-{i}") for i in range(5)])
    taken = [await take(store) for _ in range(5)]
    assert [lease.task.workflow_id for lease in taken if lease] == [f"wf-{i}" for i in range(5)]


async def test_take_gives_up_when_the_wait_ends(store):
    assert await take(store, timeout=0.1) is None


async def test_a_take_without_wait_only_looks(store, make_task):
    assert await take(store, timeout=0) is None
    await store.add([make_task("wf-1")])
    lease = await take(store, timeout=0)
    assert lease is not None
    assert lease.task.workflow_id == "wf-1"


async def test_a_waiting_take_gets_a_task_added_later(store, make_task):
    waiting = asyncio.create_task(take(store, timeout=5))
    await asyncio.sleep(0)  # the take starts; parked or not yet, it must get the task
    await store.add([make_task("wf-late")])
    lease = await asyncio.wait_for(waiting, 5)
    assert lease is not None
    assert lease.task.workflow_id == "wf-late"


async def test_adding_a_queued_task_again_adds_nothing(store, make_task):
    assert await store.add([make_task("wf-1"), make_task("wf-1"), make_task("wf-2")]) == 2
    assert await store.add([make_task("wf-1")]) == 0
    # A different attempt or event is another task.
    assert (
        await store.add([make_task("wf-1", attempt=2), make_task("wf-1", scheduled_event_id=5)])
        == 2
    )
    assert await backlog(store) == 4


async def test_a_delivered_task_counts_as_queued_until_acked(store, make_task):
    await store.add([make_task("wf-1")])
    lease = await take(store)
    assert lease is not None
    assert await store.add([make_task("wf-1")]) == 0

    await store.ack(lease)

    assert await store.add([make_task("wf-1")]) == 1


async def test_an_acked_task_is_gone(store, make_task):
    await store.add([make_task("wf-1")])
    lease = await take(store)
    assert lease is not None
    await store.ack(lease)
    assert await take(store, timeout=0.1) is None
    assert await store.reclaim(0) == 0
    assert await backlog(store) == 0


async def test_a_requeued_task_goes_to_the_back_with_its_request_id(store, make_task):
    await store.add([make_task("wf-1"), make_task("wf-2")])
    first = await take(store)
    assert first is not None
    assert first.task.workflow_id == "wf-1"

    assert await store.requeue(first) is True

    second = await take(store)
    again = await take(store)
    assert second is not None
    assert again is not None
    assert second.task.workflow_id == "wf-2"
    assert again.task == first.task
    assert again.request_id == first.request_id
    assert again.enqueued_at == pytest.approx(first.enqueued_at)
    assert again.entry_id != first.entry_id


async def test_requeueing_twice_queues_the_task_once(store, make_task):
    await store.add([make_task("wf-1")])
    lease = await take(store)
    assert lease is not None

    assert await store.requeue(lease) is True
    assert await store.requeue(lease) is False

    assert await backlog(store) == 1
    assert await take(store) is not None
    assert await take(store, timeout=0.1) is None


async def test_reclaim_puts_back_what_a_crashed_poll_left_delivered(store, make_task):
    await store.add([make_task("wf-1"), make_task("wf-2")])
    crashed = await take(store)
    assert crashed is not None
    # Never acked nor requeued: the process that took it "crashed".

    assert await store.reclaim(3600) == 0
    reclaimed = await assert_eventually(lambda: _reclaim_some(store))

    assert reclaimed == 1
    assert await backlog(store) == 2
    next_one = await take(store)
    redelivered = await take(store)
    assert next_one is not None
    assert redelivered is not None
    assert next_one.task.workflow_id == "wf-2"
    assert redelivered.task == crashed.task
    assert redelivered.request_id == crashed.request_id


async def _reclaim_some(store: TaskStore) -> int:
    count = await store.reclaim(0.05)
    assert count > 0
    return count


async def test_a_late_ack_or_requeue_of_a_reclaimed_lease_keeps_the_task_queued_once(
    store, make_task
):
    await store.add([make_task("wf-1")])
    slow = await take(store)
    assert slow is not None
    await assert_eventually(lambda: _reclaim_some(store))

    await store.ack(slow)  # the slow poll finally acks its old copy
    assert await store.requeue(slow) is False
    assert await store.add([make_task("wf-1")]) == 0  # the reclaimed copy is still queued

    assert await backlog(store) == 1
    assert await take(store) is not None
    assert await take(store, timeout=0.1) is None


async def test_queues_are_separate_by_namespace_queue_and_kind(store, make_task):
    await store.add(
        [
            make_task("wf-w"),
            make_task("wf-a", kind="activity"),
            make_task("wf-q", task_queue="other"),
            make_task("wf-n", namespace="prod"),
        ]
    )
    workflow = await take(store)
    activity = await take(store, kind="activity")
    other = await take(store, queue="other")
    prod = await store.take("prod", "orders", "workflow", "consumer-1", 2)
    assert [lease.task.workflow_id for lease in (workflow, activity, other, prod) if lease] == [
        "wf-w",
        "wf-a",
        "wf-q",
        "wf-n",
    ]
    assert await take(store, timeout=0.1) is None


async def test_concurrent_takes_never_get_the_same_task(store, make_task):
    takers = [asyncio.create_task(take(store, timeout=5)) for _ in range(20)]
    await asyncio.sleep(0)
    await store.add([make_task(f"wf-{i}") for i in range(20)])
    leases = await asyncio.gather(*takers)
    assert sorted(lease.task.workflow_id for lease in leases if lease) == sorted(
        f"wf-{i}" for i in range(20)
    )


async def test_describe_counts_only_tasks_waiting_for_a_poller(store, make_task):
    empty = await store.describe("default", "orders", "workflow")
    assert empty.backlog_count == 0
    assert empty.oldest_enqueued_at is None

    before = time.time()
    await store.add([make_task("wf-1"), make_task("wf-2"), make_task("wf-3")])
    lease = await take(store)
    assert lease is not None

    status = await store.describe("default", "orders", "workflow")
    assert status.backlog_count == 2
    assert status.oldest_enqueued_at is not None
    assert before - 1 <= status.oldest_enqueued_at <= time.time() + 1


async def test_describe_lists_recent_pollers_of_the_kind(store):
    await store.record_poller("default", "orders", "workflow", "worker-1")
    await store.record_poller("default", "orders", "workflow", "worker-2")
    await store.record_poller("default", "orders", "activity", "worker-3")

    workflow = await store.describe("default", "orders", "workflow")
    activity = await store.describe("default", "orders", "activity")
    other = await store.describe("default", "other", "workflow")

    assert sorted(p.identity for p in workflow.pollers) == ["worker-1", "worker-2"]
    assert {p.kind for p in workflow.pollers} == {"workflow"}
    assert [p.identity for p in activity.pollers] == ["worker-3"]
    assert other.pollers == []
    assert all(abs(p.last_access_time.timestamp() - time.time()) < 5 for p in workflow.pollers)


async def test_the_store_reports_ready(store):
    checks = await store.check_ready()
    assert checks
    assert all(value in {"ok", "in-memory"} for value in checks.values())


# -- withdraw ---------------------------------------------------------------------------


async def test_a_withdrawn_task_is_never_delivered_and_may_be_added_again(store, make_task):
    query = make_task("wf-1", query_id="q-1")
    await store.add([query, make_task("wf-2")])

    assert await store.withdraw(query) is True

    assert await backlog(store) == 1
    lease = await take(store)
    assert lease is not None
    assert lease.task.workflow_id == "wf-2"
    assert await take(store, timeout=0.1) is None
    assert await store.add([query]) == 1


async def test_withdrawing_a_delivered_task_makes_its_ack_and_requeue_no_ops(store, make_task):
    query = make_task("wf-1", query_id="q-1")
    await store.add([query])
    lease = await take(store)
    assert lease is not None

    assert await store.withdraw(query) is True

    assert await store.requeue(lease) is False
    await store.ack(lease)
    assert await backlog(store) == 0
    assert await store.reclaim(0) == 0
    assert await take(store, timeout=0.1) is None


async def test_withdrawing_a_task_that_is_not_queued_changes_nothing(store, make_task):
    await store.add([make_task("wf-1", query_id="q-1")])
    assert await store.withdraw(make_task("wf-1", query_id="q-other")) is False
    assert await store.withdraw(make_task("wf-1")) is False  # the same workflow's normal task
    assert await backlog(store) == 1


async def test_a_query_task_keeps_its_query_through_the_queue(store, make_task):
    query = make_task("wf-1", query_id="q-1")
    assert await store.add([query, make_task("wf-1")]) == 2  # not the same task
    lease = await take(store)
    assert lease is not None
    assert lease.task == query
    assert lease.task.query is not None
    assert lease.task.query.query_id == "q-1"


# -- query answers ------------------------------------------------------------------------


async def test_an_answer_published_before_the_wait_is_taken_once(store):
    assert await store.publish_answer("default", "q-1", QueryAnswer(result={"n": [1, 2]}))

    assert await store.wait_answer("default", "q-1", 1) == QueryAnswer(result={"n": [1, 2]})
    assert await store.wait_answer("default", "q-1", 0.1) is None


async def test_a_waiting_wait_gets_the_answer_the_moment_it_is_published(store):
    waiting = asyncio.create_task(store.wait_answer("default", "q-1", 5))
    await asyncio.sleep(0)  # the wait starts; parked or not yet, it must get the answer
    await store.publish_answer("default", "q-1", QueryAnswer(result="approved"))
    assert await asyncio.wait_for(waiting, 5) == QueryAnswer(result="approved")


async def test_an_answer_published_to_another_store_instance_reaches_the_waiter(make_store):
    # For Redis: two matching processes. The in-process store is one process by design, so
    # both names are the same store there.
    waiter_side = make_store()
    other_side = make_store() if isinstance(waiter_side, RedisTaskStore) else waiter_side
    waiting = asyncio.create_task(waiter_side.wait_answer("default", "q-1", 5))
    await asyncio.sleep(0)
    assert await other_side.publish_answer("default", "q-1", QueryAnswer(result=42))
    assert await asyncio.wait_for(waiting, 5) == QueryAnswer(result=42)


async def test_an_error_answer_and_a_null_result_come_through(store):
    await store.publish_answer("default", "q-err", QueryAnswer(error="no handler 'statuss'"))
    await store.publish_answer("default", "q-null", QueryAnswer(result=None))
    assert await store.wait_answer("default", "q-err", 1) == QueryAnswer(
        error="no handler 'statuss'"
    )
    assert await store.wait_answer("default", "q-null", 1) == QueryAnswer(result=None)


async def test_a_second_answer_to_a_query_is_not_delivered(store):
    assert await store.publish_answer("default", "q-1", QueryAnswer(result="first")) is True
    assert await store.publish_answer("default", "q-1", QueryAnswer(result="second")) is False

    assert await store.wait_answer("default", "q-1", 1) == QueryAnswer(result="first")
    assert await store.wait_answer("default", "q-1", 0.1) is None
    # Still refused once the first answer was taken.
    assert await store.publish_answer("default", "q-1", QueryAnswer(result="third")) is False
    assert await store.wait_answer("default", "q-1", 0.1) is None


async def test_answers_are_separate_by_namespace_and_query(store):
    await store.publish_answer("prod", "q-1", QueryAnswer(result="prod"))
    await store.publish_answer("default", "q-2", QueryAnswer(result="q-2"))

    assert await store.wait_answer("default", "q-1", 0.1) is None
    assert await store.wait_answer("default", "q-2", 1) == QueryAnswer(result="q-2")
    assert await store.wait_answer("prod", "q-1", 1) == QueryAnswer(result="prod")


async def test_a_wait_without_time_only_looks(store):
    assert await store.wait_answer("default", "q-1", 0) is None
    await store.publish_answer("default", "q-1", QueryAnswer(result=1))
    assert await store.wait_answer("default", "q-1", 0) == QueryAnswer(result=1)


async def test_an_answer_nobody_takes_is_forgotten(make_store):
    store = make_store(answer_ttl_seconds=0.2)
    await store.publish_answer("default", "q-late", QueryAnswer(result="too late"))

    async def forgotten() -> None:
        # Once forgotten, the query counts as unanswered again: nothing is left behind.
        assert await store.publish_answer("default", "q-late", QueryAnswer(result="probe"))

    await assert_eventually(forgotten)
    assert await store.wait_answer("default", "q-late", 0.1) == QueryAnswer(result="probe")
