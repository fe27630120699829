"""Where a monitor's data comes from: the reference and the current data.

Sources are small JSON specs stored on the monitor:

- ``{"kind": "model"}``: the training data of the monitored model version,
  through lineage (version -> producing step run -> its table input);
- ``{"kind": "dataset", "name": "claims", "version": 3}``: a catalog version
  (``version`` None follows the newest);
- ``{"kind": "artifact", "id": "..."}``: a stored table (a DataFrame given in
  Python is stored as one);
- ``{"kind": "run", "run_id": "...", "step": "make_data"}``: a table output
  of a pipeline run (the first one, or that step's);
- ``{"kind": "predictions"}`` (current data only): the model's prediction log.

Text forms: ``dataset:claims``, ``dataset:claims@3``, ``artifact:ID``,
``run:RUN_ID``, ``run:RUN_ID/STEP``, ``model``, ``predictions``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rung.errors import MonitorDataError, MonitorDefinitionError
from rung.monitoring._columns import Columns, row_count, to_columns

if TYPE_CHECKING:
    from rung.metadata import ArtifactRecord
    from rung.registry.records import ModelVersionRecord
    from rung.workspace import Workspace

__all__ = [
    "LOG_COLUMNS",
    "Reference",
    "features_and_label",
    "load_source",
    "parse_source",
    "pin_source",
    "predict",
    "training_table",
]

LOG_COLUMNS = frozenset({"prediction_id", "timestamp", "model", "version"})
"""Prediction-log columns that are neither features nor outputs."""


@dataclass(slots=True)
class Reference:
    """Loaded data and what it is.

    Attributes:
        columns: the table as columns.
        description: where it came from, for reports (``dataset claims v3``).
        details: JSON-able facts (artifact id, dataset version...).
    """

    columns: Columns
    description: str
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        """Rows of the table."""
        return row_count(self.columns)


def parse_source(text: str) -> dict[str, Any]:
    """Turn ``dataset:claims@3``-style text into a source spec.

    Raises:
        MonitorDefinitionError: an unknown form.

    Example:
        >>> parse_source("dataset:claims@3")
        {'kind': 'dataset', 'name': 'claims', 'version': 3}
    """
    kind, _, rest = text.partition(":")
    if kind in ("model", "predictions") and not rest:
        return {"kind": kind}
    if kind == "dataset" and rest:
        name, _, version = rest.partition("@")
        if version in ("", "latest") or version.isdigit():
            number = int(version) if version.isdigit() else None
            spec: dict[str, Any] = {"kind": "dataset", "name": name, "version": number}
            if not version:
                spec["pin"] = True
            return spec
    if kind == "artifact" and rest:
        return {"kind": "artifact", "id": rest}
    if kind == "run" and rest:
        run_id, _, step = rest.partition("/")
        return {"kind": "run", "run_id": run_id, "step": step or None}
    raise MonitorDefinitionError(
        f"Cannot read the data source {text!r}. Write 'model' (the training data "
        "of the model version), 'predictions', 'dataset:NAME', 'dataset:NAME@3', "
        "'dataset:NAME@latest', 'artifact:ID' or 'run:RUN_ID[/STEP]'."
    )


def pin_source(workspace: Workspace, spec: dict[str, Any]) -> dict[str, Any]:
    """Resolve what should not move: ``dataset:NAME`` pins today's newest version."""
    if spec.get("kind") == "dataset" and spec.pop("pin", False):
        found = workspace.datasets.get_dataset_version(spec["name"], None)
        spec["version"] = found.version
    if spec.get("kind") == "run":
        spec["run_id"] = workspace.runs.get_run(spec["run_id"]).id
    if spec.get("kind") == "artifact":
        spec["id"] = workspace.runs.get_artifact(spec["id"]).id
    return spec


def load_source(
    workspace: Workspace,
    spec: dict[str, Any],
    version: ModelVersionRecord | None = None,
) -> Reference:
    """Load a (non-log) source as columns.

    Raises:
        MonitorDataError: the source holds no table, or the model version
            has no training data in lineage.
    """
    kind = spec.get("kind")
    if kind == "dataset":
        from rung.catalog import load_dataset

        frame = load_dataset(workspace, spec["name"], spec.get("version"))
        number = spec.get("version") or "latest"
        return Reference(
            to_columns(frame, "dataset"), f"dataset {spec['name']} v{number}", spec
        )
    if kind == "artifact":
        record = workspace.runs.get_artifact(spec["id"])
        return _artifact(workspace, record, f"artifact {record.id[:12]}")
    if kind == "run":
        record = _run_table(workspace, spec["run_id"], spec.get("step"))
        return _artifact(workspace, record, f"run {spec['run_id'][:12]} table")
    if kind == "model":
        if version is None:
            raise MonitorDefinitionError(
                "The reference 'model' needs a monitored model (--model NAME@ALIAS)."
            )
        record = training_table(workspace, version)
        label = f"training data of {version.model} v{version.version}"
        return _artifact(workspace, record, label)
    raise MonitorDefinitionError(f"Cannot load the data source {spec!r} here.")


