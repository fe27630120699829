"""Feedback intake: which labels of a request are accepted, and why not the rest.

A label is accepted when

- it is a valid label for the model (see ``rung.serving._labels``): finite,
  in range, of the model's label type;
- its prediction id was issued: by this server (remembered in memory) or
  found in the model's prediction log;
- the id has no label yet, or the request says ``overwrite``; the label it
  replaces is then kept in the new row (``previous_label``), with who sent it
  and when.

Everything else is rejected with a reason per id; one bad label never stops
the others. The labels accepted recently are remembered (bounded) so that a
second label for an id still in the log's buffer is caught too.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rung._internal.timeutil import now
from rung.errors import InvalidInputError
from rung.serving._feedback import FeedbackEntry, new_feedback
from rung.serving._labels import check_label, label_family
from rung.serving._lookup import find_predictions, newest_labels

if TYPE_CHECKING:
    from rung.serving._ids import IssuedIds
    from rung.workspace import Workspace

__all__ = ["FeedbackIntake", "FeedbackResult", "Rejection"]

# Labels can only arrive after their prediction; allow this much clock skew
# between the machine that predicted and the one that received the label.
_SKEW_S = 300.0
_SHOWN = 10
_ALREADY = "already labelled"


@dataclass(frozen=True, slots=True)
class Rejection:
    """A label that was not accepted, and why."""

    prediction_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class FeedbackResult:
    """What became of one request's labels.

    Attributes:
        entry: the accepted labels, to buffer or write (None: none accepted).
        rejections: one per refused label, in request order.
    """

    entry: FeedbackEntry | None
    rejections: tuple[Rejection, ...] = ()

    @property
    def accepted(self) -> int:
        """How many labels were accepted."""
        return 0 if self.entry is None else len(self.entry.ids)

    def to_json(self) -> dict[str, Any]:
        """``{"accepted": n, "rejected": m, "rejections": [{id, reason}...]}``."""
        return {
            "accepted": self.accepted,
            "rejected": len(self.rejections),
            "rejections": [
                {"prediction_id": r.prediction_id, "reason": r.reason}
                for r in self.rejections
            ],
        }

    def raise_if_none_accepted(self) -> None:
        """Raise InvalidInputError listing every rejection when none was accepted."""
        if self.accepted or not self.rejections:
            return
        self.raise_rejections()

    def raise_rejections(self) -> None:
        """Raise InvalidInputError listing every rejection (if there is one)."""
        if not self.rejections:
            return
        lines = [f"{r.prediction_id}: {r.reason}" for r in self.rejections[:_SHOWN]]
        more = len(self.rejections) - _SHOWN
        if more > 0:
            lines.append(f"... and {more} more")
        problems: list[dict[str, object]] = [
            {"column": "label", "prediction_id": r.prediction_id, "problem": r.reason}
            for r in self.rejections
        ]
        labelled = any(r.reason.startswith(_ALREADY) for r in self.rejections)
        raise InvalidInputError(
            f"{len(self.rejections)} label(s) refused:\n  - " + "\n  - ".join(lines),
            problems,
            **({"reason": "already_labelled"} if labelled else {}),
        )


@dataclass(slots=True)
class _Review:
    ids: list[str]
    values: dict[int, Any] = field(default_factory=dict)
    reasons: dict[int, str] = field(default_factory=dict)
    issued_at: dict[int, float] = field(default_factory=dict)  # by this server
    previous: dict[int, Any] = field(default_factory=dict)

    def reject(self, i: int, reason: str) -> None:
        self.values.pop(i, None)
        self.reasons[i] = reason

    def pending(self) -> list[int]:
        return sorted(self.values)


class FeedbackIntake:
    """Decides which labels of a model to accept (one per server, or per call).

    Args:
        workspace: whose prediction log knows the ids and their labels.
        model: the model the labels are for.
        issued: ids this server handed out (checked before the log).
        deployment_id: stamped on the accepted labels.
        remember: how many recently accepted ids to keep in memory.

    Example:
        >>> intake = FeedbackIntake(ws, "churn")  # doctest: +SKIP
        >>> intake.review(["9f3c...000000000001"], [1]).to_json()  # doctest: +SKIP
        {'accepted': 1, 'rejected': 0, 'rejections': []}
    """

    def __init__(
        self,
        workspace: Workspace,
        model: str,
        *,
        issued: IssuedIds | None = None,
        deployment_id: str | None = None,
        remember: int = 100_000,
    ) -> None:
        self.workspace = workspace
        self.model = model
        self.issued = issued
        self.deployment_id = deployment_id
        self.remember = remember
        self._labelled: OrderedDict[str, Any] = OrderedDict()
        self._family: str | None = None
        self._lock = threading.Lock()

    def review(
        self,
        ids: list[str],
        labels: list[Any],
        *,
        overwrite: bool = False,
        kind: str | None = None,
        user: str = "",
        received_at: float | None = None,
    ) -> FeedbackResult:
        """Check every label; return the accepted ones (as an entry) and the rest.

        Args:
            ids / labels: the request's labels, in order.
            overwrite: replace labels the ids already have.
            kind: the model's label type (see ``label_kind``); None: unknown.
            user: who sends them (recorded).
            received_at: when they arrived (default: now).
        """
        review = _Review(ids)
        self._check_values(review, labels, kind)
        self._check_issued(review)
        self._check_labelled(review, overwrite)
        with self._lock:
            self._check_concurrent(review, overwrite)
            entry = self._entry(review, user, received_at)
            if entry is not None:
                self._remember(entry)
        rejections = tuple(
            Rejection(ids[i], reason) for i, reason in sorted(review.reasons.items())
        )
        return FeedbackResult(entry, rejections)

    def _check_values(
        self, review: _Review, labels: list[Any], kind: str | None
    ) -> None:
        seen: set[str] = set()
        family = self._family
        for i, (pid, label) in enumerate(zip(review.ids, labels, strict=True)):
            value, why = check_label(label, kind)
            if why is None and pid in seen:
                why = "given more than once in this request: send each id once"
            if why is None and kind is None:
                family = family or label_family(value)
                if label_family(value) != family:
                    why = (
                        f"labels of {self.model} are {family}s, got "
                        f"{label_family(value)} {value!r}: send one type"
                    )
            seen.add(pid)
            if why is None:
                review.values[i] = value
            else:
                review.reasons[i] = f"invalid label: {why}"

    def _check_issued(self, review: _Review) -> None:
        unknown = []
        for i in review.pending():
            at = None if self.issued is None else self.issued.issued_at(review.ids[i])
            if at is None:
                unknown.append(i)
            else:
                review.issued_at[i] = at
        found = find_predictions(
            self.workspace, [review.ids[i] for i in unknown], model=self.model
        )
        for i in unknown:
            batch = found.get(review.ids[i])
            if batch is None:
                review.reject(
                    i,
                    f"unknown prediction id: no prediction of {self.model!r} has it "
                    "(an id is known once /predict answered it; another server's "
                    "ids once its log batch is written)",
                )

    def _check_labelled(self, review: _Review, overwrite: bool) -> None:
        pending = review.pending()
        with self._lock:
            for i in pending:
                if review.ids[i] in self._labelled:
                    review.previous[i] = self._labelled[review.ids[i]]
        rest = [i for i in pending if i not in review.previous]
        if rest:
            # Ids this server issued were labelled after it issued them: read
            # only the newer feedback files. Older ids may carry backfilled
            # labels of any date: read them all.
            since = (
                min(review.issued_at[i] for i in rest) - _SKEW_S
                if all(i in review.issued_at for i in rest)
                else None
            )
            stored = newest_labels(
                self.workspace, self.model, [review.ids[i] for i in rest], since=since
            )
            for i in rest:
                if review.ids[i] in stored:
                    review.previous[i] = stored[review.ids[i]]
        if not overwrite:
            for i in pending:
                if i in review.previous:
                    review.reject(i, _labelled_already(review.previous[i]))

    def _check_concurrent(self, review: _Review, overwrite: bool) -> None:
        # Another request may have labelled an id since it was checked.
        for i in review.pending():
            pid = review.ids[i]
            if pid in self._labelled and i not in review.previous:
                if overwrite:
                    review.previous[i] = self._labelled[pid]
                else:
                    review.reject(i, _labelled_already(self._labelled[pid]))

    def _entry(
        self, review: _Review, user: str, received_at: float | None
    ) -> FeedbackEntry | None:
        accepted = review.pending()
        if not accepted:
            return None
        values = [review.values[i] for i in accepted]
        if {type(v) for v in values} == {int, float}:
            values = [float(v) for v in values]
        if self._family is None:
            self._family = label_family(values[0])
        return new_feedback(
            self.model,
            [review.ids[i] for i in accepted],
            values,
            received_at=now() if received_at is None else received_at,
            deployment_id=self.deployment_id,
            user=user,
            previous=[
                json.dumps(review.previous[i], default=str)
                if i in review.previous
                else None
                for i in accepted
            ],
        )

    def _remember(self, entry: FeedbackEntry) -> None:
        for pid, label in zip(entry.ids, entry.labels, strict=True):
            self._labelled[pid] = label
            self._labelled.move_to_end(pid)
        while len(self._labelled) > self.remember:
            self._labelled.popitem(last=False)


def _labelled_already(label: Any) -> str:
    return f'{_ALREADY} ({label!r}): send "overwrite": true to replace it'
