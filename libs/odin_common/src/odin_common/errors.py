"""The one error hierarchy of the Odin services.

Below the routers, code raises only :class:`OdinError` subclasses. Each carries a stable
:class:`ErrorCode` (documented in API.md) and an HTTP status; one exception handler
(:mod:`odin_common.problem`) renders them as ``application/problem+json`` (RFC 9457), and the
internal HTTP clients turn such a document back into the same exception, so an error raised
in history reaches the worker unchanged through matching and the frontend::

    OdinError
    ├── InvalidArgument            400 invalid_argument
    │   ├── InvalidQuery           400 invalid_query
    │   └── TaskTokenInvalid       400 task_token_invalid
    ├── Unauthenticated            401 unauthenticated
    ├── PermissionDenied           403 permission_denied
    ├── NotFound                   404
    │   ├── NamespaceNotFound      404 namespace_not_found
    │   ├── WorkflowNotFound       404 workflow_not_found
    │   ├── TaskNotFound           404 task_not_found (stale or duplicate completion)
    │   └── ResourceNotFound       404 not_found (unknown path or object)
    ├── Conflict                   409
    │   ├── NamespaceAlreadyExists 409 namespace_already_exists
    │   ├── WorkflowAlreadyStarted 409 workflow_already_started
    │   └── WorkflowNotRunning     409 workflow_not_running
    ├── PayloadTooLarge            413 payload_too_large
    ├── RateLimited                429 rate_limited
    ├── QueryFailed                400 query_failed
    ├── QueryTimeout               504 query_timeout
    ├── ShardNotOwned              503 shard_not_owned (internal: route elsewhere)
    ├── Unavailable                503 unavailable
    └── InternalError              500 internal (a bug; never raised on purpose)
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar


class ErrorCode(StrEnum):
    """Stable machine-readable error codes (the ``code`` member of a problem document)."""

    NAMESPACE_NOT_FOUND = "namespace_not_found"
    NAMESPACE_ALREADY_EXISTS = "namespace_already_exists"
    WORKFLOW_NOT_FOUND = "workflow_not_found"
    WORKFLOW_ALREADY_STARTED = "workflow_already_started"
    WORKFLOW_NOT_RUNNING = "workflow_not_running"
    INVALID_ARGUMENT = "invalid_argument"
    INVALID_QUERY = "invalid_query"
    TASK_TOKEN_INVALID = "task_token_invalid"
    TASK_NOT_FOUND = "task_not_found"
    QUERY_FAILED = "query_failed"
    QUERY_TIMEOUT = "query_timeout"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    RATE_LIMITED = "rate_limited"
    UNAUTHENTICATED = "unauthenticated"
    PERMISSION_DENIED = "permission_denied"
    SHARD_NOT_OWNED = "shard_not_owned"
    UNAVAILABLE = "unavailable"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    INTERNAL = "internal"


class OdinError(Exception):
    """Base of every error the services raise on purpose.

    ``extra`` holds members added to the problem document (``workflow_id``, ``run_id``,
    ``errors``...). They must be JSON values.
    """

    code: ClassVar[ErrorCode] = ErrorCode.INTERNAL
    status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal error"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        self.detail = detail or self.title
        self.extra = {k: v for k, v in extra.items() if v is not None}
        super().__init__(self.detail)

    def to_problem(self) -> dict[str, Any]:
        """The RFC 9457 problem document for this error."""
        doc: dict[str, Any] = {
            "type": f"https://odin.dev/problems/{self.code.value}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code.value,
        }
        doc.update(self.extra)
        return doc

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.detail!r}, code={self.code.value!r})"


class InvalidArgument(OdinError):
    code = ErrorCode.INVALID_ARGUMENT
    status = 400
    title = "Invalid argument"


class InvalidQuery(InvalidArgument):
    code = ErrorCode.INVALID_QUERY
    title = "Invalid list query"


class TaskTokenInvalid(InvalidArgument):
    code = ErrorCode.TASK_TOKEN_INVALID
    title = "Invalid task token"


class Unauthenticated(OdinError):
    code = ErrorCode.UNAUTHENTICATED
    status = 401
    title = "Unauthenticated"


class PermissionDenied(OdinError):
    code = ErrorCode.PERMISSION_DENIED
    status = 403
    title = "Permission denied"


class NotFound(OdinError):
    code = ErrorCode.NOT_FOUND
    status = 404
    title = "Not found"


class ResourceNotFound(NotFound):
    pass


class NamespaceNotFound(NotFound):
    code = ErrorCode.NAMESPACE_NOT_FOUND
    title = "Namespace not found"


class WorkflowNotFound(NotFound):
    code = ErrorCode.WORKFLOW_NOT_FOUND
    title = "Workflow not found"


class TaskNotFound(NotFound):
    code = ErrorCode.TASK_NOT_FOUND
    title = "Task not found"


class MethodNotAllowed(OdinError):
    code = ErrorCode.METHOD_NOT_ALLOWED
    status = 405
    title = "Method not allowed"


class Conflict(OdinError):
    code = ErrorCode.INVALID_ARGUMENT
    status = 409
    title = "Conflict"


class NamespaceAlreadyExists(Conflict):
    code = ErrorCode.NAMESPACE_ALREADY_EXISTS
    title = "Namespace already exists"


class WorkflowAlreadyStarted(Conflict):
    code = ErrorCode.WORKFLOW_ALREADY_STARTED
    title = "Workflow already started"


class WorkflowNotRunning(Conflict):
    code = ErrorCode.WORKFLOW_NOT_RUNNING
    title = "Workflow not running"


class PayloadTooLarge(OdinError):
    code = ErrorCode.PAYLOAD_TOO_LARGE
    status = 413
    title = "Payload too large"


class RateLimited(OdinError):
    code = ErrorCode.RATE_LIMITED
    status = 429
    title = "Rate limited"


class QueryFailed(OdinError):
    code = ErrorCode.QUERY_FAILED
    status = 400
    title = "Query failed"


class QueryTimeout(OdinError):
    code = ErrorCode.QUERY_TIMEOUT
    status = 504
    title = "Query timed out"


class ShardNotOwned(OdinError):
    code = ErrorCode.SHARD_NOT_OWNED
    status = 503
    title = "Shard not owned by this history process"


class Unavailable(OdinError):
    code = ErrorCode.UNAVAILABLE
    status = 503
    title = "Service unavailable"


class InternalError(OdinError):
    code = ErrorCode.INTERNAL
    status = 500
    title = "Internal error"


_BY_CODE: dict[str, type[OdinError]] = {}
for _cls in (
    InvalidArgument,
    InvalidQuery,
    TaskTokenInvalid,
    Unauthenticated,
    PermissionDenied,
    ResourceNotFound,
    NamespaceNotFound,
    WorkflowNotFound,
    TaskNotFound,
    MethodNotAllowed,
    NamespaceAlreadyExists,
    WorkflowAlreadyStarted,
    WorkflowNotRunning,
    PayloadTooLarge,
    RateLimited,
    QueryFailed,
    QueryTimeout,
    ShardNotOwned,
    Unavailable,
    InternalError,
):
    _BY_CODE[_cls.code.value] = _cls


def error_from_problem(doc: dict[str, Any], status: int) -> OdinError:
    """Rebuild the exception a peer service raised from its problem document."""
    code = str(doc.get("code", ""))
    cls = _BY_CODE.get(code)
    extra = {k: v for k, v in doc.items() if k not in {"type", "title", "status", "detail", "code"}}
    detail = str(doc.get("detail") or doc.get("title") or f"HTTP {status}")
    if cls is None:
        cls = Unavailable if status >= 500 else InvalidArgument
    return cls(detail, **extra)
