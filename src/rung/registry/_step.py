"""``register_model_step``: a built-in step that registers its model input.

Use it inside a ``@pipeline``: it receives the training step's model output,
finds that artifact's id and producer through the current step run's
lineage, and registers it. Passing the evaluation step's metrics dict as
``metrics`` orders it after the evaluation and records those numbers.
"""

from __future__ import annotations

from typing import Any

from rung.errors import RegistryError
from rung.pipelines import Step
from rung.registry._refs import check_model_name
from rung.registry._register import Extras, Source, record_version, trace
from rung.tracking import current_scope

__all__ = ["register_model_step"]


def _register_model(
    model: Any,
    name: str,
    metrics: dict[str, float] | None = None,
    description: str = "",
    tags: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Register ``model`` (an upstream step's output) as a version of ``name``.

    Returns:
        ``{"model": name, "version": number, "artifact_id": id}``.
    """
    check_model_name(name)
    scope = current_scope()
    if scope is None or scope.step_run_id is None:
        raise RegistryError(
            "register_model_step registers a step output inside a pipeline. "
            "Outside a pipeline, call rung.register_model(model, name=...)."
        )
    ws = scope.workspace
    edges = ws.runs.step_run_edges(scope.step_run_id)
    artifact_id = next(
        e.artifact_id for e in edges if e.direction == "input" and e.name == "model"
    )
    source = Source(ws.runs.get_artifact(artifact_id), live=model)
    trace(ws, source, scope.run_id)
    version = record_version(ws, source, name, Extras(metrics, tags, description))
    # What a step prints is kept with its step run: the registration shows in
    # `rung runs show RUN --logs`.
    print(f"registered {name}/{version.version} (artifact {artifact_id[:12]})")  # noqa: T201
    return {"model": name, "version": version.version, "artifact_id": artifact_id}


register_model_step = Step(
    _register_model, name="register_model", outputs=["registration"]
)
"""Pipeline step: ``register_model_step(model, name="churn", metrics=scores)``.

Cached like any step: re-running a pipeline whose model and metrics did not
change does not register a duplicate version.

Example:
    >>> from rung import pipeline
    >>> @pipeline
    ... def training(C: float = 1.0):  # doctest: +SKIP
    ...     train_df, test_df = split(load_data())
    ...     model = train(train_df, C=C)
    ...     register_model_step(model, name="churn", metrics=evaluate(model, test_df))
"""
