"""Conversions between records and table rows, and dialect-specific inserts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from rung.metadata._schema import artifacts, runs, step_runs
from rung.metadata.records import ArtifactRecord, RunRecord, StepRunRecord
from rung.store import dump_json, load_json

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "artifact_from_row",
    "artifact_to_row",
    "edge_rows",
    "run_from_row",
    "run_to_row",
    "step_from_row",
    "step_to_row",
]

Direction = Literal["input", "output"]
_RUN_COLUMNS = tuple(col.name for col in runs.c)
_STEP_COLUMNS = tuple(col.name for col in step_runs.c)
_ARTIFACT_COLUMNS = tuple(col.name for col in artifacts.c)


def run_to_row(run: RunRecord) -> dict[str, Any]:
    """Return the ``runs`` row of a cleaned run (params and tags not included)."""
    row = {name: getattr(run, name) for name in _RUN_COLUMNS}
    row["config"] = dump_json(run.config, "config")
    return row


def run_from_row(
    row: Mapping[Any, Any], params: dict[str, Any], tags: dict[str, str]
) -> RunRecord:
    """Return the run stored in a ``runs`` row."""
    values = dict(row)
    values["config"] = load_json(values["config"])
    return RunRecord(**values, params=params, tags=tags)


def step_to_row(step_run: StepRunRecord) -> dict[str, Any]:
    """Return the ``step_runs`` row of a cleaned step run (no edges)."""
    row = {name: getattr(step_run, name) for name in _STEP_COLUMNS}
    row["params"] = dump_json(step_run.params, "params")
    return row


def step_from_row(
    row: Mapping[Any, Any], inputs: dict[str, str], outputs: dict[str, str]
) -> StepRunRecord:
    """Return the step run stored in a ``step_runs`` row and its edges."""
    values = dict(row)
    values["params"] = load_json(values["params"])
    return StepRunRecord(**values, inputs=inputs, outputs=outputs)


def artifact_to_row(artifact: ArtifactRecord) -> dict[str, Any]:
    """Return the ``artifacts`` row of a cleaned artifact."""
    row = {name: getattr(artifact, name) for name in _ARTIFACT_COLUMNS}
    row["metadata"] = dump_json(artifact.metadata, "metadata")
    return row


def artifact_from_row(row: Mapping[Any, Any]) -> ArtifactRecord:
    """Return the artifact stored in an ``artifacts`` row."""
    values = dict(row)
    values["metadata"] = load_json(values["metadata"])
    return ArtifactRecord(**values)


def edge_rows(
    step_run_id: str, direction: Direction, links: Mapping[str, str]
) -> list[dict[str, str]]:
    """Return ``step_run_artifacts`` rows for a name -> artifact id mapping."""
    return [
        {
            "step_run_id": step_run_id,
            "direction": direction,
            "name": name,
            "artifact_id": aid,
        }
        for name, aid in links.items()
    ]
