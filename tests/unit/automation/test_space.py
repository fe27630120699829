"""Search spaces: parsing, clear errors for bad definitions, narrowing."""

from __future__ import annotations

import math
from typing import Any

import pytest

from rung.automation import ParamRange, parse_space
from rung.automation.errors import SearchSpaceError

SPACE: dict[str, Any] = {
    "C": {"low": 0.01, "high": 10, "log": True},
    "max_depth": {"low": 2, "high": 12, "type": "int"},
    "penalty": {"choices": ["l1", "l2"]},
    "alpha": {"low": 0.0, "high": 1.0},
}


def test_parse_space_reads_every_kind() -> None:
    space = parse_space(SPACE, {"C", "max_depth", "penalty", "alpha", "other"})
    assert space["C"] == ParamRange("C", "float", 0.01, 10.0, log=True)
    assert space["max_depth"] == ParamRange("max_depth", "int", 2, 12)
    assert space["penalty"] == ParamRange("penalty", "choice", choices=("l1", "l2"))
    assert {k: r.to_dict() for k, r in space.items()} == {
        "C": {"low": 0.01, "high": 10.0, "log": True},
        "max_depth": {"low": 2, "high": 12, "type": "int"},
        "penalty": {"choices": ["l1", "l2"]},
        "alpha": {"low": 0.0, "high": 1.0},
    }


@pytest.mark.parametrize(
    ("space", "message"),
    [
        ([], r"maps pipeline parameters to ranges"),
        ({}, r"maps pipeline parameters to ranges"),
        ({"gamma": {"low": 1, "high": 2}}, r"takes no parameter 'gamma'\. Its param"),
        ({"C": 3}, r"'C': a range is a mapping"),
        ({"C": {"low": 1, "hi": 2}}, r"'C': unknown key 'hi'"),
        ({"C": {"low": 2, "high": 1}}, r"low must be below high, got low=2\.0"),
        ({"C": {"low": 0, "high": 1, "log": True}}, r"log range must stay above 0"),
        ({"C": {"low": 1, "high": 2, "log": "yes"}}, r"log must be true or false"),
        ({"C": {"low": "a", "high": 2}}, r"low must be a finite number, got 'a'"),
        ({"C": {"low": 1, "high": math.inf}}, r"high must be a finite number"),
        ({"C": {"low": 1, "high": 2.5, "type": "int"}}, r"whole bounds, got high=2\.5"),
        ({"C": {"low": 1, "high": 2, "type": "str"}}, r"type must be float or int"),
        ({"C": {"choices": []}}, r"choices must be a non-empty list"),
        ({"C": {"choices": [1, 1]}}, r"choices repeat"),
        ({"C": {"choices": [[1]]}}, r"strings, numbers, booleans or null"),
        ({"C": {"choices": [1], "low": 0}}, r"choices cannot be mixed with low"),
    ],
)
def test_parse_space_rejects_bad_definitions(space: Any, message: str) -> None:
    with pytest.raises(SearchSpaceError, match=message):
        parse_space(space, {"C"})


def test_narrowed_log_range_is_centred_on_the_champion() -> None:
    c = parse_space(SPACE)["C"]
    narrowed = c.narrowed(0.3, 0.5)
    width = math.log(narrowed.high or 0) - math.log(narrowed.low or 0)
    assert width == pytest.approx(0.5 * math.log(1000))
    assert math.sqrt((narrowed.low or 0) * (narrowed.high or 0)) == pytest.approx(0.3)


def test_narrowed_range_shifts_to_stay_inside_the_space() -> None:
    alpha = parse_space(SPACE)["alpha"]
    assert alpha.narrowed(0.05, 0.2) == ParamRange("alpha", "float", 0.0, 0.2)
    assert alpha.narrowed(1.0, 0.2).low == pytest.approx(0.8)
    # a champion outside the space starts from its edge
    assert alpha.narrowed(7.0, 0.2).high == 1.0


def test_narrowed_int_range_keeps_two_values_and_choices_stay() -> None:
    space = parse_space(SPACE)
    assert space["max_depth"].narrowed(12, 0.01) == ParamRange(
        "max_depth", "int", 11, 12
    )
    assert space["max_depth"].narrowed(5, 0.5) == ParamRange("max_depth", "int", 2, 8)
    assert space["penalty"].narrowed("l1", 0.5) == space["penalty"]
    assert space["C"].narrowed(1.0, 1.0) == space["C"]


def test_clip_and_contains() -> None:
    space = parse_space(SPACE)
    assert space["max_depth"].clip(30.4) == 12
    assert space["C"].clip("bad") is None
    assert space["penalty"].clip("l3") is None
    assert space["C"].contains(0.5) and not space["C"].contains(True)
