"""``python -m odin_history``: run the history service."""

from __future__ import annotations

import sys

from odin_common.runner import run_service
from odin_history.app import create_app
from odin_history.settings import HistorySettings


def main() -> int:
    settings = HistorySettings()
    app = create_app(settings)

    def end_long_polls() -> None:
        ctx = getattr(app.state, "ctx", None)
        if ctx is not None:
            ctx.notifier.close()

    return run_service(app, settings, on_exit=end_long_polls)


if __name__ == "__main__":
    sys.exit(main())
