"""The namespace check in front of matching: a poll or task-queue call names a namespace that
matching cannot check itself, so the frontend asks history first.

Only answers that the namespace exists are remembered (for a few seconds): a namespace created
a moment ago must work at once, so "unknown" is never cached.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import quote

from odin_common import errors
from odin_common.clients import PeerClient
from odin_frontend.domain.ttl_set import TtlSet


class NamespaceGuard:
    def __init__(
        self,
        history: PeerClient,
        ttl_seconds: float,
        *,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.history = history
        self.known = TtlSet(ttl_seconds, now=now)

    async def ensure_exists(self, namespace: str) -> None:
        """Return if ``namespace`` exists; raise ``NamespaceNotFound`` if not."""
        if namespace in self.known:
            return
        resp = await self.history.request("GET", f"/api/v1/namespaces/{quote(namespace, safe='')}")
        doc = resp.json()
        if isinstance(doc, dict) and doc.get("state") == "deleted":
            raise errors.NamespaceNotFound(
                f"namespace {namespace!r} was deleted", namespace=namespace
            )
        self.known.add(namespace)

    def forget(self, namespace: str) -> None:
        """Drop what is remembered about ``namespace`` (after it is deleted)."""
        self.known.discard(namespace)
