"""Durations on the wire: Go-style strings (``"30s"``, ``"5m"``, ``"1h30m"``, ``"250ms"``) or
plain numbers of seconds. Written by hand because no maintained library parses exactly this
grammar (it is Go's ``time.ParseDuration`` without negative values) and both the services
and the SDK must agree on it to the letter.
"""

from __future__ import annotations

import math
import re
from datetime import timedelta

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
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h|d)")
MAX_SECONDS = 100 * 365 * 86400.0  # a hundred years: anything longer is a typo


def parse_duration(value: object) -> timedelta:
    """Parse a duration string or a number of seconds; raise ``ValueError`` if malformed."""
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, bool):
        raise ValueError("a duration must be a string like '30s' or a number of seconds")
    elif isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        seconds = _parse_text(value.strip())
    else:
        raise ValueError("a duration must be a string like '30s' or a number of seconds")
    if math.isnan(seconds) or math.isinf(seconds) or seconds < 0:
        raise ValueError("a duration must be a finite, non-negative length of time")
    if seconds > MAX_SECONDS:
        raise ValueError("a duration may not exceed 100 years")
    return timedelta(seconds=seconds)


def _parse_text(text: str) -> float:
    if not text:
        raise ValueError("empty duration")
    try:
        return float(text)
    except ValueError:
        pass
    pos = 0
    total = 0.0
    while pos < len(text):
        match = _PART.match(text, pos)
        if match is None:
            raise ValueError(
                f"malformed duration {text!r}: expected a number and a unit "
                "(ms, s, m, h, d), e.g. '30s' or '1h30m'"
            )
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    return total


def format_duration(value: timedelta | float | None) -> str | None:
    """Render a duration the way it is written on the wire: ``"1h30m"``, ``"250ms"``, ``"10s"``."""
    if value is None:
        return None
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    if seconds == 0:
        return "0s"
    millis = round(seconds * 1000)
    if millis < 1000:
        return f"{millis}ms" if millis else f"{round(seconds * 1e6)}us"
    hours, rem = divmod(millis, 3_600_000)
    minutes, rem = divmod(rem, 60_000)
    secs, ms = divmod(rem, 1000)
    out = ""
    if hours:
        out += f"{hours}h"
    if minutes:
        out += f"{minutes}m"
    if secs or ms:
        out += f"{secs}.{ms:03d}".rstrip("0").rstrip(".") + "s"
    return out
