"""The client: start workflows and talk to them (``Client.connect(url, namespace=...)``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal
from urllib.parse import quote

from odin import converter
from odin._http import Transport
from odin._runtime.definitions import QUERY_ATTR, SIGNAL_ATTR, handler_name, workflow_name
from odin._runtime.failures import from_failure, timeout_type
from odin.common import RetryPolicy, duration
from odin.exceptions import (
    CancelledError,
    RPCError,
    TerminatedError,
    TimeoutError,
    WorkflowFailureError,
)

__all__ = ["Client", "WorkflowExecutionDescription", "WorkflowHandle", "WorkflowHistory"]

IdReusePolicy = Literal["allow_duplicate", "allow_duplicate_failed_only", "reject_duplicate"]
IdConflictPolicy = Literal["fail", "use_existing", "terminate_existing"]
_NO_ARG = object()
RESULT_WAIT = "50s"


def _q(value: str) -> str:
    return quote(value, safe="")


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


@dataclass
class WorkflowExecutionDescription:
    """What ``describe()`` returns (``raw`` has every field the server sent)."""

    workflow_id: str
    run_id: str
    workflow_type: str
    task_queue: str
    status: str
    start_time: datetime | None
    close_time: datetime | None
    history_length: int
    pending_activities: list[dict[str, Any]]
    pending_workflow_task: dict[str, Any] | None
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> WorkflowExecutionDescription:
        return cls(
            workflow_id=doc["workflow_id"],
            run_id=doc["run_id"],
            workflow_type=doc["workflow_type"],
            task_queue=doc["task_queue"],
            status=doc["status"],
            start_time=_time(doc.get("start_time")),
            close_time=_time(doc.get("close_time")),
            history_length=int(doc.get("history_length", 0)),
            pending_activities=list(doc.get("pending_activities") or []),
            pending_workflow_task=doc.get("pending_workflow_task"),
            raw=doc,
        )


@dataclass
class WorkflowHistory:
    """A run's event history, as ``GET .../history`` returns it."""

    workflow_id: str
    events: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        return {"workflow_id": self.workflow_id, "events": self.events}

    @classmethod
    def from_json(cls, doc: Any, workflow_id: str = "") -> WorkflowHistory:
        if isinstance(doc, list):
            return cls(workflow_id, doc)
        return cls(doc.get("workflow_id", workflow_id), list(doc["events"]))


