"""``register_model``: a model object, an artifact or a run's output -> a version.

Everything a version records that the user does not give is found through
the metadata store: lineage leads from the model artifact to the step run
that produced it, its run (metrics, code version) and its inputs (the
training data, whose Parquet metadata gives the signature).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rung._internal.timeutil import now
from rung.errors import RegistryError, RungError
from rung.metadata import ArtifactRecord
from rung.pipelines import OutputRef
from rung.registry._card import ModelCard, complete_card
from rung.registry._features import stored_feature_names
from rung.registry._refs import check_model_name, note
from rung.registry._signature import (
    Signature,
    feature_names,
    infer_signature,
    signature_from_metadata,
)
from rung.registry.records import ModelVersionRecord
from rung.tracking import Run, buffer_for, code_version, current_scope

if TYPE_CHECKING:
    from collections.abc import Mapping

    from rung.metadata import LineageEdge, RunRecord
    from rung.tracking import RunScope
    from rung.workspace import Workspace

__all__ = ["Extras", "Source", "record_version", "register_model", "trace"]


@dataclass(slots=True)
class Source:
    """The model artifact and what lineage tells about it."""

    artifact: ArtifactRecord
    live: Any = None
    run_id: str | None = None
    step_run_id: str | None = None
    data: dict[str, ArtifactRecord] = field(default_factory=dict)


def register_model(
    workspace: Workspace,
    model: Any,
    name: str,
    *,
    step: str | None = None,
    output: str | None = None,
    metrics: Mapping[str, float] | None = None,
    tags: Mapping[str, str] | None = None,
    description: str = "",
    signature: Any = None,
    card: ModelCard | Mapping[str, Any] | None = None,
    allow_pickle: bool = False,
    training_data: Any = None,
) -> ModelVersionRecord:
    """Register a new version of model ``name`` (created on first use).

    ``rung.register_model(model, name=...)`` does the same in the default
    workspace (inside a run: the run's; with a ``Run``: the run's).

    Args:
        workspace: where to register.
        model: a fitted model object (stored as an artifact first), an artifact
            id (or unique prefix) or ``ArtifactRecord``, or a pipeline ``Run``
            (then name the ``step`` that produced the model).
        name: the model's name (letters, digits, ``_.-``).
        step: with a ``Run``: the step whose output is the model.
        output: with a ``Run``: which output, if the step has several.
        metrics: the version's metrics (default: the producing run's latest).
        tags: free-form string tags.
        description: what changed in this version.
        signature: the input columns (a DataFrame, ``{column: type}``...);
            default: inferred from the training data found through lineage.
        card: a ``ModelCard`` (or mapping); empty sections are filled in.
        allow_pickle: let a model object no safe format handles be pickled.
        training_data: the table the model was trained on (a DataFrame or
            Arrow table, stored as an artifact; or a table artifact's id or
            record), for a model whose lineage does not lead to it (fitted
            in a script or notebook). Recorded as the version's training
            data: the signature, the model card and a monitor's default
            reference come from it. Default: the inputs of the step that
            produced the model, found through lineage.

    Returns:
        The new version, with its number.

    Raises:
        InvalidModelReferenceError: a bad model name.
        RegistryError: ``training_data`` is not a table.
        ArtifactNotFoundError: unknown artifact id, or its content is gone.
        RunError: the run has no such step or output.

    Example:
        >>> run = training(C=0.5)  # doctest: +SKIP
        >>> v = register_model(ws, run, name="churn", step="train")  # doctest: +SKIP
        >>> v.version, v.metrics["accuracy"]  # doctest: +SKIP
        (1, 0.958)
    """
    check_model_name(name)
    source = _resolve(workspace, model, step, output, allow_pickle)
    if training_data is not None:
        source.data = {"training_data": _training_table(workspace, training_data)}
    extras = Extras(metrics, tags, description, signature, card)
    return record_version(workspace, source, name, extras)


@dataclass(frozen=True, slots=True)
class Extras:
    """What the user may give on top of what lineage tells."""

    metrics: Mapping[str, float] | None = None
    tags: Mapping[str, str] | None = None
    description: str = ""
    signature: Any = None
    card: ModelCard | Mapping[str, Any] | None = None


def record_version(
    ws: Workspace, source: Source, name: str, extras: Extras
) -> ModelVersionRecord:
    """Build the version record from the traced source and store it."""
    ws.require_content(source.artifact)
    run = ws.runs.get_run(source.run_id) if source.run_id else None
    values = _measured(ws, run, extras.metrics)
    framework, framework_version = _framework(source)
    git_commit = run.git_commit if run else None
    if run is not None and git_commit is None and run.status == "running":
        git_commit = code_version(Path.cwd()).commit  # still running: ask git now
    described = _describe_data(source)
    card = complete_card(extras.card, training_data=described, metrics=values)
    record = ModelVersionRecord(
        model=name,
        version=0,
        project=ws.project,
        artifact_id=source.artifact.id,
        user=ws.user,
        created_at=now(),
        run_id=source.run_id,
        step_run_id=source.step_run_id,
        description=extras.description,
        metrics=values,
        tags={str(k): str(v) for k, v in (extras.tags or {}).items()},
        signature=_signature(ws, source, extras.signature),
        framework=framework,
        framework_version=framework_version,
        git_commit=git_commit,
        source_hash=run.source_hash if run else None,
        training_data={k: a.id for k, a in source.data.items()},
        card=card.to_dict(),
    )
    details = {"artifact_id": source.artifact.id}
    audit = note(ws, "register", extras.description, details)
    return ws.models.add_model_version(record, audit)


def _resolve(
    ws: Workspace, model: Any, step: str | None, output: str | None, pickle: bool
) -> Source:
    if isinstance(model, Run):
        return _from_run(ws, model, step, output)
    if step is not None or output is not None:
        raise RegistryError(
            "step= and output= name a pipeline step's output: pass the Run as "
            f"the model, not a {type(model).__qualname__}."
        )
    if isinstance(model, OutputRef):
        raise RegistryError(
            f"{model!r} is a step output that does not exist yet: the pipeline is "
            "being traced. Inside a @pipeline, register it with the "
            "rung.registry.register_model_step step instead."
        )
    if isinstance(model, ArtifactRecord):
        source = Source(model)
    elif isinstance(model, str):
        source = Source(ws.runs.get_artifact(model))
    else:
        source = Source(ws.put_artifact(model, allow_pickle=pickle), live=model)
    scope = current_scope()
    here = scope if scope is not None and scope.workspace is ws else None
    trace(ws, source, here.run_id if here is not None else None)
    if here is not None and _made_here(source, here):
        source.run_id, source.step_run_id = here.run_id, here.step_run_id
        source.data.clear()
        if here.step_run_id is not None:
            _add_step_inputs(ws, source, here.step_run_id)
    return source


def _training_table(ws: Workspace, value: Any) -> ArtifactRecord:
    """The artifact of the table given as ``training_data`` (stored if a value)."""
    if isinstance(value, ArtifactRecord):
        record = value
    elif isinstance(value, str):
        record = ws.runs.get_artifact(value)
    else:
        try:
            record = ws.put_artifact(value)
        except RungError as exc:
            raise RegistryError(
                f"training_data must be a table (a pandas DataFrame, an Arrow "
                f"table) or a table artifact's id, not a {type(value).__qualname__}: "
                f"{exc}",
                reason="training_data_not_a_table",
            ) from exc
    if "schema" not in record.metadata:
        raise RegistryError(
            f"training_data must be a table (a pandas DataFrame, an Arrow table) "
            f"or a table artifact's id; artifact {record.id[:12]} is a "
            f"{record.type}.",
            reason="training_data_not_a_table",
        )
    return record


def _made_here(source: Source, scope: RunScope) -> bool:
    """Whether the model comes from the run (or step) now running.

    A model object registered inside a step was made by that step: its
    artifact has no producer yet (the step has not returned), or an older run
    made the same bytes. An artifact reference keeps the lineage it has.
    """
    if source.live is not None:
        return source.run_id != scope.run_id
    return source.run_id is None


def _from_run(ws: Workspace, run: Run, step: str | None, output: str | None) -> Source:
    from rung.errors import RunError

    steps = {name: sr for name, sr in run.steps.items() if sr.outputs}
    if step is None or step not in steps:
        raise RunError(
            f"Run {run.id[:12]} has no outputs from step {step!r}. Name the step "
            f"that produced the model with step=...; steps with outputs: "
            f"{sorted(steps)}."
        )
    step_run = steps[step]
    outputs = dict(step_run.outputs)
    if output is None and len(outputs) == 1:
        output = next(iter(outputs))
    if output not in outputs:
        raise RunError(
            f"Step {step!r} of run {run.id[:12]} has outputs {sorted(outputs)}; "
            "name the model's with output=...."
        )
    source = Source(ws.runs.get_artifact(outputs[output]))
    source.run_id, source.step_run_id = run.id, step_run.id
    _add_inputs(ws, source, step_run.inputs)
    return source


def trace(ws: Workspace, source: Source, preferred_run: str | None) -> None:
    """Find the step run that produced the artifact (in ``preferred_run`` first)."""
    made = [e for e in ws.runs.lineage(source.artifact.id) if e.direction == "output"]
    if not made:
        return
    producer: LineageEdge = next(
        (e for e in made if e.run_id == preferred_run), made[0]
    )
    source.run_id, source.step_run_id = producer.run_id, producer.step_run_id
    _add_step_inputs(ws, source, producer.step_run_id)


def _add_step_inputs(ws: Workspace, source: Source, step_run_id: str) -> None:
    edges = ws.runs.step_run_edges(step_run_id)
    _add_inputs(
        ws, source, {e.name: e.artifact_id for e in edges if e.direction == "input"}
    )


def _add_inputs(ws: Workspace, source: Source, inputs: Mapping[str, str]) -> None:
    """Keep the producing step's data inputs (tables, arrays): the training data."""
    for name, artifact_id in inputs.items():
        record = ws.runs.get_artifact(artifact_id)
        if "schema" in record.metadata or "shape" in record.metadata:
            source.data[name] = record


