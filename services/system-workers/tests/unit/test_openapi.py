"""The committed OpenAPI document matches the app."""

from __future__ import annotations

import json
from pathlib import Path

from odin_system_workers.app import create_app
from odin_system_workers.settings import SystemWorkersSettings

COMMITTED = Path(__file__).resolve().parents[4] / "openapi" / "system-workers.json"


def test_committed_openapi_matches_the_app() -> None:
    current = json.dumps(create_app(SystemWorkersSettings()).openapi(), indent=2, sort_keys=True)
    committed = COMMITTED.read_text() if COMMITTED.exists() else ""
    assert current + "\n" == committed, (
        f"{COMMITTED} is out of date with the system-workers app: run `make openapi`"
    )


def test_the_reconciler_endpoint_is_documented() -> None:
    doc = create_app(SystemWorkersSettings()).openapi()
    operation = doc["paths"]["/internal/reconciler/run"]["post"]
    schema = doc["components"]["schemas"][
        operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit(
            "/", 1
        )[1]
    ]
    assert {"requeued", "scanned"} <= set(schema["required"])
    assert "503" in operation["responses"]
