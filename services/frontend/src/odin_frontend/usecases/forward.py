"""Forwarding: which peer serves a request. The request goes on unchanged (method, path and
query string as received, the raw body), and the peer's answer comes back unchanged; a peer's
problem+json answer arrives here as the ``OdinError`` it raised there.
"""

from __future__ import annotations

from odin_common.clients import HistoryClient, PeerClient, PeerResponse
from odin_frontend.domain.task_routing import TaskTokenKind, query_task_token, route_task_token
from odin_frontend.usecases.namespaces import NamespaceGuard


async def to_any_history(
    history: HistoryClient, method: str, target: str, body: bytes | None = None
) -> PeerResponse:
    """Namespace calls: any history process serves them."""
    return await history.request(method, target, body=body)


async def delete_namespace(
    history: HistoryClient, guard: NamespaceGuard, namespace: str, target: str
) -> PeerResponse:
    """Delete on any history, then stop vouching for the namespace (polls through this
    frontend are refused at once, not after the cache expires)."""
    resp = await history.request("DELETE", target)
    guard.forget(namespace)
    return resp


async def to_workflow_owner(
    history: HistoryClient,
    namespace: str,
    workflow_id: str,
    method: str,
    target: str,
    body: bytes | None = None,
    *,
    timeout: float | None = None,
) -> PeerResponse:
    """Workflow calls: the history process that owns ``shard_for(namespace, workflow_id)``."""
    return await history.for_workflow(
        namespace, workflow_id, method, target, body=body, timeout=timeout
    )


async def to_task_owner(
    history: HistoryClient,
    namespace: str,
    kind: TaskTokenKind,
    task_token: str,
    target: str,
    body: bytes,
) -> PeerResponse:
    """Task completions and heartbeats: the owner of the workflow the task token names.

    A token that does not decode, or that belongs elsewhere, is refused here
    (``task_token_invalid``) and nothing is forwarded.
    """
    token = route_task_token(task_token, namespace, kind)
    return await history.for_workflow(token.namespace, token.workflow_id, "POST", target, body=body)


async def to_query_waiter(
    matching: PeerClient, namespace: str, task_token: str, target: str, body: bytes
) -> PeerResponse:
    """A worker's answer to a query: any matching process (matching delivers it to the one
    that waits for the token's ``query_id``).

    Only the token is checked, not that the namespace exists: an answer can only reach a
    query that is waiting for it, and that query's namespace was checked when it was asked.
    Any token but a query token of this namespace is refused here (``task_token_invalid``)
    and nothing is forwarded.
    """
    query_task_token(task_token, namespace)
    return await matching.request("POST", target, body=body)


async def to_matching(
    matching: PeerClient,
    guard: NamespaceGuard,
    namespace: str,
    method: str,
    target: str,
    body: bytes | None = None,
    *,
    timeout: float | None = None,
) -> PeerResponse:
    """Task-queue calls: matching, once history confirms the namespace exists."""
    await guard.ensure_exists(namespace)
    return await matching.request(method, target, body=body, timeout=timeout)
