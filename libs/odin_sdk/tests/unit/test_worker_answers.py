"""What the worker answers when the server refuses a workflow task's commands, and when an
activity's result cannot be sent (no server: the answers are recorded)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sdk_fakes import workflow_runner, workflow_task

from odin import activity, workflow
from odin._runtime.definitions import ActivityDefinition
from odin._worker_activities import ActivityTaskRunner
from odin._worker_workflows import WorkflowTaskRunner
from odin.exceptions import RPCError

Answers = list[tuple[str, dict[str, Any]]]


@workflow.defn
class Napper:
    @workflow.run
    async def run(self) -> None:
        await workflow.sleep(60)


def first_task(run_id: str) -> dict[str, Any]:
    return workflow_task(run_id, "Napper")


def napper_runner(answers: Answers, refusal: RPCError | None) -> WorkflowTaskRunner:
    async def respond(path: str, body: dict[str, Any]) -> dict[str, Any]:
        answers.append((path, body))
        if path == "workflow-tasks/complete" and refusal is not None:
            raise refusal
        return {}

    return workflow_runner(Napper, respond)


def bad_request(detail: str) -> RPCError:
    doc = {"title": "Invalid argument", "status": 400, "detail": detail, "code": "invalid_argument"}
    return RPCError(detail, code="invalid_argument", status=400, details=doc)


async def test_refused_commands_fail_the_workflow_task_and_forget_the_run() -> None:
    answers: Answers = []
    detail = "start_timer: timer_id '1' is already running"
    r = napper_runner(answers, bad_request(detail))
    await r.run(first_task("a"))
    assert [path for path, _ in answers] == ["workflow-tasks/complete", "workflow-tasks/fail"]
    body = answers[-1][1]
    assert (body["task_token"], body["cause"], body["identity"]) == (
        "token-a",
        "bad_command",
        "test",
    )
    failure = body["failure"]
    assert failure["type"] == "BadCommand"
    assert detail in failure["message"]
    assert failure["details"][0]["code"] == "invalid_argument"
    assert "a" not in r.cache  # the next attempt replays from the full history


async def test_a_payload_too_large_answer_is_a_refusal_too() -> None:
    answers: Answers = []
    too_large = RPCError("the body is larger than 2 MiB", code="payload_too_large", status=413)
    r = napper_runner(answers, too_large)
    await r.run(first_task("a"))
    path, body = answers[-1]
    assert (path, body["cause"]) == ("workflow-tasks/fail", "bad_command")
    assert "payload_too_large" in body["failure"]["message"]


async def test_other_errors_are_not_taken_for_a_refusal() -> None:
    answers: Answers = []
    down = RPCError("cannot reach the server", code="unavailable", status=0)
    r = napper_runner(answers, down)
    with pytest.raises(RPCError):
        await r.run(first_task("a"))
    assert [path for path, _ in answers] == ["workflow-tasks/complete"]
    assert "a" not in r.cache


async def test_accepted_commands_keep_the_run_cached() -> None:
    answers: Answers = []
    r = napper_runner(answers, None)
    await r.run(first_task("a"))
    assert [path for path, _ in answers] == ["workflow-tasks/complete"]
    assert "a" in r.cache


# ---- activities ---------------------------------------------------------------------------


class Opaque:
    pass


@activity.defn
async def returns_opaque() -> Opaque:
    return Opaque()


@activity.defn
def returns_opaque_in_a_thread() -> Opaque:
    return Opaque()


@activity.defn
async def returns_text() -> str:
    return "done"


def activity_task(activity_type: str) -> dict[str, Any]:
    return {
        "task_token": "act-token",
        "namespace": "default",
        "workflow_id": "wf",
        "run_id": "run",
        "workflow_type": "Napper",
        "task_queue": "q",
        "activity_id": "1",
        "activity_type": activity_type,
        "input": [],
        "attempt": 1,
        "scheduled_time": "2026-01-01T00:00:00Z",
        "started_time": "2026-01-01T00:00:01Z",
        "start_to_close_timeout": "10s",
    }


async def run_activity(fn: Any) -> Answers:
    answers: Answers = []

    async def respond(path: str, body: dict[str, Any]) -> dict[str, Any]:
        answers.append((path, body))
        return {}

    defn = ActivityDefinition.of(fn)
    runner = ActivityTaskRunner(
        {defn.name: defn},
        identity="test",
        respond=respond,
        transport=None,  # type: ignore[arg-type]  # no heartbeats in these activities
        ns_path="/api/v1/namespaces/default",
        executor=ThreadPoolExecutor(1),
    )
    await runner.run(activity_task(defn.name))
    assert not runner.running
    return answers


@pytest.mark.parametrize("fn", [returns_opaque, returns_opaque_in_a_thread])
async def test_a_result_that_is_not_json_fails_the_attempt_without_retries(fn: Any) -> None:
    ((path, body),) = await run_activity(fn)
    assert path == "activity-tasks/fail"
    failure = body["failure"]
    assert failure["non_retryable"] is True
    assert failure["type"] == "SerializationError"
    assert (
        f"activity {fn.__name__} returned a Opaque, which cannot be converted"
        in (failure["message"])
    )


async def test_a_json_result_completes_the_attempt() -> None:
    assert await run_activity(returns_text) == [
        (
            "activity-tasks/complete",
            {"task_token": "act-token", "result": "done", "identity": "test"},
        )
    ]
