"""Promotion gates: what a version must pass before an alias moves to it.

Gates are set per model and per alias, from a mapping or a YAML file::

    production:
      metrics:
        - accuracy >= 0.90
        - f1 >= champion.f1 - 0.01
      signature: compatible
      approvals: {role: reviewer, count: 2}

A metric condition follows a grammar of one line, read by a regular
expression (never ``eval``)::

    <metric> <op> <number | champion.<metric> [+|- <number>]>

with ``op`` one of ``>= > <= < == !=``. ``champion`` is the version the alias
points to when the promotion is checked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rung.errors import GateDefinitionError
from rung.registry._refs import check_alias

__all__ = [
    "OPERATORS",
    "AliasGates",
    "ApprovalRule",
    "Gates",
    "MetricCondition",
    "load_gates_file",
    "parse_condition",
    "parse_gates",
]

OPERATORS: tuple[str, ...] = (">=", "<=", "==", "!=", ">", "<")
_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_METRIC = r"[A-Za-z_][A-Za-z0-9_./]*"
_OP = re.compile(r"\s*([<>=!]+)\s*")
_CHAMPION = re.compile(rf"champion\.({_METRIC})(?:\s*([-+])\s*({_NUMBER}))?")
_GRAMMAR = (
    "Write `<metric> <op> <number | champion.<metric> [+|- <number>]>` with op "
    "one of >=, >, <=, <, ==, != (e.g. 'accuracy >= 0.9', "
    "'f1 >= champion.f1 - 0.01')."
)
_ALIAS_KEYS = frozenset({"metrics", "signature", "approvals"})


@dataclass(frozen=True, slots=True)
class MetricCondition:
    """One metric condition, e.g. ``f1 >= champion.f1 - 0.01``.

    Attributes:
        metric: the candidate's metric.
        op: the comparison.
        threshold: a fixed number (None when comparing with the champion).
        champion_metric: the champion's metric to compare with.
        offset: added to the champion's value (negative for ``- x``).
        text: the condition as written (numbers keep their spelling).
    """

    metric: str
    op: str
    threshold: float | None = None
    champion_metric: str | None = None
    offset: float = 0.0
    text: str = ""

    def holds(self, value: float, bound: float) -> bool:
        """Whether ``value <op> bound``."""
        return {
            ">=": value >= bound,
            "<=": value <= bound,
            "==": value == bound,
            "!=": value != bound,
            ">": value > bound,
            "<": value < bound,
        }[self.op]

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class ApprovalRule:
    """``count`` distinct users holding ``role`` must approve the promotion."""

    role: str
    count: int = 1


@dataclass(frozen=True, slots=True)
class AliasGates:
    """The gates of one alias.

    Attributes:
        metrics: conditions on the candidate's metrics.
        signature: require a signature compatible with the champion's.
        approvals: approvals needed before the alias moves.
    """

    metrics: tuple[MetricCondition, ...] = ()
    signature: bool = False
    approvals: ApprovalRule | None = None

    @property
    def is_empty(self) -> bool:
        """True when nothing is checked."""
        return not self.metrics and not self.signature and self.approvals is None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (what the store keeps, and what YAML files hold)."""
        data: dict[str, Any] = {"metrics": [c.text for c in self.metrics]}
        data["signature"] = self.signature
        if self.approvals is not None:
            rule = self.approvals
            data["approvals"] = {"role": rule.role, "count": rule.count}
        return data


