"""``GET .../task-queues/{tq}``: backlog and recent pollers of both kinds of a task queue."""

from __future__ import annotations

from datetime import UTC, datetime

from odin_common.api.internal import DispatchKind
from odin_common.api.worker import PollerInfo, TaskQueueDescription, TaskQueueKindStatus
from odin_matching.usecases.context import Matching


async def describe_task_queue(
    matching: Matching, namespace: str, task_queue: str
) -> TaskQueueDescription:
    now = matching.clock.now()
    workflow = await _kind_status(matching, namespace, task_queue, "workflow", now)
    activity = await _kind_status(matching, namespace, task_queue, "activity", now)
    return TaskQueueDescription(
        name=task_queue, namespace=namespace, workflow=workflow, activity=activity
    )


async def _kind_status(
    matching: Matching, namespace: str, task_queue: str, kind: DispatchKind, now: datetime
) -> TaskQueueKindStatus:
    status = await matching.store.describe(namespace, task_queue, kind)
    age = None
    if status.oldest_enqueued_at is not None:
        oldest = datetime.fromtimestamp(status.oldest_enqueued_at, UTC)
        age = max((now - oldest).total_seconds(), 0.0)
    return TaskQueueKindStatus(
        backlog_count=status.backlog_count,
        backlog_age_seconds=age,
        pollers=[
            PollerInfo(
                identity=poller.identity,
                last_access_time=poller.last_access_time,
                kind=poller.kind,
            )
            for poller in status.pollers
        ],
    )
