"""The warm start of a re-tuning round: the champion and the best past trials.

The champion is the model version an alias (``production``) points to; its
parameters are those of the run that trained it. A round narrows the search
space around them and evaluates them first, on today's data, followed by the
best trials of the model's earlier rounds that still fall in the narrowed
space.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rung.automation._studies import ROUND_ATTR

if TYPE_CHECKING:
    from optuna import Study

    from rung.automation._space import ParamRange
    from rung.workspace import Workspace

__all__ = ["Champion", "find_champion", "past_best", "warm_params"]


@dataclass(frozen=True, slots=True)
class Champion:
    """The version to beat and the parameters it was trained with.

    Attributes:
        version: its version number.
        run_id: the run that trained it (None: registered outside a run).
        params: its values of the searched parameters, moved into the space.
        value: its ``metric`` (registered with the version, else logged by
            its run); None when neither has it.
        notes: what could not be used, in words.
    """

    version: int
    run_id: str | None
    params: dict[str, Any] = field(default_factory=dict)
    value: float | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able, for the round's record."""
        return {
            "version": self.version,
            "run_id": self.run_id,
            "params": self.params,
            "value": self.value,
        }


def find_champion(
    workspace: Workspace,
    model: str,
    alias: str,
    metric: str,
    space: dict[str, ParamRange],
) -> Champion | None:
    """The version ``alias`` points to and its parameters; None if no alias."""
    try:
        record = workspace.models.get_model(workspace.project, model)
    except LookupError:
        return None
    number = record.aliases.get(alias)
    if number is None:
        return None
    version = workspace.models.get_model_version(workspace.project, model, number)
    run_params: dict[str, Any] = {}
    value = version.metrics.get(metric)
    if version.run_id is not None:
        run_params = dict(workspace.runs.get_run(version.run_id).params)
        if value is None:
            logged = workspace.runs.latest_metrics([version.run_id])
            value = logged.get(version.run_id, {}).get(metric)
    params, notes = _champion_params(run_params, space)
    return Champion(number, version.run_id, params, value, notes)


def _champion_params(
    run_params: dict[str, Any], space: dict[str, ParamRange]
) -> tuple[dict[str, Any], list[str]]:
    params: dict[str, Any] = {}
    notes: list[str] = []
    for name, searched in space.items():
        if name not in run_params:
            notes.append(f"the champion's run has no parameter {name!r}")
            continue
        value = searched.clip(run_params[name])
        if value is None:
            notes.append(
                f"the champion's {name}={run_params[name]!r} is not in the space"
            )
            continue
        if value != run_params[name]:
            notes.append(
                f"the champion's {name}={run_params[name]!r} is outside the space; "
                f"starting from {value!r}"
            )
        params[name] = value
    return params, notes


def past_best(study: Study, before: int, top: int) -> list[tuple[int, dict[str, Any]]]:
    """The ``top`` best completed trials of rounds before ``before``."""
    from optuna.study import StudyDirection
    from optuna.trial import TrialState

    sign = 1.0 if study.direction == StudyDirection.MAXIMIZE else -1.0
    done = [
        t
        for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if int(t.user_attrs.get(ROUND_ATTR, 0)) < before
    ]
    done.sort(key=lambda t: (-sign * float(t.value or 0.0), t.number))
    return [(t.number, dict(t.params)) for t in done[:top]]


def warm_params(
    champion: Champion | None,
    past: list[tuple[int, dict[str, Any]]],
    space: dict[str, ParamRange],
) -> list[tuple[str, dict[str, Any]]]:
    """What to evaluate first: ``(label, params)``, without repeats.

    The champion's parameters come first; a past trial comes next only if
    its values are all inside the (narrowed) space.
    """
    out: list[tuple[str, dict[str, Any]]] = []
    if champion is not None and champion.params:
        out.append(("champion", dict(champion.params)))
    for number, params in past:
        chosen = {k: v for k, v in params.items() if k in space}
        inside = all(space[k].contains(v) for k, v in chosen.items())
        if chosen and inside and all(chosen != p for _, p in out):
            out.append((f"trial {number}", chosen))
    return out
