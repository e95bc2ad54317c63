"""The Redis Streams task store (production).

One stream per (namespace, task queue, kind, partition) and one consumer group
(``odin_common.redis_keys.CONSUMER_GROUP``). A poll is ``XREADGROUP ... COUNT 1 BLOCK``; ack,
requeue and reclaim are Lua scripts (:mod:`.redis_scripts`) so each is atomic. The group is
created on first use and again whenever Redis answers ``NOGROUP`` (Redis lost its data, e.g.
after a restart or ``FLUSHALL``): nothing else needs to happen, because PostgreSQL is the
source of truth and the reconciler re-adds what was lost.

Three connection pools: blocking reads hold a connection for up to a poll slice, so they get
their own (large) pool, and adds/acks never wait behind parked polls; queries waiting for
their answer (``BLPOP`` on a per-query list, :meth:`RedisTaskStore.wait_answer`) get a third,
so they cannot starve polls either.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, cast

from redis.asyncio import BlockingConnectionPool, ConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff, NoBackoff
from redis.exceptions import NoScriptError, RedisError, ResponseError

from odin_common import errors
from odin_common.api.internal import DispatchKind, DispatchTask
from odin_common.clock import Clock, SystemClock
from odin_common.jsonutil import dumps, loads
from odin_common.redis_keys import CONSUMER_GROUP, RedisKeys
from odin_matching.store import redis_scripts
from odin_matching.store.base import (
    ANSWER_TTL_SECONDS,
    Lease,
    PollerSeen,
    QueryAnswer,
    QueueStatus,
)

ADD_BATCH = 256
"""Tasks per add script call: keeps each script (which blocks Redis while it runs) short."""
RECLAIM_BATCH = 100
FORGET_CONSUMER_AFTER_MS = 3_600_000
"""A consumer with nothing pending and no activity for an hour is removed from the group."""
RECLAIMER = "odin-reclaimer"
_KEY_CACHE_LIMIT = 100_000


@contextmanager
def _redis_errors() -> Iterator[None]:
    try:
        yield
    except RedisError as exc:
        raise errors.Unavailable(f"Redis is unavailable: {exc}") from exc


def _missing_group(exc: ResponseError) -> bool:
    text = str(exc)
    return text.startswith("NOGROUP") or "no longer exists" in text


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class RedisTaskStore:
    """A :class:`~odin_matching.store.base.TaskStore` on Redis Streams."""

    def __init__(
        self,
        url: str,
        keys: RedisKeys,
        *,
        clock: Clock | None = None,
        max_block_seconds: float = 5.0,
        blocking_connections: int = 1024,
        command_connections: int = 64,
        poller_ttl_seconds: float = 300.0,
        poller_record_interval_seconds: float = 5.0,
        answer_wait_connections: int = 128,
        answer_ttl_seconds: float = ANSWER_TTL_SECONDS,
        group: str = CONSUMER_GROUP,
    ) -> None:
        self._keys = keys
        self._clock = clock or SystemClock()
        self._group = group
        self._max_block_seconds = max_block_seconds
        self._max_block_ms = max(1, int(max_block_seconds * 1000))
        self._answer_ttl_ms = max(1, int(answer_ttl_seconds * 1000))
        self._poller_ttl = poller_ttl_seconds
        self._poller_interval = poller_record_interval_seconds
        self._pollers_written: dict[tuple[str, str, str, str], float] = {}
        self._queue_keys: dict[tuple[str, str, str], tuple[str, str]] = {}
        commands_pool = BlockingConnectionPool.from_url(
            url,
            max_connections=command_connections,
            timeout=10,
            socket_timeout=10,
            socket_connect_timeout=5,
            retry=Retry(ExponentialWithJitterBackoff(base=0.01, cap=0.5), 2),
        )
        # A blocking read is never retried (a retry could strand an entry the first read
        # was handed) and its socket timeout outlasts the longest BLOCK.
        blocking_pool = ConnectionPool.from_url(
            url,
            max_connections=blocking_connections,
            socket_timeout=max_block_seconds + 5,
            socket_connect_timeout=5,
            retry=Retry(NoBackoff(), 0),
        )
        answers_pool = ConnectionPool.from_url(
            url,
            max_connections=answer_wait_connections,
            socket_timeout=max_block_seconds + 5,
            socket_connect_timeout=5,
            retry=Retry(NoBackoff(), 0),
        )
        self._redis: Redis = Redis(connection_pool=commands_pool)
        self._blocking: Redis = Redis(connection_pool=blocking_pool)
        self._answers: Redis = Redis(connection_pool=answers_pool)
        self._read_slots = asyncio.Semaphore(blocking_connections)
        self._answer_slots = asyncio.Semaphore(answer_wait_connections)
        self._add_script = self._redis.register_script(redis_scripts.ADD)
        self._ack_script = self._redis.register_script(redis_scripts.ACK)
        self._requeue_script = self._redis.register_script(redis_scripts.REQUEUE)
        self._reclaim_script = self._redis.register_script(redis_scripts.RECLAIM)
        self._describe_script = self._redis.register_script(redis_scripts.DESCRIBE)
        self._withdraw_script = self._redis.register_script(redis_scripts.WITHDRAW)
        self._publish_script = self._redis.register_script(redis_scripts.PUBLISH_ANSWER)

    def _queue_keys_of(self, namespace: str, task_queue: str, kind: str) -> tuple[str, str]:
        """(stream, queued) keys of a queue, cached: key building quotes names (hot path)."""
        cache_key = (namespace, task_queue, kind)
        found = self._queue_keys.get(cache_key)
        if found is None:
            if len(self._queue_keys) >= _KEY_CACHE_LIMIT:
                self._queue_keys.clear()
            found = (
                self._keys.stream(namespace, task_queue, kind),
                self._keys.queued(namespace, task_queue, kind),
            )
            self._queue_keys[cache_key] = found
        return found

    # -- add -----------------------------------------------------------------------------

    async def add(self, tasks: Sequence[DispatchTask]) -> int:
        if not tasks:
            return 0
        enqueued_at = f"{self._clock.now().timestamp():.6f}"
        calls: list[tuple[str, str, list[str]]] = []
        by_stream: dict[str, list[str]] = {}
        for task in tasks:
            stream, queued = self._queue_keys_of(task.namespace, task.task_queue, task.kind)
            args = by_stream.get(stream)
            if args is None or len(args) >= 1 + 2 * ADD_BATCH:
                args = by_stream[stream] = [enqueued_at]
                calls.append((stream, queued, args))
            args.append(task.dedup_key())
            args.append(task.model_dump_json())
        with _redis_errors():
            for _ in range(2):
                pipe = self._redis.pipeline(transaction=False)
                for stream, queued, args in calls:
                    pipe.evalsha(self._add_script.sha, 2, stream, queued, *args)
                pipe.sadd(self._keys.queue_index(), *by_stream)
                results = await pipe.execute(raise_on_error=False)
                if any(isinstance(result, NoScriptError) for result in results):
                    # Redis restarted or its script cache was flushed. Running the whole batch
                    # again is safe: add is idempotent.
                    self._add_script.sha = await self._redis.script_load(redis_scripts.ADD)
                    continue
                for result in results:
                    if isinstance(result, Exception):
                        raise result
                return sum(int(result) for result in results[:-1])
        raise errors.Unavailable("Redis keeps forgetting the add script")

    # -- take ----------------------------------------------------------------------------

    async def take(
        self,
        namespace: str,
        task_queue: str,
        kind: DispatchKind,
        consumer: str,
        timeout: float,
    ) -> Lease | None:
        deadline = time.monotonic() + timeout
        if self._read_slots.locked():
            try:
                async with asyncio.timeout(timeout):
                    await self._read_slots.acquire()
            except TimeoutError:
                return None
        else:
            await self._read_slots.acquire()
        try:
            stream = self._queue_keys_of(namespace, task_queue, kind)[0]
            with _redis_errors():
                return await self._read(stream, consumer, deadline)
        finally:
            self._read_slots.release()

    async def _read(self, stream: str, consumer: str, deadline: float) -> Lease | None:
        while True:
            block_ms = min(int((deadline - time.monotonic()) * 1000), self._max_block_ms)
            try:
                reply: Any = await self._blocking.xreadgroup(
                    self._group,
                    consumer,
                    {stream: ">"},
                    count=1,
                    # BLOCK 0 would wait forever: under a millisecond left, just look.
                    block=block_ms if block_ms >= 1 else None,
                )
            except ResponseError as exc:
                if not _missing_group(exc):
                    raise
                await self._create_group(stream)
                continue
            if not reply:
                return None
            entry_id, fields = reply[0][1][0]
            return self._lease(_text(entry_id), fields)

    async def _create_group(self, stream: str) -> None:
        try:
            await self._redis.xgroup_create(stream, self._group, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    @staticmethod
    def _lease(entry_id: str, fields: dict[bytes, bytes]) -> Lease:
        task = DispatchTask.model_validate_json(fields[b"t"])
        request_id = fields.get(b"r")
        return Lease(
            task=task,
            entry_id=entry_id,
            enqueued_at=float(fields[b"q"]),
            request_id=request_id.decode() if request_id else entry_id,
        )

    # -- ack, requeue, reclaim -------------------------------------------------------------

    async def ack(self, lease: Lease) -> None:
        task = lease.task
        stream, queued = self._queue_keys_of(task.namespace, task.task_queue, task.kind)
        with _redis_errors():
            await self._ack_script(
                keys=[stream, queued], args=[self._group, lease.entry_id, task.dedup_key()]
            )

    async def requeue(self, lease: Lease) -> bool:
        task = lease.task
        stream, queued = self._queue_keys_of(task.namespace, task.task_queue, task.kind)
        with _redis_errors():
            requeued = await self._requeue_script(
                keys=[stream, queued],
                args=[
                    self._group,
                    lease.entry_id,
                    task.dedup_key(),
                    task.model_dump_json(),
                    f"{lease.enqueued_at:.6f}",
                    lease.request_id,
                ],
            )
        return bool(requeued)

    async def withdraw(self, task: DispatchTask) -> bool:
        stream, queued = self._queue_keys_of(task.namespace, task.task_queue, task.kind)
        with _redis_errors():
            withdrawn = await self._withdraw_script(
                keys=[stream, queued], args=[self._group, task.dedup_key()]
            )
        return bool(withdrawn)

    async def reclaim(self, idle_seconds: float) -> int:
        idle_ms = max(1, int(idle_seconds * 1000))
        total = 0
        with _redis_errors():
            streams = await self._redis.smembers(self._keys.queue_index())
            for raw in sorted(streams):
                stream = _text(raw)
                queued = RedisKeys.queued_of_stream(stream)
                cursor = "0-0"
                while True:
                    reply = await self._reclaim_script(
                        keys=[stream, queued],
                        args=[
                            self._group,
                            RECLAIMER,
                            idle_ms,
                            cursor,
                            RECLAIM_BATCH,
                            FORGET_CONSUMER_AFTER_MS,
                        ],
                    )
                    cursor = _text(reply[0])
                    total += int(reply[1])
                    if cursor == "0-0":
                        break
        return total

    # -- query answers ---------------------------------------------------------------------

    async def publish_answer(self, namespace: str, query_id: str, answer: QueryAnswer) -> bool:
        keys = [
            self._keys.query_answer(namespace, query_id),
            self._keys.query_answered(namespace, query_id),
        ]
        document = dumps({"result": answer.result, "error": answer.error})
        with _redis_errors():
            published = await self._publish_script(keys=keys, args=[document, self._answer_ttl_ms])
        return bool(published)

    async def wait_answer(
        self, namespace: str, query_id: str, timeout: float
    ) -> QueryAnswer | None:
        deadline = time.monotonic() + timeout
        # Each wait holds a connection of the answers pool: bound them (as ``take`` does).
        if self._answer_slots.locked():
            try:
                async with asyncio.timeout(timeout):
                    await self._answer_slots.acquire()
            except TimeoutError:
                return None
        else:
            await self._answer_slots.acquire()
        key = self._keys.query_answer(namespace, query_id)
        try:
            block = min(deadline - time.monotonic(), self._max_block_seconds)
            with _redis_errors():
                if block < 0.001:
                    # BLPOP 0 would wait forever: with no time left, just look.
                    raw: Any = await self._answers.lpop(key)
                else:
                    reply: Any = await self._answers.blpop([key], timeout=round(block, 3))
                    raw = reply[1] if reply else None
        finally:
            self._answer_slots.release()
        if raw is None:
            return None
        document = loads(raw)
        return QueryAnswer(result=document.get("result"), error=document.get("error"))

    # -- describe, pollers, readiness --------------------------------------------------------

    async def describe(self, namespace: str, task_queue: str, kind: DispatchKind) -> QueueStatus:
        stream = self._queue_keys_of(namespace, task_queue, kind)[0]
        pollers_key = self._keys.pollers(namespace, task_queue, kind)
        with _redis_errors():
            waiting, oldest = await self._describe_script(keys=[stream], args=[self._group])
            seen = cast(dict[bytes, bytes], await self._redis.hgetall(pollers_key))
            cutoff = self._clock.now().timestamp() - self._poller_ttl
            stale = [identity for identity, at in seen.items() if float(at) < cutoff]
            if stale:
                await self._redis.hdel(pollers_key, *stale)
        pollers = [
            PollerSeen(_text(identity), kind, datetime.fromtimestamp(float(at), UTC))
            for identity, at in seen.items()
            if float(at) >= cutoff
        ]
        pollers.sort(key=lambda poller: poller.last_access_time, reverse=True)
        return QueueStatus(int(waiting), float(oldest) if oldest else None, pollers)

    async def record_poller(
        self, namespace: str, task_queue: str, kind: DispatchKind, identity: str
    ) -> None:
        marker = (namespace, task_queue, kind, identity)
        now = time.monotonic()
        last = self._pollers_written.get(marker)
        if last is not None and now - last < self._poller_interval:
            return
        if len(self._pollers_written) >= _KEY_CACHE_LIMIT:
            self._pollers_written.clear()
        self._pollers_written[marker] = now
        key = self._keys.pollers(namespace, task_queue, kind)
        with _redis_errors():
            pipe = self._redis.pipeline(transaction=False)
            pipe.hset(key, identity, f"{self._clock.now().timestamp():.6f}")
            pipe.expire(key, max(1, int(self._poller_ttl * 2)))
            await pipe.execute()

    async def check_ready(self) -> dict[str, str]:
        with _redis_errors():
            await self._redis.ping()
        return {"redis": "ok"}

    async def close(self) -> None:
        for client in (self._redis, self._blocking, self._answers):
            await client.aclose()
            await client.connection_pool.disconnect()

    def __repr__(self) -> str:
        return f"RedisTaskStore(prefix={self._keys.prefix!r}, group={self._group!r})"
