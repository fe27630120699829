"""Scheduled refreshes: cron expressions, which datasets are due, refreshing them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from rung._internal.timeutil import now as _now
from rung.errors import InvalidDatasetError, RungError

if TYPE_CHECKING:
    from rung.catalog._refresh import RefreshResult
    from rung.catalog.records import DatasetRecord
    from rung.workspace import Workspace

__all__ = [
    "DueRefresh",
    "check_schedule",
    "due_datasets",
    "next_refresh",
    "refresh_due",
]


@dataclass(frozen=True, slots=True)
class DueRefresh:
    """What ``refresh_due`` did: one result or one error per due dataset."""

    results: list[RefreshResult] = field(default_factory=list)
    failures: dict[str, RungError] = field(default_factory=dict)


def check_schedule(schedule: str) -> None:
    """Raise InvalidDatasetError unless ``schedule`` is a valid cron expression.

    Example:
        >>> check_schedule("0 * * * *")
    """
    from croniter import croniter  # type: ignore[import-untyped]

    if not isinstance(schedule, str) or not croniter.is_valid(schedule):
        raise InvalidDatasetError(
            f"Invalid schedule {schedule!r}: not a cron expression. Use five fields "
            "'minute hour day month weekday', e.g. '0 * * * *' (hourly) or "
            "'30 2 * * 1' (Mondays at 02:30 UTC)."
        )


def next_refresh(dataset: DatasetRecord) -> float | None:
    """When the dataset's schedule next fires after its last refresh (UTC).

    None when the dataset has no schedule.
    """
    if not dataset.schedule:
        return None
    from croniter import croniter

    base = dataset.last_refreshed_at or dataset.created_at
    start = datetime.fromtimestamp(base, tz=UTC)
    fire: datetime = croniter(dataset.schedule, start).get_next(datetime)
    return fire.timestamp()


def due_datasets(workspace: Workspace, now: float | None = None) -> list[DatasetRecord]:
    """Datasets whose schedule fired since their last refresh.

    Args:
        workspace: the workspace.
        now: POSIX seconds to compare with (default: the current time).

    Returns:
        The due datasets, by name.

    Example:
        >>> [d.name for d in due_datasets(ws)]  # doctest: +SKIP
        ['claims']
    """
    when = _now() if now is None else now
    due = []
    for dataset in workspace.datasets.list_datasets():
        fire = next_refresh(dataset)
        if fire is not None and fire <= when:
            due.append(dataset)
    return due


def refresh_due(workspace: Workspace, now: float | None = None) -> DueRefresh:
    """Refresh every due dataset; a failing one does not stop the others.

    Example:
        >>> refresh_due(ws).failures  # doctest: +SKIP
        {}
    """
    from rung.catalog._refresh import refresh_dataset

    done = DueRefresh()
    for dataset in due_datasets(workspace, now):
        try:
            done.results.append(refresh_dataset(workspace, dataset.name))
        except RungError as exc:
            done.failures[dataset.name] = exc
    return done
