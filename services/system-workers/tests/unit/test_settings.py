"""System-workers settings: defaults, the environment, and bounds."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from odin_system_workers.settings import SystemWorkersSettings


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PORT", "RECONCILER_INTERVAL_SECONDS", "RECONCILER_MIN_AGE_SECONDS"):
        monkeypatch.delenv(f"HUGO_ORCHESTRATOR_{name}", raising=False)
    settings = SystemWorkersSettings()
    assert settings.listen_port == 8083
    assert settings.reconciler_interval_seconds == 10
    assert settings.reconciler_min_age_seconds == 5
    assert settings.reconciler_enabled is True


def test_every_field_is_described() -> None:
    missing = [n for n, f in SystemWorkersSettings.model_fields.items() if not f.description]
    assert missing == []


def test_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUGO_ORCHESTRATOR_RECONCILER_INTERVAL_SECONDS", "2.5")
    monkeypatch.setenv("HUGO_ORCHESTRATOR_RECONCILER_PAGE_SIZE", "50")
    monkeypatch.setenv("HUGO_ORCHESTRATOR_PORT", "9999")
    settings = SystemWorkersSettings()
    assert settings.reconciler_interval_seconds == 2.5
    assert settings.reconciler_page_size == 50
    assert settings.listen_port == 9999


def test_a_batch_larger_than_matching_accepts_is_refused() -> None:
    with pytest.raises(ValidationError):
        SystemWorkersSettings(reconciler_batch_size=10_001)
    with pytest.raises(ValidationError):
        SystemWorkersSettings(reconciler_interval_seconds=0)
