"""``load_model("churn@production")``: a model URI -> a version -> the model.

Loading goes through the artifact layer, so it is safe by default: skops
files load only Rung's trusted types, and pickled versions need
``allow_pickle=True``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from rung.errors import (
    ArtifactNotFoundError,
    ModelVersionNotFoundError,
    UnsafeArtifactError,
)
from rung.registry._refs import LATEST, ModelRef, parse_model_uri
from rung.workspace import ArtifactRead

if TYPE_CHECKING:
    from rung.registry.records import ModelVersionRecord
    from rung.workspace import Workspace

__all__ = ["load_model", "resolve_model"]


def resolve_model(workspace: Workspace, uri: str | ModelRef) -> ModelVersionRecord:
    """The version a model URI names (``churn@production``, ``churn/3``...).

    ``NAME@latest`` is the newest version that is not archived.

    Raises:
        InvalidModelReferenceError: the URI is malformed.
        ModelNotFoundError / ModelVersionNotFoundError: nothing matches.

    Example:
        >>> resolve_model(ws, "churn@production").version  # doctest: +SKIP
        3
    """
    ref = uri if isinstance(uri, ModelRef) else parse_model_uri(uri)
    if ref.version is not None:
        return workspace.models.get_model_version(
            workspace.project, ref.name, ref.version
        )
    model = workspace.models.get_model(workspace.project, ref.name)
    if ref.alias == LATEST:
        versions = workspace.models.list_model_versions(workspace.project, ref.name)
        ready = [v for v in versions if not v.is_archived]
        if not ready:
            raise ModelVersionNotFoundError(
                f"Every version of model {ref.name!r} is archived, so "
                f"'{ref.name}@latest' names none.",
                model=ref.name,
                reason="all_archived",
            )
        return ready[-1]
    number = model.aliases.get(ref.alias or "")
    if number is None:
        known = ", ".join(sorted(model.aliases)) or "none yet"
        raise ModelVersionNotFoundError(
            f"Model {ref.name!r} has no alias {ref.alias!r} (its aliases: {known}).",
            model=ref.name,
            alias=ref.alias,
            reason="alias_unset",
        )
    return workspace.models.get_model_version(workspace.project, ref.name, number)


def load_model(
    workspace: Workspace,
    uri: str | ModelRef,
    *,
    allow_pickle: bool = False,
    read: ArtifactRead | None = None,
) -> Any:
    """Load the model a URI names.

    ``rung.load_model(uri)`` does the same in the default workspace. The load
    passes the workspace's artifact read checks (residency policies judge the
    data the model was trained on).

    Args:
        workspace: where the model is registered.
        uri: ``NAME@ALIAS`` (``churn@production``, ``churn@latest``) or
            ``NAME/VERSION`` (``churn/3``).
        allow_pickle: allow a pickled version to load (it runs code from the
            file: only for versions you trust).
        read: the read path and reader, for the checks (default:
            ``load_model`` by the current step or session).

    Raises:
        ArtifactNotFoundError: the version's artifact content is gone.
        UnsafeArtifactError: the version is pickled and ``allow_pickle`` is
            False, or its skops file holds untrusted types.
        PolicyViolationError: a residency policy refuses the read.

    Example:
        >>> model = load_model(ws, "churn@production")  # doctest: +SKIP
        >>> model.predict(features)  # doctest: +SKIP
    """
    version = resolve_model(workspace, uri)
    label = f"{version.model}/{version.version}"
    record = workspace.runs.get_artifact(version.artifact_id)
    if not workspace.has_content(record):
        raise ArtifactNotFoundError(
            f"Model {label} points to artifact {record.id[:12]}, whose content is "
            f"gone from the artifact store {workspace.artifacts.url} "
            f"(key {record.uri}). "
            "Restore the artifact folder, or re-run the training pipeline and "
            f"register a new version; then archive {label}."
        )
    if record.is_pickled and not allow_pickle:
        raise UnsafeArtifactError(
            f"Model {label} was stored with pickle (artifact {record.id[:12]}, "
            f"{record.type}): loading it runs code from the file. If you trust "
            "whoever registered it, load it with "
            f"rung.load_model({str(uri)!r}, allow_pickle=True)."
        )
    how = read or ArtifactRead("load_model")
    if how.subject is None:
        how = replace(how, subject=f"model {label}")
    try:
        return workspace.load_artifact(record, allow_pickle=allow_pickle, read=how)
    except UnsafeArtifactError as exc:
        raise UnsafeArtifactError(f"Model {label}: {exc}") from exc
