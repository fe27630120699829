"""OpenLineage run events: to a JSON-lines file or an HTTP endpoint, validated
with the ``openlineage-python`` models, and never fatal for the run."""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pytest

from rung import pipeline, step
from rung._internal.hooks import group_entries
from rung.catalog import dataset, register_dataset
from rung.catalog._openlineage import PRODUCER
from rung.pipelines import _hooks
from rung.pipelines._hooks import add_run_listener, remove_run_listener
from rung.workspace import Workspace, WorkspaceOptions
from tests.unit.catalog.openlineage_schema import schema_errors

if TYPE_CHECKING:
    import pandas as pd

ol = pytest.importorskip("openlineage.client.event_v2")
generated = pytest.importorskip("openlineage.client.generated")
LISTENER = "rung.catalog:openlineage_listener"


@step
def prepare(df: pd.DataFrame) -> pd.DataFrame:
    return df[["id", "amount"]]


@step
def total(features: pd.DataFrame, fail: bool = False) -> float:
    if fail:
        raise ValueError("bad batch")
    return float(features["amount"].sum())


@pipeline
def scoring(fail: bool = False) -> None:
    total(prepare(dataset("claims")), fail=fail)


@contextlib.contextmanager
def _workspace(tmp_path: Path, target: str) -> Iterator[Workspace]:
    """A workspace that sends OpenLineage events to ``target``, pinned as default."""
    import rung

    ws = Workspace.from_urls(
        f"sqlite:///{tmp_path / 'ws' / 'metadata.db'}",
        str(tmp_path / "ws" / "artifacts"),
        project="lineage",
        user="tester",
        options=WorkspaceOptions(openlineage_url=target),
    )
    rung.use_workspace(ws)
    try:
        yield ws
    finally:
        rung.use_workspace(None)
        ws.close()


@pytest.fixture
def listening() -> Iterator[None]:
    """The listener is wired in pyproject.toml; it must be active in this test."""
    assert LISTENER in _hooks._listeners
    yield


def _facet(cls: Any, data: dict[str, Any]) -> Any:
    return cls(**{k: v for k, v in data.items() if not k.startswith("_")})


def _dataset_facets(facets: dict[str, Any]) -> dict[str, Any]:
    from openlineage.client.generated import (
        dataset_version_dataset,
        datasource_dataset,
        schema_dataset,
        tags_dataset,
    )

    out: dict[str, Any] = {}
    for key, data in facets.items():
        assert data["_producer"] == PRODUCER
        assert data["_schemaURL"].startswith("https://openlineage.io/spec/facets/")
        if key == "schema":
            fields = [
                schema_dataset.SchemaDatasetFacetFields(**f) for f in data["fields"]
            ]
            out[key] = schema_dataset.SchemaDatasetFacet(fields=fields)
        elif key == "version":
            out[key] = _facet(dataset_version_dataset.DatasetVersionDatasetFacet, data)
        elif key == "dataSource":
            out[key] = _facet(datasource_dataset.DatasourceDatasetFacet, data)
        elif key == "tags":
            tags = [tags_dataset.TagsDatasetFacetFields(**t) for t in data["tags"]]
            out[key] = tags_dataset.TagsDatasetFacet(tags=tags)
        else:
            raise AssertionError(f"unexpected facet {key}")
    return out


