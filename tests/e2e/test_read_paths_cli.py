"""Residency on the CLI's read paths: export, batch scoring and serving.

After a Canadian pipeline trained ``cost`` on health data from Canada, the
commands that read its artifacts are refused outside Canada and with no
region at all (fail closed), print one clear error, and leave a ``refuse``
in the audit under their read path.
"""

from __future__ import annotations

import json
import textwrap
from typing import TYPE_CHECKING

import pandas as pd
import pytest

import rung

if TYPE_CHECKING:
    from pathlib import Path

    from tests.e2e.conftest import Cli

PIPELINE = textwrap.dedent(
    """
    import pandas as pd
    from rung import pipeline, step
    from rung.catalog import dataset


    @step(labels={"region": "CA"})
    def load_claims(df: pd.DataFrame) -> pd.DataFrame:
        return df[["id", "amount"]]


    @step(labels={"region": "CA"})
    def train(rows: pd.DataFrame):
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression().fit(rows[["amount"]], rows["amount"] > 15)


    @pipeline
    def in_canada() -> None:
        train(load_claims(dataset("claims")))
    """
)

POLICIES = """\
policies:
  - name: ca-health-stays-in-ca
    match: {tags: [health], region: CA}
    allow_regions: [CA]
"""


@pytest.fixture
def trained(cli: Cli, project: Path) -> str:
    """Claims (health, CA) trained on in Canada: ``cost@production``; the
    dataset's snapshot id is returned."""
    (project / "claims_flow.py").write_text(PIPELINE)
    (project / "policies.yaml").write_text(POLICIES)
    pd.DataFrame(
        {
            "id": [1, 2, 3],
            "email": ["a@x.ca", "b@y.ca", "c@z.ca"],
            "amount": [10.0, 20.0, 30.0],
        }
    ).to_csv(project / "claims.csv", index=False)
    pd.DataFrame({"amount": [12.0, 25.0]}).to_parquet(project / "rows.parquet")
    steps = [
        ("init",),
        ("datasets", "register", "claims", "claims.csv", "--tags", "health",
         "--region", "CA", "--column-tags", "email=pii"),
        ("policies", "apply", "policies.yaml"),
        ("run", "claims_flow.py:in_canada"),
    ]  # fmt: skip
    for args in steps:
        code, out = cli(*args)
        assert code == 0, (args, out)
    run_id = json.loads(cli("runs", "list", "--json")[1])[0]["id"]
    for args in (
        ("models", "register", "cost", "--run", run_id, "--step", "train"),
        ("models", "promote", "cost", "1", "--alias", "production"),
    ):
        code, out = cli(*args)
        assert code == 0, (args, out)
    with rung.open_workspace(project) as ws:
        snapshot = ws.datasets.get_dataset_version("claims").snapshot_artifact_id
    assert snapshot is not None
    return snapshot


def _refusals(cli: Cli) -> list[str]:
    code, out = cli("policies", "audit", "--verdict", "refuse", "--json")
    assert code == 0, out
    return [d["stage"] for d in json.loads(out)]


def _set_region(monkeypatch: pytest.MonkeyPatch, region: str | None) -> None:
    if region is None:
        monkeypatch.delenv("RUNG_REGION", raising=False)
    else:
        monkeypatch.setenv("RUNG_REGION", region)


@pytest.mark.parametrize(
    ("region", "words"),
    [("US", "is in US (workspace region)"), (None, "but its region is unknown")],
)
def test_export_of_a_canadian_snapshot_is_refused_outside_canada(
    cli: Cli,
    trained: str,
    monkeypatch: pytest.MonkeyPatch,
    region: str | None,
    words: str,
) -> None:
    _set_region(monkeypatch, region)
    done = cli.process("artifacts", "export", trained[:12], "-o", "out")
    code, err = done.returncode, done.stderr
    assert code == 1
    assert "Policy violation" in err
    assert words in " ".join(err.split())
    assert "claims@v1 [health, pii, CA] -> export" in " ".join(err.split())
    assert "Traceback" not in err
    assert not (cli.folder / "out").exists()
    assert _refusals(cli) == ["export"]


def test_export_in_canada_is_allowed_and_audited(
    cli: Cli, trained: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNG_REGION", "CA")
    code, out = cli("artifacts", "export", trained, "-o", "out")
    assert code == 0, out
    assert any((cli.folder / "out").iterdir())
    code, out = cli("policies", "audit", "--json")
    newest = json.loads(out)[0]
    assert (newest["stage"], newest["verdict"]) == ("export", "allow")


@pytest.mark.parametrize(
    ("region", "words"),
    [("US", "is in US (workspace region)"), (None, "but its region is unknown")],
)
def test_batch_scoring_with_a_canadian_model_is_refused_outside_canada(
    cli: Cli,
    trained: str,
    monkeypatch: pytest.MonkeyPatch,
    region: str | None,
    words: str,
) -> None:
    _set_region(monkeypatch, region)
    done = cli.process(
        "predict", "cost@production", "rows.parquet", "-o", "scored.parquet"
    )
    code, err = done.returncode, done.stderr
    assert code == 1
    assert "Reading model cost/1 by this session (predict)" in " ".join(err.split())
    assert words in " ".join(err.split())
    assert not (cli.folder / "scored.parquet").exists()
    assert _refusals(cli) == ["predict"]


def test_batch_scoring_in_canada_is_allowed(
    cli: Cli, trained: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNG_REGION", "CA")
    code, out = cli("predict", "cost@production", "rows.parquet", "-o", "out.csv")
    assert code == 0, out
    assert "Scored 2 rows" in out


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--region", "US"), "endpoint 'cost-production' is in US"),
        ((), "region is unknown. Give the endpoint a region"),
    ],
)
def test_serving_a_canadian_model_outside_canada_is_refused_before_binding(
    cli: Cli, trained: str, args: tuple[str, ...], words: str
) -> None:
    done = cli.process("serve", "cost@production", "--port", "0", *args)
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert words in " ".join(done.stderr.split())
    assert "Traceback" not in done.stderr
    assert _refusals(cli) == ["serve"]
