"""Shard leases and cluster membership (the ``shards`` and ``cluster_members`` tables)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from odin_common.db.schema import cluster_members, shards


def _insert(conn: AsyncConnection, table: Any) -> Any:
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(table)


async def ensure_shard_rows(conn: AsyncConnection, shard_count: int, now: datetime) -> None:
    existing = await conn.execute(select(shards.c.shard_id))
    have = {int(r[0]) for r in existing.all()}
    missing = [s for s in range(shard_count) if s not in have]
    if missing:
        stmt = _insert(conn, shards).on_conflict_do_nothing(index_elements=["shard_id"])
        await conn.execute(
            stmt, [{"shard_id": s, "range_id": 0, "updated_at": now} for s in missing]
        )


async def acquire_shards(
    conn: AsyncConnection,
    shard_ids: Sequence[int],
    *,
    member_id: str,
    address: str,
    now: datetime,
    lease_until: datetime,
) -> dict[int, int]:
    """Take every shard in ``shard_ids`` that is free, ours, or whose lease expired, bumping
    its ``range_id`` (which fences out any previous owner). Returns shard -> new range_id."""
    if not shard_ids:
        return {}
    result = await conn.execute(
        update(shards)
        .where(
            and_(
                shards.c.shard_id.in_(list(shard_ids)),
                or_(
                    shards.c.owner.is_(None),
                    shards.c.owner == member_id,
                    shards.c.lease_expires_at < now,
                ),
            )
        )
        .values(
            owner=member_id,
            owner_address=address,
            range_id=shards.c.range_id + 1,
            lease_expires_at=lease_until,
            updated_at=now,
        )
        .returning(shards.c.shard_id, shards.c.range_id)
    )
    return {int(r[0]): int(r[1]) for r in result.all()}


async def renew_shards(
    conn: AsyncConnection,
    owned: dict[int, int],
    *,
    member_id: str,
    now: datetime,
    lease_until: datetime,
) -> set[int]:
    """Extend the leases of the shards we own; returns the ones that are still ours."""
    if not owned:
        return set()
    result = await conn.execute(
        update(shards)
        .where(and_(shards.c.shard_id.in_(list(owned)), shards.c.owner == member_id))
        .values(lease_expires_at=lease_until, updated_at=now)
        .returning(shards.c.shard_id, shards.c.range_id)
    )
    return {int(r[0]) for r in result.all() if owned.get(int(r[0])) == int(r[1])}


async def release_shards(
    conn: AsyncConnection, shard_ids: Sequence[int], *, member_id: str
) -> None:
    if shard_ids:
        await conn.execute(
            update(shards)
            .where(and_(shards.c.shard_id.in_(list(shard_ids)), shards.c.owner == member_id))
            .values(owner=None, owner_address=None, lease_expires_at=None)
        )


_READ_RANGE = select(shards.c.range_id).where(shards.c.shard_id == bindparam("shard_id"))
_READ_RANGE_LOCKED = _READ_RANGE.with_for_update(read=True)


async def read_range_id(conn: AsyncConnection, shard_id: int) -> int | None:
    """The shard's fencing counter, locked against a concurrent takeover until commit
    (``FOR SHARE`` on PostgreSQL; SQLite has one writer at a time anyway)."""
    query = _READ_RANGE_LOCKED if conn.dialect.name == "postgresql" else _READ_RANGE
    result = await conn.execute(query, {"shard_id": shard_id})
    row = result.first()
    return int(row[0]) if row else None


async def read_shard_owners(conn: AsyncConnection, now: datetime) -> dict[int, str]:
    result = await conn.execute(
        select(shards.c.shard_id, shards.c.owner_address).where(
            and_(shards.c.owner.is_not(None), shards.c.lease_expires_at >= now)
        )
    )
    return {int(r[0]): r[1] for r in result.all() if r[1]}


async def heartbeat_member(
    conn: AsyncConnection, *, member_id: str, service: str, address: str, now: datetime
) -> None:
    stmt = _insert(conn, cluster_members).values(
        member_id=member_id, service=service, address=address, started_at=now, heartbeat_at=now
    )
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["member_id"], set_={"heartbeat_at": now, "address": address}
        )
    )


async def list_live_members(conn: AsyncConnection, *, service: str, since: datetime) -> list[str]:
    result = await conn.execute(
        select(cluster_members.c.member_id)
        .where(and_(cluster_members.c.service == service, cluster_members.c.heartbeat_at >= since))
        .order_by(cluster_members.c.member_id)
    )
    return [r[0] for r in result.all()]


async def remove_member(conn: AsyncConnection, member_id: str) -> None:
    await conn.execute(delete(cluster_members).where(cluster_members.c.member_id == member_id))
