"""The reconciler against real PostgreSQL and SQLite and a fake matching over HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text

from odin_common.db.engine import create_engine
from odin_common.testing import assert_eventually
from odin_system_workers.domain.reconcile import ExecutionKey
from odin_system_workers.store.executions import list_running_executions

pytestmark = pytest.mark.integration


async def test_a_round_requeues_exactly_the_lost_tasks(harness, states) -> None:
    runs, expected = states.six_situations()
    await harness.insert(runs)

    async with harness.app() as (_, client):
        resp = await client.post("/internal/reconciler/run")
        assert resp.status_code == 200
        assert resp.json() == {"requeued": 2, "scanned": 5, "submitted": 2, "invalid": 0}
        assert {task.dedup_key() for task in harness.matching.sent} == expected
        assert len(harness.matching.sent) == 2

        # Matching still holds them: sent again (harmless), but nothing is queued twice.
        again = (await client.post("/internal/reconciler/run")).json()
        assert again == {"requeued": 0, "scanned": 5, "submitted": 2, "invalid": 0}
        assert set(harness.matching.queued) == expected


async def test_a_task_becomes_lost_once_it_is_older_than_the_minimum_age(harness, states) -> None:
    await harness.insert([states.workflow_task(states.run("wf-young"), age=timedelta(seconds=2))])

    async with harness.app() as (_, client):
        assert (await client.post("/internal/reconciler/run")).json()["requeued"] == 0
        harness.clock.advance(timedelta(seconds=3))
        assert (await client.post("/internal/reconciler/run")).json()["requeued"] == 1
    assert [t.workflow_id for t in harness.matching.sent] == ["wf-young"]


def _many_runs(states):
    """Running runs whose keys differ only in later key columns, or in case and accents (the
    database's collation orders these, so the next page must start exactly after the last)."""
    runs = []
    for namespace_id in ("ns-a", "ns-B", "ns-b"):
        for workflow_id in ("Order-1", "order-1", "ördér-1", "order-10", "order-2"):
            for run_id in ("r1", "r2"):
                run = states.run(
                    workflow_id,
                    run_id=run_id,
                    namespace_id=namespace_id,
                    namespace=f"name-of-{namespace_id}",
                )
                runs.append(states.workflow_task(run))
    closed = [
        states.workflow_task(states.run(f"order-{i}", run_id="r0", status="completed"))
        for i in range(1, 5)
    ]
    return runs, closed


async def test_rounds_page_through_more_rows_than_one_page(harness, states) -> None:
    runs, closed = _many_runs(states)
    await harness.insert(runs + closed)

    async with harness.app(reconciler_page_size=4, reconciler_batch_size=7) as (_, client):
        resp = await client.post("/internal/reconciler/run")

    assert resp.json() == {"requeued": 30, "scanned": 30, "submitted": 30, "invalid": 0}
    assert len(harness.matching.sent) == 30
    assert {t.dedup_key() for t in harness.matching.sent} == {
        t.dedup_key() for r in runs for t in r.pending_dispatch(older_than=states.now)
    }
    assert max(len(request) for request in harness.matching.requests) <= 7
    assert len(harness.matching.requests) == 5  # ceil(30 / 7)


async def test_keyset_pages_cover_every_running_row_once(db_url, harness, states) -> None:
    runs, closed = _many_runs(states)
    await harness.insert(runs + closed)
    engine = create_engine(db_url, pool_size=1)
    seen: list[ExecutionKey] = []
    after = None
    pages = 0
    try:
        while True:
            async with engine.connect() as conn:
                page = await list_running_executions(conn, after=after, limit=4)
            pages += 1
            seen.extend(row.key for row in page)
            if len(page) < 4:
                break
            after = page[-1].key
    finally:
        await engine.dispose()

    assert pages == 8  # 30 rows: 7 full pages and a partial one
    assert len(seen) == len(set(seen)) == 30
    assert set(seen) == {ExecutionKey(r.namespace_id, r.workflow_id, r.run_id) for r in runs}


async def test_the_loop_survives_a_matching_outage(harness, states) -> None:
    await harness.insert([states.workflow_task(states.run("wf-lost-during-outage"))])
    harness.matching.fail_adds = 2

    async with harness.app(reconciler_enabled=True, reconciler_interval_seconds=0.05) as (
        app,
        client,
    ):

        def requeued(workflow_id: str) -> None:
            assert workflow_id in {t.workflow_id for t in harness.matching.sent}

        await assert_eventually(lambda: requeued("wf-lost-during-outage"))
        assert harness.matching.failed_adds == 2
        # The loop is still alive: a task lost afterwards is found by a later round.
        await harness.insert([states.workflow_task(states.run("wf-lost-later"))])
        await assert_eventually(lambda: requeued("wf-lost-later"))
        assert not app.state.reconciler_task.done()

        metrics = (await client.get("/metrics")).text
        assert 'reconciler_rounds_total{outcome="error"}' in metrics
        assert "reconciler_tasks_requeued_total" in metrics


async def test_a_round_on_demand_answers_503_while_matching_is_down(harness, states) -> None:
    await harness.insert([states.workflow_task(states.run("wf-lost"))])
    harness.matching.fail_adds = 1

    async with harness.app() as (_, client):
        resp = await client.post("/internal/reconciler/run")
        assert resp.status_code == 503
        assert resp.headers["content-type"].startswith("application/problem+json")
        assert resp.json()["code"] == "unavailable"

        assert (await client.post("/internal/reconciler/run")).json()["requeued"] == 1


async def test_metrics_report_the_last_successful_round(harness, states) -> None:
    await harness.insert([states.workflow_task(states.run("wf-lost"))])
    before = REGISTRY.get_sample_value("reconciler_tasks_requeued_total") or 0.0

    async with harness.app() as (_, client):
        await client.post("/internal/reconciler/run")
        metrics = (await client.get("/metrics")).text

    assert REGISTRY.get_sample_value("reconciler_tasks_requeued_total") == before + 1
    gauge = [
        line
        for line in metrics.splitlines()
        if line.startswith("reconciler_last_success_timestamp_seconds ")
    ]
    assert gauge
    assert float(gauge[0].split()[1]) == harness.clock.now().timestamp()


async def test_readyz_checks_the_database_and_matching(harness) -> None:
    async with harness.app() as (_, client):
        resp = await client.get("/readyz")
        assert resp.status_code == 200
        assert resp.json()["checks"] == {"database": "ok", "matching": "ok"}

        harness.matching.healthy = False
        resp = await client.get("/readyz")
        assert resp.status_code == 503
        assert resp.json()["code"] == "unavailable"
        assert "matching" in resp.json()["detail"]


async def test_refuses_to_start_on_a_schema_that_is_behind(db_url, harness) -> None:
    engine = create_engine(db_url, pool_size=1)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DELETE FROM alembic_version"))
    finally:
        await engine.dispose()

    with pytest.raises(Exception, match=r"python -m odin_common\.db upgrade"):
        async with harness.app():
            pass
