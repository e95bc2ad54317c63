"""The replay suite: histories recorded from real runs of every feature (see
``record_histories.py``) must replay against today's workflow code. A workflow whose code
changed incompatibly must fail with NondeterminismError."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import feature_workflows as fw
import pytest

from odin import workflow
from odin.exceptions import NondeterminismError
from odin.testing import Replayer

HISTORIES = sorted((Path(__file__).resolve().parent / "histories").glob("*.json"))


def test_every_feature_has_a_recorded_history() -> None:
    names = {path.stem for path in HISTORIES}
    assert {
        "timers",
        "signals",
        "cancellation",
        "activity-cancel",
        "timeouts",
        "child-result",
        "child-failure",
        "child-cancel",
        "child-abandon",
        "continue-as-new",
        "determinism",
        "external-signal",
        "external-cancel",
    } <= names


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
def test_recorded_history_replays_against_current_code(path: Path) -> None:
    history = json.loads(path.read_text())
    result = Replayer(workflows=fw.WORKFLOWS).replay_workflow(history)
    assert result.commands == []  # every recorded run is closed: nothing left to do


@workflow.defn(name="Timers")
class ChangedTimers:
    """The Timers workflow after an incompatible change: an activity where a timer was."""

    @workflow.run
    async def run(self) -> list[str]:
        await workflow.execute_activity(
            fw.record, "new first step", start_to_close_timeout=timedelta(seconds=5)
        )
        return []


@workflow.defn(name="Deterministic")
class ChangedVersionRange:
    """Drops support for the version the recorded run took."""

    @workflow.run
    async def run(self) -> None:
        await workflow.execute_activity(
            fw.record, str(workflow.uuid4()), start_to_close_timeout=timedelta(seconds=10)
        )
        workflow.side_effect(lambda: "effect value")
        workflow.get_version("feature-x", 3, 4)


@pytest.mark.parametrize(
    ("name", "changed"), [("timers", ChangedTimers), ("determinism", ChangedVersionRange)]
)
def test_incompatible_changes_are_caught(name: str, changed: type) -> None:
    history = json.loads(next(p for p in HISTORIES if p.stem == name).read_text())
    with pytest.raises(NondeterminismError):
        Replayer(workflows=[changed]).replay_workflow(history)
