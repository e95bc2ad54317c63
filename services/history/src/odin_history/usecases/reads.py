"""Reading workflows: describe, history (paged, long-poll) and result (waits for the close)."""

from __future__ import annotations

import base64
import time
from typing import Any

from odin_common.api.events import CLOSE_EVENT_TYPES
from odin_common.db.engine import read_connection
from odin_common.errors import InvalidArgument
from odin_common.state import ExecutionState
from odin_history.domain.views import describe, result_document
from odin_history.engine.context import HistoryContext
from odin_history.engine.namespaces import NamespaceInfo
from odin_history.store.events import StoredEvent, read_events

CLOSE_TYPES = frozenset(t.value for t in CLOSE_EVENT_TYPES)


async def describe_workflow(
    ctx: HistoryContext, namespace: str, workflow_id: str, run_id: str | None
) -> dict[str, Any]:
    ns = await ctx.namespaces.get(namespace)
    state = await ctx.engine.read(ns, workflow_id, run_id)
    return describe(state)


def _encode_cursor(workflow_id: str, run_id: str, next_event_id: int) -> str:
    # Workflow ids have no control characters, so a newline separates them safely.
    raw = f"{workflow_id}\n{run_id}:{next_event_id}"
    return base64.urlsafe_b64encode(raw.encode()).rstrip(b"=").decode()


def _decode_cursor(token: str, workflow_id: str) -> tuple[str, int]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        token_workflow, newline, rest = raw.rpartition("\n")
        run_id, _, event_id = rest.rpartition(":")
        value = int(event_id)
        if not run_id or value < 1:
            raise ValueError(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidArgument("next_page_token is not one this server handed out") from exc
    # A token without the workflow id is one of an older server's: its run id decides.
    if newline and token_workflow != workflow_id:
        raise InvalidArgument("next_page_token belongs to another workflow")
    return run_id, value


async def get_history(
    ctx: HistoryContext,
    namespace: str,
    workflow_id: str,
    *,
    run_id: str | None,
    page_size: int,
    next_page_token: str | None,
    wait_new_event: bool,
    event_filter: str,
) -> dict[str, Any]:
    ns = await ctx.namespaces.get(namespace)
    start_from = 1
    if next_page_token:
        token_run, start_from = _decode_cursor(next_page_token, workflow_id)
        if run_id is not None and token_run != run_id:
            raise InvalidArgument("next_page_token belongs to another run")
        run_id = token_run
    if run_id is None:
        run_id = (await ctx.engine.read(ns, workflow_id, None)).run_id
    deadline = time.monotonic() + (ctx.settings.long_poll_seconds if wait_new_event else 0)
    key = (ns.id, workflow_id, run_id)
    while True:
        with ctx.notifier.watch(key) as changed:
            state = await ctx.engine.read(ns, workflow_id, run_id)
            events = await _page(ctx, ns, state, start_from, page_size, event_filter)
            if events or not wait_new_event or not state.running:
                return _history_page(
                    state, events, start_from, page_size, wait_new_event, event_filter
                )
            if not await ctx.notifier.wait(changed, deadline - time.monotonic()):
                return {
                    "events": [],
                    "next_page_token": _encode_cursor(workflow_id, run_id, start_from),
                }


async def _page(
    ctx: HistoryContext,
    ns: NamespaceInfo,
    state: ExecutionState,
    start_from: int,
    page_size: int,
    event_filter: str,
) -> list[StoredEvent]:
    if event_filter == "close":
        if state.running:
            return []
        last = state.next_event_id - 1
        if last < start_from:
            return []
        async with read_connection(ctx.db) as conn:
            events = await read_events(
                conn, ns.id, state.workflow_id, state.run_id, from_event_id=last, limit=1
            )
        return [e for e in events if e.event_type in CLOSE_TYPES]
    if start_from >= state.next_event_id:
        return []
    async with read_connection(ctx.db) as conn:
        return await read_events(
            conn, ns.id, state.workflow_id, state.run_id, from_event_id=start_from, limit=page_size
        )


def _history_page(
    state: ExecutionState,
    events: list[StoredEvent],
    start_from: int,
    page_size: int,
    wait_new_event: bool,
    event_filter: str,
) -> dict[str, Any]:
    next_from = events[-1].event_id + 1 if events else start_from
    more = next_from < state.next_event_id and event_filter != "close"
    token = None
    if more or (wait_new_event and state.running):
        token = _encode_cursor(state.workflow_id, state.run_id, next_from)
    return {"events": [e.as_json() for e in events], "next_page_token": token}


async def get_result(
    ctx: HistoryContext, namespace: str, workflow_id: str, run_id: str | None, wait: float
) -> tuple[int, dict[str, Any]]:
    """200 with the outcome once the run closed; 202 ``{status: running}`` if the wait ends.
    Without ``run_id`` it is about the current run (every commit to the workflow wakes it)."""
    ns = await ctx.namespaces.get(namespace)
    deadline = time.monotonic() + wait
    key: tuple[str, ...] = (ns.id, workflow_id) if run_id is None else (ns.id, workflow_id, run_id)
    while True:
        with ctx.notifier.watch(key) as changed:
            state = await ctx.engine.read(ns, workflow_id, run_id)
            if not state.running:
                return 200, result_document(state)
            if not await ctx.notifier.wait(changed, deadline - time.monotonic()):
                return 202, {
                    "workflow_id": workflow_id,
                    "run_id": state.run_id,
                    "status": "running",
                }