def validate(event: dict[str, Any]) -> Any:
    """Check the event with JSON Schema (formats included), then build it with
    the OpenLineage models (their validators run)."""
    from openlineage.client.generated import error_message_run, job_type_job
    from openlineage.client.serde import Serde

    assert schema_errors(event) == []
    assert event["producer"] == PRODUCER
    assert event["schemaURL"].endswith("OpenLineage.json#/$defs/RunEvent")
    run_facets = {
        k: _facet(error_message_run.ErrorMessageRunFacet, v)
        for k, v in event["run"]["facets"].items()
    }
    job_facets = {
        k: _facet(job_type_job.JobTypeJobFacet, v)
        for k, v in event["job"]["facets"].items()
    }
    model = ol.RunEvent(
        eventType=ol.RunState(event["eventType"]),
        eventTime=event["eventTime"],
        run=ol.Run(runId=event["run"]["runId"], facets=run_facets),
        job=ol.Job(event["job"]["namespace"], event["job"]["name"], facets=job_facets),
        inputs=[
            ol.InputDataset(
                d["namespace"], d["name"], facets=_dataset_facets(d["facets"])
            )
            for d in event["inputs"]
        ],
        outputs=[
            ol.OutputDataset(
                d["namespace"], d["name"], facets=_dataset_facets(d["facets"])
            )
            for d in event["outputs"]
        ],
        producer=event["producer"],
    )
    rebuilt = json.loads(Serde.to_json(model))
    assert _strip(rebuilt) == _strip(event)
    return model


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: _strip(v)
            for k, v in value.items()
            if k not in ("_producer", "_schemaURL") and v not in ({}, [], None)
        }
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def test_file_sink_gets_start_and_complete_with_datasets_and_schemas(
    tmp_path: Path, csv_file: Path, listening: None
) -> None:
    target = tmp_path / "lineage" / "events.jsonl"
    with _workspace(tmp_path, str(target)) as ws:
        register_dataset(ws, "claims", str(csv_file), tags=["pii"], region="CA")
        run = scoring()
    events = [json.loads(line) for line in target.read_text().splitlines()]
    assert [e["eventType"] for e in events] == ["START", "COMPLETE"]
    for event in events:
        validate(event)
    complete = events[1]
    assert complete["job"] == {
        "namespace": "lineage",
        "name": "scoring",
        "facets": complete["job"]["facets"],
    }
    assert complete["run"]["runId"].replace("-", "") == run.id
    claims = next(i for i in complete["inputs"] if i["name"] == str(csv_file))
    assert claims["namespace"] == "file"
    assert [f["name"] for f in claims["facets"]["schema"]["fields"]] == [
        "id",
        "email",
        "amount",
        "status",
    ]
    assert {"key": "pii", "value": "true", "source": "RUNG"} in claims["facets"][
        "tags"
    ]["tags"]
    assert claims["facets"]["version"]["datasetVersion"] == "1"
    assert claims["facets"]["dataSource"]["uri"] == csv_file.as_uri()
    assert len(complete["outputs"]) == 2
    frame_output = next(o for o in complete["outputs"] if "schema" in o["facets"])
    assert [f["name"] for f in frame_output["facets"]["schema"]["fields"]] == [
        "id",
        "amount",
    ]


def test_failed_run_sends_fail_with_the_error_message(
    tmp_path: Path, csv_file: Path, listening: None
) -> None:
    from rung.errors import StepFailedError

    target = tmp_path / "events.jsonl"
    with _workspace(tmp_path, str(target)) as ws:
        register_dataset(ws, "claims", str(csv_file))
        with pytest.raises(StepFailedError, match="bad batch"):
            scoring(fail=True)
    events = [json.loads(line) for line in target.read_text().splitlines()]
    assert [e["eventType"] for e in events] == ["START", "FAIL"]
    validate(events[1])
    assert "bad batch" in events[1]["run"]["facets"]["errorMessage"]["message"]


class _Collector(http.server.BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[str, dict[str, Any]]]] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        body = json.loads(self.rfile.read(length))
        type(self).received.append((self.path, body))
        self.send_response(201)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def collector() -> Iterator[str]:
    _Collector.received = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_http_sink_posts_to_the_lineage_api(
    tmp_path: Path, csv_file: Path, collector: str, listening: None
) -> None:
    with _workspace(tmp_path, collector) as ws:
        register_dataset(ws, "claims", str(csv_file))
        scoring()
    assert [path for path, _ in _Collector.received] == ["/api/v1/lineage"] * 2
    assert [e["eventType"] for _, e in _Collector.received] == ["START", "COMPLETE"]
    validate(_Collector.received[1][1])


