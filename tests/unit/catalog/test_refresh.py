"""Refreshing: unchanged vs new content, schema changes, snapshots, schedules."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pytest

import rung
from rung.catalog import (
    describe_column,
    due_datasets,
    get_dataset,
    get_dataset_version,
    refresh_dataset,
    refresh_due,
    register_dataset,
    update_dataset,
)
from rung.catalog._profile import diff_schema, profile
from rung.catalog.records import ColumnRecord
from rung.errors import (
    DatasetNotFoundError,
    InvalidDatasetError,
    SchemaChangeError,
    StaleDatasetVersionError,
)
from tests.unit.catalog.conftest import claims_frame

if TYPE_CHECKING:
    from rung.workspace import Workspace


def test_refresh_reports_unchanged_and_keeps_the_version(
    workspace: Workspace, csv_file: Path
) -> None:
    first = register_dataset(workspace, "claims", str(csv_file))
    again = refresh_dataset(workspace, "claims")
    assert again.status == "unchanged"
    assert again.version == first.version
    assert again.dataset.last_refreshed_at is not None
    assert again.dataset.last_refreshed_at >= first.version.created_at
    assert len(workspace.datasets.list_dataset_versions("claims")) == 1


def test_refresh_records_a_new_version_with_schema_changes(
    workspace: Workspace, csv_file: Path
) -> None:
    register_dataset(workspace, "claims", str(csv_file))
    frame = claims_frame(4).drop(columns=["status"]).assign(region="CA")
    frame["amount"] = ["low", "high", "low", "n/a"]
    frame.to_csv(csv_file, index=False)
    result = refresh_dataset(workspace, "claims")
    assert result.status == "changed"
    assert result.version.version == 2
    assert result.version.row_count == 4
    assert result.schema_changes == {
        "added": ["region"],
        "removed": ["status"],
        "retyped": {"amount": ["double", "string"]},
    }
    assert get_dataset(workspace, "claims").latest_version == 2


@pytest.mark.parametrize("how", ["flag", "setting"])
def test_schema_change_can_fail_the_refresh_and_records_nothing(
    workspace: Workspace, csv_file: Path, how: str
) -> None:
    register_dataset(
        workspace, "claims", str(csv_file), fail_on_schema_change=how == "setting"
    )
    claims_frame().drop(columns=["email"]).to_csv(csv_file, index=False)
    artifacts_before = workspace.runs.list_artifacts()
    with pytest.raises(
        SchemaChangeError, match=r"removed: email.*nothing was recorded"
    ):
        refresh_dataset(
            workspace, "claims", fail_on_schema_change=True if how == "flag" else None
        )
    assert get_dataset(workspace, "claims").latest_version == 1
    assert workspace.runs.list_artifacts() == artifacts_before
    accepted = refresh_dataset(workspace, "claims", fail_on_schema_change=False)
    assert accepted.status == "changed"


def test_content_change_without_schema_change_passes_fail_on_change(
    workspace: Workspace, csv_file: Path
) -> None:
    register_dataset(workspace, "claims", str(csv_file), fail_on_schema_change=True)
    claims_frame(5).to_csv(csv_file, index=False)
    result = refresh_dataset(workspace, "claims")
    assert (result.status, result.schema_changes) == ("changed", {})


def test_statistics_cover_numbers_nulls_and_categories() -> None:
    import pyarrow as pa

    table = pa.table(
        {
            "n": [1, 2, None, 5],
            "x": [0.5, float("nan"), 1.5, None],
            "cat": ["a", "b", "a", None],
            "when": pd.to_datetime(["2024-01-01", "2024-02-01", None, "2024-03-01"]),
        }
    )
    columns, stats = profile(table)
    assert [c.nullable for c in columns] == [True, True, True, True]
    assert stats["row_count"] == 4
    assert stats["columns"]["n"] == {"nulls": 1, "min": 1, "max": 5, "mean": 8 / 3}
    assert stats["columns"]["cat"] == {"nulls": 1, "distinct": 2}
    assert stats["columns"]["when"]["min"].startswith("2024-01-01")
    assert stats["columns"]["x"]["nulls"] == 1


def test_diff_schema_lists_added_removed_retyped() -> None:
    old = [ColumnRecord("a", "int64"), ColumnRecord("b", "string")]
    new = [ColumnRecord("a", "double"), ColumnRecord("c", "string")]
    assert diff_schema(old, new) == {
        "added": ["c"],
        "removed": ["b"],
        "retyped": {"a": ["int64", "double"]},
    }
    assert diff_schema(old, old) == {"added": [], "removed": [], "retyped": {}}


def test_load_dataset_by_version_from_snapshots(
    workspace: Workspace, parquet_file: Path
) -> None:
    register_dataset(workspace, "claims", str(parquet_file))
    claims_frame(5).to_parquet(parquet_file, index=False)
    refresh_dataset(workspace, "claims")
    assert len(rung.load_dataset("claims", 1)) == 3
    assert len(rung.load_dataset("claims")) == 5
    assert len(rung.load_dataset("claims", "v2")) == 5
    with pytest.raises(DatasetNotFoundError, match="no version 3"):
        rung.load_dataset("claims", 3)
    with pytest.raises(InvalidDatasetError, match="Invalid dataset version 'x'"):
        rung.load_dataset("claims", "x")
    with pytest.raises(DatasetNotFoundError, match="'nope' is not in the catalog"):
        rung.load_dataset("nope")


def test_without_snapshot_an_old_version_loads_only_while_the_source_matches(
    workspace: Workspace, csv_file: Path
) -> None:
    result = register_dataset(workspace, "claims", str(csv_file), snapshot="never")
    assert result.version.snapshot_artifact_id is None
    pd.testing.assert_frame_equal(
        rung.load_dataset("claims"), pd.read_csv(csv_file), check_dtype=False
    )
    claims_frame(4).to_csv(csv_file, index=False)
    with pytest.raises(StaleDatasetVersionError, match="source changed since") as old:
        rung.load_dataset("claims", 1)
    assert old.value.details == {"dataset": "claims", "version": 1}


def test_auto_snapshot_skips_sources_over_the_limit(
    workspace: Workspace, csv_file: Path
) -> None:
    result = register_dataset(workspace, "claims", str(csv_file), snapshot_max_bytes=10)
    assert result.version.snapshot_artifact_id is None


def test_describe_column_sets_description_and_tags(
    workspace: Workspace, csv_file: Path
) -> None:
    register_dataset(workspace, "claims", str(csv_file), column_tags={"email": ["pii"]})
    describe_column(workspace, "claims", "email", "Who to contact")
    updated = describe_column(workspace, "claims", "id", tags=["key"])
    email = next(c for c in updated.columns if c.name == "email")
    assert (email.description, email.tags) == ("Who to contact", ("pii",))
    assert next(c for c in updated.columns if c.name == "id").tags == ("key",)
    claims_frame(4).to_csv(csv_file, index=False)
    refreshed = refresh_dataset(workspace, "claims").dataset
    assert next(c for c in refreshed.columns if c.name == "email").tags == ("pii",)


def test_due_datasets_follow_the_cron_schedule(
    workspace: Workspace, csv_file: Path
) -> None:
    register_dataset(workspace, "hourly", str(csv_file), schedule="0 * * * *")
    register_dataset(workspace, "manual", str(csv_file))
    last = get_dataset(workspace, "hourly").last_refreshed_at
    assert last is not None
    top_of_next_hour = (int(last) // 3600 + 1) * 3600
    assert due_datasets(workspace, now=top_of_next_hour - 1) == []
    assert [d.name for d in due_datasets(workspace, now=top_of_next_hour)] == ["hourly"]
    done = refresh_due(workspace, now=top_of_next_hour + 10**6)
    assert [r.dataset.name for r in done.results] == ["hourly"]
    assert done.failures == {}
    assert due_datasets(workspace, now=datetime.now(UTC).timestamp()) == []


def test_refresh_due_collects_failures(workspace: Workspace, csv_file: Path) -> None:
    register_dataset(workspace, "hourly", str(csv_file), schedule="0 * * * *")
    csv_file.unlink()
    done = refresh_due(workspace, now=10**11)
    assert list(done.failures) == ["hourly"]
    assert "is gone" in str(done.failures["hourly"])


def test_update_dataset_validates_the_schedule(
    workspace: Workspace, csv_file: Path
) -> None:
    register_dataset(workspace, "claims", str(csv_file))
    assert update_dataset(workspace, "claims", schedule="*/5 * * * *").schedule
    with pytest.raises(
        InvalidDatasetError, match="Invalid schedule '61 \\* \\* \\* \\*'"
    ):
        update_dataset(workspace, "claims", schedule="61 * * * *")


def test_get_dataset_version_accepts_latest(
    workspace: Workspace, csv_file: Path
) -> None:
    register_dataset(workspace, "claims", str(csv_file))
    assert get_dataset_version(workspace, "claims", "latest").version == 1
    assert get_dataset_version(workspace, "claims", 1).version == 1
