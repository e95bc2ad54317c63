"""Arguments and results are JSON. Values are converted both ways using type hints:
pydantic models, dataclasses and the standard containers come back as what the signature
says (pydantic does the work)."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Sequence
from typing import Any, get_type_hints

from pydantic import BaseModel, TypeAdapter

_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def _adapter(tp: Any) -> TypeAdapter[Any]:
    adapter = _ADAPTERS.get(tp)
    if adapter is None:
        adapter = TypeAdapter(tp)
        _ADAPTERS[tp] = adapter
    return adapter


def to_json(value: Any) -> Any:
    """A JSON-compatible value for ``value``."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _adapter(type(value)).dump_python(value, mode="json")
    return _adapter(Any).dump_python(value, mode="json")


def from_json(value: Any, tp: Any) -> Any:
    """``value`` (decoded JSON) as type ``tp`` (``None``/``Any``: unchanged)."""
    if tp is None or tp is Any or tp is inspect.Parameter.empty:
        return value
    return _adapter(tp).validate_python(value)


def param_types(fn: Callable[..., Any], *, skip_self: bool = False) -> list[Any]:
    """The annotated types of ``fn``'s positional parameters (``Any`` where missing)."""
    try:
        hints = get_type_hints(fn)
    except Exception:  # unresolvable forward references: fall back to no conversion
        hints = {}
    params = list(inspect.signature(fn).parameters.values())
    if skip_self and params:
        params = params[1:]
    return [
        hints.get(p.name, Any)
        for p in params
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
    ]


def return_type(fn: Callable[..., Any]) -> Any:
    try:
        return get_type_hints(fn).get("return", Any)
    except Exception:
        return Any


def decode_args(values: Sequence[Any], types: list[Any]) -> list[Any]:
    """Convert decoded JSON arguments to the parameter types, position by position."""
    out = []
    for i, value in enumerate(values):
        tp = types[i] if i < len(types) else Any
        out.append(from_json(value, tp))
    return out
