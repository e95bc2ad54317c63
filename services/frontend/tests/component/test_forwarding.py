"""Every endpoint forwards the request unchanged to the right peer and passes the answer back
unchanged: status, body bytes, and the peers' problem documents."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, unquote

import httpx
import pytest

from odin_common import clients, errors
from odin_common.tokens import TaskToken

NS = "/api/v1/namespaces"
WF = f"{NS}/default/workflows/order-1"
TQ = f"{NS}/default/task-queues/orders"
RUN = "9d7c8c52-7f5e-4c57-8f6d-1f2e3d4c5b6a"


def token(kind: str, namespace: str = "default", workflow_id: str = "order-1") -> str:
    return TaskToken(
        kind=kind,
        namespace=namespace,
        workflow_id=workflow_id,
        run_id=RUN,
        scheduled_event_id=5,
        attempt=1,
        query_id="q-1" if kind == "query" else None,
    ).encode()


# Bodies as a client might format them: the peer must receive these exact bytes.
START = b'{"workflow_type": "OrderWorkflow",\n "task_queue": "orders", "input": [1, 2.50, "x"]}'
COMPLETE = (
    b'{ "task_token": "%s", "commands": [ {"type": "complete_workflow", "result": 1.0} ] }'
    % token("workflow").encode()
)
SIGNAL_WITH_START = (
    b'{"workflow_type": "OrderWorkflow", "task_queue": "orders",\n "signal_args": [{"by": "ana"}]}'
)
RESPOND = b'{"task_token": "%s",  "result": {"state": 1.50}}' % token("query").encode()
ANSWER = b'{ "answer" :  [1, 2.50, "\\u00e9"], "k": {"z": 1, "a": 2} }'
"""An answer whose formatting a re-serialization would change."""

# (peer, method, target sent and expected upstream, body, status the peer answers)
ENDPOINTS: list[Any] = [
    pytest.param("history", "POST", NS, b'{"name": "payments"}', 201, id="create_namespace"),
    pytest.param(
        "history", "GET", f"{NS}?page_size=5&next_page_token=cGF5", None, 200, id="list_namespaces"
    ),
    pytest.param("history", "GET", f"{NS}/payments", None, 200, id="get_namespace"),
    pytest.param(
        "history", "PATCH", f"{NS}/payments", b'{"retention_days":7}', 200, id="update_namespace"
    ),
    pytest.param("history", "DELETE", f"{NS}/payments", None, 200, id="delete_namespace"),
    pytest.param("history", "POST", WF, START, 201, id="start_workflow_new"),
    pytest.param("history", "POST", WF, START, 200, id="start_workflow_existing"),
    pytest.param("history", "GET", f"{WF}?run_id={RUN}", None, 200, id="describe_workflow"),
    pytest.param(
        "history",
        "GET",
        f"{WF}/history?page_size=2&next_page_token=Mw&event_filter=close",
        None,
        200,
        id="history",
    ),
    pytest.param(
        "history", "GET", f"{WF}/history?wait_new_event=true", None, 200, id="history_wait"
    ),
    pytest.param(
        "history", "GET", f"{WF}/result?wait=2s&run_id={RUN}", None, 200, id="result_closed"
    ),
    pytest.param("history", "GET", f"{WF}/result", None, 202, id="result_running"),
    pytest.param(
        "history", "POST", f"{WF}/terminate", b'{"reason": "bad deploy"}', 200, id="terminate"
    ),
    pytest.param(
        "history",
        "POST",
        f"{WF}/signal/approve",
        b'{"args": [{"by": "ana"}, 2.50],  "request_id": "r-1"}',
        202,
        id="signal",
    ),
    pytest.param(
        "history", "POST", f"{WF}/signal/a%20b%C3%A9", b"{}", 202, id="signal_unusual_name"
    ),
    pytest.param(
        "history",
        "POST",
        f"{WF}/signal-with-start/approve",
        SIGNAL_WITH_START,
        201,
        id="signal_with_start_started",
    ),
    pytest.param(
        "history",
        "POST",
        f"{WF}/signal-with-start/approve",
        SIGNAL_WITH_START,
        200,
        id="signal_with_start_signaled",
    ),
    pytest.param(
        "history",
        "POST",
        f"{WF}/query/status",
        b'{"args": ["line-1"], "run_id": "%s"}' % RUN.encode(),
        200,
        id="query",
    ),
    pytest.param(
        "history", "POST", f"{WF}/cancel", b'{"reason":  "changed my mind"}', 202, id="cancel"
    ),
    pytest.param(
        "matching", "POST", f"{NS}/default/query-tasks/respond", RESPOND, 200, id="respond_query"
    ),
    pytest.param(
        "matching", "POST", f"{TQ}/poll", b'{"kind": "workflow", "wait": "2s"}', 200, id="poll_task"
    ),
    pytest.param("matching", "POST", f"{TQ}/poll", b'{"kind":"activity"}', 204, id="poll_no_task"),
    pytest.param("matching", "GET", TQ, None, 200, id="describe_task_queue"),
    pytest.param(
        "history",
        "POST",
        f"{NS}/default/workflow-tasks/complete",
        COMPLETE,
        200,
        id="complete_workflow_task",
    ),
    pytest.param(
        "history",
        "POST",
        f"{NS}/default/workflow-tasks/fail",
        b'{"task_token": "%s", "failure": {"message": "boom"}}' % token("workflow").encode(),
        200,
        id="fail_workflow_task",
    ),
    pytest.param(
        "history",
        "POST",
        f"{NS}/default/activity-tasks/heartbeat",
        b'{"task_token": "%s", "details": [{"row": 1}]}' % token("activity").encode(),
        200,
        id="heartbeat",
    ),
    pytest.param(
        "history",
        "POST",
        f"{NS}/default/activity-tasks/complete",
        b'{"task_token": "%s", "result": null}' % token("activity").encode(),
        200,
        id="complete_activity",
    ),
    pytest.param(
        "history",
        "POST",
        f"{NS}/default/activity-tasks/fail",
        b'{"task_token": "%s", "failure": {"message": "declined", "non_retryable": true}}'
        % token("activity").encode(),
        200,
        id="fail_activity",
    ),
    pytest.param(
        "history",
        "POST",
        f"{NS}/default/activity-tasks/cancel",
        b'{"task_token": "%s"}' % token("activity").encode(),
        200,
        id="cancel_activity",
    ),
]


@pytest.mark.parametrize(("peer_name", "method", "target", "body", "status"), ENDPOINTS)
async def test_the_request_and_the_answer_pass_through_unchanged(
    client: httpx.AsyncClient,
    history: Any,
    matching: Any,
    peer_name: str,
    method: str,
    target: str,
    body: bytes | None,
    status: int,
) -> None:
    peer = history if peer_name == "history" else matching
    path = target.partition("?")[0]
    answer = b"" if status == 204 else ANSWER
    peer.answer(method, path, status, raw=answer)

    resp = await client.request(method, target, content=body)

    assert resp.status_code == status
    assert resp.content == answer
    if answer:
        assert resp.headers["content-type"] == "application/json"
    assert len(peer.received) == 1
    got = peer.received[0]
    assert (got.method, got.target) == (method, target)
    assert got.body == (body or b"")
    if body:
        assert got.content_type == "application/json"
    if path.endswith("/query-tasks/respond"):
        # A query answer is checked by its token alone: history is not asked anything.
        assert history.received == []
    elif peer is matching:
        # The only call history saw is the namespace check.
        assert [(r.method, r.target) for r in history.received] == [("GET", f"{NS}/default")]
    else:
        assert matching.received == []


@pytest.mark.parametrize(
    "error",
    [
        errors.WorkflowNotFound("workflow 'order-1' not found", workflow_id="order-1"),
        errors.NamespaceNotFound("namespace 'default' not found", namespace="default"),
        errors.InvalidArgument(
            "history refused it", errors=[{"loc": ["x"], "msg": "m", "type": "t"}]
        ),
    ],
    ids=lambda e: e.code.value,
)
async def test_problem_documents_from_history_pass_through(
    client: httpx.AsyncClient, history: Any, error: errors.OdinError
) -> None:
    history.fail("GET", WF, error)

    resp = await client.get(WF)

    assert resp.status_code == error.status
    assert resp.headers["content-type"] == "application/problem+json"
    assert resp.json() == error.to_problem()


async def test_a_conflict_on_start_passes_through(client: httpx.AsyncClient, history: Any) -> None:
    error = errors.WorkflowAlreadyStarted(
        "workflow 'order-1' is already running", workflow_id="order-1", run_id=RUN
    )
    history.fail("POST", WF, error)

    resp = await client.post(WF, content=START)

    assert resp.status_code == 409
    assert resp.json() == error.to_problem()
    assert resp.json()["code"] == "workflow_already_started"
    assert resp.json()["run_id"] == RUN


async def test_namespace_conflict_and_stale_completions_pass_through(
    client: httpx.AsyncClient, history: Any
) -> None:
    exists = errors.NamespaceAlreadyExists("taken", namespace="payments")
    stale = errors.TaskNotFound("already completed", workflow_id="order-1", run_id=RUN)
    history.fail("POST", NS, exists)
    history.fail("POST", f"{NS}/default/workflow-tasks/complete", stale)

    created = await client.post(NS, json={"name": "payments"})
    completed = await client.post(f"{NS}/default/workflow-tasks/complete", content=COMPLETE)

    assert (created.status_code, created.json()) == (409, exists.to_problem())
    assert (completed.status_code, completed.json()) == (404, stale.to_problem())


async def test_problems_from_matching_pass_through(
    client: httpx.AsyncClient, matching: Any
) -> None:
    error = errors.Unavailable("redis is down")
    matching.fail("POST", f"{TQ}/poll", error)

    resp = await client.post(f"{TQ}/poll", json={"kind": "workflow"})

    assert resp.status_code == 503
    assert resp.json() == error.to_problem()
    assert resp.headers["retry-after"] == "1"


async def test_an_unreachable_peer_is_503_unavailable(
    make_frontend: Any, history: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The client retries a refused connection for a while (a peer restarting); not for long here.
    monkeypatch.setattr(clients, "CONNECT_RETRY_SECONDS", 0.2)
    async with make_frontend(matching_url="http://127.0.0.1:9") as fe:
        resp = await fe.client.get(TQ)
    assert resp.status_code == 503
    assert resp.json()["code"] == "unavailable"


@pytest.mark.parametrize(
    "workflow_id",
    ["a b", "é-ü", "100%", "a?b", "a#b", "a+b", "a;b", "a&b=c", "x%2Fy", "..x", "[x]", "a.b"],
)
async def test_workflow_ids_with_unusual_characters_reach_history_intact(
    client: httpx.AsyncClient, history: Any, workflow_id: str
) -> None:
    path = f"{NS}/default/workflows/{quote(workflow_id, safe='')}"

    resp = await client.get(f"{path}?run_id={RUN}")

    assert resp.status_code == 200
    (got,) = history.received
    assert unquote(got.path.rsplit("/", 1)[1]) == workflow_id
    assert got.query == f"run_id={RUN}"


async def test_the_query_string_is_forwarded_as_sent(
    client: httpx.AsyncClient, history: Any
) -> None:
    target = f"{NS}?next_page_token=a%2Bb%3D%3D&page_size=7&unknown=kept"

    resp = await client.get(target)

    assert resp.status_code == 200
    assert history.received[0].target == target


async def test_answers_are_not_reserialized(client: httpx.AsyncClient, history: Any) -> None:
    odd = b'{"namespaces":[],"next_page_token":null,  "extra": 1e400}'
    history.answer("GET", NS, 200, raw=odd)

    resp = await client.get(NS)

    assert resp.content == odd


# The errors history (or matching) answers on the calls that talk to a run: passed back as is.
INTERACTION_PROBLEMS = [
    pytest.param(
        "history",
        f"{WF}/signal/approve",
        b"{}",
        errors.WorkflowNotFound("workflow 'order-1' not found", workflow_id="order-1"),
        id="signal-workflow_not_found",
    ),
    pytest.param(
        "history",
        f"{WF}/signal/approve",
        b"{}",
        errors.WorkflowNotRunning(
            "workflow 'order-1' is not running (completed)", workflow_id="order-1", run_id=RUN
        ),
        id="signal-workflow_not_running",
    ),
    pytest.param(
        "history",
        f"{WF}/signal-with-start/approve",
        SIGNAL_WITH_START,
        errors.WorkflowAlreadyStarted(
            "a run of 'order-1' already completed", workflow_id="order-1", run_id=RUN
        ),
        id="signal_with_start-workflow_already_started",
    ),
    pytest.param(
        "history",
        f"{WF}/query/status",
        b"{}",
        errors.QueryFailed("unknown query 'status'; known: progress"),
        id="query-query_failed",
    ),
    pytest.param(
        "history",
        f"{WF}/query/status",
        b"{}",
        errors.QueryTimeout("no worker answered the query within 10s"),
        id="query-query_timeout",
    ),
    pytest.param(
        "history",
        f"{WF}/query/status",
        b"{}",
        errors.WorkflowNotFound("workflow 'order-1' not found", workflow_id="order-1"),
        id="query-workflow_not_found",
    ),
    pytest.param(
        "history",
        f"{WF}/cancel",
        b"{}",
        errors.WorkflowNotRunning(
            "workflow 'order-1' is not running (canceled)", workflow_id="order-1", run_id=RUN
        ),
        id="cancel-workflow_not_running",
    ),
    pytest.param(
        "history",
        f"{WF}/cancel",
        b"{}",
        errors.NamespaceNotFound("namespace 'default' not found", namespace="default"),
        id="cancel-namespace_not_found",
    ),
    pytest.param(
        "matching",
        f"{NS}/default/query-tasks/respond",
        RESPOND,
        errors.TaskNotFound("nobody waits for this query any more"),
        id="respond_query-task_not_found",
    ),
]


@pytest.mark.parametrize(("peer_name", "target", "body", "error"), INTERACTION_PROBLEMS)
async def test_problems_of_signals_queries_and_cancellation_pass_through(
    client: httpx.AsyncClient,
    history: Any,
    matching: Any,
    peer_name: str,
    target: str,
    body: bytes,
    error: errors.OdinError,
) -> None:
    peer = history if peer_name == "history" else matching
    peer.fail("POST", target, error)

    resp = await client.post(target, content=body)

    assert resp.status_code == error.status
    assert resp.headers["content-type"] == "application/problem+json"
    assert resp.json() == error.to_problem()
    assert [r.body for r in peer.received] == [body]
