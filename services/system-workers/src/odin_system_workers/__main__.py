"""``python -m odin_system_workers``: serve the system workers with uvicorn."""

from __future__ import annotations

import sys

from odin_common.runner import run_service
from odin_system_workers.app import create_app
from odin_system_workers.settings import SystemWorkersSettings


def main() -> int:
    settings = SystemWorkersSettings()
    return run_service(create_app(settings), settings)


if __name__ == "__main__":
    sys.exit(main())
