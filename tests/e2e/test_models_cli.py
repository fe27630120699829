"""``rung models`` end to end: register, gates, approvals, promote, rollback."""

from __future__ import annotations

import json
import textwrap
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pathlib import Path

    from tests.e2e.conftest import Cli

TRAINING = textwrap.dedent(
    """
    import rung
    from rung import pipeline, step


    @step
    def make_data(rows: int = 60):
        import numpy as np
        import pandas as pd

        rng = np.random.default_rng(0)
        x, n = rng.normal(size=rows), rng.integers(0, 5, rows)
        frame = pd.DataFrame({"x": x, "n": n})
        frame["y"] = (frame["x"] > 0).astype(int)
        return frame


    @step
    def train(data):
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression().fit(data[["x", "n"]], data["y"])


    @step
    def evaluate(model, data) -> float:
        accuracy = float(model.score(data[["x", "n"]], data["y"]))
        rung.log_metric("accuracy", accuracy)
        return accuracy


    @pipeline
    def training(rows: int = 60) -> None:
        data = make_data(rows=rows)
        evaluate(train(data), data)
    """
)

GATES = """\
production:
  metrics:
    - accuracy >= 0.9
  approvals: {role: reviewer, count: 1}
"""


def as_json(cli: Cli, *args: str) -> Any:
    code, out = cli(*args, "--json")
    assert code == 0, out
    return json.loads(out)


@pytest.fixture
def run_id(cli: Cli, project: Path) -> str:
    """A completed training run in a new workspace."""
    (project / "train.py").write_text(TRAINING)
    assert cli("init")[0] == 0
    result = as_json(cli, "run", "train.py:training")
    assert result["run"]["status"] == "completed"
    return str(result["run"]["id"])


def test_register_list_show_versions_compare(cli: Cli, run_id: str) -> None:
    first = as_json(
        cli, "models", "register", "churn", "--run", run_id, "--step", "train"
    )
    assert (first["version"], first["run_id"]) == (1, run_id)
    assert [c["name"] for c in first["signature"]] == ["x", "n"]
    assert first["framework"] == "sklearn" and "accuracy" in first["metrics"]
    code, out = cli(
        "models",
        "register",
        "churn",
        "--artifact",
        first["artifact_id"][:12],
        "--metric",
        "accuracy=0.5",
        "--tag",
        "note=manual",
        "-d",
        "by hand",
    )
    assert code == 0 and "Registered churn version 2" in out
    listed = as_json(cli, "models", "list")
    assert [(m["name"], m["latest_version"]) for m in listed] == [("churn", 2)]
    shown = as_json(cli, "models", "show", "churn")
    assert [v["description"] for v in shown["versions"]] == ["", "by hand"]
    code, out = cli("models", "versions", "churn")
    assert code == 0 and "sklearn" in out
    compared = as_json(cli, "models", "compare", "churn", "1", "2")
    assert compared["metrics"]["accuracy"][1] == 0.5
    code, out = cli("models", "list")
    assert code == 0 and "churn" in out


