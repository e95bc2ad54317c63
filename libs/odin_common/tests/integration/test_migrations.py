"""The Alembic migrations create exactly the schema in ``schema.py``, on both databases."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, select

from odin_common.db.engine import sync_url
from odin_common.db.schema import metadata, namespaces

pytestmark = pytest.mark.integration


def _diff(url: str) -> list[object]:
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": False})
            diff = compare_metadata(ctx, metadata)
            names = conn.execute(select(namespaces.c.name)).scalars().all()
    finally:
        engine.dispose()
    assert names == ["default"]
    return diff


def test_postgres_schema_matches_metadata(pg_url: str) -> None:
    assert _diff(pg_url) == []


def test_sqlite_schema_matches_metadata(sqlite_url: str) -> None:
    assert _diff(sqlite_url) == []


def test_upgrade_of_a_database_that_does_not_exist_says_so_in_one_line(
    pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from odin_common.db.__main__ import main

    missing = pg_url.rsplit("/", 1)[0] + "/odin_no_such_database"
    assert main(["upgrade", "--url", missing]) == 1
    err = capsys.readouterr().err
    assert err.startswith("cannot upgrade the database:")
    assert "does not exist" in err
    assert "Traceback" not in err
