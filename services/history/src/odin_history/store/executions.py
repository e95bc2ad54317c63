"""Execution rows (mutable state), current-run rows and visibility rows.

The statements of the hot path are built once, with bind parameters, and executed with a
parameter dict: building a SQLAlchemy statement per call (coercions, cache keys) was a large
part of history's CPU time per workflow task.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from odin_common.db.schema import current_executions, executions, visibility
from odin_common.state import ExecutionState


class ConditionFailed(Exception):
    """Someone else changed the row first (db_version or current run moved on)."""


_ex = executions.c
_cur = current_executions.c
_RUN_KEY = and_(
    _ex.namespace_id == bindparam("k_namespace_id"),
    _ex.workflow_id == bindparam("k_workflow_id"),
    _ex.run_id == bindparam("k_run_id"),
)
_READ_EXECUTION = select(_ex.state, _ex.db_version).where(_RUN_KEY)
_READ_CURRENT = select(current_executions).where(
    and_(
        _cur.namespace_id == bindparam("k_namespace_id"),
        _cur.workflow_id == bindparam("k_workflow_id"),
    )
)
_COLUMNS = (
    "status",
    "workflow_type",
    "task_queue",
    "start_time",
    "close_time",
    "next_event_id",
    "state",
)
_INSERT_EXECUTION = insert(executions)
_UPDATE_EXECUTION = (
    update(executions)
    .where(and_(_RUN_KEY, _ex.db_version == bindparam("k_db_version")))
    .values({name: bindparam(name) for name in (*_COLUMNS, "db_version")})
)
_INSERT_CURRENT = insert(current_executions)
_CURRENT_COLUMNS = ("run_id", "status", "start_request_id", "start_time", "close_time")
_UPDATE_CURRENT = (
    update(current_executions)
    .where(
        and_(
            _cur.namespace_id == bindparam("k_namespace_id"),
            _cur.workflow_id == bindparam("k_workflow_id"),
            _cur.run_id == bindparam("k_run_id"),
        )
    )
    .values({name: bindparam(name) for name in _CURRENT_COLUMNS})
)


def _key(namespace_id: str, workflow_id: str, run_id: str) -> dict[str, Any]:
    return {"k_namespace_id": namespace_id, "k_workflow_id": workflow_id, "k_run_id": run_id}


async def read_execution(
    conn: AsyncConnection, namespace_id: str, workflow_id: str, run_id: str
) -> tuple[ExecutionState, int] | None:
    result = await conn.execute(_READ_EXECUTION, _key(namespace_id, workflow_id, run_id))
    row = result.first()
    if row is None:
        return None
    return ExecutionState.model_validate(row[0]), int(row[1])


async def read_current(
    conn: AsyncConnection, namespace_id: str, workflow_id: str
) -> RowMapping | None:
    result = await conn.execute(
        _READ_CURRENT, {"k_namespace_id": namespace_id, "k_workflow_id": workflow_id}
    )
    return result.mappings().first()


def _columns(state: ExecutionState) -> dict[str, Any]:
    return {
        "status": state.status,
        "workflow_type": state.workflow_type,
        "task_queue": state.task_queue,
        "start_time": state.start_time,
        "close_time": state.close_time,
        "next_event_id": state.next_event_id,
        "state": state.model_dump(mode="json"),
    }


async def insert_execution(conn: AsyncConnection, state: ExecutionState, shard_id: int) -> None:
    await conn.execute(
        _INSERT_EXECUTION,
        {
            "namespace_id": state.namespace_id,
            "workflow_id": state.workflow_id,
            "run_id": state.run_id,
            "shard_id": shard_id,
            "db_version": 1,
            **_columns(state),
        },
    )


async def update_execution(
    conn: AsyncConnection, state: ExecutionState, expected_version: int
) -> None:
    params = {
        **_key(state.namespace_id, state.workflow_id, state.run_id),
        "k_db_version": expected_version,
        "db_version": expected_version + 1,
        **_columns(state),
    }
    result = await conn.execute(_UPDATE_EXECUTION, params)
    if result.rowcount != 1:
        raise ConditionFailed(f"execution {state.workflow_id}/{state.run_id} changed")


def _current(state: ExecutionState) -> dict[str, Any]:
    return {
        "run_id": state.run_id,
        "status": state.status,
        "start_request_id": state.start_request_id,
        "start_time": state.start_time,
        "close_time": state.close_time,
    }


async def insert_current(conn: AsyncConnection, state: ExecutionState) -> None:
    await conn.execute(
        _INSERT_CURRENT,
        {"namespace_id": state.namespace_id, "workflow_id": state.workflow_id, **_current(state)},
    )


async def update_current(
    conn: AsyncConnection, state: ExecutionState, expected_run_id: str
) -> None:
    """Point the workflow id at ``state``'s run (or refresh its status), provided the current
    run is still ``expected_run_id``."""
    params = {**_key(state.namespace_id, state.workflow_id, expected_run_id), **_current(state)}
    result = await conn.execute(_UPDATE_CURRENT, params)
    if result.rowcount != 1:
        raise ConditionFailed(f"current run of {state.workflow_id} changed")


_VISIBILITY_COLUMNS = (
    "workflow_id",
    "workflow_type",
    "status",
    "task_queue",
    "start_time",
    "execution_time",
    "close_time",
    "execution_duration_ms",
    "history_length",
    "memo",
    "search_attributes",
    "parent_workflow_id",
)
_UPSERTS: dict[str, Any] = {}


def _upsert_visibility(dialect: str) -> Any:
    stmt = _UPSERTS.get(dialect)
    if stmt is None:
        base = (postgresql if dialect == "postgresql" else sqlite).insert(visibility)
        stmt = base.on_conflict_do_update(
            index_elements=["namespace_id", "run_id"],
            set_={name: base.excluded[name] for name in _VISIBILITY_COLUMNS},
        )
        _UPSERTS[dialect] = stmt
    return stmt


async def upsert_visibility(conn: AsyncConnection, state: ExecutionState) -> None:
    duration_ms = None
    if state.close_time is not None:
        duration_ms = int((state.close_time - state.execution_time).total_seconds() * 1000)
    values = {
        "namespace_id": state.namespace_id,
        "run_id": state.run_id,
        "workflow_id": state.workflow_id,
        "workflow_type": state.workflow_type,
        "status": state.status,
        "task_queue": state.task_queue,
        "start_time": state.start_time,
        "execution_time": state.execution_time,
        "close_time": state.close_time,
        "execution_duration_ms": duration_ms,
        "history_length": state.next_event_id - 1,
        "memo": state.memo or None,
        "search_attributes": state.search_attributes or None,
        "parent_workflow_id": state.parent.workflow_id if state.parent else None,
    }
    await conn.execute(_upsert_visibility(conn.dialect.name), values)
