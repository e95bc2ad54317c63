"""Prometheus metrics with the names the original plan documented.

- ``workflow_duration_seconds{namespace, workflow_type, status}``: start to close of each run.
- ``workflow_replay_count{namespace, workflow_type}``: workflow tasks handed out with a full
  history to replay (sticky execution keeps this low).
- ``task_queue_latency_seconds{queue_name, task_type}``: task queued -> handed to a poller.
- ``history_shard_ownership{shard_id, host}``: 1 for each shard this history process owns.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

WORKFLOW_DURATION = Histogram(
    "workflow_duration_seconds",
    "Time from start to close of a workflow run.",
    ["namespace", "workflow_type", "status"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800, 3600, 86400),
)
WORKFLOW_REPLAY_COUNT = Counter(
    "workflow_replay_count",
    "Workflow tasks handed to a worker with the full history to replay.",
    ["namespace", "workflow_type"],
)
TASK_QUEUE_LATENCY = Histogram(
    "task_queue_latency_seconds",
    "Time from a task being queued to its hand-over to a poller.",
    ["queue_name", "task_type"],
    buckets=(0.001, 0.003, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5, 30, 60, 300),
)
HISTORY_SHARD_OWNERSHIP = Gauge(
    "history_shard_ownership",
    "1 for each shard owned by this history process.",
    ["shard_id", "host"],
)
