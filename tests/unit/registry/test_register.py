"""``register_model`` and ``register_model_step``: what a version records."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import rung
from rung.errors import (
    ArtifactNotFoundError,
    InvalidModelReferenceError,
    ModelNotFoundError,
    ModelSignatureError,
    RegistryError,
    RunError,
)
from rung.registry import ModelCard, list_versions, register_model
from rung.registry.records import SignatureColumn
from tests.unit.registry.flows import FEATURES, training_with_registration

if TYPE_CHECKING:
    from rung.tracking import Run
    from rung.workspace import Workspace


def test_register_from_a_run_records_lineage_metrics_and_code(
    workspace: Workspace, trained: Run
) -> None:
    version = register_model(
        workspace, trained, "churn", step="train", description="first"
    )
    train = trained.steps["train"]
    record = trained.record
    assert (version.model, version.version, version.project) == (
        "churn",
        1,
        "test-project",
    )
    assert version.artifact_id == train.outputs["output"]
    assert (version.run_id, version.step_run_id) == (trained.id, train.id)
    assert version.training_data == {"data": train.inputs["data"]}
    assert version.metrics == trained.metrics and "accuracy" in version.metrics
    assert (version.user, version.description, version.state) == (
        "tester",
        "first",
        "ready",
    )
    assert (version.git_commit, version.source_hash) == (
        record.git_commit,
        record.source_hash,
    )
    assert version.source_hash is not None


def test_signature_is_inferred_from_the_training_data_without_the_label(
    workspace: Workspace, trained: Run
) -> None:
    version = register_model(workspace, trained, "churn", step="train")
    assert version.signature == (
        SignatureColumn("age", "int64"),
        SignatureColumn("income", "float64"),
        SignatureColumn("visits", "int64"),
    )
    assert [c.name for c in version.signature] == FEATURES


def test_framework_and_card_are_filled_in(workspace: Workspace, trained: Run) -> None:
    import sklearn

    card = ModelCard(intended_use="Rank accounts by churn risk.", owners=("ml-team",))
    version = register_model(workspace, trained, "churn", step="train", card=card)
    assert (version.framework, version.framework_version) == (
        "sklearn",
        sklearn.__version__,
    )
    loaded = ModelCard.from_dict(version.card)
    assert loaded.intended_use == "Rank accounts by churn risk."
    assert loaded.owners == ("ml-team",)
    assert loaded.evaluation == version.metrics
    assert f"run {trained.id[:12]}" in loaded.training_data
    assert "data: artifact" in loaded.training_data and "80 x 4" in loaded.training_data


def test_register_by_artifact_id_finds_the_same_lineage(
    workspace: Workspace, trained: Run
) -> None:
    artifact = trained.steps["train"].outputs["output"]
    by_id = register_model(workspace, artifact[:10], "churn", metrics={"accuracy": 0.5})
    by_run = register_model(workspace, trained, "churn", step="train")
    assert by_id.version == 1 and by_run.version == 2
    assert by_id.run_id == trained.id and by_id.training_data == by_run.training_data
    assert by_id.signature == by_run.signature
    assert by_id.metrics == {"accuracy": 0.5}
    assert workspace.models.find_model_versions(artifact) == [by_id, by_run]


def test_register_a_model_object_without_lineage(workspace: Workspace) -> None:
    from sklearn.linear_model import LinearRegression

    model = LinearRegression().fit([[0.0], [1.0]], [0.0, 1.0])
    version = register_model(
        workspace,
        model,
        "lin",
        signature={"x": "float64"},
        tags={"stage": 1},  # type: ignore[dict-item]
    )
    assert (version.run_id, version.training_data, version.metrics) == (None, {}, {})
    assert version.signature == (SignatureColumn("x", "float64"),)
    assert version.framework == "sklearn" and version.tags == {"stage": "1"}
    assert rung.load_model("lin/1").coef_ == pytest.approx(model.coef_)


def test_register_model_step_registers_inside_the_pipeline(
    workspace: Workspace,
) -> None:
    run = training_with_registration()
    [version] = list_versions(workspace, "churn")
    step_output = run.output("register_model")
    assert step_output == {
        "model": "churn",
        "version": 1,
        "artifact_id": version.artifact_id,
    }
    assert version.run_id == run.id
    assert version.step_run_id == run.steps["train"].id
    assert version.metrics == run.output("evaluate")
    assert [c.name for c in version.signature or ()] == FEATURES
    training_with_registration()  # unchanged: the registration step is cached
    assert len(list_versions(workspace, "churn")) == 1
    training_with_registration(C=0.5)
    assert [v.version for v in list_versions(workspace, "churn")] == [1, 2]


def test_register_inside_a_step_links_the_step_run_and_its_inputs(
    workspace: Workspace,
) -> None:
    from tests.unit.registry.flows import training_registered_in_step

    run = training_registered_in_step()
    [version] = list_versions(workspace, "churn")
    train = run.steps["train_and_register"]
    assert (version.run_id, version.step_run_id) == (run.id, train.id)
    assert version.artifact_id == train.outputs["output"]
    assert version.training_data == {"data": train.inputs["data"]}
    assert [c.name for c in version.signature or ()] == FEATURES
    assert version.git_commit == run.record.git_commit
    # The same model bytes again, from a new run: the version names the new run.
    again = training_registered_in_step.run(enable_cache=False)
    latest = list_versions(workspace, "churn")[-1]
    assert latest.artifact_id == version.artifact_id
    assert (latest.run_id, latest.step_run_id) == (
        again.id,
        again.steps["train_and_register"].id,
    )


def test_register_inside_a_pipeline_body_points_to_the_step(
    workspace: Workspace,
) -> None:
    from rung import pipeline
    from tests.unit.registry.flows import make_data, train

    @pipeline
    def wrong() -> None:
        register_model(workspace, train(make_data()), "churn")

    with pytest.raises(RegistryError, match="register_model_step step instead"):
        wrong()


def test_versions_are_numbered_in_order(workspace: Workspace, trained: Run) -> None:
    numbers = [
        register_model(workspace, trained, "churn", step="train").version
        for _ in range(3)
    ]
    assert numbers == [1, 2, 3]
    assert register_model(workspace, trained, "other", step="train").version == 1


def test_register_rejects_bad_input_and_changes_nothing(
    workspace: Workspace, trained: Run
) -> None:
    with pytest.raises(
        InvalidModelReferenceError, match=r"Invalid model name 'churn@x'"
    ):
        register_model(workspace, trained, "churn@x", step="train")
    with pytest.raises(
        RunError,
        match=r"no outputs from step 'fit'.*\['evaluate', 'make_data', 'train'\]",
    ):
        register_model(workspace, trained, "churn", step="fit")
    with pytest.raises(RunError, match=r"no outputs from step None"):
        register_model(workspace, trained, "churn")
    with pytest.raises(ArtifactNotFoundError, match=r"Artifact 'feedbeef' not found"):
        register_model(workspace, "feedbeef", "churn")
    with pytest.raises(RegistryError, match="pass the Run as the model"):
        register_model(workspace, "feedbeef", "churn", step="train")
    with pytest.raises(
        RegistryError, match="'evaluation' maps metric names to numbers"
    ):
        register_model(
            workspace, trained, "churn", step="train", card={"evaluation": {"a": "x"}}
        )
    with pytest.raises(ModelSignatureError, match="Cannot read a signature from a int"):
        register_model(workspace, trained, "churn", step="train", signature=3)
    assert workspace.models.list_models() == []


def test_register_refuses_an_artifact_whose_content_is_gone(
    workspace: Workspace, trained: Run
) -> None:
    record = workspace.runs.get_artifact(trained.steps["train"].outputs["output"])
    shutil.rmtree(Path(workspace.artifacts.url) / record.uri)
    with pytest.raises(ArtifactNotFoundError, match="content is missing"):
        register_model(workspace, trained, "churn", step="train")
    assert workspace.models.list_models() == []


def test_registration_takes_milliseconds(workspace: Workspace, trained: Run) -> None:
    artifact = trained.steps["train"].outputs["output"]
    register_model(workspace, artifact, "warm")
    start = time.perf_counter()
    for _ in range(10):
        register_model(workspace, artifact, "churn")
    per_version = (time.perf_counter() - start) / 10
    assert per_version < 0.25, per_version  # generous: CI boxes are noisy


def test_training_data_links_a_script_model_to_the_table_it_was_trained_on(
    workspace: Workspace,
) -> None:
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    data = pd.DataFrame({"age": [20.0, 35.0, 50.0, 65.0], "visits": [1, 3, 5, 7]})
    data["label"] = [0, 0, 1, 1]
    model = LogisticRegression().fit(data[["age", "visits"]], data["label"])
    version = register_model(workspace, model, "script", training_data=data)
    [artifact_id] = version.training_data.values()
    assert workspace.load_artifact(artifact_id).equals(data)
    assert [c.name for c in version.signature or []] == ["age", "visits"]
    assert "training_data: artifact" in version.card["training_data"]
    again = register_model(workspace, model, "script", training_data=artifact_id[:12])
    assert again.training_data == version.training_data


def test_training_data_must_be_a_table(workspace: Workspace) -> None:
    from sklearn.dummy import DummyClassifier

    model = DummyClassifier().fit([[0.0], [1.0]], [0, 1])
    stored = workspace.put_artifact(model)
    with pytest.raises(RegistryError, match="training_data must be a table") as err:
        register_model(workspace, model, "script", training_data=stored.id)
    assert err.value.details == {"reason": "training_data_not_a_table"}
    with pytest.raises(RegistryError, match="not a object"):
        register_model(workspace, model, "script", training_data=object())
    with pytest.raises(ArtifactNotFoundError):
        register_model(workspace, model, "script", training_data="ffffffffffff")
    with pytest.raises(ModelNotFoundError):  # nothing half-registered
        list_versions(workspace, "script")
