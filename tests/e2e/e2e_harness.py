"""The end-to-end harness: a private Redis, the four services as processes on a fresh
database, and SDK workers in their own processes."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import redis

from odin_common.testing import free_port
from odin_common.testing.pytest_plugin import create_test_database, drop_test_database
from odin_devserver.cluster import ProcessCluster

HERE = Path(__file__).resolve().parent
FAST_RECOVERY = {
    # Small intervals so recovery scenarios finish in seconds, not minutes.
    "HUGO_ORCHESTRATOR_RECONCILER_INTERVAL_SECONDS": "1",
    "HUGO_ORCHESTRATOR_RECONCILER_MIN_AGE_SECONDS": "2",
    "HUGO_ORCHESTRATOR_TRANSFER_SCAN_INTERVAL_SECONDS": "1",
    "HUGO_ORCHESTRATOR_RECLAIM_IDLE_SECONDS": "15",
}


@contextmanager
def private_redis(directory: Path) -> Iterator[str]:
    """A redis-server of this test's own, on a free port."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("the end-to-end tests start their own redis-server: install Redis")
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(directory),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
        client.close()
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@asynccontextmanager
async def process_cluster(directory: Path) -> AsyncIterator[ProcessCluster]:
    """The four services as processes on a fresh PostgreSQL database and a private Redis."""
    with private_redis(directory) as redis_url:
        db_url = create_test_database()
        processes = ProcessCluster(
            db_url=db_url, redis_url=redis_url, log_dir=directory / "logs", env=dict(FAST_RECOVERY)
        )
        try:
            await processes.start()
            yield processes
        finally:
            processes.stop()
            drop_test_database(db_url)


@dataclass
class Deployment:
    kind: str
    url: str
    cluster: ProcessCluster | None = None


class WorkerProcess:
    """An SDK worker in its own process (so it can be SIGKILLed)."""

    def __init__(self, address: str, task_queue: str, log_dir: Path, variant: str = "v1") -> None:
        log_dir.mkdir(parents=True, exist_ok=True)
        log = (log_dir / f"worker-{variant}-{time.monotonic_ns()}.log").open("ab")
        env = {**os.environ, "ODIN_E2E_VARIANT": variant}
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(HERE / "e2e_apps.py"),
                "--address",
                address,
                "--task-queue",
                task_queue,
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
