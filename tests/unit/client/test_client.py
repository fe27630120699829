"""``Client``: each domain's methods act on the client's workspace."""

from __future__ import annotations

from pathlib import Path

import pytest

from rung.client import Client
from rung.errors import ModelNotFoundError, PromotionRefusedError
from rung.workspace import Workspace


@pytest.fixture
def client(memory_workspace: Workspace) -> Client:
    return Client(memory_workspace)


@pytest.fixture
def other() -> Workspace:
    return Workspace.from_urls("memory://", "memory://", project="other", user="bob")


def test_model_methods_use_the_client_workspace(
    client: Client, other: Workspace
) -> None:
    artifact = client.workspace.put_artifact({"weights": [1.0, 2.0]})
    first = client.register_model(artifact.id, "churn", metrics={"accuracy": 0.8})
    client.register_model(artifact.id, "churn", metrics={"accuracy": 0.9})
    client.set_gates("churn", {"production": {"metrics": ["accuracy >= 0.85"]}})
    with pytest.raises(PromotionRefusedError, match=r"accuracy 0\.8 < 0\.85"):
        client.promote_model("churn", first.version, "production")
    assert client.promote_model("churn", 2, "production", comment="ok").version == 2
    assert client.get_model("churn").aliases == {"production": 2}
    assert [v.version for v in client.list_versions("churn")] == [1, 2]
    assert [e.action for e in client.model_history("churn")][-1] == "promote"
    with pytest.raises(ModelNotFoundError, match="No model 'churn'"):
        Client(other).get_model("churn")
    other.close()


def test_gates_load_from_a_yaml_file(client: Client, tmp_path: Path) -> None:
    artifact = client.workspace.put_artifact([1, 2, 3])
    client.register_model(artifact.id, "churn")
    path = tmp_path / "gates.yaml"
    path.write_text("production:\n  metrics:\n    - accuracy >= 0.9\n")
    client.set_gates("churn", path)
    production = client.get_gates("churn").to_dict()["production"]
    assert production["metrics"] == ["accuracy >= 0.9"]


def test_catalog_governance_serving_and_monitoring_start_empty(
    client: Client,
) -> None:
    assert client.list_datasets() == []
    assert client.search_datasets("claims") == []
    assert client.active_policies() is None
    assert client.audit_log() == []
    assert client.list_deployments() == []
    assert client.list_prediction_batches() == []
    assert client.list_monitors() == []
    assert client.list_alerts() == []
    assert client.list_prediction_batches(kind="quarantine") == []
    assert client.list_deliveries() == []
    assert len(client.deliver_alerts()) == 0


def test_automation_methods_use_the_client_workspace(
    client: Client, other: Workspace, tmp_path: Path
) -> None:
    flow = tmp_path / "flow.py"
    flow.write_text(
        "from rung import pipeline, step\n\n\n"
        "@step\ndef train() -> int:\n    return 1\n\n\n"
        "@pipeline\ndef training() -> None:\n    train()\n"
    )
    created = client.create_trigger("nightly", f"{flow}:training", "manual")
    assert [t.name for t in client.list_triggers()] == [created.name]
    assert client.pause_trigger("nightly").state == "paused"
    assert client.resume_trigger("nightly").state == "active"
    queued = client.fire_trigger("nightly")
    assert [e.id for e in client.ledger("nightly")] == [queued.id]
    assert Client(other).list_triggers() == []
    assert client.list_comparisons() == []
    assert client.list_watches() == []
    assert client.check_watches() == []
    assert client.challenger_ledger() == []
    assert client.find_comparison("churn", 1, 2) is None
    client.delete_trigger("nightly")
    assert client.list_triggers() == []
    other.close()
