"""Applying and checking migrations. Services refuse to start on a database that is behind."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from odin_common.db.engine import sync_url
from odin_common.errors import Unavailable

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
UPGRADE_COMMAND = "python -m odin_common.db upgrade"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", sync_url(url).replace("%", "%%"))
    return cfg


def head_revision() -> str:
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    head = script.get_current_head()
    assert head is not None
    return head


def upgrade(url: str, revision: str = "head") -> None:
    """Apply the migrations up to ``revision`` (synchronous; creates the SQLite file)."""
    command.upgrade(alembic_config(url), revision)


def _current(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        return await conn.run_sync(_current)


class SchemaBehind(Unavailable):
    """The database schema is older than this build needs."""


async def ensure_current(engine: AsyncEngine) -> None:
    """Raise :class:`SchemaBehind`, naming the command to run, unless the schema is at head."""
    current = await current_revision(engine)
    head = head_revision()
    if current != head:
        raise SchemaBehind(
            f"the database schema is at revision {current or 'none (empty database)'} but this "
            f"build needs {head}: run `{UPGRADE_COMMAND}` with the same "
            "HUGO_ORCHESTRATOR_DB_CONNECTION first"
        )