def _measured(
    ws: Workspace, run: RunRecord | None, given: Mapping[str, float] | None
) -> dict[str, float]:
    if given is not None:
        return {str(k): float(v) for k, v in given.items()}
    if run is None:
        return {}
    if run.status == "running":
        buffer_for(ws).flush()  # inside a pipeline: earlier steps' metrics
    return dict(ws.runs.latest_metrics([run.id]).get(run.id, {}))


def _signature(ws: Workspace, source: Source, given: Any) -> Signature | None:
    if given is not None:
        return infer_signature(given)
    tables = [a for _, a in sorted(source.data.items()) if "schema" in a.metadata]
    if not tables:
        return None
    features = _features(ws, source)
    for table in tables:
        found = signature_from_metadata(table.metadata, features)
        if found is not None:
            return found
    return None


def _features(ws: Workspace, source: Source) -> list[str] | None:
    """The model's feature names: they leave the label column out."""
    if source.live is not None:
        return feature_names(source.live)
    return stored_feature_names(ws, source.artifact)


def _framework(source: Source) -> tuple[str | None, str | None]:
    meta = source.artifact.metadata
    kind = (
        type(source.live).__module__
        if source.live is not None
        else str(
            meta.get("estimator") or meta.get("python_type") or source.artifact.type
        )
    )
    root = kind.split(".")[0]
    if root in ("builtins", "__main__", ""):
        return None, None
    version = meta.get(f"{root}_version") or getattr(
        sys.modules.get(root), "__version__", None
    )
    return root, None if version is None else str(version)


def _describe_data(source: Source) -> str:
    parts = []
    for name, record in sorted(source.data.items()):
        shape = record.metadata.get("shape")
        size = " x ".join(map(str, shape)) if isinstance(shape, list) else "?"
        parts.append(f"{name}: artifact {record.id[:12]} ({record.type}, {size})")
    if not parts:
        return ""
    where = f" of run {source.run_id[:12]}" if source.run_id else ""
    return f"Inputs of the training step{where}: " + "; ".join(parts) + "."
