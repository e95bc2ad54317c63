"""Long polls: how long a client may ask to wait, and how long the internal call may take."""

from __future__ import annotations

from datetime import timedelta

from odin_common.durations import parse_duration

MAX_WAIT = timedelta(seconds=60)
"""The longest wait a client may ask of a long poll (poll, history wait, result wait)."""


def parse_wait(value: object, maximum: timedelta = MAX_WAIT) -> timedelta:
    """A client's wait: a duration (``"30s"`` or seconds) no longer than ``maximum``.

    Raises ``ValueError`` with a message for the client when it is malformed or too long.
    """
    wait = parse_duration(value)
    return check_wait(wait, maximum)


def check_wait(wait: timedelta, maximum: timedelta = MAX_WAIT) -> timedelta:
    if wait > maximum:
        raise ValueError(
            f"a wait may not exceed {maximum.total_seconds():g}s "
            f"(asked for {wait.total_seconds():g}s)"
        )
    return wait


def long_poll_timeout(wait: timedelta, margin_seconds: float) -> float:
    """The deadline of the internal call that serves a long poll of ``wait``: the wait itself
    plus a margin for the work around it, so a peer answering at the end of the wait is not
    cut off."""
    return wait.total_seconds() + margin_seconds
