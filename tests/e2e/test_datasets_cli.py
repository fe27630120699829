"""``rung datasets ...`` and ``rung lineage`` driven like a user would."""

from __future__ import annotations

import json
import textwrap
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from pathlib import Path

    from tests.e2e.conftest import Cli

PIPELINE = textwrap.dedent(
    """
    import pandas as pd
    from rung import pipeline, step
    from rung.catalog import dataset


    @step
    def features(df: pd.DataFrame) -> pd.DataFrame:
        return df[["id", "amount"]]


    @step
    def train(features: pd.DataFrame) -> float:
        return float(features["amount"].mean())


    @pipeline
    def training() -> None:
        train(features(dataset("claims")))
    """
)


def _write_claims(project: Path, rows: int = 3) -> None:
    pd.DataFrame(
        {
            "id": range(rows),
            "email": [f"u{i}@x.org" for i in range(rows)],
            "amount": [float(i) for i in range(rows)],
        }
    ).to_csv(project / "claims.csv", index=False)


def test_register_show_search_describe_refresh(cli: Cli, project: Path) -> None:
    _write_claims(project)
    assert cli("init")[0] == 0
    code, out = cli(
        "datasets",
        "register",
        "claims",
        "claims.csv",
        "--owner",
        "ada",
        "--tags",
        "pii,health",
        "--region",
        "CA",
        "--column-tags",
        "email=pii",
        "--schedule",
        "0 * * * *",
    )
    assert code == 0, out
    assert "Registered: claims@1 (3 rows" in out
    code, out = cli("datasets", "describe-column", "claims", "email", "Contact address")
    assert code == 0, out
    code, out = cli("datasets", "show", "claims")
    assert code == 0, out
    for text in ("pii, health", "0 * * * *", "Versions", "double"):
        assert text in out
    shown = json.loads(cli("datasets", "show", "claims", "--json")[1])
    email = next(c for c in shown["dataset"]["columns"] if c["name"] == "email")
    assert (email["description"], email["tags"]) == ("Contact address", ["pii"])
    code, out = cli("datasets", "search", "--tag", "pii", "--json")
    assert [d["name"] for d in json.loads(out)] == ["claims"]
    code, out = cli("datasets", "search", "--column", "nope", "--json")
    assert json.loads(out) == []
    assert "unchanged" in cli("datasets", "refresh", "claims")[1].lower()
    _write_claims(project, rows=5)
    code, out = cli("datasets", "refresh", "claims", "--json")
    result = json.loads(out)
    assert (result["status"], result["version"]["version"]) == ("changed", 2)
    code, out = cli("datasets", "list")
    assert code == 0 and "claims" in out
    assert "No dataset is due" in cli("datasets", "refresh", "--due")[1]


def test_lineage_tree_and_graph_files(cli: Cli, project: Path) -> None:
    _write_claims(project)
    (project / "train.py").write_text(PIPELINE)
    cli("init")
    cli("datasets", "register", "claims", "claims.csv", "--tags", "pii")
    code, out = cli("run", "train.py:training")
    assert code == 0, out
    code, out = cli("lineage", "claims@1", "--downstream", "--output", "graph.html")
    assert code == 0, out
    assert "claims@1" in out and "features" in out and "train" in out
    html = (project / "graph.html").read_text()
    assert "<svg" in html and "dataset version" in html
    code, out = cli("lineage", "claims", "--output", "graph.svg", "--json")
    graph = json.loads(out)
    assert {n["kind"] for n in graph["nodes"]} >= {"dataset", "step_run", "artifact"}
    assert (project / "graph.svg").read_text().startswith("<svg")
    artifact = next(n for n in graph["nodes"] if n["kind"] == "artifact")
    code, out = cli("lineage", artifact["attributes"]["artifact_id"][:10], "--upstream")
    assert code == 0 and "claims@1" in out


def test_mistakes_print_one_clear_error(cli: Cli, project: Path) -> None:
    _write_claims(project)
    cli("init")
    cases = [
        (("datasets", "register", "x", "missing.csv"), "does not exist"),
        (("datasets", "register", "x", "claims.csv", "--format", "xls"), "xls"),
        (("datasets", "register", "x", "claims.csv", "--schedule", "hourly"), "cron"),
        (("datasets", "show", "nope"), "not in the catalog"),
        (("lineage", "nope"), "Nothing in the workspace"),
    ]
    for args, text in cases:
        done = cli.process(*args)
        assert done.returncode == 1, (args, done.stdout, done.stderr)
        assert text in " ".join(done.stderr.split()), (args, done.stderr)
        assert "Traceback" not in done.stderr
    assert json.loads(cli("datasets", "list", "--json")[1]) == []


def test_free_text_search_finds_columns_ranks_and_explains_empty_results(
    cli: Cli, project: Path
) -> None:
    cli("init")
    code, out = cli("datasets", "search", "claim")
    assert code == 0 and "No datasets found. Register one" in out
    _write_claims(project)
    pd.DataFrame({"member_id": [1], "claim_count": [2]}).to_csv(
        project / "members.csv", index=False
    )
    cli("datasets", "register", "claims", "claims.csv", "--owner", "ada")
    cli("datasets", "register", "members", "members.csv", "--owner", "grace")
    cli("datasets", "describe-column", "claims", "amount", "Claimed sum in CAD")

    code, out = cli("datasets", "search", "EMAIL")
    assert code == 0, out
    assert "matched" in out and "column email" in out and "No dataset" not in out
    found = json.loads(cli("datasets", "search", "email", "--json")[1])
    assert [(d["name"], d["matched"]) for d in found] == [("claims", ["column email"])]
    assert found[0]["columns"][0]["name"] == "id"

    found = json.loads(cli("datasets", "search", "claim", "--json")[1])
    assert [(d["name"], d["matched"]) for d in found] == [
        ("claims", ["name", "description of column amount"]),
        ("members", ["column claim_count"]),
    ]
    found = json.loads(cli("datasets", "search", "cad", "--json")[1])
    assert [d["matched"] for d in found] == [["description of column amount"]]
    found = json.loads(cli("datasets", "search", "a", "--owner", "grace", "--json")[1])
    assert [d["name"] for d in found] == ["members"]
    found = json.loads(cli("datasets", "search", "--column", "EMAIL", "--json")[1])
    assert [(d["name"], d["matched"]) for d in found] == [("claims", [])]

    code, out = cli("datasets", "search", "diagnosis")
    assert code == 0
    assert "No dataset matches 'diagnosis'." in out
    assert "`rung datasets list`" in out and "Register one" not in out
    code, out = cli("datasets", "search", "claim", "--owner", "bob", "--tag", "pii")
    assert "No dataset matches 'claim' with --tag pii --owner bob." in out
    assert "Drop a filter" in out
    assert json.loads(cli("datasets", "search", "diagnosis", "--json")[1]) == []
    code, out = cli("datasets", "list")
    assert "matched" not in out and "members" in out
