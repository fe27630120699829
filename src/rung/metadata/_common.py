"""Checks, conversions and messages shared by every metadata backend.

Both backends call these so that they accept, refuse and return exactly the
same values: the contract suite runs unchanged against each of them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import fields, replace
from typing import Any

from rung.errors import AmbiguousIdError, ArtifactNotFoundError, RunNotFoundError
from rung.metadata._errors import (
    EnvironmentNotFoundError,
    InvalidRecordError,
    StepRunNotFoundError,
)
from rung.metadata.base import (
    RUN_STATUSES,
    STEP_STATUSES,
    ArtifactRecord,
    MetricRecord,
    RunRecord,
    StepRunRecord,
)

MetricRow = tuple[str, str | None, str, float, int | None, float]
"""run_id, step_run_id, key, value, step, timestamp: one metric as stored."""

MIN_PREFIX = 4
"""Shortest id prefix ``get_run`` and ``get_artifact`` accept."""

_SHOWN_CANDIDATES = 10
MAX_CANDIDATES = _SHOWN_CANDIDATES + 1
"""How many prefix matches a backend fetches at most (one more than shown)."""
_RUN_CHANGEABLE = frozenset(f.name for f in fields(RunRecord)) - {"id"}
_STEP_CHANGEABLE = frozenset(f.name for f in fields(StepRunRecord)) - {"id", "run_id"}
_LINK_FIELDS = ("inputs", "outputs")


# -- JSON -----------------------------------------------------------------------


def dump_json(value: Any, what: str) -> str:
    """Encode ``value`` as JSON text, or raise InvalidRecordError naming ``what``."""
    try:
        return json.dumps(value, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise InvalidRecordError(
            f"{what} cannot be stored as JSON: {exc}. Convert it to str, int, "
            "float, bool, None, list or dict first."
        ) from exc


def load_json(text: str) -> Any:
    """Decode JSON text written by :func:`dump_json`."""
    return json.loads(text)


def clean_mapping(value: Mapping[str, Any], what: str) -> dict[str, Any]:
    """Return the JSON round-trip of a mapping (what every backend stores)."""
    _check_keys(value, what)
    return dict(load_json(dump_json(dict(value), what)))


def clean_params(params: Mapping[str, Any], what: str) -> dict[str, Any]:
    """Return params with each value JSON round-tripped (stored one per row)."""
    _check_keys(params, what)
    return {k: load_json(dump_json(v, f"{what}[{k!r}]")) for k, v in params.items()}


def clean_strings(value: Mapping[str, str], what: str) -> dict[str, str]:
    """Check a str -> str mapping (tags, inputs, outputs, packages)."""
    _check_keys(value, what)
    for key, item in value.items():
        if not isinstance(item, str):
            raise InvalidRecordError(
                f"{what}[{key!r}] must be a str, got {item!r}. Convert it with str()."
            )
    return dict(value)


def _check_keys(value: Mapping[str, Any], what: str) -> None:
    if not isinstance(value, Mapping):
        raise InvalidRecordError(f"{what} must be a mapping, got {value!r}.")
    for key in value:
        if not isinstance(key, str):
            raise InvalidRecordError(f"{what} keys must be str, got {key!r}.")


# -- records and changes ----------------------------------------------------------


def clean_run(run: RunRecord) -> RunRecord:
    """Check a new run and return it with its mappings as stored."""
    _check_status(run.status, RUN_STATUSES, f"run {run.id!r}")
    return replace(
        run,
        params=clean_params(run.params, "params"),
        tags=clean_strings(run.tags, "tags"),
        config=clean_mapping(run.config, "config"),
    )


def clean_step_run(step_run: StepRunRecord) -> StepRunRecord:
    """Check a new step run and return it with its mappings as stored."""
    _check_status(step_run.status, STEP_STATUSES, f"step run {step_run.id!r}")
    return replace(
        step_run,
        params=clean_mapping(step_run.params, "params"),
        inputs=clean_strings(step_run.inputs, "inputs"),
        outputs=clean_strings(step_run.outputs, "outputs"),
    )


def clean_artifact(artifact: ArtifactRecord) -> ArtifactRecord:
    """Return an artifact with its metadata as stored."""
    what = f"metadata of artifact {artifact.id!r}"
    return replace(artifact, metadata=clean_mapping(artifact.metadata, what))


def clean_run_changes(run_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
    """Check ``update_run`` changes; return them with mappings as stored."""
    _check_fields(changes, _RUN_CHANGEABLE, f"run {run_id!r}")
    out = dict(changes)
    if "status" in out:
        _check_status(out["status"], RUN_STATUSES, f"run {run_id!r}")
    if "params" in out:
        out["params"] = clean_params(out["params"], "params")
    if "tags" in out:
        out["tags"] = clean_strings(out["tags"], "tags")
    if "config" in out:
        out["config"] = clean_mapping(out["config"], "config")
    return out


def clean_step_changes(step_run_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
    """Check ``finish_step_run`` changes; return them with mappings as stored."""
    _check_fields(changes, _STEP_CHANGEABLE, f"step run {step_run_id!r}")
    out = dict(changes)
    if "status" in out:
        _check_status(out["status"], STEP_STATUSES, f"step run {step_run_id!r}")
    if "params" in out:
        out["params"] = clean_mapping(out["params"], "params")
    for name in _LINK_FIELDS:
        if name in out:
            out[name] = clean_strings(out[name], name)
    return out


def apply_run_changes(run: RunRecord, changes: Mapping[str, Any]) -> RunRecord:
    """Return ``run`` with cleaned ``changes``: params and tags merge."""
    values = dict(changes)
    if "params" in values:
        values["params"] = {**run.params, **values["params"]}
    if "tags" in values:
        values["tags"] = {**run.tags, **values["tags"]}
    return replace(run, **values)


def apply_step_changes(
    step_run: StepRunRecord, changes: Mapping[str, Any]
) -> StepRunRecord:
    """Return ``step_run`` with cleaned ``changes``: inputs and outputs merge."""
    values = dict(changes)
    for name in _LINK_FIELDS:
        if name in values:
            values[name] = {**getattr(step_run, name), **values[name]}
    return replace(step_run, **values)


def _check_fields(
    changes: Mapping[str, Any], allowed: frozenset[str], what: str
) -> None:
    bad = sorted(set(changes) - allowed)
    if bad:
        raise InvalidRecordError(
            f"Cannot change {', '.join(map(repr, bad))} of {what}: unknown or "
            f"read-only field. Changeable fields: {', '.join(sorted(allowed))}."
        )


def _check_status(status: object, allowed: tuple[str, ...], what: str) -> None:
    if status not in allowed:
        raise InvalidRecordError(
            f"Invalid status {status!r} for {what}. Use one of: {', '.join(allowed)}."
        )


def metric_rows(metrics: Sequence[MetricRecord]) -> list[MetricRow]:
    """Return metrics as stored rows (value and timestamp as float, step as int).

    Raises:
        InvalidRecordError: a value, timestamp or step is not a number.
    """
    try:
        return [
            (
                m.run_id,
                m.step_run_id,
                m.key,
                float(m.value),
                None if m.step is None else int(m.step),
                float(m.timestamp),
            )
            for m in metrics
        ]
    except (TypeError, ValueError):
        pass
    for m in metrics:
        for name, convert in (("value", float), ("timestamp", float), ("step", int)):
            item = getattr(m, name)
            try:
                if item is not None or name != "step":
                    convert(item)
            except (TypeError, ValueError):
                raise InvalidRecordError(
                    f"Metric {m.key!r} of run {m.run_id!r} has a non-numeric {name} "
                    f"{item!r}. Log a number (int or float)."
                ) from None
    raise AssertionError("unreachable: a metric failed to convert")  # pragma: no cover


# -- lookups and their errors --------------------------------------------------------


def run_not_found(run_id: str) -> RunNotFoundError:
    """Return the error for an unknown run id."""
    return RunNotFoundError(f"Run {run_id!r} not found.{_hint(run_id, 'runs')}")


def step_run_not_found(step_run_id: str) -> StepRunNotFoundError:
    """Return the error for an unknown step run id."""
    return StepRunNotFoundError(
        f"Step run {step_run_id!r} not found. List a run's steps with "
        "`rung runs show RUN_ID`."
    )


def artifact_not_found(artifact_id: str) -> ArtifactNotFoundError:
    """Return the error for an unknown artifact id."""
    return ArtifactNotFoundError(
        f"Artifact {artifact_id!r} not found.{_hint(artifact_id, 'artifacts')}"
    )


def artifacts_not_found(artifact_ids: Sequence[str]) -> ArtifactNotFoundError:
    """Return the error for artifact ids referenced but never stored."""
    return ArtifactNotFoundError(
        f"Unknown artifact id(s): {', '.join(map(repr, sorted(artifact_ids)))}. "
        "Pass the artifacts in `artifacts=` or add them first with add_artifacts()."
    )


def environment_not_found(env_hash: str) -> EnvironmentNotFoundError:
    """Return the error for an unknown environment hash."""
    return EnvironmentNotFoundError(
        f"Environment {env_hash!r} not found. Environments are stored when a run "
        "starts; check the run's environment_hash."
    )


def already_exists(kind: str, record_id: str) -> InvalidRecordError:
    """Return the error for an id that is already taken."""
    return InvalidRecordError(
        f"{kind} {record_id!r} already exists. Create it with a new id "
        "(rung._internal.ids.new_id()) or change the existing one."
    )


def choose_one(kind: str, given: str, candidates: Sequence[str]) -> str:
    """Return the single id matching a prefix, else raise the right error.

    Args:
        kind: ``run`` or ``artifact``.
        given: what the user typed.
        candidates: ids starting with ``given`` (at most a few more than shown).

    Raises:
        RunNotFoundError / ArtifactNotFoundError: nothing matches.
        AmbiguousIdError: several ids match.
    """
    if len(candidates) == 1 and len(given) >= MIN_PREFIX:
        return candidates[0]
    if len(candidates) <= 1:
        raise run_not_found(given) if kind == "run" else artifact_not_found(given)
    shown = ", ".join(sorted(candidates)[:_SHOWN_CANDIDATES])
    more = ", ..." if len(candidates) > _SHOWN_CANDIDATES else ""
    raise AmbiguousIdError(
        f"The {kind} id prefix {given!r} matches several {kind}s: {shown}{more}. "
        "Type more characters of the id."
    )


def _hint(given: str, plural: str) -> str:
    short = ""
    if len(given) < MIN_PREFIX:
        short = f" An id prefix needs at least {MIN_PREFIX} characters."
    return f"{short} List {plural} with `rung {plural} list`."
