"""What workflow code asks of its run: activities, child workflows, signals and cancellations
to other workflows, and the markers of ``side_effect``, ``get_version`` and ``patched``.

Each operation produces a command and a future; the matching event in history (met by
:mod:`odin._runtime.instance`) records the event id the outcome will refer to, and the
outcome event resolves the future.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from odin import converter
from odin._runtime.failures import from_failure, timeout_type
from odin._runtime.loop import DeterministicLoop, Pending, WorkflowTaskError
from odin.exceptions import (
    ActivityError,
    ApplicationError,
    CancelledError,
    ChildWorkflowError,
    TerminatedError,
    TimeoutError,
    WorkflowAlreadyStartedError,
)

DEFAULT_VERSION = -1
WORKFLOW_TASK_EVENTS = frozenset(
    {
        "workflow_task_scheduled",
        "workflow_task_started",
        "workflow_task_completed",
        "workflow_task_failed",
        "workflow_task_timed_out",
    }
)


class ActivityCancellationType(StrEnum):
    """What cancelling an activity's handle does (``start_activity(cancellation_type=)``)."""

    TRY_CANCEL = "try_cancel"
    """Ask the server to cancel the activity and raise ``asyncio.CancelledError`` at once."""
    WAIT_CANCELLATION_COMPLETED = "wait_cancellation_completed"
    """Ask, then wait for the activity to end: cancelled, it raises
    :class:`~odin.exceptions.ActivityError` caused by ``CancelledError``; if it completes
    (or fails) first, that is the outcome."""
    ABANDON = "abandon"
    """Raise ``asyncio.CancelledError`` at once and leave the activity running."""


class ChildWorkflowCancellationType(StrEnum):
    """What cancelling a child workflow's handle does (``start_child_workflow(cancellation_type=)``)."""

    WAIT_CANCELLATION_COMPLETED = "wait_cancellation_completed"
    """The default: ask the child to cancel, then wait for it to close; cancelled, awaiting it
    raises :class:`~odin.exceptions.ChildWorkflowError` caused by ``CancelledError``."""
    WAIT_CANCELLATION_REQUESTED = "wait_cancellation_requested"
    """Ask the child to cancel, wait until the request reached it, then raise
    ``asyncio.CancelledError``."""
    TRY_CANCEL = "try_cancel"
    """Ask the child to cancel and raise ``asyncio.CancelledError`` at once."""
    ABANDON = "abandon"
    """Raise ``asyncio.CancelledError`` at once and leave the child running."""


@dataclass
class _Activity:
    activity_id: str
    activity_type: str
    result_type: Any
    future: asyncio.Future[Any]
    pending: Pending
    scheduled_event_id: int | None = None
    cancel_sent: bool = False


@dataclass
class ChildState:
    workflow_id: str
    workflow_type: str
    result_type: Any
    started: asyncio.Future[str]
    result: asyncio.Future[Any]
    pending: Pending
    cancellation_type: ChildWorkflowCancellationType
    initiated_event_id: int | None = None
    run_id: str | None = None
    cancel_request: asyncio.Future[None] | None = None


