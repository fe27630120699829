"""Governance: residency and classification policies, enforced and audited.

Datasets carry classification tags (``pii``, ``health``...) and a residency
region; both flow downstream through lineage to artifacts, runs and model
versions (:func:`classifications_of`). Policies, written in YAML and stored
as numbered versions in the workspace, say where governed data may be
processed and what must happen to it before it leaves:

.. code-block:: yaml

    policies:
      - name: ca-health-stays-in-ca
        match: {tags: [health], region: CA}
        allow_regions: [CA]
      - name: pii-hashed-before-egress
        match: {tags: [pii]}
        egress: drop_or_hash

A pipeline that would break one is refused before it runs
(:func:`check_plan`); a dataset read or a step input that breaks one while
running stops the step (:func:`check_read`, :func:`check_step_inputs`);
every other read of an artifact or a model (``rung.load_artifact``,
``load_model``, exports, serving, batch scoring) is judged by
:func:`check_artifact_read`; other domains call :func:`check_flow`. Every
decision is audited (:func:`audit_log`).

Example:
    >>> import rung.governance as gov
    >>> gov.apply_policy_file(ws, "policies.yaml")  # doctest: +SKIP
    >>> gov.explain_plan(ws, training.plan()).allowed  # doctest: +SKIP
    False
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = [
    "AppliedPolicies",
    "Classification",
    "DataSource",
    "Location",
    "NodeReport",
    "PlanReport",
    "Policy",
    "PolicyDocument",
    "PolicyMatch",
    "PolicySet",
    "RuleResult",
    "active_policies",
    "apply_policies",
    "apply_policy_file",
    "audit_log",
    "check_artifact_read",
    "check_flow",
    "check_plan",
    "check_read",
    "check_step_inputs",
    "classifications_of",
    "explain_plan",
    "get_policies",
    "hash_columns",
    "is_hashed",
    "list_policy_sets",
    "load_policy_file",
    "parse_policies",
    "policies_from_dict",
]

# PEP 562: the checks are registered by name ("rung.governance:check_plan");
# importing the package stays cheap, pydantic and YAML load on first use.
_LAZY = {
    "AppliedPolicies": "rung.governance._policies",
    "Classification": "rung.governance._classify",
    "DataSource": "rung.governance._classify",
    "Location": "rung.governance._evaluate",
    "NodeReport": "rung.governance._plan",
    "PlanReport": "rung.governance._plan",
    "Policy": "rung.governance._model",
    "PolicyDocument": "rung.governance._model",
    "PolicyMatch": "rung.governance._model",
    "PolicySet": "rung.governance._policies",
    "RuleResult": "rung.governance._evaluate",
    "active_policies": "rung.governance._policies",
    "apply_policies": "rung.governance._policies",
    "apply_policy_file": "rung.governance._policies",
    "audit_log": "rung.governance._audit",
    "check_artifact_read": "rung.governance._artifact_reads",
    "check_flow": "rung.governance._runtime",
    "check_plan": "rung.governance._plan",
    "check_read": "rung.governance._runtime",
    "check_step_inputs": "rung.governance._runtime",
    "classifications_of": "rung.governance._lineage",
    "explain_plan": "rung.governance._plan",
    "get_policies": "rung.governance._policies",
    "hash_columns": "rung.governance._egress",
    "is_hashed": "rung.governance._egress",
    "list_policy_sets": "rung.governance._policies",
    "load_policy_file": "rung.governance._parse",
    "parse_policies": "rung.governance._parse",
    "policies_from_dict": "rung.governance._parse",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'rung.governance' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:
    from rung.governance._artifact_reads import check_artifact_read
    from rung.governance._audit import audit_log
    from rung.governance._classify import Classification, DataSource
    from rung.governance._egress import hash_columns, is_hashed
    from rung.governance._evaluate import Location, RuleResult
    from rung.governance._lineage import classifications_of
    from rung.governance._model import Policy, PolicyDocument, PolicyMatch
    from rung.governance._parse import (
        load_policy_file,
        parse_policies,
        policies_from_dict,
    )
    from rung.governance._plan import NodeReport, PlanReport, check_plan, explain_plan
    from rung.governance._policies import (
        AppliedPolicies,
        PolicySet,
        active_policies,
        apply_policies,
        apply_policy_file,
        get_policies,
        list_policy_sets,
    )
    from rung.governance._runtime import check_flow, check_read, check_step_inputs
