"""What only the Redis store has to get right: its keys, Redis losing its data, a Redis that
is down, its script cache, and a bounded pool of blocking connections."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from odin_common import errors
from odin_common.redis_keys import CONSUMER_GROUP, RedisKeys
from odin_common.testing import assert_eventually, free_port
from odin_matching.store.base import ANSWER_TTL_SECONDS, QueryAnswer
from odin_matching.store.redis_store import RedisTaskStore

pytestmark = pytest.mark.integration


@pytest.fixture
async def store(redis_url, redis_prefix) -> AsyncIterator[RedisTaskStore]:
    built = RedisTaskStore(redis_url, RedisKeys(redis_prefix), max_block_seconds=1.0)
    try:
        yield built
    finally:
        await built.close()


@pytest.fixture
async def redis(redis_url) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url, decode_responses=True)
    try:
        yield client
    finally:
        await client.aclose()


async def test_every_key_comes_from_redis_keys(store, redis, redis_prefix, make_task):
    keys = RedisKeys(redis_prefix)
    await store.add([make_task("wf-1")])
    lease = await store.take("default", "orders", "workflow", "c1", 2)
    assert lease is not None

    stream = keys.stream("default", "orders", "workflow")
    assert await redis.smembers(keys.queue_index()) == {stream}
    assert await redis.hgetall(keys.queued("default", "orders", "workflow")) == {
        make_task("wf-1").dedup_key(): lease.entry_id
    }
    groups = await redis.xinfo_groups(stream)
    assert [group["name"] for group in groups] == [CONSUMER_GROUP]
    assert groups[0]["pending"] == 1
    created = {key async for key in redis.scan_iter(match=f"{redis_prefix}:*")}
    assert created == {
        keys.queue_index(),
        stream,
        keys.queued("default", "orders", "workflow"),
    }

    await store.ack(lease)
    assert await redis.xlen(stream) == 0
    assert (await redis.xinfo_groups(stream))[0]["pending"] == 0


async def test_query_answers_use_redis_keys_and_expire(store, redis, redis_prefix):
    keys = RedisKeys(redis_prefix)
    await store.publish_answer("default", "q-1", QueryAnswer(result="ok"))

    answer_key = keys.query_answer("default", "q-1")
    answered_key = keys.query_answered("default", "q-1")
    created = {key async for key in redis.scan_iter(match=f"{redis_prefix}:*")}
    assert created == {answer_key, answered_key}
    for key in created:
        assert 0 < await redis.pttl(key) <= ANSWER_TTL_SECONDS * 1000

    assert await store.wait_answer("default", "q-1", 1) == QueryAnswer(result="ok")
    assert not await redis.exists(answer_key)
    assert await redis.exists(answered_key)  # a second answer stays refused


async def test_query_waits_beyond_the_pool_take_turns_and_all_get_their_answer(
    redis_url, redis_prefix
):
    # Two connections for eight waits: an unbounded pool would refuse the third ("Too many
    # connections") instead of letting it wait its turn.
    store = RedisTaskStore(
        redis_url, RedisKeys(redis_prefix), max_block_seconds=0.2, answer_wait_connections=2
    )

    async def wait(query_id: str) -> QueryAnswer | None:
        deadline = asyncio.get_running_loop().time() + 10
        while asyncio.get_running_loop().time() < deadline:
            answer = await store.wait_answer("default", query_id, 0.2)
            if answer is not None:
                return answer
        return None

    try:
        waiters = [asyncio.create_task(wait(f"q-{i}")) for i in range(8)]
        for i in range(8):
            await store.publish_answer("default", f"q-{i}", QueryAnswer(result=i))
        answers = await asyncio.gather(*waiters)
        assert answers == [QueryAnswer(result=i) for i in range(8)]
    finally:
        await store.close()


async def test_poller_records_expire_with_the_queue(store, redis, redis_prefix):
    await store.record_poller("default", "orders", "workflow", "worker-1")
    key = RedisKeys(redis_prefix).pollers("default", "orders", "workflow")
    assert set(await redis.hkeys(key)) == {"worker-1"}
    assert await redis.ttl(key) > 0


async def test_the_add_script_is_loaded_again_when_redis_forgot_it(store, make_task):
    store._add_script.sha = "0" * 40  # as if Redis restarted and lost its script cache
    assert await store.add([make_task("wf-1")]) == 1
    assert await store.add([make_task("wf-1")]) == 0


async def test_a_blocking_pool_smaller_than_the_polls_still_serves_them_all(
    redis_url, redis_prefix, make_task
):
    store = RedisTaskStore(
        redis_url, RedisKeys(redis_prefix), max_block_seconds=1.0, blocking_connections=2
    )
    try:
        takers = [
            asyncio.create_task(store.take("default", "orders", "workflow", "c1", 5))
            for _ in range(8)
        ]
        await store.add([make_task(f"wf-{i}") for i in range(8)])
        leases = await asyncio.gather(*takers)
        assert sorted(lease.task.workflow_id for lease in leases if lease) == sorted(
            f"wf-{i}" for i in range(8)
        )
    finally:
        await store.close()


async def test_a_redis_that_is_down_is_unavailable(make_task):
    store = RedisTaskStore(f"redis://127.0.0.1:{free_port()}/0", RedisKeys("down"))
    try:
        with pytest.raises(errors.Unavailable):
            await store.check_ready()
        with pytest.raises(errors.Unavailable):
            await store.add([make_task("wf-1")])
        with pytest.raises(errors.Unavailable):
            await store.take("default", "orders", "workflow", "c1", 0.5)
    finally:
        await store.close()


async def test_the_store_keeps_working_after_redis_lost_everything(make_task, flushable_redis_url):
    prefix = f"odintest-flush-{uuid.uuid4().hex[:8]}"
    store = RedisTaskStore(flushable_redis_url, RedisKeys(prefix), max_block_seconds=0.5)
    admin = Redis.from_url(flushable_redis_url)
    try:
        await store.add([make_task("wf-1")])
        before = await store.take("default", "orders", "workflow", "c1", 2)
        assert before is not None

        await admin.flushdb()

        # The group is gone with the stream; the store makes it again on its own.
        assert await store.add([make_task("wf-2")]) == 1
        after = await store.take("default", "orders", "workflow", "c1", 2)
        assert after is not None
        assert after.task.workflow_id == "wf-2"
        await store.ack(after)
        # The lease from before the flush names an entry Redis no longer has: requeueing it
        # adds nothing (the reconciler re-adds what history still expects).
        assert await store.requeue(before) is False

        # A take parked on the stream while Redis loses it gets the next task all the same.
        parked = asyncio.create_task(store.take("default", "orders", "workflow", "c1", 10))
        await assert_eventually(lambda: _blocked_clients_on(admin))
        await admin.flushdb()
        await store.add([make_task("wf-3")])
        lease = await asyncio.wait_for(parked, 10)
        assert lease is not None
        assert lease.task.workflow_id == "wf-3"
        await store.ack(lease)
        assert await store.reclaim(0) == 0
    finally:
        await admin.flushdb()
        await admin.aclose()
        await store.close()


async def _blocked_clients_on(admin: Redis) -> None:
    clients = await admin.client_list()
    assert any(client.get("cmd") == "xreadgroup" and client.get("db") == "9" for client in clients)
