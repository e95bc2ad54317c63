"""Worked examples shown in the Swagger UI: one story (an order workflow in the ``default``
namespace) told through every endpoint. The unit tests check that each request example is
valid input and each response example matches its model.

Each constant is an OpenAPI ``examples`` map: ``{name: {"summary": ..., "value": ...}}``.
"""

from __future__ import annotations

from typing import Any

Examples = dict[str, dict[str, Any]]

RUN_ID = "9d7c8c52-7f5e-4c57-8f6d-1f2e3d4c5b6a"
WORKFLOW_TASK_TOKEN = (
    "eyJ2IjoxLCJraW5kIjoid29ya2Zsb3ciLCJuYW1lc3BhY2UiOiJkZWZhdWx0Iiwid29ya2Zsb3dfaWQiOiJvcmRlci0x"
    "IiwicnVuX2lkIjoiOWQ3YzhjNTItN2Y1ZS00YzU3LThmNmQtMWYyZTNkNGM1YjZhIiwic2NoZWR1bGVkX2V2ZW50X2lk"
    "IjoyLCJhdHRlbXB0IjoxfQ"
)
"""A workflow task token for run ``RUN_ID`` of ``order-1`` in ``default`` (tokens are opaque:
copy the one a poll returned)."""
ACTIVITY_TASK_TOKEN = (
    "eyJ2IjoxLCJraW5kIjoiYWN0aXZpdHkiLCJuYW1lc3BhY2UiOiJkZWZhdWx0Iiwid29ya2Zsb3dfaWQiOiJvcmRlci0x"
    "IiwicnVuX2lkIjoiOWQ3YzhjNTItN2Y1ZS00YzU3LThmNmQtMWYyZTNkNGM1YjZhIiwic2NoZWR1bGVkX2V2ZW50X2lk"
    "Ijo1LCJhdHRlbXB0IjoxLCJhY3Rpdml0eV9pZCI6IjEifQ"
)
"""The activity task token of activity ``1`` of the same run."""

T0 = "2026-01-01T00:00:00.000000Z"
T1 = "2026-01-01T00:00:00.012000Z"
T2 = "2026-01-01T00:00:00.020000Z"
T3 = "2026-01-01T00:00:00.145000Z"


def _one(summary: str, value: Any, description: str | None = None) -> dict[str, Any]:
    example: dict[str, Any] = {"summary": summary, "value": value}
    if description:
        example["description"] = description
    return example


# --- namespaces ---------------------------------------------------------------------------

NAMESPACE = {
    "id": "5f0c6c1e-8a0b-4f55-9d2e-6f7f1f0d9a11",
    "name": "payments",
    "description": "Payment workflows",
    "retention_days": 30,
    "state": "registered",
    "created_at": T0,
    "updated_at": T0,
}

NAMESPACE_CREATE: Examples = {
    "payments": _one(
        "A namespace for the payments team",
        {"name": "payments", "description": "Payment workflows", "retention_days": 30},
    ),
    "minimal": _one("Only a name (30 days retention)", {"name": "payments"}),
}
NAMESPACE_UPDATE: Examples = {
    "retention": _one("Keep closed workflows 7 days", {"retention_days": 7}),
    "description": _one("Change the description", {"description": "Payments (EU)"}),
}
NAMESPACE_CREATED: Examples = {"payments": _one("The new namespace", NAMESPACE)}
NAMESPACE_FOUND: Examples = {"payments": _one("A namespace", NAMESPACE)}
NAMESPACE_UPDATED: Examples = {
    "payments": _one(
        "After the update",
        {**NAMESPACE, "retention_days": 7, "updated_at": "2026-01-02T00:00:00.000000Z"},
    )
}
NAMESPACE_DELETED: Examples = {
    "payments": _one(
        "Marked deleted and renamed, so the name can be used again",
        {
            **NAMESPACE,
            "name": "payments-deleted-5f0c6c1e",
            "state": "deleted",
            "updated_at": "2026-01-03T00:00:00.000000Z",
        },
    )
}
NAMESPACE_LIST: Examples = {
    "page": _one(
        "A page with a continuation token",
        {
            "namespaces": [
                {
                    **NAMESPACE,
                    "id": "0d6f6bde-2b9e-4f0e-9c43-3a0d0c8f1e01",
                    "name": "default",
                    "description": "",
                    "retention_days": 30,
                },
                NAMESPACE,
            ],
            "next_page_token": "cGF5bWVudHM",
        },
    ),
    "last": _one("The last page", {"namespaces": [NAMESPACE], "next_page_token": None}),
}

# --- workflows ----------------------------------------------------------------------------

