"""Fixtures for tests against real PostgreSQL and Redis (loaded for the whole repo from the
root pyproject's ``addopts``).

- ``pg_url``: a fresh, migrated PostgreSQL database per test, cloned from a template that is
  built once per migration set (``CREATE DATABASE ... TEMPLATE`` takes ~0.1 s).
- ``sqlite_url``: a fresh, migrated SQLite file per test.
- ``redis_url`` and ``redis_prefix``: the test Redis and a key prefix no other test uses;
  the keys are deleted afterwards.

``ODIN_TEST_DATABASE_URL`` (an admin connection, default
``postgresql://postgres@127.0.0.1:5432/postgres``) and ``ODIN_TEST_REDIS_URL`` (default
``redis://127.0.0.1:6379/0``) say where the servers are.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from odin_common.db.migrate import MIGRATIONS_DIR, upgrade

ADMIN_URL = os.environ.get(
    "ODIN_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("ODIN_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
_LOCK_ID = 0x0D1
_template_name: str | None = None


def _migrations_digest() -> str:
    digest = hashlib.sha1()
    for path in sorted(MIGRATIONS_DIR.rglob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    schema = MIGRATIONS_DIR.parent / "db" / "schema.py"
    digest.update(schema.read_bytes())
    return digest.hexdigest()[:12]


def _url_for(database: str) -> str:
    return make_url(ADMIN_URL).set(database=database).render_as_string(hide_password=False)


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _ensure_template() -> str:
    global _template_name
    if _template_name:
        return _template_name
    name = f"odin_tpl_{_migrations_digest()}"
    with psycopg.connect(_libpq(ADMIN_URL), autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_LOCK_ID,))
        try:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
            ).fetchone()
            if not exists:
                building = f"{name}_build_{uuid.uuid4().hex[:6]}"
                conn.execute(f'CREATE DATABASE "{building}"')
                upgrade(_url_for(building))
                conn.execute(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_ID,))
    _template_name = name
    return name


def create_test_database() -> str:
    """Create a fresh migrated database; return its URL."""
    template = _ensure_template()
    name = f"odin_t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(_libpq(ADMIN_URL), autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_LOCK_ID,))
        try:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_ID,))
    return _url_for(name)


def drop_test_database(url: str) -> None:
    name = make_url(url).database
    with psycopg.connect(_libpq(ADMIN_URL), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_url() -> Iterator[str]:
    url = create_test_database()
    try:
        yield url
    finally:
        drop_test_database(url)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'odin.db'}"
    upgrade(url)
    return url


@pytest.fixture
def redis_url() -> str:
    return REDIS_URL


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    from redis.asyncio import Redis

    prefix = f"odintest-{uuid.uuid4().hex[:12]}"
    yield prefix
    client = Redis.from_url(REDIS_URL)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}:*", count=1000)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()
