"""The initial schema, and the `default` namespace.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from odin_common.db.types import JsonDocument, JsonText, UTCDateTime

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    namespaces = op.create_table(
        "namespaces",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False, unique=True),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("retention_days", sa.Integer, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("search_attributes", JsonText, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "shards",
        sa.Column("shard_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("owner", sa.String(255), nullable=True),
        sa.Column("owner_address", sa.String(1024), nullable=True),
        sa.Column("range_id", sa.BigInteger, nullable=False),
        sa.Column("lease_expires_at", UTCDateTime, nullable=True),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "cluster_members",
        sa.Column("member_id", sa.String(255), primary_key=True),
        sa.Column("service", sa.String(32), nullable=False),
        sa.Column("address", sa.String(1024), nullable=False),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("heartbeat_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "executions",
        sa.Column("namespace_id", sa.String(36), nullable=False),
        sa.Column("workflow_id", sa.String(1000), nullable=False),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("shard_id", sa.Integer, nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("workflow_type", sa.String(1000), nullable=False),
        sa.Column("task_queue", sa.String(1000), nullable=False),
        sa.Column("start_time", UTCDateTime, nullable=False),
        sa.Column("close_time", UTCDateTime, nullable=True),
        sa.Column("next_event_id", sa.BigInteger, nullable=False),
        sa.Column("db_version", sa.BigInteger, nullable=False),
        sa.Column("state", JsonText, nullable=False),
        sa.PrimaryKeyConstraint("namespace_id", "workflow_id", "run_id"),
    )
    op.create_index("ix_executions_shard_status", "executions", ["shard_id", "status"])
    op.create_index(
        "ix_executions_status_key",
        "executions",
        ["status", "namespace_id", "workflow_id", "run_id"],
    )
    op.create_table(
        "current_executions",
        sa.Column("namespace_id", sa.String(36), nullable=False),
        sa.Column("workflow_id", sa.String(1000), nullable=False),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("start_request_id", sa.String(255), nullable=True),
        sa.Column("start_time", UTCDateTime, nullable=False),
        sa.Column("close_time", UTCDateTime, nullable=True),
        sa.PrimaryKeyConstraint("namespace_id", "workflow_id"),
    )
    op.create_table(
        "history_events",
        sa.Column("namespace_id", sa.String(36), nullable=False),
        sa.Column("workflow_id", sa.String(1000), nullable=False),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("event_id", sa.BigInteger, nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("event_time", UTCDateTime, nullable=False),
        sa.Column("attributes", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("namespace_id", "workflow_id", "run_id", "event_id"),
    )
    op.create_table(
        "transfer_tasks",
        sa.Column("shard_id", sa.Integer, nullable=False),
        sa.Column("task_id", sa.BigInteger, nullable=False),
        sa.Column("task_type", sa.String(32), nullable=False),
        sa.Column("payload", JsonText, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("shard_id", "task_id"),
    )
    op.create_table(
        "timer_tasks",
        sa.Column("shard_id", sa.Integer, nullable=False),
        sa.Column("fire_at", UTCDateTime, nullable=False),
        sa.Column("task_id", sa.BigInteger, nullable=False),
        sa.Column("task_type", sa.String(32), nullable=False),
        sa.Column("namespace_id", sa.String(36), nullable=False),
        sa.Column("workflow_id", sa.String(1000), nullable=False),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("payload", JsonText, nullable=False),
        sa.PrimaryKeyConstraint("shard_id", "fire_at", "task_id"),
    )
    op.create_table(
        "visibility",
        sa.Column("namespace_id", sa.String(36), nullable=False),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("workflow_id", sa.String(1000), nullable=False),
        sa.Column("workflow_type", sa.String(1000), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("task_queue", sa.String(1000), nullable=False),
        sa.Column("start_time", UTCDateTime, nullable=False),
        sa.Column("execution_time", UTCDateTime, nullable=True),
        sa.Column("close_time", UTCDateTime, nullable=True),
        sa.Column("execution_duration_ms", sa.BigInteger, nullable=True),
        sa.Column("history_length", sa.BigInteger, nullable=False),
        sa.Column("memo", JsonText, nullable=True),
        sa.Column("search_attributes", JsonDocument, nullable=True),
        sa.Column("parent_workflow_id", sa.String(1000), nullable=True),
        sa.PrimaryKeyConstraint("namespace_id", "run_id"),
    )
    op.create_index("ix_visibility_ns_start", "visibility", ["namespace_id", "start_time"])
    op.create_index(
        "ix_visibility_ns_status_start", "visibility", ["namespace_id", "status", "start_time"]
    )
    op.create_index(
        "ix_visibility_ns_type_start", "visibility", ["namespace_id", "workflow_type", "start_time"]
    )
    op.create_index("ix_visibility_ns_wid", "visibility", ["namespace_id", "workflow_id"])
    op.create_index("ix_visibility_ns_close", "visibility", ["namespace_id", "close_time"])
    op.create_table(
        "schedules",
        sa.Column("namespace_id", sa.String(36), nullable=False),
        sa.Column("schedule_id", sa.String(1000), nullable=False),
        sa.Column("spec", JsonText, nullable=False),
        sa.Column("action", JsonText, nullable=False),
        sa.Column("policies", JsonText, nullable=False),
        sa.Column("state", JsonText, nullable=False),
        sa.Column("next_run_time", UTCDateTime, nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("db_version", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("namespace_id", "schedule_id"),
    )
    op.create_index("ix_schedules_next_run", "schedules", ["next_run_time"])

    now = datetime.now(UTC)
    op.bulk_insert(
        namespaces,
        [
            {
                "id": str(uuid.uuid4()),
                "name": "default",
                "description": "The namespace every fresh install has.",
                "retention_days": 30,
                "state": "registered",
                "search_attributes": {},
                "created_at": now,
                "updated_at": now,
            }
        ],
    )


def downgrade() -> None:
    for table in (
        "schedules",
        "visibility",
        "timer_tasks",
        "transfer_tasks",
        "history_events",
        "current_executions",
        "executions",
        "cluster_members",
        "shards",
        "namespaces",
    ):
        op.drop_table(table)