WORKFLOW_START: Examples = {
    "order": _one(
        "Start an order workflow",
        {
            "workflow_type": "OrderWorkflow",
            "task_queue": "orders",
            "input": [{"id": 1, "amount": 42}],
            "request_id": "0b9c2f4e-3c55-4a51-a9b3-6d8f8f7f6a10",
            "execution_timeout": "1h",
        },
        "A worker polling the `orders` task queue runs `OrderWorkflow(order)`. Repeating the "
        "call with the same `request_id` answers the first run again (200, started: false).",
    ),
    "use_existing": _one(
        "Start unless it is already running",
        {
            "workflow_type": "OrderWorkflow",
            "task_queue": "orders",
            "input": [{"id": 1, "amount": 42}],
            "id_conflict_policy": "use_existing",
        },
        "When a run of this workflow id is open, answer it (200, started: false) instead of 409.",
    ),
    "full": _one(
        "Every option",
        {
            "workflow_type": "OrderWorkflow",
            "task_queue": "orders",
            "input": [{"id": 1, "amount": 42}],
            "request_id": "5d41402a-bc4b-4a76-b971-9d911017c592",
            "id_reuse_policy": "allow_duplicate_failed_only",
            "id_conflict_policy": "fail",
            "execution_timeout": "24h",
            "run_timeout": "1h",
            "task_timeout": "10s",
            "retry_policy": {
                "initial_interval": "1s",
                "backoff_coefficient": 2.0,
                "maximum_interval": "1m",
                "maximum_attempts": 5,
                "non_retryable_error_types": ["InvalidOrder"],
            },
            "memo": {"customer": "c-17"},
            "search_attributes": {"CustomerId": "c-17"},
            "start_delay": "5s",
        },
    ),
}
WORKFLOW_STARTED: Examples = {
    "started": _one("A new run", {"workflow_id": "order-1", "run_id": RUN_ID, "started": True})
}
WORKFLOW_NOT_STARTED: Examples = {
    "existing": _one(
        "The run that was already there (use_existing, or a repeated request_id)",
        {"workflow_id": "order-1", "run_id": RUN_ID, "started": False},
    )
}
WORKFLOW_DESCRIPTION: Examples = {
    "running": _one(
        "A run waiting for its activity",
        {
            "workflow_id": "order-1",
            "run_id": RUN_ID,
            "workflow_type": "OrderWorkflow",
            "task_queue": "orders",
            "status": "running",
            "start_time": T0,
            "execution_time": T0,
            "close_time": None,
            "history_length": 6,
            "memo": {"customer": "c-17"},
            "search_attributes": {"CustomerId": "c-17"},
            "result": None,
            "failure": None,
            "pending_activities": [
                {
                    "activity_id": "1",
                    "activity_type": "charge",
                    "scheduled_event_id": 5,
                    "state": "started",
                    "attempt": 1,
                    "maximum_attempts": 5,
                    "task_queue": "orders",
                    "scheduled_time": T2,
                    "last_started_time": T3,
                    "last_worker_identity": "worker-1@host",
                }
            ],
            "pending_children": [],
            "pending_timers": [],
            "pending_workflow_task": None,
            "parent": None,
            "execution_timeout": "1h",
            "run_timeout": None,
            "task_timeout": "10s",
            "first_run_id": RUN_ID,
        },
    ),
    "completed": _one(
        "A completed run",
        {
            "workflow_id": "order-1",
            "run_id": RUN_ID,
            "workflow_type": "OrderWorkflow",
            "task_queue": "orders",
            "status": "completed",
            "start_time": T0,
            "close_time": "2026-01-01T00:00:00.210000Z",
            "history_length": 11,
            "result": "charged 1",
        },
    ),
}

