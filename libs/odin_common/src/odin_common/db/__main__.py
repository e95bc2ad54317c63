"""``python -m odin_common.db upgrade|current|head`` against HUGO_ORCHESTRATOR_DB_CONNECTION."""

from __future__ import annotations

import argparse
import asyncio
import sys

from sqlalchemy.exc import OperationalError

from odin_common.db.engine import create_engine
from odin_common.db.migrate import current_revision, head_revision, upgrade
from odin_common.settings import ServiceSettings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m odin_common.db",
        description="Odin database migrations (the database is HUGO_ORCHESTRATOR_DB_CONNECTION).",
    )
    parser.add_argument("command", choices=["upgrade", "current", "head"])
    parser.add_argument("--url", help="database URL (default: HUGO_ORCHESTRATOR_DB_CONNECTION)")
    args = parser.parse_args(argv)
    url = args.url or ServiceSettings().db_connection
    if args.command == "head":
        print(head_revision())
        return 0
    try:
        return _run(args.command, url)
    except OperationalError as exc:
        # e.g. the database does not exist yet, or the server is down: one line, no traceback
        reason = str(exc.orig).strip().splitlines()[-1] if exc.orig else str(exc)
        print(f"cannot {args.command} the database: {reason}", file=sys.stderr)
        return 1


def _run(command: str, url: str) -> int:
    if command == "upgrade":
        upgrade(url)
        print(f"database is at {head_revision()}")
        return 0

    async def show() -> str | None:
        engine = create_engine(url, pool_size=1)
        try:
            return await current_revision(engine)
        finally:
            await engine.dispose()

    print(asyncio.run(show()) or "none")
    return 0


if __name__ == "__main__":
    sys.exit(main())
