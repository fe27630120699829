"""The policy file schema: strict pydantic models.

Example:
    >>> doc = PolicyDocument.model_validate(
    ...     {
    ...         "policies": [
    ...             {
    ...                 "name": "ca-health-stays-in-ca",
    ...                 "match": {"tags": ["health"], "region": "CA"},
    ...                 "allow_regions": ["CA"],
    ...             }
    ...         ]
    ...     }
    ... )
    >>> doc.policies[0].allow_regions
    ('CA',)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from rung.governance._evaluate import DESTINATION_KINDS, DestinationKind
from rung.governance._regions import normalize_region

__all__ = [
    "DESTINATION_KINDS",
    "DestinationKind",
    "EgressAction",
    "Policy",
    "PolicyDocument",
    "PolicyMatch",
]

EgressAction = Literal["drop_or_hash", "drop", "deny"]

_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")
_TAG = re.compile(r"^[a-z0-9][a-z0-9._:-]{0,63}$")


def _as_list(value: Any) -> Any:
    # `region: CA` and `region: [CA]` mean the same.
    return [value] if isinstance(value, str) else value


def _name(value: str) -> str:
    if not _NAME.match(value):
        raise ValueError(
            f"policy name {value!r} must be lower-case letters, digits, '-', '_' "
            "or '.' (at most 80), e.g. 'ca-health-stays-in-ca'"
        )
    return value


def _tag(value: str) -> str:
    tag = value.strip().lower()
    if not _TAG.match(tag):
        raise ValueError(
            f"tag {value!r} must be a word of letters, digits, '-', '_', '.' or "
            "':' such as 'pii' or 'health'"
        )
    return tag


def _region(value: str) -> str:
    return normalize_region(value)


def _alias_name(name: str) -> str:
    try:
        code = normalize_region(name)
    except ValueError:
        return name
    raise ValueError(
        f"`regions` maps {name!r}, which is already the region code {code!r}: "
        "map other names only (e.g. ca-central-1: CA)"
    )


Tag = Annotated[str, AfterValidator(_tag)]
Region = Annotated[str, AfterValidator(_region)]
Tags = Annotated[tuple[Tag, ...], BeforeValidator(_as_list)]
Regions = Annotated[tuple[Region, ...], BeforeValidator(_as_list)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class PolicyMatch(_Strict):
    """Which data a policy governs: data from one dataset that carries every tag
    in ``tags`` and comes from one of the ``region`` codes.

    Attributes:
        tags: classification tags, all required (``[health]``).
        region: residency regions, any of them (``CA``).
    """

    tags: Tags = ()
    region: Regions = ()

    @model_validator(mode="after")
    def _not_empty(self) -> PolicyMatch:
        if not self.tags and not self.region:
            raise ValueError(
                "`match` needs `tags`, `region` or both, e.g. "
                "{tags: [health], region: CA}"
            )
        return self


class Policy(_Strict):
    """One rule.

    Attributes:
        name: unique in the file; decisions and errors name it.
        description: why the rule exists, shown with violations.
        match: the data it governs.
        allow_regions: where matched data may be processed or sent.
        egress: what a step labelled ``egress`` must do with matched data:
            ``drop_or_hash`` or ``drop`` its classified columns, or ``deny``
            it altogether.
        applies_to: destination kinds the region rule covers (default all).
    """

    name: Annotated[str, AfterValidator(_name)]
    description: str = ""
    match: PolicyMatch
    allow_regions: Annotated[tuple[Region, ...] | None, BeforeValidator(_as_list)] = (
        None
    )
    egress: EgressAction | None = None
    applies_to: Annotated[tuple[DestinationKind, ...], BeforeValidator(_as_list)] = (
        DESTINATION_KINDS
    )

    @field_validator("allow_regions")
    @classmethod
    def _some_region(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is not None and not value:
            raise ValueError(
                "`allow_regions` is empty: list at least one region, or use "
                "`egress: deny` to forbid a flow"
            )
        return value

    @model_validator(mode="after")
    def _has_action(self) -> Policy:
        if self.allow_regions is None and self.egress is None:
            raise ValueError(
                f"policy {self.name!r} has no action: add `allow_regions: [...]`, "
                "`egress: drop_or_hash|drop|deny`, or both"
            )
        if self.egress in ("drop", "drop_or_hash") and not self.match.tags:
            raise ValueError(
                f"policy {self.name!r}: `egress: {self.egress}` needs `match.tags` "
                "to know which columns to drop or hash"
            )
        return self


class PolicyDocument(_Strict):
    """A policy file: region aliases and the rules.

    Attributes:
        version: the file format version (1).
        regions: other names of regions (``ca-central-1: CA``), used to read
            step labels, dataset regions and the workspace region.
        policies: the rules.
    """

    version: Literal[1] = 1
    regions: dict[Annotated[str, AfterValidator(_alias_name)], Region] = Field(
        default_factory=dict
    )
    policies: tuple[Policy, ...]

    @model_validator(mode="after")
    def _consistent(self) -> PolicyDocument:
        seen: set[str] = set()
        for policy in self.policies:
            if policy.name in seen:
                raise ValueError(
                    f"two policies are named {policy.name!r}: names must be unique"
                )
            seen.add(policy.name)
        return self

    @property
    def aliases(self) -> Mapping[str, str]:
        """``regions`` with lower-case keys (what ``normalize_region`` takes)."""
        return {k.strip().lower(): v for k, v in self.regions.items()}
