"""The model registry: versions, aliases, promotion gates, approvals, rollback.

Register a model from a pipeline run (or an object, or an artifact id), move
aliases such as ``staging`` and ``production`` through gates, roll back, and
load by URI. Every change is an audited event.

Every function takes the workspace first; ``rung.register_model``,
``rung.load_model`` and ``rung.promote_model`` use the default workspace.

Example:
    >>> import rung
    >>> from rung.registry import promote_model, register_model
    >>> ws = rung.open_workspace()  # doctest: +SKIP
    >>> run = training(C=0.5)  # doctest: +SKIP
    >>> v = register_model(ws, run, name="churn", step="train")  # doctest: +SKIP
    >>> promote_model(ws, "churn", v.version, "production")  # doctest: +SKIP
    >>> model = rung.load_model("churn@production")  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rung._internal.lazy import lazy_exports as _lazy_exports

__all__ = [
    "LATEST",
    "AliasGates",
    "AliasRecord",
    "ApprovalRecord",
    "ApprovalRule",
    "GateCheck",
    "Gates",
    "MetricCondition",
    "ModelCard",
    "ModelRecord",
    "ModelRef",
    "ModelVersionRecord",
    "RegistryEventRecord",
    "RoleRecord",
    "Signature",
    "SignatureColumn",
    "VersionComparison",
    "alias_stack",
    "approve_promotion",
    "archive_version",
    "check_promotion",
    "compare_versions",
    "evaluate_gates",
    "get_gates",
    "get_model",
    "get_version",
    "grant_role",
    "infer_signature",
    "list_models",
    "list_roles",
    "list_versions",
    "load_gates_file",
    "load_model",
    "model_history",
    "parse_condition",
    "parse_gates",
    "parse_model_uri",
    "promote_model",
    "register_model",
    "register_model_step",
    "reject_promotion",
    "resolve_model",
    "restore_version",
    "revoke_role",
    "rollback_model",
    "set_gates",
    "signature_problems",
    "type_kind",
]

# Each name's submodule is imported on first use: a command that needs one
# function does not pay for the whole package.
__getattr__, __dir__ = _lazy_exports(
    __name__,
    {
        "rung.registry._aliases": (
            "alias_stack",
            "approve_promotion",
            "check_promotion",
            "get_gates",
            "promote_model",
            "reject_promotion",
            "rollback_model",
            "set_gates",
        ),
        "rung.registry._card": ("ModelCard",),
        "rung.registry._checks": ("GateCheck", "evaluate_gates"),
        "rung.registry._gates": (
            "AliasGates",
            "ApprovalRule",
            "Gates",
            "MetricCondition",
            "load_gates_file",
            "parse_condition",
            "parse_gates",
        ),
        "rung.registry._load": ("load_model", "resolve_model"),
        "rung.registry._models": (
            "VersionComparison",
            "archive_version",
            "compare_versions",
            "get_model",
            "get_version",
            "grant_role",
            "list_models",
            "list_roles",
            "list_versions",
            "model_history",
            "restore_version",
            "revoke_role",
        ),
        "rung.registry._refs": ("LATEST", "ModelRef", "parse_model_uri"),
        "rung.registry._register": ("register_model",),
        "rung.registry._signature": (
            "Signature",
            "infer_signature",
            "signature_problems",
            "type_kind",
        ),
        "rung.registry._step": ("register_model_step",),
        "rung.registry.records": (
            "AliasRecord",
            "ApprovalRecord",
            "ModelRecord",
            "ModelVersionRecord",
            "RegistryEventRecord",
            "RoleRecord",
            "SignatureColumn",
        ),
    },
)

if TYPE_CHECKING:
    from rung.registry._aliases import (
        alias_stack,
        approve_promotion,
        check_promotion,
        get_gates,
        promote_model,
        reject_promotion,
        rollback_model,
        set_gates,
    )
    from rung.registry._card import ModelCard
    from rung.registry._checks import GateCheck, evaluate_gates
    from rung.registry._gates import (
        AliasGates,
        ApprovalRule,
        Gates,
        MetricCondition,
        load_gates_file,
        parse_condition,
        parse_gates,
    )
    from rung.registry._load import load_model, resolve_model
    from rung.registry._models import (
        VersionComparison,
        archive_version,
        compare_versions,
        get_model,
        get_version,
        grant_role,
        list_models,
        list_roles,
        list_versions,
        model_history,
        restore_version,
        revoke_role,
    )
    from rung.registry._refs import LATEST, ModelRef, parse_model_uri
    from rung.registry._register import register_model
    from rung.registry._signature import (
        Signature,
        infer_signature,
        signature_problems,
        type_kind,
    )
    from rung.registry._step import register_model_step
    from rung.registry.records import (
        AliasRecord,
        ApprovalRecord,
        ModelRecord,
        ModelVersionRecord,
        RegistryEventRecord,
        RoleRecord,
        SignatureColumn,
    )
