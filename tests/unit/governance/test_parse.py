"""Policy files: strict validation, every problem with its line, key and fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from rung.errors import PolicyFileError
from rung.governance import (
    PolicyDocument,
    load_policy_file,
    parse_policies,
    policies_from_dict,
)
from tests.unit.governance.conftest import POLICIES


def test_parse_policies_reads_the_ca_health_example() -> None:
    doc = parse_policies(POLICIES)
    ca, pii = doc.policies
    assert (ca.name, ca.match.tags, ca.match.region) == (
        "ca-health-stays-in-ca",
        ("health",),
        ("CA",),
    )
    assert ca.allow_regions == ("CA",)
    assert ca.applies_to == ("step", "endpoint", "llm_provider")
    assert (pii.egress, pii.allow_regions) == ("drop_or_hash", None)


def test_parse_policies_normalizes_tags_regions_and_aliases() -> None:
    doc = parse_policies(
        "regions: {CA-Central-1: ca}\n"
        "policies:\n"
        "  - name: x\n"
        "    match: {tags: [Health], region: [ca-qc, no]}\n"
        "    allow_regions: eu\n"
    )
    policy = doc.policies[0]
    assert policy.match.tags == ("health",)
    assert policy.match.region == ("CA-QC", "NO")  # YAML 1.2: `no` is Norway
    assert policy.allow_regions == ("EU",)
    assert doc.aliases == {"ca-central-1": "CA"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "policies:\n  - name: a\n    match: {tags: [x], regoin: CA}\n"
            "    allow_regions: [CA]\n",
            r"line 3, policies\[0\]\.match\.regoin: unknown key 'regoin' "
            r"\(did you mean 'region'\?\)\. Allowed keys: region, tags\.",
        ),
        (
            "policies:\n  - name: a\n    match: {tags: [x]}\n    allow_regions: [UK]\n",
            r"line 4, policies\[0\]\.allow_regions\[0\]: 'UK' is not a region code: "
            r"use 'GB'\.",
        ),
        (
            "policies:\n  - name: a\n    match: {tags: [x]}\n    egress: encrypt\n",
            r"line 4, policies\[0\]\.egress: unknown action 'encrypt': use "
            r"drop_or_hash, drop or deny\.",
        ),
        (
            "policies:\n  - name: a\n    match: {tags: [x]}\n",
            r"line 2, policies\[0\]: policy 'a' has no action: add `allow_regions",
        ),
        (
            "policies:\n  - name: a\n    match: {}\n    allow_regions: [CA]\n",
            r"line 3, policies\[0\]\.match: `match` needs `tags`, `region` or both",
        ),
        (
            "policies:\n  - name: a\n    allow_regions: [CA]\n",
            r"line 2, policies\[0\]: missing required key 'match'",
        ),
        (
            "policies:\n  - name: Bad Name\n    match: {tags: [x]}\n"
            "    allow_regions: [CA]\n",
            r"line 2, policies\[0\]\.name: policy name 'Bad Name' must be lower-case",
        ),
        (
            "policies:\n  - name: a\n    match: {region: CA}\n    egress: drop\n",
            r"`egress: drop` needs `match.tags`",
        ),
        (
            "policies:\n  - name: a\n    match: {tags: [x]}\n    allow_regions: []\n",
            r"line 4, policies\[0\]\.allow_regions: `allow_regions` is empty",
        ),
        (
            "policies:\n  - name: a\n    match: {tags: [x]}\n    allow_regions: [CA]\n"
            "  - name: a\n    match: {tags: [y]}\n    allow_regions: [CA]\n",
            r"two policies are named 'a': names must be unique",
        ),
        (
            "policies:\n  - name: a\n    match: {tags: [x]}\n    egress: deny\n"
            "    applies_to: [cloud]\n",
            r"line 5, policies\[0\]\.applies_to\[0\]: unknown destination kind 'cloud'",
        ),
        (
            "regions:\n  CA: US\npolicies: []\n",
            r"line 2, regions\.CA: `regions` maps 'CA', which is already the region "
            r"code 'CA'",
        ),
        ("version: 2\npolicies: []\n", r"line 1, version: Input should be 1"),
        ("polices: []\n", r"unknown key 'polices' \(did you mean 'policies'\?\)"),
    ],
)
def test_parse_policies_names_line_key_and_fix(text: str, message: str) -> None:
    with pytest.raises(PolicyFileError, match=message):
        parse_policies(text, "policies.yaml")


def test_parse_policies_reports_every_problem_at_once() -> None:
    text = (
        "policies:\n"
        "  - name: a\n    match: {tags: [x], regoin: CA}\n    allow_regions: [UK]\n"
        "  - name: b\n    match: {tags: [pii]}\n    egress: hash\n"
    )
    with pytest.raises(
        PolicyFileError, match=r"policies\.yaml: 3 problem\(s\)"
    ) as info:
        parse_policies(text, "policies.yaml")
    assert "line 3" in str(info.value)
    assert "line 4" in str(info.value)
    assert "line 7" in str(info.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("policies: [\n", r"line 2: not valid YAML .*Fix the syntax"),
        ("policies: []\npolicies: []\n", r"line 2, policies: duplicate key"),
        ("- name: a\n", r"a mapping with a `policies:` list, got list"),
        ("", r"a mapping with a `policies:` list, got NoneType"),
    ],
)
def test_parse_policies_refuses_malformed_yaml(text: str, message: str) -> None:
    with pytest.raises(PolicyFileError, match=message):
        parse_policies(text)


def test_load_policy_file_names_an_unreadable_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(PolicyFileError, match=r"Cannot read policy file .*nope\.yaml"):
        load_policy_file(missing)


def test_load_policy_file_returns_document_and_text(tmp_path: Path) -> None:
    path = tmp_path / "policies.yaml"
    path.write_text(POLICIES)
    doc, text = load_policy_file(path)
    assert isinstance(doc, PolicyDocument)
    assert text == POLICIES


def test_policies_from_dict_validates_the_api_form() -> None:
    doc = policies_from_dict(
        {"policies": [{"name": "a", "match": {"tags": ["x"]}, "egress": "deny"}]}
    )
    assert doc.policies[0].egress == "deny"
    with pytest.raises(PolicyFileError, match=r"policies\[0\]\.match\.tag: unknown"):
        policies_from_dict({"policies": [{"name": "a", "match": {"tag": ["x"]}}]})
