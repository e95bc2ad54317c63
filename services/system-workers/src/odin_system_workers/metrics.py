"""Prometheus metrics of the system workers (served on ``/metrics``).

- ``reconciler_tasks_requeued_total``: tasks the reconciler queued again that matching did not
  hold (matching's ``added``; a task still queued is not counted).
- ``reconciler_rounds_total{outcome}``: reconciler rounds, ``ok`` or ``error``.
- ``reconciler_last_success_timestamp_seconds``: Unix time of the last round that completed
  (alert when it falls behind by a few intervals).
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge

RECONCILER_TASKS_REQUEUED = Counter(
    "reconciler_tasks_requeued",
    "Tasks the reconciler queued again because no queue held them.",
)
RECONCILER_ROUNDS = Counter(
    "reconciler_rounds",
    "Reconciler rounds, by outcome (ok or error).",
    ["outcome"],
)
RECONCILER_LAST_SUCCESS = Gauge(
    "reconciler_last_success_timestamp_seconds",
    "Unix time of the last reconciler round that completed.",
)
