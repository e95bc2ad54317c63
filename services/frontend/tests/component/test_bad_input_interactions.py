"""Bad input to the calls that talk to a run (signal, signal-with-start, query, cancel) and to
the worker's query answer never leaves the frontend: missing, unknown and wrongly typed
fields, bad names in the path, and tokens that are not a query token of the namespace are
answered 4xx problem+json, and no peer receives anything. (Bogus tokens and oversized bodies
on these endpoints are covered with the other endpoints in ``test_bad_input``.)"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest

from odin_common.tokens import TaskToken

NS = "/api/v1/namespaces"
WF = f"{NS}/default/workflows/order-1"
RESPOND = f"{NS}/default/query-tasks/respond"
RUN = "9d7c8c52-7f5e-4c57-8f6d-1f2e3d4c5b6a"
START = {"workflow_type": "OrderWorkflow", "task_queue": "orders"}


def token(kind: str = "query", namespace: str = "default", **fields: Any) -> str:
    values: dict[str, Any] = {
        "kind": kind,
        "namespace": namespace,
        "workflow_id": "order-1",
        "run_id": RUN,
        "scheduled_event_id": 1,
        "attempt": 1,
        "query_id": "q-1" if kind == "query" else None,
        **fields,
    }
    return TaskToken(**values).encode()


QT = token()


@pytest.fixture
async def client(make_frontend: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A frontend whose body limit is large enough to reach the fields' own length limits."""
    async with make_frontend(max_payload_bytes=64 * 1024) as fe:
        yield fe.client


INVALID_TOKEN = "task_token_invalid"
STATUS = {"invalid_argument": 400, INVALID_TOKEN: 400, "not_found": 404, "method_not_allowed": 405}


def case(method: str, target: str, body: Any, name: str, code: str = "invalid_argument") -> Any:
    return pytest.param(method, target, body, STATUS[code], code, id=name)


