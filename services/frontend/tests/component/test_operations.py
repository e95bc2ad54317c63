"""/healthz, /readyz and /api/v1/system-info on the frontend."""

from __future__ import annotations

from typing import Any

from odin_frontend.app import CAPABILITIES


async def test_ready_when_history_and_matching_answer(client: Any) -> None:
    resp = await client.get("/readyz")

    assert resp.status_code == 200
    assert resp.json() == {
        "status": "ready",
        "service": "frontend",
        "checks": {"history": "ok", "matching": "ok"},
    }


async def test_not_ready_when_a_peer_is_unhealthy(client: Any, matching: Any) -> None:
    matching.healthy = False

    resp = await client.get("/readyz")

    assert resp.status_code == 503
    assert resp.headers["content-type"] == "application/problem+json"
    assert resp.json()["code"] == "unavailable"
    assert "matching" in resp.json()["detail"]
    assert "history" not in resp.json()["detail"]


async def test_not_ready_when_a_peer_is_unreachable(make_frontend: Any) -> None:
    async with make_frontend(history_url="http://127.0.0.1:9", readiness_timeout_seconds=1) as fe:
        resp = await fe.client.get("/readyz")

    assert resp.status_code == 503
    assert "history" in resp.json()["detail"]


async def test_liveness_and_system_info(client: Any) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok", "service": "frontend"}
    info = (await client.get("/api/v1/system-info")).json()
    assert info["service"] == "frontend"
    assert info["capabilities"] == CAPABILITIES
