"""In-process caches of a history process: mutable state of recent runs, the current run of
each workflow id, and one lock per workflow id.

The cache is only valid because this process owns the shard: every write goes through it,
and a write that finds the row changed (``db_version``) or the shard gone evicts the entry.
"""

from __future__ import annotations

import asyncio
import weakref
from collections import OrderedDict
from dataclasses import dataclass

from odin_common.state import ExecutionState

RunKey = tuple[str, str, str]
"""(namespace_id, workflow_id, run_id)"""
WorkflowKey = tuple[str, str]
"""(namespace_id, workflow_id)"""


@dataclass(slots=True)
class CachedRun:
    state: ExecutionState
    db_version: int
    shard_id: int


class ExecutionCache:
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._runs: OrderedDict[RunKey, CachedRun] = OrderedDict()
        self._current: OrderedDict[WorkflowKey, str] = OrderedDict()

    def get(self, key: RunKey) -> CachedRun | None:
        entry = self._runs.get(key)
        if entry is not None:
            self._runs.move_to_end(key)
        return entry

    def put(self, key: RunKey, entry: CachedRun) -> None:
        self._runs[key] = entry
        self._runs.move_to_end(key)
        while len(self._runs) > self.capacity:
            self._runs.popitem(last=False)

    def current_run(self, key: WorkflowKey) -> str | None:
        run_id = self._current.get(key)
        if run_id is not None:
            self._current.move_to_end(key)
        return run_id

    def set_current_run(self, key: WorkflowKey, run_id: str) -> None:
        self._current[key] = run_id
        self._current.move_to_end(key)
        while len(self._current) > self.capacity:
            self._current.popitem(last=False)

    def evict_workflow(self, key: WorkflowKey) -> None:
        self._current.pop(key, None)
        for run_key in [k for k in self._runs if k[0] == key[0] and k[1] == key[1]]:
            del self._runs[run_key]

    def evict_shards(self, shard_ids: set[int]) -> None:
        for run_key in [k for k, v in self._runs.items() if v.shard_id in shard_ids]:
            del self._runs[run_key]
        self._current.clear()


class WorkflowLocks:
    """One asyncio lock per workflow id, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[WorkflowKey, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    def get(self, key: WorkflowKey) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[key] = lock
        return lock
