"""``POST /internal/tasks``: history's transfer queue and the reconciler queue tasks."""

from __future__ import annotations

from odin_common.api.internal import AddTasksRequest, AddTasksResponse
from odin_matching.usecases.context import Matching


async def add_tasks(matching: Matching, request: AddTasksRequest) -> AddTasksResponse:
    """Queue every task not already queued (add is idempotent per ``dedup_key()``)."""
    return AddTasksResponse(added=await matching.store.add(request.tasks))
