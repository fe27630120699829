"""The ``DatasetStore`` contract, run against every metadata backend.

Each test receives a fresh, empty store: in memory, a SQLite file in
``tmp_path``, and (marked ``integration``) a PostgreSQL schema of its own.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

import pytest

from rung.catalog.records import (
    ColumnRecord,
    DatasetReadRecord,
    DatasetRecord,
    DatasetVersionRecord,
)
from rung.errors import (
    ArtifactNotFoundError,
    CatalogError,
    DatasetNotFoundError,
    InvalidDatasetError,
    RunNotFoundError,
    StepRunNotFoundError,
)
from rung.metadata import ArtifactRecord, RunRecord, RunStore, StepRunRecord

COLUMNS = (ColumnRecord("id", "int64", False), ColumnRecord("email", "string", True))


def _id() -> str:
    return uuid.uuid4().hex


def make_dataset(name: str = "claims", **fields: Any) -> DatasetRecord:
    values: dict[str, Any] = {
        "id": _id(),
        "name": name,
        "uri": f"/data/{name}.csv",
        "project": "demo",
        "owner": "ada",
        "created_at": 1000.0,
        "kind": "file",
        "format": "csv",
        "tags": ("pii", "health"),
        "region": "CA",
        "columns": COLUMNS,
    }
    return DatasetRecord(**{**values, **fields})


def make_version(
    dataset: DatasetRecord, number: int, **fields: Any
) -> DatasetVersionRecord:
    values: dict[str, Any] = {
        "id": _id(),
        "dataset_id": dataset.id,
        "dataset": dataset.name,
        "version": number,
        "fingerprint": f"sha256:{number:064x}",
        "created_at": 1000.0 + number,
        "columns": COLUMNS,
        "stats": {"row_count": 3, "columns": {"id": {"nulls": 0, "min": 1}}},
        "row_count": 3,
        "size_bytes": 42,
        "user": "ada",
        "uri": dataset.uri,
    }
    return DatasetVersionRecord(**{**values, **fields})


def make_artifact() -> ArtifactRecord:
    aid = uuid.uuid4().hex * 2
    return ArtifactRecord(
        aid, "pyarrow.Table", "arrow.parquet", f"objects/{aid}", 10, 1.0
    )


def registered(store: RunStore, name: str = "claims", **fields: Any) -> DatasetRecord:
    dataset = make_dataset(name, **fields)
    return store.create_dataset(dataset, make_version(dataset, 1))


# -- datasets ---------------------------------------------------------------------


def test_create_dataset_round_trips_with_its_first_version(
    store: RunStore,
) -> None:
    dataset = make_dataset()
    artifact = make_artifact()
    version = make_version(dataset, 1, snapshot_artifact_id=artifact.id)
    created = store.create_dataset(dataset, version, [artifact])
    assert created.latest_version == 1
    assert created.last_refreshed_at == version.created_at
    assert store.get_dataset("claims") == created
    assert store.get_dataset_version("claims") == version
    assert store.get_artifact(artifact.id) == artifact


def test_create_dataset_refuses_a_taken_name(store: RunStore) -> None:
    registered(store)
    with pytest.raises(CatalogError, match="'claims' is already registered"):
        registered(store)


def test_create_dataset_with_unknown_snapshot_records_nothing(
    store: RunStore,
) -> None:
    dataset = make_dataset()
    version = make_version(dataset, 1, snapshot_artifact_id="f" * 64)
    with pytest.raises(ArtifactNotFoundError, match="ffff"):
        store.create_dataset(dataset, version)
    with pytest.raises(DatasetNotFoundError, match="'claims' is not in the catalog"):
        store.get_dataset("claims")


def test_get_dataset_rejects_an_unknown_name(store: RunStore) -> None:
    with pytest.raises(DatasetNotFoundError, match=r"'nope' is not in the catalog\.$"):
        store.get_dataset("nope")


def test_update_dataset_changes_fields_and_merges_column_notes(
    store: RunStore,
) -> None:
    registered(store)
    updated = store.update_dataset(
        "claims",
        {
            "owner": "grace",
            "tags": ["pii"],
            "schedule": "0 * * * *",
            "column_notes": {"email": {"description": "Contact", "tags": ["pii"]}},
        },
    )
    assert (updated.owner, updated.tags, updated.schedule) == (
        "grace",
        ("pii",),
        "0 * * * *",
    )
    assert updated.columns[1] == ColumnRecord(
        "email", "string", True, "Contact", ("pii",)
    )
    assert updated.updated_at is not None
    assert store.get_dataset("claims") == updated
    again = store.update_dataset("claims", {"column_notes": {"email": {"tags": []}}})
    assert again.columns[1].description == "Contact"
    assert again.columns[1].tags == ()


def test_update_dataset_rejects_unknown_columns_and_fields(
    store: RunStore,
) -> None:
    registered(store)
    with pytest.raises(CatalogError, match=r"no column 'phone'.*id, email|email, id"):
        store.update_dataset("claims", {"column_notes": {"phone": {"tags": ["pii"]}}})
    with pytest.raises(InvalidDatasetError, match="Cannot change 'name'"):
        store.update_dataset("claims", {"name": "other"})
    with pytest.raises(DatasetNotFoundError, match="'nope'"):
        store.update_dataset("nope", {"owner": "x"})


def test_list_datasets_filters_by_name_owner_tag_and_column(
    store: RunStore,
) -> None:
    registered(store, "claims")
    registered(store, "members", owner="grace", tags=("health",))
    registered(
        store,
        "weather",
        tags=(),
        columns=(ColumnRecord("temp", "double", True, "", ("sensor",)),),
    )
    assert [d.name for d in store.list_datasets()] == ["claims", "members", "weather"]
    assert [d.name for d in store.list_datasets(name_contains="EMB")] == ["members"]
    assert [d.name for d in store.list_datasets(owner="grace")] == ["members"]
    assert [d.name for d in store.list_datasets(tag="pii")] == ["claims"]
    assert [d.name for d in store.list_datasets(tag="sensor")] == ["weather"]
    assert [d.name for d in store.list_datasets(column="TEMP")] == ["weather"]
    assert [d.name for d in store.list_datasets(tag="health", limit=1)] == ["claims"]


# -- versions ---------------------------------------------------------------------


def test_add_dataset_version_takes_the_next_number_and_keeps_notes(
    store: RunStore,
) -> None:
    dataset = registered(store)
    store.update_dataset("claims", {"column_notes": {"email": {"tags": ["pii"]}}})
    new_columns = (ColumnRecord("id", "double", False), COLUMNS[1])
    artifact = make_artifact()
    version = make_version(
        dataset,
        2,
        columns=new_columns,
        snapshot_artifact_id=artifact.id,
        schema_changes={"retyped": {"id": ["int64", "double"]}},
    )
    updated = store.add_dataset_version(version, [artifact])
    assert updated.latest_version == 2
    assert updated.columns == (new_columns[0], replace(COLUMNS[1], tags=("pii",)))
    assert store.get_dataset_version("claims") == version
    assert store.get_dataset_version("claims", 1).version == 1
    assert [v.version for v in store.list_dataset_versions("claims")] == [1, 2]


def test_add_dataset_version_refuses_a_number_that_is_not_next(
    store: RunStore,
) -> None:
    dataset = registered(store)
    with pytest.raises(
        CatalogError, match=r"Cannot add version 3 .* latest version is 1"
    ):
        store.add_dataset_version(make_version(dataset, 3))
    with pytest.raises(ArtifactNotFoundError, match="eeee"):
        store.add_dataset_version(
            make_version(dataset, 2, snapshot_artifact_id="e" * 64)
        )
    assert store.get_dataset("claims").latest_version == 1


def test_get_dataset_version_rejects_unknown_numbers(store: RunStore) -> None:
    registered(store)
    with pytest.raises(DatasetNotFoundError, match=r"no version 7 .*versions 1 to 1"):
        store.get_dataset_version("claims", 7)
    with pytest.raises(DatasetNotFoundError, match="'nope' is not in the catalog"):
        store.get_dataset_version("nope")
    with pytest.raises(DatasetNotFoundError, match="'nope' is not in the catalog"):
        store.list_dataset_versions("nope")


def test_find_dataset_version_by_id_or_prefix(store: RunStore) -> None:
    registered(store)
    version = store.get_dataset_version("claims")
    assert store.find_dataset_version(version.id) == version
    assert store.find_dataset_version(version.id[:8]) == version
    with pytest.raises(DatasetNotFoundError, match="at least 4 characters"):
        store.find_dataset_version(version.id[:3])
    with pytest.raises(DatasetNotFoundError, match="No dataset version has id"):
        store.find_dataset_version("0" * 32)


def test_find_snapshot_versions_returns_each_version_keeping_the_artifact(
    store: RunStore,
) -> None:
    artifact, other = make_artifact(), make_artifact()
    claims, visits = make_dataset(), make_dataset("visits")
    kept = make_version(claims, 1, snapshot_artifact_id=artifact.id)
    store.create_dataset(claims, kept, [artifact])
    store.create_dataset(
        visits, make_version(visits, 1, snapshot_artifact_id=artifact.id)
    )
    store.add_dataset_version(
        make_version(claims, 2, snapshot_artifact_id=other.id), [other]
    )
    found = store.find_snapshot_versions(artifact.id)
    assert [(v.dataset, v.version) for v in found] == [("claims", 1), ("visits", 1)]
    assert found[0] == kept
    assert store.find_snapshot_versions("0" * 64) == []


# -- reads ------------------------------------------------------------------------


def _run_with_step(store: RunStore) -> tuple[str, str]:
    run = RunRecord(_id(), "r", "demo", "ada", "running", 1000.0, pipeline="p")
    store.create_run(run)
    step = StepRunRecord(_id(), run.id, "load", "running", 1001.0)
    store.create_step_run(step)
    return run.id, step.id


def test_record_dataset_read_and_list_by_each_id(store: RunStore) -> None:
    registered(store)
    version = store.get_dataset_version("claims")
    run_id, step_id = _run_with_step(store)
    store.record_dataset_read(
        DatasetReadRecord(version.id, run_id, 2000.0, step_id, "load")
    )
    store.record_dataset_read(DatasetReadRecord(version.id, run_id, 2001.0))
    expected = DatasetReadRecord(
        version.id, run_id, 2000.0, step_id, "load", "claims", 1
    )
    assert store.list_dataset_reads(step_run_id=step_id) == [expected]
    assert len(store.list_dataset_reads(run_id=run_id)) == 2
    by_version = store.list_dataset_reads(dataset_version_id=version.id)
    assert [r.read_at for r in by_version] == [2000.0, 2001.0]
    assert store.list_dataset_reads(run_id=_id()) == []


def test_record_dataset_read_rejects_unknown_ids(store: RunStore) -> None:
    registered(store)
    version = store.get_dataset_version("claims")
    run_id, _ = _run_with_step(store)
    with pytest.raises(DatasetNotFoundError, match="No dataset version has id"):
        store.record_dataset_read(DatasetReadRecord("0" * 32, run_id, 1.0))
    with pytest.raises(RunNotFoundError, match="not found"):
        store.record_dataset_read(DatasetReadRecord(version.id, "9" * 32, 1.0))
    with pytest.raises(StepRunNotFoundError, match="not found"):
        store.record_dataset_read(DatasetReadRecord(version.id, run_id, 1.0, "8" * 32))
    assert store.list_dataset_reads() == []
