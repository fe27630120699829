"""Policy sets in the workspace: versions, the one in force, the API form."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from rung.errors import PolicyFileError, PolicySetNotFoundError
from rung.governance import (
    Policy,
    PolicyDocument,
    PolicyMatch,
    active_policies,
    apply_policies,
    apply_policy_file,
    get_policies,
    list_policy_sets,
)
from tests.unit.governance.conftest import POLICIES

if TYPE_CHECKING:
    from rung.workspace import Workspace


def test_apply_policy_file_stores_version_1_with_its_source(
    workspace: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "policies.yaml"
    path.write_text(POLICIES)
    applied = apply_policy_file(workspace, path)
    assert applied.created
    assert applied.policy_set.version == 1
    assert applied.policy_set.record.source == POLICIES
    assert applied.policy_set.record.user == "tester"
    assert [p.name for p in get_policies(workspace).policies] == [
        "ca-health-stays-in-ca",
        "pii-hashed-before-egress",
    ]


def test_applying_the_same_policies_again_stores_nothing(workspace: Workspace) -> None:
    apply_policies(workspace, POLICIES)
    again = apply_policies(workspace, POLICIES + "\n# a comment\n")
    assert not again.created
    assert [s.version for s in list_policy_sets(workspace)] == [1]


def test_a_changed_file_becomes_the_next_version_in_force(workspace: Workspace) -> None:
    apply_policies(workspace, POLICIES)
    apply_policies(workspace, "policies: []\n")
    active = active_policies(workspace)
    assert active is not None
    assert (active.version, active.policies) == (2, ())
    assert len(get_policies(workspace, 1).policies) == 2


def test_policies_can_be_built_in_code(workspace: Workspace) -> None:
    document = PolicyDocument(
        policies=(
            Policy(
                name="ca-only",
                match=PolicyMatch(tags=("health",), region=("CA",)),
                allow_regions=("CA",),
            ),
        )
    )
    applied = apply_policies(workspace, document)
    assert "name: ca-only" in applied.policy_set.record.source
    assert get_policies(workspace).document == document


def test_invalid_policies_store_nothing(workspace: Workspace) -> None:
    with pytest.raises(PolicyFileError, match="unknown key 'allow'"):
        apply_policies(
            workspace,
            {"policies": [{"name": "a", "match": {"tags": ["x"]}, "allow": ["CA"]}]},
        )
    assert active_policies(workspace) is None


def test_get_policies_without_any_raises(workspace: Workspace) -> None:
    with pytest.raises(PolicySetNotFoundError, match=r"has no policy set\.$"):
        get_policies(workspace)
