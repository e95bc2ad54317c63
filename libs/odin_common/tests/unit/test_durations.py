from datetime import timedelta

import pytest

from odin_common.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30),
        ("5m", 300),
        ("1h30m", 5400),
        ("250ms", 0.25),
        ("1.5s", 1.5),
        ("2d", 172800),
        ("10", 10),
        (10, 10),
        (0.5, 0.5),
        ("0s", 0),
    ],
)
def test_parses_go_style_durations_and_numbers(text: object, seconds: float) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize(
    "bad", ["", "abc", "10x", "-5s", "5s-", "s", -1, float("nan"), True, None, [1]]
)
def test_refuses_malformed_durations(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(bad)


def test_refuses_absurdly_long_durations() -> None:
    with pytest.raises(ValueError, match="100 years"):
        parse_duration("1000000d")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (0.25, "250ms"), (10, "10s"), (90, "1m30s"), (5400, "1h30m"), (1.5, "1.5s")],
)
def test_formats_round_trip(seconds: float, text: str) -> None:
    assert format_duration(timedelta(seconds=seconds)) == text
    assert parse_duration(text) == timedelta(seconds=seconds)
