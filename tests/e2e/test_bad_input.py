"""Every endpoint answers bad input with a 4xx problem+json and writes nothing."""

from typing import Any

import httpx
from e2e_harness import Deployment

from odin_common.tokens import TaskToken

NS = "/api/v1/namespaces/default"
BOGUS = TaskToken(
    kind="workflow",
    namespace="default",
    workflow_id="nope",
    run_id="r",
    scheduled_event_id=2,
    attempt=1,
).encode()
START = {"workflow_type": "W", "task_queue": "q"}
WIDE = "\u961f" * 400  # 400 characters, 1,200 bytes in UTF-8

BAD_REQUESTS: list[tuple[str, str, Any, int, str]] = [
    # method, path, json body (or raw bytes), expected status, expected code
    ("POST", "/api/v1/namespaces", {"name": "bad name!"}, 400, "invalid_argument"),
    (
        "POST",
        "/api/v1/namespaces",
        {"name": "x", "retention_days": "long"},
        400,
        "invalid_argument",
    ),
    ("POST", "/api/v1/namespaces", {}, 400, "invalid_argument"),
    ("PATCH", f"{NS}", {"retention_days": -1}, 400, "invalid_argument"),
    ("GET", "/api/v1/namespaces/nope", None, 404, "namespace_not_found"),
    ("GET", "/api/v1/namespaces?page_size=0", None, 400, "invalid_argument"),
    ("POST", "/api/v1/namespaces/nope/workflows/w", START, 404, "namespace_not_found"),
    ("POST", f"{NS}/workflows/w", {"task_queue": "q"}, 400, "invalid_argument"),
    ("POST", f"{NS}/workflows/w", {**START, "input": {"not": "a list"}}, 400, "invalid_argument"),
    ("POST", f"{NS}/workflows/w", {**START, "run_timeout": "ten minutes"}, 400, "invalid_argument"),
    ("POST", f"{NS}/workflows/w", {**START, "task_timeout": "5x"}, 400, "invalid_argument"),
    ("POST", f"{NS}/workflows/w", {**START, "surprise": 1}, 400, "invalid_argument"),
    ("POST", f"{NS}/workflows/w", b"{not json", 400, "invalid_argument"),
    (
        "POST",
        f"{NS}/workflows/w",
        {**START, "input": ["x" * (3 * 1024 * 1024)]},
        413,
        "payload_too_large",
    ),
    ("GET", f"{NS}/workflows/nope", None, 404, "workflow_not_found"),
    ("GET", f"{NS}/workflows/nope/history?page_size=5000", None, 400, "invalid_argument"),
    ("GET", f"{NS}/workflows/nope/result?wait=forever", None, 400, "invalid_argument"),
    ("POST", f"{NS}/workflows/nope/terminate", {"reason": 5}, 400, "invalid_argument"),
    ("POST", f"{NS}/workflows/nope/terminate", {}, 404, "workflow_not_found"),
    ("POST", f"{NS}/task-queues/q/poll", {"kind": "both"}, 400, "invalid_argument"),
    (
        "POST",
        f"{NS}/task-queues/q/poll",
        {"kind": "workflow", "wait": "2m"},
        400,
        "invalid_argument",
    ),
    (
        "POST",
        "/api/v1/namespaces/nope/task-queues/q/poll",
        {"kind": "workflow", "wait": "1s"},
        404,
        "namespace_not_found",
    ),
    (
        "POST",
        f"{NS}/workflow-tasks/complete",
        {"task_token": "garbage", "commands": []},
        400,
        "task_token_invalid",
    ),
    (
        "POST",
        f"{NS}/workflow-tasks/complete",
        {"task_token": BOGUS, "commands": [{"type": "explode"}]},
        400,
        "invalid_argument",
    ),
    (
        "POST",
        f"{NS}/workflow-tasks/complete",
        {"task_token": BOGUS, "commands": []},
        404,
        "workflow_not_found",
    ),
    ("POST", f"{NS}/workflow-tasks/fail", {"task_token": BOGUS}, 400, "invalid_argument"),
    ("POST", f"{NS}/activity-tasks/heartbeat", {"task_token": BOGUS}, 400, "task_token_invalid"),
    ("POST", f"{NS}/activity-tasks/complete", {"task_token": ""}, 400, "invalid_argument"),
    (
        "POST",
        f"{NS}/activity-tasks/fail",
        {"task_token": "x", "failure": "oops"},
        400,
        "invalid_argument",
    ),
    ("POST", f"{NS}/activity-tasks/cancel", {"task_token": "!!!"}, 400, "task_token_invalid"),
    ("GET", "/api/v1/namespaces/nope/task-queues/q", None, 404, "namespace_not_found"),
    # PostgreSQL's text cannot hold NUL, and its indexes ~2,700 bytes: refused up front
    ("POST", f"{NS}/workflows/w", {**START, "request_id": "r\x00"}, 400, "invalid_argument"),
    (
        "POST",
        f"{NS}/workflows/w",
        {**START, "search_attributes": {"k\x00": 1}},
        400,
        "invalid_argument",
    ),
    (
        "POST",
        f"{NS}/workflows/w",
        {**START, "search_attributes": {"k": ["a\x00"]}},
        400,
        "invalid_argument",
    ),
    ("POST", f"{NS}/workflows/w", {**START, "task_queue": WIDE}, 400, "invalid_argument"),
    ("POST", f"{NS}/workflows/{WIDE}", START, 400, "invalid_argument"),
    ("POST", "/api/v1/namespaces", {"name": "x", "description": "d\x00"}, 400, "invalid_argument"),
    ("PATCH", f"{NS}", {"description": "d\x00"}, 400, "invalid_argument"),
]


async def test_bad_input_is_a_problem_and_writes_nothing(deployment: Deployment) -> None:
    async with httpx.AsyncClient(base_url=deployment.url, timeout=30) as client:
        namespaces_before = (await client.get("/api/v1/namespaces")).json()
        for method, path, body, status, code in BAD_REQUESTS:
            if isinstance(body, bytes):
                resp = await client.request(
                    method, path, content=body, headers={"content-type": "application/json"}
                )
            else:
                resp = await client.request(method, path, json=body)
            assert resp.status_code == status, (
                method,
                path,
                body if not isinstance(body, dict) else list(body),
                resp.text[:300],
            )
            assert resp.headers["content-type"] == "application/problem+json", path
            assert resp.json()["code"] == code, (path, resp.json())
        assert (await client.get("/api/v1/namespaces")).json() == namespaces_before
        for workflow_id in ("w", "nope"):
            resp = await client.get(f"{NS}/workflows/{workflow_id}")
            assert resp.json()["code"] == "workflow_not_found"