class WorkflowHandle:
    """A workflow you can wait for, signal, query, describe, cancel or terminate.

    As in temporalio: ``run_id`` pins every call to one run and is set only by
    ``get_workflow_handle(id, run_id=...)``; a handle from ``start_workflow`` has no
    ``run_id``, so its calls reach the workflow's latest run (after a continue-as-new, a retry
    or a cron run too). ``result_run_id`` is the run ``result()`` starts from (it follows the
    chain); ``first_execution_run_id`` is the run the handle's start created."""

    def __init__(
        self,
        client: Client,
        workflow_id: str,
        *,
        run_id: str | None = None,
        result_run_id: str | None = None,
        first_execution_run_id: str | None = None,
        result_type: Any = None,
    ) -> None:
        self.client = client
        self.id = workflow_id
        self.run_id = run_id
        self.result_run_id = result_run_id or run_id
        self.first_execution_run_id = first_execution_run_id
        self.result_type = result_type

    @property
    def _path(self) -> str:
        return f"{self.client._ns_path}/workflows/{_q(self.id)}"

    def _which_run(self) -> dict[str, str | None]:
        """For cancel and terminate: the pinned run, else the latest run of the chain this
        handle started (never a later, unrelated workflow of the same id), as temporalio."""
        if self.run_id is None and self.first_execution_run_id:
            return {"first_execution_run_id": self.first_execution_run_id}
        return {"run_id": self.run_id}

    async def result(self, *, follow_runs: bool = True) -> Any:
        """Wait for the workflow to close and return its result.

        Raises :class:`WorkflowFailureError` when it failed, was terminated, cancelled or
        timed out. With ``follow_runs`` a continued-as-new run is followed to the run that
        finally closes."""
        run_id = self.result_run_id
        while True:
            resp = await self.client._transport.call(
                "GET",
                f"{self._path}/result",
                params={"run_id": run_id, "wait": RESULT_WAIT},
                timeout=70,
            )
            if resp.status_code == 202:
                continue
            doc = resp.json()
            status = doc["status"]
            if status == "continued_as_new" and follow_runs and doc.get("new_run_id"):
                run_id = doc["new_run_id"]
                continue
            if status == "completed":
                return converter.from_json(doc.get("result"), self.result_type)
            raise WorkflowFailureError(cause=_close_cause(status, doc), status=status)

    async def describe(self) -> WorkflowExecutionDescription:
        resp = await self.client._transport.call("GET", self._path, params={"run_id": self.run_id})
        return WorkflowExecutionDescription.from_json(resp.json())

    async def terminate(self, reason: str | None = None, *, details: Any = None) -> None:
        """Stop the workflow at once; no workflow code runs."""
        await self.client._transport.call(
            "POST",
            f"{self._path}/terminate",
            json={
                "reason": reason,
                "details": converter.to_json(details),
                **self._which_run(),
            },
            retry=False,
        )

    async def signal(self, signal: Any, *args: Any, request_id: str | None = None) -> None:
        """Send a signal (a ``@workflow.signal`` method or its name) with ``args``."""
        name = handler_name(signal, SIGNAL_ATTR)
        await self.client._transport.call(
            "POST",
            f"{self._path}/signal/{_q(name)}",
            json={
                "args": [converter.to_json(a) for a in args],
                "run_id": self.run_id,
                "request_id": request_id or str(uuid.uuid4()),
            },
        )

    async def query(self, query: Any, *args: Any, result_type: Any = None) -> Any:
        """Ask the workflow (running or closed) a question; a worker answers it from the
        workflow's state. Raises ``RPCError`` with code ``query_failed`` or ``query_timeout``."""
        name = handler_name(query, QUERY_ATTR)
        resp = await self.client._transport.call(
            "POST",
            f"{self._path}/query/{_q(name)}",
            json={"args": [converter.to_json(a) for a in args], "run_id": self.run_id},
            timeout=75,
        )
        if result_type is None and not isinstance(query, str):
            result_type = converter.return_type(query)
        return converter.from_json(resp.json().get("result"), result_type)

    async def cancel(self, reason: str | None = None) -> None:
        """Ask the workflow to cancel: it sees ``asyncio.CancelledError`` and may clean up."""
        await self.client._transport.call(
            "POST",
            f"{self._path}/cancel",
            json={"reason": reason, "request_id": str(uuid.uuid4()), **self._which_run()},
        )

    async def fetch_history(self, *, page_size: int = 1000) -> WorkflowHistory:
        """The run's whole event history (paged under the hood)."""
        events: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            resp = await self.client._transport.call(
                "GET",
                f"{self._path}/history",
                params={"run_id": self.run_id, "page_size": page_size, "next_page_token": token},
            )
            page = resp.json()
            events += page["events"]
            token = page.get("next_page_token")
            if not token:
                return WorkflowHistory(self.id, events)


def _close_cause(status: str, doc: dict[str, Any]) -> BaseException:
    failure = doc.get("failure")
    if status == "terminated":
        return TerminatedError((failure or {}).get("message") or "terminated")
    if status == "canceled":
        return CancelledError("workflow cancelled")
    if status == "timed_out":
        return TimeoutError(
            "workflow timed out", type=timeout_type((failure or {}).get("timeout_type"))
        )
    return from_failure(failure)


