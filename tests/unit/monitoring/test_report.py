"""Reports: JSON data and a self-contained HTML page."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import pytest

from rung.monitoring import build_report, create_monitor, render_html, run_monitor
from tests.unit.monitoring.conftest import production

if TYPE_CHECKING:
    from rung.registry.records import ModelVersionRecord
    from rung.workspace import Workspace


def test_report_holds_distributions_history_and_alerts(
    workspace: Workspace, churn: ModelVersionRecord
) -> None:
    create_monitor(
        workspace, "churn", model="churn@production", current=production(shift=1.5)
    )
    for at in (100.0, 200.0):
        run_monitor(workspace, "churn", now=at)
    report = build_report(workspace, "churn", now=300.0)
    json.dumps(report, allow_nan=False)  # plain JSON, no NaN
    assert report["monitor"]["model"] == "churn@production"
    assert report["reference"] == {"source": "training data of churn v1", "rows": 80}
    assert set(report["distributions"]) == {
        "age",
        "income",
        "visits",
        "prediction",
        "proba_0",
        "proba_1",
    }
    age = report["distributions"]["age"]
    assert len(age["edges"]) == 21
    assert sum(age["reference"]) == pytest.approx(1.0)
    assert age["drifted"] is True and age["method"] == "ks"
    share = report["drift_history"]["metrics"]["drift_share"]
    assert [t for t, _ in share] == [100.0, 200.0]
    assert report["drift_history"]["features"]["age"][0][0] == 100.0
    assert "accuracy" in report["performance_history"]["metrics"]
    assert {a["check"] for a in report["alerts"]} >= {"drift", "quality"}
    assert report["latest"]["evaluated_at"] == 200.0


def test_html_is_self_contained_and_marks_itself_rendered(
    workspace: Workspace, churn: ModelVersionRecord
) -> None:
    create_monitor(workspace, "churn", model="churn@production", current=production())
    report = build_report(workspace, "churn")  # never evaluated: still a page
    page = render_html(report)
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg") >= 6
    assert "Not evaluated yet" in page
    assert 'setAttribute("data-rendered", "true")' in page
    urls = re.findall(r"(?:src|href)=\"([^\"]+)\"", page)
    assert urls == []  # nothing is fetched: no script, style or image URL
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    embedded = re.search(r'id="report-data">(.*?)</script>', page, re.DOTALL)
    assert embedded is not None and json.loads(embedded.group(1))["monitor"]["name"]
