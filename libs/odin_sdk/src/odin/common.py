"""Types shared by client, worker and workflows."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any


def _duration(value: timedelta | None) -> str | None:
    if value is None:
        return None
    return f"{value.total_seconds():g}s"


@dataclass(frozen=True)
class RetryPolicy:
    """How an activity or workflow is retried (Temporal's defaults)."""

    initial_interval: timedelta = timedelta(seconds=1)
    backoff_coefficient: float = 2.0
    maximum_interval: timedelta | None = None
    maximum_attempts: int = 0
    """0 means unlimited."""
    non_retryable_error_types: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "initial_interval": _duration(self.initial_interval),
            "backoff_coefficient": self.backoff_coefficient,
            "maximum_attempts": self.maximum_attempts,
            "non_retryable_error_types": list(self.non_retryable_error_types),
        }
        if self.maximum_interval is not None:
            out["maximum_interval"] = _duration(self.maximum_interval)
        return out


def duration(value: timedelta | None) -> str | None:
    """A timedelta as the API writes it (seconds with an ``s``)."""
    return _duration(value)


_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h|d)")
_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
    "d": 86400.0,
}


def parse_duration(value: Any) -> timedelta | None:
    """Parse the server's duration strings (``"1h30m"``, ``"250ms"``, ``"10s"``)."""
    if value is None:
        return None
    if isinstance(value, int | float):
        return timedelta(seconds=value)
    text = str(value).strip()
    try:
        return timedelta(seconds=float(text))
    except ValueError:
        pass
    parts = _PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"malformed duration {text!r}")
    return timedelta(seconds=sum(float(n) * _UNITS[u] for n, u in parts))
