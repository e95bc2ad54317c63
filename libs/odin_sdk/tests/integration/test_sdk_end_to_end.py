"""The SDK against the embedded server (all four services, in this process)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from pydantic import BaseModel

from odin import activity, workflow
from odin.client import Client
from odin.common import RetryPolicy
from odin.exceptions import (
    ActivityError,
    ApplicationError,
    TerminatedError,
    TimeoutError,
    WorkflowAlreadyStartedError,
    WorkflowFailureError,
)
from odin.testing import Replayer, WorkflowEnvironment
from odin.worker import Worker
from odin_common.testing import assert_eventually

pytestmark = pytest.mark.integration


class Order(BaseModel):
    id: int
    amount: float


ATTEMPTS: dict[str, int] = {}


@activity.defn
async def charge(order: Order) -> str:
    return f"charged {order.id} {order.amount:.2f}"


@activity.defn
def flaky(key: str) -> str:
    ATTEMPTS[key] = ATTEMPTS.get(key, 0) + 1
    if ATTEMPTS[key] < 3:
        raise RuntimeError(f"attempt {activity.info().attempt} failed")
    return f"ok after {activity.info().attempt}"


@activity.defn
async def always_fails(reason: str) -> None:
    raise ApplicationError(reason, {"why": reason}, type="Declined", non_retryable=True)


@activity.defn
async def slow(seconds: float) -> str:
    for _ in range(int(seconds * 10)):
        activity.heartbeat("working")
        await asyncio.sleep(0.1)
    return "slow done"


@workflow.defn
class OrderWorkflow:
    @workflow.run
    async def run(self, order: Order) -> str:
        receipt = await workflow.execute_activity(
            charge, order, start_to_close_timeout=timedelta(seconds=10)
        )
        await workflow.sleep(0.2)
        return receipt


@workflow.defn
class RetryingWorkflow:
    @workflow.run
    async def run(self, key: str) -> str:
        return await workflow.execute_activity(
            flaky,
            key,
            start_to_close_timeout=timedelta(seconds=10),
            retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=100)),
        )


@workflow.defn
class DecliningWorkflow:
    @workflow.run
    async def run(self) -> None:
        try:
            await workflow.execute_activity(
                always_fails, "card declined", start_to_close_timeout=timedelta(seconds=10)
            )
        except ActivityError as err:
            raise ApplicationError("order failed", type="OrderFailed") from err


@workflow.defn
class TimingOutWorkflow:
    @workflow.run
    async def run(self) -> str:
        try:
            await workflow.execute_activity(
                slow,
                5.0,
                start_to_close_timeout=timedelta(milliseconds=500),
                retry_policy=RetryPolicy(maximum_attempts=1),
            )
        except ActivityError as err:
            if not isinstance(err.cause, TimeoutError):
                raise
            return f"timed out: {err.cause.type}"
        return "finished"


@activity.defn
async def huge(size: int) -> str:
    ATTEMPTS["huge"] = ATTEMPTS.get("huge", 0) + 1
    return "x" * size


@workflow.defn
class HugeResult:
    @workflow.run
    async def run(self, size: int) -> str:
        try:
            await workflow.execute_activity(
                huge, size, start_to_close_timeout=timedelta(seconds=10)
            )
        except ActivityError as err:
            cause = err.cause
            if not isinstance(cause, ApplicationError):
                raise
            return f"{cause.type} {cause.non_retryable}"
        return "returned"


@workflow.defn
class Waiting:
    @workflow.run
    async def run(self) -> None:
        await workflow.sleep(3600)


@workflow.defn
class Fanout:
    @workflow.run
    async def run(self, n: int) -> list[str]:
        orders = [Order(id=i, amount=i) for i in range(n)]
        return list(
            await asyncio.gather(
                *(
                    workflow.execute_activity(
                        charge, o, start_to_close_timeout=timedelta(seconds=10)
                    )
                    for o in orders
                )
            )
        )


@workflow.defn
class DuplicateActivityIds:
    """Its first workflow task schedules two activities with the same id: the server refuses
    the commands."""

    @workflow.run
    async def run(self) -> list[str]:
        return list(
            await asyncio.gather(
                *(
                    workflow.execute_activity(
                        charge,
                        Order(id=i, amount=1),
                        activity_id="same",
                        start_to_close_timeout=timedelta(seconds=10),
                    )
                    for i in range(2)
                )
            )
        )


WORKFLOWS = [
    OrderWorkflow,
    RetryingWorkflow,
    DecliningWorkflow,
    TimingOutWorkflow,
    HugeResult,
    Waiting,
    Fanout,
    DuplicateActivityIds,
]
ACTIVITIES = [charge, flaky, always_fails, slow, huge]


@pytest.fixture
async def env() -> AsyncIterator[WorkflowEnvironment]:
    async with await WorkflowEnvironment.start_local(port=0) as environment:
        yield environment


@pytest.fixture
async def client(env: WorkflowEnvironment) -> AsyncIterator[Client]:
    queue = f"q-{uuid.uuid4().hex[:8]}"
    async with Worker(env.client, task_queue=queue, workflows=WORKFLOWS, activities=ACTIVITIES):
        env.client.test_queue = queue  # type: ignore[attr-defined]
        yield env.client


def _queue(client: Client) -> str:
    return str(client.test_queue)  # type: ignore[attr-defined]


async def test_a_workflow_with_an_activity(client: Client) -> None:
    result = await client.execute_workflow(
        OrderWorkflow.run, Order(id=7, amount=9.5), id="order-7", task_queue=_queue(client)
    )
    assert result == "charged 7 9.50"
    handle = client.get_workflow_handle("order-7")
    desc = await handle.describe()
    assert desc.status == "completed"
    history = await handle.fetch_history()
    types = [e["event_type"] for e in history.events]
    assert "timer_fired" in types
    assert types[-1] == "workflow_execution_completed"
    # the saved history replays against the code
    Replayer(workflows=[OrderWorkflow]).replay_workflow(history.to_json())


async def test_retries_until_the_activity_succeeds(client: Client) -> None:
    key = uuid.uuid4().hex
    result = await client.execute_workflow(
        RetryingWorkflow.run, key, id=key, task_queue=_queue(client)
    )
    assert result == "ok after 3"
    assert ATTEMPTS[key] == 3


async def test_failures_reach_the_client_with_their_cause(client: Client) -> None:
    with pytest.raises(WorkflowFailureError) as caught:
        await client.execute_workflow(
            DecliningWorkflow.run, id="declining", task_queue=_queue(client)
        )
    cause = caught.value.cause
    assert isinstance(cause, ApplicationError)
    assert (cause.message, cause.type) == ("order failed", "OrderFailed")
    activity_error = cause.cause
    assert isinstance(activity_error, ActivityError)
    declined = activity_error.cause
    assert isinstance(declined, ApplicationError)
    assert (declined.type, declined.non_retryable, declined.details) == (
        "Declined",
        True,
        [{"why": "card declined"}],
    )


async def test_activity_timeouts_carry_their_kind(client: Client) -> None:
    result = await client.execute_workflow(
        TimingOutWorkflow.run, id="timing-out", task_queue=_queue(client)
    )
    assert result == "timed out: start_to_close"


async def test_terminate_and_duplicate_start(client: Client) -> None:
    handle = await client.start_workflow(Waiting.run, id="waiting", task_queue=_queue(client))
    with pytest.raises(WorkflowAlreadyStartedError):
        await client.start_workflow(Waiting.run, id="waiting", task_queue=_queue(client))
    await handle.terminate("enough")
    with pytest.raises(WorkflowFailureError) as caught:
        await handle.result()
    assert isinstance(caught.value.cause, TerminatedError)
    assert (await handle.describe()).status == "terminated"


async def test_concurrent_activities(client: Client) -> None:
    result = await client.execute_workflow(Fanout.run, 20, id="fanout", task_queue=_queue(client))
    assert result == [f"charged {i} {i:.2f}" for i in range(20)]


async def test_many_workflows_at_once(client: Client) -> None:
    handles = await asyncio.gather(
        *(
            client.start_workflow(
                OrderWorkflow.run, Order(id=i, amount=1), id=f"many-{i}", task_queue=_queue(client)
            )
            for i in range(30)
        )
    )
    results = await asyncio.gather(*(h.result() for h in handles))
    assert results == [f"charged {i} 1.00" for i in range(30)]


async def test_refused_commands_fail_the_workflow_task_with_the_servers_reason(
    client: Client,
) -> None:
    handle = await client.start_workflow(
        DuplicateActivityIds.run, id="duplicate-ids", task_queue=_queue(client)
    )

    async def task_failed() -> dict[str, Any]:
        history = await handle.fetch_history()
        failed = [e for e in history.events if e["event_type"] == "workflow_task_failed"]
        assert failed, [e["event_type"] for e in history.events]
        return dict(failed[0]["attributes"])

    attrs = await assert_eventually(task_failed, timeout=30)
    assert attrs["cause"] == "bad_command"
    assert attrs["failure"]["type"] == "BadCommand"
    assert "activity_id 'same' is already in use" in attrs["failure"]["message"]
    await handle.terminate("done")


async def test_a_result_over_the_size_limit_fails_the_activity_for_good(client: Client) -> None:
    ATTEMPTS.pop("huge", None)
    result = await client.execute_workflow(
        HugeResult.run,
        3 * 1024 * 1024,
        id=f"huge-{uuid.uuid4().hex[:6]}",
        task_queue=_queue(client),
    )
    assert result == "PayloadTooLarge True"
    assert ATTEMPTS["huge"] == 1
