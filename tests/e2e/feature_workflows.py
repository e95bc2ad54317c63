"""Workflows that exercise every feature, for the end-to-end tests and the replay suite."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from odin import activity, workflow
from odin.common import RetryPolicy
from odin.exceptions import (
    ActivityError,
    ApplicationError,
    ChildWorkflowError,
    WorkflowAlreadyStartedError,
)

EFFECTS: list[str] = []
SHORT = timedelta(seconds=10)


@activity.defn
async def record(value: str) -> str:
    EFFECTS.append(value)
    return value


@activity.defn
async def wait_for_cancel(seconds: float) -> str:
    """Heartbeats until cancelled (or ``seconds`` pass)."""
    try:
        for _ in range(int(seconds * 10)):
            activity.heartbeat("alive")
            await asyncio.sleep(0.1)
    except asyncio.CancelledError:
        EFFECTS.append("activity saw the cancellation")
        raise
    return "not cancelled"


@activity.defn
async def flaky_with_progress(total: int) -> int:
    """Fails the first attempt after reporting progress; the retry resumes from it."""
    info = activity.info()
    start = info.heartbeat_details[0] if info.heartbeat_details else 0
    for step in range(start, total):
        activity.heartbeat(step + 1)
        if info.attempt == 1 and step == total // 2:
            await asyncio.sleep(0.3)  # let the heartbeat reach the server
            raise RuntimeError("crashed half way")
    return start


@activity.defn
async def too_slow() -> None:
    await asyncio.sleep(30)


@workflow.defn
class Timers:
    @workflow.run
    async def run(self) -> list[str]:
        out = []
        await workflow.sleep(0.2)
        out.append("slept")
        await asyncio.sleep(0.1)
        out.append("asyncio.sleep")
        try:
            await asyncio.wait_for(workflow.wait_condition(lambda: False), 0.2)
        except TimeoutError:
            out.append("wait_for timed out")
        try:
            await workflow.wait_condition(lambda: False, timeout=0.2)
        except TimeoutError:
            out.append("wait_condition timed out")
        await asyncio.gather(*(workflow.sleep(0.1 + i * 0.01) for i in range(30)))
        out.append("30 timers")
        return out


@workflow.defn
class Approval:
    def __init__(self) -> None:
        self.approvals: list[str] = []
        self.done = False

    @workflow.run
    async def run(self, needed: int) -> list[str]:
        await workflow.wait_condition(lambda: len(self.approvals) >= needed or self.done)
        return self.approvals

    @workflow.signal
    def approve(self, who: str) -> None:
        self.approvals.append(who)

    @workflow.signal
    async def finish(self) -> None:
        await workflow.sleep(0.1)
        self.done = True

    @workflow.query
    def status(self) -> dict[str, Any]:
        return {"approvals": self.approvals, "done": self.done}

    @workflow.query
    def broken(self) -> None:
        raise ValueError("this query always fails")


@workflow.defn
class Cancellable:
    @workflow.run
    async def run(self) -> str:
        try:
            await workflow.execute_activity(
                wait_for_cancel,
                60.0,
                start_to_close_timeout=timedelta(minutes=2),
                heartbeat_timeout=timedelta(seconds=2),
            )
        except asyncio.CancelledError:
            await workflow.execute_activity(record, "cleaned up", start_to_close_timeout=SHORT)
            raise
        return "finished"


@workflow.defn
class CancelsItsActivity:
    @workflow.run
    async def run(self, wait: bool = False) -> str:
        handle = workflow.start_activity(
            wait_for_cancel,
            60.0,
            start_to_close_timeout=timedelta(minutes=2),
            heartbeat_timeout=timedelta(seconds=2),
            cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED
            if wait
            else workflow.ActivityCancellationType.TRY_CANCEL,
        )
        await workflow.sleep(1)
        handle.cancel()
        try:
            await handle
        except asyncio.CancelledError:
            return "activity cancelled"
        except ActivityError as err:  # waited until the activity had stopped
            return f"activity stopped: {type(err.cause).__name__}"
        return "activity finished"


@workflow.defn
class Timeouts:
    @workflow.run
    async def run(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        try:
            await workflow.execute_activity(
                record,
                "never runs",
                task_queue="nobody-polls-this",
                schedule_to_start_timeout=timedelta(milliseconds=500),
                start_to_close_timeout=timedelta(seconds=5),
            )
        except ActivityError as err:
            out["schedule_to_start"] = getattr(err.cause, "type", None)
        try:
            await workflow.execute_activity(
                too_slow,
                start_to_close_timeout=timedelta(milliseconds=500),
                retry_policy=RetryPolicy(maximum_attempts=1),
            )
        except ActivityError as err:
            out["start_to_close"] = getattr(err.cause, "type", None)
        try:
            await workflow.execute_activity(
                too_slow,
                start_to_close_timeout=timedelta(seconds=30),
                heartbeat_timeout=timedelta(milliseconds=500),
                retry_policy=RetryPolicy(maximum_attempts=1),
            )
        except ActivityError as err:
            out["heartbeat"] = getattr(err.cause, "type", None)
        try:
            await workflow.execute_activity(
                too_slow,
                schedule_to_close_timeout=timedelta(milliseconds=800),
                retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=100)),
            )
        except ActivityError as err:
            out["schedule_to_close"] = getattr(err.cause, "type", None)
        out["resumed_from"] = await workflow.execute_activity(
            flaky_with_progress,
            10,
            start_to_close_timeout=SHORT,
            heartbeat_timeout=timedelta(seconds=5),
            retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=100)),
        )
        return out


@workflow.defn
class Sleeper:
    @workflow.run
    async def run(self, seconds: float) -> str:
        await workflow.sleep(seconds)
        return "woke up"


@workflow.defn
class Child:
    @workflow.run
    async def run(self, value: str) -> str:
        if value == "fail":
            raise ApplicationError("child failed on purpose", type="ChildBoom")
        if value == "wait":
            await workflow.sleep(3600)
        return f"child got {value}"


@workflow.defn
class Parent:
    @workflow.run
    async def run(self, mode: str) -> Any:
        info = workflow.info()
        if mode == "result":
            return await workflow.execute_child_workflow(
                Child.run, "hi", id=f"{info.workflow_id}-child"
            )
        if mode == "failure":
            try:
                await workflow.execute_child_workflow(
                    Child.run, "fail", id=f"{info.workflow_id}-child"
                )
            except ChildWorkflowError as err:
                return {"error": type(err).__name__, "cause": getattr(err.cause, "type", None)}
        if mode == "cancel":
            handle = await workflow.start_child_workflow(
                Child.run, "wait", id=f"{info.workflow_id}-child"
            )
            handle.cancel()
            try:
                await handle
            except ChildWorkflowError as err:  # once the child is cancelled
                return f"child {type(err.cause).__name__}"
        # leave a child running and close: its parent close policy applies
        await workflow.start_child_workflow(
            Child.run, "wait", id=f"{info.workflow_id}-child", parent_close_policy=mode
        )
        return "parent done"


@workflow.defn
class DuplicateChild:
    """Starts a second child with the id of its first, still running, child."""

    @workflow.run
    async def run(self) -> dict[str, Any]:
        child_id = f"{workflow.info().workflow_id}-child"
        first = await workflow.start_child_workflow(Child.run, "wait", id=child_id)
        try:
            await workflow.start_child_workflow(Child.run, "again", id=child_id)
        except WorkflowAlreadyStartedError as err:
            second = type(err).__name__
        else:
            second = "started"
        # the first child is untouched: it still runs, and can be cancelled as usual
        first.cancel()
        try:
            await first
        except ChildWorkflowError as err:
            return {"second": second, "first": type(err.cause).__name__}
        return {"second": second, "first": "completed"}


@workflow.defn
class Looping:
    @workflow.run
    async def run(self, iteration: int) -> int:
        await workflow.sleep(0.05)
        if iteration < 3:
            workflow.continue_as_new(iteration + 1)
        return iteration


@workflow.defn
class WaitsAfterContinuing:
    """Continues as new ``rounds`` times, then waits for ``release``."""

    def __init__(self) -> None:
        self.released = False

    @workflow.run
    async def run(self, rounds: int) -> int:
        if rounds > 0:
            workflow.continue_as_new(rounds - 1)
        await workflow.wait_condition(lambda: self.released)
        return rounds

    @workflow.signal
    def release(self) -> None:
        self.released = True


@workflow.defn
class Deterministic:
    @workflow.run
    async def run(self) -> dict[str, Any]:
        first = str(workflow.uuid4())
        number = workflow.random().randint(0, 1_000_000)
        recorded = await workflow.execute_activity(record, first, start_to_close_timeout=SHORT)
        effect = workflow.side_effect(lambda: "effect value")
        version = workflow.get_version("feature-x", workflow.DEFAULT_VERSION, 2)
        patched = workflow.patched("fix-1")
        workflow.upsert_search_attributes({"CustomStage": "done"})
        workflow.logger.info("finishing %s", workflow.info().workflow_id)
        await workflow.sleep(0.1)
        return {
            "uuid_matches_activity_input": first == recorded,
            "number": number,
            "effect": effect,
            "version": version,
            "patched": patched,
            "now_is_task_time": workflow.now().tzinfo is not None,
        }


@workflow.defn
class Signaller:
    @workflow.run
    async def run(self, target: str) -> str:
        await workflow.get_external_workflow_handle(target).signal(Approval.approve, "signaller")
        await workflow.get_external_workflow_handle(target).signal(Approval.finish)
        try:
            await workflow.get_external_workflow_handle("does-not-exist").signal("x")
        except ApplicationError:
            return "signalled; unknown target refused"
        return "signalled"


@workflow.defn
class Canceller:
    @workflow.run
    async def run(self, target: str) -> str:
        await workflow.get_external_workflow_handle(target).cancel()
        return "cancel requested"


WORKFLOWS = [
    Timers,
    Approval,
    Cancellable,
    CancelsItsActivity,
    Timeouts,
    Sleeper,
    Child,
    Parent,
    DuplicateChild,
    Looping,
    WaitsAfterContinuing,
    Deterministic,
    Signaller,
    Canceller,
]
ACTIVITIES = [record, wait_for_cancel, flaky_with_progress, too_slow]
