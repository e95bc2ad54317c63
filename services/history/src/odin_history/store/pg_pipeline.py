"""PostgreSQL: write a :class:`WriteSet` with psycopg's pipeline mode, in two round trips
(every statement and a sync, then the commit) instead of one per statement.

The statements are plain SQL (the table definitions are ``odin_common.db.schema``; the
migration test keeps them in step); values are adapted here as SQLAlchemy's column types
would (JSON text with orjson, JSONB for search attributes).
"""

from __future__ import annotations

from typing import Any

import orjson
import psycopg
from psycopg.types.json import Jsonb
from sqlalchemy.ext.asyncio import AsyncConnection

from odin_common.state import ExecutionState
from odin_history.store.executions import ConditionFailed
from odin_history.store.writes import WriteSet

_OPTS = orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS

FENCE = "SELECT range_id FROM shards WHERE shard_id = %s FOR SHARE"
INSERT_EXECUTION = (
    "INSERT INTO executions (namespace_id, workflow_id, run_id, shard_id, status, workflow_type,"
    " task_queue, start_time, close_time, next_event_id, state, db_version)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 1)"
)
UPDATE_EXECUTION = (
    "UPDATE executions SET status = %s, workflow_type = %s, task_queue = %s, start_time = %s,"
    " close_time = %s, next_event_id = %s, state = %s, db_version = %s"
    " WHERE namespace_id = %s AND workflow_id = %s AND run_id = %s AND db_version = %s"
)
INSERT_EVENT = (
    "INSERT INTO history_events (namespace_id, workflow_id, run_id, event_id, event_type,"
    " event_time, attributes) VALUES (%s, %s, %s, %s, %s, %s, %s)"
)
UPSERT_VISIBILITY = (
    "INSERT INTO visibility (namespace_id, run_id, workflow_id, workflow_type, status, task_queue,"
    " start_time, execution_time, close_time, execution_duration_ms, history_length, memo,"
    " search_attributes, parent_workflow_id)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    " ON CONFLICT (namespace_id, run_id) DO UPDATE SET workflow_id = EXCLUDED.workflow_id,"
    " workflow_type = EXCLUDED.workflow_type, status = EXCLUDED.status,"
    " task_queue = EXCLUDED.task_queue, start_time = EXCLUDED.start_time,"
    " execution_time = EXCLUDED.execution_time, close_time = EXCLUDED.close_time,"
    " execution_duration_ms = EXCLUDED.execution_duration_ms,"
    " history_length = EXCLUDED.history_length, memo = EXCLUDED.memo,"
    " search_attributes = EXCLUDED.search_attributes,"
    " parent_workflow_id = EXCLUDED.parent_workflow_id"
)
INSERT_CURRENT = (
    "INSERT INTO current_executions (namespace_id, workflow_id, run_id, status, start_request_id,"
    " start_time, close_time) VALUES (%s, %s, %s, %s, %s, %s, %s)"
)
UPDATE_CURRENT = (
    "UPDATE current_executions SET run_id = %s, status = %s, start_request_id = %s,"
    " start_time = %s, close_time = %s"
    " WHERE namespace_id = %s AND workflow_id = %s AND run_id = %s"
)
INSERT_TRANSFER = (
    "INSERT INTO transfer_tasks (shard_id, task_id, task_type, payload, created_at)"
    " VALUES (%s, %s, %s, %s, %s)"
)
INSERT_TIMER = (
    "INSERT INTO timer_tasks (shard_id, fire_at, task_id, task_type, namespace_id, workflow_id,"
    " run_id, payload) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
)
DELETE_TIMER = "DELETE FROM timer_tasks WHERE shard_id = %s AND fire_at = %s AND task_id = %s"


def _json(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value, option=_OPTS).decode()


def _state_columns(state: ExecutionState) -> tuple[Any, ...]:
    return (
        state.status,
        state.workflow_type,
        state.task_queue,
        state.start_time,
        state.close_time,
        state.next_event_id,
        state.model_dump_json(),
    )


