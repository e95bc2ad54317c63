"""Namespace lookups with a short cache (namespaces change rarely; workflows ask constantly)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from odin_common.db.engine import read_connection
from odin_common.errors import NamespaceNotFound
from odin_history.store import namespaces as store

TTL_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class NamespaceInfo:
    id: str
    name: str
    retention_days: int
    deleted: bool = False


class NamespaceRegistry:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._by_name: dict[str, tuple[float, NamespaceInfo]] = {}
        self._by_id: dict[str, NamespaceInfo] = {}

    async def get(self, name: str) -> NamespaceInfo:
        """The registered namespace called ``name``; ``namespace_not_found`` otherwise."""
        cached = self._by_name.get(name)
        if cached is not None and time.monotonic() - cached[0] < TTL_SECONDS:
            return cached[1]
        async with read_connection(self.engine) as conn:
            row = await store.read_namespace_by_name(conn, name)
        if row is None or row["state"] != "registered":
            self._by_name.pop(name, None)
            raise NamespaceNotFound(f"namespace {name!r} does not exist", namespace=name)
        info = NamespaceInfo(row["id"], row["name"], row["retention_days"])
        self._by_name[name] = (time.monotonic(), info)
        return info

    async def get_by_id(self, namespace_id: str) -> NamespaceInfo:
        """The namespace with this id, even if deleted (its timers still fire)."""
        cached = self._by_id.get(namespace_id)
        if cached is not None:
            return cached
        async with read_connection(self.engine) as conn:
            row = await store.read_namespace_by_id(conn, namespace_id)
        if row is None:
            raise NamespaceNotFound(f"namespace id {namespace_id!r} does not exist")
        info = NamespaceInfo(
            row["id"], row["name"], row["retention_days"], row["state"] != "registered"
        )
        self._by_id[namespace_id] = info
        return info

    def forget(self, name: str) -> None:
        self._by_name.pop(name, None)
