"""Loading models by URI: aliases, versions, ``latest``, safety, missing content."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import rung
from rung.errors import (
    ArtifactNotFoundError,
    InvalidModelReferenceError,
    ModelNotFoundError,
    ModelVersionNotFoundError,
    UnsafeArtifactError,
)
from rung.registry import (
    ModelRef,
    archive_version,
    load_model,
    parse_model_uri,
    promote_model,
    register_model,
    resolve_model,
)

if TYPE_CHECKING:
    from rung.registry.records import ModelVersionRecord
    from rung.workspace import Workspace


class Pickled:
    """Not a scikit-learn model: only pickle can store it."""

    def predict(self, rows: list[int]) -> list[int]:
        return rows


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("churn@production", ModelRef("churn", alias="production")),
        ("churn/3", ModelRef("churn", version=3)),
        ("models:/churn-v2.eu@latest", ModelRef("churn-v2.eu", alias="latest")),
    ],
)
def test_parse_model_uri(uri: str, expected: ModelRef) -> None:
    assert parse_model_uri(uri) == expected
    assert str(expected) in uri


@pytest.mark.parametrize(
    "uri", ["churn", "churn@", "churn/0", "churn/x", "@prod", "a@b@c"]
)
def test_parse_model_uri_rejects_other_shapes(uri: str) -> None:
    with pytest.raises(InvalidModelReferenceError, match="Write 'NAME@ALIAS'"):
        parse_model_uri(uri)


def test_load_by_alias_version_and_latest(
    workspace: Workspace, versions: list[ModelVersionRecord]
) -> None:
    promote_model(workspace, "churn", 2, "production")
    model = rung.load_model("churn@production")
    assert type(model).__name__ == "LogisticRegression"
    assert list(model.feature_names_in_) == ["age", "income", "visits"]
    assert resolve_model(workspace, "churn@production").version == 2
    assert resolve_model(workspace, "churn/1").version == 1
    assert resolve_model(workspace, "churn@latest").version == 3
    archive_version(workspace, "churn", 3)
    assert resolve_model(workspace, "churn@latest").version == 2
    assert load_model(workspace, "churn/1").coef_.shape == (1, 3)


def test_unknown_names_aliases_and_versions_are_clear(
    workspace: Workspace, versions: list[ModelVersionRecord]
) -> None:
    with pytest.raises(ModelNotFoundError, match="No model 'fraud' in project"):
        load_model(workspace, "fraud@production")
    with pytest.raises(
        ModelVersionNotFoundError,
        match=r"no alias 'staging' \(its aliases: none yet\)\.$",
    ):
        load_model(workspace, "churn@staging")
    with pytest.raises(ModelVersionNotFoundError, match="no version 4"):
        load_model(workspace, "churn/4")
    for number in (1, 2, 3):
        archive_version(workspace, "churn", number)
    with pytest.raises(
        ModelVersionNotFoundError, match="Every version of model 'churn' is archived"
    ):
        load_model(workspace, "churn@latest")


def test_pickled_versions_need_allow_pickle(workspace: Workspace) -> None:
    version = register_model(workspace, Pickled(), "custom", allow_pickle=True)
    with pytest.raises(
        UnsafeArtifactError,
        match=r"custom/1 was stored with pickle"
        r".*rung\.load_model\('custom@latest', allow_pickle=True\)",
    ):
        load_model(workspace, "custom@latest")
    assert load_model(workspace, "custom/1", allow_pickle=True).predict([1]) == [1]
    assert version.framework == "tests"


def test_a_version_whose_content_is_gone_raises_artifact_not_found(
    workspace: Workspace, versions: list[ModelVersionRecord]
) -> None:
    record = workspace.runs.get_artifact(versions[0].artifact_id)
    shutil.rmtree(Path(workspace.artifacts.url) / record.uri)
    with pytest.raises(
        ArtifactNotFoundError,
        match=r"Model churn/2 points to artifact .* whose content is gone"
        r".*register a new version",
    ):
        load_model(workspace, "churn/2")
