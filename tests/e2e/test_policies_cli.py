"""``rung policies ...`` driven like a user would: the CA-health example."""

from __future__ import annotations

import json
import textwrap
from typing import TYPE_CHECKING

import pandas as pd
import pytest

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
    def train(rows: pd.DataFrame, scale: float = 1.0) -> float:
        return float(rows["amount"].mean()) * scale


    @step(labels={"region": "US"})
    def train_us(rows: pd.DataFrame, scale: float = 1.0) -> float:
        return float(rows["amount"].mean()) * scale


    @pipeline
    def in_canada(scale: float = 1.0) -> None:
        train(load_claims(dataset("claims")), scale=scale)


    @pipeline
    def crosses_border(scale: float = 1.0) -> None:
        train_us(load_claims(dataset("claims")), scale=scale)
    """
)

POLICIES = textwrap.dedent(
    """\
    policies:
      - name: ca-health-stays-in-ca
        description: Health data from Canada is processed in Canada only.
        match: {tags: [health], region: CA}
        allow_regions: [CA]
      - name: pii-hashed-before-egress
        match: {tags: [pii]}
        egress: drop_or_hash
    """
)


@pytest.fixture
def governed(cli: Cli, project: Path) -> Path:
    """A project with the claims dataset (health, CA) and the policies applied."""
    (project / "claims_flow.py").write_text(PIPELINE)
    (project / "policies.yaml").write_text(POLICIES)
    pd.DataFrame(
        {"id": [1, 2], "email": ["a@x.ca", "b@y.ca"], "amount": [10.0, 20.0]}
    ).to_csv(project / "claims.csv", index=False)
    assert cli("init")[0] == 0
    code, _ = cli(
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
    assert code == 0
    code, out = cli("policies", "apply", "policies.yaml")
    assert (code, out.strip()) == (
        0,
        f"Applied policy set v1 (2 policies) to project {project.name!r}.",
    )
    return project


def test_apply_show_list_and_a_new_version(cli: Cli, governed: Path) -> None:
    code, out = cli("policies", "apply", "policies.yaml")
    assert (code, out.strip()) == (0, "Unchanged: policy set v1 is already in force.")
    code, out = cli("policies", "show")
    assert code == 0
    assert "Policy set v1" in out
    assert "drop_or_hash" in out
    assert "Health data from Canada is processed in Canada only." in out
    code, out = cli("policies", "show", "--source")
    assert out.strip() == POLICIES.strip()
    (governed / "policies.yaml").write_text(POLICIES.replace("[CA]", "[CA, US]"))
    assert cli("policies", "apply", "policies.yaml")[1].startswith(
        "Applied policy set v2"
    )
    code, out = cli("policies", "list", "--json")
    assert [v["version"] for v in json.loads(out)] == [2, 1]
    code, out = cli("policies", "show", "--version", "1", "--json")
    assert json.loads(out)["policies"][0]["allow_regions"] == ["CA"]


def test_malformed_policy_file_is_refused_and_nothing_is_stored(
    cli: Cli, project: Path
) -> None:
    (project / "bad.yaml").write_text(
        "policies:\n  - name: a\n    match: {tags: [health], regoin: CA}\n"
        "    allow_regions: [UK]\n"
    )
    assert cli("init")[0] == 0
    done = cli.process("policies", "apply", "bad.yaml")
    assert done.returncode == 1
    assert "Error: Invalid policy" in done.stderr
    assert "line 3, policies[0].match.regoin: unknown key 'regoin'" in done.stderr
    assert (
        "line 4, policies[0].allow_regions[0]: 'UK' is not a region code: use 'GB'"
        in (done.stderr)
    )
    code, out = cli("policies", "list")
    assert (code, out.strip()) == (
        0,
        "No policy set yet. Apply one with `rung policies apply FILE`.",
    )


def test_check_explains_an_allowed_pipeline(cli: Cli, governed: Path) -> None:
    code, out = cli("policies", "check", "claims_flow.py:in_canada", "-p", "scale=2")
    assert code == 0
    assert "step load_claims — region CA" in out
    assert "claims@v1 [health, pii, CA]" in out
    assert "Verdict: allowed." in out
    code, out = cli("policies", "audit")
    assert out.strip() == "No policy decision recorded yet."


def test_check_explains_a_refusal_and_exits_1(cli: Cli, governed: Path) -> None:
    (governed / "run.yaml").write_text("parameters:\n  scale: 3\n")
    code, out = cli(
        "policies", "check", "claims_flow.py:crosses_border", "--config", "run.yaml"
    )
    assert code == 1
    assert "step train_us — region US" in out
    assert "fail" in out
    assert "Verdict: refused" in out
    code, out = cli("policies", "check", "claims_flow.py:crosses_border", "--json")
    report = json.loads(out)
    assert report["allowed"] is False
    failed = report["nodes"][1]["results"][0]
    assert failed["outcome"] == "fail"
    assert failed["paths"] == [
        "claims@v1 [health, pii, CA] -> load_claims -> train_us (region US)"
    ]


def test_run_refused_before_it_starts_is_audited(cli: Cli, governed: Path) -> None:
    done = cli.process("run", "claims_flow.py:crosses_border")
    assert done.returncode == 1
    assert "Error: Policy violation" in done.stderr
    assert "claims@v1 [health, pii, CA] -> load_claims -> train_us (region US)" in (
        done.stderr
    )
    assert cli("runs", "list", "--json")[1].strip() == "[]"
    assert cli("run", "claims_flow.py:in_canada")[0] == 0
    code, out = cli("policies", "audit", "--verdict", "refuse", "--json")
    (refused,) = json.loads(out)
    assert (refused["rule"], refused["stage"]) == ("ca-health-stays-in-ca", "plan")
    code, out = cli("policies", "audit", "--limit", "2", "--json")
    assert len(json.loads(out)) == 2
    code, out = cli("policies", "audit")
    assert code == 0
    assert "refuse" in out
    assert "allow" in out


def test_classify_shows_the_lineage_path(cli: Cli, governed: Path) -> None:
    assert cli("run", "claims_flow.py:in_canada")[0] == 0
    run_id = json.loads(cli("runs", "list", "--json")[1])[0]["id"]
    code, out = cli("policies", "classify", f"run:{run_id}")
    assert code == 0
    assert "tags health, pii; regions CA" in out
    assert "claims@v1 [health, pii, CA] -> load_claims" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("policies", "check", "nope.py:flow"), "Error: Unknown pipeline"),
        (("policies", "check", "claims_flow.py:nope"), "Error: Unknown pipeline"),
        (("policies", "audit", "--verdict", "maybe"), "Unknown verdict 'maybe'"),
        (("policies", "show", "--version", "9"), "no policy set version 9"),
    ],
)
def test_bad_input_gives_a_clear_error(
    cli: Cli, governed: Path, args: tuple[str, ...], message: str
) -> None:
    done = cli.process(*args)
    assert done.returncode == 1
    assert message in done.stderr
    assert "Traceback" not in done.stderr


UNLABELLED = textwrap.dedent(
    """
    import pandas as pd
    from rung import pipeline, step
    from rung.catalog import dataset


    @step
    def total(df: pd.DataFrame) -> float:
        return float(df["amount"].sum())


    @pipeline
    def report() -> None:
        total(dataset("claims"))
    """
)


def test_workspace_region_setting_places_unlabelled_steps(
    cli: Cli, governed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (governed / "report_flow.py").write_text(UNLABELLED)
    code, out = cli("policies", "check", "report_flow.py:report")
    assert code == 1
    assert "step total — region unknown" in out
    assert "RUNG_REGION=CA" in out
    (governed / "rung.toml").write_text('region = "CA"\n')
    code, out = cli("policies", "check", "report_flow.py:report")
    assert (code, "step total — region CA" in out) == (0, True)
    monkeypatch.setenv("RUNG_REGION", "US")  # the environment wins over rung.toml
    code, out = cli("policies", "check", "report_flow.py:report")
    assert (code, "is in US (workspace region)" in out) == (1, True)
