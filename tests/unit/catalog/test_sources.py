"""Registering every kind of source, and the errors for bad ones."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pytest

import rung
from rung.catalog import get_dataset, list_datasets, register_dataset
from rung.errors import CatalogError, DataSourceError, InvalidDatasetError
from tests.unit.catalog.conftest import claims_frame

if TYPE_CHECKING:
    from rung.workspace import Workspace


def test_register_csv_records_schema_stats_and_a_snapshot(
    workspace: Workspace, csv_file: Path
) -> None:
    result = register_dataset(
        workspace, "claims", str(csv_file), tags=["pii", " health", "pii"], region="CA"
    )
    assert result.status == "created"
    dataset, version = result.dataset, result.version
    assert (dataset.kind, dataset.format, dataset.uri) == ("file", "csv", str(csv_file))
    assert dataset.tags == ("pii", "health")
    assert [(c.name, c.type, c.nullable) for c in dataset.columns] == [
        ("id", "int64", False),
        ("email", "string", True),
        ("amount", "double", False),
        ("status", "string", False),
    ]
    assert version.version == 1
    assert version.fingerprint.startswith("sha256:")
    assert version.row_count == 3
    assert version.snapshot_artifact_id is not None
    assert get_dataset(workspace, "claims") == dataset


def test_register_parquet_and_jsonl_files(workspace: Workspace, tmp_path: Path) -> None:
    claims_frame().to_parquet(tmp_path / "c.parquet", index=False)
    claims_frame().to_json(tmp_path / "c.jsonl", orient="records", lines=True)
    parquet = register_dataset(workspace, "p", str(tmp_path / "c.parquet"))
    jsonl = register_dataset(workspace, "j", str(tmp_path / "c.jsonl"))
    assert (parquet.dataset.format, jsonl.dataset.format) == ("parquet", "jsonl")
    assert parquet.version.row_count == jsonl.version.row_count == 3
    assert rung.load_dataset("j")["email"].isna().sum() == 1


def test_register_folder_concatenates_its_files(
    workspace: Workspace, tmp_path: Path
) -> None:
    folder = tmp_path / "parts"
    folder.mkdir()
    claims_frame(2).to_parquet(folder / "a.parquet", index=False)
    claims_frame(3).to_parquet(folder / "b.parquet", index=False)
    (folder / "_SUCCESS").write_text("")
    result = register_dataset(workspace, "parts", str(folder))
    assert (result.dataset.kind, result.dataset.format) == ("folder", "parquet")
    assert result.version.row_count == 5


def test_register_sqlite_table_and_query(workspace: Workspace, sqlite_db: Path) -> None:
    table = register_dataset(workspace, "t", f"sqlite:///{sqlite_db}?table=claims")
    query = register_dataset(
        workspace,
        "q",
        f"sqlite:///{sqlite_db}",
        query="SELECT id, amount FROM claims WHERE amount > 10",
    )
    assert (table.dataset.kind, table.version.row_count) == ("sql", 3)
    assert query.dataset.query is not None
    assert [c.name for c in query.dataset.columns] == ["id", "amount"]
    assert query.version.row_count == 2
    assert rung.load_dataset("t")["status"].tolist() == ["open", "closed", "open"]


def test_sql_fingerprint_follows_the_rows(
    workspace: Workspace, sqlite_db: Path
) -> None:
    from rung.catalog import refresh_dataset

    register_dataset(workspace, "t", f"sqlite:///{sqlite_db}?table=claims")
    assert refresh_dataset(workspace, "t").status == "unchanged"
    conn = sqlite3.connect(sqlite_db)
    try:
        conn.execute("UPDATE claims SET amount = 99 WHERE id = 1")
        conn.commit()
    finally:
        conn.close()
    assert refresh_dataset(workspace, "t").status == "changed"


@pytest.mark.parametrize(
    ("uri", "kwargs", "error", "match"),
    [
        ("missing.csv", {}, DataSourceError, "does not exist"),
        ("memory://nowhere/x.csv", {}, DataSourceError, "does not exist"),
        (
            "data/claims.csv",
            {"format": "xls"},
            InvalidDatasetError,
            "Unknown format 'xls'",
        ),
        ("sqlite:///missing.db?table=x", {}, DataSourceError, "does not exist"),
        ("sqlite:///DB", {}, InvalidDatasetError, "exactly one of a table"),
        ("sqlite:///DB?table=nope", {}, DataSourceError, "no table 'nope'.*claims"),
        ("sqlite:///DB", {"query": "SELECT * FROM nope"}, DataSourceError, "no such"),
        ("data/claims.csv", {"schedule": "every hour"}, InvalidDatasetError, "cron"),
        ("data/claims.csv", {"snapshot": "sometimes"}, InvalidDatasetError, "snapshot"),
    ],
)
def test_register_refuses_bad_sources_and_records_nothing(
    workspace: Workspace,
    csv_file: Path,
    sqlite_db: Path,
    *,
    uri: str,
    kwargs: dict[str, str],
    error: type[Exception],
    match: str,
) -> None:
    root = csv_file.parent.parent
    uri = uri.replace("DB", str(sqlite_db))
    if "://" not in uri:
        uri = str(root / uri)
    with pytest.raises(error, match=match):
        register_dataset(workspace, "bad", uri, **kwargs)  # type: ignore[arg-type]
    assert list_datasets(workspace) == []
    assert workspace.runs.list_artifacts() == []


def test_register_refuses_bad_names_taken_names_and_columns(
    workspace: Workspace, csv_file: Path
) -> None:
    with pytest.raises(InvalidDatasetError, match="Invalid dataset name 'a b'"):
        register_dataset(workspace, "a b", str(csv_file))
    register_dataset(workspace, "claims", str(csv_file))
    with pytest.raises(CatalogError, match="'claims' is already registered"):
        register_dataset(workspace, "claims", str(csv_file))
    with pytest.raises(CatalogError, match="no column 'phone'"):
        register_dataset(workspace, "c2", str(csv_file), column_tags={"phone": ["pii"]})
    assert [d.name for d in list_datasets(workspace)] == ["claims"]


def test_folder_with_mixed_formats_needs_a_format(
    workspace: Workspace, tmp_path: Path
) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    claims_frame().to_csv(folder / "a.csv", index=False)
    claims_frame().to_parquet(folder / "b.parquet", index=False)
    with pytest.raises(InvalidDatasetError, match="mixes formats"):
        register_dataset(workspace, "mixed", str(folder))


def test_unparsable_file_is_a_data_source_error(
    workspace: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"not parquet at all")
    with pytest.raises(DataSourceError, match="as parquet"):
        register_dataset(workspace, "broken", str(path))


def test_fsspec_memory_url_is_a_source(workspace: Workspace) -> None:
    import fsspec

    fs = fsspec.filesystem("memory")
    with fs.open("/catalog-test/c.csv", "wb") as handle:
        handle.write(claims_frame().to_csv(index=False).encode())
    try:
        result = register_dataset(workspace, "mem", "memory://catalog-test/c.csv")
        assert result.version.row_count == 3
        assert isinstance(rung.load_dataset("mem"), pd.DataFrame)
    finally:
        fs.rm("/catalog-test", recursive=True)