EVENT_STARTED = {
    "event_id": 1,
    "event_type": "workflow_execution_started",
    "event_time": T0,
    "attributes": {
        "workflow_type": "OrderWorkflow",
        "task_queue": "orders",
        "input": [{"id": 1, "amount": 42}],
        "execution_timeout": "1h",
        "task_timeout": "10s",
        "attempt": 1,
    },
}
EVENTS = [
    EVENT_STARTED,
    {
        "event_id": 2,
        "event_type": "workflow_task_scheduled",
        "event_time": T0,
        "attributes": {"task_queue": "orders", "start_to_close_timeout": "10s", "attempt": 1},
    },
    {
        "event_id": 3,
        "event_type": "workflow_task_started",
        "event_time": T1,
        "attributes": {"scheduled_event_id": 2, "identity": "worker-1@host"},
    },
    {
        "event_id": 4,
        "event_type": "workflow_task_completed",
        "event_time": T2,
        "attributes": {"scheduled_event_id": 2, "started_event_id": 3},
    },
    {
        "event_id": 5,
        "event_type": "activity_task_scheduled",
        "event_time": T2,
        "attributes": {
            "activity_id": "1",
            "activity_type": "charge",
            "task_queue": "orders",
            "input": [{"id": 1}],
            "start_to_close_timeout": "10s",
            "workflow_task_completed_event_id": 4,
        },
    },
]
HISTORY: Examples = {
    "page": _one(
        "The first events of a run",
        {"events": EVENTS, "next_page_token": "Ng"},
        "Pass `next_page_token` back to read on; with `wait_new_event=true` the last page "
        "waits for the next event instead of answering empty.",
    ),
    "closed": _one(
        "event_filter=close: only the closing event",
        {
            "events": [
                {
                    "event_id": 11,
                    "event_type": "workflow_execution_completed",
                    "event_time": "2026-01-01T00:00:00.210000Z",
                    "attributes": {"result": "charged 1", "workflow_task_completed_event_id": 10},
                }
            ],
            "next_page_token": None,
        },
    ),
}
RESULT_CLOSED: Examples = {
    "completed": _one(
        "Completed",
        {"workflow_id": "order-1", "run_id": RUN_ID, "status": "completed", "result": "charged 1"},
    ),
    "failed": _one(
        "Failed",
        {
            "workflow_id": "order-1",
            "run_id": RUN_ID,
            "status": "failed",
            "failure": {
                "message": "card declined",
                "type": "CardDeclined",
                "non_retryable": True,
            },
        },
    ),
}
RESULT_RUNNING: Examples = {
    "running": _one(
        "Still running when the wait ended",
        {"workflow_id": "order-1", "run_id": RUN_ID, "status": "running"},
    )
}
TERMINATE: Examples = {
    "reason": _one("Terminate the current run", {"reason": "stuck on a bad deploy"}),
    "run": _one(
        "Terminate one given run, with details",
        {"reason": "duplicate order", "details": {"ticket": "OPS-12"}, "run_id": RUN_ID},
    ),
}
TERMINATED: Examples = {
    "terminated": _one("The run that was terminated", {"workflow_id": "order-1", "run_id": RUN_ID})
}

# --- workers ------------------------------------------------------------------------------

