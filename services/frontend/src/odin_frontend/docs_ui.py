"""Swagger UI at ``/docs``, served from this process: its JavaScript and CSS come from the
``fastapi-offline`` package instead of a CDN, so the page works on machines without internet
access (air-gapped clusters, CI, laptops on a plane)."""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = Path(fastapi_offline.__file__).resolve().parent / "static"
STATIC_PATH = "/docs/static"


def install_swagger_ui(app: FastAPI, title: str) -> None:
    app.mount(STATIC_PATH, StaticFiles(directory=ASSETS), name="swagger-ui-assets")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=f"{title} - Swagger UI",
            swagger_js_url=f"{STATIC_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{STATIC_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{STATIC_PATH}/favicon.png",
            swagger_ui_parameters={"defaultModelsExpandDepth": 0, "displayRequestDuration": True},
        )
