"""``python -m odin_matching``: run matching with uvicorn."""

from __future__ import annotations

import sys

from odin_common.runner import run_service
from odin_matching.app import create_app
from odin_matching.settings import MatchingSettings


def main() -> int:
    settings = MatchingSettings()
    app = create_app(settings)

    def stop_polls() -> None:
        # Parked long polls end within a slice (answering 204), and waiting queries with
        # `unavailable`, rather than being cancelled by uvicorn in the middle of a Redis read.
        matching = getattr(app.state, "matching", None)
        if matching is not None:
            matching.stopping = True

    # A parked poll notices the shutdown within a slice; one handing a task over within the
    # history call timeout.
    graceful = int(settings.poll_slice_seconds + settings.history_call_timeout_seconds + 2)
    return run_service(app, settings, on_exit=stop_polls, graceful_shutdown_seconds=graceful)


if __name__ == "__main__":
    sys.exit(main())
