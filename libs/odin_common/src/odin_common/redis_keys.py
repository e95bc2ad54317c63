"""Every Redis key Odin writes, in one place (as arq does).

Names are url-quoted so that any namespace, task queue or query id maps to one key, and the
part inside ``{...}`` is a Redis Cluster hash tag: all keys of one task queue live on one slot,
and so do the keys of one query.
"""

from __future__ import annotations

from urllib.parse import quote

CONSUMER_GROUP = "odin-matching"


class RedisKeys:
    def __init__(self, prefix: str = "odin") -> None:
        self.prefix = prefix

    def _queue(self, namespace: str, task_queue: str, kind: str, partition: int) -> str:
        tag = f"{quote(namespace, safe='')}/{quote(task_queue, safe='')}/{kind}/{partition}"
        return f"{self.prefix}:tq:{{{tag}}}"

    def stream(self, namespace: str, task_queue: str, kind: str, partition: int = 0) -> str:
        """The stream of tasks waiting for a poller."""
        return self._queue(namespace, task_queue, kind, partition) + ":stream"

    def queued(self, namespace: str, task_queue: str, kind: str, partition: int = 0) -> str:
        """Hash: dedup key of each task in the stream -> its entry id (add is idempotent)."""
        return self._queue(namespace, task_queue, kind, partition) + ":queued"

    @staticmethod
    def queued_of_stream(stream_key: str) -> str:
        """The ``queued`` hash that belongs to a stream key (as listed in the queue index)."""
        if not stream_key.endswith(":stream"):
            raise ValueError(f"not a task queue stream key: {stream_key!r}")
        return stream_key[: -len(":stream")] + ":queued"

    def pollers(self, namespace: str, task_queue: str, kind: str) -> str:
        """Hash: poller identity -> last poll time (epoch seconds)."""
        return self._queue(namespace, task_queue, kind, 0) + ":pollers"

    def queue_index(self) -> str:
        """Set of every stream key matching has written (for reclaiming and listing)."""
        return f"{self.prefix}:tq-index"

    def _query(self, namespace: str, query_id: str) -> str:
        return f"{self.prefix}:query:{{{quote(namespace, safe='')}/{quote(query_id, safe='')}}}"

    def query_answer(self, namespace: str, query_id: str) -> str:
        """List: the answer to one query, pushed by the matching process a worker answered
        through and popped by the one that waits for it (expires soon after)."""
        return self._query(namespace, query_id) + ":answer"

    def query_answered(self, namespace: str, query_id: str) -> str:
        """Marker: the query has had its answer, so a second one is ignored (expires with
        the answer)."""
        return self._query(namespace, query_id) + ":answered"
