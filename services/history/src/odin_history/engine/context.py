"""Everything a history use case needs, built once in the app's lifespan."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from odin_common.clients import HistoryClient, MatchingClient
from odin_common.clock import Clock
from odin_history.engine.namespaces import NamespaceRegistry
from odin_history.engine.notifier import Notifier
from odin_history.engine.shards import ShardController
from odin_history.engine.workflows import WorkflowEngine
from odin_history.settings import HistorySettings


@dataclass
class HistoryContext:
    settings: HistorySettings
    db: AsyncEngine
    clock: Clock
    namespaces: NamespaceRegistry
    shards: ShardController
    engine: WorkflowEngine
    notifier: Notifier
    matching: MatchingClient
    history: HistoryClient
    """History processes (this one included) reached over HTTP, routed by shard."""
