"""Task completions are routed by their task token: it names the workflow, hence the shard."""

from __future__ import annotations

from typing import Literal

from odin_common.errors import TaskTokenInvalid
from odin_common.tokens import TaskToken

TaskTokenKind = Literal["workflow", "activity"]


def route_task_token(text: str, namespace: str, kind: TaskTokenKind) -> TaskToken:
    """Decode the token a worker sent to ``/namespaces/{namespace}/{kind}-tasks/...``.

    A token that does not decode, belongs to another namespace, or is of the other kind
    (a workflow task token sent to an activity endpoint) is ``task_token_invalid``.
    """
    token = TaskToken.decode(text, namespace=namespace)
    if token.kind != kind:
        raise TaskTokenInvalid(
            f"this is a {token.kind} task token; it cannot be used on a {kind} task endpoint"
        )
    return token


def query_task_token(text: str, namespace: str) -> TaskToken:
    """Decode the token a worker sent to ``/namespaces/{namespace}/query-tasks/respond``.

    Only a query task token of this namespace that names its query (``query_id``: how
    matching finds the caller waiting for the answer) is accepted; anything else is
    ``task_token_invalid``.
    """
    token = TaskToken.decode(text, namespace=namespace)
    if token.kind != "query":
        raise TaskTokenInvalid(
            f"this is a {token.kind} task token; only a query task token answers a query"
        )
    if not token.query_id:
        raise TaskTokenInvalid("the query task token names no query (query_id is missing)")
    return token
