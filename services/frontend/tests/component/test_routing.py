"""Where calls go: workflow calls to the history process owning the workflow's shard (learned
from ``GET /internal/cluster/shards``, refreshed on ``shard_not_owned``), task completions to
the owner of the workflow their token names, namespace calls to any history."""

from __future__ import annotations

from typing import Any

import pytest

from odin_common import errors
from odin_common.hashing import shard_for
from odin_common.tokens import TaskToken

NS = "/api/v1/namespaces"
RUN = "9d7c8c52-7f5e-4c57-8f6d-1f2e3d4c5b6a"
SHARDS = 8
SECOND_OWNS = {1, 2, 4, 7}
"""The shards history2 owns in these tests (history owns the others)."""


def owner_index(workflow_id: str, namespace: str = "default") -> int:
    return int(shard_for(namespace, workflow_id, SHARDS) in SECOND_OWNS)


def split_map(history: Any, history2: Any) -> dict[str, Any]:
    return {
        "shard_count": SHARDS,
        "owners": [history2.url if i in SECOND_OWNS else history.url for i in range(SHARDS)],
    }


def ids_for(owner: int, count: int, namespace: str = "default") -> list[str]:
    out: list[str] = []
    n = 0
    while len(out) < count:
        candidate = f"wf-{n}"
        if owner_index(candidate, namespace) == owner:
            out.append(candidate)
        n += 1
    return out


def task_token(kind: str, workflow_id: str, namespace: str = "default") -> str:
    return TaskToken(
        kind=kind,
        namespace=namespace,
        workflow_id=workflow_id,
        run_id=RUN,
        scheduled_event_id=3,
        attempt=1,
    ).encode()


@pytest.fixture
def two_histories(history: Any, history2: Any) -> tuple[Any, Any]:
    history.shard_map = split_map(history, history2)
    return history, history2


WORKFLOW_CALLS = [
    pytest.param("POST", "", b'{"workflow_type": "W", "task_queue": "q"}', id="start"),
    pytest.param("GET", "", None, id="describe"),
    pytest.param("GET", "/history", None, id="history"),
    pytest.param("GET", "/history?wait_new_event=true", None, id="history_wait"),
    pytest.param("GET", "/result?wait=1s", None, id="result"),
    pytest.param("POST", "/terminate", b"{}", id="terminate"),
    pytest.param("POST", "/signal/approve", b'{"args": [1]}', id="signal"),
    pytest.param(
        "POST",
        "/signal-with-start/approve",
        b'{"workflow_type": "W", "task_queue": "q", "signal_args": [1]}',
        id="signal_with_start",
    ),
    pytest.param("POST", "/query/status", b'{"args": []}', id="query"),
    pytest.param("POST", "/cancel", b'{"reason": "r"}', id="cancel"),
]


@pytest.mark.parametrize(("method", "suffix", "body"), WORKFLOW_CALLS)
async def test_workflow_calls_land_on_the_shard_owner(
    client: Any, two_histories: tuple[Any, Any], method: str, suffix: str, body: bytes | None
) -> None:
    peers = two_histories
    workflow_ids = ids_for(0, 3) + ids_for(1, 3)

    for workflow_id in workflow_ids:
        resp = await client.request(
            method, f"{NS}/default/workflows/{workflow_id}{suffix}", content=body
        )
        assert resp.status_code == 200
        assert resp.json()["peer"] == peers[owner_index(workflow_id)].name

    for index, peer in enumerate(peers):
        landed = {r.path.split("/")[6] for r in peer.received}
        assert landed == {w for w in workflow_ids if owner_index(w) == index}


async def test_the_shard_depends_on_the_namespace_too(
    client: Any, two_histories: tuple[Any, Any]
) -> None:
    history, history2 = two_histories
    # A workflow id whose shard is history's in "default" and history2's in "billing".
    workflow_id = next(w for w in ids_for(0, 50) if owner_index(w, "billing") == 1)

    await client.get(f"{NS}/default/workflows/{workflow_id}")
    await client.get(f"{NS}/billing/workflows/{workflow_id}")

    assert [r.path for r in history.received] == [f"{NS}/default/workflows/{workflow_id}"]
    assert [r.path for r in history2.received] == [f"{NS}/billing/workflows/{workflow_id}"]


