"""The classification a model version inherits, as ``rung models show`` shows it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import pytest

import rung
from rung import pipeline, step
from rung.catalog import dataset, register_dataset
from rung.client import Client, InheritedClassification, classify_model_version
from rung.governance import Classification, DataSource
from rung.registry import register_model

if TYPE_CHECKING:
    from pathlib import Path

    from rung.workspace import Workspace


@step
def fit(claims: pd.DataFrame) -> dict[str, float]:
    return {"mean": float(claims["amount"].mean())}


@pipeline
def training() -> None:
    fit(dataset("claims"))


@step
def fit_and_register(claims: pd.DataFrame) -> float:
    model = {"mean": float(claims["amount"].mean()), "in_step": 1.0}
    rung.register_model(model, name="inside")
    return model["mean"]


@pipeline
def training_in_step() -> None:
    fit_and_register(dataset("claims"))


@pytest.fixture
def catalog(workspace: Workspace, tmp_path: Path) -> Workspace:
    """``claims`` (health, CA; email is pii) in the catalog."""
    path = tmp_path / "claims.csv"
    frame = {"id": [1, 2], "email": ["a@x.ca", "b@x.ca"], "amount": [1.0, 3.0]}
    pd.DataFrame(frame).to_csv(path, index=False)
    register_dataset(
        workspace,
        "claims",
        str(path),
        tags=["health"],
        region="CA",
        column_tags={"email": ["pii"]},
    )
    return workspace


def test_a_version_registered_from_a_run_inherits_the_dataset_classes(
    catalog: Workspace,
) -> None:
    version = register_model(catalog, training(), "cost", step="fit")
    found = Client(catalog).model_classification(version)
    assert (found.model, found.version, found.traced) == ("cost", 1, True)
    assert found.summary() == "health, pii (region CA, from dataset claims v1)"
    as_dict = found.to_dict()
    assert (as_dict["tags"], as_dict["regions"]) == (["health", "pii"], ["CA"])
    assert as_dict["sources"][0]["path"] == (
        "claims@v1 [health, pii, CA] -> fit -> cost v1"
    )


def test_a_version_registered_inside_a_step_inherits_from_its_data(
    catalog: Workspace,
) -> None:
    run = training_in_step()
    (version,) = catalog.models.list_model_versions(catalog.project, "inside")
    assert (version.run_id, version.step_run_id) == (
        run.id,
        run.steps["fit_and_register"].id,
    )
    found = classify_model_version(catalog, version)
    assert found.summary() == "health, pii (region CA, from dataset claims v1)"
    assert found.classification.paths("CA") == [
        "claims@v1 [health, pii, CA] -> fit_and_register -> inside v1"
    ]


def test_a_version_registered_outside_any_run_has_no_lineage(
    catalog: Workspace,
) -> None:
    version = register_model(catalog, {"mean": 2.0}, "outside")
    assert (version.run_id, version.step_run_id) == (None, None)
    found = classify_model_version(catalog, version)
    assert not found.is_known
    assert found.summary() == "unknown (no lineage recorded)"


@pytest.mark.parametrize(
    ("sources", "traced", "summary"),
    [
        ((), True, "none"),
        ((DataSource("weather", 1),), True, "none (from dataset weather v1)"),
        (
            (DataSource("logs", 2, region="EU"),),
            True,
            "no tags (region EU, from dataset logs v2)",
        ),
        (
            (
                DataSource("claims", 3, ("health",), "CA"),
                DataSource("visits", 1, ("pii",), "US"),
                DataSource("weather", 1),
            ),
            False,
            "health, pii (regions CA, US, from datasets claims v3, visits v1)",
        ),
    ],
)
def test_summary_names_tags_regions_and_datasets(
    sources: tuple[DataSource, ...], traced: bool, summary: str
) -> None:
    found = InheritedClassification("m", 1, Classification(sources), traced)
    assert found.summary() == summary


def test_summary_says_when_lineage_was_cut_short() -> None:
    cut = Classification((DataSource("claims", 1, ("pii",)),), complete=False)
    found = InheritedClassification("m", 1, cut, traced=True)
    assert found.summary() == "pii (from dataset claims v1); lineage cut short"
