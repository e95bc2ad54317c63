"""The OpenAPI document the frontend serves (and the Swagger UI at ``/docs`` renders).

Routes describe their bodies and answers with the helpers below instead of FastAPI body
parameters and ``response_model``: the frontend validates bodies itself (see
``routers._proxy.read_body``) and relays answers without re-serializing them, so the schemas
are documented, not enforced here. They are generated once from the ``odin_common.api``
models by pydantic and merged into ``components.schemas`` by :func:`install_openapi`.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Literal

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from odin_common import errors
from odin_common.api.namespaces import (
    NamespaceCreate,
    NamespaceListResponse,
    NamespaceResponse,
    NamespaceUpdate,
)
from odin_common.api.types import ResponseModel
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
from odin_common.api.workflows import (
    CancelRequest,
    HistoryResponse,
    QueryRequest,
    QueryResponse,
    SignalRequest,
    SignalWithStartRequest,
    TerminateRequest,
    WorkflowDescribeResponse,
    WorkflowRef,
    WorkflowResultResponse,
    WorkflowStartRequest,
    WorkflowStartResponse,
)
from odin_common.errors import ErrorCode
from odin_common.problem import PROBLEM_JSON
from odin_frontend import examples
from odin_frontend.examples import Examples

JSON = "application/json"
REF_PREFIX = "#/components/schemas/"


class ValidationIssue(BaseModel):
    loc: list[str] = Field(description="Where: `body`, `query` or `path`, then the field path.")
    msg: str
    type: str


class Problem(BaseModel):
    """An error (RFC 9457 problem document). ``code`` is stable: branch on it, not on text."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="A URI naming the kind of problem.")
    title: str
    status: int
    detail: str = Field(description="What went wrong, for a person.")
    code: ErrorCode
    errors: list[ValidationIssue] | None = Field(
        None, description="With `invalid_argument`: every invalid field."
    )


class WorkflowResultPending(ResponseModel):
    """The answer of ``GET .../result`` when the wait ended before the run closed."""

    status: Literal["running"]
    workflow_id: str | None = None
    run_id: str | None = None


REQUEST_MODELS: tuple[type[BaseModel], ...] = (
    NamespaceCreate,
    NamespaceUpdate,
    WorkflowStartRequest,
    TerminateRequest,
    SignalRequest,
    SignalWithStartRequest,
    QueryRequest,
    CancelRequest,
    PollRequest,
    WorkflowTaskCompleteRequest,
    WorkflowTaskFailRequest,
    ActivityHeartbeatRequest,
    ActivityCompleteRequest,
    ActivityFailRequest,
    ActivityCancelRequest,
    QueryTaskRespondRequest,
)
RESPONSE_MODELS: tuple[type[BaseModel], ...] = (
    NamespaceResponse,
    NamespaceListResponse,
    WorkflowStartResponse,
    WorkflowDescribeResponse,
    HistoryResponse,
    WorkflowResultResponse,
    WorkflowResultPending,
    WorkflowRef,
    QueryResponse,
    WorkflowTask,
    ActivityTask,
    TaskAccepted,
    WorkflowTaskCompleted,
    ActivityHeartbeatResponse,
    TaskQueueDescription,
    Problem,
)


def ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF_PREFIX + model.__name__}


def request_body(
    model: type[BaseModel], description: str, body_examples: Examples
) -> dict[str, Any]:
    """``openapi_extra`` of a route whose JSON body is ``model``."""
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {JSON: {"schema": ref(model), "examples": body_examples}},
        }
    }


def answer(
    status: int,
    description: str,
    schema: type[BaseModel] | dict[str, Any] | None,
    answer_examples: Examples | None = None,
) -> dict[int | str, dict[str, Any]]:
    """A success answer for ``responses=``; ``schema`` None means no body (204)."""
    if schema is None:
        return {status: {"description": description}}
    content: dict[str, Any] = {"schema": ref(schema) if isinstance(schema, type) else schema}
    if answer_examples:
        content["examples"] = answer_examples
    return {status: {"description": description, "content": {JSON: content}}}


