"""Late labels on each store: estimate, sample, import, trigger, read back.

The estimate's evaluation and alert (with NaN-free JSON evidence), the
labelling sheet's feedback batches and the trigger's dispatch go through the
workspace's SQL stores: SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest

from rung.automation import Agent, create_trigger, ledger
from rung.client import Client
from rung.monitoring import create_monitor
from tests.contract._stores import pg_schema_url
from tests.unit.automation.conftest import FLOW
from tests.unit.monitoring.conftest import production

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from rung.workspace import Workspace

CHECK = "estimated_performance"


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)]
)
def store_workspace(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Workspace]:
    """A workspace on SQLite or on a PostgreSQL schema of its own."""
    from rung.workspace import Workspace

    if request.param == "sqlite":
        ws = Workspace.from_urls(
            f"sqlite:///{tmp_path / 'metadata.db'}", str(tmp_path / "art"),
            project="test-project",
        )  # fmt: skip
        try:
            yield ws
        finally:
            ws.close()
        return
    with pg_schema_url() as url:
        ws = Workspace.from_urls(url, str(tmp_path / "art"), project="test-project")
        try:
            yield ws
        finally:
            ws.close()


def test_an_estimate_a_labelled_sample_and_a_trigger(
    store_workspace: Workspace, tmp_path: Path
) -> None:
    from sklearn.linear_model import LogisticRegression

    from rung.registry import promote_model, register_model

    ws = store_workspace
    client = Client(ws)
    train = production(1500, seed=0)
    features = ["age", "income", "visits"]
    model = LogisticRegression(max_iter=500).fit(train[features], train["label"])
    register_model(ws, model, name="churn", signature=train[features])
    promote_model(ws, "churn", 1, "production")
    create_monitor(
        ws,
        "churn",
        model="churn@production",
        reference=production(2000, seed=1),
        checks=[CHECK],
        thresholds={"accuracy_drop": 0.02},
        schedule="*/5 * * * *",
    )
    (tmp_path / "flow.py").write_text(FLOW)
    create_trigger(
        ws, "retrain", f"{tmp_path / 'flow.py'}:training", "monitor",
        spec={"monitor": "churn", "check": CHECK},
    )  # fmt: skip
    # Production drifted to the rows the model is least sure about.
    pool = production(6000, seed=2, labels=False)
    margin = np.abs(model.decision_function(pool[features]))
    live = pool.iloc[np.argsort(margin)[:500]].reset_index(drop=True)
    outputs = {
        "prediction": model.predict(live[features]),
        "probabilities": model.predict_proba(live[features]),
        "classes": list(model.classes_),
    }
    from rung.serving import log_predictions

    ids = log_predictions(ws, "churn/1", live[features], outputs)

    created = client.get_monitor("churn").created_at
    report = Agent(ws, holder="a", refresh_datasets=False).tick(now=created + 600)
    assert report.monitors == {"churn": "breached"}, report
    latest = client.latest_evaluation("churn")
    assert latest is not None and latest.checks[CHECK]["method"] == "cbpe"
    [alert] = client.list_alerts("churn", status="open")
    assert alert.check == CHECK and alert.evidence["rows"] == 500
    [entry] = ledger(ws, "retrain")
    assert ws.runs.get_run(str(entry.run_id)).status == "completed"

    sheet = client.sample_predictions("churn", n=80, stratify="prediction", seed=3)
    truth = dict(zip(ids, (live["visits"] < 4).astype(int).tolist(), strict=True))
    sheet["label"] = [truth[i] for i in sheet["prediction_id"]]
    path = tmp_path / "labels.csv"
    sheet.to_csv(path, index=False)
    assert client.import_feedback(path).written == {"churn": 80}
    assert client.import_feedback(path).unchanged == 80
    [batch] = client.list_prediction_batches(kind="feedback")
    assert batch.row_count == 80
    built = client.monitor_report("churn")
    [compared] = built["estimated_vs_realised"]
    assert compared["labelled_rows"] == 80
    assert compared["metrics"]["accuracy"]["realised"] is not None