# (method, target, body, status, code): body None = no body, bytes = sent as is, else JSON.
CASES: list[Any] = [
    # --- POST signal
    case("POST", f"{NS}/-bad/workflows/w/signal/s", {}, "signal-bad_namespace"),
    case("POST", f"{NS}/default/workflows/a%01b/signal/s", {}, "signal-control_char_id"),
    case("POST", f"{NS}/default/workflows/%2E%2E/signal/s", {}, "signal-dot_dot_id"),
    case("POST", f"{NS}/default/workflows/{'w' * 1001}/signal/s", {}, "signal-long_id"),
    case("POST", f"{WF}/signal/a%00b", {}, "signal-nul_in_name"),
    case("POST", f"{WF}/signal/a%0Ab", {}, "signal-newline_in_name"),
    case("POST", f"{WF}/signal/%7F", {}, "signal-del_name"),
    case("POST", f"{WF}/signal/%2E", {}, "signal-dot_name"),
    case("POST", f"{WF}/signal/%2E%2E", {}, "signal-dot_dot_name"),
    case("POST", f"{WF}/signal/{'s' * 1001}", {}, "signal-long_name"),
    case("POST", f"{WF}/signal/", {}, "signal-empty_name", "not_found"),
    case("POST", f"{WF}/signal/approve", {"args": "x"}, "signal-args_not_list"),
    case("POST", f"{WF}/signal/approve", {"args": {"by": "ana"}}, "signal-args_object"),
    case("POST", f"{WF}/signal/approve", {"args": [], "name": "x"}, "signal-unknown_field"),
    case("POST", f"{WF}/signal/approve", {"signal_args": [1]}, "signal-start_field"),
    case("POST", f"{WF}/signal/approve", {"run_id": "bad run"}, "signal-bad_run_id"),
    case("POST", f"{WF}/signal/approve", {"run_id": 5}, "signal-run_id_type"),
    case("POST", f"{WF}/signal/approve", {"run_id": "r" * 65}, "signal-long_run_id"),
    case("POST", f"{WF}/signal/approve", {"request_id": ""}, "signal-empty_request_id"),
    case("POST", f"{WF}/signal/approve", {"request_id": "r" * 256}, "signal-long_request_id"),
    case("POST", f"{WF}/signal/approve", {"request_id": 7}, "signal-request_id_type"),
    case("POST", f"{WF}/signal/approve", b"", "signal-no_body"),
    case("POST", f"{WF}/signal/approve", b'{"args": [', "signal-truncated_json"),
    case("POST", f"{WF}/signal/approve", [], "signal-array_body"),
    case("POST", f"{WF}/signal/approve", "approve", "signal-string_body"),
    # --- POST signal-with-start
    case("POST", f"{NS}/-bad/workflows/w/signal-with-start/s", START, "sws-bad_namespace"),
    case("POST", f"{NS}/default/workflows/a%09b/signal-with-start/s", START, "sws-tab_in_id"),
    case("POST", f"{NS}/default/workflows/%2E/signal-with-start/s", START, "sws-dot_id"),
    case("POST", f"{WF}/signal-with-start/a%1Fb", START, "sws-control_char_name"),
    case("POST", f"{WF}/signal-with-start/%2E%2E", START, "sws-dot_dot_name"),
    case("POST", f"{WF}/signal-with-start/{'s' * 1001}", START, "sws-long_name"),
    case("POST", f"{WF}/signal-with-start/approve", {"task_queue": "q"}, "sws-missing_type"),
    case("POST", f"{WF}/signal-with-start/approve", {"workflow_type": "W"}, "sws-missing_queue"),
    case("POST", f"{WF}/signal-with-start/approve", {}, "sws-empty_body"),
    case(
        "POST",
        f"{WF}/signal-with-start/approve",
        {**START, "signal_args": "x"},
        "sws-signal_args_not_list",
    ),
    case("POST", f"{WF}/signal-with-start/approve", {**START, "input": 1}, "sws-input_not_list"),
    case(
        "POST",
        f"{WF}/signal-with-start/approve",
        {**START, "workflow_type": 7},
        "sws-type_not_string",
    ),
    case(
        "POST",
        f"{WF}/signal-with-start/approve",
        {**START, "args": [1]},
        "sws-signal_field_name",
    ),
    case("POST", f"{WF}/signal-with-start/approve", {**START, "run_id": RUN}, "sws-run_id_field"),
    case(
        "POST",
        f"{WF}/signal-with-start/approve",
        {**START, "execution_timeout": "soon"},
        "sws-malformed_duration",
    ),
    case(
        "POST",
        f"{WF}/signal-with-start/approve",
        {**START, "id_conflict_policy": "maybe"},
        "sws-bad_policy",
    ),
    case(
        "POST",
        f"{WF}/signal-with-start/approve",
        {**START, "retry_policy": {"maximum_attempts": -1}},
        "sws-bad_retry",
    ),
    case("POST", f"{WF}/signal-with-start/approve", b"{not json", "sws-not_json"),
    case("POST", f"{WF}/signal-with-start/approve", b"", "sws-no_body"),
    # --- POST query
    case("POST", f"{NS}/-bad/workflows/w/query/q", {}, "query-bad_namespace"),
    case("POST", f"{NS}/default/workflows/%7F/query/q", {}, "query-del_char_id"),
    case("POST", f"{NS}/default/workflows/%2E%2E/query/q", {}, "query-dot_dot_id"),
    case("POST", f"{WF}/query/a%0Db", {}, "query-control_char_name"),
    case("POST", f"{WF}/query/%2E", {}, "query-dot_name"),
    case("POST", f"{WF}/query/{'q' * 1001}", {}, "query-long_name"),
    case("POST", f"{WF}/query/", {}, "query-empty_name", "not_found"),
    case("POST", f"{WF}/query/status", {"args": "x"}, "query-args_not_list"),
    case("POST", f"{WF}/query/status", {"args": None}, "query-args_null"),
    case("POST", f"{WF}/query/status", {"request_id": "r-1"}, "query-request_id_field"),
    case("POST", f"{WF}/query/status", {"timeout": "5s"}, "query-unknown_field"),
    case("POST", f"{WF}/query/status", {"run_id": "x!"}, "query-bad_run_id"),
    case("POST", f"{WF}/query/status", {"run_id": ["r"]}, "query-run_id_type"),
    case("POST", f"{WF}/query/status", b"", "query-no_body"),
    case("POST", f"{WF}/query/status", b'{"args": []', "query-truncated_json"),
    case("POST", f"{WF}/query/status", 5, "query-number_body"),
    # --- POST cancel
    case("POST", f"{NS}/-bad/workflows/w/cancel", {}, "cancel-bad_namespace"),
    case("POST", f"{NS}/default/workflows/a%0Ab/cancel", {}, "cancel-newline_in_id"),
    case("POST", f"{NS}/default/workflows/%2E/cancel", {}, "cancel-dot_id"),
    case("POST", f"{WF}/cancel", {"reason": 5}, "cancel-reason_type"),
    case("POST", f"{WF}/cancel", {"reason": "r" * 4097}, "cancel-long_reason"),
    case("POST", f"{WF}/cancel", {"details": {"ticket": 1}}, "cancel-details_field"),
    case("POST", f"{WF}/cancel", {"force": True}, "cancel-unknown_field"),
    case("POST", f"{WF}/cancel", {"run_id": "bad run"}, "cancel-bad_run_id"),
    case("POST", f"{WF}/cancel", {"request_id": ""}, "cancel-empty_request_id"),
    case("POST", f"{WF}/cancel", {"request_id": 1}, "cancel-request_id_type"),
    case("POST", f"{WF}/cancel", b"", "cancel-no_body"),
    case("POST", f"{WF}/cancel", b"null", "cancel-null_body"),
    # --- POST query-tasks/respond
    case("POST", f"{NS}/-x/query-tasks/respond", {"task_token": QT}, "respond-bad_namespace"),
    case("POST", f"{NS}/a%20b/query-tasks/respond", {"task_token": QT}, "respond-space_ns"),
    case("POST", RESPOND, {"result": 1}, "respond-missing_token"),
    case("POST", RESPOND, {"task_token": 5}, "respond-token_type"),
    case("POST", RESPOND, {"task_token": None}, "respond-token_null"),
    case("POST", RESPOND, {"task_token": ""}, "respond-empty_token"),
    case("POST", RESPOND, {"task_token": "t" * 8193}, "respond-long_token"),
    case("POST", RESPOND, {"task_token": QT, "results": 1}, "respond-unknown_field"),
    case("POST", RESPOND, {"task_token": QT, "commands": []}, "respond-commands_field"),
    case("POST", RESPOND, {"task_token": QT, "error": 5}, "respond-error_type"),
    case("POST", RESPOND, {"task_token": QT, "error": {"m": 1}}, "respond-error_object"),
    case("POST", RESPOND, {"task_token": QT, "error": "e" * 32769}, "respond-long_error"),
    case("POST", RESPOND, {"task_token": QT, "identity": 3}, "respond-identity_type"),
    case("POST", RESPOND, {"task_token": QT, "identity": "i" * 256}, "respond-long_identity"),
    case("POST", RESPOND, b"", "respond-no_body"),
    case("POST", RESPOND, b'{"task_token": ', "respond-truncated_json"),
    case("POST", RESPOND, [QT], "respond-array_body"),
    case(
        "POST", RESPOND, {"task_token": token("workflow")}, "respond-workflow_token", INVALID_TOKEN
    ),
    case(
        "POST", RESPOND, {"task_token": token("activity")}, "respond-activity_token", INVALID_TOKEN
    ),
    case(
        "POST",
        RESPOND,
        {"task_token": token("workflow", query_id="q-1")},
        "respond-workflow_token_with_query_id",
        INVALID_TOKEN,
    ),
    case(
        "POST", RESPOND, {"task_token": token(query_id=None)}, "respond-no_query_id", INVALID_TOKEN
    ),
    case(
        "POST",
        RESPOND,
        {"task_token": token(namespace="payments"), "result": 1},
        "respond-other_namespace",
        INVALID_TOKEN,
    ),
    # --- methods these paths do not serve
    case("GET", f"{WF}/signal/approve", None, "signal-get", "method_not_allowed"),
    case("GET", f"{WF}/query/status", None, "query-get", "method_not_allowed"),
    case("PUT", f"{WF}/cancel", {}, "cancel-put", "method_not_allowed"),
    case("GET", RESPOND, None, "respond-get", "method_not_allowed"),
]


@pytest.mark.usefixtures("nothing_forwarded")
@pytest.mark.parametrize(("method", "target", "body", "status", "code"), CASES)
async def test_bad_input_is_refused_and_nothing_is_forwarded(
    client: httpx.AsyncClient, method: str, target: str, body: Any, status: int, code: str
) -> None:
    if body is None:
        resp = await client.request(method, target)
    else:
        content = body if isinstance(body, bytes) else orjson.dumps(body)
        resp = await client.request(
            method, target, content=content, headers={"content-type": "application/json"}
        )

    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    problem = resp.json()
    assert problem["code"] == code
    assert problem["status"] == status
    assert problem["detail"]
    if code == "invalid_argument":
        assert problem["errors"], "a validation problem says which fields are wrong"
