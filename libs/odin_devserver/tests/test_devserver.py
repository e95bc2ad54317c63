"""The embedded dev server: `odin dev` and `WorkflowEnvironment.start_local()` run it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from odin_common.testing import assert_eventually, free_port
from odin_devserver import DevServer

pytestmark = pytest.mark.integration


async def test_all_four_services_run_in_one_process(tmp_path: Path) -> None:
    async with DevServer(database=str(tmp_path / "dev.db"), port=0) as server:
        assert set(server.urls) == {"frontend", "history", "matching", "system-workers"}
        async with httpx.AsyncClient() as client:
            for url in server.urls.values():
                resp = await client.get(f"{url}/readyz")
                assert resp.status_code == 200, resp.text
            docs = await client.get(f"{server.url}/docs")
            assert "swagger-ui" in docs.text
            started = await client.post(
                f"{server.url}/api/v1/namespaces/default/workflows/dev-1",
                json={"workflow_type": "W", "task_queue": "q"},
            )
            assert started.status_code == 201
            poll = await client.post(
                f"{server.url}/api/v1/namespaces/default/task-queues/q/poll",
                json={"kind": "workflow", "wait": "5s"},
            )
            assert poll.status_code == 200
            assert poll.json()["workflow_id"] == "dev-1"
    assert (tmp_path / "dev.db").exists()


async def test_state_survives_a_restart(tmp_path: Path) -> None:
    database = str(tmp_path / "dev.db")
    async with DevServer(database=database, port=0) as server, httpx.AsyncClient() as client:
        resp = await client.post(f"{server.url}/api/v1/namespaces", json={"name": "kept"})
        assert resp.status_code == 201
    async with DevServer(database=database, port=0) as server, httpx.AsyncClient() as client:
        resp = await client.get(f"{server.url}/api/v1/namespaces/kept")
        assert resp.status_code == 200


async def test_temporary_database_is_removed(tmp_path: Path) -> None:
    server = DevServer(port=0)
    await server.start()
    path = Path(server.db_url.removeprefix("sqlite:///"))
    assert path.exists()
    await server.stop()
    assert not path.exists()


async def test_odin_dev_command_serves_swagger_and_stops_on_sigint(tmp_path: Path) -> None:
    port = free_port()
    odin = Path(sys.executable).parent / "odin"
    process = subprocess.Popen(
        [
            str(odin),
            "dev",
            "--port",
            str(port),
            "--db",
            str(tmp_path / "odin-dev.db"),
            "--log-level",
            "warning",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "COLUMNS": "200"},
    )
    try:
        async with httpx.AsyncClient() as client:

            async def ready() -> None:
                assert process.poll() is None, process.stdout.read() if process.stdout else ""
                try:
                    resp = await client.get(f"http://127.0.0.1:{port}/docs")
                except httpx.TransportError as exc:
                    raise AssertionError(str(exc)) from exc
                assert resp.status_code == 200

            await assert_eventually(ready, timeout=60)
    finally:
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=30)
    assert process.returncode == 0, out
    assert b"Swagger UI" in out
