"""Readiness: the database answers and matching (where re-queued tasks go) is up."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncEngine

from odin_common.clients import MatchingClient
from odin_common.db.engine import ping
from odin_common.errors import Unavailable


async def check_ready(
    engine: AsyncEngine, matching: MatchingClient, timeout: float
) -> dict[str, str]:
    """Named checks, or :class:`Unavailable` naming the dependency that is down."""
    await ping(engine)
    try:
        # The client keeps retrying a refused connection for several seconds (made for
        # peers that restart); a probe must answer sooner than that.
        async with asyncio.timeout(timeout):
            await matching.request("GET", "/healthz", timeout=timeout)
    except TimeoutError as exc:
        raise Unavailable(f"matching did not answer /healthz within {timeout:g}s") from exc
    except Unavailable as exc:
        raise Unavailable(f"matching is not healthy: {exc.detail}") from exc
    return {"database": "ok", "matching": "ok"}
