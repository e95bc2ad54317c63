"""The state machine on its own: buffering, transient workflow tasks, activity retries."""

from datetime import UTC, datetime, timedelta
from itertools import count

import pytest

from odin_common.api.commands import ScheduleActivityCommand
from odin_common.api.events import EventType
from odin_common.errors import InvalidArgument, TaskNotFound
from odin_history.domain import activities, runs
from odin_history.domain.commands import complete_workflow_task
from odin_history.domain.machine import Machine, workflow_task_backoff

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _ids() -> "count[int]":
    return count(1)


def started_run() -> Machine:
    spec = runs.RunSpec(
        namespace_id="ns-id",
        namespace="default",
        workflow_id="wf",
        workflow_type="Wf",
        task_queue="q",
        input=[],
        task_timeout=10,
    )
    ids = _ids()
    return runs.new_run(spec, now=T0, new_task_id=lambda: next(ids))


def next_machine(m: Machine, seconds: float = 1) -> Machine:
    ids = count(1000)
    return Machine(m.state, m.now + timedelta(seconds=seconds), lambda: next(ids))


def start_wt(m: Machine, request_id: str = "r") -> Machine:
    m2 = next_machine(m)
    wt = m2.state.workflow_task
    assert wt is not None
    m2.start_workflow_task(wt.scheduled_event_id, wt.attempt, request_id, "w")
    return m2


def schedule(activity_id: str = "1", **extra: object) -> ScheduleActivityCommand:
    return ScheduleActivityCommand.model_validate(
        {
            "type": "schedule_activity",
            "activity_id": activity_id,
            "activity_type": "a",
            "start_to_close_timeout": "10s",
            **extra,
        }
    )


def test_a_new_run_has_a_started_event_and_a_scheduled_task() -> None:
    m = started_run()
    assert [e["event_type"] for e in m.events] == [
        "workflow_execution_started",
        "workflow_task_scheduled",
    ]
    assert [t.payload["kind"] for t in m.transfer] == ["workflow"]
    assert m.created


def test_buffered_started_and_completed_events_keep_their_link() -> None:
    m = start_wt(started_run())
    wt = m.state.workflow_task
    assert wt is not None
    complete_workflow_task(m, wt, [schedule("a"), schedule("b")], "w")
    a_id, b_id = sorted(m.state.activities)
    m = next_machine(m)
    activities.start_activity(m, a_id, 1, "ra", "w")
    activities.start_activity(m, b_id, 1, "rb", "w")
    activities.complete_activity(m, a_id, 1, "A", "w")
    m = start_wt(m)
    activities.complete_activity(m, b_id, 1, "B", "w")
    assert len(m.state.buffered_events) == 2
    wt = m.state.workflow_task
    assert wt is not None
    m = next_machine(m)
    complete_workflow_task(m, wt, [], "w")
    flushed = m.events[-3:]
    assert [e["event_type"] for e in flushed] == [
        "activity_task_started",
        "activity_task_completed",
        "workflow_task_scheduled",
    ]
    assert flushed[1]["attributes"]["started_event_id"] == flushed[0]["event_id"]


def test_a_failing_task_writes_one_failure_then_transient_attempts() -> None:
    m = start_wt(started_run())
    wt = m.state.workflow_task
    assert wt is not None
    m.fail_workflow_task(wt, cause="workflow_error", failure={"message": "x"}, identity="w")
    assert m.events[-1]["event_type"] == "workflow_task_failed"
    nxt = m.state.workflow_task
    assert nxt is not None
    assert (nxt.attempt, nxt.transient) == (2, True)
    assert nxt.scheduled_event_id == m.state.next_event_id
    written = m.state.next_event_id
    m = start_wt(m)
    wt2 = m.state.workflow_task
    assert wt2 is not None
    m.fail_workflow_task(wt2, cause="workflow_error", failure={"message": "y"}, identity="w")
    assert m.state.next_event_id == written
    assert m.state.workflow_task is not None
    assert m.state.workflow_task.attempt == 3


def test_an_event_turns_a_waiting_transient_task_into_a_normal_one() -> None:
    m = start_wt(started_run())
    wt = m.state.workflow_task
    assert wt is not None
    m.fail_workflow_task(wt, cause="workflow_error", failure={"message": "x"}, identity="w")
    transient = m.state.workflow_task
    assert transient is not None
    assert transient.transient
    old_id = transient.scheduled_event_id
    m.external((EventType.TIMER_FIRED, {"timer_id": "t", "started_event_id": 1}))
    task = m.state.workflow_task
    assert task is not None
    assert not task.transient
    assert task.attempt == 2
    assert task.scheduled_event_id == old_id + 1
    assert [e["event_type"] for e in m.events[-2:]] == ["timer_fired", "workflow_task_scheduled"]


def test_workflow_task_backoff_grows_and_is_capped() -> None:
    assert workflow_task_backoff(1) == timedelta(0)
    assert workflow_task_backoff(2) == timedelta(0)
    assert workflow_task_backoff(3) == timedelta(seconds=0.5)
    assert workflow_task_backoff(4) == timedelta(seconds=1)
    assert workflow_task_backoff(50) == timedelta(seconds=10)


def test_retry_stops_when_the_next_attempt_would_pass_schedule_to_close() -> None:
    m = start_wt(started_run())
    wt = m.state.workflow_task
    assert wt is not None
    complete_workflow_task(
        m,
        wt,
        [schedule(schedule_to_close_timeout="5s", retry_policy={"initial_interval": "10s"})],
        "w",
    )
    (sid,) = m.state.activities
    m = next_machine(m)
    activities.start_activity(m, sid, 1, "r", "w")
    activities.fail_activity(m, sid, 1, {"message": "x"}, "w")
    assert sid not in m.state.activities
    failed = next(e for e in m.events if e["event_type"] == "activity_task_failed")
    assert failed["attributes"]["retry_state"] == "timeout"


def test_stale_tasks_are_not_found() -> None:
    m = start_wt(started_run())
    with pytest.raises(TaskNotFound):
        m.require_started_workflow_task(99, 1)
    with pytest.raises(TaskNotFound):
        activities.complete_activity(m, 99, 1, None, "w")


def test_schedule_activity_needs_a_timeout() -> None:
    m = start_wt(started_run())
    wt = m.state.workflow_task
    assert wt is not None
    cmd = ScheduleActivityCommand(type="schedule_activity", activity_id="1", activity_type="a")
    with pytest.raises(InvalidArgument, match="required"):
        complete_workflow_task(m, wt, [cmd], "w")


def test_a_zero_activity_timeout_means_not_set() -> None:
    m = start_wt(started_run())
    wt = m.state.workflow_task
    assert wt is not None
    with pytest.raises(InvalidArgument, match="not zero"):  # nothing else limits it
        complete_workflow_task(m, wt, [schedule(start_to_close_timeout="0s")], "w")
    m = start_wt(started_run())
    wt = m.state.workflow_task
    assert wt is not None
    zeros = {"schedule_to_start_timeout": "0s", "heartbeat_timeout": "0s"}
    complete_workflow_task(m, wt, [schedule(schedule_to_close_timeout="0s", **zeros)], "w")
    (info,) = m.state.activities.values()
    assert info.start_to_close_timeout == 10
    assert info.schedule_to_close_timeout is None  # not "time out at once"
    assert info.schedule_to_start_timeout is None
    assert info.heartbeat_timeout is None


def test_cron_backoff_is_the_time_to_the_next_match() -> None:
    assert runs.cron_backoff("0 * * * *", T0 + timedelta(minutes=20)) == timedelta(minutes=40)
