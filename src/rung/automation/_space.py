"""A re-tuning search space: parsed, checked, and narrowed around the champion.

A space maps pipeline parameters to ranges::

    C:         {low: 0.01, high: 10, log: true}
    max_depth: {low: 2, high: 12, type: int}
    penalty:   {choices: [l1, l2]}

Narrowing keeps the search near what already works: each numeric range is
cut to ``narrow`` of its width (on the log scale for ``log: true``), centred
on the champion's value and shifted, not shrunk, to stay inside the space.
Choices are never narrowed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from rung.automation.errors import SearchSpaceError

if TYPE_CHECKING:
    from optuna.distributions import BaseDistribution

__all__ = ["ParamRange", "parse_space"]

_NUMERIC_KEYS = frozenset({"low", "high", "log", "type"})
_TYPES = ("float", "int")
_Scalar = (str, int, float, bool, type(None))


@dataclass(frozen=True, slots=True)
class ParamRange:
    """Where one pipeline parameter is searched.

    Attributes:
        name: the pipeline parameter.
        kind: ``float``, ``int`` or ``choice``.
        low / high: the numeric range (inclusive); None for choices.
        log: search on a log scale.
        choices: the values of a ``choice`` parameter.
    """

    name: str
    kind: str
    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: tuple[Any, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The range as written in a space file."""
        if self.kind == "choice":
            return {"choices": list(self.choices)}
        out: dict[str, Any] = {"low": self.low, "high": self.high}
        if self.log:
            out["log"] = True
        if self.kind == "int":
            out["type"] = "int"
        return out

    def contains(self, value: Any) -> bool:
        """Whether ``value`` lies in this range (or is one of the choices)."""
        if self.kind == "choice":
            return value in self.choices
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        low, high = self._bounds()
        return low <= value <= high

    def clip(self, value: Any) -> Any:
        """``value`` moved into the range (of the right type); None if it cannot be."""
        if self.kind == "choice":
            return value if value in self.choices else None
        try:
            number = float(value)
        except (TypeError, ValueError):
            return None
        if math.isnan(number) or isinstance(value, bool):
            return None
        low, high = self._bounds()
        number = min(max(number, low), high)
        return round(number) if self.kind == "int" else number

    def narrowed(self, center: Any, fraction: float) -> ParamRange:
        """This range cut to ``fraction`` of its width around ``center``."""
        value = self.clip(center)
        if self.kind == "choice" or value is None or fraction >= 1.0:
            return self
        first, last = self._bounds()
        to, back = (math.log, math.exp) if self.log else (float, float)
        low, high = to(first), to(last)
        half = (high - low) * fraction / 2
        start = min(max(to(value) - half, low), high - 2 * half)
        lo = max(first, min(back(start), value))
        hi = min(last, max(back(start + 2 * half), value))
        if self.kind == "int":
            lo, hi = math.floor(lo), math.ceil(hi)
            if lo == hi:  # keep at least two integers to choose from
                lo, hi = (lo - 1, hi) if hi >= last else (lo, hi + 1)
        return replace(self, low=lo, high=hi)

    def distribution(self) -> BaseDistribution:
        """The Optuna distribution of this range."""
        from optuna.distributions import (
            CategoricalDistribution,
            FloatDistribution,
            IntDistribution,
        )

        if self.kind == "choice":
            return CategoricalDistribution(self.choices)
        low, high = self._bounds()
        if self.kind == "int":
            return IntDistribution(int(low), int(high), log=self.log)
        return FloatDistribution(low, high, log=self.log)

    def _bounds(self) -> tuple[float, float]:
        if self.low is None or self.high is None:
            raise SearchSpaceError(f"Parameter {self.name!r} has choices, not a range.")
        return self.low, self.high


