"""The write path of history: load a run under its workflow lock, let the domain change it,
and commit everything in one fenced transaction (ARCHITECTURE.md, "history")::

    async with engine.session(namespace, workflow_id) as s:
        state, version = await s.load(run_id)
        m = s.machine(state)
        ...domain rules on m...
        await s.commit(m, version)

The transaction checks the shard's ``range_id`` (fencing) and the run's ``db_version``
(optimistic concurrency), appends the events, updates mutable state, current run and
visibility, and inserts transfer and timer tasks. After the commit the tasks go to the queue
processors and long-pollers are woken. A conflict evicts the cache and retries the session.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from odin_common.clock import Clock
from odin_common.db.engine import read_connection
from odin_common.errors import Unavailable, WorkflowNotFound
from odin_common.metrics import WORKFLOW_DURATION
from odin_common.state import ExecutionState
from odin_history.domain.machine import Machine
from odin_history.engine.cache import CachedRun, ExecutionCache, WorkflowLocks
from odin_history.engine.namespaces import NamespaceInfo
from odin_history.engine.notifier import Notifier
from odin_history.engine.shards import OwnedShard, ShardController
from odin_history.engine.timers import TimerProcessor
from odin_history.engine.transfer import TransferProcessor
from odin_history.store import executions as executions_store
from odin_history.store import pg_pipeline, writes
from odin_history.store.events import event_to_stored
from odin_history.store.executions import ConditionFailed

log = structlog.get_logger("odin.history.engine")
T = TypeVar("T")
MAX_CONFLICT_RETRIES = 5


@dataclass(slots=True)
class Committed:
    """What a commit changed, for the after-commit work."""

    machines: list[Machine]
    shard_id: int


class WorkflowEngine:
    def __init__(
        self,
        db: AsyncEngine,
        clock: Clock,
        shards: ShardController,
        cache: ExecutionCache,
        transfer: TransferProcessor,
        timers: TimerProcessor | None,
        notifier: Notifier,
    ) -> None:
        self.db = db
        self.clock = clock
        self.shards = shards
        self.cache = cache
        self.locks = WorkflowLocks()
        self.transfer = transfer
        self.timers = timers
        self.notifier = notifier

    async def run(
        self,
        namespace: NamespaceInfo,
        workflow_id: str,
        body: Callable[[Session], Awaitable[T]],
    ) -> T:
        """Run ``body`` in a session on the workflow, retrying it after a write conflict."""
        shard = self.shards.require(self.shards.shard_of(namespace.name, workflow_id))
        key = (namespace.id, workflow_id)
        async with self.locks.get(key):
            for _ in range(MAX_CONFLICT_RETRIES):
                session = Session(self, shard, namespace, workflow_id)
                try:
                    return await body(session)
                except ConditionFailed:
                    self.cache.evict_workflow(key)
                    await asyncio.sleep(0.01)
                except BaseException:
                    self.cache.evict_workflow(key)
                    raise
        raise Unavailable(f"workflow {workflow_id} is changing too fast; try again")

    async def read(
        self, namespace: NamespaceInfo, workflow_id: str, run_id: str | None
    ) -> ExecutionState:
        """The current state of a run (the current run when ``run_id`` is None)."""

        async def body(session: Session) -> ExecutionState:
            state, _ = await session.load(run_id)
            return state

        return await self.run(namespace, workflow_id, body)

    def after_commit(self, committed: Committed) -> None:
        shard_id = committed.shard_id
        for m in committed.machines:
            state = m.state
            if m.transfer:
                self.transfer.submit(shard_id, m.transfer)
            if self.timers is not None:
                if m.timers:
                    self.timers.submit([_timer_row(shard_id, state, t) for t in m.timers])
                if m.volatile_timers:
                    self.timers.submit(
                        [
                            {**_timer_row(shard_id, state, t), "volatile": True}
                            for t in m.volatile_timers
                        ]
                    )
                if m.deleted_timers:
                    self.timers.cancel([(shard_id, task_id) for _, task_id in m.deleted_timers])
            self.notifier.notify((state.namespace_id, state.workflow_id, state.run_id))
            if m.closed_now:
                WORKFLOW_DURATION.labels(
                    state.namespace, state.workflow_type, state.status
                ).observe(((state.close_time or m.now) - state.start_time).total_seconds())
        last = committed.machines[-1].state
        self.notifier.notify((last.namespace_id, last.workflow_id))


def _timer_row(shard_id: int, state: ExecutionState, timer: Any) -> dict[str, Any]:
    return {
        "shard_id": shard_id,
        "fire_at": timer.fire_at,
        "task_id": timer.task_id,
        "task_type": timer.task_type,
        "namespace_id": state.namespace_id,
        "workflow_id": state.workflow_id,
        "run_id": state.run_id,
        "payload": timer.payload,
    }


class Session:
    """One attempt at changing one workflow, under its lock."""

    def __init__(
        self, engine: WorkflowEngine, shard: OwnedShard, namespace: NamespaceInfo, workflow_id: str
    ) -> None:
        self.engine = engine
        self.shard = shard
        self.namespace = namespace
        self.workflow_id = workflow_id
        self.now = engine.clock.now()

    @property
    def key(self) -> tuple[str, str]:
        return (self.namespace.id, self.workflow_id)

    async def current_run_id(self) -> str | None:
        cache = self.engine.cache
        run_id = cache.current_run(self.key)
        if run_id is not None:
            return run_id
        async with read_connection(self.engine.db) as conn:
            row = await executions_store.read_current(conn, *self.key)
        if row is None:
            return None
        cache.set_current_run(self.key, row["run_id"])
        return str(row["run_id"])

    async def load(self, run_id: str | None) -> tuple[ExecutionState, int]:
        """The run's state and db_version; ``workflow_not_found`` if there is no such run."""
        if run_id is None:
            run_id = await self.current_run_id()
            if run_id is None:
                raise WorkflowNotFound(
                    f"workflow {self.workflow_id!r} does not exist in namespace "
                    f"{self.namespace.name!r}",
                    workflow_id=self.workflow_id,
                )
        key = (self.namespace.id, self.workflow_id, run_id)
        cached = self.engine.cache.get(key)
        if cached is not None:
            return cached.state, cached.db_version
        async with read_connection(self.engine.db) as conn:
            loaded = await executions_store.read_execution(conn, *key)
        if loaded is None:
            raise WorkflowNotFound(
                f"workflow {self.workflow_id!r} has no run {run_id!r}",
                workflow_id=self.workflow_id,
                run_id=run_id,
            )
        state, version = loaded
        self.engine.cache.put(key, CachedRun(state, version, self.shard.shard_id))
        return state, version

    def machine(self, state: ExecutionState) -> Machine:
        return Machine(state, self.now, self.shard.new_task_id)

    async def commit(
        self, m: Machine, db_version: int | None, *, previous_current: str | None = None
    ) -> None:
        """Write ``m`` (and the runs it created) in one transaction.

        ``db_version`` is the version ``m.state`` was loaded at (None: ``m`` created it).
        ``previous_current`` is the run the workflow id pointed at before a start."""
        if not (m.changed or m.new_runs or m.created):
            return
        machines = [m] + [run.machine for run in m.new_runs]
        shard_id = self.shard.shard_id
        try:
            await self._write(machines, db_version, previous_current)
        except IntegrityError as exc:
            # A concurrent start of the same workflow id won the race for the current row.
            raise ConditionFailed(str(exc)) from exc
        cache = self.engine.cache
        for mm in machines:
            version = 1 if mm.created else (db_version or 0) + 1
            key = (mm.state.namespace_id, mm.state.workflow_id, mm.state.run_id)
            cache.put(key, CachedRun(mm.state, version, shard_id))
        cache.set_current_run(self.key, machines[-1].state.run_id)
        self.engine.after_commit(Committed(machines, shard_id))

    async def _write(
        self, machines: list[Machine], db_version: int | None, previous_current: str | None
    ) -> None:
        ws = self._write_set(machines, db_version, previous_current)
        engine = self.engine
        async with engine.db.begin() as conn:
            if conn.dialect.name == "postgresql":
                range_id = await pg_pipeline.write(conn, ws)
            else:
                range_id = await writes.write(conn, ws)
            # Fencing (invariant 3): refuse the whole transaction if the shard moved on.
            engine.shards.check_range(self.shard, range_id)

    def _write_set(
        self, machines: list[Machine], db_version: int | None, previous_current: str | None
    ) -> writes.WriteSet:
        m = machines[0]
        shard_id = self.shard.shard_id
        ws = writes.WriteSet(shard_id)
        for mm in machines:
            state = mm.state
            ws.executions.append(
                writes.ExecutionWrite(
                    state,
                    None if mm.created else db_version,
                    [event_to_stored(e) for e in mm.events],
                    mm.visibility_changed,
                )
            )
            ws.transfer_rows += [
                {
                    "shard_id": shard_id,
                    "task_id": t.task_id,
                    "task_type": t.task_type,
                    "payload": t.payload,
                    "created_at": self.now,
                }
                for t in mm.transfer
            ]
            ws.timer_rows += [_timer_row(shard_id, state, t) for t in mm.timers]
            ws.deleted_timers += [(shard_id, at, task_id) for at, task_id in mm.deleted_timers]
        latest = machines[-1].state
        if m.created and previous_current is None:
            ws.current = writes.CurrentWrite(latest, None)
        elif m.created:
            ws.current = writes.CurrentWrite(latest, previous_current or "")
        elif m.new_runs or m.closed_now:
            ws.current = writes.CurrentWrite(latest, m.state.run_id)
        return ws