@dataclass
class _Outgoing:
    """A signal or cancellation sent to another workflow, waiting for its outcome."""

    future: asyncio.Future[None]
    description: str
    initiated_event_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class WorkflowOperations(DeterministicLoop):
    def __init__(self) -> None:
        super().__init__()
        self._activity_by_event: dict[int, _Activity] = {}
        self._children_by_event: dict[int, ChildState] = {}
        self._outgoing_by_event: dict[int, _Outgoing] = {}
        self._markers_ahead: dict[tuple[str, str], Any] = {}
        self._versions: dict[str, int] = {}
        self._patches: dict[str, bool] = {}
        self.search_attributes: dict[str, Any] = {}

    # ---- activities ----------------------------------------------------------------------

    async def run_activity(
        self,
        command: dict[str, Any],
        activity_type: str,
        result_type: Any,
        cancellation_type: ActivityCancellationType = ActivityCancellationType.TRY_CANCEL,
    ) -> Any:
        seq = self.next_seq("activity")
        activity_id = command.pop("activity_id", None) or str(seq)
        command = {
            "type": "schedule_activity",
            "activity_id": activity_id,
            "activity_type": activity_type,
            **command,
        }
        future: asyncio.Future[Any] = self.create_future()
        act = _Activity(activity_id, activity_type, result_type, future, self.command(command))

        def matched(event: dict[str, Any]) -> None:
            act.scheduled_event_id = int(event["event_id"])
            self._activity_by_event[act.scheduled_event_id] = act

        act.pending.on_match = matched
        if cancellation_type != ActivityCancellationType.WAIT_CANCELLATION_COMPLETED:
            try:
                return await future
            except asyncio.CancelledError:
                # Cancelled while waiting (not after it finished): ask the server to cancel it.
                finished = future.done() and not future.cancelled()
                dropped = self.drop(act.pending)  # not sent yet: it never runs
                abandon = cancellation_type == ActivityCancellationType.ABANDON
                if not (dropped or finished or abandon):
                    self._cancel_activity(act)
                raise
        # Waiting for the cancellation to complete: the future must outlive the cancellation
        # of the task awaiting it, so it is shielded.
        while True:
            try:
                return await asyncio.shield(future)
            except asyncio.CancelledError:
                if future.done():  # it ended as the cancellation came: the cancellation wins
                    if not future.cancelled():
                        future.exception()
                    raise
                if self.drop(act.pending) or act.scheduled_event_id is None:
                    future.cancel()  # it never reached the server: nothing to wait for
                    raise
                self._cancel_activity(act)

    def _cancel_activity(self, act: _Activity) -> None:
        """Ask the server to cancel a scheduled activity (once)."""
        if act.scheduled_event_id is not None and not act.cancel_sent:
            act.cancel_sent = True
            self.command(
                {"type": "request_cancel_activity", "scheduled_event_id": act.scheduled_event_id}
            )

    def resolve_activity(self, event: dict[str, Any]) -> None:
        attrs = event["attributes"]
        act = self._activity_by_event.pop(int(attrs["scheduled_event_id"]), None)
        if act is None or act.future.done():
            return
        et = event["event_type"]
        if et == "activity_task_completed":
            self._set_result(act.future, attrs.get("result"), act.result_type)
            return
        cause: BaseException
        if et == "activity_task_failed":
            cause = from_failure(attrs.get("failure"))
        elif et == "activity_task_timed_out":
            failure = attrs.get("failure") or {}
            kind = attrs.get("timeout_type")
            cause = TimeoutError(
                failure.get("message") or f"activity {kind} timeout",
                type=timeout_type(kind),
                last_heartbeat_details=failure.get("details"),
            )
            if failure.get("cause"):
                cause.__cause__ = from_failure(failure["cause"])
        else:
            details = [attrs["details"]] if attrs.get("details") is not None else []
            cause = CancelledError("activity cancelled", *details)
        outcome = et.removeprefix("activity_task_").replace("_", " ")
        act.future.set_exception(
            ActivityError(
                f"activity {act.activity_type} (id {act.activity_id}) {outcome}",
                activity_id=act.activity_id,
                activity_type=act.activity_type,
                scheduled_event_id=int(attrs["scheduled_event_id"]),
                retry_state=attrs.get("retry_state"),
                cause=cause,
            )
        )

    @staticmethod
    def _set_result(future: asyncio.Future[Any], value: Any, result_type: Any) -> None:
        try:
            future.set_result(converter.from_json(value, result_type))
        except Exception as exc:  # the result does not fit the declared type
            future.set_exception(exc)

    # ---- child workflows -----------------------------------------------------------------

    def start_child(
        self,
        command: dict[str, Any],
        result_type: Any,
        cancellation_type: ChildWorkflowCancellationType,
    ) -> ChildState:
        child = ChildState(
            workflow_id=command["workflow_id"],
            workflow_type=command["workflow_type"],
            result_type=result_type,
            started=self.create_future(),
            result=self.create_future(),
            pending=self.command({"type": "start_child_workflow", **command}),
            cancellation_type=cancellation_type,
        )

        def matched(event: dict[str, Any]) -> None:
            child.initiated_event_id = int(event["event_id"])
            self._children_by_event[child.initiated_event_id] = child

        child.pending.on_match = matched
        return child

    async def child_result(self, child: ChildState) -> Any:
        kind = child.cancellation_type
        if kind in (
            ChildWorkflowCancellationType.TRY_CANCEL,
            ChildWorkflowCancellationType.ABANDON,
        ):
            try:
                return await child.result
            except asyncio.CancelledError:
                if (
                    not self.drop(child.pending)
                    and child.initiated_event_id is not None
                    and kind == ChildWorkflowCancellationType.TRY_CANCEL
                ):
                    self._cancel_child(child)
                raise
        # Waiting for the cancellation (its request or the child's end): the result must
        # outlive the cancellation of the task awaiting it, so it is shielded.
        while True:
            try:
                return await asyncio.shield(child.result)
            except asyncio.CancelledError:
                if child.result.done():  # it ended as the cancellation came
                    if not child.result.cancelled():
                        child.result.exception()
                    raise
                if self.drop(child.pending) or child.initiated_event_id is None:
                    child.result.cancel()  # it never reached the server: nothing to wait for
                    raise
                request = self._cancel_child(child)
                if kind == ChildWorkflowCancellationType.WAIT_CANCELLATION_REQUESTED:
                    await asyncio.wait([request])  # delivered (or the child had closed)
                    if child.result.done():  # it closed first: that is its outcome
                        return child.result.result()
                    child.result.cancel()
                    raise

    def _cancel_child(self, child: ChildState) -> asyncio.Future[None]:
        """Ask the child to cancel (once); the future resolves when the request reached it
        (it fails if the child had closed: no error of the parent's, so nobody must read it)."""
        if child.cancel_request is None:
            command = {
                "type": "request_cancel_external_workflow",
                "workflow_id": child.workflow_id,
                "run_id": child.run_id,
                "child_workflow_only": True,
            }
            request = self._send_external(command, f"cancel of child {child.workflow_id}")
            request.add_done_callback(lambda f: f.cancelled() or f.exception())
            child.cancel_request = request
        return child.cancel_request

    def resolve_child(self, event: dict[str, Any]) -> None:
        attrs = event["attributes"]
        child = self._children_by_event.get(int(attrs["initiated_event_id"]))
        if child is None:
            return
        et = event["event_type"]
        if et == "child_workflow_execution_started":
            child.run_id = attrs.get("run_id")
            if not child.started.done():
                child.started.set_result(child.run_id or "")
            return
        del self._children_by_event[int(attrs["initiated_event_id"])]
        if et == "start_child_workflow_execution_failed":
            error = WorkflowAlreadyStartedError(
                f"child workflow {child.workflow_id} could not start: {attrs.get('cause')}",
                workflow_id=child.workflow_id,
                run_id=None,
            )
            for future in (child.started, child.result):
                if not future.done():
                    future.set_exception(error)
            child.result.exception()  # retrieved: awaiting the start is what reports it
            return
        if child.result.done():
            return
        if et == "child_workflow_execution_completed":
            self._set_result(child.result, attrs.get("result"), child.result_type)
            return
        cause: BaseException
        if et == "child_workflow_execution_failed":
            cause = from_failure(attrs.get("failure"))
        elif et == "child_workflow_execution_canceled":
            cause = CancelledError("child workflow cancelled")
        elif et == "child_workflow_execution_terminated":
            cause = TerminatedError((attrs.get("failure") or {}).get("message") or "terminated")
        else:
            failure = attrs.get("failure") or {}
            cause = TimeoutError(
                "child workflow timed out", type=timeout_type(failure.get("timeout_type"))
            )
        outcome = et.removeprefix("child_workflow_execution_").replace("_", " ")
        child.result.set_exception(
            ChildWorkflowError(
                f"child workflow {child.workflow_type} ({child.workflow_id}) {outcome}",
                workflow_id=child.workflow_id,
                run_id=child.run_id,
                workflow_type=child.workflow_type,
                cause=cause,
            )
        )

    # ---- signals and cancellations to other workflows ------------------------------------

    async def send_external(self, command: dict[str, Any], description: str) -> None:
        await self._send_external(command, description)

    def _send_external(self, command: dict[str, Any], description: str) -> asyncio.Future[None]:
        """Issue ``command`` now; the future resolves with its outcome event."""
        outgoing = _Outgoing(self.create_future(), description)

        def matched(event: dict[str, Any]) -> None:
            outgoing.initiated_event_id = int(event["event_id"])
            self._outgoing_by_event[outgoing.initiated_event_id] = outgoing

        self.command(command, matched)
        return outgoing.future

    def resolve_external(self, event: dict[str, Any]) -> None:
        attrs = event["attributes"]
        outgoing = self._outgoing_by_event.pop(int(attrs["initiated_event_id"]), None)
        if outgoing is None or outgoing.future.done():
            return
        if event["event_type"].endswith("_failed"):
            outgoing.future.set_exception(
                ApplicationError(
                    f"{outgoing.description} failed: {attrs.get('cause')}",
                    type="ExternalWorkflowError",
                    non_retryable=True,
                )
            )
        else:
            outgoing.future.set_result(None)

    # ---- markers: side effects and versions ---------------------------------------------

    def side_effect(self, fn: Any) -> Any:
        seq = str(self.next_seq("side_effect"))
        key = ("side_effect", seq)
        recorded = key in self._markers_ahead
        value = self._markers_ahead[key] if recorded else converter.to_json(fn())
        self.command(
            {
                "type": "record_marker",
                "marker_name": "side_effect",
                "details": {"id": seq, "value": value},
            }
        )
        return converter.from_json(value, converter.return_type(fn))

    def get_version(self, change_id: str, min_supported: int, max_supported: int) -> int:
        version = self._versions.get(change_id)
        if version is None:
            key = ("version", change_id)
            if key in self._markers_ahead:
                version = int(self._markers_ahead[key])
            elif self.is_replaying:
                version = DEFAULT_VERSION
            else:
                version = max_supported
            if key in self._markers_ahead or not self.is_replaying:
                self.command(
                    {
                        "type": "record_marker",
                        "marker_name": "version",
                        "details": {"id": change_id, "version": version},
                    }
                )
            self._versions[change_id] = version
        if not min_supported <= version <= max_supported:
            raise WorkflowTaskError(
                f"get_version({change_id!r}): the history has version {version}, outside the "
                f"supported range {min_supported}..{max_supported}",
                cause="nondeterminism",
            )
        return version

    def patched(self, patch_id: str) -> bool:
        if patch_id not in self._patches:
            key = ("patch", patch_id)
            present = key in self._markers_ahead or not self.is_replaying
            if present:
                self.command(
                    {"type": "record_marker", "marker_name": "patch", "details": {"id": patch_id}}
                )
            self._patches[patch_id] = present
        return self._patches[patch_id]

    def upsert_search_attributes(self, attributes: dict[str, Any]) -> None:
        attributes = {k: converter.to_json(v) for k, v in attributes.items()}
        self.search_attributes.update(attributes)
        self.command({"type": "upsert_search_attributes", "search_attributes": attributes})

    def preload_markers(self, events: list[dict[str, Any]], start: int) -> None:
        """Read the markers a replayed task recorded, so replay returns the recorded values.

        They are among the events from ``start`` (after the task's
        ``workflow_task_completed``) up to the next workflow task event. Other events can sit
        between its command events (``activity_task_canceled`` right after a cancel request
        for an activity that had not started, results that arrived meanwhile): they are
        skipped, not taken for the end of the task's commands."""
        self._markers_ahead.clear()
        for event in events[start:]:
            et = event["event_type"]
            if et in WORKFLOW_TASK_EVENTS:
                break
            if et == "marker_recorded":
                attrs = event["attributes"]
                details = attrs.get("details") or {}
                name = attrs.get("marker_name")
                value = {
                    "side_effect": details.get("value"),
                    "version": details.get("version"),
                }.get(str(name), True)
                self._markers_ahead[(str(name), str(details.get("id")))] = value
