"""Types shared by client, worker and workflows."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

MAX_DURATION = timedelta(days=100 * 365)
"""The longest duration the server accepts (a hundred years: anything longer is a typo)."""


def duration(value: timedelta | None, name: str = "a duration") -> str | None:
    """A timedelta as the API writes it (whole seconds and up to six decimals, e.g. ``"10s"``,
    ``"0.25s"``, ``"2592000s"``). Raises ``ValueError`` naming ``name`` for a negative one
    or one longer than :data:`MAX_DURATION`, which the server would refuse."""
    if value is None:
        return None
    if value < timedelta(0):
        raise ValueError(f"{name} must not be negative (got {value})")
    if value > MAX_DURATION:
        raise ValueError(f"{name} must not be longer than 100 years (got {value})")
    # Integer arithmetic: a float rendering would drop precision and switch to an exponent
    # ("2.592e+06s") that the server's duration grammar does not accept.
    seconds, micros = divmod(value // timedelta(microseconds=1), 1_000_000)
    fraction = f".{micros:06d}".rstrip("0") if micros else ""
    return f"{seconds}{fraction}s"


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
        """The policy as the API writes it; ``ValueError`` for values the server refuses."""
        if not 1.0 <= self.backoff_coefficient <= 100.0:
            raise ValueError(
                "RetryPolicy.backoff_coefficient must be between 1 and 100 "
                f"(got {self.backoff_coefficient})"
            )
        if self.maximum_attempts < 0:
            raise ValueError(
                f"RetryPolicy.maximum_attempts must not be negative (got {self.maximum_attempts})"
            )
        out: dict[str, Any] = {
            "initial_interval": duration(self.initial_interval, "RetryPolicy.initial_interval"),
            "backoff_coefficient": self.backoff_coefficient,
            "maximum_attempts": self.maximum_attempts,
            "non_retryable_error_types": list(self.non_retryable_error_types),
        }
        if self.maximum_interval is not None:
            out["maximum_interval"] = duration(
                self.maximum_interval, "RetryPolicy.maximum_interval"
            )
        return out


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
