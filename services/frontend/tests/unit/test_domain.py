"""The frontend's pure rules: waits, task-token routing, the expiring set."""

from __future__ import annotations

from datetime import timedelta

import pytest

from odin_common.errors import TaskTokenInvalid
from odin_common.tokens import TaskToken
from odin_frontend.domain.task_routing import query_task_token, route_task_token
from odin_frontend.domain.ttl_set import TtlSet
from odin_frontend.domain.waits import MAX_WAIT, long_poll_timeout, parse_wait


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("1m", 60), ("250ms", 0.25), ("0s", 0), (60, 60), ("1.5", 1.5)],
)
def test_waits_up_to_a_minute_are_accepted(text: object, seconds: float) -> None:
    assert parse_wait(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["61s", "2m", "1h", 61, "soon", "", "-1s", "1 s", True, None])
def test_malformed_or_too_long_waits_are_refused(text: object) -> None:
    with pytest.raises(ValueError):
        parse_wait(text)


def test_a_long_poll_call_lasts_the_wait_plus_the_margin() -> None:
    assert long_poll_timeout(timedelta(seconds=30), 10.0) == 40.0
    assert long_poll_timeout(MAX_WAIT, 10.0) == 70.0


def _token(kind: str = "workflow", namespace: str = "default", query_id: str | None = None) -> str:
    return TaskToken(
        kind=kind,
        namespace=namespace,
        workflow_id="order-1",
        run_id="r1",
        scheduled_event_id=2,
        attempt=1,
        query_id=query_id,
    ).encode()


def test_a_token_routes_to_its_workflow() -> None:
    token = route_task_token(_token("activity"), "default", "activity")
    assert (token.namespace, token.workflow_id) == ("default", "order-1")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (_token("workflow", "payments"), "workflow"),
        (_token("activity"), "workflow"),
        (_token("workflow"), "activity"),
        (_token("query"), "workflow"),
        ("garbage", "workflow"),
    ],
    ids=["other_namespace", "activity_as_workflow", "workflow_as_activity", "query", "garbage"],
)
def test_foreign_or_bogus_tokens_are_invalid(text: str, kind: str) -> None:
    with pytest.raises(TaskTokenInvalid):
        route_task_token(text, "default", kind)  # type: ignore[arg-type]


def test_a_query_token_names_its_query() -> None:
    token = query_task_token(_token("query", query_id="q-1"), "default")
    assert (token.workflow_id, token.query_id) == ("order-1", "q-1")


@pytest.mark.parametrize(
    "text",
    [
        _token("query", "payments", query_id="q-1"),
        _token("query"),
        _token("workflow"),
        _token("activity"),
        _token("workflow", query_id="q-1"),
        "garbage",
    ],
    ids=[
        "other_namespace",
        "no_query_id",
        "workflow",
        "activity",
        "workflow_with_query_id",
        "garbage",
    ],
)
def test_only_a_query_token_of_the_namespace_answers_a_query(text: str) -> None:
    with pytest.raises(TaskTokenInvalid):
        query_task_token(text, "default")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_members_expire_after_the_ttl() -> None:
    clock = Clock()
    known = TtlSet(5.0, now=clock)
    known.add("a")
    clock.now = 4.99
    assert "a" in known
    clock.now = 5.0
    assert "a" not in known
    assert len(known) == 0


def test_adding_again_extends_and_discard_forgets() -> None:
    clock = Clock()
    known = TtlSet(5.0, now=clock)
    known.add("a")
    clock.now = 4.0
    known.add("a")
    clock.now = 8.0
    assert "a" in known
    known.discard("a")
    assert "a" not in known


def test_the_set_is_bounded() -> None:
    known = TtlSet(5.0, max_entries=3, now=Clock())
    for key in "abcd":
        known.add(key)
    assert len(known) <= 3
    assert "d" in known


def test_a_zero_ttl_remembers_nothing() -> None:
    known = TtlSet(0.0, now=Clock())
    known.add("a")
    assert "a" not in known
