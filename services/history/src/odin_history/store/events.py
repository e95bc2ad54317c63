"""History events. Attributes are stored as JSON text and handed out without re-parsing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import and_, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from odin_common.db.schema import history_events

_OPTS = orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS


@dataclass(slots=True)
class StoredEvent:
    event_id: int
    event_type: str
    event_time: datetime
    attributes: bytes
    """The attributes as JSON."""

    def as_json(self) -> dict[str, Any]:
        """The event for a response, with the attributes embedded as they are stored."""
        return {
            "event_id": self.event_id,
            "event_type": self.event_type,
            "event_time": self.event_time,
            "attributes": orjson.Fragment(self.attributes),
        }


def event_to_stored(event: dict[str, Any]) -> StoredEvent:
    return StoredEvent(
        event["event_id"],
        event["event_type"],
        event["event_time"],
        orjson.dumps(event["attributes"], option=_OPTS),
    )


async def insert_events(
    conn: AsyncConnection,
    namespace_id: str,
    workflow_id: str,
    run_id: str,
    events: list[StoredEvent],
) -> None:
    if not events:
        return
    await conn.execute(
        insert(history_events),
        [
            {
                "namespace_id": namespace_id,
                "workflow_id": workflow_id,
                "run_id": run_id,
                "event_id": e.event_id,
                "event_type": e.event_type,
                "event_time": e.event_time,
                "attributes": e.attributes.decode(),
            }
            for e in events
        ],
    )


async def read_events(
    conn: AsyncConnection,
    namespace_id: str,
    workflow_id: str,
    run_id: str,
    *,
    from_event_id: int = 1,
    limit: int | None = None,
) -> list[StoredEvent]:
    query = (
        select(
            history_events.c.event_id,
            history_events.c.event_type,
            history_events.c.event_time,
            history_events.c.attributes,
        )
        .where(
            and_(
                history_events.c.namespace_id == namespace_id,
                history_events.c.workflow_id == workflow_id,
                history_events.c.run_id == run_id,
                history_events.c.event_id >= from_event_id,
            )
        )
        .order_by(history_events.c.event_id)
    )
    if limit is not None:
        query = query.limit(limit)
    result = await conn.execute(query)
    return [StoredEvent(int(r[0]), r[1], r[2], r[3].encode()) for r in result.all()]
