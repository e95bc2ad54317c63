"""The error examples in the OpenAPI document are what the frontend really answers."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from odin_common import errors
from odin_frontend import openapi

NS = "/api/v1/namespaces"
WF = f"{NS}/default/workflows/order-1"

DOCUMENTED = [
    pytest.param(openapi.INVALID_NAME, "POST", NS, {"name": "-payments"}, id="name"),
    pytest.param(openapi.INVALID_PAGE_SIZE, "GET", f"{NS}?page_size=5000", None, id="page_size"),
    pytest.param(openapi.INVALID_NAMESPACE, "GET", f"{NS}/-payments", None, id="namespace"),
    pytest.param(openapi.INVALID_START, "POST", WF, {"workflow_type": "OrderWorkflow"}, id="start"),
    pytest.param(openapi.INVALID_RUN_ID, "GET", f"{WF}?run_id=latest!", None, id="run_id"),
    pytest.param(
        openapi.INVALID_FILTER, "GET", f"{WF}/history?event_filter=closed", None, id="filter"
    ),
    pytest.param(
        openapi.INVALID_RESULT_WAIT, "GET", f"{WF}/result?wait=5min", None, id="result_wait"
    ),
    pytest.param(
        openapi.INVALID_EXTRA, "POST", f"{WF}/terminate", {"reason": "x", "force": True}, id="extra"
    ),
    pytest.param(
        openapi.INVALID_POLL_WAIT,
        "POST",
        f"{NS}/default/task-queues/orders/poll",
        {"kind": "activity", "wait": "5m"},
        id="poll_wait",
    ),
    pytest.param(
        openapi.INVALID_TOKEN_MISSING,
        "POST",
        f"{NS}/default/activity-tasks/complete",
        {"result": 1},
        id="token_missing",
    ),
    pytest.param(
        openapi.TOKEN_INVALID,
        "POST",
        f"{NS}/default/workflow-tasks/complete",
        {"task_token": "not-a-token"},
        id="token_invalid",
    ),
    pytest.param(openapi.INVALID_ARGS, "POST", f"{WF}/signal/approve", {"args": 1}, id="signal"),
    pytest.param(
        openapi.INVALID_SIGNAL_ARGS,
        "POST",
        f"{WF}/signal-with-start/approve",
        {"workflow_type": "W", "task_queue": "q", "signal_args": {"by": "ana"}},
        id="signal_with_start",
    ),
    pytest.param(openapi.INVALID_ARGS, "POST", f"{WF}/query/status", {"args": "x"}, id="query"),
    pytest.param(openapi.INVALID_EXTRA, "POST", f"{WF}/cancel", {"force": True}, id="cancel"),
    pytest.param(
        openapi.INVALID_TOKEN_MISSING,
        "POST",
        f"{NS}/default/query-tasks/respond",
        {"result": 1},
        id="respond_token_missing",
    ),
    pytest.param(
        openapi.TOKEN_INVALID,
        "POST",
        f"{NS}/default/query-tasks/respond",
        {"task_token": "not-a-token", "result": 1},
        id="respond_token_invalid",
    ),
]


@pytest.mark.usefixtures("nothing_forwarded")
@pytest.mark.parametrize(("example", "method", "target", "body"), DOCUMENTED)
async def test_documented_problems_are_the_real_answers(
    client: httpx.AsyncClient, example: errors.OdinError, method: str, target: str, body: Any
) -> None:
    resp = await client.request(method, target, json=body)

    assert resp.status_code == example.status
    assert resp.json() == example.to_problem()


async def test_the_documented_size_limit_is_the_default(make_frontend: Any) -> None:
    async with make_frontend(max_payload_bytes=2 * 1024 * 1024) as fe:
        resp = await fe.client.post(NS, content=b" " * (2 * 1024 * 1024 + 1))

    assert resp.json() == openapi.TOO_LARGE.to_problem()