async def test_shard_not_owned_refreshes_the_map_and_retries_on_the_new_owner(
    client: Any, history: Any, history2: Any
) -> None:
    history.shard_map = {"shard_count": SHARDS, "owners": [history.url] * SHARDS}
    (moving,) = ids_for(0, 1)
    # The frontend learns the first map...
    assert (await client.get(f"{NS}/default/workflows/{moving}")).json()["peer"] == "history"
    loads = history.shard_map_requests
    # ...then the shard moves to history2, and history refuses calls for it.
    history.shard_map = split_map(history, history2)
    history.shard_map["owners"][shard_for("default", moving, SHARDS)] = history2.url
    history.fail(
        "POST", f"{NS}/default/workflows/{moving}", errors.ShardNotOwned("not mine any more")
    )
    history2.answer(
        "POST",
        f"{NS}/default/workflows/{moving}",
        201,
        {"workflow_id": moving, "run_id": RUN, "started": True},
    )

    resp = await client.post(
        f"{NS}/default/workflows/{moving}", json={"workflow_type": "W", "task_queue": "q"}
    )

    assert resp.status_code == 201
    assert resp.json() == {"workflow_id": moving, "run_id": RUN, "started": True}
    assert history.shard_map_requests == loads + 1
    assert [r.method for r in history.received] == ["GET", "POST"]
    assert [(r.method, r.path) for r in history2.received] == [
        ("POST", f"{NS}/default/workflows/{moving}")
    ]


COMPLETIONS = [
    pytest.param(
        "workflow-tasks/complete", "workflow", '"commands": []', id="complete_workflow_task"
    ),
    pytest.param(
        "workflow-tasks/fail", "workflow", '"failure": {"message": "x"}', id="fail_workflow_task"
    ),
    pytest.param("activity-tasks/heartbeat", "activity", '"details": 1', id="heartbeat"),
    pytest.param("activity-tasks/complete", "activity", '"result": 1', id="complete_activity"),
    pytest.param(
        "activity-tasks/fail", "activity", '"failure": {"message": "x"}', id="fail_activity"
    ),
    pytest.param("activity-tasks/cancel", "activity", '"details": null', id="cancel_activity"),
]


@pytest.mark.parametrize(("endpoint", "kind", "fields"), COMPLETIONS)
async def test_completions_are_routed_by_the_task_token(
    client: Any, two_histories: tuple[Any, Any], endpoint: str, kind: str, fields: str
) -> None:
    peers = two_histories
    for workflow_id in ids_for(0, 2) + ids_for(1, 2):
        body = f'{{"task_token": "{task_token(kind, workflow_id)}", {fields}}}'.encode()

        resp = await client.post(f"{NS}/default/{endpoint}", content=body)

        assert resp.status_code == 200
        owner = peers[owner_index(workflow_id)]
        assert resp.json()["peer"] == owner.name
        assert owner.received[-1].body == body
    assert len(peers[0].received) == len(peers[1].received) == 2


async def test_query_answers_go_to_matching_whatever_workflow_they_name(
    client: Any, two_histories: tuple[Any, Any], matching: Any
) -> None:
    workflow_ids = ids_for(0, 2) + ids_for(1, 2)
    for workflow_id in workflow_ids:
        token = TaskToken(
            kind="query",
            namespace="default",
            workflow_id=workflow_id,
            run_id=RUN,
            scheduled_event_id=1,
            attempt=1,
            query_id=f"q-{workflow_id}",
        ).encode()

        resp = await client.post(
            f"{NS}/default/query-tasks/respond", json={"task_token": token, "result": 1}
        )

        assert resp.json()["peer"] == "matching"
    assert len(matching.received) == len(workflow_ids)
    assert two_histories[0].received == two_histories[1].received == []


async def test_namespace_calls_go_to_the_configured_history(
    client: Any, two_histories: tuple[Any, Any]
) -> None:
    history, history2 = two_histories

    await client.post(NS, json={"name": "payments"})
    await client.get(NS)
    await client.get(f"{NS}/payments")
    await client.patch(f"{NS}/payments", json={"retention_days": 3})
    await client.delete(f"{NS}/payments")

    assert len(history.received) == 5
    assert history2.received == []


async def test_without_a_shard_map_every_call_goes_to_the_configured_history(
    client: Any, history: Any, matching: Any
) -> None:
    for workflow_id in ids_for(0, 2) + ids_for(1, 2):
        resp = await client.get(f"{NS}/default/workflows/{workflow_id}")
        assert resp.json()["peer"] == "history"
