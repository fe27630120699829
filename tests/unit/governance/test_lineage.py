"""Classifications propagate through lineage: artifacts, runs, model versions,
and, while a run is going, to steps that consume data read dynamically."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

import rung
from rung import pipeline, step
from rung.catalog import dataset, describe_column
from rung.errors import LineageNodeNotFoundError, PolicyViolationError
from rung.governance import Classification, DataSource, classifications_of
from rung.registry import register_model

if TYPE_CHECKING:
    import pandas as pd

    from rung.workspace import Workspace


@step(labels={"region": "CA"})
def clean(claims: pd.DataFrame) -> pd.DataFrame:
    return claims.dropna()


@step(labels={"region": "CA"})
def fit(rows: pd.DataFrame) -> dict[str, float]:
    return {"mean": float(rows["amount"].mean())}


@pipeline
def modelling() -> None:
    fit(clean(dataset("claims")))


@step(labels={"region": "CA"})
def fetch_in_ca() -> pd.DataFrame:
    return rung.load_dataset("claims")[["id", "amount"]]


@step(labels={"region": "US"})
def summarise_in_us(rows: pd.DataFrame) -> float:
    return float(rows["amount"].sum())


@step(labels={"region": "CA"})
def summarise_in_ca(rows: pd.DataFrame) -> float:
    return float(rows["amount"].sum())


@pipeline
def hidden_flow() -> None:
    summarise_in_us(fetch_in_ca())


@pipeline
def canadian_flow() -> None:
    summarise_in_ca(fetch_in_ca())


def test_classification_merges_tags_regions_columns_and_paths() -> None:
    health = DataSource("claims", 3, ("health", "pii"), "CA", {"email": ("pii",)})
    other = DataSource("visits", 1, ("health",), "US")
    merged = Classification.merge(
        [Classification((health,)).via("load"), Classification((other, health))]
    ).via("train")
    assert merged.tags == ("health", "pii")
    assert merged.regions == ("CA", "US")
    assert merged.columns == {"email": ("pii",)}
    assert merged.paths("CA") == ["claims@v3 [health, pii, CA] -> load -> train"]
    assert merged.paths("pii") == merged.paths("CA")
    assert len(merged.paths("health")) == 2
    assert not Classification()


def test_artifact_inherits_the_dataset_classification(governed: Workspace) -> None:
    run = modelling()
    model_id = governed.runs.list_step_runs(run.id)[-1].outputs["output"]
    found = classifications_of(governed, model_id)
    assert found.tags == ("health", "pii")
    assert found.regions == ("CA",)
    assert found.columns == {"email": ("pii",)}
    assert found.paths("health") == ["claims@v1 [health, pii, CA] -> clean -> fit"]
    assert found.complete


def test_run_inherits_what_its_steps_read(governed: Workspace) -> None:
    run = modelling()
    found = classifications_of(governed, f"run:{run.id}")
    assert (found.tags, found.regions) == (("health", "pii"), ("CA",))
    assert (
        found.to_dict()["sources"][0]["path"] == "claims@v1 [health, pii, CA] -> clean"
    )


def test_model_version_inherits_through_its_artifact(governed: Workspace) -> None:
    version = register_model(governed, modelling(), name="cost", step="fit")
    found = classifications_of(governed, f"cost/{version.version}")
    assert found.tags == ("health", "pii")
    assert found.paths("CA") == [
        "claims@v1 [health, pii, CA] -> clean -> fit -> cost v1"
    ]


def test_reclassifying_a_column_reaches_existing_lineage(governed: Workspace) -> None:
    run = modelling()
    describe_column(governed, "claims", "diagnosis", tags=["health", "sensitive"])
    found = classifications_of(governed, f"run:{run.id}")
    assert found.columns == {"diagnosis": ("health", "sensitive"), "email": ("pii",)}


def test_classifications_of_unknown_reference_raises(governed: Workspace) -> None:
    with pytest.raises(LineageNodeNotFoundError, match="Nothing in the workspace"):
        classifications_of(governed, "nothing/9")


def test_consumer_of_dynamically_read_data_is_stopped_at_run_time(
    governed: Workspace,
) -> None:
    # The plan shows no dataset input: only lineage, at run time, reveals it.
    message = (
        r"Step 'summarise_in_us' \(before its code ran\) was refused by policy set v1"
        r"(.|\n)*claims@v1 \[health, pii, CA\] -> fetch_in_ca -> summarise_in_us "
        r"\(region US\)"
    )
    with pytest.raises(PolicyViolationError, match=message):
        hidden_flow()
    (run,) = governed.runs.list_runs()
    steps = {s.name: s.status for s in governed.runs.list_step_runs(run.id)}
    assert steps == {"fetch_in_ca": "completed", "summarise_in_us": "failed"}
    verdicts = {
        (d.subject.split(" (")[0], d.verdict)
        for d in governed.policies.list_policy_decisions(run_id=run.id)
    }
    assert verdicts == {
        ("dataset 'claims' v1 read by step 'fetch_in_ca'", "allow"),
        ("inputs of step 'summarise_in_us'", "refuse"),
    }


def test_consumer_of_a_cached_step_is_classified_through_its_source(
    governed: Workspace,
) -> None:
    # The cached fetch_in_ca runs no code and no check: only lineage (the step
    # run it reused, and that one's reads) says what it produced.
    assert canadian_flow().status == "completed"
    with pytest.raises(
        PolicyViolationError,
        match=r"claims@v1 \[health, pii, CA\] -> fetch_in_ca -> summarise_in_us",
    ):
        hidden_flow()
    latest = governed.runs.list_runs()[0]
    statuses = [s.status for s in governed.runs.list_step_runs(latest.id)]
    assert statuses == ["cached", "failed"]
