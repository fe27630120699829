"""The examples in docs/monitoring.md run as documented.

Code blocks whose first line is ``# file: NAME`` are written to an empty
folder; then every ``$ command`` line of the ``console`` block runs there, in
order, and must succeed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.doc_sessions import doc_blocks, doc_session, session_env, write_doc_files
from tests.doc_shell import Shell

GUIDE = "monitoring.md"


def test_every_file_block_names_its_file() -> None:
    files = [b for k, b in doc_blocks(GUIDE) if b.startswith("# file: ")]
    assert {b.splitlines()[0][8:] for b in files} == {
        "train.py",
        "traffic.py",
        "api.py",
        "estimate.py",
        "later.py",
        "label.py",
    }


@pytest.mark.slow
def test_the_documented_session_runs(tmp_path: Path) -> None:
    write_doc_files(GUIDE, tmp_path)
    outputs = []
    with Shell(session_env()) as shell:
        for line in doc_session(GUIDE):
            command = line.removeprefix("$ ")
            done = shell.run(command, tmp_path, timeout=180)
            assert done.returncode == 0, (command, done.stdout, done.stderr)
            outputs.append(done.stdout)
        api = shell.run("python api.py", tmp_path, timeout=120)
    text = "\n".join(outputs)
    assert "churn v1 in production, trained on ['data'] through lineage" in text
    assert "logged 600 predictions and their labels" in text
    assert "churn: breached (600 rows vs 2000 reference rows" in text
    assert "drift: breached - drift share 33% tenure" in text
    assert "alert opened:" in text and "open alerts:" in text
    assert "opened -> log: delivered at " in text
    assert "No alert delivery is due." in text
    flat = " ".join(text.split())
    assert "logged 400 predictions without labels" in flat
    assert "churn-estimate: breached (400 rows vs 2000 reference rows" in flat
    assert "estimated_performance: breached accuracy~0.6664 [0.621, 0.712]" in flat
    assert "performance: not_computable - no labels have arrived" in flat
    assert "Wrote 100 predictions to label, stratified by prediction" in flat
    assert "labelled 90 of 100 rows" in flat
    assert (
        "Imported 90 label(s) (90 for churn); skipped 10 row(s) without a label "
        "and 0 already recorded." in flat
    )
    assert "Imported 0 label(s); skipped 10 row(s) without a label and 90" in flat
    assert "accuracy=0.6111 [0.508, 0.705]" in flat
    assert "(90 labelled rows, 95% CI)" in flat
    estimate = json.loads((tmp_path / "estimate.json").read_text())
    compared = estimate["estimated_vs_realised"]
    assert [e["labelled_rows"] for e in compared] == [90, 90]
    accuracy = compared[-1]["metrics"]["accuracy"]
    assert round(accuracy["estimated"], 3) == 0.666
    assert round(accuracy["realised"], 3) == 0.611
    page = (tmp_path / "estimate.html").read_text()
    assert "Estimated and realised performance" in page
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["monitor"]["name"] == "churn"
    assert 'data-rendered="false"' in (tmp_path / "report.html").read_text()
    assert api.returncode == 0, (api.stdout, api.stderr)
    assert "age: psi" in api.stdout and "drifted=True" in api.stdout
    assert "new plans: ('c',)" in api.stdout
    assert "accuracy 0.75 degraded=('accuracy',)" in api.stdout
