"""Reading running executions, a page at a time, in primary-key order (keyset pagination:
each page starts after the last key of the previous one, so a page costs the same however
deep into the table it is, unlike OFFSET)."""

from __future__ import annotations

from sqlalchemy import select, tuple_
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from odin_common.db.engine import read_connection
from odin_common.db.schema import executions
from odin_common.errors import Unavailable
from odin_system_workers.domain.reconcile import ExecutionKey, RunningExecution

_PK = (executions.c.namespace_id, executions.c.workflow_id, executions.c.run_id)


async def list_running_executions(
    conn: AsyncConnection, *, after: ExecutionKey | None, limit: int
) -> list[RunningExecution]:
    """Up to ``limit`` rows with status ``running`` whose key is greater than ``after``."""
    query = (
        select(*_PK, executions.c.state)
        .where(executions.c.status == "running")
        .order_by(*_PK)
        .limit(limit)
    )
    if after is not None:
        query = query.where(
            tuple_(*_PK) > tuple_(after.namespace_id, after.workflow_id, after.run_id)
        )
    result = await conn.execute(query)
    return [
        RunningExecution(ExecutionKey(row.namespace_id, row.workflow_id, row.run_id), row.state)
        for row in result
    ]


class RunningExecutionPages:
    """Reads each page on its own short-lived connection (no transaction spans a round)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def list_running(
        self, *, after: ExecutionKey | None, limit: int
    ) -> list[RunningExecution]:
        try:
            async with read_connection(self.engine) as conn:
                return await list_running_executions(conn, after=after, limit=limit)
        except (SQLAlchemyError, OSError) as exc:
            raise Unavailable(f"cannot read running executions: {exc}") from exc
