"""Evaluating promotion gates: each gate becomes a :class:`GateCheck`.

Pure functions over records: the caller reads the candidate, the champion,
the approvals and the roles, and decides what to do with failures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rung.registry._signature import signature_problems

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from rung.registry._gates import AliasGates, ApprovalRule, MetricCondition
    from rung.registry.records import ApprovalRecord, ModelVersionRecord, RoleRecord

__all__ = ["GateCheck", "evaluate_gates", "format_number"]

_NEGATION = {">=": "<", ">": "<=", "<=": ">", "<": ">=", "==": "!=", "!=": "=="}


@dataclass(frozen=True, slots=True)
class GateCheck:
    """The outcome of one gate.

    Attributes:
        gate: what was checked (``accuracy >= 0.90``, ``signature``,
            ``approvals``).
        passed: whether it passed.
        detail: the numbers, e.g. ``accuracy 0.87 < 0.90``.
    """

    gate: str
    passed: bool
    detail: str


def format_number(value: float) -> str:
    """Up to six significant digits: ``0.87``, ``0.958042``, ``1200``."""
    return f"{value:.6g}"


def evaluate_gates(
    gates: AliasGates,
    candidate: ModelVersionRecord,
    champion: ModelVersionRecord | None,
    approvals: Sequence[ApprovalRecord] = (),
    roles: Sequence[RoleRecord] = (),
) -> list[GateCheck]:
    """Check every gate of an alias for a candidate version.

    Args:
        gates: the alias' gates.
        candidate: the version to promote.
        champion: the version the alias points to now (None if unassigned).
        approvals: decisions recorded for this version and alias.
        roles: the project's role grants.

    Returns:
        One check per metric condition, then signature, then approvals.
    """
    checks = [_metric(c, candidate, champion) for c in gates.metrics]
    if gates.signature:
        checks.append(_signature(candidate, champion))
    if gates.approvals is not None:
        checks.append(_approvals(gates.approvals, approvals, roles))
    return checks


def _metric(
    condition: MetricCondition,
    candidate: ModelVersionRecord,
    champion: ModelVersionRecord | None,
) -> GateCheck:
    name, text = condition.metric, condition.text
    value = candidate.metrics.get(name)
    if value is None or math.isnan(value):
        known = ", ".join(sorted(candidate.metrics)) or "none"
        return GateCheck(
            text,
            False,
            f"version {candidate.version} has no metric {name!r} (its metrics: "
            f"{known}); register it with that metric",
        )
    if condition.threshold is not None:
        bound, right = condition.threshold, text.split(condition.op, 1)[1].strip()
    else:
        if champion is None:
            return GateCheck(text, True, "no champion yet: nothing to compare with")
        theirs = champion.metrics.get(condition.champion_metric or "")
        if theirs is None or math.isnan(theirs):
            return GateCheck(
                text,
                False,
                f"champion version {champion.version} has no metric "
                f"{condition.champion_metric!r} to compare with",
            )
        bound = theirs + condition.offset
        right = (
            f"{text.split(condition.op, 1)[1].strip()} = {format_number(bound)} "
            f"(champion v{champion.version})"
        )
    holds = condition.holds(value, bound)
    op = condition.op if holds else _NEGATION[condition.op]
    return GateCheck(text, holds, f"{name} {format_number(value)} {op} {right}")


def _signature(
    candidate: ModelVersionRecord, champion: ModelVersionRecord | None
) -> GateCheck:
    if candidate.signature is None:
        return GateCheck(
            "signature",
            False,
            f"version {candidate.version} has no signature; register it with "
            "signature=... or from a run whose training data is a DataFrame",
        )
    if champion is None:
        return GateCheck("signature", True, "no champion yet: nothing to compare with")
    if champion.signature is None:
        return GateCheck(
            "signature",
            False,
            f"champion version {champion.version} has no signature to compare with",
        )
    problems = signature_problems(candidate.signature, champion.signature)
    if problems:
        detail = f"incompatible with champion v{champion.version}: " + "; ".join(
            problems
        )
        return GateCheck("signature", False, detail)
    columns = len(candidate.signature)
    detail = f"{columns} columns compatible with champion v{champion.version}"
    return GateCheck("signature", True, detail)


def _approvals(
    rule: ApprovalRule,
    decisions: Iterable[ApprovalRecord],
    roles: Iterable[RoleRecord],
) -> GateCheck:
    holders = {r.user for r in roles if r.role == rule.role}
    latest = {d.user: d for d in decisions if d.user in holders}  # last one wins
    rejected = [d for d in latest.values() if d.decision == "reject"]
    approved = sorted(u for u, d in latest.items() if d.decision == "approve")
    gate = f"approvals ({rule.count} x {rule.role})"
    if rejected:
        reasons = "; ".join(
            f"{d.user}" + (f": {d.comment}" if d.comment else "") for d in rejected
        )
        return GateCheck(gate, False, f"rejected by role {rule.role!r}: {reasons}")
    plural = "" if rule.count == 1 else "s"
    if len(approved) < rule.count:
        return GateCheck(
            gate,
            False,
            f"needs {rule.count} approval{plural} from role {rule.role!r}, "
            f"has {len(approved)}",
        )
    who = ", ".join(approved)
    return GateCheck(gate, True, f"approved by {who} (role {rule.role!r})")
