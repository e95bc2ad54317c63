"""One workflow change as data (:class:`WriteSet`), and the portable way to write it (through
SQLAlchemy, for SQLite and any other database). PostgreSQL uses :mod:`pg_pipeline`, which
writes the same set in two round trips."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from odin_common.state import ExecutionState
from odin_history.store import executions as executions_store
from odin_history.store import shards as shards_store
from odin_history.store import tasks as tasks_store
from odin_history.store.events import StoredEvent, insert_events


@dataclass(slots=True)
class ExecutionWrite:
    state: ExecutionState
    expected_version: int | None
    """The db_version the state was read at; None for a new run (inserted)."""
    events: list[StoredEvent]
    visibility: bool


@dataclass(slots=True)
class CurrentWrite:
    state: ExecutionState
    expected_run_id: str | None
    """The run the workflow id must still point at; None: the workflow id is new (inserted)."""


@dataclass(slots=True)
class WriteSet:
    shard_id: int
    executions: list[ExecutionWrite] = field(default_factory=list)
    current: CurrentWrite | None = None
    transfer_rows: list[dict[str, Any]] = field(default_factory=list)
    timer_rows: list[dict[str, Any]] = field(default_factory=list)
    deleted_timers: list[tuple[int, datetime, int]] = field(default_factory=list)


async def write(conn: AsyncConnection, ws: WriteSet) -> int | None:
    """Write ``ws`` inside the caller's transaction; returns the shard's range id as read
    (locked) at the start, for the caller's fencing check. Raises ``ConditionFailed``."""
    range_id = await shards_store.read_range_id(conn, ws.shard_id)
    for ew in ws.executions:
        state = ew.state
        if ew.expected_version is None:
            await executions_store.insert_execution(conn, state, ws.shard_id)
        else:
            await executions_store.update_execution(conn, state, ew.expected_version)
        await insert_events(conn, state.namespace_id, state.workflow_id, state.run_id, ew.events)
        if ew.visibility:
            await executions_store.upsert_visibility(conn, state)
    if ws.current is not None:
        if ws.current.expected_run_id is None:
            await executions_store.insert_current(conn, ws.current.state)
        else:
            await executions_store.update_current(
                conn, ws.current.state, ws.current.expected_run_id
            )
    await tasks_store.insert_transfer_tasks(conn, ws.transfer_rows)
    await tasks_store.insert_timer_tasks(conn, ws.timer_rows)
    await tasks_store.delete_timer_tasks(conn, ws.deleted_timers)
    return range_id
