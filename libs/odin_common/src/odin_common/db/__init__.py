"""Database: schema (SQLAlchemy Core), engines, and Alembic migrations.

``python -m odin_common.db upgrade`` applies the migrations to the database named by
``HUGO_ORCHESTRATOR_DB_CONNECTION``.
"""