POLL: Examples = {
    "workflow": _one(
        "Wait for a workflow task",
        {"kind": "workflow", "identity": "worker-1@host", "wait": "30s"},
    ),
    "activity": _one(
        "Wait for an activity task",
        {"kind": "activity", "identity": "worker-1@host", "wait": "30s"},
    ),
}
WORKFLOW_TASK = {
    "kind": "workflow",
    "task_token": WORKFLOW_TASK_TOKEN,
    "namespace": "default",
    "workflow_id": "order-1",
    "run_id": RUN_ID,
    "workflow_type": "OrderWorkflow",
    "task_queue": "orders",
    "attempt": 1,
    "scheduled_event_id": 2,
    "started_event_id": 3,
    "previous_started_event_id": None,
    "history": [*EVENTS[:2], EVENTS[2]],
    "next_page_token": None,
    "queries": [],
}
ACTIVITY_TASK = {
    "kind": "activity",
    "task_token": ACTIVITY_TASK_TOKEN,
    "namespace": "default",
    "workflow_id": "order-1",
    "run_id": RUN_ID,
    "workflow_type": "OrderWorkflow",
    "activity_id": "1",
    "activity_type": "charge",
    "task_queue": "orders",
    "input": [{"id": 1}],
    "attempt": 1,
    "heartbeat_details": None,
    "scheduled_time": T2,
    "current_attempt_scheduled_time": T2,
    "started_time": T3,
    "schedule_to_close_timeout": None,
    "start_to_close_timeout": "10s",
    "heartbeat_timeout": None,
    "retry_policy": {"initial_interval": "1s", "backoff_coefficient": 2.0, "maximum_attempts": 5},
}
POLLED: Examples = {
    "workflow": _one(
        "A workflow task: replay `history` through the workflow code, then complete it",
        WORKFLOW_TASK,
    ),
    "activity": _one("An activity task: run `charge({id: 1})`, then complete it", ACTIVITY_TASK),
}
SCHEDULE_CHARGE = {
    "type": "schedule_activity",
    "activity_id": "1",
    "activity_type": "charge",
    "input": [{"id": 1}],
    "start_to_close_timeout": "10s",
}
WORKFLOW_TASK_COMPLETE: Examples = {
    "schedule_activity": _one(
        "The workflow calls an activity",
        {
            "task_token": WORKFLOW_TASK_TOKEN,
            "identity": "worker-1@host",
            "commands": [
                {
                    **SCHEDULE_CHARGE,
                    "retry_policy": {"initial_interval": "1s", "maximum_attempts": 5},
                }
            ],
        },
    ),
    "eager_activity": _one(
        "The workflow calls an activity this worker runs at once (it comes back in the answer)",
        {
            "task_token": WORKFLOW_TASK_TOKEN,
            "identity": "worker-1@host",
            "commands": [{**SCHEDULE_CHARGE, "request_eager_execution": True}],
        },
    ),
    "timer": _one(
        "The workflow sleeps for an hour",
        {
            "task_token": WORKFLOW_TASK_TOKEN,
            "identity": "worker-1@host",
            "commands": [
                {"type": "start_timer", "timer_id": "reminder", "start_to_fire_timeout": "1h"}
            ],
        },
    ),
    "complete": _one(
        "The workflow returns",
        {
            "task_token": WORKFLOW_TASK_TOKEN,
            "identity": "worker-1@host",
            "commands": [{"type": "complete_workflow", "result": "charged 1"}],
        },
    ),
}
WORKFLOW_TASK_FAIL: Examples = {
    "nondeterminism": _one(
        "Replay did not match the history",
        {
            "task_token": WORKFLOW_TASK_TOKEN,
            "cause": "nondeterminism",
            "failure": {
                "message": "command 0 was start_timer, history has activity_task_scheduled",
                "type": "NondeterminismError",
            },
            "identity": "worker-1@host",
        },
        "The task is retried (on this or another worker); the workflow is not failed.",
    ),
    "error": _one(
        "The workflow code raised",
        {
            "task_token": WORKFLOW_TASK_TOKEN,
            "cause": "workflow_error",
            "failure": {"message": "division by zero", "type": "ZeroDivisionError"},
            "identity": "worker-1@host",
        },
    ),
}
HEARTBEAT: Examples = {
    "progress": _one(
        "Report progress (given back to the next attempt as heartbeat_details)",
        {"task_token": ACTIVITY_TASK_TOKEN, "details": [{"row": 100}], "identity": "worker-1@host"},
    )
}
HEARTBEAT_ANSWER: Examples = {
    "carry_on": _one("Keep going", {"cancel_requested": False}),
    "cancel": _one(
        "The workflow asked to cancel this activity: stop and call activity-tasks/cancel",
        {"cancel_requested": True},
    ),
}
ACTIVITY_COMPLETE: Examples = {
    "result": _one(
        "The activity returned",
        {"task_token": ACTIVITY_TASK_TOKEN, "result": "charged 1", "identity": "worker-1@host"},
    )
}
ACTIVITY_FAIL: Examples = {
    "retryable": _one(
        "A failure that is retried per the retry policy",
        {
            "task_token": ACTIVITY_TASK_TOKEN,
            "failure": {"message": "gateway timeout", "type": "GatewayTimeout"},
            "identity": "worker-1@host",
        },
    ),
    "non_retryable": _one(
        "A failure that ends the activity at once",
        {
            "task_token": ACTIVITY_TASK_TOKEN,
            "failure": {"message": "card declined", "type": "CardDeclined", "non_retryable": True},
            "identity": "worker-1@host",
        },
    ),
}
ACTIVITY_CANCEL: Examples = {
    "canceled": _one(
        "The activity stopped after a cancellation request",
        {
            "task_token": ACTIVITY_TASK_TOKEN,
            "details": {"rows_done": 100},
            "identity": "worker-1@host",
        },
    )
}
ACCEPTED: Examples = {"accepted": _one("History recorded it", {"accepted": True})}
WORKFLOW_TASK_COMPLETED: Examples = {
    "accepted": _one("History recorded the commands", {"accepted": True, "activity_tasks": []}),
    "eager_activity": _one(
        "History recorded the commands and started the activity asked for eagerly: run it "
        "and complete it with its `task_token`",
        {"accepted": True, "activity_tasks": [ACTIVITY_TASK]},
    ),
}
TASK_QUEUE: Examples = {
    "orders": _one(
        "Backlog and recent pollers per kind",
        {
            "name": "orders",
            "namespace": "default",
            "workflow": {
                "backlog_count": 0,
                "backlog_age_seconds": None,
                "pollers": [
                    {"identity": "worker-1@host", "last_access_time": T3, "kind": "workflow"}
                ],
            },
            "activity": {
                "backlog_count": 3,
                "backlog_age_seconds": 0.8,
                "pollers": [
                    {"identity": "worker-1@host", "last_access_time": T3, "kind": "activity"}
                ],
            },
        },
    )
}

# --- operations ---------------------------------------------------------------------------

HEALTHZ: Examples = {"up": _one("The process is up", {"status": "ok", "service": "frontend"})}
READYZ: Examples = {
    "ready": _one(
        "History and matching answer",
        {
            "status": "ready",
            "service": "frontend",
            "checks": {"history": "ok", "matching": "ok"},
        },
    )
}
SYSTEM_INFO: Examples = {
    "info": _one(
        "This server",
        {
            "service": "frontend",
            "version": "0.1.0",
            "server": "odin",
            "capabilities": [
                "namespaces",
                "workflows",
                "workers",
                "signals",
                "queries",
                "cancellation",
            ],
        },
    )
}
