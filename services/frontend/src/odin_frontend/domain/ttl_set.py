"""A set whose members expire: what the namespace check remembers."""

from __future__ import annotations

import time
from collections.abc import Callable


class TtlSet:
    """Remembers keys for ``ttl`` seconds. Bounded: when full, it forgets everything (the
    cost is one extra lookup per key; an unbounded set would grow with every name tried)."""

    def __init__(
        self,
        ttl: float,
        *,
        max_entries: int = 10_000,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self.now = now
        self._expiry: dict[str, float] = {}

    def __contains__(self, key: str) -> bool:
        expiry = self._expiry.get(key)
        if expiry is None:
            return False
        if self.now() >= expiry:
            del self._expiry[key]
            return False
        return True

    def add(self, key: str) -> None:
        if self.ttl <= 0:
            return
        if len(self._expiry) >= self.max_entries and key not in self._expiry:
            self._expiry.clear()
        self._expiry[key] = self.now() + self.ttl

    def discard(self, key: str) -> None:
        self._expiry.pop(key, None)

    def __len__(self) -> int:
        return len(self._expiry)
