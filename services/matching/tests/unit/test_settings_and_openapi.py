"""Settings of matching, and the committed OpenAPI document."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from odin_matching.app import create_app
from odin_matching.settings import MatchingSettings

OPENAPI = Path(__file__).resolve().parents[4] / "openapi" / "matching.json"


def test_settings_come_from_the_hugo_orchestrator_environment(monkeypatch):
    monkeypatch.setenv("HUGO_ORCHESTRATOR_POLL_SLICE_SECONDS", "2.5")
    monkeypatch.setenv("HUGO_ORCHESTRATOR_REDIS_URL", "redis://example:6379/3")
    monkeypatch.setenv("HUGO_ORCHESTRATOR_PORT", "9999")
    settings = MatchingSettings()
    assert settings.poll_slice_seconds == 2.5
    assert settings.redis_url == "redis://example:6379/3"
    assert settings.listen_port == 9999


def test_matching_listens_on_8082_by_default(monkeypatch):
    monkeypatch.delenv("HUGO_ORCHESTRATOR_PORT", raising=False)
    assert MatchingSettings().listen_port == 8082
    assert MatchingSettings.service_name == "matching"


def test_every_setting_is_described():
    undocumented = [name for name, f in MatchingSettings.model_fields.items() if not f.description]
    assert undocumented == []


def test_the_reclaim_threshold_must_outlast_the_history_call():
    with pytest.raises(ValidationError, match="reclaim_idle_seconds"):
        MatchingSettings(reclaim_idle_seconds=5, history_call_timeout_seconds=10)


def test_the_committed_openapi_document_is_current():
    current = json.dumps(create_app(MatchingSettings()).openapi(), indent=2, sort_keys=True) + "\n"
    committed = OPENAPI.read_text() if OPENAPI.exists() else ""
    assert current == committed, (
        "openapi/matching.json is out of date: run `make openapi` and commit the result"
    )
