"""Eager activities on the worker side: which ``schedule_activity`` commands ask for eager
execution, and that every reserved activity slot is either used or given back."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sdk_fakes import first_events, workflow_runner, workflow_task

from odin import activity, workflow
from odin._worker_workflows import MAX_EAGER_ACTIVITIES_PER_TASK, WorkflowTaskRunner
from odin.exceptions import RPCError
from odin.worker import Worker


@activity.defn
async def ping(n: int) -> int:
    return n


@workflow.defn
class FanOut:
    @workflow.run
    async def run(self, n: int) -> list[int]:
        return list(
            await asyncio.gather(
                *(
                    workflow.execute_activity(ping, i, start_to_close_timeout=timedelta(seconds=5))
                    for i in range(n)
                )
            )
        )


class Slots:
    """An ``EagerActivities`` with ``free`` activity slots."""

    def __init__(self, free: int) -> None:
        self.free = free
        self.started: list[dict[str, Any]] = []

    async def reserve(self, command: dict[str, Any]) -> bool:
        if self.free == 0:
            return False
        self.free -= 1
        return True

    def release(self, count: int) -> None:
        self.free += count

    def start(self, task: dict[str, Any]) -> None:
        self.started.append(task)


def first_task(n: int) -> dict[str, Any]:
    return workflow_task("run", "FanOut", first_events("FanOut", n))


def runner(
    slots: Slots | None, answer: dict[str, Any] | RPCError, sent: list[dict[str, Any]]
) -> WorkflowTaskRunner:
    async def respond(path: str, body: dict[str, Any]) -> dict[str, Any]:
        sent.append(body)
        if path == "workflow-tasks/complete" and isinstance(answer, RPCError):
            raise answer
        return answer if path == "workflow-tasks/complete" else {}

    return workflow_runner(FanOut, respond, max_cached=0, eager=slots)


def eager_flags(body: dict[str, Any]) -> list[bool]:
    return [c.get("request_eager_execution", False) for c in body["commands"]]


async def test_at_most_three_activities_per_task_ask_for_eager_execution() -> None:
    slots, sent = Slots(free=10), []
    tasks = [{"task_token": f"a{i}"} for i in range(MAX_EAGER_ACTIVITIES_PER_TASK)]
    await runner(slots, {"accepted": True, "activity_tasks": tasks}, sent).run(first_task(5))
    assert eager_flags(sent[0]) == [True, True, True, False, False]
    assert slots.started == tasks
    assert slots.free == 10 - MAX_EAGER_ACTIVITIES_PER_TASK  # held by the running activities


async def test_only_as_many_as_there_are_free_slots() -> None:
    slots, sent = Slots(free=1), []
    await runner(slots, {"accepted": True, "activity_tasks": [{}]}, sent).run(first_task(2))
    assert eager_flags(sent[0]) == [True, False]
    assert slots.free == 0


async def test_slots_the_server_did_not_use_are_given_back() -> None:
    slots, sent = Slots(free=5), []
    await runner(slots, {"accepted": True, "activity_tasks": [{}]}, sent).run(first_task(3))
    assert eager_flags(sent[0]) == [True, True, True]
    assert (len(slots.started), slots.free) == (1, 4)


async def test_a_refused_completion_gives_every_slot_back() -> None:
    slots, sent = Slots(free=5), []
    refusal = RPCError("bad", code="invalid_argument", status=400)
    await runner(slots, refusal, sent).run(first_task(2))
    assert (slots.started, slots.free) == ([], 5)


async def test_an_unreachable_server_gives_every_slot_back() -> None:
    slots, sent = Slots(free=5), []
    down = RPCError("cannot reach the server", code="unavailable", status=0)
    with pytest.raises(RPCError):
        await runner(slots, down, sent).run(first_task(2))
    assert (slots.started, slots.free) == ([], 5)


async def test_without_eager_activities_nothing_asks_for_it() -> None:
    sent: list[dict[str, Any]] = []
    await runner(None, {"accepted": True}, sent).run(first_task(2))
    assert eager_flags(sent[0]) == [False, False]


class NoServer:
    """What a Worker takes from its client; nothing is sent in this test."""

    identity = "test"
    _transport = None
    _ns_path = "/api/v1/namespaces/default"


async def test_an_eager_activity_handed_over_during_shutdown_is_handed_back() -> None:
    worker = Worker(
        NoServer(),  # type: ignore[arg-type]
        task_queue="q",
        workflows=[FanOut],
        activities=[ping],
        max_concurrent_activities=1,
    )
    answers: list[tuple[str, dict[str, Any]]] = []

    async def respond(path: str, body: dict[str, Any]) -> dict[str, Any]:
        answers.append((path, body))
        return {}

    worker._activities.respond = respond
    eager = worker._workflows.eager
    assert eager is not None
    assert await eager.reserve({"type": "schedule_activity", "activity_type": "ping"})
    assert worker._act_slots.locked()  # its only slot
    worker._handing_back = True  # the shutdown reached the activities meanwhile
    eager.start({"task_token": "late", "activity_type": "ping", "input": [1]})
    await asyncio.gather(*worker._act_tasks)
    [(path, body)] = answers
    assert (path, body["task_token"], body["failure"]["type"]) == (
        "activity-tasks/fail",
        "late",
        "WorkerShutdown",
    )
    assert not worker._act_slots.locked()  # the slot came back
