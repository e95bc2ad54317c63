"""``python -m odin_system_workers`` as operators run it: a real process on a real port."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import httpx
import pytest

from odin_common.testing import assert_eventually, free_port

pytestmark = pytest.mark.integration


def _env(db_url: str, matching_url: str, port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "HUGO_ORCHESTRATOR_DB_CONNECTION": db_url,
            "HUGO_ORCHESTRATOR_MATCHING_URL": matching_url,
            "HUGO_ORCHESTRATOR_HOST": "127.0.0.1",
            "HUGO_ORCHESTRATOR_PORT": str(port),
            "HUGO_ORCHESTRATOR_RECONCILER_INTERVAL_SECONDS": "0.2",
            "HUGO_ORCHESTRATOR_LOG_FORMAT": "json",
        }
    )
    return env


async def _spawn(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "odin_system_workers",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_the_process_serves_and_requeues_lost_tasks(harness, states) -> None:
    port = free_port()
    proc = await _spawn(_env(harness.db_url, harness.matching.url, port))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:

            async def ready() -> None:
                assert proc.returncode is None, "the process exited"
                try:
                    resp = await client.get("/readyz")
                except httpx.TransportError as exc:
                    raise AssertionError(f"not listening yet: {exc}") from exc
                assert resp.status_code == 200, resp.text

            await assert_eventually(ready, timeout=30)
            # The process uses the real clock, so this task is well past the minimum age.
            await harness.insert([states.workflow_task(states.run("wf-lost"))])

            def requeued() -> None:
                assert "wf-lost" in {t.workflow_id for t in harness.matching.sent}

            await assert_eventually(requeued)
            resp = await client.post("/internal/reconciler/run")
            assert resp.status_code == 200
            assert resp.json()["scanned"] == 1
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(proc.communicate(), timeout=30)
    # uvicorn shuts down cleanly, then re-raises the signal it caught (status -SIGTERM).
    assert proc.returncode in (0, -signal.SIGTERM), stderr.decode()
    assert "Application shutdown complete" in stderr.decode()


async def test_the_process_refuses_an_unmigrated_database(tmp_path: Path, matching) -> None:
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    proc = await _spawn(_env(empty, matching.url, free_port()))
    _, stderr = await asyncio.wait_for(proc.communicate(), timeout=60)

    assert proc.returncode == 3
    assert "python -m odin_common.db upgrade" in stderr.decode()
