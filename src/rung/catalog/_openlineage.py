"""OpenLineage run events for pipeline runs, sent to a file or an HTTP endpoint.

``openlineage_listener`` is a run listener (``rung.pipelines`` calls it when a
run starts and finishes). For a workspace whose ``options.openlineage_url``
is set, it emits a START event, then COMPLETE, FAIL or ABORT with the run's
inputs (dataset versions read, artifacts it consumed but did not make) and
outputs (artifacts its steps made), each with a schema facet. Events are
plain JSON that follows the OpenLineage 2-0-2 spec; no client library is
needed. Emitting never fails a run: errors are logged.

COMPLETE, FAIL and ABORT end an OpenLineage run for good, so each attempt of
a Rung run is an OpenLineage run of its own: a resumed run's next attempt gets
a fresh ``runId`` (derived from the run id and the attempt number) and its own
START. A run whose process was killed gets its FAIL when Rung finds it dead
(``rung.pipelines.end_dead_runs``).
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from rung.catalog._sources import mask_uri

if TYPE_CHECKING:
    from rung.metadata import ArtifactRecord, RunRecord
    from rung.workspace import Workspace

__all__ = ["PRODUCER", "emit", "openlineage_listener", "run_event", "run_uuid"]

PRODUCER = "https://github.com/rung-dev/rung"
_SPEC = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
_FACETS = "https://openlineage.io/spec/facets/"
_SCHEMAS = {
    kind: f"{version}/{name}.json#/$defs/{name}"
    for kind, version, name in (
        ("schema", "1-2-0", "SchemaDatasetFacet"),
        ("version", "1-0-1", "DatasetVersionDatasetFacet"),
        ("dataSource", "1-0-1", "DatasourceDatasetFacet"),
        ("tags", "1-0-0", "TagsDatasetFacet"),
        ("errorMessage", "1-0-1", "ErrorMessageRunFacet"),
        ("jobType", "2-0-4", "JobTypeJobFacet"),
    )
}
_EVENT_TYPES = {
    "running": "START",
    "completed": "COMPLETE",
    "failed": "FAIL",
    "cancelled": "ABORT",
}
_TIMEOUT_S = 5.0
_logger = logging.getLogger("rung.catalog")
_file_lock = threading.Lock()


def openlineage_listener(workspace: Workspace, run: RunRecord, status: str) -> None:
    """A run listener: emit the run's event when the workspace asks for them.

    Wired in the ``rung.run_listeners`` entry-point group; it emits nothing
    unless the workspace's ``openlineage_url`` option is set.
    """
    target = workspace.options.openlineage_url
    if not target:
        return
    try:
        emit(target, run_event(workspace, run, status))
    except Exception:  # emitting must never fail a run
        _logger.warning(
            "Could not emit OpenLineage event for run %s", run.id, exc_info=True
        )


def run_event(workspace: Workspace, run: RunRecord, status: str) -> dict[str, Any]:
    """Build the OpenLineage RunEvent (as JSON-able data) for a run's status.

    Args:
        workspace: the run's workspace.
        run: the run record.
        status: ``running`` (START), ``completed``, ``failed`` or ``cancelled``.

    Example:
        >>> run_event(ws, run, "completed")["eventType"]  # doctest: +SKIP
        'COMPLETE'
    """
    event_type = _EVENT_TYPES.get(status, "OTHER")
    started = event_type == "START"
    when = run.started_at if started else (run.ended_at or run.started_at)
    run_facets: dict[str, Any] = {}
    if event_type == "FAIL" and run.error:
        run_facets["errorMessage"] = _facet(
            "errorMessage", message=run.error, programmingLanguage="python"
        )
    inputs, outputs = ([], []) if started else _datasets(workspace, run)
    return {
        "eventType": event_type,
        "eventTime": datetime.fromtimestamp(when, tz=UTC).isoformat(),
        "run": {"runId": run_uuid(run), "facets": run_facets},
        "job": {
            "namespace": run.project,
            "name": run.pipeline or run.name,
            "facets": {
                "jobType": _facet(
                    "jobType",
                    processingType="BATCH",
                    integration="RUNG",
                    jobType="PIPELINE",
                )
            },
        },
        "inputs": inputs,
        "outputs": outputs,
        "producer": PRODUCER,
        "schemaURL": _SPEC,
    }


def emit(target: str, event: dict[str, Any]) -> None:
    """Send ``event`` to an http(s) URL (POST) or append it to a JSON-lines file.

    Raises:
        OSError: the file cannot be written, or the endpoint failed.
    """
    body = json.dumps(event, separators=(",", ":"), sort_keys=True)
    scheme = urlsplit(target).scheme
    if scheme in ("http", "https"):
        _post(target, body.encode("utf-8"))
        return
    path = Path(target[len("file://") :] if scheme == "file" else target)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _file_lock, path.open("a", encoding="utf-8") as handle:
        handle.write(body + "\n")


def _post(url: str, body: bytes) -> None:
    parts = urlsplit(url)
    if parts.path in ("", "/"):
        url = url.rstrip("/") + "/api/v1/lineage"  # the OpenLineage HTTP API path
    request = urllib.request.Request(  # noqa: S310 - only http(s) reaches here
        url, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as response:  # noqa: S310
        response.read()


def _datasets(
    workspace: Workspace, run: RunRecord
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    steps = workspace.runs.list_step_runs(run.id)
    reads = workspace.datasets.list_dataset_reads(run_id=run.id)
    for step in steps:  # a cache hit read what the step run it reused read
        if step.cached_from:
            reads += workspace.datasets.list_dataset_reads(step_run_id=step.cached_from)
    inputs: dict[tuple[str, str], dict[str, Any]] = {}
    for read in reads:
        entry = _dataset_version_entry(workspace, read.dataset, read.version)
        inputs.setdefault((entry["namespace"], entry["name"]), entry)
    consumed: dict[str, str] = {}
    produced: dict[str, str] = {}
    for step in steps:
        consumed.update({a: a for a in step.inputs.values()})
        produced.update({a: a for a in step.outputs.values()})
    for artifact_id in consumed.keys() - produced.keys():
        entry = _artifact_entry(workspace, workspace.runs.get_artifact(artifact_id))
        inputs.setdefault((entry["namespace"], entry["name"]), entry)
    outputs = [
        _artifact_entry(workspace, workspace.runs.get_artifact(a))
        for a in sorted(produced)
    ]
    return list(inputs.values()), outputs


def _dataset_version_entry(
    workspace: Workspace, name: str, number: int
) -> dict[str, Any]:
    record = workspace.datasets.get_dataset(name)
    version = workspace.datasets.get_dataset_version(name, number)
    namespace, physical = _physical_name(record.uri, record.query)
    notes = {c.name: c for c in record.columns}
    fields = [
        {
            "name": c.name,
            "type": c.type,
            **(
                {"description": notes[c.name].description}
                if c.name in notes and notes[c.name].description
                else {}
            ),
        }
        for c in version.columns
    ]
    tags = [{"key": t, "value": "true", "source": "RUNG"} for t in record.tags]
    tags += [
        {"key": t, "value": "true", "source": "RUNG", "field": c.name}
        for c in record.columns
        for t in c.tags
    ]
    if record.region:
        tags.append({"key": "region", "value": record.region, "source": "RUNG"})
    facets = {
        "schema": _facet("schema", fields=fields),
        "version": _facet("version", datasetVersion=str(version.version)),
        "dataSource": _facet(
            "dataSource", name=record.name, uri=_source_uri(record.uri)
        ),
    }
    if tags:
        facets["tags"] = _facet("tags", tags=tags)
    return {"namespace": namespace, "name": physical, "facets": facets}


def _artifact_entry(workspace: Workspace, record: ArtifactRecord) -> dict[str, Any]:
    namespace, physical = _physical_name(
        f"{workspace.artifacts.url.rstrip('/')}/{record.uri}", None
    )
    facets: dict[str, Any] = {"version": _facet("version", datasetVersion=record.id)}
    schema = record.metadata.get("schema")
    if isinstance(schema, dict):
        fields = [{"name": str(k), "type": str(v)} for k, v in schema.items()]
        facets["schema"] = _facet("schema", fields=fields)
    return {"namespace": namespace, "name": physical, "facets": facets}


def _physical_name(uri: str, query: str | None) -> tuple[str, str]:
    """OpenLineage naming: (namespace, name) of a path, URL or SQL source."""
    if "://" not in uri:
        return "file", uri
    parts = urlsplit(mask_uri(uri))
    if parts.scheme == "file":
        return "file", parts.path
    if query is not None or parts.query:
        table = dict(p.split("=", 1) for p in parts.query.split("&") if "=" in p).get(
            "table"
        )
        name = table or "query_" + uuid.uuid5(uuid.NAMESPACE_URL, query or "").hex[:12]
        return f"{parts.scheme}://{parts.netloc}{parts.path}", name
    return f"{parts.scheme}://{parts.netloc}", parts.path.lstrip("/") or "/"


def _facet(kind: str, **fields: Any) -> dict[str, Any]:
    return {"_producer": PRODUCER, "_schemaURL": _FACETS + _SCHEMAS[kind], **fields}


def run_uuid(run: RunRecord) -> str:
    """The OpenLineage ``runId`` of the run's current attempt.

    The first attempt uses the run id itself (a UUID); each resumed attempt a
    UUID derived from the run id and the attempt number, so that every attempt
    has one START and one terminal event.
    """
    if run.attempt <= 1:
        try:
            return str(uuid.UUID(run.id))
        except ValueError:
            return str(uuid.uuid5(uuid.NAMESPACE_URL, f"rung:{run.id}"))
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"rung:{run.id}:attempt:{run.attempt}"))


def _source_uri(uri: str) -> str:
    """A data source as a URI (a bare path becomes ``file:///...``), masked."""
    if "://" in uri:
        return mask_uri(uri)
    return Path(uri).absolute().as_uri()
