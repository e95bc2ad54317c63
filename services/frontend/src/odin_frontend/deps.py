"""The frontend's resources, built in the lifespan and kept on ``app.state.frontend``.

Handlers fetch them with :func:`frontend_of` rather than ``Depends``: every task crosses this
service twice and a FastAPI dependency costs ~15 µs of CPU per request (measured), more than
the attribute lookup it would wrap.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp
from starlette.applications import Starlette
from starlette.requests import Request

from odin_common.clients import HistoryClient, PeerClient
from odin_frontend.settings import FrontendSettings
from odin_frontend.usecases.namespaces import NamespaceGuard


@dataclass(frozen=True, slots=True)
class Frontend:
    settings: FrontendSettings
    session: aiohttp.ClientSession
    history: HistoryClient
    matching: PeerClient
    namespaces: NamespaceGuard


def frontend_of(request: Request) -> Frontend:
    return frontend_of_app(request.app)


def frontend_of_app(app: Starlette) -> Frontend:
    state: Frontend = app.state.frontend
    return state
