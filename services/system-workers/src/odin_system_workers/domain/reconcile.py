"""Which tasks the reconciler queues again, decided from rows already read (no I/O)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from odin_common.api.internal import DispatchTask
from odin_common.state import ExecutionState


@dataclass(frozen=True, slots=True, order=True)
class ExecutionKey:
    """The primary key of an ``executions`` row; pages are read in this order."""

    namespace_id: str
    workflow_id: str
    run_id: str


@dataclass(frozen=True, slots=True)
class RunningExecution:
    """A running ``executions`` row: its key and its ``state`` JSON, not parsed yet."""

    key: ExecutionKey
    state: Any


@dataclass(slots=True)
class PendingTasks:
    """What the rows of one page hold: tasks to queue again, and rows whose state is unreadable."""

    tasks: list[DispatchTask] = field(default_factory=list)
    invalid: list[ExecutionKey] = field(default_factory=list)


def pending_tasks(rows: Iterable[RunningExecution], older_than: datetime) -> PendingTasks:
    """The tasks of ``rows`` that history believes are scheduled, not started, and were queued
    before ``older_than``. A row whose state cannot be parsed is reported, not fatal: one bad
    row must not keep every other workflow from being reconciled."""
    out = PendingTasks()
    for row in rows:
        try:
            state = ExecutionState.model_validate(row.state)
        except ValidationError:
            out.invalid.append(row.key)
            continue
        out.tasks.extend(state.pending_dispatch(older_than=older_than))
    return out


def batches(tasks: Sequence[DispatchTask], size: int) -> Iterator[list[DispatchTask]]:
    """``tasks`` in consecutive lists of at most ``size``."""
    if size < 1:
        raise ValueError("batch size must be at least 1")
    for start in range(0, len(tasks), size):
        yield list(tasks[start : start + size])