def _visibility(state: ExecutionState) -> tuple[Any, ...]:
    duration_ms = None
    if state.close_time is not None:
        duration_ms = int((state.close_time - state.execution_time).total_seconds() * 1000)
    return (
        state.namespace_id,
        state.run_id,
        state.workflow_id,
        state.workflow_type,
        state.status,
        state.task_queue,
        state.start_time,
        state.execution_time,
        state.close_time,
        duration_ms,
        state.next_event_id - 1,
        _json(state.memo or None),
        Jsonb(state.search_attributes) if state.search_attributes else None,
        state.parent.workflow_id if state.parent else None,
    )


def _current(state: ExecutionState) -> tuple[Any, ...]:
    return (state.run_id, state.status, state.start_request_id, state.start_time, state.close_time)


async def write(conn: AsyncConnection, ws: WriteSet) -> int | None:
    """Write ``ws`` inside the caller's transaction (see :func:`odin_history.store.writes.write`)."""
    raw = await conn.get_raw_connection()
    aconn: psycopg.AsyncConnection[Any] = raw.driver_connection  # type: ignore[assignment]
    checked: list[tuple[psycopg.AsyncCursor[Any], str]] = []
    try:
        async with aconn.pipeline() as pipeline:
            fence = aconn.cursor()
            await fence.execute(FENCE, (ws.shard_id,))
            async with aconn.cursor() as cur:
                for ew in ws.executions:
                    state = ew.state
                    columns = _state_columns(state)
                    if ew.expected_version is None:
                        key = (state.namespace_id, state.workflow_id, state.run_id, ws.shard_id)
                        await cur.execute(INSERT_EXECUTION, (*key, *columns))
                    else:
                        update = aconn.cursor()
                        await update.execute(
                            UPDATE_EXECUTION,
                            (
                                *columns,
                                ew.expected_version + 1,
                                state.namespace_id,
                                state.workflow_id,
                                state.run_id,
                                ew.expected_version,
                            ),
                        )
                        checked.append(
                            (update, f"execution {state.workflow_id}/{state.run_id} changed")
                        )
                    if ew.events:
                        await cur.executemany(
                            INSERT_EVENT,
                            [
                                (
                                    state.namespace_id,
                                    state.workflow_id,
                                    state.run_id,
                                    e.event_id,
                                    e.event_type,
                                    e.event_time,
                                    e.attributes.decode(),
                                )
                                for e in ew.events
                            ],
                        )
                    if ew.visibility:
                        await cur.execute(UPSERT_VISIBILITY, _visibility(state))
                if ws.current is not None:
                    state = ws.current.state
                    if ws.current.expected_run_id is None:
                        await cur.execute(
                            INSERT_CURRENT,
                            (state.namespace_id, state.workflow_id, *_current(state)),
                        )
                    else:
                        update = aconn.cursor()
                        await update.execute(
                            UPDATE_CURRENT,
                            (
                                *_current(state),
                                state.namespace_id,
                                state.workflow_id,
                                ws.current.expected_run_id,
                            ),
                        )
                        checked.append((update, f"current run of {state.workflow_id} changed"))
                if ws.transfer_rows:
                    await cur.executemany(
                        INSERT_TRANSFER,
                        [
                            (
                                r["shard_id"],
                                r["task_id"],
                                r["task_type"],
                                _json(r["payload"]),
                                r["created_at"],
                            )
                            for r in ws.transfer_rows
                        ],
                    )
                if ws.timer_rows:
                    await cur.executemany(
                        INSERT_TIMER,
                        [
                            (
                                r["shard_id"],
                                r["fire_at"],
                                r["task_id"],
                                r["task_type"],
                                r["namespace_id"],
                                r["workflow_id"],
                                r["run_id"],
                                _json(r["payload"]),
                            )
                            for r in ws.timer_rows
                        ],
                    )
                if ws.deleted_timers:
                    await cur.executemany(DELETE_TIMER, ws.deleted_timers)
            await pipeline.sync()
            row = await fence.fetchone()
    except psycopg.errors.UniqueViolation as exc:
        # A concurrent start of the same workflow id won the race for the current row.
        raise ConditionFailed(str(exc)) from exc
    for cursor, message in checked:
        if cursor.rowcount != 1:
            raise ConditionFailed(message)
    return int(row[0]) if row else None
