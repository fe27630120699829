"""Defining triggers: create, list, show, pause, resume, delete.

Everything a trigger needs is checked when it is created — the pipeline loads
and takes the parameters it is given, the cron expression and time zone are
valid, the dataset, monitor or model it watches exists, and it does not close a
loop of pipeline triggers — so the agent meets few surprises at run time (and
records those it meets in the ledger instead of crashing).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from rung._internal.ids import new_id
from rung._internal.timeutil import now
from rung.automation.errors import TriggerDefinitionError
from rung.automation.records import TRIGGER_KINDS, TriggerRecord
from rung.errors import RungError

if TYPE_CHECKING:
    from rung.workspace import Workspace

__all__ = [
    "EVENT_FIELDS",
    "create_trigger",
    "delete_trigger",
    "get_trigger",
    "list_triggers",
    "pause_trigger",
    "resume_trigger",
]

EVENT_FIELDS: dict[str, tuple[str, ...]] = {
    "schedule": ("scheduled_at",),
    "dataset": ("dataset", "version", "version_id", "row_count", "new_rows"),
    "monitor": (
        "monitor",
        "check",
        "alert_id",
        "severity",
        "window_start",
        "window_end",
    ),
    "model": ("model", "version", "alias", "action"),
    "pipeline": ("upstream", "upstream_run_id", "upstream_status"),
    "webhook": ("delivery_id", "payload"),
    "manual": ("fired_by",),
}
"""What ``{event.FIELD}`` may name in a trigger's parameters, per kind."""

_TEMPLATE = re.compile(r"^\{event\.([A-Za-z_][A-Za-z0-9_.]*)\}$")


def create_trigger(
    workspace: Workspace,
    name: str,
    pipeline: str,
    on: str,
    *,
    spec: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    policy: Mapping[str, Any] | None = None,
    description: str = "",
) -> TriggerRecord:
    """Create a trigger that starts ``pipeline`` when an event of kind ``on`` happens.

    Args:
        workspace: the workspace.
        name: unique in the project.
        pipeline: ``path/file.py:name`` or ``module:name``.
        on: schedule, dataset, monitor, model, pipeline, webhook or manual.
        spec: what to watch: ``cron`` + ``timezone`` or ``every`` (seconds)
            for schedules; ``dataset`` (+ ``min_rows``); ``monitor`` (+
            ``check``); ``model`` (+ ``event``: registered or alias_moved, and
            ``alias``); ``upstream`` pipeline (+ ``status``: completed, failed
            or any); ``secret`` (``env:NAME``) for webhooks.
        params: pipeline parameter -> value or ``"{event.FIELD}"``.
        policy: ``cooldown`` (seconds), ``breaches`` (alerts seen this many
            times first), ``max_concurrent``, ``on_busy`` (skip or queue),
            ``max_per_day``, ``budget_cpu_hours`` (per 24 h), ``approval``;
            ``retune_space``, ``retune_metric``, ``retune_model`` and
            ``retune_after`` (+ ``retune_direction``, ``retune_trials``,
            ``retune_timeout``, ``retune_register``) to re-tune instead of
            retraining once its runs keep losing to the champion.
        description: free text.

    Raises:
        TriggerDefinitionError: anything above is invalid.

    Example:
        >>> create_trigger(ws, "nightly", "train.py:training", "schedule",
        ...                spec={"cron": "0 3 * * *", "timezone": "Europe/Paris"})
        ...  # doctest: +SKIP
    """
    if on not in TRIGGER_KINDS:
        raise TriggerDefinitionError(
            f"Unknown trigger kind {on!r}. Use one of: {', '.join(TRIGGER_KINDS)}."
        )
    pipeline_name, accepted = _pipeline_parameters(pipeline)
    clean_spec = _check_spec(workspace, on, dict(spec or {}))
    clean_spec["pipeline_name"] = pipeline_name
    clean_params = _check_params(on, dict(params or {}), accepted, pipeline)
    clean_policy = _check_policy(dict(policy or {}), accepted)
    if on == "pipeline":
        _refuse_loop(workspace, name, pipeline_name, str(clean_spec["upstream"]))
    at = now()
    record = TriggerRecord(
        id=new_id(),
        project=workspace.project,
        name=name,
        pipeline=pipeline,
        kind=on,
        created_at=at,
        updated_at=at,
        user=workspace.user,
        spec=clean_spec,
        params=clean_params,
        policy=clean_policy,
        cursor=_initial_cursor(workspace, on, clean_spec, at),
        description=description,
    )
    workspace.triggers.add_trigger(record)
    return record


