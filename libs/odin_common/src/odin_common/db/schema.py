"""The Odin schema (ARCHITECTURE.md, "Data model"). Alembic revisions in ``migrations/`` create
exactly these tables; a test compares the migrated database with this metadata.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from odin_common.db.types import JsonDocument, JsonText, UTCDateTime

metadata = MetaData()

namespaces = Table(
    "namespaces",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(255), nullable=False, unique=True),
    Column("description", Text, nullable=False, default=""),
    Column("retention_days", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Column("search_attributes", JsonText, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

shards = Table(
    "shards",
    metadata,
    Column("shard_id", Integer, primary_key=True, autoincrement=False),
    Column("owner", String(255), nullable=True),
    Column("owner_address", String(1024), nullable=True),
    Column("range_id", BigInteger, nullable=False),
    Column("lease_expires_at", UTCDateTime, nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
)

cluster_members = Table(
    "cluster_members",
    metadata,
    Column("member_id", String(255), primary_key=True),
    Column("service", String(32), nullable=False),
    Column("address", String(1024), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("heartbeat_at", UTCDateTime, nullable=False),
)

executions = Table(
    "executions",
    metadata,
    Column("namespace_id", String(36), nullable=False),
    Column("workflow_id", String(1000), nullable=False),
    Column("run_id", String(64), nullable=False),
    Column("shard_id", Integer, nullable=False),
    Column("status", String(32), nullable=False),
    Column("workflow_type", String(1000), nullable=False),
    Column("task_queue", String(1000), nullable=False),
    Column("start_time", UTCDateTime, nullable=False),
    Column("close_time", UTCDateTime, nullable=True),
    Column("next_event_id", BigInteger, nullable=False),
    Column("db_version", BigInteger, nullable=False),
    Column("state", JsonText, nullable=False),
    PrimaryKeyConstraint("namespace_id", "workflow_id", "run_id"),
    Index("ix_executions_shard_status", "shard_id", "status"),
    Index("ix_executions_status_key", "status", "namespace_id", "workflow_id", "run_id"),
)

current_executions = Table(
    "current_executions",
    metadata,
    Column("namespace_id", String(36), nullable=False),
    Column("workflow_id", String(1000), nullable=False),
    Column("run_id", String(64), nullable=False),
    Column("status", String(32), nullable=False),
    Column("start_request_id", String(255), nullable=True),
    Column("start_time", UTCDateTime, nullable=False),
    Column("close_time", UTCDateTime, nullable=True),
    PrimaryKeyConstraint("namespace_id", "workflow_id"),
)

history_events = Table(
    "history_events",
    metadata,
    Column("namespace_id", String(36), nullable=False),
    Column("workflow_id", String(1000), nullable=False),
    Column("run_id", String(64), nullable=False),
    Column("event_id", BigInteger, nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("event_time", UTCDateTime, nullable=False),
    Column("attributes", Text, nullable=False),
    PrimaryKeyConstraint("namespace_id", "workflow_id", "run_id", "event_id"),
)

transfer_tasks = Table(
    "transfer_tasks",
    metadata,
    Column("shard_id", Integer, nullable=False),
    Column("task_id", BigInteger, nullable=False),
    Column("task_type", String(32), nullable=False),
    Column("payload", JsonText, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("shard_id", "task_id"),
)

timer_tasks = Table(
    "timer_tasks",
    metadata,
    Column("shard_id", Integer, nullable=False),
    Column("fire_at", UTCDateTime, nullable=False),
    Column("task_id", BigInteger, nullable=False),
    Column("task_type", String(32), nullable=False),
    Column("namespace_id", String(36), nullable=False),
    Column("workflow_id", String(1000), nullable=False),
    Column("run_id", String(64), nullable=False),
    Column("payload", JsonText, nullable=False),
    PrimaryKeyConstraint("shard_id", "fire_at", "task_id"),
)

visibility = Table(
    "visibility",
    metadata,
    Column("namespace_id", String(36), nullable=False),
    Column("run_id", String(64), nullable=False),
    Column("workflow_id", String(1000), nullable=False),
    Column("workflow_type", String(1000), nullable=False),
    Column("status", String(32), nullable=False),
    Column("task_queue", String(1000), nullable=False),
    Column("start_time", UTCDateTime, nullable=False),
    Column("execution_time", UTCDateTime, nullable=True),
    Column("close_time", UTCDateTime, nullable=True),
    Column("execution_duration_ms", BigInteger, nullable=True),
    Column("history_length", BigInteger, nullable=False),
    Column("memo", JsonText, nullable=True),
    Column("search_attributes", JsonDocument, nullable=True),
    Column("parent_workflow_id", String(1000), nullable=True),
    PrimaryKeyConstraint("namespace_id", "run_id"),
    Index("ix_visibility_ns_start", "namespace_id", "start_time"),
    Index("ix_visibility_ns_status_start", "namespace_id", "status", "start_time"),
    Index("ix_visibility_ns_type_start", "namespace_id", "workflow_type", "start_time"),
    Index("ix_visibility_ns_wid", "namespace_id", "workflow_id"),
    Index("ix_visibility_ns_close", "namespace_id", "close_time"),
)

schedules = Table(
    "schedules",
    metadata,
    Column("namespace_id", String(36), nullable=False),
    Column("schedule_id", String(1000), nullable=False),
    Column("spec", JsonText, nullable=False),
    Column("action", JsonText, nullable=False),
    Column("policies", JsonText, nullable=False),
    Column("state", JsonText, nullable=False),
    Column("next_run_time", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("db_version", BigInteger, nullable=False),
    PrimaryKeyConstraint("namespace_id", "schedule_id"),
    Index("ix_schedules_next_run", "next_run_time"),
)
