"""Polls and task-queue calls name a namespace matching cannot check: the frontend asks
history first, remembers a namespace that exists for a few seconds, and never remembers one
that does not (a namespace created a moment ago works at once)."""

from __future__ import annotations

from typing import Any

import pytest

from odin_common import errors

NS = "/api/v1/namespaces"
POLL = f"{NS}/payments/task-queues/orders/poll"
DESCRIBE = f"{NS}/payments/task-queues/orders"
NAMESPACE = {
    "id": "5f0c6c1e-8a0b-4f55-9d2e-6f7f1f0d9a11",
    "name": "payments",
    "description": "",
    "retention_days": 30,
    "state": "registered",
    "created_at": "2026-01-01T00:00:00.000000Z",
    "updated_at": "2026-01-01T00:00:00.000000Z",
}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(frontend: Any) -> Clock:
    clock = Clock()
    frontend.app.state.frontend.namespaces.known.now = clock
    return clock


def namespace_checks(history: Any) -> int:
    return sum(1 for r in history.received if (r.method, r.path) == ("GET", f"{NS}/payments"))


@pytest.mark.parametrize(
    ("method", "target", "body"),
    [("POST", POLL, {"kind": "workflow"}), ("GET", DESCRIBE, None)],
    ids=["poll", "describe_task_queue"],
)
async def test_an_unknown_namespace_is_404_and_matching_is_not_called(
    client: Any, history: Any, matching: Any, method: str, target: str, body: Any
) -> None:
    history.fail("GET", f"{NS}/payments", errors.NamespaceNotFound("no", namespace="payments"))

    resp = await client.request(method, target, json=body)

    assert resp.status_code == 404
    assert resp.json()["code"] == "namespace_not_found"
    assert matching.received == []


async def test_a_namespace_created_a_moment_ago_works_at_once(
    client: Any, history: Any, matching: Any, clock: Clock
) -> None:
    history.fail("GET", f"{NS}/payments", errors.NamespaceNotFound("no", namespace="payments"))
    history.answer("GET", f"{NS}/payments", 200, NAMESPACE)  # once created

    before = await client.post(POLL, json={"kind": "workflow"})
    after = await client.post(POLL, json={"kind": "workflow"})

    assert (before.status_code, after.status_code) == (404, 200)
    assert namespace_checks(history) == 2
    assert len(matching.received) == 1


async def test_a_known_namespace_is_checked_again_only_after_a_few_seconds(
    client: Any, history: Any, matching: Any, clock: Clock
) -> None:
    history.answer("GET", f"{NS}/payments", 200, NAMESPACE)

    for _ in range(3):
        assert (await client.post(POLL, json={"kind": "workflow"})).status_code == 200
    assert (await client.get(DESCRIBE)).status_code == 200
    assert namespace_checks(history) == 1

    clock.now += 4.9
    await client.post(POLL, json={"kind": "activity"})
    assert namespace_checks(history) == 1

    clock.now += 0.2
    await client.post(POLL, json={"kind": "activity"})
    assert namespace_checks(history) == 2
    assert len(matching.received) == 6


async def test_a_deleted_namespace_is_refused(client: Any, history: Any, matching: Any) -> None:
    history.answer("GET", f"{NS}/payments", 200, {**NAMESPACE, "state": "deleted"})

    resp = await client.post(POLL, json={"kind": "workflow"})

    assert resp.status_code == 404
    assert resp.json()["code"] == "namespace_not_found"
    assert matching.received == []


async def test_deleting_a_namespace_here_stops_polls_at_once(
    client: Any, history: Any, matching: Any, clock: Clock
) -> None:
    history.answer("GET", f"{NS}/payments", 200, NAMESPACE)
    assert (await client.post(POLL, json={"kind": "workflow"})).status_code == 200
    history.answer("DELETE", f"{NS}/payments", 200, {**NAMESPACE, "state": "deleted"})
    history.forget("GET", f"{NS}/payments")
    history.answer("GET", f"{NS}/payments", 200, {**NAMESPACE, "state": "deleted"})

    deleted = await client.delete(f"{NS}/payments")
    refused = await client.post(POLL, json={"kind": "workflow"})

    assert deleted.status_code == 200
    assert refused.status_code == 404
    assert len(matching.received) == 1


async def test_history_down_during_the_check_is_503(
    client: Any, history: Any, matching: Any
) -> None:
    history.fail("GET", f"{NS}/payments", errors.Unavailable("database down"))

    resp = await client.post(POLL, json={"kind": "workflow"})

    assert resp.status_code == 503
    assert resp.json()["code"] == "unavailable"
    assert matching.received == []
