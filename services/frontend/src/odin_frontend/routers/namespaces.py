"""Namespaces: served by any history process."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from odin_common.api.namespaces import (
    NamespaceCreate,
    NamespaceListResponse,
    NamespaceResponse,
    NamespaceUpdate,
)
from odin_common.api.types import NamespaceName
from odin_frontend import examples
from odin_frontend.deps import frontend_of
from odin_frontend.openapi import (
    INVALID_NAME,
    INVALID_PAGE_SIZE,
    NAMESPACE_EXISTS,
    NAMESPACE_NOT_FOUND,
    TOO_LARGE,
    answer,
    problems,
    request_body,
)
from odin_frontend.routers._proxy import read_body, relay, upstream_target
from odin_frontend.routers.params import NamespacePath, PageSizeQuery, PageTokenQuery
from odin_frontend.usecases import forward


def _operation_id(route: APIRoute) -> str:
    return route.name


router = APIRouter(
    prefix="/api/v1/namespaces", tags=["namespaces"], generate_unique_id_function=_operation_id
)


@router.post(
    "",
    status_code=201,
    summary="Create a namespace",
    description="A namespace isolates workflows, task queues and their retention from other "
    "teams' (every install has `default`). Names are unique; creating one that exists "
    "answers 409 `namespace_already_exists`. Pollers and workflows can use it at once.",
    responses={
        **answer(201, "The namespace was created", NamespaceResponse, examples.NAMESPACE_CREATED),
        **problems(NAMESPACE_EXISTS, TOO_LARGE, invalid=INVALID_NAME),
    },
    openapi_extra=request_body(
        NamespaceCreate, "Name, description and retention", examples.NAMESPACE_CREATE
    ),
)
async def create_namespace(request: Request) -> Response:
    _, raw = await read_body(request, NamespaceCreate)
    fe = frontend_of(request)
    return relay(await forward.to_any_history(fe.history, "POST", upstream_target(request), raw))


@router.get(
    "",
    summary="List namespaces",
    description="Namespaces in name order, a page at a time: pass the `next_page_token` of "
    "one page to get the next; an absent or empty token means the last page. Deleted "
    "namespaces are not listed.",
    responses={
        **answer(200, "A page of namespaces", NamespaceListResponse, examples.NAMESPACE_LIST),
        **problems(invalid=INVALID_PAGE_SIZE),
    },
)
async def list_namespaces(
    request: Request,
    # Validated here; the raw query string is what is forwarded.
    page_size: PageSizeQuery = 100,
    next_page_token: PageTokenQuery = None,
) -> Response:
    fe = frontend_of(request)
    return relay(await forward.to_any_history(fe.history, "GET", upstream_target(request)))


@router.get(
    "/{namespace}",
    summary="Get a namespace",
    description="The namespace's settings and state; 404 `namespace_not_found` if there is "
    "no such namespace.",
    responses={
        **answer(200, "The namespace", NamespaceResponse, examples.NAMESPACE_FOUND),
        **problems(NAMESPACE_NOT_FOUND),
    },
)
async def get_namespace(request: Request, namespace: NamespacePath) -> Response:
    fe = frontend_of(request)
    return relay(await forward.to_any_history(fe.history, "GET", upstream_target(request)))


@router.patch(
    "/{namespace}",
    summary="Update a namespace",
    description="Change the description or the retention of closed workflows; fields left "
    "out keep their value.",
    responses={
        **answer(
            200, "The namespace after the update", NamespaceResponse, examples.NAMESPACE_UPDATED
        ),
        **problems(NAMESPACE_NOT_FOUND, TOO_LARGE),
    },
    openapi_extra=request_body(NamespaceUpdate, "The fields to change", examples.NAMESPACE_UPDATE),
)
async def update_namespace(request: Request, namespace: NamespacePath) -> Response:
    _, raw = await read_body(request, NamespaceUpdate)
    fe = frontend_of(request)
    return relay(await forward.to_any_history(fe.history, "PATCH", upstream_target(request), raw))


@router.delete(
    "/{namespace}",
    summary="Delete a namespace",
    description="Marks the namespace deleted (`state: deleted`) and renames it "
    "`<name>-deleted-<id>`, so the name can be registered again; the answer shows it. Its "
    "workflows can no longer be reached. Their data stays in the database: removing it is "
    "not implemented yet.",
    responses={
        **answer(200, "The namespace, now deleted", NamespaceResponse, examples.NAMESPACE_DELETED),
        **problems(NAMESPACE_NOT_FOUND),
    },
)
async def delete_namespace(
    request: Request,
    namespace: Annotated[
        NamespaceName,
        Path(
            description="The namespace to delete.",
            # Not "default": one "Try it out" would break every other example.
            openapi_examples={"payments": {"summary": "A namespace", "value": "payments"}},
        ),
    ],
) -> Response:
    fe = frontend_of(request)
    return relay(
        await forward.delete_namespace(
            fe.history, fe.namespaces, namespace, upstream_target(request)
        )
    )