def get_trigger(workspace: Workspace, name: str) -> TriggerRecord:
    """One trigger of the project (TriggerNotFoundError if none)."""
    return workspace.triggers.get_trigger(workspace.project, name)


def list_triggers(workspace: Workspace) -> list[TriggerRecord]:
    """The project's triggers, by name."""
    return workspace.triggers.list_triggers(workspace.project)


def pause_trigger(workspace: Workspace, name: str) -> TriggerRecord:
    """Stop evaluating a trigger (its ledger and cursor are kept)."""
    return workspace.triggers.update_trigger(
        workspace.project, name, {"state": "paused"}
    )


def resume_trigger(workspace: Workspace, name: str) -> TriggerRecord:
    """Evaluate a paused trigger again, from where it stopped."""
    return workspace.triggers.update_trigger(
        workspace.project, name, {"state": "active"}
    )


def delete_trigger(workspace: Workspace, name: str) -> None:
    """Delete a trigger; its ledger stays, for the record."""
    workspace.triggers.delete_trigger(workspace.project, name)


def _pipeline_parameters(pipeline: str) -> tuple[str, set[str]]:
    from rung.pipelines import load_pipeline

    try:
        loaded = load_pipeline(pipeline)
    except RungError as exc:
        raise TriggerDefinitionError(
            f"The trigger's pipeline {pipeline!r} cannot be loaded: {exc}"
        ) from exc
    return loaded.name, set(loaded.signature.parameters)


def _check_spec(workspace: Workspace, on: str, spec: dict[str, Any]) -> dict[str, Any]:
    from rung.automation._checks import SPEC_CHECKS

    return SPEC_CHECKS[on](workspace, spec)


def _check_params(
    on: str, params: dict[str, Any], accepted: set[str], pipeline: str
) -> dict[str, Any]:
    unknown = sorted(set(params) - accepted)
    if unknown:
        raise TriggerDefinitionError(
            f"Pipeline {pipeline!r} takes no parameter "
            f"{', '.join(map(repr, unknown))}. "
            f"Its parameters: {', '.join(sorted(accepted)) or 'none'}."
        )
    for key, value in params.items():
        match = _TEMPLATE.match(value) if isinstance(value, str) else None
        if match is None:
            continue
        field = match.group(1).split(".")[0]
        if field not in EVENT_FIELDS[on]:
            raise TriggerDefinitionError(
                f"Parameter {key!r} takes {{event.{match.group(1)}}}, but a {on} "
                f"event has no field {field!r}. Its fields: "
                f"{', '.join(EVENT_FIELDS[on])}."
            )
    return params


def _check_policy(policy: dict[str, Any], accepted: set[str]) -> dict[str, Any]:
    from rung.automation._checks import check_policy

    return check_policy(policy, accepted)


def _refuse_loop(
    workspace: Workspace, name: str, pipeline_name: str, upstream: str
) -> None:
    """Refuse a pipeline trigger whose chain of pipeline triggers comes back."""
    edges: dict[str, set[str]] = {upstream: {pipeline_name}}
    for other in workspace.triggers.list_triggers(workspace.project):
        if other.kind == "pipeline" and other.name != name:
            src = str(other.spec.get("upstream"))
            edges.setdefault(src, set()).add(str(other.spec.get("pipeline_name")))
    seen: set[str] = set()
    stack = [(pipeline_name, [upstream, pipeline_name])]
    while stack:
        node, path = stack.pop()
        for nxt in sorted(edges.get(node, ())):
            if nxt == upstream:
                raise TriggerDefinitionError(
                    f"Trigger {name!r} would close a loop of pipeline triggers: "
                    f"{' -> '.join([*path, nxt])}. Remove one of the triggers "
                    "in that chain, or fire this one on a schedule instead."
                )
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, [*path, nxt]))


def _initial_cursor(
    workspace: Workspace, on: str, spec: Mapping[str, Any], at: float
) -> dict[str, Any]:
    from rung.automation._events import initial_cursor

    return initial_cursor(workspace, on, spec, at)
