"""Transfer tasks (the outbox of work for matching) and timer tasks (work due later)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import and_, bindparam, delete, insert, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from odin_common.db.schema import timer_tasks, transfer_tasks


async def insert_transfer_tasks(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    if rows:
        await conn.execute(insert(transfer_tasks), rows)


async def insert_timer_tasks(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    if rows:
        await conn.execute(insert(timer_tasks), rows)


async def delete_transfer_tasks(conn: AsyncConnection, keys: Sequence[tuple[int, int]]) -> None:
    for chunk in _chunks(keys, 500):
        await conn.execute(
            delete(transfer_tasks).where(
                tuple_(transfer_tasks.c.shard_id, transfer_tasks.c.task_id).in_(chunk)
            )
        )


_DELETE_TIMER = delete(timer_tasks).where(
    and_(
        timer_tasks.c.shard_id == bindparam("k_shard_id"),
        timer_tasks.c.fire_at == bindparam("k_fire_at"),
        timer_tasks.c.task_id == bindparam("k_task_id"),
    )
)


async def delete_timer_tasks(
    conn: AsyncConnection, keys: Sequence[tuple[int, datetime, int]]
) -> None:
    """Delete timer tasks by ``(shard_id, fire_at, task_id)`` (one prepared statement, run
    for every key)."""
    if keys:
        await conn.execute(
            _DELETE_TIMER,
            [{"k_shard_id": s, "k_fire_at": f, "k_task_id": t} for s, f, t in keys],
        )


async def list_transfer_tasks(
    conn: AsyncConnection, shard_ids: Sequence[int], *, created_before: datetime, limit: int
) -> list[tuple[int, int, str, dict[str, Any]]]:
    if not shard_ids:
        return []
    result = await conn.execute(
        select(
            transfer_tasks.c.shard_id,
            transfer_tasks.c.task_id,
            transfer_tasks.c.task_type,
            transfer_tasks.c.payload,
        )
        .where(
            and_(
                transfer_tasks.c.shard_id.in_(list(shard_ids)),
                transfer_tasks.c.created_at < created_before,
            )
        )
        .order_by(transfer_tasks.c.created_at)
        .limit(limit)
    )
    return [(int(r[0]), int(r[1]), r[2], r[3]) for r in result.all()]


async def list_due_timers(
    conn: AsyncConnection, shard_ids: Sequence[int], *, before: datetime, limit: int
) -> list[dict[str, Any]]:
    if not shard_ids:
        return []
    result = await conn.execute(
        select(timer_tasks)
        .where(and_(timer_tasks.c.shard_id.in_(list(shard_ids)), timer_tasks.c.fire_at < before))
        .order_by(timer_tasks.c.fire_at)
        .limit(limit)
    )
    return [dict(row) for row in result.mappings().all()]


T = TypeVar("T")


def _chunks(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
