"""``rung challenger`` end to end: evaluate, promote with a watch, roll back,
the stored comparison in ``rung models compare``, the ledger and lineage."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

import rung
from rung import registry
from rung.catalog import add_lineage_source
from tests.unit.automation.challenger_models import serve_and_label, weak_and_strong

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.e2e.conftest import Cli


def as_json(cli: Cli, *args: str) -> Any:
    code, out = cli(*args, "--json")
    assert code == 0, out
    return json.loads(out)


@pytest.fixture(autouse=True)
def _wired() -> Iterator[None]:
    """The lineage source pyproject.toml wires, in case the installed entry
    points predate it; restored afterwards."""
    from rung.catalog import _lineage

    saved = _lineage._sources.entries()
    add_lineage_source("rung.automation._lineage:CHALLENGERS")
    yield
    _lineage._sources.replace(saved)


@pytest.fixture
def models(cli: Cli, project: Path) -> Any:
    """A workspace with churn v1 (weak, production) and v2; returns v2's model."""
    assert cli("init")[0] == 0
    ws = rung.open_workspace()
    try:
        _, strong = weak_and_strong(ws)
    finally:
        ws.close()
    return strong


def _log(labelled: float = 1.0, **options: Any) -> None:
    ws = rung.open_workspace()
    try:
        model = registry.load_model(ws, options.pop("uri", "churn/1"))
        version = options.pop("version", "churn/1")
        serve_and_label(ws, model, version, labelled=labelled, **options)
    finally:
        ws.close()


def test_evaluate_promote_watch_and_roll_back(cli: Cli, models: Any) -> None:
    _log()
    found = as_json(cli, "challenger", "evaluate", "churn", "2", "--slice", "region=CA")
    assert found["verdict"] == "promote"
    assert found["window"]["labelled_rows"] == 300
    assert [c["check"] for c in found["checks"]] == ["metric", "slice"]
    code, text = cli("challenger", "show", found["id"][:8])
    assert code == 0 and "churn v2 vs champion v1 (production): PROMOTE" in text
    assert "slice region=CA" in text

    compared = as_json(cli, "models", "compare", "churn", "1", "2")
    assert compared["challenger_comparison"]["id"] == found["id"]
    assert compared["metrics"] == {}
    code, text = cli("models", "compare", "churn", "2", "1")
    assert code == 0 and "PROMOTE" in text and "champion v1" in text

    result = as_json(
        cli,
        "challenger",
        "evaluate",
        "churn",
        "2",
        "--promote",
        "--bake",
        "1h",
        "--metric-floor",
        "0.8",
        "-m",
        "weekly retrain",
    )
    assert result["outcome"] == "promoted"
    assert result["watch"]["thresholds"]["metric_floor"] == 0.8
    [watch] = as_json(cli, "challenger", "watches")
    assert (watch["version"], watch["previous_version"]) == (2, 1)

    _log(uri="churn/2", version="churn/2", seed=12, wrong=True)
    code, text = cli("agent", "run", "--once")
    assert code == 0 and "watch churn@production v2: rolled_back" in text
    history = as_json(cli, "models", "history", "churn")
    assert history[-1]["action"] == "rollback"
    assert history[-1]["details"]["watch_id"] == watch["id"]
    actions = [e["action"] for e in as_json(cli, "challenger", "ledger", "churn")]
    assert actions == [
        "rolled_back",
        "watch_started",
        "promoted",
        "compared",
        "compared",
    ]
    code, text = cli("challenger", "ledger")
    assert code == 0 and "rolled_back" in text

    graph = as_json(cli, "lineage", "churn/2", "--downstream")
    kinds = [n["kind"] for n in graph["nodes"]]
    assert {"challenger_comparison", "promotion", "rollback"} <= set(kinds)
    code, text = cli("lineage", "churn/2", "--downstream")
    assert code == 0 and "back to v1" in text


def test_a_kept_champion_and_the_listing(cli: Cli, models: Any) -> None:
    _log()
    result = as_json(
        cli, "challenger", "evaluate", "churn", "2", "--promote", "--margin", "0.5"
    )
    assert result["outcome"] == "kept"
    [entry] = as_json(cli, "models", "list")
    assert entry["aliases"] == {"production": 1}
    code, text = cli("challenger", "list")
    assert code == 0 and "keep" in text
    code, text = cli("challenger", "check")
    assert code == 0 and "No active watches." in text


def test_errors_are_one_clear_line_with_exit_status_1(cli: Cli, models: Any) -> None:
    _log(labelled=0.0)
    for args, message in [
        (
            ("challenger", "evaluate", "churn", "2"),
            "No feedback labels in the last 7d for model 'churn' (300 prediction(s) "
            "logged, none labelled): load labels with the feedback API first",
        ),
        (
            ("challenger", "evaluate", "churn", "1"),
            "is already the champion",
        ),
        (
            ("challenger", "evaluate", "churn", "2", "--bake", "1h", "--promote"),
            "--bake needs a threshold to watch",
        ),
        (("challenger", "show", "ffffffff"), "has no challenger comparison"),
        (("challenger", "watch", "churn", "--metric-floor", "0.5"), "no earlier"),
    ]:
        done = cli.process(*args)
        assert done.returncode == 1, (args, done.stdout, done.stderr)
        assert message in " ".join(done.stderr.split()), (args, done.stderr)
        assert "Traceback" not in done.stderr, args


def test_a_refused_promotion_exits_1_and_names_the_gate(
    cli: Cli, models: Any, project: Path
) -> None:
    _log()
    (project / "gates.yaml").write_text(
        "production:\n  approvals: {role: reviewer, count: 1}\n"
    )
    assert cli("models", "gates", "churn", "--file", "gates.yaml")[0] == 0
    code, text = cli("challenger", "evaluate", "churn", "2", "--promote")
    assert code == 1
    flat = " ".join(text.split())
    assert "promotion: refused" in flat and "needs 1 approval" in flat


def test_min_rows_lowers_the_labelled_rows_a_comparison_needs(
    cli: Cli, models: Any
) -> None:
    _log(labelled=0.5)
    found = as_json(cli, "challenger", "evaluate", "churn", "2", "--min-rows", "150")
    assert found["window"]["labelled_rows"] == 150
