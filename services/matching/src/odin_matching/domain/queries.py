"""Rules of query tasks: when a queued query is past helping, and what its waiter is told
when history cannot build it."""

from __future__ import annotations

from odin_common import errors

MAX_QUERY_WAIT_SECONDS = 60.0
"""The longest any query waits for its answer (``QueryTaskRequest.timeout_seconds``)."""

ABANDONED_AFTER_SECONDS = MAX_QUERY_WAIT_SECONDS + 10.0
"""A query entry queued this long ago has nobody waiting for it any more. The margin covers
clock differences between the matching processes that queue and take it."""


def is_abandoned(enqueued_at: float, now: float) -> bool:
    """Whether a query entry queued at ``enqueued_at`` (epoch seconds) outlived every wait.

    A waiting query withdraws its entry when it ends; only an entry whose matching process
    stopped first is left behind, and a poll drops it without asking history or a worker.
    """
    return now - enqueued_at > ABANDONED_AFTER_SECONDS


def query_failure_message(workflow_id: str, run_id: str, error: BaseException) -> str:
    """What the waiting query reports when history refused to build its task."""
    if isinstance(error, errors.OdinError):
        reason = f"{error.detail} ({error.code.value})"
    else:
        reason = repr(error)
    return f"workflow {workflow_id!r} run {run_id!r} cannot be queried: {reason}"
