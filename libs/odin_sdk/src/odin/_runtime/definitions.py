"""What ``@workflow.defn`` and ``@activity.defn`` record about your code."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from odin import converter

WORKFLOW_ATTR = "__odin_workflow_definition__"
RUN_ATTR = "__odin_workflow_run__"
SIGNAL_ATTR = "__odin_workflow_signal__"
QUERY_ATTR = "__odin_workflow_query__"
ACTIVITY_ATTR = "__odin_activity_definition__"


@dataclass
class WorkflowDefinition:
    name: str
    cls: type
    run_fn: Callable[..., Any]
    arg_types: list[Any]
    result_type: Any
    signals: dict[str, Callable[..., Any]] = field(default_factory=dict)
    queries: dict[str, Callable[..., Any]] = field(default_factory=dict)

    @staticmethod
    def of(obj: Any) -> WorkflowDefinition:
        """The definition of a workflow class or of its run method."""
        defn = getattr(obj, WORKFLOW_ATTR, None)
        if not isinstance(defn, WorkflowDefinition):
            raise TypeError(f"{obj!r} is not a workflow: decorate its class with @workflow.defn")
        return defn


@dataclass
class ActivityDefinition:
    name: str
    fn: Callable[..., Any]
    is_async: bool
    arg_types: list[Any]
    result_type: Any

    @staticmethod
    def of(obj: Any) -> ActivityDefinition:
        defn = getattr(obj, ACTIVITY_ATTR, None)
        if not isinstance(defn, ActivityDefinition):
            raise TypeError(f"{obj!r} is not an activity: decorate it with @activity.defn")
        return defn


def define_workflow(cls: type, name: str | None) -> WorkflowDefinition:
    run_fns = [fn for _, fn in inspect.getmembers(cls) if getattr(fn, RUN_ATTR, False)]
    if len(run_fns) != 1:
        raise TypeError(
            f"workflow class {cls.__name__} needs exactly one method decorated with "
            f"@workflow.run (found {len(run_fns)})"
        )
    run_fn = run_fns[0]
    if not inspect.iscoroutinefunction(run_fn):
        raise TypeError(f"{cls.__name__}.{run_fn.__name__} must be `async def`")
    defn = WorkflowDefinition(
        name=name or cls.__name__,
        cls=cls,
        run_fn=run_fn,
        arg_types=converter.param_types(run_fn, skip_self=True),
        result_type=converter.return_type(run_fn),
    )
    for _, fn in inspect.getmembers(cls):
        signal_name = getattr(fn, SIGNAL_ATTR, None)
        if signal_name:
            defn.signals[signal_name] = fn
        query_name = getattr(fn, QUERY_ATTR, None)
        if query_name:
            if inspect.iscoroutinefunction(fn):
                raise TypeError(
                    f"query handler {cls.__name__}.{fn.__name__} must be a plain `def`: a query "
                    "reads the workflow's state and may not wait for anything"
                )
            defn.queries[query_name] = fn
    setattr(cls, WORKFLOW_ATTR, defn)
    setattr(run_fn, WORKFLOW_ATTR, defn)
    return defn


def define_activity(fn: Callable[..., Any], name: str | None) -> ActivityDefinition:
    defn = ActivityDefinition(
        name=name or fn.__name__,
        fn=fn,
        is_async=inspect.iscoroutinefunction(fn),
        arg_types=converter.param_types(fn),
        result_type=converter.return_type(fn),
    )
    setattr(fn, ACTIVITY_ATTR, defn)
    return defn


def workflow_name(workflow: Any) -> tuple[str, Any]:
    """(type name, result type) of a workflow given as class, run method or name."""
    if isinstance(workflow, str):
        return workflow, Any
    defn = WorkflowDefinition.of(workflow)
    return defn.name, defn.result_type


def activity_name(activity: Any) -> tuple[str, Any]:
    """(type name, result type) of an activity given as function or name."""
    if isinstance(activity, str):
        return activity, Any
    defn = ActivityDefinition.of(activity)
    return defn.name, defn.result_type


def handler_name(handler: Any, attr: str) -> str:
    """The signal/query name of a handler given as a method or a name."""
    if isinstance(handler, str):
        return handler
    name = getattr(handler, attr, None)
    if not isinstance(name, str):
        kind = "signal" if attr == SIGNAL_ATTR else "query"
        raise TypeError(f"{handler!r} is not a {kind} handler: decorate it with @workflow.{kind}")
    return name