class Client:
    """A connection to an Odin frontend, bound to one namespace."""

    def __init__(self, transport: Transport, namespace: str, identity: str | None = None) -> None:
        self._transport = transport
        self.namespace = namespace
        self.identity = identity
        self._ns_path = f"/api/v1/namespaces/{_q(namespace)}"

    @property
    def target_url(self) -> str:
        return self._transport.base_url

    @classmethod
    async def connect(
        cls,
        target_url: str,
        *,
        namespace: str = "default",
        api_key: str | None = None,
        tls: Any = None,
        identity: str | None = None,
    ) -> Client:
        """Connect to the frontend at ``target_url`` (e.g. ``http://localhost:8080``)."""
        transport = Transport(target_url, api_key=api_key, tls=tls)
        client = cls(transport, namespace, identity)
        try:
            await transport.call("GET", "/api/v1/system-info", timeout=5)
        except RPCError:
            await transport.close()
            raise
        return client

    async def close(self) -> None:
        await self._transport.close()

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    def get_workflow_handle(
        self, workflow_id: str, *, run_id: str | None = None, result_type: Any = None
    ) -> WorkflowHandle:
        return WorkflowHandle(self, workflow_id, run_id=run_id, result_type=result_type)

    def _start_body(
        self,
        workflow: Any,
        arg: Any,
        *,
        task_queue: str,
        args: list[Any] | tuple[Any, ...],
        request_id: str | None,
        options: dict[str, Any],
    ) -> tuple[dict[str, Any], Any]:
        name, declared = workflow_name(workflow)
        values = ([arg] if arg is not _NO_ARG else []) + list(args)
        body: dict[str, Any] = {
            "workflow_type": name,
            "task_queue": task_queue,
            "input": [converter.to_json(v) for v in values],
            "request_id": request_id or str(uuid.uuid4()),
        }
        retry_policy = options.get("retry_policy")
        for key, value in (
            ("execution_timeout", duration(options.get("execution_timeout"), "execution_timeout")),
            ("run_timeout", duration(options.get("run_timeout"), "run_timeout")),
            ("task_timeout", duration(options.get("task_timeout"), "task_timeout")),
            ("id_reuse_policy", options.get("id_reuse_policy")),
            ("id_conflict_policy", options.get("id_conflict_policy")),
            ("retry_policy", retry_policy.to_json() if retry_policy else None),
            ("memo", converter.to_json(options["memo"]) if options.get("memo") else None),
            (
                "search_attributes",
                converter.to_json(options["search_attributes"])
                if options.get("search_attributes")
                else None,
            ),
            ("cron_schedule", options.get("cron_schedule")),
            ("start_delay", duration(options.get("start_delay"), "start_delay")),
        ):
            if value is not None:
                body[key] = value
        return body, declared

    async def start_workflow(
        self,
        workflow: Any,
        arg: Any = _NO_ARG,
        *,
        id: str,
        task_queue: str,
        args: list[Any] | tuple[Any, ...] = (),
        execution_timeout: timedelta | None = None,
        run_timeout: timedelta | None = None,
        task_timeout: timedelta | None = None,
        id_reuse_policy: IdReusePolicy | None = None,
        id_conflict_policy: IdConflictPolicy | None = None,
        retry_policy: RetryPolicy | None = None,
        memo: dict[str, Any] | None = None,
        search_attributes: dict[str, Any] | None = None,
        cron_schedule: str | None = None,
        start_delay: timedelta | None = None,
        request_id: str | None = None,
        result_type: Any = None,
    ) -> WorkflowHandle:
        """Start a workflow (given as its class, its run method or its type name)."""
        options = dict(locals())
        body, declared = self._start_body(
            workflow, arg, task_queue=task_queue, args=args, request_id=request_id, options=options
        )
        resp = await self._transport.call("POST", f"{self._ns_path}/workflows/{_q(id)}", json=body)
        run_id = resp.json()["run_id"]
        return self._started_handle(id, run_id, result_type or declared, run_id)

    async def signal_with_start_workflow(
        self,
        workflow: Any,
        arg: Any = _NO_ARG,
        *,
        id: str,
        task_queue: str,
        signal: Any,
        signal_args: list[Any] | tuple[Any, ...] = (),
        args: list[Any] | tuple[Any, ...] = (),
        request_id: str | None = None,
        result_type: Any = None,
        **options: Any,
    ) -> WorkflowHandle:
        """Signal the workflow, starting it first if it is not running (atomically). The
        start options are those of :meth:`start_workflow`."""
        body, declared = self._start_body(
            workflow, arg, task_queue=task_queue, args=args, request_id=request_id, options=options
        )
        body["signal_args"] = [converter.to_json(a) for a in signal_args]
        name = handler_name(signal, SIGNAL_ATTR)
        resp = await self._transport.call(
            "POST", f"{self._ns_path}/workflows/{_q(id)}/signal-with-start/{_q(name)}", json=body
        )
        doc = resp.json()
        # A run it signaled may be a later run of an older chain: no chain to name then.
        first = doc["run_id"] if doc.get("started") else None
        return self._started_handle(id, doc["run_id"], result_type or declared, first)

    def _started_handle(
        self, workflow_id: str, run_id: str, result_type: Any, first_run_id: str | None
    ) -> WorkflowHandle:
        """Not pinned to ``run_id``: the handle follows the workflow to its latest run."""
        return WorkflowHandle(
            self,
            workflow_id,
            result_run_id=run_id,
            first_execution_run_id=first_run_id,
            result_type=result_type,
        )

    async def execute_workflow(self, workflow: Any, arg: Any = _NO_ARG, **options: Any) -> Any:
        """Start a workflow and wait for its result."""
        handle = await self.start_workflow(workflow, arg, **options)
        return await handle.result()
