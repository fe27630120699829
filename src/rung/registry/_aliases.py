"""Moving aliases: promotion through gates, approvals, rollback.

A promotion reads the alias' current version (the champion), evaluates the
gates against it and moves the alias only if it still points there
(compare-and-set in the store): a concurrent promotion that won in between
makes this one fail with ``RegistryConflictError`` instead of skipping gates
that were checked against a stale champion.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from rung.errors import (
    ApprovalRefusedError,
    ModelVersionNotFoundError,
    PromotionRefusedError,
)
from rung.registry._checks import GateCheck, evaluate_gates
from rung.registry._gates import Gates, parse_gates
from rung.registry._refs import check_alias, note
from rung.registry.records import ApprovalRecord

if TYPE_CHECKING:
    from rung.registry.records import (
        AliasRecord,
        ModelVersionRecord,
        RegistryEventRecord,
    )
    from rung.workspace import Workspace

__all__ = [
    "approve_promotion",
    "check_promotion",
    "get_gates",
    "promote_model",
    "reject_promotion",
    "rollback_model",
    "set_gates",
]


def set_gates(
    workspace: Workspace,
    name: str,
    gates: Gates | Mapping[str, Any],
    *,
    comment: str = "",
) -> Gates:
    """Replace the promotion gates of model ``name`` (audited).

    Args:
        workspace: where the model is registered.
        name: the model.
        gates: ``Gates`` or a mapping alias -> gates (see ``parse_gates``);
            an empty mapping removes every gate.
        comment: why.

    Raises:
        ModelNotFoundError: unknown model.
        GateDefinitionError: malformed gates (nothing changes).

    Example:
        >>> gates = {"production": {"metrics": ["accuracy >= 0.9"]}}
        >>> set_gates(ws, "churn", gates)  # doctest: +SKIP
    """
    parsed = gates if isinstance(gates, Gates) else parse_gates(gates)
    data = parsed.to_dict()
    workspace.models.update_model(
        workspace.project,
        name,
        {"gates": data},
        note(workspace, "set_gates", comment, data),
    )
    return parsed


def get_gates(workspace: Workspace, name: str) -> Gates:
    """The promotion gates of model ``name`` (empty when none are set)."""
    model = workspace.models.get_model(workspace.project, name)
    return parse_gates(dict(model.gates))


def check_promotion(
    workspace: Workspace, name: str, version: int, alias: str
) -> list[GateCheck]:
    """Evaluate the gates of ``alias`` for ``version`` now, without moving it."""
    return _evaluate(workspace, name, version, check_alias(alias))[0]


def promote_model(
    workspace: Workspace,
    name: str,
    version: int,
    alias: str,
    *,
    comment: str = "",
    details: Mapping[str, Any] | None = None,
) -> AliasRecord:
    """Point ``alias`` at ``version`` once every gate of the alias passes.

    Promoting the version the alias already points to changes nothing. A
    promotion refused by its gates leaves the alias where it was and is
    audited as a ``promote_refused`` event holding every gate's numbers.
    ``details`` (JSON-able) are added to the audit event's details, beside
    the gate results: automation records why it promoted (a comparison id).

    Raises:
        ModelNotFoundError / ModelVersionNotFoundError: unknown model or version.
        PromotionRefusedError: the version is archived, or gates failed (the
            message names each failing gate with its numbers).
        RegistryConflictError: another change moved the alias meanwhile.

    Example:
        >>> promote_model(ws, "churn", 3, "production")  # doctest: +SKIP
    """
    check_alias(alias)
    checks, candidate, current = _evaluate(workspace, name, version, alias)
    if current == version:
        return next(
            a
            for a in workspace.models.list_aliases(workspace.project, name)
            if a.alias == alias
        )
    failed = [c for c in checks if not c.passed]
    if failed:
        _audit_refusal(
            workspace, name, version, alias, checks, comment=comment, details=details
        )
        lines = "\n".join(f"  - {c.detail}" for c in failed)
        raise PromotionRefusedError(
            f"Cannot promote model {name!r} version {version} to {alias!r}: "
            f"{len(failed)} gate(s) failed:\n{lines}\nNothing changed.",
            model=name,
            version=version,
            alias=alias,
            reason="gates_failed",
        )
    audit = {
        **dict(details or {}),
        "gates": [{"gate": c.gate, "detail": c.detail} for c in checks],
    }
    return workspace.models.move_alias(
        workspace.project,
        name,
        alias,
        candidate.version,
        expected=current,
        note=note(workspace, "promote", comment, audit),
    )


def approve_promotion(
    workspace: Workspace,
    name: str,
    version: int,
    alias: str,
    *,
    comment: str = "",
) -> ApprovalRecord:
    """Record the workspace user's approval of moving ``alias`` to ``version``.

    It counts toward the alias' approvals gate while the user holds the gate's
    role, so only a holder of that role may approve.

    Raises:
        ApprovalRefusedError: the alias has no approvals gate, or the user
            does not hold its role (nothing is recorded).
        PromotionRefusedError: the version is archived.

    Example:
        >>> approve_promotion(ws, "churn", 3, "production")  # doctest: +SKIP
    """
    return _decide(workspace, name, version, alias, "approve", comment=comment)


def reject_promotion(
    workspace: Workspace,
    name: str,
    version: int,
    alias: str,
    *,
    comment: str = "",
) -> ApprovalRecord:
    """Record a rejection: it blocks the approvals gate until the user approves.

    Like an approval, it needs the role of the alias' approvals gate.

    Raises:
        ApprovalRefusedError: the alias has no approvals gate, or the user
            does not hold its role (nothing is recorded).
    """
    return _decide(workspace, name, version, alias, "reject", comment=comment)


def rollback_model(
    workspace: Workspace,
    name: str,
    alias: str,
    *,
    to: int | None = None,
    comment: str = "",
    details: Mapping[str, Any] | None = None,
) -> AliasRecord:
    """Move ``alias`` back to the version it pointed to before.

    Repeated rollbacks walk further back through the alias' history; ``to``
    reinstates a chosen version instead. Gates are not checked (a rollback
    restores a version that was trusted before), archived versions are refused.
    ``details`` (JSON-able) are added to the audit event's details (the
    evidence behind an automatic rollback).

    Raises:
        ModelVersionNotFoundError: the alias is unset, has no earlier version,
            or ``to`` is not a version.
        PromotionRefusedError: the target version is archived.
        RegistryConflictError: another change moved the alias meanwhile.
    """
    model = workspace.models.get_model(workspace.project, name)
    current = model.aliases.get(check_alias(alias))
    if current is None:
        raise ModelVersionNotFoundError(
            f"Model {name!r} has no alias {alias!r}, so there is nothing to roll "
            f"back. Its aliases: {sorted(model.aliases) or 'none'}."
        )
    events = workspace.models.list_registry_events(
        workspace.project, model=name, alias=alias
    )
    stack = alias_stack(events, current)
    target = to if to is not None else (stack[-2] if len(stack) > 1 else None)
    if target is None:
        raise ModelVersionNotFoundError(
            f"Alias {alias!r} of model {name!r} has no earlier version to roll back "
            f"to (its history: {_versions(stack)}). Pass a version with "
            "--to VERSION (to=...)."
        )
    if target == current:
        raise ModelVersionNotFoundError(
            f"Alias {alias!r} of model {name!r} already points to version {target}; "
            f"nothing to roll back. Its history: {_versions(stack)}."
        )
    workspace.models.get_model_version(workspace.project, name, target)
    audit = {**dict(details or {}), "stack": stack}
    return workspace.models.move_alias(
        workspace.project,
        name,
        alias,
        target,
        expected=current,
        note=note(workspace, "rollback", comment, audit),
    )


def alias_stack(events: list[RegistryEventRecord], current: int) -> list[int]:
    """Replay an alias' promotions and rollbacks into a stack of versions.

    A promotion pushes its version; a rollback pops back to the last time the
    stack held its target (or pushes it, for a version never there). The top
    is where the alias points now; the entry below is where a rollback goes.
    """
    stack: list[int] = []
    for event in events:
        target = event.to_version
        if target is None or event.action not in ("promote", "rollback"):
            continue
        if event.action == "rollback" and target in stack:
            del stack[len(stack) - stack[::-1].index(target) :]
        else:
            stack.append(target)
    if not stack or stack[-1] != current:
        stack.append(current)  # history predates this log: start from now
    return stack


def _evaluate(
    ws: Workspace, name: str, version: int, alias: str
) -> tuple[list[GateCheck], ModelVersionRecord, int | None]:
    model = ws.models.get_model(ws.project, name)
    candidate = ws.models.get_model_version(ws.project, name, version)
    if candidate.is_archived:
        raise PromotionRefusedError(
            f"Cannot promote model {name!r} version {version} to {alias!r}: the "
            "version is archived.",
            model=name,
            version=version,
            reason="archived",
        )
    current = model.aliases.get(alias)
    gates = parse_gates(dict(model.gates)).for_alias(alias)
    if gates.is_empty or current == version:
        return [], candidate, current
    champion = (
        None
        if current is None
        else ws.models.get_model_version(ws.project, name, current)
    )
    approvals, roles = [], []
    if gates.approvals is not None:
        approvals = ws.models.list_approvals(
            ws.project, name, version=version, alias=alias
        )
        roles = ws.models.list_roles(ws.project)
    return (
        evaluate_gates(gates, candidate, champion, approvals, roles),
        candidate,
        current,
    )


def _decide(
    ws: Workspace,
    name: str,
    version: int,
    alias: str,
    decision: str,
    *,
    comment: str,
) -> ApprovalRecord:
    from rung._internal.timeutil import now

    check_alias(alias)
    target = ws.models.get_model_version(ws.project, name, version)
    if target.is_archived:
        raise PromotionRefusedError(
            f"Version {version} of model {name!r} is archived: there is no "
            f"promotion to {decision}.",
            model=name,
            version=version,
            reason="archived_decision",
        )
    _check_approver(ws, name, version, alias, decision=decision)
    record = ApprovalRecord(
        name, version, alias, ws.project, ws.user, decision, now(), comment or ""
    )
    return ws.models.add_approval(record)


def _audit_refusal(
    ws: Workspace,
    name: str,
    version: int,
    alias: str,
    checks: list[GateCheck],
    *,
    comment: str,
    details: Mapping[str, Any] | None = None,
) -> None:
    """Keep a refused promotion in the audit log, with every gate's numbers."""
    gates = [{"gate": c.gate, "passed": c.passed, "detail": c.detail} for c in checks]
    audit = note(
        ws, "promote_refused", comment, {**dict(details or {}), "gates": gates}
    )
    ws.models.add_registry_event(ws.project, name, audit, version=version, alias=alias)