# One example of every error a route documents; built from the real classes so the documents
# are exactly what the services send.


def invalid_example(
    where: Literal["body", "query", "path"], name: str, msg: str, kind: str
) -> errors.OdinError:
    """An ``invalid_argument`` example, worded as the shared validation handler words it."""
    prefix = "" if where == "body" else f"{where}."
    return errors.InvalidArgument(
        f"{prefix}{name}: {msg}", errors=[{"loc": [where, name], "msg": msg, "type": kind}]
    )


NAMESPACE_PATTERN = "String should match pattern '^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$'"
INVALID_NAMESPACE = invalid_example(
    "path", "namespace", NAMESPACE_PATTERN, "string_pattern_mismatch"
)
INVALID_NAME = invalid_example("body", "name", NAMESPACE_PATTERN, "string_pattern_mismatch")
INVALID_PAGE_SIZE = invalid_example(
    "query", "page_size", "Input should be less than or equal to 1000", "less_than_equal"
)
INVALID_START = invalid_example("body", "task_queue", "Field required", "missing")
INVALID_RUN_ID = invalid_example(
    "query", "run_id", "String should match pattern '^[A-Za-z0-9-]+$'", "string_pattern_mismatch"
)
INVALID_FILTER = invalid_example(
    "query", "event_filter", "Input should be 'all' or 'close'", "literal_error"
)
INVALID_RESULT_WAIT = invalid_example(
    "query",
    "wait",
    "malformed duration '5min': expected a number and a unit (ms, s, m, h, d), e.g. '30s' "
    "or '1h30m'",
    "value_error",
)
INVALID_EXTRA = invalid_example(
    "body", "force", "Extra inputs are not permitted", "extra_forbidden"
)
INVALID_POLL_WAIT = invalid_example(
    "body", "wait", "a wait may not exceed 60s (asked for 300s)", "value_error"
)
INVALID_TOKEN_MISSING = invalid_example("body", "task_token", "Field required", "missing")
INVALID_ARGS = invalid_example("body", "args", "Input should be a valid array", "list_type")
INVALID_SIGNAL_ARGS = invalid_example(
    "body", "signal_args", "Input should be a valid array", "list_type"
)
UNAVAILABLE = errors.Unavailable("cannot reach http://history:8081/api/v1/namespaces: refused")
TOO_LARGE = errors.PayloadTooLarge(
    "the request body is larger than the limit of 2097152 bytes", limit_bytes=2097152
)
NAMESPACE_NOT_FOUND = errors.NamespaceNotFound(
    "namespace 'payments' not found", namespace="payments"
)
NAMESPACE_EXISTS = errors.NamespaceAlreadyExists(
    "namespace 'payments' already exists", namespace="payments"
)
WORKFLOW_NOT_FOUND = errors.WorkflowNotFound(
    "workflow 'order-1' not found in namespace 'default'", workflow_id="order-1"
)
ALREADY_STARTED = errors.WorkflowAlreadyStarted(
    "workflow 'order-1' is already running", workflow_id="order-1", run_id=examples.RUN_ID
)
NOT_RUNNING = errors.WorkflowNotRunning(
    "workflow 'order-1' is not running (completed)", workflow_id="order-1", run_id=examples.RUN_ID
)
TOKEN_INVALID = errors.TaskTokenInvalid("the task token is malformed")
QUERY_FAILED = errors.QueryFailed("unknown query 'statuss'; known: status")
QUERY_TIMEOUT = errors.QueryTimeout("no worker answered the query within 10s")
TASK_NOT_FOUND = errors.TaskNotFound(
    "the task was already completed or timed out (duplicate or stale completion)",
    workflow_id="order-1",
    run_id=examples.RUN_ID,
)