@dataclass(frozen=True, slots=True)
class Gates:
    """Promotion gates of a model: alias -> :class:`AliasGates`."""

    aliases: Mapping[str, AliasGates] = field(default_factory=dict)

    def for_alias(self, alias: str) -> AliasGates:
        """The gates of ``alias`` (none when it has no entry)."""
        return self.aliases.get(alias, AliasGates())

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form, readable by :func:`parse_gates`."""
        return {alias: g.to_dict() for alias, g in sorted(self.aliases.items())}


def parse_condition(text: str) -> MetricCondition:
    """Read one metric condition.

    Raises:
        GateDefinitionError: the text does not follow the grammar.

    Example:
        >>> c = parse_condition("f1 >= champion.f1 - 0.01")
        >>> (c.metric, c.op, c.champion_metric, c.offset)
        ('f1', '>=', 'f1', -0.01)
    """
    if not isinstance(text, str):
        raise GateDefinitionError(f"Condition {text!r} is not text. {_GRAMMAR}")
    found = _OP.search(text)
    if found is None:
        raise GateDefinitionError(f"No comparison in {text!r}. {_GRAMMAR}")
    op = found.group(1)
    if op not in OPERATORS:
        raise GateDefinitionError(f"Unknown operator {op!r} in {text!r}. {_GRAMMAR}")
    left, right = text[: found.start()].strip(), text[found.end() :].strip()
    if not re.fullmatch(_METRIC, left):
        raise GateDefinitionError(
            f"{left!r} in {text!r} is not a metric name (letters, digits, '_', "
            f"'.', '/'; not starting with a digit). {_GRAMMAR}"
        )
    clean = f"{left} {op} {right}"
    if re.fullmatch(_NUMBER, right):
        return MetricCondition(left, op, threshold=float(right), text=clean)
    champion = _CHAMPION.fullmatch(right)
    if champion is None:
        raise GateDefinitionError(
            f"{right!r} in {text!r} is neither a number nor "
            f"'champion.<metric> [+|- number]'. {_GRAMMAR}"
        )
    metric, sign, number = champion.groups()
    offset = 0.0 if number is None else float(number) * (-1 if sign == "-" else 1)
    return MetricCondition(left, op, champion_metric=metric, offset=offset, text=clean)


def parse_gates(data: Mapping[str, Any] | str, *, source: str = "gates") -> Gates:
    """Read gates from a mapping or YAML text: alias -> its gates.

    Raises:
        GateDefinitionError: naming the alias, the key and what to write.

    Example:
        >>> gates = parse_gates({"production": {"metrics": ["accuracy >= 0.9"]}})
        >>> gates.for_alias("production").metrics[0].threshold
        0.9
    """
    if isinstance(data, str):
        data = _load_yaml(data, source)
    if data is None:
        return Gates()
    if not isinstance(data, Mapping):
        raise GateDefinitionError(
            f"{source}: expected a mapping of alias -> gates, got "
            f"{type(data).__name__}. Example: 'production: {{metrics: "
            "[accuracy >= 0.9]}'."
        )
    aliases = {}
    for alias, spec in data.items():
        where = f"{source}: alias {alias!r}"
        try:
            check_alias(alias)
        except ValueError as exc:
            raise GateDefinitionError(f"{where}: {exc}") from None
        aliases[alias] = _parse_alias(spec, where)
    return Gates(aliases)


def load_gates_file(path: str | Path) -> Gates:
    """Read gates from a YAML file.

    Raises:
        GateDefinitionError: the file is missing, not YAML, or malformed.
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise GateDefinitionError(
            f"Cannot read gates file {str(file)!r}: {exc.strerror or exc}. "
            "Check the path."
        ) from exc
    return parse_gates(text, source=str(file))


def _parse_alias(spec: Any, where: str) -> AliasGates:
    if spec is None:
        return AliasGates()
    if not isinstance(spec, Mapping):
        raise GateDefinitionError(
            f"{where}: expected a mapping with keys {sorted(_ALIAS_KEYS)}, "
            f"got {spec!r}."
        )
    unknown = sorted(set(map(str, spec)) - _ALIAS_KEYS)
    if unknown:
        raise GateDefinitionError(
            f"{where}: unknown key(s) {unknown}. Known keys: {sorted(_ALIAS_KEYS)}."
        )
    metrics = spec.get("metrics") or []
    if isinstance(metrics, str):
        metrics = [metrics]
    if not isinstance(metrics, list):
        raise GateDefinitionError(f"{where}: 'metrics' must be a list of conditions.")
    conditions = []
    for index, text in enumerate(metrics):
        try:
            conditions.append(parse_condition(text))
        except GateDefinitionError as exc:
            raise GateDefinitionError(f"{where}: metrics[{index}]: {exc}") from None
    return AliasGates(
        tuple(conditions),
        _parse_signature(spec.get("signature", False), where),
        _parse_approvals(spec.get("approvals"), where),
    )


def _parse_signature(value: Any, where: str) -> bool:
    if value in (True, "compatible"):
        return True
    if value in (False, None, "any"):
        return False
    raise GateDefinitionError(
        f"{where}: 'signature' must be 'compatible' (or true) or false, got {value!r}."
    )


def _parse_approvals(value: Any, where: str) -> ApprovalRule | None:
    if value is None:
        return None
    if isinstance(value, Mapping):
        role, count = value.get("role"), value.get("count", 1)
        extra = sorted(set(map(str, value)) - {"role", "count"})
        is_count = isinstance(count, int) and not isinstance(count, bool)
        if isinstance(role, str) and role and is_count and count >= 1 and not extra:
            return ApprovalRule(role, count)
    raise GateDefinitionError(
        f"{where}: 'approvals' must be {{role: <name>, count: <int >= 1>}}, "
        f"got {value!r}. Example: 'approvals: {{role: reviewer, count: 2}}'."
    )


def _load_yaml(text: str, source: str) -> Any:
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or exc
        raise GateDefinitionError(
            f"{source} is not valid YAML{at}: {problem}. Write one mapping of "
            "alias -> gates, e.g. 'production: {metrics: [accuracy >= 0.9]}'."
        ) from None
