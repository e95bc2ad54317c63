"""Running a service process (``python -m odin_<service>``) with uvicorn."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable
from types import FrameType

import uvicorn
from fastapi import FastAPI

from odin_common.logs import configure_logging
from odin_common.settings import ServiceSettings

STARTUP_FAILURE = 3


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, on_exit: Callable[[], None] | None) -> None:
        super().__init__(config)
        self._on_exit = on_exit

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self._on_exit is not None:
            self._on_exit()
        super().handle_exit(sig, frame)


def run_service(
    app: FastAPI,
    settings: ServiceSettings,
    *,
    on_exit: Callable[[], None] | None = None,
    graceful_shutdown_seconds: int = 10,
) -> int:
    """Serve ``app`` until SIGINT/SIGTERM. ``on_exit`` runs when the signal arrives (e.g. to
    end parked long polls), then uvicorn waits up to ``graceful_shutdown_seconds`` for
    requests in flight. Returns the exit status: 3 when the app refused to start (e.g. the
    database schema is behind; the log says which command to run)."""
    configure_logging(settings.log_level, settings.log_format)
    # Everything built so far lives as long as the process: keep it out of the cyclic GC's
    # generations, so a full collection does not walk it in the middle of a request.
    gc.collect()
    gc.freeze()
    server = _Server(
        uvicorn.Config(
            app,
            host=settings.host,
            port=settings.listen_port,
            loop="uvloop",
            http="httptools",
            lifespan="on",
            log_config=None,
            timeout_graceful_shutdown=graceful_shutdown_seconds,
            # Longer than the clients' idle keep-alive (60 s, odin_common.clients and the
            # SDK), so a client never sends a request down a connection the server is closing.
            timeout_keep_alive=75,
        ),
        on_exit,
    )
    # After a graceful shutdown uvicorn re-raises the signal that stopped it; for Ctrl-C that
    # is a KeyboardInterrupt, which is not an error here.
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    return 0 if server.started else STARTUP_FAILURE
