"""Dependency aliases of the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path
from starlette.requests import Request

from odin_common.api.types import Identifier, NamespaceName
from odin_matching.usecases.context import Matching


async def get_matching(request: Request) -> Matching:
    # async: FastAPI runs a plain-def dependency in a worker thread, a thread hop per request.
    matching: Matching = request.app.state.matching
    return matching


MatchingDep = Annotated[Matching, Depends(get_matching)]

NamespacePath = Annotated[
    NamespaceName,
    Path(description="Namespace name: letters, digits, '.', '_' and '-'.", examples=["default"]),
]
TaskQueuePath = Annotated[
    Identifier,
    Path(description="Task queue name (URL-encoded when it holds a '/').", examples=["orders"]),
]
