"""Odin's embedded dev server: the four services in one process on SQLite and the
in-process task store (what ``odin dev`` and ``WorkflowEnvironment.start_local()`` run)."""

from odin_devserver.server import DevServer

__all__ = ["DevServer"]