def _check_approver(
    ws: Workspace,
    name: str,
    version: int,
    alias: str,
    *,
    decision: str,
) -> None:
    """Refuse a decision that would not count toward the approvals gate."""
    rule = get_gates(ws, name).for_alias(alias).approvals
    if rule is None:
        raise ApprovalRefusedError(
            f"Alias {alias!r} of model {name!r} has no approvals gate, so "
            f"{ws.user!r}'s {decision} of version {version} would not count; "
            "nothing was recorded. Add an approvals gate to the alias (e.g. "
            f"'{alias}: {{approvals: {{role: reviewer, count: 1}}}}' in its "
            "gates), or promote without approval.",
            model=name,
            version=version,
            alias=alias,
            reason="no_approvals_gate",
        )
    held = {r.role for r in ws.models.list_roles(ws.project, user=ws.user)}
    if rule.role in held:
        return
    raise ApprovalRefusedError(
        f"User {ws.user!r} cannot {decision} version {version} of model {name!r} "
        f"for {alias!r}: the approvals gate counts only users holding role "
        f"{rule.role!r}, and {ws.user!r} does not; nothing was recorded. Grant "
        "it (rung.registry.grant_role), or act as a user who holds it "
        "(RUNG_USER=NAME).",
        model=name,
        version=version,
        alias=alias,
        user=ws.user,
        role=rule.role,
        reason="approver_role",
    )


def _versions(stack: list[int]) -> str:
    return " -> ".join(f"v{n}" for n in stack)
