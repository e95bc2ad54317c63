"""What every Odin service app has: error handling, the body limit, JSON responses,
``/healthz``, ``/readyz``, ``/metrics``, ``/api/v1/system-info``, tracing and logging.
"""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from fastapi import APIRouter, FastAPI
from prometheus_fastapi_instrumentator import Instrumentator

from odin_common import errors
from odin_common.jsonutil import OrjsonResponse
from odin_common.problem import install_error_handling, problem_response
from odin_common.settings import ServiceSettings
from odin_common.telemetry import configure_tracing

VERSION = "0.1.0"

ReadinessCheck = Callable[[], Awaitable[dict[str, str]]]
"""Returns named checks ({"database": "ok"}); raises OdinError when not ready."""


def default_identity(service: str) -> str:
    return f"{service}@{socket.gethostname()}:{os.getpid()}"


def ops_router(
    service: str, readiness: ReadinessCheck, capabilities: list[str] | None = None
) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="The process is up")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": service}

    @router.get(
        "/readyz",
        summary="The process can serve: its dependencies are reachable",
        responses={503: {"description": "Not ready", "content": {"application/problem+json": {}}}},
    )
    async def readyz() -> Any:
        try:
            checks = await readiness()
        except errors.OdinError as exc:
            return problem_response(exc)
        except Exception as exc:  # a readiness probe must answer, whatever broke
            return problem_response(errors.Unavailable(f"not ready: {exc!r}"))
        return {"status": "ready", "service": service, "checks": checks}

    @router.get("/api/v1/system-info", summary="Version and capabilities of this service")
    async def system_info() -> dict[str, Any]:
        return {
            "service": service,
            "version": VERSION,
            "server": "odin",
            "capabilities": capabilities or [],
        }

    return router


def create_service_app(
    *,
    service: str,
    settings: ServiceSettings,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]],
    readiness: ReadinessCheck,
    title: str,
    description: str,
    capabilities: list[str] | None = None,
    openapi_tags: list[dict[str, Any]] | None = None,
) -> FastAPI:
    app = FastAPI(
        title=title,
        description=description,
        version=VERSION,
        lifespan=lifespan,
        default_response_class=OrjsonResponse,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        openapi_tags=openapi_tags,
    )
    app.state.settings = settings
    install_error_handling(app, settings.max_payload_bytes)
    app.include_router(ops_router(service, readiness, capabilities))
    Instrumentator(excluded_handlers=["/metrics", "/healthz", "/readyz"]).instrument(app).expose(
        app, endpoint="/metrics", include_in_schema=False
    )
    configure_tracing(app, service, settings.otlp_endpoint)
    return app


async def noop_lifespan(_: FastAPI) -> AsyncIterator[None]:
    yield
