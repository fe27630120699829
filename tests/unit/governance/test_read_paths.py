"""Residency holds on every public read path, not only on catalog reads.

After a Canadian pipeline ran, each way of reading what it touched (the
dataset's snapshot, a step's output, the model trained on it) is attacked
from a step labelled US, from a session in US and from a session with no
region: every attack is refused and audited with its read path, and the same
read from Canada is allowed and audited.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pytest

import rung
from rung import pipeline, step
from rung.catalog import dataset, read_table
from rung.client import Client
from rung.errors import PolicyViolationError
from rung.governance import audit_log, classifications_of
from rung.registry import promote_model, register_model
from rung.serving import ModelService, ServedModel, ServeOptions, predict_frame
from rung.serving._deploy import endpoint_read
from rung.tracking import Run, current_scope

if TYPE_CHECKING:
    from sklearn.linear_model import LogisticRegression

    from rung.workspace import Workspace

SRC = Path(__file__).resolve().parents[3] / "src" / "rung"


@step(labels={"region": "CA"})
def load_claims(claims: pd.DataFrame) -> pd.DataFrame:
    return claims[["id", "amount"]]


@step(labels={"region": "CA"})
def train(rows: pd.DataFrame) -> LogisticRegression:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression().fit(rows[["amount"]], rows["amount"] > 15)


@pipeline
def in_canada() -> None:
    train(load_claims(dataset("claims")))


@dataclass(frozen=True)
class Trained:
    """What the Canadian pipeline left behind."""

    run_id: str
    snapshot: str
    rows: str
    model: str
    folder: Path


@pytest.fixture
def trained(governed: Workspace, tmp_path: Path) -> Trained:
    """``in_canada`` ran; its model is ``cost@production``."""
    run = in_canada()
    version = register_model(governed, run, name="cost", step="train")
    promote_model(governed, "cost", version.version, "production")
    snapshot = governed.datasets.get_dataset_version("claims").snapshot_artifact_id
    assert snapshot is not None
    rows = run.outputs["load_claims"]["output"]
    return Trained(run.id, snapshot, rows, version.artifact_id, tmp_path)


def _read_table(ws: Workspace, _: Trained) -> object:
    record = ws.datasets.get_dataset("claims")
    return read_table(ws, record, ws.datasets.get_dataset_version("claims"))


# Every public way to read an artifact's value, with the stage it is audited as.
READ_PATHS: dict[str, tuple[Callable[[Workspace, Trained], object], str]] = {
    "rung.load_artifact(snapshot)": (
        lambda ws, t: rung.load_artifact(t.snapshot),
        "load_artifact",
    ),
    "rung.load_artifact(step output)": (
        lambda ws, t: rung.load_artifact(t.rows),
        "load_artifact",
    ),
    "rung.load_artifact(model)": (
        lambda ws, t: rung.load_artifact(t.model),
        "load_artifact",
    ),
    "Workspace.load_artifact": (
        lambda ws, t: ws.load_artifact(t.rows),
        "load_artifact",
    ),
    "Client.load_artifact": (
        lambda ws, t: Client(ws).load_artifact(t.snapshot),
        "load_artifact",
    ),
    "Client.export_artifact": (
        lambda ws, t: Client(ws).export_artifact(t.snapshot, t.folder / "out"),
        "export",
    ),
    "Run.output": (
        lambda ws, t: Run(ws, t.run_id).output("load_claims"),
        "load_artifact",
    ),
    "rung.load_model": (lambda ws, t: rung.load_model("cost@production"), "load_model"),
    "ServedModel.load": (
        lambda ws, t: ServedModel.load(ws, "cost/1"),
        "load_model",
    ),
    "predict_frame": (
        lambda ws, t: predict_frame(
            ws, "cost@production", pd.DataFrame({"amount": [1.0]})
        ),
        "predict",
    ),
    "catalog.read_table": (_read_table, "run"),
}
PATHS = sorted(READ_PATHS)


@step(labels={"region": "US"}, cache=False)
def read_in_us(which: str, trained: str) -> int:
    _attack(which, trained)
    return 1


@step(labels={"region": "CA"}, cache=False)
def read_in_ca(which: str, trained: str) -> int:
    _attack(which, trained)
    return 1


@pipeline
def from_us(which: str, trained: str) -> None:
    read_in_us(which, trained)


@pipeline
def from_ca(which: str, trained: str) -> None:
    read_in_ca(which, trained)


def _attack(which: str, trained: str) -> None:
    values = json.loads(trained)
    found = Trained(**{**values, "folder": Path(values["folder"])})
    scope = current_scope()
    assert scope is not None
    READ_PATHS[which][0](scope.workspace, found)


def _encoded(trained: Trained) -> str:
    return json.dumps({**trained.__dict__, "folder": str(trained.folder)})


def _refusals(ws: Workspace) -> list[tuple[str, str]]:
    return [(d.stage, d.rule) for d in audit_log(ws, verdict="refuse")]


@pytest.mark.parametrize("which", PATHS)
def test_a_read_in_a_us_step_is_refused_and_audited(
    governed: Workspace, trained: Trained, which: str
) -> None:
    with pytest.raises(PolicyViolationError, match=r"step 'read_in_us' is in US"):
        from_us(which, _encoded(trained))
    stage = READ_PATHS[which][1]
    assert _refusals(governed) == [(stage, "ca-health-stays-in-ca")]
    (failed,) = [r for r in governed.runs.list_runs() if r.pipeline == "from_us"]
    assert failed.status == "failed"


@pytest.mark.parametrize("which", PATHS)
def test_a_read_in_a_us_session_is_refused_with_the_path(
    governed: Workspace, trained: Trained, which: str
) -> None:
    governed.options = replace(governed.options, region="US")  # RUNG_REGION=US
    with pytest.raises(
        PolicyViolationError,
        match=r"is in US \(workspace region\)(.|\n)*claims@v1 \[health, pii, CA\]",
    ):
        READ_PATHS[which][0](governed, trained)
    assert _refusals(governed) == [(READ_PATHS[which][1], "ca-health-stays-in-ca")]


@pytest.mark.parametrize("which", PATHS)
def test_a_read_with_no_region_is_refused(
    governed: Workspace, trained: Trained, which: str
) -> None:
    with pytest.raises(PolicyViolationError, match=r"but its region is unknown"):
        READ_PATHS[which][0](governed, trained)
    assert len(_refusals(governed)) == 1


@pytest.mark.parametrize("which", PATHS)
def test_a_read_in_canada_is_allowed_and_audited(
    governed: Workspace, trained: Trained, which: str
) -> None:
    read, stage = READ_PATHS[which]
    before = _allowed(governed, stage)
    assert from_ca(which, _encoded(trained)).status == "completed"
    governed.options = replace(governed.options, region="CA")
    read(governed, replace(trained, folder=trained.folder / "again"))
    assert _allowed(governed, stage) == before + 2
    assert _refusals(governed) == []


def _allowed(ws: Workspace, stage: str) -> int:
    return sum(d.stage == stage for d in audit_log(ws, verdict="allow", limit=None))


def test_the_audit_names_the_read_path_and_the_artifact(
    governed: Workspace, trained: Trained
) -> None:
    governed.options = replace(governed.options, region="US")
    with pytest.raises(PolicyViolationError, match=r"Reading model cost/1 by this"):
        rung.load_model("cost/1")
    (decision,) = audit_log(governed, verdict="refuse")
    assert decision.subject == "model cost/1 read by this session (load_model)"
    assert decision.details["read_path"] == "load_model"
    assert decision.details["artifact_id"] == trained.model
    assert decision.details["paths"] == [
        "claims@v1 [health, pii, CA] -> load_claims -> train -> load_model (region US)"
    ]


# -- serving ------------------------------------------------------------------------


def test_an_endpoint_outside_canada_is_refused_before_it_serves(
    governed: Workspace, trained: Trained
) -> None:
    for region, words in (("US", "is in US"), (None, "region is unknown")):
        read = endpoint_read(governed, ServeOptions(region=region), "cost-production")
        with pytest.raises(PolicyViolationError, match=words):
            ServedModel.load(governed, "cost@production", read=read)
    assert [d.stage for d in audit_log(governed, verdict="refuse")] == ["serve"] * 2
    assert audit_log(governed, verdict="refuse")[0].subject == (
        "model cost/1 read by endpoint 'cost-production' (serve)"
    )


def test_a_canadian_endpoint_serves_and_each_load_is_audited(
    governed: Workspace, trained: Trained
) -> None:
    options = ServeOptions(region="CA", poll_interval=0.05, flush_seconds=60)
    service = ModelService(governed, "cost/1", options)
    service.start()
    try:
        for _ in range(200):
            if service.is_ready:
                break
            service._stop.wait(0.05)
    finally:
        service.close()
    assert service.is_ready
    (decision,) = [d for d in audit_log(governed) if d.stage == "serve"]
    assert (decision.verdict, decision.subject) == (
        "allow",
        "model cost/1 read by endpoint 'cost-v1' (serve)",
    )


# -- lineage of dynamic reads -------------------------------------------------------


@step(labels={"region": "CA"})
def fetch_snapshot(snapshot: str) -> pd.DataFrame:
    frame: pd.DataFrame = rung.load_artifact(snapshot).to_pandas()
    return frame[["id", "amount"]]


@step(labels={"region": "CA"})
def fetch_rows(rows: str) -> pd.DataFrame:
    frame: pd.DataFrame = rung.load_artifact(rows)
    return frame.head(1)


@step(labels={"region": "US"})
def total_in_us(rows: pd.DataFrame) -> float:
    return float(rows["amount"].sum())


@pipeline
def snapshot_to_us(snapshot: str) -> None:
    total_in_us(fetch_snapshot(snapshot))


@pipeline
def rows_to_us(rows: str) -> None:
    total_in_us(fetch_rows(rows))


def test_a_snapshot_loaded_in_canada_cannot_be_passed_to_the_us(
    governed: Workspace, trained: Trained
) -> None:
    with pytest.raises(
        PolicyViolationError,
        match=r"claims@v1 \[health, pii, CA\] -> fetch_snapshot -> total_in_us",
    ):
        snapshot_to_us(trained.snapshot)
    run = next(r for r in governed.runs.list_runs() if r.pipeline == "snapshot_to_us")
    (read,) = governed.datasets.list_dataset_reads(run_id=run.id)
    assert (read.dataset, read.step_name) == ("claims", "fetch_snapshot")
    output = rung.Run(governed, run.id).outputs["fetch_snapshot"]["output"]
    assert classifications_of(governed, output).regions == ("CA",)


def test_an_output_loaded_in_canada_cannot_be_passed_to_the_us(
    governed: Workspace, trained: Trained
) -> None:
    with pytest.raises(
        PolicyViolationError,
        match=r"-> load_claims -> fetch_rows -> total_in_us \(region US\)",
    ):
        rows_to_us(trained.rows)


def test_the_snapshot_is_classified_as_its_dataset(
    governed: Workspace, trained: Trained
) -> None:
    found = classifications_of(governed, trained.snapshot)
    assert found.paths("CA") == ["claims@v1 [health, pii, CA]"]


@step(labels={"region": "CA"})
def train_and_register(rows: pd.DataFrame) -> int:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression().fit(rows[["amount"]], rows["amount"] > 15)
    return rung.register_model(model, name="inline").version


@pipeline
def registers_inline() -> None:
    train_and_register(load_claims(dataset("claims")))


def test_a_model_registered_inside_a_step_carries_what_the_step_read(
    governed: Workspace,
) -> None:
    registers_inline()
    governed.options = replace(governed.options, region="US")
    with pytest.raises(
        PolicyViolationError, match=r"-> load_claims -> train_and_register -> "
    ):
        rung.load_model("inline/1")


# -- what is not governed -----------------------------------------------------------


def test_unclassified_artifacts_are_read_anywhere_and_decide_nothing(
    governed: Workspace,
) -> None:
    record = governed.put_artifact({"threshold": 0.5})
    governed.options = replace(governed.options, region="US")
    assert rung.load_artifact(record.id) == {"threshold": 0.5}
    assert audit_log(governed) == []


def test_without_a_policy_set_reads_are_not_judged(catalog: Workspace) -> None:
    run = in_canada()
    rows = run.outputs["load_claims"]["output"]
    assert len(rung.load_artifact(rows)) == 3
    assert audit_log(catalog) == []


def test_a_cached_rerun_loads_and_judges_nothing_again(
    governed: Workspace, trained: Trained
) -> None:
    before = len(audit_log(governed, limit=None))
    assert in_canada().status == "completed"
    decisions = audit_log(governed, limit=None)
    new = decisions[: len(decisions) - before]
    assert {d.stage for d in new} == {"plan"}


@step(labels={"region": "CA", "egress": "true"})
def share_loaded(rows: str) -> int:
    return len(rung.load_artifact(rows))


@pipeline
def shares_loaded(rows: str) -> None:
    share_loaded(rows)


def test_an_egress_step_may_not_load_governed_data_itself(
    governed: Workspace, trained: Trained
) -> None:
    with pytest.raises(PolicyViolationError, match=r"is labelled egress and reads"):
        shares_loaded(trained.rows)
    assert [d.rule for d in audit_log(governed, verdict="refuse")] == [
        "pii-hashed-before-egress"
    ]


# -- no path around the checks ------------------------------------------------------


def _calls(name: str) -> list[str]:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if "artifacts" in path.relative_to(SRC).parts[:1]:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                func = node.func
                called = getattr(func, "id", None) or getattr(func, "attr", None)
                if called == name:
                    found.append(str(path.relative_to(SRC)))
    return found


def test_values_leave_the_artifact_store_only_through_checked_paths() -> None:
    # load_value: Workspace.load_artifact runs the checks before it.
    assert _calls("load_value") == ["workspace.py"]
    # export_value: Client.export_artifact calls check_artifact_read first.
    assert _calls("export_value") == ["client/_client.py"]
    source = (SRC / "client" / "_client.py").read_text()
    export = source[source.index("def export_artifact") :]
    assert export.index("check_artifact_read") < export.index("export_value(")
