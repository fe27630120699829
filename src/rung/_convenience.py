"""The functions users call without a workspace: ``rung.register_model``, ...

One convention holds everywhere: every public function of a domain package
(``rung.registry``, ``rung.catalog``, ``rung.tracking``, ...) takes the
workspace as its first positional argument. The functions here are thin
wrappers for scripts, notebooks and step bodies: they find the workspace and
delegate, nothing else.

Which workspace: inside a run (a pipeline step, a ``rung.start_run()`` block)
the run's; otherwise the process default (``rung.use_workspace`` or the
project's ``.rung/``, built from settings on first use).

This module is imported on first use of one of its names, never by
``import rung``; the domain packages load inside each function.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rung._internal import defaults

if TYPE_CHECKING:
    from collections.abc import Mapping

    import pandas as pd

    from rung.pipelines import EventHook
    from rung.registry import ModelCard, ModelRef
    from rung.registry.records import AliasRecord, ModelVersionRecord
    from rung.tracking import ActiveRun, Run
    from rung.workspace import Workspace

__all__ = [
    "current_workspace",
    "load_artifact",
    "load_dataset",
    "load_model",
    "promote_model",
    "register_model",
    "resume_run",
    "start_run",
]


def current_workspace() -> Workspace:
    """The workspace the convenience functions use: the run's, else the default.

    Example:
        >>> import rung
        >>> rung.current_workspace().project  # doctest: +SKIP
        'churn'
    """
    from rung.tracking import current_scope

    scope = current_scope()
    if scope is not None:
        return scope.workspace
    found: Workspace = defaults.current_workspace()
    return found


def register_model(
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
    """Register a new version of model ``name``; see ``rung.registry.register_model``.

    A ``Run`` is registered in the run's workspace.

    Example:
        >>> import rung
        >>> run = training(C=0.5)  # doctest: +SKIP
        >>> v = rung.register_model(run, name="churn", step="train")  # doctest: +SKIP
        >>> v.version  # doctest: +SKIP
        1
    """
    from rung import registry
    from rung.tracking import Run

    workspace = model.workspace if isinstance(model, Run) else current_workspace()
    return registry.register_model(
        workspace,
        model,
        name,
        step=step,
        output=output,
        metrics=metrics,
        tags=tags,
        description=description,
        signature=signature,
        card=card,
        allow_pickle=allow_pickle,
        training_data=training_data,
    )


def load_model(uri: str | ModelRef, *, allow_pickle: bool = False) -> Any:
    """Load the model a URI names; see ``rung.registry.load_model``.

    Example:
        >>> import rung
        >>> model = rung.load_model("churn@production")  # doctest: +SKIP
        >>> model.predict(features)  # doctest: +SKIP
    """
    from rung import registry

    return registry.load_model(current_workspace(), uri, allow_pickle=allow_pickle)


def promote_model(
    name: str, version: int, alias: str, *, comment: str = ""
) -> AliasRecord:
    """Point ``alias`` at ``version`` through its gates; see ``rung.registry``.

    Example:
        >>> import rung
        >>> rung.promote_model("churn", 3, "production")  # doctest: +SKIP
    """
    from rung import registry

    return registry.promote_model(
        current_workspace(), name, version, alias, comment=comment
    )


def load_dataset(name: str, version: int | str | None = None) -> pd.DataFrame:
    """Load a dataset version as a DataFrame; see ``rung.catalog.load_dataset``.

    Example:
        >>> import rung
        >>> df = rung.load_dataset("claims")  # doctest: +SKIP
    """
    from rung import catalog

    return catalog.load_dataset(current_workspace(), name, version)


def load_artifact(artifact_id: str, *, allow_pickle: bool = False) -> Any:
    """Load an artifact's value by id or unique prefix.

    Example:
        >>> import rung
        >>> model = rung.load_artifact("3fa9c2")  # doctest: +SKIP
    """
    return current_workspace().load_artifact(artifact_id, allow_pickle=allow_pickle)


def start_run(
    name: str | None = None,
    *,
    params: Mapping[str, Any] | None = None,
    tags: Mapping[str, str] | None = None,
) -> ActiveRun:
    """Open an ad-hoc tracked run; see ``rung.tracking.start_run``.

    Example:
        >>> import rung
        >>> with rung.start_run("baseline", params={"C": 1.0}):  # doctest: +SKIP
        ...     rung.log_metric("accuracy", 0.91)
    """
    from rung import tracking

    return tracking.start_run(current_workspace(), name, params=params, tags=tags)


def resume_run(run_id: str, *, on_event: EventHook | None = None) -> Run:
    """Re-run what did not complete in a run; see ``rung.pipelines.resume_run``.

    Example:
        >>> import rung
        >>> rung.resume_run("3fa9c2")  # doctest: +SKIP
    """
    from rung import pipelines

    return pipelines.resume_run(current_workspace(), run_id, on_event=on_event)