def problems(
    *errs: errors.OdinError, invalid: errors.OdinError = INVALID_NAMESPACE
) -> dict[int | str, dict[str, Any]]:
    """The error answers of a route, grouped by status, with an example document for each
    code. Every route answers ``invalid_argument`` (``invalid`` is its example) and
    ``unavailable``."""
    by_status: dict[int, list[errors.OdinError]] = defaultdict(list)
    for err in (invalid, UNAVAILABLE, *errs):
        if err not in by_status[err.status]:
            by_status[err.status].append(err)
    out: dict[int | str, dict[str, Any]] = {}
    for status, group in sorted(by_status.items()):
        codes = ", ".join(f"`{err.code.value}`" for err in group)
        out[status] = {
            "description": f"{group[0].title if len(group) == 1 else _STATUS_TEXT[status]}: "
            f"{codes}",
            "content": {
                PROBLEM_JSON: {
                    "schema": ref(Problem),
                    "examples": {
                        err.code.value: {"summary": err.title, "value": err.to_problem()}
                        for err in group
                    },
                }
            },
        }
    return out


_STATUS_TEXT = {
    400: "Bad request",
    404: "Not found",
    409: "Conflict",
    413: "Payload too large",
    503: "Unavailable",
    504: "Gateway timeout",
}


def install_openapi(app: FastAPI) -> None:
    """Finish the generated document: add the model schemas, drop FastAPI's 422 answers
    (bad input is a 400 problem here), and give the operations routes examples."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _finish(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _finish(doc: dict[str, Any]) -> dict[str, Any]:
    schemas: dict[str, Any] = doc.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in _model_schemas().items():
        if name in schemas and schemas[name] != schema:
            raise RuntimeError(f"two different schemas are named {name!r}")
        schemas[name] = schema
    for path_item in doc.get("paths", {}).values():
        for operation in path_item.values():
            operation.get("responses", {}).pop("422", None)
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    _document_operations_routes(doc["paths"])
    doc["paths"] = _in_tag_order(doc["paths"], [tag["name"] for tag in doc.get("tags", [])])
    return doc


def _in_tag_order(paths: dict[str, Any], tags: list[str]) -> dict[str, Any]:
    """Paths grouped in the order of the tags (the Swagger UI lists them so), each group in
    declaration order. The routes themselves are in hot-path-first order (see ``app``)."""

    def rank(item: tuple[str, Any]) -> int:
        first: dict[str, Any] = next(iter(item[1].values()), {})
        tag = (first.get("tags") or [""])[0]
        return tags.index(tag) if tag in tags else len(tags)

    return dict(sorted(paths.items(), key=rank))


def _model_schemas() -> dict[str, Any]:
    pairs: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        *((model, "validation") for model in REQUEST_MODELS),
        *((model, "serialization") for model in RESPONSE_MODELS),
    ]
    refs, top = models_json_schema(pairs, ref_template=REF_PREFIX + "{model}")
    for (model, _), model_ref in refs.items():
        # Routes refer to models by class name: a renamed one would dangle.
        if model_ref["$ref"] != REF_PREFIX + model.__name__:
            raise RuntimeError(f"{model.__name__} is documented as {model_ref['$ref']}")
    defs: dict[str, Any] = top.get("$defs", {})
    return defs


def _document_operations_routes(paths: dict[str, Any]) -> None:
    documented = {
        "/healthz": (
            "healthz",
            "Answers as long as the process runs (liveness).",
            examples.HEALTHZ,
        ),
        "/readyz": (
            "readyz",
            "Answers 200 when history and matching answer their `/healthz`, 503 otherwise "
            "(readiness: take this frontend out of rotation until then).",
            examples.READYZ,
        ),
        "/api/v1/system-info": (
            "system_info",
            "Version and capabilities of the server, for clients that adapt to it.",
            examples.SYSTEM_INFO,
        ),
    }
    for path, (operation_id, description, path_examples) in documented.items():
        operation = paths.get(path, {}).get("get")
        if operation is None:
            continue
        operation["operationId"] = operation_id
        operation["description"] = description
        content = operation["responses"]["200"].setdefault("content", {}).setdefault(JSON, {})
        content["examples"] = path_examples
    readyz = paths.get("/readyz", {}).get("get")
    if readyz is not None:
        readyz["responses"]["503"] = problems(UNAVAILABLE)[503]
