"""The worker API: polls and task-queue descriptions go to matching; completions and
heartbeats go to the history process that owns the workflow their task token names; answers
to queries go to matching, which hands them to the caller waiting for them.

These are the hot paths (every task crosses the frontend twice), so the handlers stay lean:
the body is validated once from the raw bytes, which are forwarded as they came.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from odin_common.api.worker import (
    ActivityCancelRequest,
    ActivityCompleteRequest,
    ActivityFailRequest,
    ActivityHeartbeatRequest,
    ActivityHeartbeatResponse,
    ActivityTask,
    PollRequest,
    QueryTaskRespondRequest,
    TaskAccepted,
    TaskQueueDescription,
    WorkflowTask,
    WorkflowTaskCompleted,
    WorkflowTaskCompleteRequest,
    WorkflowTaskFailRequest,
)
from odin_frontend import examples, message_examples
from odin_frontend.deps import frontend_of
from odin_frontend.domain.task_routing import TaskTokenKind
from odin_frontend.domain.waits import check_wait, long_poll_timeout
from odin_frontend.openapi import (
    INVALID_POLL_WAIT,
    INVALID_TOKEN_MISSING,
    NAMESPACE_NOT_FOUND,
    TASK_NOT_FOUND,
    TOKEN_INVALID,
    TOO_LARGE,
    WORKFLOW_NOT_FOUND,
    answer,
    problems,
    ref,
    request_body,
)
from odin_frontend.routers._proxy import (
    invalid_field,
    read_body,
    relay,
    relay_unless_disconnected,
    upstream_target,
)
from odin_frontend.routers.params import NamespacePath, TaskQueuePath
from odin_frontend.usecases import forward


def _operation_id(route: APIRoute) -> str:
    return route.name


router = APIRouter(
    prefix="/api/v1/namespaces/{namespace}",
    tags=["workers"],
    generate_unique_id_function=_operation_id,
)

COMPLETION_PROBLEMS = problems(
    TOKEN_INVALID,
    NAMESPACE_NOT_FOUND,
    WORKFLOW_NOT_FOUND,
    TASK_NOT_FOUND,
    TOO_LARGE,
    invalid=INVALID_TOKEN_MISSING,
)
"""A completion fails with ``task_token_invalid`` (the token is not one the server issued for
this namespace and kind) or ``task_not_found`` (the task was completed already, timed out, or
its run closed: a duplicate or stale completion changes nothing)."""

TASK_SCHEMA = {
    "oneOf": [ref(WorkflowTask), ref(ActivityTask)],
    "discriminator": {
        "propertyName": "kind",
        "mapping": {"workflow": ref(WorkflowTask)["$ref"], "activity": ref(ActivityTask)["$ref"]},
    },
}


@router.post(
    "/task-queues/{task_queue}/poll",
    summary="Poll a task queue for a task",
    description="Long poll: waits up to `wait` (default 30s, at most 60s) for a workflow or "
    "activity task on the queue and answers it (200), or answers 204 when the wait ends "
    "without one (poll again). A worker keeps a few polls open per kind. The task's "
    "`task_token` is what completes, fails or heartbeats it. If the poller disconnects, the "
    "task stays queued for another one. A workflow task whose `task_token` is a query "
    "token is a query task: answer its `queries` with `query-tasks/respond`, not with "
    "commands.",
    responses={
        **answer(200, "A task to run", TASK_SCHEMA, examples.POLLED),
        **answer(204, "The wait ended without a task", None),
        **problems(NAMESPACE_NOT_FOUND, TOO_LARGE, invalid=INVALID_POLL_WAIT),
    },
    openapi_extra=request_body(
        PollRequest, "Which kind of task, who asks, how long to wait", examples.POLL
    ),
)
async def poll_task_queue(
    request: Request, namespace: NamespacePath, task_queue: TaskQueuePath
) -> Response:
    body, raw = await read_body(request, PollRequest)
    try:
        wait = check_wait(body.wait)
    except ValueError as exc:
        raise invalid_field("body", "wait", str(exc)) from None
    fe = frontend_of(request)
    call = forward.to_matching(
        fe.matching,
        fe.namespaces,
        namespace,
        "POST",
        upstream_target(request),
        raw,
        timeout=long_poll_timeout(wait, fe.settings.long_poll_margin_seconds),
    )
    return await relay_unless_disconnected(request, call)


async def _complete(
    request: Request,
    namespace: str,
    kind: TaskTokenKind,
    model: type[
        WorkflowTaskCompleteRequest
        | WorkflowTaskFailRequest
        | ActivityHeartbeatRequest
        | ActivityCompleteRequest
        | ActivityFailRequest
        | ActivityCancelRequest
    ],
) -> Response:
    body, raw = await read_body(request, model)
    fe = frontend_of(request)
    return relay(
        await forward.to_task_owner(
            fe.history, namespace, kind, body.task_token, upstream_target(request), raw
        )
    )


@router.post(
    "/workflow-tasks/complete",
    summary="Complete a workflow task",
    description="Answers a workflow task with the commands the workflow code produced "
    "(schedule an activity, start a timer, complete the workflow, ...). History records "
    "them and schedules what they ask for in one transaction. A `schedule_activity` with "
    "`request_eager_execution` (on the workflow's own task queue, with a start-to-close "
    "limit; at most three per completion) is not queued: its first attempt is started at "
    "once and returned in `activity_tasks`, for this worker to run and complete like a "
    "polled activity task (if it never does, the start-to-close timeout retries it through "
    "the queue).",
    responses={
        **answer(200, "Recorded", WorkflowTaskCompleted, examples.WORKFLOW_TASK_COMPLETED),
        **COMPLETION_PROBLEMS,
    },
    openapi_extra=request_body(
        WorkflowTaskCompleteRequest,
        "The task token and the commands",
        examples.WORKFLOW_TASK_COMPLETE,
    ),
)
async def complete_workflow_task(request: Request, namespace: NamespacePath) -> Response:
    return await _complete(request, namespace, "workflow", WorkflowTaskCompleteRequest)


@router.post(
    "/workflow-tasks/fail",
    summary="Fail a workflow task",
    description="Reports that the worker could not run the workflow task (the code raised, "
    "or replay did not match the history). The task is retried; the workflow itself keeps "
    "running.",
    responses={
        **answer(200, "Recorded", TaskAccepted, examples.ACCEPTED),
        **COMPLETION_PROBLEMS,
    },
    openapi_extra=request_body(
        WorkflowTaskFailRequest, "The task token and why it failed", examples.WORKFLOW_TASK_FAIL
    ),
)
async def fail_workflow_task(request: Request, namespace: NamespacePath) -> Response:
    return await _complete(request, namespace, "workflow", WorkflowTaskFailRequest)


@router.post(
    "/activity-tasks/heartbeat",
    summary="Heartbeat an activity",
    description="Tells the server the activity is alive (needed when it has a "
    "`heartbeat_timeout`) and records progress `details`, which the next attempt receives "
    "as `heartbeat_details`. The answer says whether the workflow asked to cancel it.",
    responses={
        **answer(
            200,
            "Recorded; whether cancellation was requested",
            ActivityHeartbeatResponse,
            examples.HEARTBEAT_ANSWER,
        ),
        **COMPLETION_PROBLEMS,
    },
    openapi_extra=request_body(
        ActivityHeartbeatRequest, "The task token and progress details", examples.HEARTBEAT
    ),
)
async def heartbeat_activity_task(request: Request, namespace: NamespacePath) -> Response:
    return await _complete(request, namespace, "activity", ActivityHeartbeatRequest)


@router.post(
    "/activity-tasks/complete",
    summary="Complete an activity",
    description="Reports the activity's result; the workflow sees it on its next task.",
    responses={
        **answer(200, "Recorded", TaskAccepted, examples.ACCEPTED),
        **COMPLETION_PROBLEMS,
    },
    openapi_extra=request_body(
        ActivityCompleteRequest, "The task token and the result", examples.ACTIVITY_COMPLETE
    ),
)
async def complete_activity_task(request: Request, namespace: NamespacePath) -> Response:
    return await _complete(request, namespace, "activity", ActivityCompleteRequest)


@router.post(
    "/activity-tasks/fail",
    summary="Fail an activity",
    description="Reports that the activity failed. It is retried per its retry policy unless "
    "the failure is `non_retryable`, its type is listed in `non_retryable_error_types`, or "
    "the attempts or time are used up; then the workflow sees the failure.",
    responses={
        **answer(200, "Recorded", TaskAccepted, examples.ACCEPTED),
        **COMPLETION_PROBLEMS,
    },
    openapi_extra=request_body(
        ActivityFailRequest, "The task token and the failure", examples.ACTIVITY_FAIL
    ),
)
async def fail_activity_task(request: Request, namespace: NamespacePath) -> Response:
    return await _complete(request, namespace, "activity", ActivityFailRequest)


@router.post(
    "/activity-tasks/cancel",
    summary="Report an activity canceled",
    description="Resolves the activity as canceled, after a heartbeat answered "
    "`cancel_requested: true` and the activity stopped.",
    responses={
        **answer(200, "Recorded", TaskAccepted, examples.ACCEPTED),
        **COMPLETION_PROBLEMS,
    },
    openapi_extra=request_body(
        ActivityCancelRequest, "The task token and optional details", examples.ACTIVITY_CANCEL
    ),
)
async def cancel_activity_task(request: Request, namespace: NamespacePath) -> Response:
    return await _complete(request, namespace, "activity", ActivityCancelRequest)


@router.post(
    "/query-tasks/respond",
    summary="Answer a query",
    description="Answers a query task: a polled workflow task whose `queries` holds "
    "`[{query_id, query_name, args}]` and whose `task_token` is a query token. The worker "
    "replays `history`, runs the query handler, and sends its `result`, or an `error` when "
    "the handler failed or does not exist (the caller gets 400 `query_failed`), not both. "
    "Nothing is recorded in the history. The answer reaches the caller of "
    "`.../query/{query_name}` that waits for it, whichever server it called. An answer "
    "nobody waits for any more (the query timed out) is accepted and kept for a short while; "
    "a second answer to the same query task is refused with 404 `task_not_found`.",
    responses={
        **answer(200, "Accepted", TaskAccepted, message_examples.QUERY_ACCEPTED),
        **problems(TOKEN_INVALID, TASK_NOT_FOUND, TOO_LARGE, invalid=INVALID_TOKEN_MISSING),
    },
    openapi_extra=request_body(
        QueryTaskRespondRequest,
        "The query task token and the result (or the error)",
        message_examples.QUERY_RESPOND,
    ),
)
async def respond_query_task(request: Request, namespace: NamespacePath) -> Response:
    body, raw = await read_body(request, QueryTaskRespondRequest)
    fe = frontend_of(request)
    return relay(
        await forward.to_query_waiter(
            fe.matching, namespace, body.task_token, upstream_target(request), raw
        )
    )


@router.get(
    "/task-queues/{task_queue}",
    summary="Describe a task queue",
    description="Backlog (tasks waiting, age of the oldest) and the workers that polled "
    "recently, for each kind of task. A queue nobody used is answered empty.",
    responses={
        **answer(200, "The task queue", TaskQueueDescription, examples.TASK_QUEUE),
        **problems(NAMESPACE_NOT_FOUND),
    },
)
async def describe_task_queue(
    request: Request, namespace: NamespacePath, task_queue: TaskQueuePath
) -> Response:
    fe = frontend_of(request)
    return relay(
        await forward.to_matching(
            fe.matching, fe.namespaces, namespace, "GET", upstream_target(request)
        )
    )
