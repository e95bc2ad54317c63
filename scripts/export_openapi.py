"""Write the OpenAPI document of each service to openapi/<service>.json (`make openapi`).

Each service has a unit test that fails when its committed document drifts from the code.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _apps() -> dict[str, Callable[[], Any]]:
    from odin_frontend.app import create_app as frontend
    from odin_history.app import create_app as history
    from odin_matching.app import create_app as matching
    from odin_system_workers.app import create_app as system_workers

    return {
        "frontend": frontend,
        "history": history,
        "matching": matching,
        "system-workers": system_workers,
    }


def render(app: Any) -> str:
    return json.dumps(app.openapi(), indent=2, sort_keys=True) + "\n"


def main(out_dir: str = "openapi") -> int:
    target = ROOT / out_dir
    target.mkdir(exist_ok=True)
    for name, factory in _apps().items():
        path = target / f"{name}.json"
        path.write_text(render(factory()))
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
