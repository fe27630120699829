"""The rules every run store keeps: checks, conversions and messages.

Every backend calls these so that it accepts, refuses and returns exactly the
same values: the contract suite runs unchanged against each of them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields, replace
from itertools import repeat
from typing import Any, NoReturn

from rung.errors import (
    AmbiguousIdError,
    ArtifactNotFoundError,
    EnvironmentNotFoundError,
    InvalidRecordError,
    RunNotFoundError,
    StepRunNotFoundError,
)
from rung.metadata.records import (
    RUN_STATUSES,
    STEP_STATUSES,
    ArtifactRecord,
    MetricBatch,
    MetricRecord,
    RunRecord,
    StepRunRecord,
)
from rung.store import (
    MIN_PREFIX,
    SHOWN_CANDIDATES,
    clean_mapping,
    clean_params,
    clean_strings,
)

MetricRow = tuple[str, str | None, str, float, int | None, float]
"""run_id, step_run_id, key, value, step, timestamp: one metric as stored."""


_RUN_CHANGEABLE = frozenset(f.name for f in fields(RunRecord)) - {"id"}
_STEP_CHANGEABLE = frozenset(f.name for f in fields(StepRunRecord)) - {"id", "run_id"}
_LINK_FIELDS = ("inputs", "outputs")


# -- JSON -----------------------------------------------------------------------


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


def clean_metric_batches(batches: Sequence[MetricBatch]) -> list[MetricBatch]:
    """Return the non-empty batches with float values and times, int steps.

    Checks a whole batch at once (``map`` in C, no Python loop per value) and
    looks for the culprit only when that fails. A batch that is already clean
    (a dict of floats, as ``rung.log_metrics`` queues them) is returned as it
    is: no copy, so a flush allocates nothing per batch here.

    Raises:
        InvalidRecordError: a key is empty or not a string, or a value,
            timestamp or step is not a number.
    """
    clean = [_clean_batch(batch) for batch in batches]
    return [batch for batch in clean if batch.values]


def _clean_batch(batch: MetricBatch) -> MetricBatch:
    values, step, timestamp = batch.values, batch.step, batch.timestamp
    try:
        # str.strip raises TypeError for a non-string key; "" is falsy.
        keys_ok = all(map(str.strip, values))
        if type(values) is not dict or not all(
            map(isinstance, values.values(), repeat(float))
        ):
            values = dict(zip(values, map(float, values.values()), strict=True))
        if type(step) is not int and step is not None:
            step = int(step)
        if type(timestamp) is not float:
            timestamp = float(timestamp)
    except (TypeError, ValueError):
        _raise_bad_batch(batch)
    if not keys_ok:
        _raise_bad_batch(batch)
    if values is batch.values and step is batch.step and timestamp is batch.timestamp:
        return batch
    return MetricBatch(batch.run_id, values, timestamp, step, batch.step_run_id)


def _raise_bad_batch(batch: MetricBatch) -> NoReturn:
    for key in batch.values:
        if not isinstance(key, str) or not key.strip():
            raise InvalidRecordError(
                f"A metric name must be a non-empty string. Got {key!r} in a batch "
                f"of run {batch.run_id!r}."
            )
    records = [
        MetricRecord(batch.run_id, key, value, batch.timestamp, batch.step)
        for key, value in batch.values.items()
    ]
    metric_rows(records)  # raises InvalidRecordError naming the culprit
    raise AssertionError("unreachable: a batch failed to convert")  # pragma: no cover


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
    return RunNotFoundError(f"Run {run_id!r} not found.{_short(run_id)}", run_id=run_id)


def step_run_not_found(step_run_id: str) -> StepRunNotFoundError:
    """Return the error for an unknown step run id."""
    return StepRunNotFoundError(
        f"Step run {step_run_id!r} not found.", step_run_id=step_run_id
    )


def artifact_not_found(artifact_id: str) -> ArtifactNotFoundError:
    """Return the error for an unknown artifact id."""
    return ArtifactNotFoundError(
        f"Artifact {artifact_id!r} not found.{_short(artifact_id)}",
        artifact_id=artifact_id,
        reason="unknown_id",
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
    shown = ", ".join(sorted(candidates)[:SHOWN_CANDIDATES])
    more = ", ..." if len(candidates) > SHOWN_CANDIDATES else ""
    raise AmbiguousIdError(
        f"The {kind} id prefix {given!r} matches several {kind}s: {shown}{more}. "
        "Type more characters of the id."
    )


def _short(given: str) -> str:
    if len(given) < MIN_PREFIX:
        return f" An id prefix needs at least {MIN_PREFIX} characters."
    return ""
