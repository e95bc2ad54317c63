"""``python -m odin_frontend``: serve the public API on ``settings.host:settings.listen_port``."""

from __future__ import annotations

import sys

from odin_common.runner import run_service
from odin_frontend.app import create_app
from odin_frontend.settings import FrontendSettings


def main() -> int:
    settings = FrontendSettings()
    return run_service(create_app(settings), settings)


if __name__ == "__main__":
    sys.exit(main())
