"""The CA-health example end to end: allowed in CA, refused before running
elsewhere, stopped at run time when a step reads the data dynamically."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

import rung
from rung import pipeline, step
from rung.catalog import dataset
from rung.errors import DatasetNotFoundError, PolicyViolationError
from rung.governance import audit_log, explain_plan
from rung.workspace import WorkspaceOptions

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd

    from rung.pipelines import Pipeline, Step
    from rung.workspace import Workspace


@step(labels={"region": "CA"})
def load_claims(claims: pd.DataFrame) -> pd.DataFrame:
    return claims[["id", "diagnosis", "amount"]]


def _train(rows: pd.DataFrame) -> float:
    return float(rows["amount"].mean())


def training_in(region: str | None) -> Pipeline:
    """The claims pipeline, with ``train`` labelled ``region`` (None: no label)."""
    labels = {"region": region} if region else {}
    train: Step = step(name="train", labels=labels)(_train)

    @pipeline(name="claims_training")
    def claims_training() -> None:
        train(load_claims(dataset("claims")))

    return claims_training


@step(labels={"region": "US"})
def us_report() -> int:
    return len(rung.load_dataset("claims"))


@pipeline
def dynamic_report() -> None:
    us_report()


def test_pipeline_in_ca_runs_and_every_decision_is_audited(governed: Workspace) -> None:
    run = training_in("CA")()
    assert run.status == "completed"
    plan = [d for d in audit_log(governed) if d.stage == "plan"]
    assert {(d.rule, d.verdict) for d in plan} == {
        ("ca-health-stays-in-ca", "allow"),
        ("pii-hashed-before-egress", "allow"),
    }
    ca = next(d for d in plan if d.rule == "ca-health-stays-in-ca")
    assert ca.reason == "Allowed: load_claims in CA, train in CA."
    assert ca.run_id is None
    assert ca.policy_version == 1
    during = audit_log(governed, run_id=run.id)
    assert {d.subject for d in during} == {
        "dataset 'claims' v1 read by step 'load_claims'",
        f"inputs of step 'train' (run {run.id[:8]})",
    }
    assert {(d.verdict, d.stage, d.user) for d in during} == {
        ("allow", "run", "tester")
    }


def test_same_pipeline_with_a_us_step_is_refused_before_running(
    governed: Workspace,
) -> None:
    message = (
        r"Pipeline 'claims_training' was refused before it ran: 1 policy violation"
        r"(.|\n)*rule 'ca-health-stays-in-ca', step 'train': step 'train' is in US "
        r"\(step label\) but handles data that 'ca-health-stays-in-ca' keeps in CA\."
        r"\n    claims@v1 \[health, pii, CA\] -> load_claims -> train \(region US\)"
    )
    with pytest.raises(PolicyViolationError, match=message):
        training_in("US")()
    assert governed.runs.list_runs() == []
    refused = audit_log(governed, verdict="refuse")
    assert [(d.stage, d.rule, d.subject) for d in refused] == [
        ("plan", "ca-health-stays-in-ca", "pipeline 'claims_training', step 'train'")
    ]
    assert refused[0].details == {
        "paths": ["claims@v1 [health, pii, CA] -> load_claims -> train (region US)"],
        "region": "US",
    }


def test_unknown_region_for_governed_data_is_refused_with_the_fix(
    governed: Workspace,
) -> None:
    message = (
        r"step 'train' handles data that 'ca-health-stays-in-ca' keeps in CA, but "
        r"its region is unknown\. Label the step \(@step\(labels=\{'region': 'CA'\}\)"
        r"\) or set the workspace region \(RUNG_REGION=CA"
    )
    with pytest.raises(PolicyViolationError, match=message):
        training_in(None)()
    assert governed.runs.list_runs() == []


def test_invalid_region_label_is_refused_naming_it(governed: Workspace) -> None:
    with pytest.raises(
        PolicyViolationError, match=r"'ca-central-1' is not a region code"
    ):
        training_in("ca-central-1")()


def test_region_aliases_in_the_policy_file_place_cloud_regions(
    catalog: Workspace,
) -> None:
    from rung.governance import apply_policies

    apply_policies(
        catalog,
        "regions: {ca-central-1: CA}\npolicies:\n  - name: ca\n"
        "    match: {tags: [health], region: CA}\n    allow_regions: [CA]\n",
    )
    assert training_in("ca-central-1")().status == "completed"


def test_workspace_region_places_unlabelled_steps(governed: Workspace) -> None:
    options = WorkspaceOptions(region="CA")
    with rung.Workspace(
        governed.backend, governed.artifacts, project=governed.project, options=options
    ) as in_canada:
        run = training_in(None).run(workspace=in_canada)
        assert run.status == "completed"


def test_dynamic_read_in_a_us_step_is_stopped_at_run_time(governed: Workspace) -> None:
    message = (
        r"Reading dataset 'claims' v1 read by step 'us_report' was refused by policy "
        r"set v1:\n- rule 'ca-health-stays-in-ca': step 'us_report' is in US"
        r"(.|\n)*claims@v1 \[health, pii, CA\] -> us_report \(region US\)"
    )
    with pytest.raises(PolicyViolationError, match=message):
        dynamic_report()
    (run,) = governed.runs.list_runs()
    assert run.status == "failed"
    (step_run,) = governed.runs.list_step_runs(run.id)
    assert step_run.status == "failed"
    assert governed.datasets.list_dataset_reads(run_id=run.id) == []
    (refusal,) = audit_log(governed, run_id=run.id)
    assert (refusal.stage, refusal.verdict) == ("run", "refuse")


def test_unknown_dataset_refuses_the_plan_and_records_nothing(
    governed: Workspace,
) -> None:
    @step(labels={"region": "CA"})
    def count(df: pd.DataFrame) -> int:
        return len(df)

    @pipeline
    def typo() -> None:
        count(dataset("claimz"))

    before = audit_log(governed)
    with pytest.raises(DatasetNotFoundError, match="claimz"):
        typo()
    assert audit_log(governed) == before
    assert governed.runs.list_runs() == []


def test_without_policies_nothing_is_checked_or_audited(catalog: Workspace) -> None:
    assert training_in("US")().status == "completed"
    assert audit_log(catalog) == []


def test_explain_plan_reports_each_node_without_recording(governed: Workspace) -> None:
    report = explain_plan(governed, training_in("US").plan())
    assert not report.allowed
    load, train = report.nodes
    assert load.reads == ("claims@v1 [health, pii, CA]",)
    assert train.reads == ()
    assert train.classification.tags == ("health", "pii")
    assert train.location.describe() == "region US"
    assert [(r.rule, r.outcome) for r in train.results] == [
        ("ca-health-stays-in-ca", "fail"),
        ("pii-hashed-before-egress", "n/a"),
    ]
    assert report.to_dict()["allowed"] is False
    assert audit_log(governed) == []


def test_policies_that_match_nothing_allow_other_data(
    workspace: Workspace, claims_csv: Path
) -> None:
    from rung.catalog import register_dataset
    from rung.governance import apply_policies

    register_dataset(workspace, "claims", str(claims_csv), tags=["health"], region="US")
    apply_policies(
        workspace,
        "policies:\n  - name: ca\n    match: {tags: [health], region: CA}\n"
        "    allow_regions: [CA]\n",
    )
    assert training_in("US")().status == "completed"
    (plan,) = audit_log(workspace)
    assert plan.reason == "No step handles data this rule governs."
