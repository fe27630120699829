"""check_flow: the location check serving and the LLM gateway call."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from rung.errors import GovernanceError, PolicyViolationError
from rung.governance import Classification, DataSource, audit_log, check_flow

if TYPE_CHECKING:
    from rung.workspace import Workspace

HEALTH_CA = Classification((DataSource("claims", 1, ("health",), "CA"),)).via("train")


def test_flow_to_an_allowed_region_passes_and_is_audited(governed: Workspace) -> None:
    results = check_flow(governed, HEALTH_CA, "ca-qc", "endpoint", "claims-api")
    assert [(r.rule, r.outcome) for r in results] == [
        ("ca-health-stays-in-ca", "pass"),
        ("pii-hashed-before-egress", "n/a"),
    ]
    (decision,) = audit_log(governed)
    assert (decision.stage, decision.verdict, decision.subject) == (
        "request",
        "allow",
        "data sent to endpoint 'claims-api'",
    )


def test_flow_to_another_region_is_refused_with_the_path(governed: Workspace) -> None:
    message = (
        r"Sending data to llm_provider 'openai' was refused by policy set v1:\n"
        r"- rule 'ca-health-stays-in-ca': llm_provider 'openai' is in US "
        r"\(destination\)(.|\n)*claims@v1 \[health, CA\] -> train -> llm_provider "
        r"openai \(region US\)"
    )
    with pytest.raises(PolicyViolationError, match=message):
        check_flow(governed, HEALTH_CA, "US", "llm_provider", "openai", stage="llm")
    (decision,) = audit_log(governed)
    assert (decision.stage, decision.verdict) == ("llm", "refuse")


def test_flow_to_an_unknown_region_is_refused(governed: Workspace) -> None:
    with pytest.raises(
        PolicyViolationError,
        match=r"region is unknown\. Give the endpoint a region \(e\.g\. 'CA'\)",
    ):
        check_flow(governed, HEALTH_CA, None, "endpoint", "claims-api")


def test_flow_rules_can_skip_destination_kinds(catalog: Workspace) -> None:
    from rung.governance import apply_policies

    apply_policies(
        catalog,
        "policies:\n  - name: ca\n    match: {tags: [health]}\n"
        "    allow_regions: [CA]\n    applies_to: [step, endpoint]\n",
    )
    results = check_flow(catalog, HEALTH_CA, "US", "llm_provider", "openai")
    assert [r.outcome for r in results] == ["n/a"]
    assert audit_log(catalog) == []


def test_flow_of_unclassified_data_decides_nothing(governed: Workspace) -> None:
    results = check_flow(governed, Classification(), "US", "endpoint", "api")
    assert {r.outcome for r in results} == {"n/a"}
    assert audit_log(governed) == []


def test_flow_refuses_an_unknown_destination_kind(governed: Workspace) -> None:
    with pytest.raises(GovernanceError, match=r"Unknown destination kind 'cloud'"):
        check_flow(governed, HEALTH_CA, "CA", "cloud", "x")


def test_flow_without_policies_returns_nothing(catalog: Workspace) -> None:
    assert check_flow(catalog, HEALTH_CA, "US", "endpoint", "api") == []
