"""Path and query parameters shared by the routes, typed with ``odin_common.api.types``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator

from odin_common.api.types import Identifier, NamespaceName, RunId, WorkflowId


def _not_a_dot_segment(value: str) -> str:
    # "." and ".." are valid names for the models but not path segments: HTTP clients and
    # proxies (and aiohttp, forwarding here) resolve them away, so the call would land on
    # another resource.
    if value in {".", ".."}:
        raise ValueError("'.' and '..' cannot be used as a name in a path")
    return value


NamespacePath = Annotated[
    NamespaceName,
    Path(
        description="The namespace: 1-255 letters, digits, '.', '_' or '-', starting with a "
        "letter or digit.",
        openapi_examples={
            "default": {"summary": "The namespace every install has", "value": "default"}
        },
    ),
]

WorkflowIdPath = Annotated[
    WorkflowId,
    AfterValidator(_not_a_dot_segment),
    Path(
        description="The workflow id you chose at start (1-1000 bytes in UTF-8, no '/' or control "
        "characters; percent-encode anything unusual).",
        openapi_examples={"order": {"summary": "A business key", "value": "order-1"}},
    ),
]

TaskQueuePath = Annotated[
    Identifier,
    AfterValidator(_not_a_dot_segment),
    Path(
        description="The task queue workers poll (1-1000 bytes in UTF-8, no control characters).",
        openapi_examples={"orders": {"summary": "A task queue", "value": "orders"}},
    ),
]

SignalNamePath = Annotated[
    Identifier,
    AfterValidator(_not_a_dot_segment),
    Path(
        description="The signal's name, as the workflow's signal handler is registered "
        "(1-1000 bytes in UTF-8, no control characters).",
        openapi_examples={"approve": {"summary": "A signal", "value": "approve"}},
    ),
]

QueryNamePath = Annotated[
    Identifier,
    AfterValidator(_not_a_dot_segment),
    Path(
        description="The query's name, as the workflow's query handler is registered "
        "(1-1000 bytes in UTF-8, no control characters).",
        openapi_examples={"status": {"summary": "A query", "value": "status"}},
    ),
]

RunIdQuery = Annotated[
    RunId | None,
    Query(
        description="A specific run of the workflow, e.g. "
        "`9d7c8c52-7f5e-4c57-8f6d-1f2e3d4c5b6a`. Omitted: the current (latest) run.",
    ),
]

PageSizeQuery = Annotated[
    int,
    Query(
        ge=1,
        le=1000,
        description="Items per page (1-1000).",
        openapi_examples={"default": {"summary": "A page of 100", "value": 100}},
    ),
]

PageTokenQuery = Annotated[
    str | None,
    Query(
        max_length=2048,
        description="The `next_page_token` of the previous page; omitted for the first page.",
    ),
]
