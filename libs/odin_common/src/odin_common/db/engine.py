"""Async engines for PostgreSQL (psycopg 3) and SQLite (aiosqlite), from one database URL."""

from __future__ import annotations

import weakref
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool

from odin_common.errors import Unavailable


def async_url(url: str) -> str:
    """The SQLAlchemy async URL for a user-facing database URL."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend in {"postgresql", "postgres"}:
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite").render_as_string(hide_password=False)
    raise ValueError(f"unsupported database URL {url!r}: use postgresql://... or sqlite:///...")


def sync_url(url: str) -> str:
    """The SQLAlchemy sync URL (used by Alembic)."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend in {"postgresql", "postgres"}:
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    if backend == "sqlite":
        return parsed.set(drivername="sqlite").render_as_string(hide_password=False)
    raise ValueError(f"unsupported database URL {url!r}: use postgresql://... or sqlite:///...")


def create_engine(url: str, *, pool_size: int = 16, single_writer: bool = False) -> AsyncEngine:
    """An engine for ``url``.

    On SQLite every connection uses WAL and a busy timeout; ``single_writer`` keeps one
    connection (history in the dev mode: SQLite has one writer anyway, and one connection
    can never deadlock with itself) and begins transactions IMMEDIATE.
    """
    target = async_url(url)
    if target.startswith("sqlite"):
        engine = create_async_engine(
            target,
            poolclass=AsyncAdaptedQueuePool,
            pool_size=1 if single_writer else max(1, min(pool_size, 4)),
            max_overflow=0,
            pool_timeout=120,
            connect_args={"timeout": 60, "isolation_level": None},
        )
        _configure_sqlite(engine, immediate=single_writer)
        return engine
    kwargs: dict[str, Any] = {
        "pool_size": pool_size,
        "max_overflow": 0,
        "pool_timeout": 30,
        "pool_recycle": 1800,
        "pool_pre_ping": False,
    }
    return create_async_engine(target, **kwargs)


_READERS: weakref.WeakKeyDictionary[AsyncEngine, AsyncEngine] = weakref.WeakKeyDictionary()


def read_connection(engine: AsyncEngine) -> AsyncConnection:
    """A connection for reads (``async with read_connection(engine) as conn``).

    On PostgreSQL it runs in autocommit: no ``BEGIN`` before the first statement and no
    ``ROLLBACK`` when it goes back to the pool, two round trips fewer per read. Each statement
    still sees one consistent snapshot, as under READ COMMITTED in a transaction. Writes use
    ``engine.begin()``."""
    if engine.dialect.name != "postgresql":
        return engine.connect()
    reader = _READERS.get(engine)
    if reader is None:
        reader = _READERS[engine] = engine.execution_options(isolation_level="AUTOCOMMIT")
    return reader.connect()


def _configure_sqlite(engine: AsyncEngine, *, immediate: bool) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _: Any) -> None:
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


async def check_connection(conn: AsyncConnection) -> None:
    await conn.execute(text("SELECT 1"))


async def ping(engine: AsyncEngine) -> None:
    """Raise :class:`Unavailable` if the database cannot be reached."""
    try:
        async with engine.connect() as conn:
            await check_connection(conn)
    except Exception as exc:  # any driver error means "not reachable"
        raise Unavailable(f"the database is unreachable: {exc}") from exc
