"""Invariant 3: a history process that lost a shard can no longer commit for it."""

import pytest
from history_testkit import HistoryDriver
from sqlalchemy import update

from odin_common.db.schema import shards

pytestmark = pytest.mark.integration


async def test_a_fenced_out_process_cannot_write(history: HistoryDriver) -> None:
    await history.start("wf")
    wt = await history.next_task("workflow", "wf")
    before = await history.events("wf")
    ctx = history.app.state.ctx
    shard_id = ctx.shards.shard_of("default", "wf")
    # Another process takes the shard over: it bumps the range id.
    async with ctx.db.begin() as conn:
        await conn.execute(
            update(shards)
            .where(shards.c.shard_id == shard_id)
            .values(range_id=shards.c.range_id + 1, owner="someone-else")
        )
    resp = await history.complete_wt(wt, [{"type": "complete_workflow"}])
    assert resp.status_code == 503
    assert resp.json()["code"] == "shard_not_owned"
    assert shard_id not in ctx.shards.owned
    # nothing was written; reads are refused too (they go to the new owner)
    resp = await history.client.get("/api/v1/namespaces/default/workflows/wf/history")
    assert resp.json()["code"] == "shard_not_owned"
    async with ctx.db.connect() as conn:
        from odin_history.store.events import read_events

        namespace = await ctx.namespaces.get("default")
        stored = await read_events(conn, namespace.id, "wf", wt["run_id"])
    assert len(stored) == len(before)
