"""Namespace endpoints (the frontend forwards them here)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from odin_common.api.namespaces import (
    NamespaceCreate,
    NamespaceListResponse,
    NamespaceResponse,
    NamespaceUpdate,
)
from odin_common.jsonutil import OrjsonResponse
from odin_common.problem import PROBLEM_RESPONSES
from odin_history.deps import ContextDep, NamespacePath
from odin_history.usecases import namespaces as uc

router = APIRouter(prefix="/api/v1/namespaces", tags=["namespaces"], responses=PROBLEM_RESPONSES)


@router.post("", status_code=201, response_model=NamespaceResponse)
async def create_namespace(ctx: ContextDep, body: NamespaceCreate) -> Response:
    return OrjsonResponse(await uc.create_namespace(ctx, body), status_code=201)


@router.get("", response_model=NamespaceListResponse)
async def list_namespaces(
    ctx: ContextDep,
    page_size: Annotated[int, Query(ge=1, le=1000)] = 100,
    next_page_token: Annotated[str | None, Query(max_length=2048)] = None,
) -> Response:
    return OrjsonResponse(await uc.list_namespaces(ctx, page_size, next_page_token))


@router.get("/{namespace}", response_model=NamespaceResponse)
async def get_namespace(ctx: ContextDep, namespace: NamespacePath) -> Response:
    return OrjsonResponse(await uc.get_namespace(ctx, namespace))


@router.patch("/{namespace}", response_model=NamespaceResponse)
async def update_namespace(
    ctx: ContextDep, namespace: NamespacePath, body: NamespaceUpdate
) -> Response:
    return OrjsonResponse(await uc.update_namespace(ctx, namespace, body))


@router.delete("/{namespace}", response_model=NamespaceResponse)
async def delete_namespace(ctx: ContextDep, namespace: NamespacePath) -> Response:
    return OrjsonResponse(await uc.delete_namespace(ctx, namespace))
