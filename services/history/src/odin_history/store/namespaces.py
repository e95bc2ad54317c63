"""Namespace rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from odin_common.db.schema import namespaces


async def read_namespace_by_name(conn: AsyncConnection, name: str) -> RowMapping | None:
    result = await conn.execute(select(namespaces).where(namespaces.c.name == name))
    return result.mappings().first()


async def read_namespace_by_id(conn: AsyncConnection, namespace_id: str) -> RowMapping | None:
    result = await conn.execute(select(namespaces).where(namespaces.c.id == namespace_id))
    return result.mappings().first()


async def list_namespaces(
    conn: AsyncConnection, *, after_name: str | None, limit: int
) -> list[RowMapping]:
    query = (
        select(namespaces)
        .where(namespaces.c.state == "registered")
        .order_by(namespaces.c.name)
        .limit(limit)
    )
    if after_name is not None:
        query = query.where(namespaces.c.name > after_name)
    result = await conn.execute(query)
    return list(result.mappings().all())


async def insert_namespace(conn: AsyncConnection, row: dict[str, Any]) -> None:
    await conn.execute(namespaces.insert().values(**row))


async def update_namespace(
    conn: AsyncConnection, namespace_id: str, values: dict[str, Any], now: datetime
) -> None:
    await conn.execute(
        update(namespaces).where(namespaces.c.id == namespace_id).values(updated_at=now, **values)
    )
