import pytest

from odin_common import errors
from odin_common.tokens import TaskToken


def test_problem_document_round_trips_to_the_same_exception() -> None:
    err = errors.WorkflowNotFound("no workflow order-1", workflow_id="order-1")
    doc = err.to_problem()
    assert doc["code"] == "workflow_not_found"
    assert doc["status"] == 404
    assert doc["workflow_id"] == "order-1"
    back = errors.error_from_problem(doc, 404)
    assert isinstance(back, errors.WorkflowNotFound)
    assert back.detail == "no workflow order-1"
    assert back.extra == {"workflow_id": "order-1"}


def test_unknown_codes_map_by_status() -> None:
    assert isinstance(errors.error_from_problem({"code": "weird"}, 502), errors.Unavailable)
    assert isinstance(errors.error_from_problem({}, 400), errors.InvalidArgument)


def test_task_token_round_trip() -> None:
    token = TaskToken(
        kind="activity",
        namespace="default",
        workflow_id="wf",
        run_id="r1",
        scheduled_event_id=5,
        attempt=2,
        activity_id="1",
    )
    text = token.encode()
    assert "=" not in text
    assert TaskToken.decode(text) == token
    assert TaskToken.decode(text, namespace="default") == token


@pytest.mark.parametrize("bad", ["", "!!!", "bm90IGpzb24", "e30", "eyJ2IjoyfQ"])
def test_bogus_task_tokens_are_invalid(bad: str) -> None:
    with pytest.raises(errors.TaskTokenInvalid):
        TaskToken.decode(bad)


def test_token_of_another_namespace_is_invalid() -> None:
    text = TaskToken(
        kind="workflow", namespace="a", workflow_id="w", run_id="r", scheduled_event_id=2, attempt=1
    ).encode()
    with pytest.raises(errors.TaskTokenInvalid, match="namespace"):
        TaskToken.decode(text, namespace="b")
