"""``rung serve``, ``rung predict`` and ``rung predictions`` from the command line."""

from __future__ import annotations

import json
import socket
from typing import TYPE_CHECKING

import pytest

import rung
from tests.unit.serving.models import FEATURES, churn_frame, register_churn

if TYPE_CHECKING:
    from tests.e2e.conftest import Cli

ANY_HOST = "0.0.0.0"  # noqa: S104 - the server refuses it before binding


@pytest.fixture
def churn_project(cli: Cli) -> Cli:
    """The project folder with ``churn`` v1 (production) and v2 registered."""
    with rung.open_workspace(cli.folder) as ws:
        register_churn(ws)
    return cli


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["serve", "nope@production"], "No model 'nope'"),
        (["serve", "churn@staging"], "has no alias 'staging'"),
        (["serve", "churn@@x"], "Cannot read the model reference"),
        (
            ["serve", "churn/1", "--host", ANY_HOST],
            "needs --allow-remote and an API token",
        ),
        (
            ["serve", "churn/1", "--host", ANY_HOST, "--allow-remote"],
            "needs an API token",
        ),
        (["serve", "churn/1", "--workers", "0"], "--workers must be >= 1"),
        (["serve", "churn/1", "--nan-policy", "drop"], "--nan-policy must be one of"),
        (["predict", "churn/1", "missing.parquet", "-o", "o.parquet"], "Cannot read"),
        (["predict", "churn/1", "rows.txt", "-o", "o.parquet"], ".parquet or .csv"),
        (
            ["predict", "churn/1", "r.csv", "-o", "o.csv", "--on-bad-rows", "route"],
            "Routing bad rows needs a file",
        ),
        (
            ["predict", "churn/1", "r.csv", "-o", "o.csv", "--on-bad-rows", "drop"],
            "Use one of: fail, skip, route",
        ),
        (["predictions", "query", "SELECT nope FROM predictions"], "The query failed"),
    ],
)
def test_bad_input_is_a_clear_error_without_traceback(
    churn_project: Cli, args: list[str], words: str
) -> None:
    done = churn_project.process(*args)
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert words in " ".join(done.stderr.split()), done.stderr
    assert "Traceback" not in done.stderr


def test_serve_refuses_a_port_in_use(churn_project: Cli) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        done = churn_project.process("serve", "churn@production", "--port", str(port))
    assert done.returncode == 1
    assert f"Port {port} on 127.0.0.1 is already in use" in " ".join(
        done.stderr.split()
    )
    assert "Traceback" not in done.stderr


def test_predict_then_query_the_log(churn_project: Cli) -> None:
    folder = churn_project.folder
    churn_frame(12)[FEATURES].to_parquet(folder / "rows.parquet")
    code, out = churn_project(
        "predict", "churn@production", "rows.parquet", "-o", "scored.csv"
    )
    assert code == 0 and "Scored 12 rows" in out
    assert (
        (folder / "scored.csv").read_text().splitlines()[0].endswith("proba_0,proba_1")
    )
    code, out = churn_project(
        "predictions",
        "query",
        "SELECT version, count(*) AS n FROM predictions GROUP BY 1",
        "--json",
    )
    assert code == 0 and json.loads(out) == [{"version": 1, "n": 12}]
    code, out = churn_project(
        "predictions", "query", "SELECT prediction FROM predictions"
    )
    assert code == 0 and "prediction" in out
    code, out = churn_project("predictions", "batches", "--json")
    assert code == 0 and json.loads(out)[0]["row_count"] == 12


def test_deployments_are_listed(churn_project: Cli) -> None:
    from rung.serving import ServedModel, ServeOptions, start_deployment

    with rung.open_workspace(churn_project.folder) as ws:
        served = ServedModel.load(ws, "churn@production")
        start_deployment(ws, served, ServeOptions(port=8123))
    code, out = churn_project("predictions", "deployments")
    assert code == 0 and "running" in out
    code, out = churn_project("predictions", "deployments", "--json")
    [record] = json.loads(out)
    assert (record["served_versions"], record["port"]) == ([1], 8123)
    done = churn_project.process("lineage", "churn/1", "--downstream", "--json")
    assert done.returncode == 0, done.stderr
    kinds = {node["kind"] for node in json.loads(done.stdout)["nodes"]}
    assert kinds == {"model_version", "deployment"}


def test_labels_from_a_file_overwrite_only_with_the_flag(churn_project: Cli) -> None:
    import pandas as pd

    folder = churn_project.folder
    churn_frame(3)[FEATURES].to_parquet(folder / "rows.parquet")
    churn_project("predict", "churn/1", "rows.parquet", "-o", "scored.parquet")
    ids = pd.read_parquet(folder / "scored.parquet")["prediction_id"].tolist()
    pd.DataFrame({"prediction_id": ids, "label": [1, 0, 1]}).to_csv(
        folder / "labels.csv", index=False
    )
    code, out = churn_project("predictions", "label", "churn", "labels.csv")
    assert code == 0 and "Recorded 3 label(s)" in out
    pd.DataFrame({"prediction_id": [ids[0], "nope"], "label": [0, 1]}).to_csv(
        folder / "again.csv", index=False
    )
    done = churn_project.process("predictions", "label", "churn", "again.csv")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    message = " ".join(done.stderr.split())
    assert "already labelled (1)" in message and "unknown prediction id" in message
    pd.DataFrame({"prediction_id": [ids[0]], "label": [0]}).to_csv(
        folder / "fix.csv", index=False
    )
    code, _ = churn_project("predictions", "label", "churn", "fix.csv", "--overwrite")
    assert code == 0
    code, out = churn_project(
        "predictions",
        "query",
        "SELECT label, previous_label FROM feedback_history "
        "WHERE previous_label IS NOT NULL",
        "--json",
    )
    assert json.loads(out) == [{"label": 0, "previous_label": "1"}]


def test_predict_skips_or_routes_bad_rows_when_asked(churn_project: Cli) -> None:
    import pandas as pd

    folder = churn_project.folder
    frame = churn_frame(5)[FEATURES]
    frame.loc[[2], "spend"] = float("nan")
    frame.to_parquet(folder / "rows.parquet")
    done = churn_project.process("predict", "churn/1", "rows.parquet", "-o", "o.csv")
    assert done.returncode == 1 and "null or NaN" in done.stderr
    code, out = churn_project(
        "predict", "churn/1", "rows.parquet", "-o", "o.csv", "--on-bad-rows", "skip"
    )
    assert code == 0 and "Scored 4 rows" in out
    assert "Skipped 1 bad row(s)" in out and "row 2: column 'spend'" in out
    code, out = churn_project(
        "predict",
        "churn/1",
        "rows.parquet",
        "-o",
        "o.parquet",
        "--on-bad-rows",
        "route",
        "--bad-rows-output",
        "bad.parquet",
    )
    assert code == 0 and "Routed 1 bad row(s) to bad.parquet" in out
    bad = pd.read_parquet(folder / "bad.parquet")
    assert bad[["row", "reason"]].values.tolist() == [
        [2, "column 'spend': null or NaN in a non-nullable column"]
    ]
