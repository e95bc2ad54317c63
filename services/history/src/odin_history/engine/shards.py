"""Shard ownership: leases in the ``shards`` table, fenced by ``range_id`` (invariant 3).

Every history process registers in ``cluster_members`` and takes the shards that rendezvous
hashing over the live members gives it. Taking a shard bumps its ``range_id``; every write
reads the range id in its transaction (``FOR SHARE`` on PostgreSQL), so a process that lost a
shard can no longer commit for it. A process that restarts at the same address keeps its
member id and takes its shards back at once instead of waiting for the leases to expire.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from odin_common.clock import Clock
from odin_common.errors import ShardNotOwned
from odin_common.hashing import rendezvous_owner, shard_for
from odin_common.metrics import HISTORY_SHARD_OWNERSHIP
from odin_common.tasks import raise_if_cancelled, stop_tasks
from odin_history.store import shards as store

log = structlog.get_logger("odin.history.shards")

SEQ_BITS = 40


@dataclass(slots=True)
class OwnedShard:
    shard_id: int
    range_id: int
    seq: int = 0

    def new_task_id(self) -> int:
        """Task ids are unique per shard: a new owner's ids start above the old owner's."""
        self.seq += 1
        return (self.range_id << SEQ_BITS) | self.seq


ShardCallback = Callable[[set[int]], None]


class ShardController:
    def __init__(
        self,
        engine: AsyncEngine,
        clock: Clock,
        *,
        shard_count: int,
        member_id: str,
        address: str,
        lease_seconds: float,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.shard_count = shard_count
        self.member_id = member_id
        self.address = address
        self.lease = timedelta(seconds=lease_seconds)
        self.owned: dict[int, OwnedShard] = {}
        self._on_acquired: list[ShardCallback] = []
        self._on_lost: list[ShardCallback] = []
        self._task: asyncio.Task[None] | None = None

    def on_acquired(self, callback: ShardCallback) -> None:
        self._on_acquired.append(callback)

    def on_lost(self, callback: ShardCallback) -> None:
        self._on_lost.append(callback)

    def shard_of(self, namespace: str, workflow_id: str) -> int:
        return shard_for(namespace, workflow_id, self.shard_count)

    def require(self, shard_id: int) -> OwnedShard:
        shard = self.owned.get(shard_id)
        if shard is None:
            raise ShardNotOwned(
                f"shard {shard_id} is not owned by this history process", shard_id=shard_id
            )
        return shard

    def check_range(self, shard: OwnedShard, range_id: int | None) -> None:
        """Inside a write transaction, with the range id it read (locked): refuse the write
        unless the shard is still ours."""
        if range_id != shard.range_id:
            self._lose({shard.shard_id})
            raise ShardNotOwned(
                f"shard {shard.shard_id} was taken over by another history process",
                shard_id=shard.shard_id,
            )

    async def start(self) -> None:
        async with self.engine.begin() as conn:
            await store.ensure_shard_rows(conn, self.shard_count, self.clock.now())
        await self.rebalance()
        self._task = asyncio.create_task(self._loop(), name="shard-controller")

    async def stop(self) -> None:
        if self._task is not None:
            await stop_tasks(self._task)
        owned = list(self.owned)
        self._lose(set(owned))
        try:
            async with self.engine.begin() as conn:
                await store.release_shards(conn, owned, member_id=self.member_id)
                await store.remove_member(conn, self.member_id)
        except Exception as exc:  # shutting down: the leases will expire anyway
            log.warning("could not release shards on shutdown", error=repr(exc))

    async def _loop(self) -> None:
        interval = max(self.lease.total_seconds() / 3, 0.2)
        while True:
            await asyncio.sleep(interval)
            try:
                await self.rebalance()
            except Exception as exc:
                raise_if_cancelled()
                log.warning("shard rebalance failed", error=repr(exc))

    async def rebalance(self) -> None:
        """Heartbeat, renew our leases, take the shards we should own, let go of the rest."""
        now = self.clock.now()
        lease_until = now + self.lease
        async with self.engine.begin() as conn:
            await store.heartbeat_member(
                conn, member_id=self.member_id, service="history", address=self.address, now=now
            )
            members = await store.list_live_members(conn, service="history", since=now - self.lease)
            if self.member_id not in members:
                members.append(self.member_id)
            kept = await store.renew_shards(
                conn,
                {s: o.range_id for s, o in self.owned.items()},
                member_id=self.member_id,
                now=now,
                lease_until=lease_until,
            )
            lost = set(self.owned) - kept
            desired = {
                s for s in range(self.shard_count) if rendezvous_owner(s, members) == self.member_id
            }
            to_release = sorted(set(self.owned) - desired - lost)
            await store.release_shards(conn, to_release, member_id=self.member_id)
            wanted = sorted(desired - kept)
            acquired = await store.acquire_shards(
                conn,
                wanted,
                member_id=self.member_id,
                address=self.address,
                now=now,
                lease_until=lease_until,
            )
        self._lose(lost | set(to_release))
        if acquired:
            for shard_id, range_id in acquired.items():
                self.owned[shard_id] = OwnedShard(shard_id, range_id)
                HISTORY_SHARD_OWNERSHIP.labels(str(shard_id), self.member_id).set(1)
            log.info("acquired shards", count=len(acquired), member=self.member_id)
            for callback in self._on_acquired:
                callback(set(acquired))

    def _lose(self, shard_ids: set[int]) -> None:
        shard_ids = {s for s in shard_ids if s in self.owned}
        if not shard_ids:
            return
        for shard_id in shard_ids:
            del self.owned[shard_id]
            HISTORY_SHARD_OWNERSHIP.labels(str(shard_id), self.member_id).set(0)
        log.warning("lost shards", count=len(shard_ids), member=self.member_id)
        for callback in self._on_lost:
            callback(shard_ids)