def test_an_unreachable_endpoint_never_fails_the_run(
    tmp_path: Path,
    csv_file: Path,
    listening: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with _workspace(tmp_path, "http://127.0.0.1:9/lineage") as ws:
        register_dataset(ws, "claims", str(csv_file))
        run = scoring()
        assert ws.runs.get_run(run.id).status == "completed"
    assert "Could not emit OpenLineage event" in caplog.text


def test_a_broken_listener_is_logged_not_raised(
    workspace: Workspace, csv_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_args: object) -> None:
        raise RuntimeError("listener bug")

    register_dataset(workspace, "claims", str(csv_file))
    add_run_listener(broken)
    try:
        assert scoring().output("total") == 60.0
    finally:
        remove_run_listener(broken)
    assert "Run listener" in caplog.text


def test_without_a_url_nothing_is_emitted(
    workspace: Workspace, csv_file: Path, tmp_path: Path, listening: None
) -> None:
    register_dataset(workspace, "claims", str(csv_file))
    scoring()
    assert not list(tmp_path.rglob("*.jsonl"))


def test_a_fully_cached_run_still_reports_the_dataset_it_used(
    tmp_path: Path, csv_file: Path, listening: None
) -> None:
    target = tmp_path / "events.jsonl"
    with _workspace(tmp_path, str(target)) as ws:
        register_dataset(ws, "claims", str(csv_file))
        scoring()
        scoring()
    events = [json.loads(line) for line in target.read_text().splitlines()]
    last = events[-1]
    assert last["eventType"] == "COMPLETE"
    assert str(csv_file) in [i["name"] for i in last["inputs"]]


def test_setting_configures_the_workspace_and_the_listener(tmp_path: Path) -> None:
    from rung._session import workspace_from_settings
    from rung.pipelines import _hooks
    from rung.settings import load_settings

    settings = load_settings(
        tmp_path, create=True, environ={"RUNG_OPENLINEAGE_URL": "lineage/events.jsonl"}
    )
    assert settings.openlineage_url == "lineage/events.jsonl"
    before = _hooks._listeners.entries()
    try:
        with workspace_from_settings(settings) as ws:
            target = ws.options.openlineage_url
        assert target == str(tmp_path.resolve() / "lineage" / "events.jsonl")
        # Wired once, in the composition root (pyproject.toml), not by the session.
        assert LISTENER in group_entries("rung.run_listeners")
        assert LISTENER in _hooks._listeners
    finally:
        _hooks._listeners.replace(before)


CRASHING = textwrap.dedent(
    """
    import os
    import signal
    from pathlib import Path

    from rung import pipeline, step


    @step
    def make(n: int = 3) -> list[int]:
        return list(range(n))


    @step
    def total(values: list[int]) -> int:
        if Path("crash").exists():
            os.kill(os.getpid(), signal.SIGKILL)
        return sum(values)


    @pipeline
    def flow(n: int = 3) -> None:
        total(make(n))
    """
)


def test_a_killed_run_gets_its_fail_and_a_resumed_attempt_is_a_new_run(
    tmp_path: Path,
) -> None:
    (tmp_path / "flow.py").write_text(CRASHING)
    (tmp_path / "crash").touch()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNG_")}
    env["RUNG_OPENLINEAGE_URL"] = "events.jsonl"

    def rung(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "rung", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def events() -> list[dict[str, Any]]:
        lines = (tmp_path / "events.jsonl").read_text().splitlines()
        return [json.loads(line) for line in lines]

    assert rung("init").returncode == 0
    killed = rung("run", "flow.py:flow")
    assert killed.returncode != 0
    assert [e["eventType"] for e in events()] == ["START"]
    listed = rung("runs", "list", "--json")  # finds the dead run and ends it
    assert listed.returncode == 0, listed.stderr
    [run] = json.loads(listed.stdout)
    assert run["status"] == "failed"
    (tmp_path / "crash").unlink()
    resumed = rung("run", "--resume", run["id"])
    assert resumed.returncode == 0, resumed.stderr

    sent = events()
    assert [e["eventType"] for e in sent] == ["START", "FAIL", "START", "COMPLETE"]
    first, second = sent[0]["run"]["runId"], sent[2]["run"]["runId"]
    assert first.replace("-", "") == run["id"]
    assert [e["run"]["runId"] for e in sent] == [first, first, second, second]
    assert second != first
    assert "killed or crashed" in sent[1]["run"]["facets"]["errorMessage"]["message"]
    for event in sent:
        assert schema_errors(event) == []
