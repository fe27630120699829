"""Judging data against rules: where it is, which rules match, pass or fail.

Pure functions over a :class:`Classification`, a :class:`Location` and a
policy; no store access. Plan checks, read checks, step checks and
:func:`check_flow` all reach their verdicts here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from rung.governance._regions import is_within, normalize_region, overlaps

if TYPE_CHECKING:
    from rung.governance._classify import Classification, DataSource
    from rung.governance._model import Policy

__all__ = [
    "DESTINATION_KINDS",
    "DestinationKind",
    "Location",
    "Outcome",
    "RuleResult",
    "is_egress",
    "judge_egress_plan",
    "judge_residency",
    "locate",
    "locate_step",
    "matching_sources",
]

Outcome = Literal["pass", "fail", "n/a", "deferred"]
DestinationKind = Literal["step", "endpoint", "llm_provider"]
DESTINATION_KINDS: tuple[DestinationKind, ...] = ("step", "endpoint", "llm_provider")
_TRUE = frozenset({"1", "true", "yes", "on"})
_FIX_UNKNOWN = (
    "Label the step (@step(labels={{'region': '{example}'}})) or set the "
    'workspace region (RUNG_REGION={example}, or region = "{example}" in '
    "rung.toml)."
)


@dataclass(frozen=True, slots=True)
class Location:
    """Where a step or destination is.

    Attributes:
        region: the normalized region code, or None when unknown or invalid.
        given: the text it came from (a label, a setting).
        origin: ``step label``, ``workspace region``, ``destination`` or ``none``.
        problem: why ``given`` is not a region, when it is not.
    """

    region: str | None
    given: str | None = None
    origin: str = "none"
    problem: str | None = None

    def describe(self) -> str:
        """``region US`` / ``region unknown`` / ``region 'xx' (invalid)``."""
        if self.region is not None:
            return f"region {self.region}"
        if self.given:
            return f"region {self.given!r} (invalid)"
        return "region unknown"


@dataclass(frozen=True, slots=True)
class RuleResult:
    """One rule's verdict on one subject.

    Attributes:
        rule: the policy's name.
        outcome: ``pass``, ``fail``, ``n/a`` (nothing it governs) or
            ``deferred`` (decided when the step runs).
        reason: why, in one or two sentences.
        paths: the lineage paths of the data concerned.
    """

    rule: str
    outcome: Outcome
    reason: str
    paths: tuple[str, ...] = ()

    @property
    def failed(self) -> bool:
        """True for ``fail``."""
        return self.outcome == "fail"


def locate(
    given: str | None, origin: str, aliases: Mapping[str, str] | None = None
) -> Location:
    """Read a region text (a label, a setting, a destination's region)."""
    if given is None or not str(given).strip():
        return Location(None)
    try:
        return Location(normalize_region(given, aliases), given, origin)
    except ValueError as exc:
        return Location(None, given, origin, str(exc))


def locate_step(
    labels: Mapping[str, str],
    workspace_region: str | None,
    aliases: Mapping[str, str] | None = None,
) -> Location:
    """A step's region: its ``region`` label, else the workspace's, else unknown."""
    if labels.get("region"):
        return locate(labels["region"], "step label", aliases)
    return locate(workspace_region, "workspace region", aliases)


def is_egress(labels: Mapping[str, str]) -> bool:
    """True when a step is labelled ``egress`` (``true``, ``1``, ``yes``, ``on``)."""
    return labels.get("egress", "").strip().lower() in _TRUE


def matching_sources(
    policy: Policy, classification: Classification, aliases: Mapping[str, str]
) -> tuple[list[DataSource], list[str]]:
    """The sources a policy governs, and problems that stop a clean answer.

    A source matches when it carries every tag of ``match.tags`` and its
    region overlaps one of ``match.region``. A source whose tags match but
    whose region is not a known code is a problem (it may be governed).
    """
    wanted = set(policy.match.tags)
    found: list[DataSource] = []
    problems: list[str] = []
    for source in classification.sources:
        if not wanted <= set(source.tags):
            continue
        if not policy.match.region:
            found.append(source)
            continue
        if source.region is None:
            continue
        try:
            region = normalize_region(source.region, aliases)
        except ValueError as exc:
            problems.append(
                f"dataset {source.dataset!r} has region {source.region!r}, which "
                f"policies cannot place ({exc}). Fix the dataset's region or map "
                "it in the policy file's `regions:`"
            )
            continue
        if any(overlaps(region, r) for r in policy.match.region):
            found.append(source)
    return found, problems


def judge_residency(
    policy: Policy,
    classification: Classification,
    location: Location,
    *,
    subject: str,
    kind: str = "step",
    aliases: Mapping[str, str] | None = None,
) -> RuleResult:
    """May the data in ``classification`` be at ``location``?"""
    allowed = policy.allow_regions
    if allowed is None or kind not in policy.applies_to:
        return RuleResult(policy.name, "n/a", "No region rule for this kind.")
    sources, problems = matching_sources(policy, classification, aliases or {})
    if problems:
        return RuleResult(policy.name, "fail", "; ".join(problems) + ".")
    if not sources:
        return RuleResult(policy.name, "n/a", "Handles no data this rule governs.")
    paths = tuple(f"{s.describe_path()} ({location.describe()})" for s in sources)
    keeps = ", ".join(allowed)
    verb = "handles" if kind == "step" else "would receive"
    if location.region is None:
        reason = (
            f"{subject} {verb} data that {policy.name!r} keeps in {keeps}, but its "
            f"region is unknown.{_unknown_fix(location, kind, allowed[0])}"
        )
        return RuleResult(policy.name, "fail", reason, paths)
    if is_within(location.region, allowed):
        reason = f"{subject} is in {location.region}; allowed: {keeps}."
        return RuleResult(policy.name, "pass", reason, paths)
    reason = (
        f"{subject} is in {location.region} ({location.origin}) but {verb} data "
        f"that {policy.name!r} keeps in {keeps}."
    )
    return RuleResult(policy.name, "fail", reason, paths)


def _unknown_fix(location: Location, kind: str, example: str) -> str:
    problem = f" {location.problem}." if location.problem else ""
    if kind == "step":
        return f"{problem} {_FIX_UNKNOWN.format(example=example)}"
    return f"{problem} Give the {kind} a region (e.g. {example!r})."


def judge_egress_plan(
    policy: Policy,
    classification: Classification,
    *,
    egress: bool,
    subject: str,
    aliases: Mapping[str, str] | None = None,
) -> RuleResult:
    """What the egress rule says before a step runs."""
    if policy.egress is None or not egress:
        return RuleResult(policy.name, "n/a", "Not an egress step.")
    sources, _ = matching_sources(policy, classification, aliases or {})
    if not sources:
        return RuleResult(policy.name, "n/a", "Receives no data this rule governs.")
    paths = tuple(s.describe_path() for s in sources)
    if policy.egress == "deny":
        return RuleResult(
            policy.name,
            "fail",
            f"{subject} is labelled egress and receives data {policy.name!r} never "
            "lets out. Remove the egress label or stop passing that data.",
            paths,
        )
    columns = sorted(
        {
            name
            for s in sources
            for name, tags in s.columns.items()
            if set(tags) & set(policy.match.tags)
        }
    )
    action = "dropped or hashed" if policy.egress == "drop_or_hash" else "dropped"
    shown = ", ".join(columns) or "(none tagged)"
    return RuleResult(
        policy.name,
        "deferred",
        f"Checked when {subject} runs: columns {shown} must be {action}.",
        paths,
    )
