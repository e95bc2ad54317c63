"""All four services in one process: real HTTP between them on loopback (the same code paths
as a deployment), SQLite for storage and the in-process task store instead of Redis."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import structlog
import uvicorn
from fastapi import FastAPI

from odin_common.db.migrate import upgrade

log = structlog.get_logger("odin.devserver")

DEV_SHARD_COUNT = 16
"""The dev mode is one process: a few shards are plenty and make start-up instant."""


class _EmbeddedServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to whoever embeds it."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.setblocking(False)
    return sock


class DevServer:
    def __init__(
        self,
        *,
        database: str | None = None,
        port: int = 8080,
        host: str = "127.0.0.1",
        log_level: str = "warning",
    ) -> None:
        """``database``: a SQLite file path or a ``sqlite:///`` URL (default: a temporary file
        removed on stop). ``port``: the frontend's port (0 picks a free one)."""
        self._tmpdir: str | None = None
        if database is None:
            self._tmpdir = tempfile.mkdtemp(prefix="odin-dev-")
            database = str(Path(self._tmpdir) / "odin.db")
        self.db_url = (
            database if database.startswith("sqlite") else f"sqlite:///{Path(database).resolve()}"
        )
        self.host = host
        self.port = port
        self.log_level = log_level
        self._servers: list[tuple[FastAPI, _EmbeddedServer, asyncio.Task[None]]] = []
        self.urls: dict[str, str] = {}

    @property
    def url(self) -> str:
        """The frontend (public API, Swagger UI at /docs)."""
        return self.urls["frontend"]

    def _apps(self, sockets: dict[str, socket.socket]) -> dict[str, FastAPI]:
        from odin_frontend.app import create_app as frontend_app
        from odin_frontend.settings import FrontendSettings
        from odin_history.app import create_app as history_app
        from odin_history.settings import HistorySettings
        from odin_matching.app import create_app as matching_app
        from odin_matching.settings import MatchingSettings
        from odin_system_workers.app import create_app as system_workers_app
        from odin_system_workers.settings import SystemWorkersSettings

        for name, sock in sockets.items():
            host, port = sock.getsockname()[:2]
            self.urls[name] = f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{port}"
        common: dict[str, Any] = {
            "db_connection": self.db_url,
            "redis_url": None,
            "shard_count": DEV_SHARD_COUNT,
            "frontend_url": self.urls["frontend"],
            "history_url": self.urls["history"],
            "matching_url": self.urls["matching"],
            "system_workers_url": self.urls["system-workers"],
            "log_level": self.log_level,
        }
        return {
            "history": history_app(
                HistorySettings(**common, advertise_url=self.urls["history"], db_pool_size=1)
            ),
            # The in-process store is cheap to poll: short slices make a stop or a worker's
            # disconnect noticed at once.
            "matching": matching_app(MatchingSettings(**common, poll_slice_seconds=0.25)),
            "system-workers": system_workers_app(SystemWorkersSettings(**common, db_pool_size=1)),
            "frontend": frontend_app(FrontendSettings(**common)),
        }

    async def start(self) -> None:
        await asyncio.to_thread(upgrade, self.db_url)
        sockets = {
            "history": _bind("127.0.0.1", 0),
            "matching": _bind("127.0.0.1", 0),
            "system-workers": _bind("127.0.0.1", 0),
            "frontend": _bind(self.host, self.port),
        }
        apps = self._apps(sockets)
        for name in ("history", "matching", "system-workers", "frontend"):
            config = uvicorn.Config(
                apps[name],
                lifespan="on",
                log_config=None,
                access_log=False,
                timeout_graceful_shutdown=5,
                timeout_keep_alive=75,  # longer than the clients' 60 s (see odin_common.runner)
            )
            server = _EmbeddedServer(config)
            task = asyncio.create_task(server.serve(sockets=[sockets[name]]), name=f"odin-{name}")
            self._servers.append((apps[name], server, task))
            while not server.started:
                if task.done():
                    await self.stop()
                    task.result()
                    raise RuntimeError(f"the {name} service did not start")
                await asyncio.sleep(0.01)
        log.info("odin dev server started", **self.urls)

    async def stop(self) -> None:
        for app, server, task in reversed(self._servers):
            matching = getattr(app.state, "matching", None)
            if matching is not None:
                matching.stopping = True  # parked long polls answer 204 at once
            history = getattr(app.state, "ctx", None)
            if history is not None:
                history.notifier.close()  # so do history's
            server.should_exit = True
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(task), 15)
        self._servers.clear()
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)

    async def __aenter__(self) -> DevServer:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()
