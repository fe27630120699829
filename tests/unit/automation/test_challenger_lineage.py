"""``rung lineage``: alert -> trigger -> run -> version -> comparison -> promotion
-> rollback."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest

from rung.automation import (
    Agent,
    challenger_ledger,
    create_trigger,
    ledger,
    promote_if_better,
)
from rung.catalog import add_lineage_source, lineage_graph, register_dataset
from rung.monitoring import create_monitor
from rung.registry import promote_model
from tests.unit.automation.challenger_models import (
    churn_frame,
    fit,
    register,
    serve_and_label,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from rung.catalog import LineageGraph
    from rung.workspace import Workspace

RETRAINING = """
import pandas as pd

from rung import pipeline, step
from rung.automation import holdout_mask
from rung.registry import register_model_step
from tests.unit.automation.challenger_models import churn_frame, fit


@step
def load() -> pd.DataFrame:
    return churn_frame(600, seed=3)


@step
def train(data: pd.DataFrame):
    return fit(data[~holdout_mask(data)])


@pipeline
def retraining():
    register_model_step(train(load()), name="churn")
"""


@pytest.fixture(autouse=True)
def _wired() -> Iterator[None]:
    """The source pyproject.toml wires (added here too, in case the installed
    entry points predate it); restored afterwards."""
    from rung.catalog import _lineage

    saved = _lineage._sources.entries()
    add_lineage_source("rung.automation._lineage:CHALLENGERS")
    yield
    _lineage._sources.replace(saved)


def _edges(graph: LineageGraph) -> set[tuple[str, str, str]]:
    kinds = {n.id: n.kind for n in graph.nodes.values()}
    return {(kinds[e.source], e.kind, kinds[e.target]) for e in graph.edges}


def _alert(workspace: Workspace, tmp_path: Path) -> float:
    """A drift monitor on two datasets; returns a time when it is due."""
    rng = np.random.default_rng(3)
    for name, shift in (("before", 0.0), ("after", 3.0)):
        frame = pd.DataFrame({"x": rng.normal(shift, 1.0, 300)})
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
        register_dataset(workspace, name, str(tmp_path / f"{name}.csv"))
    create_monitor(
        workspace,
        "drift-watch",
        reference="dataset:before",
        current="dataset:after",
        checks=["drift"],
        thresholds={"drift_share": 0.5},
        schedule="*/5 * * * *",
    )
    return workspace.monitors.get_monitor(workspace.project, "drift-watch").created_at


def test_the_whole_cause_chain_from_alert_to_rollback(
    workspace: Workspace, tmp_path: Path
) -> None:
    weak = fit(churn_frame(600, seed=3), noise=0.35)
    register(workspace, weak)
    promote_model(workspace, "churn", 1, "production")
    serve_and_label(workspace, weak)
    (tmp_path / "retrain.py").write_text(textwrap.dedent(RETRAINING))
    created = _alert(workspace, tmp_path)
    create_trigger(
        workspace,
        "retrain-on-drift",
        f"{tmp_path / 'retrain.py'}:retraining",
        "monitor",
        spec={"monitor": "drift-watch"},
    )
    agent = Agent(workspace, holder="a", refresh_datasets=False)
    assert agent.tick(now=created + 600).count("fired") == 1
    [fired] = ledger(workspace, "retrain-on-drift")
    assert fired.run_id is not None
    result = promote_if_better(
        workspace, "churn", 2, watch={"bake_s": 3600, "metric_floor": 0.8}
    )
    assert result.outcome == "promoted"
    strong = fit(churn_frame(600, seed=3))
    serve_and_label(workspace, strong, "churn/2", seed=12, wrong=True)
    assert agent.tick().watches == {"churn@production v2": "rolled_back"}
    [rollback] = challenger_ledger(workspace, actions=["rolled_back"])

    graph = lineage_graph(workspace, f"rollback:{rollback.id}", "upstream")
    edges = _edges(graph)
    assert ("alert", "fired", "trigger_dispatch") in edges
    assert ("trigger_dispatch", "started", "step_run") in edges
    assert ("model_version", "challenger", "challenger_comparison") in edges
    assert ("model_version", "champion", "challenger_comparison") in edges
    assert ("challenger_comparison", "decided", "promotion") in edges
    assert ("promotion", "rolled back", "rollback") in edges
    [alert] = graph.of_kind("alert")
    assert alert.attributes["monitor"] == "drift-watch"
    [dispatch] = graph.of_kind("trigger_dispatch")
    assert dispatch.attributes["run_id"] == fired.run_id
    versions = {n.attributes["version"] for n in graph.of_kind("model_version")}
    assert versions == {1, 2}

    down = lineage_graph(workspace, alert.id, "downstream")
    kinds = {n.kind for n in down.nodes.values()}
    assert {"trigger_dispatch", "step_run", "model_version"} <= kinds
    assert {"challenger_comparison", "promotion", "rollback"} <= kinds


def test_comparisons_and_promotions_are_found_by_reference(
    workspace: Workspace,
) -> None:
    weak, strong = fit(churn_frame(600, seed=3), noise=0.35), fit(churn_frame(600))
    register(workspace, weak)
    register(workspace, strong)
    promote_model(workspace, "churn", 1, "production")
    serve_and_label(workspace, weak)
    result = promote_if_better(workspace, "churn", 2, margin=0.5)
    assert result.outcome == "kept"
    comparison = result.comparison
    for reference in (comparison.id, f"comparison:{comparison.id[:8]}"):
        graph = lineage_graph(workspace, reference, "upstream")
        assert graph.roots == (f"comparison:{comparison.id}",)
        assert {
            n.attributes.get("version") for n in graph.of_kind("model_version")
        } == {
            1,
            2,
        }
    # A kept champion is no promotion: the comparison is where the chain ends.
    down = lineage_graph(workspace, "churn/2", "downstream")
    assert [n.kind for n in down.nodes.values()] == [
        "model_version",
        "challenger_comparison",
    ]
    assert "keep (accuracy" in down.of_kind("challenger_comparison")[0].label
    promoted = promote_if_better(workspace, "churn", 2)
    [decision] = challenger_ledger(workspace, actions=["promoted"])
    graph = lineage_graph(workspace, f"promotion:{decision.id}", "upstream")
    assert graph.roots == (f"promotion:{decision.id}",)
    [parent] = graph.parents(f"promotion:{decision.id}")
    assert parent.id == f"comparison:{promoted.comparison.id}"
