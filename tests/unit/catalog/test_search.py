"""``search_datasets``: free text over names, descriptions, tags, owners, columns."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import pytest

from rung.catalog import (
    DatasetMatch,
    describe_column,
    register_dataset,
    search_datasets,
)
from tests.unit.catalog.conftest import claims_frame

if TYPE_CHECKING:
    from pathlib import Path

    from rung.workspace import Workspace


@pytest.fixture
def catalog(workspace: Workspace, tmp_path: Path) -> Workspace:
    """claims (ada; pii, health; email is pii), members (grace), weather (sensor)."""
    claims = tmp_path / "claims.csv"
    claims_frame().to_csv(claims, index=False)
    members = tmp_path / "members.csv"
    pd.DataFrame({"member_id": [1], "claim_count": [2]}).to_csv(members, index=False)
    weather = tmp_path / "weather.csv"
    pd.DataFrame({"station": ["a"], "temp": [1.5]}).to_csv(weather, index=False)
    register_dataset(
        workspace,
        "claims",
        str(claims),
        owner="ada",
        tags=["pii", "health"],
        column_tags={"email": ["pii"]},
    )
    register_dataset(
        workspace,
        "members",
        str(members),
        owner="grace",
        description="Members of the Health plan",
    )
    register_dataset(workspace, "weather", str(weather), owner="ada", tags=["sensor"])
    describe_column(workspace, "weather", "temp", "Air temperature in Celsius")
    return workspace


def _found(
    workspace: Workspace,
    text: str | None,
    *,
    owner: str | None = None,
    tag: str | None = None,
    column: str | None = None,
) -> list[str]:
    found = search_datasets(workspace, text, owner=owner, tag=tag, column=column)
    return [m.dataset.name for m in found]


def test_search_matches_a_column_name_and_says_so(catalog: Workspace) -> None:
    (match,) = search_datasets(catalog, "EMAIL")
    assert isinstance(match, DatasetMatch)
    assert (match.dataset.name, match.matched) == ("claims", ("column email",))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("MEMBERS", [("members", ("name", "description"))]),
        ("celsius", [("weather", ("description of column temp",))]),
        ("sens", [("weather", ("tags",))]),
        ("grace", [("members", ("owner",))]),
        ("plan", [("members", ("description",))]),
        (
            "health",
            [("claims", ("tags",)), ("members", ("description",))],
        ),
        ("pii", [("claims", ("tags", "tags of column email"))]),
    ],
)
def test_search_looks_in_every_field_case_insensitively(
    catalog: Workspace, text: str, expected: list[tuple[str, tuple[str, ...]]]
) -> None:
    found = search_datasets(catalog, text)
    assert [(m.dataset.name, m.matched) for m in found] == expected


def test_search_ranks_name_matches_before_column_matches(catalog: Workspace) -> None:
    # "claim" is in the name "claims" and in the column "claim_count" of members.
    found = search_datasets(catalog, "claim")
    assert [(m.dataset.name, m.matched) for m in found] == [
        ("claims", ("name",)),
        ("members", ("column claim_count",)),
    ]
    assert found[0].rank < found[1].rank


def test_an_exact_name_comes_before_a_longer_name(
    catalog: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "air.csv"
    pd.DataFrame({"x": [1]}).to_csv(path, index=False)
    register_dataset(catalog, "weather_archive", str(path))
    register_dataset(catalog, "archived_weather", str(path))
    assert _found(catalog, "weather") == [
        "weather",
        "archived_weather",
        "weather_archive",
    ]


def test_column_matches_come_before_tag_and_text_matches(
    catalog: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "stations.csv"
    pd.DataFrame({"sensor_id": [1]}).to_csv(path, index=False)
    register_dataset(catalog, "stations", str(path))
    assert _found(catalog, "sensor") == ["stations", "weather"]


def test_filters_keep_their_exact_meaning_and_narrow_the_text(
    catalog: Workspace,
) -> None:
    assert _found(catalog, "a", owner="ada") == ["claims", "weather"]
    assert _found(catalog, "health", tag="pii") == ["claims"]
    assert _found(catalog, None, column="TEMP") == ["weather"]
    assert _found(catalog, "claim", column="member_id") == ["members"]
    assert _found(catalog, "claims", owner="grace") == []
    assert _found(catalog, None, owner="Ada") == []


def test_no_text_returns_every_filtered_dataset_by_name(catalog: Workspace) -> None:
    for text in (None, "", "   "):
        found = search_datasets(catalog, text)
        assert [m.dataset.name for m in found] == ["claims", "members", "weather"]
        assert all(m.matched == () for m in found)


def test_limit_keeps_the_best_matches(catalog: Workspace) -> None:
    (best,) = search_datasets(catalog, "claim", limit=1)
    assert best.dataset.name == "claims"


def test_nothing_matches_gives_an_empty_list(catalog: Workspace) -> None:
    assert search_datasets(catalog, "diagnosis") == []


def test_an_empty_catalog_gives_an_empty_list(workspace: Workspace) -> None:
    assert search_datasets(workspace, "claims") == []