def training_table(workspace: Workspace, version: ModelVersionRecord) -> ArtifactRecord:
    """The table a model version was trained on, found through lineage."""
    ids = list(version.training_data.values())
    if not ids and version.step_run_id:
        edges = workspace.runs.step_run_edges(version.step_run_id)
        ids = [e.artifact_id for e in edges if e.direction == "input"]
    for artifact_id in ids:
        record = workspace.runs.get_artifact(artifact_id)
        if "schema" in record.metadata:
            return record
    raise MonitorDataError(
        f"Model {version.model} v{version.version} has no training table in its "
        "lineage: it was registered from a model object fitted outside a "
        "pipeline step, without its training data, so the monitor has no "
        "reference to compare production with. Either register the model with "
        "the table it was trained on (register_model(model, name=..., "
        "training_data=<the training DataFrame>)) and monitor that version, or "
        "give this monitor its reference explicitly: a catalog dataset, a "
        "pipeline run's table, or reference=<DataFrame> in Python.",
        model=version.model,
        version=version.version,
        reason="no_training_table",
    )


def features_and_label(
    columns: Columns,
    version: ModelVersionRecord | None,
    label: str | None = None,
) -> tuple[list[str], str | None]:
    """The model's input features and the label column of a training table.

    Features come from the version's signature when it has one; the label is
    ``label`` if given, else the one column left over (if exactly one).
    """
    outputs = {"prediction", "label"} | LOG_COLUMNS
    if version is not None and version.signature:
        features = [c.name for c in version.signature if c.name in columns]
    else:
        features = [
            c for c in columns if c not in outputs and not c.startswith("proba_")
        ]
        if label is not None and label in features:
            features.remove(label)
    if label is None:
        rest = [
            c
            for c in columns
            if c not in features and c not in outputs and not c.startswith("proba_")
        ]
        label = rest[0] if len(rest) == 1 else ("label" if "label" in columns else None)
    return features, label


def predict(model: Any, columns: Columns, features: list[str]) -> Columns | str:
    """The model's ``prediction`` (and ``proba_<class>``) on ``columns``.

    Returns:
        The new columns, or why they cannot be computed.
    """
    import numpy as np
    import pandas as pd

    if not features or row_count(columns) == 0:
        return "no rows or no features to predict from"
    frame = pd.DataFrame({f: columns[f] for f in features})
    try:
        out: Columns = {"prediction": np.asarray(model.predict(frame))}
        if hasattr(model, "predict_proba") and hasattr(model, "classes_"):
            matrix = np.asarray(model.predict_proba(frame))
            for i, cls in enumerate(model.classes_):
                out[f"proba_{cls}"] = matrix[:, i].astype(np.float64)
    except Exception as exc:  # user models raise anything; report, don't crash
        return (
            f"the model cannot predict on the reference ({type(exc).__name__}: {exc})"
        )
    return to_columns(out, "predictions")


def _artifact(workspace: Workspace, record: ArtifactRecord, label: str) -> Reference:
    value = workspace.load_artifact(record)
    try:
        columns = to_columns(value, label)
    except MonitorDataError as exc:
        raise MonitorDataError(
            f"The {label} is a {record.type}, not a table: monitors compare tables "
            "(DataFrame, Arrow)."
        ) from exc
    return Reference(columns, label, {"artifact_id": record.id})


def _run_table(workspace: Workspace, run_id: str, step: str | None) -> ArtifactRecord:
    steps = workspace.runs.list_step_runs(workspace.runs.get_run(run_id).id)
    for step_run in steps:
        if step is not None and step_run.name != step:
            continue
        for artifact_id in step_run.outputs.values():
            record = workspace.runs.get_artifact(artifact_id)
            if "schema" in record.metadata:
                return record
    where = f"step {step!r} of run" if step else "run"
    raise MonitorDataError(
        f"The {where} {run_id[:12]} produced no table (DataFrame). Name a step "
        "whose output is one: --reference-run RUN_ID/STEP."
    )