def parse_space(
    space: Mapping[str, Any], parameters: set[str] | None = None
) -> dict[str, ParamRange]:
    """Check a search space; return parameter -> its range.

    Args:
        space: parameter -> ``{low, high[, log][, type: int]}`` or ``{choices}``.
        parameters: the pipeline's parameters (None: not checked).

    Raises:
        SearchSpaceError: not a mapping, an unknown parameter or key, an empty
            or reversed range, a log range that reaches 0, empty choices.

    Example:
        >>> parse_space({"C": {"low": 0.01, "high": 10, "log": True}})["C"].kind
        'float'
    """
    if not isinstance(space, Mapping) or not space:
        raise SearchSpaceError(
            f"A search space maps pipeline parameters to ranges, got {space!r}. "
            "Write e.g. {'C': {'low': 0.01, 'high': 10, 'log': True}}."
        )
    if parameters is not None:
        unknown = sorted(set(space) - parameters)
        if unknown:
            raise SearchSpaceError(
                f"The pipeline takes no parameter {', '.join(map(repr, unknown))}. "
                f"Its parameters: {', '.join(sorted(parameters)) or 'none'}."
            )
    return {str(name): _parse_range(str(name), spec) for name, spec in space.items()}


def _parse_range(name: str, spec: Any) -> ParamRange:
    if not isinstance(spec, Mapping):
        raise SearchSpaceError(
            f"Parameter {name!r}: a range is a mapping such as {{low: 1, high: 10}} "
            f"or {{choices: [a, b]}}, got {spec!r}."
        )
    if "choices" in spec:
        return _parse_choices(name, spec)
    extra = sorted(set(spec) - _NUMERIC_KEYS)
    if extra:
        raise SearchSpaceError(
            f"Parameter {name!r}: unknown key {', '.join(map(repr, extra))}. "
            "A range takes low, high, log and type (float or int), or choices."
        )
    kind = spec.get("type", "float")
    if kind not in _TYPES:
        raise SearchSpaceError(
            f"Parameter {name!r}: type must be float or int, got {kind!r}."
        )
    low, high = _bound(name, spec, "low", kind), _bound(name, spec, "high", kind)
    if low >= high:
        raise SearchSpaceError(
            f"Parameter {name!r}: low must be below high, got low={low}, high={high}."
        )
    log = spec.get("log", False)
    if not isinstance(log, bool):
        raise SearchSpaceError(
            f"Parameter {name!r}: log must be true or false, got {log!r}."
        )
    if log and low <= 0:
        raise SearchSpaceError(
            f"Parameter {name!r}: a log range must stay above 0, got low={low}. "
            "Raise low, or drop log: true."
        )
    return ParamRange(name, kind, low, high, log)


def _parse_choices(name: str, spec: Mapping[str, Any]) -> ParamRange:
    if set(spec) != {"choices"}:
        raise SearchSpaceError(
            f"Parameter {name!r}: choices cannot be mixed with "
            f"{', '.join(sorted(set(spec) - {'choices'}))}. Give either choices or "
            "low/high."
        )
    choices = spec["choices"]
    if not isinstance(choices, list | tuple) or not choices:
        raise SearchSpaceError(
            f"Parameter {name!r}: choices must be a non-empty list, got {choices!r}."
        )
    if not all(isinstance(c, _Scalar) for c in choices):
        raise SearchSpaceError(
            f"Parameter {name!r}: choices must be strings, numbers, booleans or "
            f"null, got {choices!r}."
        )
    if len(set(map(repr, choices))) != len(choices):
        raise SearchSpaceError(f"Parameter {name!r}: choices repeat: {choices!r}.")
    return ParamRange(name, "choice", choices=tuple(choices))


def _bound(name: str, spec: Mapping[str, Any], key: str, kind: str) -> float:
    value: Any = spec.get(key)
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    if not numeric or not math.isfinite(value):
        raise SearchSpaceError(
            f"Parameter {name!r}: {key} must be a finite number, got {value!r}."
        )
    if kind == "int" and value != int(value):
        raise SearchSpaceError(
            f"Parameter {name!r}: an int range needs whole bounds, got {key}={value}."
        )
    return int(value) if kind == "int" else float(value)
