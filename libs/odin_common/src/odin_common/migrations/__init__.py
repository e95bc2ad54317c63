"""Alembic migrations of the Odin schema (run with ``python -m odin_common.db upgrade``)."""
