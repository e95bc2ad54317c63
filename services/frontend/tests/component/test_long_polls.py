"""Long polls (poll, history with wait_new_event, result with wait) and queries (which wait
for a worker): the internal call may last as long as the wait (plus a margin), and ends when
the client goes away."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from odin_common.testing import assert_eventually

NS = "/api/v1/namespaces"
WF = f"{NS}/default/workflows/order-1"
POLL = f"{NS}/default/task-queues/orders/poll"
QUERY = f"{WF}/query/status"

LONG_POLLS = [
    pytest.param("matching", "POST", POLL, {"kind": "workflow", "wait": "30s"}, id="poll"),
    pytest.param("history", "GET", f"{WF}/history?wait_new_event=true", None, id="history_wait"),
    pytest.param("history", "GET", f"{WF}/result?wait=30s", None, id="result_wait"),
    pytest.param("history", "POST", QUERY, {"args": []}, id="query"),
]


@pytest.mark.parametrize(("peer_name", "method", "target", "body"), LONG_POLLS)
async def test_a_client_that_disconnects_cancels_the_upstream_call(
    served_frontend: str,
    history: Any,
    matching: Any,
    peer_name: str,
    method: str,
    target: str,
    body: Any,
) -> None:
    peer = history if peer_name == "history" else matching
    path = target.partition("?")[0]
    peer.answer(method, path, 200, {"never": "sent"}, hold=True)

    async with aiohttp.ClientSession() as session:

        async def call() -> None:
            async with session.request(method, served_frontend + target, json=body) as resp:
                await resp.read()

        waiting = asyncio.create_task(call())

        def upstream_started() -> None:
            assert [r.path for r in peer.received if r.path == path] == [path]

        await assert_eventually(upstream_started)
        assert peer.cancelled == []
        waiting.cancel()  # the client gives up: its connection closes
        with pytest.raises(asyncio.CancelledError):
            await waiting

    def upstream_cancelled() -> None:
        assert [r.path for r in peer.cancelled] == [path]

    await assert_eventually(upstream_cancelled)


async def test_a_poll_answered_while_the_client_waits_is_delivered(
    served_frontend: str, matching: Any
) -> None:
    task = {"kind": "activity", "task_token": "t"}
    matching.answer("POST", POLL, 200, task, hold=True)

    async with aiohttp.ClientSession() as session:
        pending = asyncio.create_task(
            session.post(served_frontend + POLL, json={"kind": "activity", "wait": "20s"})
        )

        def polled() -> None:
            assert len(matching.received) == 1

        await assert_eventually(polled)
        matching.release()
        async with await pending as resp:
            assert resp.status == 200
            assert await resp.json() == task
    assert matching.cancelled == []


@pytest.mark.parametrize(
    ("peer_name", "method", "target", "body"),
    [
        pytest.param("matching", "POST", POLL, {"kind": "workflow", "wait": "1s"}, id="poll"),
        pytest.param("history", "GET", f"{WF}/result?wait=1s", None, id="result_wait"),
        pytest.param("history", "GET", f"{WF}/history?wait_new_event=1", None, id="history_wait"),
    ],
)
async def test_a_long_poll_may_outlast_the_ordinary_call_timeout(
    make_frontend: Any,
    history: Any,
    matching: Any,
    peer_name: str,
    method: str,
    target: str,
    body: Any,
) -> None:
    peer = history if peer_name == "history" else matching
    # The peer answers at the end of a 1 s wait, later than an ordinary call may take.
    peer.answer(method, target.partition("?")[0], 204, delay=0.8)

    async with make_frontend(internal_timeout_seconds=0.3, long_poll_margin_seconds=1.0) as fe:
        resp = await fe.client.request(method, target, json=body)

    assert resp.status_code == 204


async def test_a_query_may_outlast_the_ordinary_call_timeout(
    make_frontend: Any, history: Any
) -> None:
    # History answers late in its query wait, later than an ordinary call may take.
    history.answer("POST", QUERY, 200, {"result": "awaiting approval"}, delay=0.8)

    async with make_frontend(
        internal_timeout_seconds=0.3, query_timeout_seconds=0.6, long_poll_margin_seconds=1.0
    ) as fe:
        resp = await fe.client.post(QUERY, json={"args": []})

    assert resp.status_code == 200
    assert resp.json() == {"result": "awaiting approval"}


async def test_a_query_is_bounded_by_the_query_timeout_plus_the_margin(
    make_frontend: Any, history: Any
) -> None:
    history.answer("POST", QUERY, 200, {"late": True}, hold=True)

    async with make_frontend(query_timeout_seconds=0.2, long_poll_margin_seconds=0.3) as fe:
        resp = await fe.client.post(QUERY, json={})

    assert resp.status_code == 503
    assert resp.json()["code"] == "unavailable"
    await assert_eventually(lambda: _assert_cancelled(history))


async def test_an_ordinary_call_is_bounded_by_the_internal_timeout(
    make_frontend: Any, history: Any
) -> None:
    history.answer("GET", WF, 200, {"late": True}, delay=0.8)

    async with make_frontend(internal_timeout_seconds=0.3) as fe:
        resp = await fe.client.get(WF)

    assert resp.status_code == 503
    assert resp.json()["code"] == "unavailable"


async def test_a_long_poll_is_bounded_by_its_wait_plus_the_margin(
    make_frontend: Any, matching: Any
) -> None:
    matching.answer("POST", POLL, 200, {"late": True}, hold=True)

    async with make_frontend(long_poll_margin_seconds=0.3) as fe:
        resp = await fe.client.post(POLL, json={"kind": "workflow", "wait": "0.2s"})

    assert resp.status_code == 503
    assert resp.json()["code"] == "unavailable"
    await assert_eventually(lambda: _assert_cancelled(matching))


def _assert_cancelled(peer: Any) -> None:
    assert len(peer.cancelled) == 1