def test_register_with_its_training_data_from_a_file(
    cli: Cli, run_id: str, project: Path
) -> None:
    first = as_json(
        cli, "models", "register", "churn", "--run", run_id, "--step", "train"
    )
    (project / "train.csv").write_text("x,n,y\n0.5,1,1\n-0.2,3,0\n1.5,0,1\n")
    artifact = first["artifact_id"][:12]
    second = as_json(
        cli, "models", "register", "churn", "--artifact", artifact,
        "--training-data", "train.csv",
    )  # fmt: skip
    [table] = second["training_data"].values()
    assert table not in first["training_data"].values()
    assert [c["name"] for c in second["signature"]] == ["x", "n"]
    (project / "notes.txt").write_text("not a table")
    refused = cli.process(
        "models", "register", "churn", "--artifact", artifact,
        "--training-data", "notes.txt",
    )  # fmt: skip
    assert refused.returncode == 1
    assert "read only from .csv or .parquet" in refused.stderr
    refused = cli.process(
        "models", "register", "churn", "--artifact", artifact,
        "--training-data", artifact,
    )  # fmt: skip
    assert refused.returncode == 1 and "training_data must be a table" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_gates_approvals_promotion_rollback_and_history(
    cli: Cli, run_id: str, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(2):
        as_json(cli, "models", "register", "churn", "--run", run_id, "--step", "train")
    (project / "gates.yaml").write_text(GATES)
    code, out = cli("models", "gates", "churn", "--file", "gates.yaml", "-m", "policy")
    assert code == 0 and "accuracy >= 0.9" in out

    refused = cli.process("models", "promote", "churn", "1", "--alias", "production")
    assert refused.returncode == 1
    assert "needs 1 approval from role 'reviewer', has 0" in refused.stderr
    assert "Traceback" not in refused.stderr

    assert cli("models", "roles", "grant", "bob", "reviewer")[0] == 0
    monkeypatch.setenv("RUNG_USER", "bob")
    code, out = cli(
        "models", "approve", "churn", "1", "--alias", "production", "-m", "ok"
    )
    assert code == 0 and "bob approved churn version 1" in out
    cli("models", "approve", "churn", "2", "--alias", "production")
    monkeypatch.delenv("RUNG_USER")

    checks = as_json(
        cli, "models", "promote", "churn", "1", "--alias", "production", "--dry-run"
    )
    assert all(c["passed"] for c in checks)
    for version in ("1", "2"):
        code, out = cli("models", "promote", "churn", version, "--alias", "production")
        assert code == 0 and f"-> version {version}" in out
    code, out = cli(
        "models", "rollback", "churn", "--alias", "production", "-m", "p99 up"
    )
    assert code == 0 and "rolled back to version 1" in out
    assert as_json(cli, "models", "show", "churn")["model"]["aliases"] == {
        "production": 1
    }

    events = as_json(cli, "models", "history", "churn")
    assert [e["action"] for e in events] == [
        "register",
        "register",
        "set_gates",
        "promote_refused",
        "approve",
        "approve",
        "promote",
        "promote",
        "rollback",
    ]
    assert (events[-1]["from_version"], events[-1]["to_version"]) == (2, 1)
    assert events[-1]["comment"] == "p99 up" and events[4]["user"] == "bob"
    gates = events[3]["details"]["gates"]
    assert [g["detail"] for g in gates if not g["passed"]] == [
        "needs 1 approval from role 'reviewer', has 0"
    ]
    code, out = cli("models", "history", "churn")
    assert code == 0 and "rollback" in out and "promote_refused" in out, out
    assert "needs 1" in out and "has 0" in out  # the table folds long comments
    assert [r["user"] for r in as_json(cli, "models", "roles", "list")] == ["bob"]


def test_approve_without_the_gate_role_fails_and_names_the_role(
    cli: Cli, run_id: str, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_json(cli, "models", "register", "churn", "--run", run_id, "--step", "train")
    (project / "gates.yaml").write_text(GATES)
    assert cli("models", "gates", "churn", "--file", "gates.yaml")[0] == 0
    monkeypatch.setenv("RUNG_USER", "mallory")
    done = cli.process("models", "approve", "churn", "1", "--alias", "production")
    assert done.returncode == 1, done.stdout
    assert "approved" not in done.stdout
    message = " ".join(done.stderr.split())
    assert "Approval refused" in message
    assert "role 'reviewer'" in message
    assert "rung models roles grant mallory reviewer" in message
    assert "Traceback" not in message
    events = as_json(cli, "models", "history", "churn")
    assert [e["action"] for e in events] == ["register", "set_gates"]


def test_archive_restore_and_load(cli: Cli, run_id: str) -> None:
    as_json(cli, "models", "register", "churn", "--run", run_id, "--step", "train")
    assert cli("models", "archive", "churn", "1", "-m", "leak")[0] == 0
    archived = cli.process("models", "promote", "churn", "1", "--alias", "staging")
    assert archived.returncode == 1 and "archived" in archived.stderr
    assert cli("models", "restore", "churn", "1")[0] == 0
    assert cli("models", "promote", "churn", "1", "--alias", "staging")[0] == 0

    import rung
    from rung.registry import load_model

    with rung.open_workspace(create=False) as ws:
        model = load_model(ws, "churn@staging")
    assert list(model.feature_names_in_) == ["x", "n"]


def test_user_mistakes_print_one_clear_error(
    cli: Cli, run_id: str, project: Path
) -> None:
    as_json(cli, "models", "register", "churn", "--run", run_id, "--step", "train")
    (project / "bad.yaml").write_text("production:\n  metrics: [accuracy => 0.9]\n")
    cases = {
        ("models", "show", "fraud"): "No model 'fraud'",
        ("models", "promote", "churn", "7", "--alias", "production"): "no version 7",
        (
            "models",
            "rollback",
            "churn",
            "--alias",
            "production",
        ): "no alias 'production'",
        ("models", "gates", "churn", "--file", "bad.yaml"): "Unknown operator '=>'",
        ("models", "register", "churn"): "Give either --artifact ID or --run",
        ("models", "register", "x y", "--artifact", "abcd"): "Invalid model name 'x y'",
        ("models", "roles", "revoke", "bob", "reviewer"): "does not hold role",
    }
    for args, message in cases.items():
        done = cli.process(*args)
        assert done.returncode == 1, (args, done.stdout, done.stderr)
        assert message in done.stderr, (args, done.stderr)
        assert "Traceback" not in done.stderr, args
    assert as_json(cli, "models", "gates", "churn") == {}


GOVERNED = textwrap.dedent(
    """
    import pandas as pd
    import rung
    from rung import pipeline, step
    from rung.catalog import dataset


    @step
    def train(claims: pd.DataFrame) -> dict:
        return {"mean": float(claims["amount"].mean())}


    @pipeline
    def training() -> None:
        train(dataset("claims"))


    @step
    def train_and_register(claims: pd.DataFrame) -> float:
        model = {"mean": float(claims["amount"].mean()), "kind": "in-step"}
        rung.register_model(model, name="inside")
        return model["mean"]


    @pipeline
    def training_in_step() -> None:
        train_and_register(dataset("claims"))
    """
)


def test_show_gives_the_classification_a_version_inherits(
    cli: Cli, project: Path
) -> None:
    (project / "claims.csv").write_text("id,email,amount\n1,a@x.ca,10\n2,b@x.ca,30\n")
    (project / "train.py").write_text(GOVERNED)
    assert cli("init")[0] == 0
    registered = cli(
        "datasets",
        "register",
        "claims",
        "claims.csv",
        "--tags",
        "health",
        "--region",
        "CA",
        "--column-tags",
        "email=pii",
    )
    assert registered[0] == 0, registered[1]
    run = as_json(cli, "run", "train.py:training")["run"]["id"]
    as_json(cli, "models", "register", "claims-cost", "--run", run, "--step", "train")

    code, out = cli("models", "show", "claims-cost")
    assert code == 0, out
    assert "classification" in out
    assert "health, pii (region CA, from dataset claims v1)" in " ".join(out.split())
    (version,) = as_json(cli, "models", "show", "claims-cost")["versions"]
    inherited = version["classification"]
    assert inherited["summary"] == "health, pii (region CA, from dataset claims v1)"
    assert (inherited["tags"], inherited["regions"]) == (["health", "pii"], ["CA"])
    assert inherited["columns"] == {"email": ["pii"]}
    assert inherited["sources"][0]["path"] == (
        "claims@v1 [health, pii, CA] -> train -> claims-cost v1"
    )
    assert inherited["traced"] is True

    # Registered inside a step's body: the version links to that step run, so
    # it inherits the classes of the data the step read.
    run = as_json(cli, "run", "train.py:training_in_step")["run"]
    assert run["status"] == "completed"
    (version,) = as_json(cli, "models", "show", "inside")["versions"]
    assert version["run_id"] == run["id"]
    inside = version["classification"]
    assert inside["summary"] == "health, pii (region CA, from dataset claims v1)"
    assert inside["traced"] is True
    code, out = cli("models", "show", "inside")
    assert code == 0 and "health, pii (region CA" in " ".join(out.split())
