"""Region codes: normalizing, containment, overlap."""

from __future__ import annotations

import pytest

from rung.governance._regions import RegionError, is_within, normalize_region, overlaps


@pytest.mark.parametrize(
    ("given", "expected"),
    [("CA", "CA"), ("ca", "CA"), (" ca-qc ", "CA-QC"), ("eu", "EU"), ("NO", "NO")],
)
def test_normalize_region_accepts_codes_in_any_case(given: str, expected: str) -> None:
    assert normalize_region(given) == expected


def test_normalize_region_reads_aliases_case_insensitively() -> None:
    assert normalize_region("CA-Central-1", {"ca-central-1": "CA"}) == "CA"


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("UK", "'UK' is not a region code: use 'GB'"),
        ("CN1", r"did you mean 'CN'\?"),
        ("XX-QC", "not a region code.*ISO 3166"),
        ("ca-central-1", r"map the name in the policy file's `regions:`"),
    ],
)
def test_normalize_region_rejects_other_text_with_a_fix(
    given: str, message: str
) -> None:
    with pytest.raises(RegionError, match=message):
        normalize_region(given)


@pytest.mark.parametrize(
    ("region", "allowed", "inside"),
    [
        ("CA", ["CA"], True),
        ("CA-QC", ["CA"], True),
        ("CA", ["CA-QC"], False),
        ("US", ["CA"], False),
        ("FR", ["EU"], True),
        ("EU", ["FR"], False),
        ("EU", ["EEA"], True),
        ("NO", ["EU"], False),
        ("DE-BY", ["EU"], True),
    ],
)
def test_is_within(region: str, allowed: list[str], inside: bool) -> None:
    assert is_within(region, allowed) is inside


@pytest.mark.parametrize(
    ("first", "second", "overlap"),
    [
        ("CA", "CA-QC", True),
        ("CA-QC", "CA", True),
        ("CA-QC", "CA-ON", False),
        ("EU", "FR", True),
        ("US", "CA", False),
    ],
)
def test_overlaps(first: str, second: str, overlap: bool) -> None:
    assert overlaps(first, second) is overlap
