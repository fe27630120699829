"""The frozen window of a comparison: labelled production rows, pinned down.

The window is the prediction log joined with its feedback labels, for one
model (and optionally one deployment), between ``since`` and ``until``. It
is frozen by its bounds, its row count and a SHA-256 over the joined
prediction ids and labels, in id order: the record says exactly which rows
both models were scored on, and a later replay can check it saw the same.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rung._internal.timeutil import format_time
from rung.automation.errors import ChallengerDataError, ChallengerError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from rung.workspace import Workspace

__all__ = ["FrozenWindow", "WindowSpec", "content_hash", "read_window"]

WindowSpec = str | float | tuple[float, float]
"""``"7d"`` (up to now), seconds, or ``(since, until)`` in POSIX seconds."""


@dataclass(frozen=True, slots=True)
class FrozenWindow:
    """The labelled rows of a window and what identifies them.

    Attributes:
        frame: the labelled rows, ordered by prediction id.
        labels: their labels.
        info: ``since``, ``until``, ``span``, ``deployment``,
            ``deployment_ids``, ``rows`` (logged), ``labelled_rows``,
            ``content_hash``, ``first_id``, ``last_id``.
    """

    frame: pd.DataFrame
    labels: np.ndarray
    info: dict[str, Any] = field(default_factory=dict)


def read_window(
    workspace: Workspace,
    model: str,
    window: WindowSpec,
    *,
    deployment: str | None,
    now: float,
    min_rows: int,
) -> FrozenWindow:
    """Read and freeze the labelled rows of ``model`` in ``window``.

    Raises:
        ChallengerDataError: no labelled rows, or fewer than ``min_rows``.
        ChallengerError: an unknown deployment or an unreadable window.
    """
    since, until, span = _bounds(window, now)
    dep_ids, dep_name = _deployments(workspace, model, deployment)
    logged = _logged(workspace, model, since, until, dep_ids)
    labelled = logged[logged["label"].notna()] if "label" in logged else logged[:0]
    where = f"deployment {dep_name!r}" if dep_name else f"model {model!r}"
    if labelled.empty:
        raise ChallengerDataError(
            f"No feedback labels in the last {span} for {where} ({len(logged)} "
            "prediction(s) logged, none labelled): load labels with the feedback "
            "API first (POST /feedback on the deployment, or "
            "rung.serving.log_feedback), or widen the window."
        )
    if len(labelled) < min_rows:
        raise ChallengerDataError(
            f"Only {len(labelled)} labelled row(s) in the last {span} for {where}; "
            f"a comparison needs at least {min_rows} (min_rows={min_rows}). Wait "
            "for more feedback, widen the window, or lower min_rows."
        )
    frame = labelled.sort_values("prediction_id", kind="stable").reset_index(drop=True)
    labels = frame["label"].to_numpy()
    ids = frame["prediction_id"].astype(str).tolist()
    info = {
        "since": since,
        "until": until,
        "span": span,
        "deployment": dep_name,
        "deployment_ids": dep_ids,
        "rows": len(logged),
        "labelled_rows": len(frame),
        "content_hash": content_hash(ids, labels.tolist()),
        "first_id": ids[0],
        "last_id": ids[-1],
    }
    return FrozenWindow(frame, labels, info)


def content_hash(ids: list[str], labels: list[Any]) -> str:
    """SHA-256 over ``id<TAB>label`` lines, in the given order.

    Labels are written as the log's readers compare them: ``1``, ``1.0`` and
    ``True``/``true`` are one label each way they can be sent.
    """
    digest = hashlib.sha256()
    for pid, label in zip(ids, labels, strict=True):
        digest.update(f"{pid}\t{_label_text(label)}\n".encode())
    return digest.hexdigest()


def _label_text(value: Any) -> str:
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _bounds(window: WindowSpec, now: float) -> tuple[float, float, str]:
    from rung.monitoring import parse_window

    if isinstance(window, tuple):
        since, until = (float(x) for x in window)
        if since >= until:
            raise ChallengerError(
                f"The window {window!r} ends before it starts: give (since, until) "
                "with since < until (POSIX seconds)."
            )
        return since, until, f"window {format_time(since)} - {format_time(until)}"
    seconds = float(parse_window(window)["seconds"])
    span = window if isinstance(window, str) else f"{seconds:g}s"
    return now - seconds, now, str(span)


def _logged(
    workspace: Workspace,
    model: str,
    since: float,
    until: float,
    deployment_ids: list[str] | None,
) -> pd.DataFrame:
    import pandas as pd

    from rung.serving import read_predictions

    if deployment_ids is None:
        return read_predictions(workspace, model, since=since, until=until)
    parts = [
        read_predictions(workspace, model, since=since, until=until, deployment_id=d)
        for d in deployment_ids
    ]
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]


def _deployments(
    workspace: Workspace, model: str, given: str | None
) -> tuple[list[str] | None, str | None]:
    """The ids behind a deployment a user named, and its name.

    A name covers every deployment record of that name (each restart of
    ``rung serve`` makes one); an id or a unique prefix names one.
    """
    if given is None:
        return None, None
    found = workspace.deployments.list_deployments(
        project=workspace.project, model=model, limit=None
    )
    named = [d for d in found if d.name == given]
    if not named:
        named = [d for d in found if len(given) >= 4 and d.id.startswith(given)][:1]
    if not named:
        known = ", ".join(sorted({d.name for d in found})) or "none"
        raise ChallengerError(
            f"Model {model!r} has no deployment {given!r} (its deployments: "
            f"{known}). Give a deployment's name or id, or leave it out to use "
            "every logged row of the model.",
            model=model,
            deployment=given,
            reason="unknown_deployment",
        )
    return [d.id for d in named], named[0].name
