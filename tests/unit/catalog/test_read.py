"""Reading in pipelines: read checks, recorded reads, caching per version."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

import rung
from rung import pipeline, step
from rung.catalog import (
    DatasetRecord,
    DatasetVersionRecord,
    add_read_check,
    dataset,
    read_table,
    refresh_dataset,
    register_dataset,
    remove_read_check,
)
from rung.errors import PolicyViolationError, StepFailedError
from tests.unit.catalog.conftest import claims_frame

if TYPE_CHECKING:
    import pandas as pd

    from rung.tracking import RunScope
    from rung.workspace import Workspace

SEEN: list[tuple[str, int, str | None]] = []


def _record_check(
    workspace: Workspace,
    record: DatasetRecord,
    version: DatasetVersionRecord,
    scope: RunScope | None,
) -> None:
    SEEN.append((record.name, version.version, scope.step if scope else None))


def _refuse_pii(
    workspace: Workspace,
    record: DatasetRecord,
    version: DatasetVersionRecord,
    scope: RunScope | None,
) -> None:
    if (
        "pii" in record.tags
        and scope is not None
        and scope.labels.get("region") != "CA"
    ):
        raise PolicyViolationError(f"{record.name} holds PII; read it in region CA.")


@step
def count(df: pd.DataFrame) -> int:
    return len(df)


@step
def load_inside() -> int:
    return len(rung.load_dataset("claims"))


@pipeline
def counting() -> None:
    count(dataset("claims"))


@pipeline
def loading() -> None:
    load_inside()


def test_dataset_input_reads_the_latest_version_and_records_the_read(
    workspace: Workspace, csv_file: Path
) -> None:
    register_dataset(workspace, "claims", str(csv_file))
    run = counting()
    assert run.output("count") == 3
    reads = workspace.datasets.list_dataset_reads(run_id=run.id)
    assert [(r.dataset, r.version, r.step_name) for r in reads] == [
        ("claims", 1, "count")
    ]
    assert reads[0].step_run_id is not None
    described = workspace.runs.get_run(run.id).config["steps"][0]["resolved"]
    assert described == {"df": {"kind": "dataset", "name": "claims", "version": None}}


def test_a_new_version_misses_the_step_cache(
    workspace: Workspace, csv_file: Path
) -> None:
    register_dataset(workspace, "claims", str(csv_file))
    counting()
    cached = counting()
    assert [s.status for s in workspace.runs.list_step_runs(cached.id)] == ["cached"]
    claims_frame(5).to_csv(csv_file, index=False)
    refresh_dataset(workspace, "claims")
    fresh = counting()
    assert fresh.output("count") == 5
    reads = workspace.datasets.list_dataset_reads(run_id=fresh.id)
    assert [r.version for r in reads] == [2]


def test_pinned_version_input(workspace: Workspace, csv_file: Path) -> None:
    register_dataset(workspace, "claims", str(csv_file))
    claims_frame(5).to_csv(csv_file, index=False)
    refresh_dataset(workspace, "claims")

    @pipeline
    def first_version() -> None:
        count(dataset("claims", version=1))

    assert first_version().output("count") == 3


def test_load_dataset_inside_a_step_records_the_read(
    workspace: Workspace, csv_file: Path
) -> None:
    register_dataset(workspace, "claims", str(csv_file))
    run = loading()
    reads = workspace.datasets.list_dataset_reads(run_id=run.id)
    assert [(r.dataset, r.step_name) for r in reads] == [("claims", "load_inside")]


def test_load_dataset_outside_a_run_records_nothing(
    workspace: Workspace, csv_file: Path
) -> None:
    register_dataset(workspace, "claims", str(csv_file))
    assert len(rung.load_dataset("claims")) == 3
    assert workspace.datasets.list_dataset_reads() == []


def test_read_checks_see_every_read_and_can_refuse(
    workspace: Workspace, csv_file: Path
) -> None:
    SEEN.clear()
    register_dataset(workspace, "claims", str(csv_file), tags=["pii"])
    add_read_check(_record_check)
    add_read_check(_record_check)  # twice: still called once
    rung.load_dataset("claims")
    counting()
    assert SEEN == [("claims", 1, None), ("claims", 1, "count")]
    add_read_check("tests.unit.catalog.test_read:_refuse_pii")
    rung.load_dataset("claims")  # no scope: allowed by this check
    with pytest.raises(PolicyViolationError, match="read it in region CA"):
        counting.run(enable_cache=False)
    remove_read_check("tests.unit.catalog.test_read:_refuse_pii")
    remove_read_check(_record_check)
    assert counting.run(enable_cache=False).output("count") == 3


def test_read_checks_get_the_step_labels(workspace: Workspace, csv_file: Path) -> None:
    register_dataset(workspace, "claims", str(csv_file), tags=["pii"])
    add_read_check(_refuse_pii)

    @step(labels={"region": "CA"})
    def in_canada(df: pd.DataFrame) -> int:
        return len(df)

    @pipeline
    def canadian() -> None:
        in_canada(dataset("claims"))

    assert canadian().output("in_canada") == 3


def test_a_failing_read_fails_the_step_not_the_store(
    workspace: Workspace, csv_file: Path
) -> None:
    register_dataset(workspace, "claims", str(csv_file))

    @step
    def unknown() -> Any:
        return rung.load_dataset("missing")

    @pipeline
    def broken() -> None:
        unknown()

    with pytest.raises((StepFailedError, LookupError), match="'missing'"):
        broken()


@step
def load_snapshot(snapshot: str) -> int:
    return int(rung.load_artifact(snapshot).num_rows)


@pipeline
def loading_snapshot(snapshot: str) -> None:
    load_snapshot(snapshot)


def test_loading_a_snapshot_inside_a_step_records_a_read_of_its_version(
    workspace: Workspace, csv_file: Path
) -> None:
    register_dataset(workspace, "claims", str(csv_file))
    snapshot = workspace.datasets.get_dataset_version("claims").snapshot_artifact_id
    assert snapshot is not None
    run = loading_snapshot(snapshot)
    assert run.output("load_snapshot") == 3
    reads = workspace.datasets.list_dataset_reads(run_id=run.id)
    assert [(r.dataset, r.version, r.step_name) for r in reads] == [
        ("claims", 1, "load_snapshot")
    ]
    assert len(rung.load_artifact(snapshot)) == 3  # outside a run: nothing recorded
    assert len(workspace.datasets.list_dataset_reads()) == 1


def test_read_table_is_checked_and_recorded_like_load_dataset(
    workspace: Workspace, csv_file: Path
) -> None:
    register_dataset(workspace, "claims", str(csv_file), tags=["pii"])
    add_read_check(_refuse_pii)

    @step
    def table_in_a_step() -> int:
        record = workspace.datasets.get_dataset("claims")
        version = workspace.datasets.get_dataset_version("claims")
        return int(read_table(workspace, record, version).num_rows)

    @pipeline
    def reading_table() -> None:
        table_in_a_step()

    with pytest.raises(PolicyViolationError, match="claims holds PII"):
        reading_table()
