"""Wake-ups for long polls (history ``wait_new_event``, result ``wait``): a write to a run
notifies whoever waits for it. Waiters take their future *before* reading, so a change
between the read and the wait is never missed::

    with notifier.watch(key) as changed:
        ... read the state ...
        await notifier.wait(changed, timeout)
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable, Iterator
from contextlib import contextmanager


class Notifier:
    def __init__(self) -> None:
        self._futures: dict[Hashable, asyncio.Future[None]] = {}
        self._watchers: dict[Hashable, int] = {}
        self.closed = False

    def close(self) -> None:
        """The process is stopping: end every long poll now (they answer "nothing yet")."""
        self.closed = True
        for key in list(self._futures):
            self.notify(key)

    @contextmanager
    def watch(self, key: Hashable) -> Iterator[asyncio.Future[None]]:
        fut = self._futures.get(key)
        if fut is None or fut.done():
            fut = asyncio.get_running_loop().create_future()
            self._futures[key] = fut
        self._watchers[key] = self._watchers.get(key, 0) + 1
        try:
            yield fut
        finally:
            left = self._watchers[key] - 1
            if left:
                self._watchers[key] = left
            else:
                del self._watchers[key]
                if self._futures.get(key) is fut:
                    del self._futures[key]

    def notify(self, key: Hashable) -> None:
        fut = self._futures.pop(key, None)
        if fut is not None and not fut.done():
            fut.set_result(None)

    async def wait(self, fut: asyncio.Future[None], timeout: float) -> bool:
        """True if woken by a change before ``timeout`` seconds (False once closed)."""
        if self.closed:
            return False
        if fut.done():
            return True
        if timeout <= 0:
            return False
        try:
            await asyncio.wait_for(asyncio.shield(fut), timeout)
        except TimeoutError:
            return False
        return not self.closed
