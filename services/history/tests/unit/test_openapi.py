"""The committed OpenAPI document of history matches the app."""

from __future__ import annotations

import json
from pathlib import Path

from odin_history.app import create_app
from odin_history.settings import HistorySettings

COMMITTED = Path(__file__).resolve().parents[4] / "openapi" / "history.json"


def test_committed_openapi_matches_the_app() -> None:
    current = json.dumps(create_app(HistorySettings()).openapi(), indent=2, sort_keys=True) + "\n"
    committed = COMMITTED.read_text() if COMMITTED.exists() else ""
    assert current == committed, (
        f"{COMMITTED} is out of date with the history app: run `make openapi`"
    )
