"""End-to-end fixtures: the four services as separate processes on PostgreSQL + Redis
(``cluster``), the embedded dev server, and worker processes (see ``e2e_harness``).

Each cluster gets a fresh PostgreSQL database and a private redis-server, so a test may
FLUSHALL it without touching other tests running in parallel.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from e2e_harness import HERE, Deployment, WorkerProcess, process_cluster

from odin_devserver import DevServer
from odin_devserver.cluster import ProcessCluster


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture
async def cluster(tmp_path: Path) -> AsyncIterator[ProcessCluster]:
    async with process_cluster(tmp_path) as processes:
        yield processes


@pytest.fixture(params=["cluster", "embedded"])
async def deployment(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Deployment]:
    """The same scenario on both deployments: four processes on PostgreSQL + Redis, and the
    embedded dev server (SQLite, in-process task store)."""
    if request.param == "cluster":
        async with process_cluster(tmp_path) as processes:
            yield Deployment("cluster", processes.frontend_url, processes)
        return
    async with DevServer(database=str(tmp_path / "odin.db"), port=0) as server:
        yield Deployment("embedded", server.url)


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[list[WorkerProcess]]:
    started: list[WorkerProcess] = []
    yield started
    for worker in started:
        worker.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=["cluster", "embedded"])
async def module_deployment(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Deployment]:
    """One deployment of each kind shared by a module's tests (for feature tests that do not
    break the deployment)."""
    directory = tmp_path_factory.mktemp(f"odin-{request.param}")
    if request.param == "cluster":
        async with process_cluster(directory) as processes:
            yield Deployment("cluster", processes.frontend_url, processes)
        return
    async with DevServer(database=str(directory / "odin.db"), port=0) as server:
        yield Deployment("embedded", server.url)
