"""The four services as separate processes (``python -m odin_<service>``), as deployed:
what the end-to-end tests and the benchmark run against PostgreSQL and Redis.

Each process gets its settings through ``HUGO_ORCHESTRATOR_*`` variables, listens on a free
port, and writes its log to ``<log_dir>/<service>.log``. A process can be SIGKILLed and
started again on the same port.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

SERVICES = ("history", "matching", "system-workers", "frontend")
MODULES = {
    "history": "odin_history",
    "matching": "odin_matching",
    "system-workers": "odin_system_workers",
    "frontend": "odin_frontend",
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ProcessCluster:
    db_url: str
    redis_url: str | None
    log_dir: Path
    shard_count: int = 16
    env: dict[str, str] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for service in SERVICES:
            self.ports.setdefault(service, free_port())

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    @property
    def frontend_url(self) -> str:
        return self.url("frontend")

    def _environment(self, service: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HUGO_ORCHESTRATOR_")}
        env.update(
            {
                "HUGO_ORCHESTRATOR_DB_CONNECTION": self.db_url,
                "HUGO_ORCHESTRATOR_SHARD_COUNT": str(self.shard_count),
                "HUGO_ORCHESTRATOR_HOST": "127.0.0.1",
                "HUGO_ORCHESTRATOR_PORT": str(self.ports[service]),
                "HUGO_ORCHESTRATOR_FRONTEND_URL": self.url("frontend"),
                "HUGO_ORCHESTRATOR_HISTORY_URL": self.url("history"),
                "HUGO_ORCHESTRATOR_MATCHING_URL": self.url("matching"),
                "HUGO_ORCHESTRATOR_SYSTEM_WORKERS_URL": self.url("system-workers"),
                "HUGO_ORCHESTRATOR_LOG_LEVEL": "info",
            }
        )
        if self.redis_url:
            env["HUGO_ORCHESTRATOR_REDIS_URL"] = self.redis_url
        env.update(self.env)
        return env

    def spawn(self, service: str) -> None:
        log = (self.log_dir / f"{service}.log").open("ab")
        self.processes[service] = subprocess.Popen(
            [sys.executable, "-m", MODULES[service]],
            env=self._environment(service),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    async def wait_ready(self, service: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient() as client:
            while True:
                process = self.processes[service]
                if process.poll() is not None:
                    raise RuntimeError(
                        f"{service} exited with {process.returncode}; see "
                        f"{self.log_dir / (service + '.log')}"
                    )
                try:
                    resp = await client.get(f"{self.url(service)}/readyz", timeout=2)
                    if resp.status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{service} was not ready within {timeout}s")
                await asyncio.sleep(0.1)

    async def start(self) -> None:
        for service in SERVICES:
            self.spawn(service)
        for service in SERVICES:
            await self.wait_ready(service)

    def kill(self, service: str) -> None:
        """SIGKILL the service (no shutdown of any kind)."""
        process = self.processes[service]
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    async def restart(self, service: str) -> None:
        self.spawn(service)
        await self.wait_ready(service)

    def stop(self) -> None:
        for service in reversed(SERVICES):
            process = self.processes.get(service)
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for service in reversed(SERVICES):
            process = self.processes.get(service)
            if process is None:
                continue
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
