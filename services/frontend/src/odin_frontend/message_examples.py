"""Worked examples of the calls that talk to a running workflow (signal, signal-with-start,
query, cancel) and of the worker's answer to a query. The same story as :mod:`examples`: the
order workflow ``order-1`` in ``default`` waits for an approval. The unit tests check each
request example is valid input and each response example matches its model.
"""

from __future__ import annotations

from typing import Any

from odin_frontend.examples import RUN_ID, Examples

QUERY_ID = "4b7e1a52-0f3c-4d8e-9a61-2c5d7e9f1b30"
QUERY_TASK_TOKEN = (
    "eyJ2IjoxLCJraW5kIjoicXVlcnkiLCJuYW1lc3BhY2UiOiJkZWZhdWx0Iiwid29ya2Zsb3dfaWQiOiJvcmRlci0xIiwi"
    "cnVuX2lkIjoiOWQ3YzhjNTItN2Y1ZS00YzU3LThmNmQtMWYyZTNkNGM1YjZhIiwic2NoZWR1bGVkX2V2ZW50X2lkIjox"
    "LCJhdHRlbXB0IjoxLCJxdWVyeV9pZCI6IjRiN2UxYTUyLTBmM2MtNGQ4ZS05YTYxLTJjNWQ3ZTlmMWIzMCJ9"
)
"""The query task token of query ``QUERY_ID`` on run ``RUN_ID`` of ``order-1`` (tokens are
opaque: copy the one the query task carried)."""

REF = {"workflow_id": "order-1", "run_id": RUN_ID}


def _one(summary: str, value: Any, description: str | None = None) -> dict[str, Any]:
    example: dict[str, Any] = {"summary": summary, "value": value}
    if description:
        example["description"] = description
    return example


SIGNAL: Examples = {
    "approve": _one(
        "Approve the order",
        {"args": [{"approved_by": "ana"}], "request_id": "7c2d4e1a-5b3f-4a8e-9d60-1f2a3b4c5d6e"},
        "The workflow's `approve` handler receives `{approved_by: 'ana'}`. Repeating the call "
        "with the same `request_id` delivers the signal once.",
    ),
    "run": _one("Signal one given run, without arguments", {"run_id": RUN_ID}),
}
SIGNALED: Examples = {"signaled": _one("The run that received the signal", REF)}

SIGNAL_WITH_START: Examples = {
    "approve": _one(
        "Approve the order, starting its workflow if needed",
        {
            "workflow_type": "OrderWorkflow",
            "task_queue": "orders",
            "input": [{"id": 1, "amount": 42}],
            "signal_args": [{"approved_by": "ana"}],
        },
        "If `order-1` is running, it receives the signal (200, started: false): "
        "`id_conflict_policy` is `use_existing` unless given. If not, a run is started with "
        "`input` and the signal is its first message (201, started: true).",
    ),
    "restart": _one(
        "Approve the order in a new run, terminating the running one",
        {
            "workflow_type": "OrderWorkflow",
            "task_queue": "orders",
            "input": [{"id": 1, "amount": 42}],
            "signal_args": [{"approved_by": "ana"}],
            "id_conflict_policy": "terminate_existing",
        },
        "If `order-1` is running, that run is terminated and a new one is started with the "
        "signal as its first message (201, started: true, the new run's id). "
        "`id_conflict_policy: fail` is refused with 400 `invalid_argument`: signal-with-start "
        "signals the running run or replaces it.",
    ),
}
SIGNAL_WITH_START_STARTED: Examples = {
    "started": _one("No run was open: a new one was started and signaled", {**REF, "started": True})
}
SIGNAL_WITH_START_SIGNALED: Examples = {
    "signaled": _one("The open run was signaled", {**REF, "started": False})
}

QUERY: Examples = {
    "status": _one("Ask the current run for its status", {"args": []}),
    "with_args": _one("Ask one given run, with arguments", {"args": ["line-1"], "run_id": RUN_ID}),
}
QUERY_ANSWER: Examples = {
    "status": _one("What the query handler returned", {"result": "awaiting approval"}),
    "object": _one(
        "A result can be any JSON value", {"result": {"state": "approved", "by": "ana"}}
    ),
}

CANCEL: Examples = {
    "reason": _one(
        "Ask the workflow to cancel",
        {
            "reason": "customer changed their mind",
            "request_id": "c1a2b3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
        },
        "The workflow sees a cancellation request on its next task and decides how to wind "
        "down (compensate, cancel activities, close as canceled).",
    ),
    "run": _one("Cancel one given run", {"run_id": RUN_ID}),
}
CANCEL_REQUESTED: Examples = {"requested": _one("The run asked to cancel", REF)}

QUERY_RESPOND: Examples = {
    "result": _one(
        "The query handler returned",
        {
            "task_token": QUERY_TASK_TOKEN,
            "result": "awaiting approval",
            "identity": "worker-1@host",
        },
    ),
    "error": _one(
        "The query failed (the caller gets 400 query_failed with this as the detail)",
        {
            "task_token": QUERY_TASK_TOKEN,
            "error": "unknown query 'statuss'; known: status",
            "identity": "worker-1@host",
        },
    ),
}
QUERY_ACCEPTED: Examples = {
    "accepted": _one(
        "The answer was taken: it reaches the caller waiting for it, if any", {"accepted": True}
    )
}
