"""``rung monitor`` end to end: create, run, status, list, alerts, report."""

from __future__ import annotations

import json
import textwrap
from typing import TYPE_CHECKING, Any

import pytest

from tests.unit.monitoring.receivers import serving

if TYPE_CHECKING:
    from pathlib import Path

    from tests.e2e.conftest import Cli

TRAINING = textwrap.dedent(
    """
    import rung
    from rung import pipeline, step


    @step
    def make_data(rows: int = 400, shift: float = 0.0):
        import numpy as np
        import pandas as pd

        rng = np.random.default_rng(0)
        frame = pd.DataFrame(
            {"x": rng.normal(shift, 1, rows), "n": rng.integers(0, 5, rows)}
        )
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
    def training(rows: int = 400, shift: float = 0.0) -> None:
        data = make_data(rows=rows, shift=shift)
        evaluate(train(data), data)
    """
)


def as_json(cli: Cli, *args: str) -> Any:
    code, out = cli(*args, "--json")
    assert code == 0, out
    return json.loads(out)


@pytest.fixture
def runs(cli: Cli, project: Path) -> tuple[str, str]:
    """A registered model (from run 1) and a shifted run 2, in a new workspace."""
    (project / "train.py").write_text(TRAINING)
    assert cli("init")[0] == 0
    first = as_json(cli, "run", "train.py:training")["run"]["id"]
    second = as_json(cli, "run", "train.py:training", "-p", "shift=1.5")["run"]["id"]
    as_json(cli, "models", "register", "churn", "--run", first, "--step", "train")
    assert cli("models", "promote", "churn", "1", "--alias", "production")[0] == 0
    return str(first), str(second)


def test_create_run_status_alerts_and_report(
    cli: Cli, runs: tuple[str, str], project: Path
) -> None:
    _, shifted = runs
    created = as_json(
        cli,
        "monitor",
        "create",
        "churn",
        "--model",
        "churn@production",
        "--current",
        f"run:{shifted}/make_data",
        "--checks",
        "drift,quality,performance",
        "--threshold",
        "drift_share=0.3",
        "--threshold",
        "accuracy_drop=0.05",
        "--feature",
        "n=psi:0.25",
        "--schedule",
        "*/15 * * * *",
        "--label",
        "y",
    )
    assert created["reference"] == {"kind": "model", "label": "y"}
    assert created["features"] == {"n": {"method": "psi", "threshold": 0.25}}
    [result] = as_json(cli, "monitor", "run", "churn")
    assert result["evaluation"]["status"] == "breached"
    assert [a["check"] for a in result["alerts"]["opened"]] == ["drift", "quality"]
    code, out = cli("monitor", "run", "churn")
    assert code == 0 and "drift: breached - drift share 50% x" in out

    code, out = cli("monitor", "status", "churn")
    assert code == 0 and "open alerts: 2" in out and "x2" in out
    status = as_json(cli, "monitor", "status", "churn")
    assert status["latest"]["checks"]["performance"]["status"] == "passed"
    listed = as_json(cli, "monitor", "list")
    assert [m["name"] for m in listed] == ["churn"]
    code, out = cli("monitor", "list")
    assert code == 0 and "*/15 * * * *" in out
    alerts = as_json(cli, "monitor", "alerts", "--status", "open", "--since", "1h")
    assert {a["check"] for a in alerts} == {"drift", "quality"}
    assert alerts[0]["occurrences"] == 2

    code, out = cli("monitor", "report", "churn", "-o", "report.html")
    assert code == 0 and "Wrote the HTML report" in out
    assert 'data-rendered="false"' in (project / "report.html").read_text()
    code, out = cli("monitor", "report", "churn", "--format", "json")
    assert code == 0 and json.loads(out)["monitor"]["name"] == "churn"


def test_due_runs_scheduled_monitors_and_errors_are_one_line(
    cli: Cli, runs: tuple[str, str]
) -> None:
    first, _ = runs
    as_json(
        cli,
        "monitor",
        "create",
        "nightly",
        "--reference-run",
        f"{first}/make_data",
        "--current",
        f"run:{first}/make_data",
        "--checks",
        "drift",
        "--label",
        "y",
        "--schedule",
        "0 3 * * *",
    )
    code, out = cli("monitor", "run", "--due")
    assert code == 0 and "No monitor is due." in out
    code, out = cli("monitor", "run", "nightly", "--fail-on-breach")
    assert code == 0 and "nightly: passed" in out
    bad = cli.process(
        "monitor",
        "create",
        "m",
        "--model",
        "churn@production",
        "--threshold",
        "drfit=0.3",
    )
    assert bad.returncode == 1 and "Unknown threshold 'drfit'" in bad.stderr
    assert "Traceback" not in bad.stderr
    missing = cli.process("monitor", "status", "nope")
    assert missing.returncode == 1 and "has no monitor 'nope'" in missing.stderr
    assert cli("monitor", "delete", "nightly")[0] == 0
    assert as_json(cli, "monitor", "list") == []


