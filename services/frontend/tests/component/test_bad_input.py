"""Bad input never leaves the frontend: for every endpoint, missing fields, wrong types,
unknown fields, malformed durations, bad names in paths, bogus task tokens and oversized
bodies are answered 4xx problem+json with a stable code, and no peer receives anything
(not even the namespace check)."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import orjson
import pytest

from odin_common.tokens import TaskToken
from odin_frontend.settings import FrontendSettings

NS = "/api/v1/namespaces"
WF = f"{NS}/default/workflows/order-1"
TQ = f"{NS}/default/task-queues/orders"
RUN = "9d7c8c52-7f5e-4c57-8f6d-1f2e3d4c5b6a"
LIMIT = 4096  # max_payload_bytes of the test frontend


def token(kind: str = "workflow", namespace: str = "default", **fields: Any) -> str:
    values: dict[str, Any] = {
        "kind": kind,
        "namespace": namespace,
        "workflow_id": "order-1",
        "run_id": RUN,
        "scheduled_event_id": 2,
        "attempt": 1,
        **fields,
    }
    return TaskToken(**values).encode()


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


WT = token("workflow")
AT = token("activity")
START = {"workflow_type": "OrderWorkflow", "task_queue": "orders"}

BOGUS_TOKENS = [
    pytest.param("not a token", id="garbage"),
    pytest.param("", id="empty"),
    pytest.param(b64(b"not json"), id="base64_of_text"),
    pytest.param(b64(b'{"kind": "workflow"}'), id="missing_fields"),
    pytest.param(b64(b"[1, 2]"), id="json_array"),
    pytest.param(
        b64(orjson.dumps({**TaskToken.decode(WT).model_dump(), "extra": 1})), id="unknown_field"
    ),
    pytest.param(b64(orjson.dumps({**TaskToken.decode(WT).model_dump(), "v": 2})), id="version_2"),
    pytest.param(token(namespace="payments"), id="other_namespace"),
]

# (method, target, body, status, code): body None = no body, bytes = sent as is, else JSON.
CASES: list[Any] = [
    # --- POST /namespaces
    pytest.param("POST", NS, {}, 400, "invalid_argument", id="create_ns-missing_name"),
    pytest.param("POST", NS, {"name": 5}, 400, "invalid_argument", id="create_ns-name_type"),
    pytest.param("POST", NS, {"name": "-bad"}, 400, "invalid_argument", id="create_ns-bad_name"),
    pytest.param(
        "POST", NS, {"name": "a b"}, 400, "invalid_argument", id="create_ns-space_in_name"
    ),
    pytest.param(
        "POST", NS, {"name": "x" * 256}, 400, "invalid_argument", id="create_ns-long_name"
    ),
    pytest.param(
        "POST",
        NS,
        {"name": "p", "retention_days": -1},
        400,
        "invalid_argument",
        id="create_ns-negative_retention",
    ),
    pytest.param(
        "POST",
        NS,
        {"name": "p", "retention_days": "long"},
        400,
        "invalid_argument",
        id="create_ns-retention_type",
    ),
    pytest.param(
        "POST",
        NS,
        {"name": "p", "owner": "me"},
        400,
        "invalid_argument",
        id="create_ns-unknown_field",
    ),
    pytest.param("POST", NS, b"{not json", 400, "invalid_argument", id="create_ns-not_json"),
    pytest.param("POST", NS, None, 400, "invalid_argument", id="create_ns-no_body"),
    pytest.param("POST", NS, [], 400, "invalid_argument", id="create_ns-array"),
    # --- GET /namespaces
    pytest.param(
        "GET", f"{NS}?page_size=0", None, 400, "invalid_argument", id="list_ns-page_size_0"
    ),
    pytest.param(
        "GET", f"{NS}?page_size=1001", None, 400, "invalid_argument", id="list_ns-page_size_1001"
    ),
    pytest.param(
        "GET", f"{NS}?page_size=ten", None, 400, "invalid_argument", id="list_ns-page_size_type"
    ),
    pytest.param(
        "GET",
        f"{NS}?next_page_token={'x' * 5000}",
        None,
        400,
        "invalid_argument",
        id="list_ns-long_token",
    ),
    # --- GET/PATCH/DELETE /namespaces/{ns}
    pytest.param("GET", f"{NS}/-bad", None, 400, "invalid_argument", id="get_ns-bad_name"),
    pytest.param("GET", f"{NS}/{'x' * 256}", None, 400, "invalid_argument", id="get_ns-long_name"),
    pytest.param("GET", f"{NS}/a%20b", None, 400, "invalid_argument", id="get_ns-space"),
    pytest.param(
        "PATCH",
        f"{NS}/-bad",
        {"retention_days": 1},
        400,
        "invalid_argument",
        id="update_ns-bad_name",
    ),
    pytest.param(
        "PATCH",
        f"{NS}/p",
        {"retention_days": "x"},
        400,
        "invalid_argument",
        id="update_ns-retention_type",
    ),
    pytest.param(
        "PATCH",
        f"{NS}/p",
        {"retention_days": 99999},
        400,
        "invalid_argument",
        id="update_ns-retention_range",
    ),
    pytest.param(
        "PATCH",
        f"{NS}/p",
        {"name": "renamed"},
        400,
        "invalid_argument",
        id="update_ns-unknown_field",
    ),
    pytest.param("PATCH", f"{NS}/p", b"", 400, "invalid_argument", id="update_ns-empty_body"),
    pytest.param("DELETE", f"{NS}/-bad", None, 400, "invalid_argument", id="delete_ns-bad_name"),
    pytest.param("DELETE", f"{NS}/%00", None, 400, "invalid_argument", id="delete_ns-nul"),
    # --- POST start
    pytest.param(
        "POST", f"{NS}/-bad/workflows/w", START, 400, "invalid_argument", id="start-bad_namespace"
    ),
    pytest.param(
        "POST",
        f"{NS}/default/workflows/a%01b",
        START,
        400,
        "invalid_argument",
        id="start-control_char_id",
    ),
    pytest.param(
        "POST",
        f"{NS}/default/workflows/%2E%2E",
        START,
        400,
        "invalid_argument",
        id="start-dot_dot_id",
    ),
    pytest.param(
        "POST",
        f"{NS}/default/workflows/{'w' * 1001}",
        START,
        400,
        "invalid_argument",
        id="start-long_id",
    ),
    pytest.param(
        "POST", WF, {"task_queue": "orders"}, 400, "invalid_argument", id="start-missing_type"
    ),
    pytest.param(
        "POST", WF, {"workflow_type": "W"}, 400, "invalid_argument", id="start-missing_queue"
    ),
    pytest.param(
        "POST", WF, {**START, "input": "x"}, 400, "invalid_argument", id="start-input_not_list"
    ),
    pytest.param(
        "POST",
        WF,
        {**START, "workflow_type": 7},
        400,
        "invalid_argument",
        id="start-type_not_string",
    ),
    pytest.param(
        "POST", WF, {**START, "priority": 1}, 400, "invalid_argument", id="start-unknown_field"
    ),
    pytest.param(
        "POST",
        WF,
        {**START, "execution_timeout": "soon"},
        400,
        "invalid_argument",
        id="start-malformed_duration",
    ),
    pytest.param(
        "POST",
        WF,
        {**START, "run_timeout": "-5s"},
        400,
        "invalid_argument",
        id="start-negative_duration",
    ),
    pytest.param(
        "POST",
        WF,
        {**START, "id_reuse_policy": "sometimes"},
        400,
        "invalid_argument",
        id="start-bad_policy",
    ),
    pytest.param(
        "POST",
        WF,
        {**START, "retry_policy": {"backoff_coefficient": 0.5}},
        400,
        "invalid_argument",
        id="start-bad_retry",
    ),
    pytest.param(
        "POST",
        WF,
        {**START, "retry_policy": {"initial_interval": "1 sec"}},
        400,
        "invalid_argument",
        id="start-retry_duration",
    ),
    pytest.param(
        "POST", WF, b'{"workflow_type": "W", ', 400, "invalid_argument", id="start-truncated_json"
    ),
    pytest.param(
        "POST",
        WF,
        {**START, "input": [2**64]},
        400,
        "invalid_argument",
        id="start-int_beyond_64_bits",
    ),
    pytest.param(
        "POST",
        WF,
        {**START, "memo": {"n": -(2**63) - 1}},
        400,
        "invalid_argument",
        id="start-memo_int_beyond_64_bits",
    ),
    pytest.param(
        "POST",
        WF,
        {**START, "cron_schedule": "every tuesday"},
        400,
        "invalid_argument",
        id="start-bad_cron",
    ),
    pytest.param(
        "POST",
        WF,
        {**START, "cron_schedule": "0 * * * *", "start_delay": "1m"},
        400,
        "invalid_argument",
        id="start-cron_and_delay",
    ),
    pytest.param(
        "POST",
        f"{WF}/signal/approve",
        {"args": [{"n": 2**70}]},
        400,
        "invalid_argument",
        id="signal-int_beyond_64_bits",
    ),
    pytest.param(
        "POST",
        f"{NS}/default/activity-tasks/complete",
        {"task_token": AT, "result": 2**64},
        400,
        "invalid_argument",
        id="complete_at-int_beyond_64_bits",
    ),
    pytest.param(
        "POST",
        f"{NS}/default/workflow-tasks/complete",
        {"task_token": WT, "commands": [{"type": "complete_workflow", "result": [2**64]}]},
        400,
        "invalid_argument",
        id="complete_wt-int_beyond_64_bits",
    ),
    pytest.param(
        "POST",
        f"{NS}/default/workflow-tasks/complete",
        {
            "task_token": WT,
            "commands": [
                {
                    "type": "start_child_workflow",
                    "workflow_id": "c",
                    "workflow_type": "C",
                    "cron_schedule": "nope",
                }
            ],
        },
        400,
        "invalid_argument",
        id="complete_wt-child_bad_cron",
    ),
    # --- GET describe
    pytest.param(
        "GET", f"{NS}/-bad/workflows/w", None, 400, "invalid_argument", id="describe-bad_namespace"
    ),
    pytest.param(
        "GET",
        f"{NS}/default/workflows/%7F",
        None,
        400,
        "invalid_argument",
        id="describe-del_char_id",
    ),
    pytest.param(
        "GET", f"{NS}/default/workflows/%2e", None, 400, "invalid_argument", id="describe-dot_id"
    ),
    pytest.param(
        "GET", f"{WF}?run_id=not%20a%20run", None, 400, "invalid_argument", id="describe-bad_run_id"
    ),
    pytest.param(
        "GET", f"{WF}?run_id={'a' * 65}", None, 400, "invalid_argument", id="describe-long_run_id"
    ),
    pytest.param("GET", f"{WF}?run_id=", None, 400, "invalid_argument", id="describe-empty_run_id"),
    # --- GET history
    pytest.param(
        "GET", f"{WF}/history?page_size=0", None, 400, "invalid_argument", id="history-page_size_0"
    ),
    pytest.param(
        "GET",
        f"{WF}/history?page_size=many",
        None,
        400,
        "invalid_argument",
        id="history-page_size_type",
    ),
    pytest.param(
        "GET",
        f"{WF}/history?event_filter=some",
        None,
        400,
        "invalid_argument",
        id="history-bad_filter",
    ),
    pytest.param(
        "GET",
        f"{WF}/history?wait_new_event=maybe",
        None,
        400,
        "invalid_argument",
        id="history-bad_bool",
    ),
    pytest.param(
        "GET", f"{WF}/history?run_id=%2F", None, 400, "invalid_argument", id="history-bad_run_id"
    ),
    pytest.param(
        "GET",
        f"{NS}/default/workflows/a%09b/history",
        None,
        400,
        "invalid_argument",
        id="history-tab_in_id",
    ),
    # --- GET result
    pytest.param(
        "GET", f"{WF}/result?wait=soon", None, 400, "invalid_argument", id="result-malformed_wait"
    ),
    pytest.param(
        "GET", f"{WF}/result?wait=61s", None, 400, "invalid_argument", id="result-wait_too_long"
    ),
    pytest.param(
        "GET", f"{WF}/result?wait=-1s", None, 400, "invalid_argument", id="result-negative_wait"
    ),
    pytest.param(
        "GET", f"{WF}/result?wait=", None, 400, "invalid_argument", id="result-empty_wait"
    ),
    pytest.param(
        "GET", f"{WF}/result?run_id=x!", None, 400, "invalid_argument", id="result-bad_run_id"
    ),
    pytest.param(
        "GET",
        f"{NS}/ba%20d/workflows/w/result",
        None,
        400,
        "invalid_argument",
        id="result-bad_namespace",
    ),
    # --- POST terminate
    pytest.param(
        "POST",
        f"{WF}/terminate",
        {"force": True},
        400,
        "invalid_argument",
        id="terminate-unknown_field",
    ),
    pytest.param(
        "POST",
        f"{WF}/terminate",
        {"reason": 5},
        400,
        "invalid_argument",
        id="terminate-reason_type",
    ),
    pytest.param(
        "POST",
        f"{WF}/terminate",
        {"run_id": "bad run"},
        400,
        "invalid_argument",
        id="terminate-bad_run_id",
    ),
    pytest.param("POST", f"{WF}/terminate", b"", 400, "invalid_argument", id="terminate-no_body"),
    pytest.param(
        "POST",
        f"{NS}/default/workflows/%2E/terminate",
        {},
        400,
        "invalid_argument",
        id="terminate-dot_id",
    ),
    # --- POST poll
    pytest.param("POST", f"{TQ}/poll", {}, 400, "invalid_argument", id="poll-missing_kind"),
    pytest.param(
        "POST", f"{TQ}/poll", {"kind": "query"}, 400, "invalid_argument", id="poll-bad_kind"
    ),
    pytest.param("POST", f"{TQ}/poll", {"kind": 1}, 400, "invalid_argument", id="poll-kind_type"),
    pytest.param(
        "POST",
        f"{TQ}/poll",
        {"kind": "workflow", "wait": "soon"},
        400,
        "invalid_argument",
        id="poll-malformed_wait",
    ),
    pytest.param(
        "POST",
        f"{TQ}/poll",
        {"kind": "workflow", "wait": "2m"},
        400,
        "invalid_argument",
        id="poll-wait_too_long",
    ),
    pytest.param(
        "POST",
        f"{TQ}/poll",
        {"kind": "workflow", "wait": True},
        400,
        "invalid_argument",
        id="poll-wait_bool",
    ),
    pytest.param(
        "POST",
        f"{TQ}/poll",
        {"kind": "workflow", "sticky": True},
        400,
        "invalid_argument",
        id="poll-unknown_field",
    ),
    pytest.param(
        "POST",
        f"{TQ}/poll",
        {"kind": "workflow", "identity": "x" * 256},
        400,
        "invalid_argument",
        id="poll-long_identity",
    ),
    pytest.param(
        "POST",
        f"{NS}/-x/task-queues/q/poll",
        {"kind": "workflow"},
        400,
        "invalid_argument",
        id="poll-bad_namespace",
    ),
    pytest.param(
        "POST",
        f"{NS}/default/task-queues/a%0Ab/poll",
        {"kind": "workflow"},
        400,
        "invalid_argument",
        id="poll-newline_queue",
    ),
    pytest.param(
        "POST",
        f"{NS}/default/task-queues/%2E%2E/poll",
        {"kind": "workflow"},
        400,
        "invalid_argument",
        id="poll-dot_dot_queue",
    ),
    # --- GET task queue
    pytest.param(
        "GET",
        f"{NS}/-x/task-queues/q",
        None,
        400,
        "invalid_argument",
        id="describe_tq-bad_namespace",
    ),
    pytest.param(
        "GET",
        f"{NS}/default/task-queues/%00",
        None,
        400,
        "invalid_argument",
        id="describe_tq-nul_queue",
    ),
    pytest.param(
        "GET",
        f"{NS}/default/task-queues/{'q' * 1001}",
        None,
        400,
        "invalid_argument",
        id="describe_tq-long_queue",
    ),
    # --- POST workflow-tasks/complete
    pytest.param(
        "POST",
        f"{NS}/default/workflow-tasks/complete",
        {"commands": []},
        400,
        "invalid_argument",
        id="complete_wt-missing_token",
    ),
    pytest.param(
        "POST",
        f"{NS}/default/workflow-tasks/complete",
        {"task_token": 5},
        400,
        "invalid_argument",
        id="complete_wt-token_type",
    ),
    pytest.param(
        "POST",
        f"{NS}/default/workflow-tasks/complete",
        {"task_token": WT, "commands": {}},
        400,
        "invalid_argument",
        id="complete_wt-commands_type",
    ),
    pytest.param(
        "POST",
        f"{NS}/default/workflow-tasks/complete",
        {"task_token": WT, "commands": [{"type": "launch_rocket"}]},
        400,
        "invalid_argument",
        id="complete_wt-unknown_command",
    ),
    pytest.param(
        "POST",
        f"{NS}/default/workflow-tasks/complete",
        {"task_token": WT, "commands": [{"type": "schedule_activity", "activity_id": "1"}]},
        400,
        "invalid_argument",
        id="complete_wt-command_missing_field",
    ),
    pytest.param(
        "POST",
        f"{NS}/default/workflow-tasks/complete",
        {
            "task_token": WT,
            "commands": [{"type": "start_timer", "timer_id": "t", "start_to_fire_timeout": "soon"}],
        },
        400,
        "invalid_argument",
        id="complete_wt-malformed_duration",
    ),
    pytest.param(
        "POST",
        f"{NS}/default/workflow-tasks/complete",
        {"task_token": WT, "commands": [{"type": "cancel_timer", "timer_id": "t", "extra": 1}]},
        400,
        "invalid_argument",
        id="complete_wt-command_unknown_field",
    ),
    pytest.param(
        "POST",
        f"{NS}/default/workflow-tasks/complete",
        {"task_token": WT, "sticky": "q2", "commands": []},
        400,
        "invalid_argument",
        id="complete_wt-unknown_field",
    ),
    pytest.param(
        "POST",
        f"{NS}/default/workflow-tasks/complete",
        {"task_token": AT, "commands": []},
        400,
        "task_token_invalid",
        id="complete_wt-activity_token",
    ),
    pytest.param(
        "POST",
        f"{NS}/-x/workflow-tasks/complete",
        {"task_token": WT},
        400,
        "invalid_argument",
        id="complete_wt-bad_namespace",
    ),
    # --- POST workflow-tasks/fail
    pytest.param(
        "POST",
        f"{NS}/default/workflow-tasks/fail",
        {"task_token": WT},
        400,
        "invalid_argument",
        id="fail_wt-missing_failure",
    ),
    pytest.param(
        "POST",
        f"{NS}/default/workflow-tasks/fail",
        {"task_token": WT, "failure": "boom"},
        400,
        "invalid_argument",
        id="fail_wt-failure_type",
    ),
    pytest.param(
        "POST",
        f"{NS}/default/workflow-tasks/fail",
        {"task_token": WT, "failure": {"message": "m"}, "cause": "gremlins"},
        400,
        "invalid_argument",
        id="fail_wt-bad_cause",
    ),
    pytest.param(
        "POST",
        f"{NS}/default/workflow-tasks/fail",
        {"task_token": WT, "failure": {"message": "m", "why": 1}},
        400,
        "invalid_argument",
        id="fail_wt-failure_unknown_field",
    ),
    pytest.param(
        "POST",
        f"{NS}/default/workflow-tasks/fail",
        {"task_token": AT, "failure": {"message": "m"}},
        400,
        "task_token_invalid",
        id="fail_wt-activity_token",
    ),
    # --- POST activity-tasks/heartbeat
    pytest.param(
        "POST",
        f"{NS}/default/activity-tasks/heartbeat",
        {"details": 1},
        400,
        "invalid_argument",
        id="heartbeat-missing_token",
    ),
    pytest.param(
        "POST",
        f"{NS}/default/activity-tasks/heartbeat",
        {"task_token": AT, "progress": 1},
        400,
        "invalid_argument",
        id="heartbeat-unknown_field",
    ),
    pytest.param(
        "POST",
        f"{NS}/default/activity-tasks/heartbeat",
        {"task_token": ["a"]},
        400,
        "invalid_argument",
        id="heartbeat-token_type",
    ),
    pytest.param(
        "POST",
        f"{NS}/default/activity-tasks/heartbeat",
        {"task_token": WT},
        400,
        "task_token_invalid",
        id="heartbeat-workflow_token",
    ),
    # --- POST activity-tasks/complete
    pytest.param(
        "POST",
        f"{NS}/default/activity-tasks/complete",
        {"result": 1},
        400,
        "invalid_argument",
        id="complete_at-missing_token",
    ),
    pytest.param(
        "POST",
        f"{NS}/default/activity-tasks/complete",
        {"task_token": AT, "results": 1},
        400,
        "invalid_argument",
        id="complete_at-unknown_field",
    ),
    pytest.param(
        "POST",
        f"{NS}/default/activity-tasks/complete",
        {"task_token": AT, "identity": 3},
        400,
        "invalid_argument",
        id="complete_at-identity_type",
    ),
    pytest.param(
        "POST",
        f"{NS}/default/activity-tasks/complete",
        {"task_token": WT},
        400,
        "task_token_invalid",
        id="complete_at-workflow_token",
    ),
    # --- POST activity-tasks/fail
    pytest.param(
        "POST",
        f"{NS}/default/activity-tasks/fail",
        {"task_token": AT},
        400,
        "invalid_argument",
        id="fail_at-missing_failure",
    ),
    pytest.param(
        "POST",
        f"{NS}/default/activity-tasks/fail",
        {"task_token": AT, "failure": {"message": "m", "non_retryable": "yes please"}},
        400,
        "invalid_argument",
        id="fail_at-non_retryable_type",
    ),
    pytest.param(
        "POST",
        f"{NS}/default/activity-tasks/fail",
        {"task_token": AT, "failure": {"message": "m"}, "retry": False},
        400,
        "invalid_argument",
        id="fail_at-unknown_field",
    ),
    pytest.param(
        "POST",
        f"{NS}/default/activity-tasks/fail",
        {"task_token": WT, "failure": {"message": "m"}},
        400,
        "task_token_invalid",
        id="fail_at-workflow_token",
    ),
    # --- POST activity-tasks/cancel
    pytest.param(
        "POST",
        f"{NS}/default/activity-tasks/cancel",
        {},
        400,
        "invalid_argument",
        id="cancel_at-missing_token",
    ),
    pytest.param(
        "POST",
        f"{NS}/default/activity-tasks/cancel",
        {"task_token": AT, "reason": "x"},
        400,
        "invalid_argument",
        id="cancel_at-unknown_field",
    ),
    pytest.param(
        "POST",
        f"{NS}/default/activity-tasks/cancel",
        {"task_token": WT},
        400,
        "task_token_invalid",
        id="cancel_at-workflow_token",
    ),
    # --- unknown paths and methods
    pytest.param("GET", f"{NS}/default/nothing-here", None, 404, "not_found", id="unknown_path"),
    pytest.param(
        "PUT", f"{NS}/default", {"retention_days": 1}, 405, "method_not_allowed", id="wrong_method"
    ),
]


def _send(client: httpx.AsyncClient, method: str, target: str, body: Any) -> Any:
    if body is None:
        return client.request(method, target)
    # json.dumps, not orjson: these bodies include integers beyond 64 bits on purpose.
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.request(
        method, target, content=content, headers={"content-type": "application/json"}
    )


@pytest.mark.usefixtures("nothing_forwarded")
@pytest.mark.parametrize(("method", "target", "body", "status", "code"), CASES)
async def test_bad_input_is_refused_and_nothing_is_forwarded(
    client: httpx.AsyncClient, method: str, target: str, body: Any, status: int, code: str
) -> None:
    resp = await _send(client, method, target, body)

    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    problem = resp.json()
    assert problem["code"] == code
    assert problem["status"] == status
    assert problem["detail"]
    if code == "invalid_argument":
        assert problem["errors"], "a validation problem says which fields are wrong"


TOKEN_ENDPOINTS = [
    pytest.param("workflow-tasks/complete", {"commands": []}, id="complete_workflow_task"),
    pytest.param("workflow-tasks/fail", {"failure": {"message": "m"}}, id="fail_workflow_task"),
    pytest.param("activity-tasks/heartbeat", {}, id="heartbeat"),
    pytest.param("activity-tasks/complete", {"result": 1}, id="complete_activity"),
    pytest.param("activity-tasks/fail", {"failure": {"message": "m"}}, id="fail_activity"),
    pytest.param("activity-tasks/cancel", {}, id="cancel_activity"),
    pytest.param("query-tasks/respond", {"result": 1}, id="respond_query"),
]


@pytest.mark.usefixtures("nothing_forwarded")
@pytest.mark.parametrize("bogus", BOGUS_TOKENS)
@pytest.mark.parametrize(("endpoint", "fields"), TOKEN_ENDPOINTS)
async def test_bogus_task_tokens_are_refused_by_the_frontend(
    client: httpx.AsyncClient, endpoint: str, fields: dict[str, Any], bogus: str
) -> None:
    resp = await client.post(f"{NS}/default/{endpoint}", json={"task_token": bogus, **fields})

    assert resp.status_code == 400
    assert resp.headers["content-type"] == "application/problem+json"
    # An empty token fails the body's own validation; every other one is a bad token.
    assert resp.json()["code"] == ("invalid_argument" if bogus == "" else "task_token_invalid")


BODY_ENDPOINTS = [
    pytest.param("POST", NS, id="create_namespace"),
    pytest.param("PATCH", f"{NS}/payments", id="update_namespace"),
    pytest.param("POST", WF, id="start_workflow"),
    pytest.param("POST", f"{WF}/terminate", id="terminate"),
    pytest.param("POST", f"{TQ}/poll", id="poll"),
    pytest.param("POST", f"{NS}/default/workflow-tasks/complete", id="complete_workflow_task"),
    pytest.param("POST", f"{NS}/default/workflow-tasks/fail", id="fail_workflow_task"),
    pytest.param("POST", f"{NS}/default/activity-tasks/heartbeat", id="heartbeat"),
    pytest.param("POST", f"{NS}/default/activity-tasks/complete", id="complete_activity"),
    pytest.param("POST", f"{NS}/default/activity-tasks/fail", id="fail_activity"),
    pytest.param("POST", f"{NS}/default/activity-tasks/cancel", id="cancel_activity"),
    pytest.param("POST", f"{WF}/signal/approve", id="signal"),
    pytest.param("POST", f"{WF}/signal-with-start/approve", id="signal_with_start"),
    pytest.param("POST", f"{WF}/query/status", id="query"),
    pytest.param("POST", f"{WF}/cancel", id="cancel"),
    pytest.param("POST", f"{NS}/default/query-tasks/respond", id="respond_query"),
]


@pytest.mark.usefixtures("nothing_forwarded")
@pytest.mark.parametrize(("method", "target"), BODY_ENDPOINTS)
async def test_oversized_bodies_are_413(
    client: httpx.AsyncClient, method: str, target: str
) -> None:
    body = orjson.dumps({"task_token": WT, "result": "x" * LIMIT})

    resp = await client.request(method, target, content=body)

    assert resp.status_code == 413
    assert resp.headers["content-type"] == "application/problem+json"
    assert resp.json()["code"] == "payload_too_large"


@pytest.mark.usefixtures("nothing_forwarded")
async def test_oversized_chunked_bodies_are_413(client: httpx.AsyncClient) -> None:
    async def chunks() -> Any:
        for _ in range(10):
            yield b"x" * 1000

    resp = await client.post(f"{NS}/default/activity-tasks/complete", content=chunks())

    assert resp.status_code == 413
    assert resp.json()["code"] == "payload_too_large"


async def test_the_default_limit_is_two_mebibytes(make_frontend: Any, history: Any) -> None:
    default = FrontendSettings.model_fields["max_payload_bytes"].default
    assert default == 2 * 1024 * 1024
    async with make_frontend(max_payload_bytes=default) as fe:
        frame = len(orjson.dumps({"task_token": AT, "result": ""}))
        fits = orjson.dumps({"task_token": AT, "result": "x" * (default - frame)})
        too_big = orjson.dumps({"task_token": AT, "result": "x" * (default - frame + 1)})
        assert (len(fits), len(too_big)) == (default, default + 1)

        ok = await fe.client.post(f"{NS}/default/activity-tasks/complete", content=fits)
        refused = await fe.client.post(f"{NS}/default/activity-tasks/complete", content=too_big)

    assert ok.status_code == 200, ok.text[:300]
    assert refused.status_code == 413
    assert [len(r.body) for r in history.received] == [len(fits)]


async def test_a_body_without_content_type_is_still_validated_as_json(
    client: httpx.AsyncClient, history: Any
) -> None:
    good = await client.post(NS, content=b'{"name": "payments"}', headers={"content-type": ""})
    bad = await client.post(NS, content=b'{"name": "-x"}', headers={"content-type": ""})

    assert good.status_code == 200
    assert bad.status_code == 400
    assert len(history.received) == 1
