"""Task stores: Redis Streams in production, an in-process store for the single-process mode."""

from odin_matching.store.base import (
    Lease,
    PollerSeen,
    QueryAnswer,
    QueryRendezvous,
    QueueStatus,
    TaskStore,
)
from odin_matching.store.memory_store import InMemoryTaskStore
from odin_matching.store.redis_store import RedisTaskStore

__all__ = [
    "InMemoryTaskStore",
    "Lease",
    "PollerSeen",
    "QueryAnswer",
    "QueryRendezvous",
    "QueueStatus",
    "RedisTaskStore",
    "TaskStore",
]