def test_sink_secrets_are_references_and_internal_webhooks_need_the_allow_list(
    cli: Cli, runs: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, shifted = runs
    create: tuple[str, ...] = ("monitor", "create", "hooked")
    create += ("--reference-run", f"{first}/make_data")
    create += ("--current", f"run:{shifted}/make_data", "--checks", "drift")
    secret = "Bearer e2e-s3cret"  # noqa: S105 - a made-up secret the test looks for
    header = ("--webhook-header", "Authorization=env:ALERT_E2E_AUTH")
    with serving() as receiver:
        for sink, options, message in [
            (
                ("--webhook", "https://1.1.1.1/rung"),
                ("--webhook-header", f"Authorization={secret}"),
                "e.g. 'env:ALERT_WEBHOOK_AUTHORIZATION'",
            ),
            (
                ("--email", "ops@example.com"),
                ("--smtp-password", secret),
                "e.g. 'env:ALERT_SMTP_PASSWORD'",
            ),
            (
                ("--webhook", receiver.url),
                header,
                f"RUNG_ALERT_ALLOW_HOSTS={receiver.allow}",
            ),
        ]:
            done = cli.process(*create, *sink, *options)
            said = " ".join(done.stderr.split())  # Rich wraps long lines
            assert done.returncode == 1 and message in said, said
            assert secret not in said and "Traceback" not in said
        monkeypatch.setenv("RUNG_ALERT_ALLOW_HOSTS", receiver.allow)
        monkeypatch.setenv("ALERT_E2E_AUTH", secret)
        as_json(cli, *create, "--webhook", receiver.url, *header)
        code, out = cli("monitor", "list", "--json")
        assert code == 0 and secret not in out
        [monitor] = json.loads(out)
        assert monitor["sinks"][1]["headers"] == {"Authorization": "env:ALERT_E2E_AUTH"}
        [result] = as_json(cli, "monitor", "run", "hooked")
        assert result["evaluation"]["status"] == "breached"
        assert result["delivery_failures"] == []
    assert [h["Authorization"] for h in receiver.headers] == [secret]


def test_due_reports_a_failed_monitor_after_running_the_others(
    cli: Cli, runs: tuple[str, str], project: Path
) -> None:
    import time

    import rung

    first, shifted = runs
    for name, reference in (("a-broken", shifted), ("b-fine", first)):
        as_json(
            cli,
            "monitor",
            "create",
            name,
            "--reference-run",
            f"{reference}/make_data",
            "--current",
            f"run:{first}/make_data",
            "--checks",
            "drift",
            "--label",
            "y",
            "--schedule",
            "0 3 * * *",
        )
    with rung.open_workspace(project, create=False) as ws:
        # Both last ran two days ago (so both are due), and the broken one's
        # reference table is gone from the artifact store.
        for name in ("a-broken", "b-fine"):
            ws.monitors.update_monitor(
                ws.project, name, {"created_at": time.time() - 2 * 86_400}
            )
        steps = {s.name: s for s in ws.runs.list_step_runs(shifted)}
        [table] = steps["make_data"].outputs.values()
        ws.artifacts.delete(ws.runs.get_artifact(table).uri)

    code, out = cli("monitor", "run", "--due")

    assert code == 1
    lines = out.splitlines()
    broken = next(line for line in lines if line.startswith("a-broken: error - "))
    assert "is missing from the store" in broken
    assert any(line.startswith("b-fine: passed") for line in lines)
    status = as_json(cli, "monitor", "status", "a-broken")
    assert status["latest"]["status"] == "error"
    assert status["latest"]["checks"]["drift"]["reason"] in broken
    assert cli("monitor", "run", "--due") == (0, "No monitor is due.\n")


def test_alert_deliveries_are_retried_shown_and_drained(
    cli: Cli, runs: tuple[str, str], project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    import sqlalchemy as sa

    import rung
    from rung.monitoring._schema import monitor_deliveries

    first, shifted = runs
    with socket.socket() as probe:  # a port nothing listens on yet
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    url = f"http://127.0.0.1:{port}/alerts"
    monkeypatch.setenv("RUNG_ALERT_ALLOW_HOSTS", f"127.0.0.1:{port}")
    create: tuple[str, ...] = ("monitor", "create", "hooked", "--webhook", url)
    create += ("--reference-run", f"{first}/make_data")
    create += ("--current", f"run:{shifted}/make_data", "--checks", "drift")
    as_json(cli, *create)
    [result] = as_json(cli, "monitor", "run", "hooked")
    [failure] = result["delivery_failures"]
    assert f"webhook {url}: Webhook {url} unreachable" in failure
    code, out = cli("monitor", "alerts")
    said = " ".join(out.split())  # Rich wraps long lines
    assert code == 0 and "opened -> log: delivered at " in said
    assert f"opened -> webhook {url}: pending (next try at " in said
    assert f"attempt 1 failed: Webhook {url} unreachable" in said
    [alert] = as_json(cli, "monitor", "alerts")
    log, hook = alert["deliveries"]
    assert (log["status"], hook["status"], hook["attempts"]) == (
        "delivered",
        "pending",
        1,
    )
    assert hook["sink_name"] == f"webhook {url}" and "payload" not in hook

    with serving(port=port) as receiver:
        assert cli("monitor", "deliver") == (0, "No alert delivery is due.\n")
        code, out = cli("monitor", "deliver", "--all")
        assert code == 0 and out == "Alert deliveries: 1 delivered.\n"
        assert cli("monitor", "deliver", "--all") == (0, "No alert delivery is due.\n")
    assert [h["X-Rung-Delivery"] for h in receiver.headers] == [hook["id"]]
    [alert] = as_json(cli, "monitor", "alerts")
    assert [d["status"] for d in alert["deliveries"]] == ["delivered", "delivered"]

    # The receiver is down again, and a new alert's delivery is a day old.
    stale = ("monitor", "create", "stale", *create[3:])
    as_json(cli, *stale)
    assert cli("monitor", "run", "stale")[0] == 0
    with rung.open_workspace(project, create=False) as ws:
        ws.backend.write(
            lambda conn: conn.execute(
                sa.update(monitor_deliveries)
                .where(monitor_deliveries.c.status == "pending")
                .values(created_at=0.0)
            )
        )
    code, out = cli("monitor", "deliver", "--all")
    said = " ".join(out.split())
    assert code == 1 and "Alert deliveries: 0 delivered, 1 given up." in said
    assert f"{url}: not delivered within 1d: Webhook {url} unreachable" in said
    code, out = cli("monitor", "alerts", "stale")
    said = " ".join(out.split())
    assert code == 0 and f"opened -> webhook {url}: failed (not delivered" in said


REGISTERED_IN_STEP = textwrap.dedent(
    """
    import rung
    from rung import pipeline, step


    @step
    def load(rows: int = 200):
        import numpy as np
        import pandas as pd

        rng = np.random.default_rng(1)
        x, n = rng.normal(0, 1, rows), rng.integers(0, 5, rows)
        frame = pd.DataFrame({"x": x, "n": n})
        frame["y"] = (frame["x"] > 0).astype(int)
        return frame


    @step
    def train(data):
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression().fit(data[["x", "n"]], data["y"])
        rung.register_model(model, name="churn")
        return model


    @pipeline
    def training(rows: int = 200) -> None:
        train(load(rows=rows))
    """
)


def test_a_model_registered_inside_a_step_is_monitored_against_its_training_data(
    cli: Cli, project: Path
) -> None:
    (project / "train.py").write_text(REGISTERED_IN_STEP)
    assert cli("init")[0] == 0
    run = as_json(cli, "run", "train.py:training")
    steps = {s["name"]: s for s in run["steps"]}
    version = as_json(cli, "models", "show", "churn")["versions"][0]
    assert version["run_id"] == run["run"]["id"]
    assert version["step_run_id"] == steps["train"]["id"]
    assert list(version["training_data"].values()) == [
        steps["load"]["outputs"]["output"]
    ]
    assert [c["name"] for c in version["signature"]] == ["x", "n"]
    assert cli("models", "promote", "churn", "1", "--alias", "production")[0] == 0
    created = as_json(cli, "monitor", "create", "churn", "--model", "churn@production")
    assert created["reference"]["kind"] == "model"
    [result] = as_json(cli, "monitor", "run", "churn")
    assert result["error"] is None
    assert result["evaluation"]["reference_rows"] == 200  # the rows `load` made
