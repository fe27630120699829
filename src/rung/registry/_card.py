"""Model cards: what a model is for, what it cannot do, what it learned from.

A card is a small dataclass stored as JSON with each version. What the user
leaves empty is filled at registration: ``training_data`` from lineage and
``evaluation`` from the version's metrics.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from rung.errors import RegistryError

__all__ = ["ModelCard", "complete_card"]


@dataclass(frozen=True, slots=True)
class ModelCard:
    """A model card (after Mitchell et al., "Model Cards for Model Reporting").

    Attributes:
        intended_use: who should use the model, for what decisions.
        limitations: where it is known to fail or must not be used.
        training_data: what it was trained on (filled from lineage if empty).
        evaluation: metric -> value (filled from the version's metrics if empty).
        ethical_considerations: risks, affected groups, mitigations.
        owners: the people or team to ask.
        extra: any other section, name -> text.

    Example:
        >>> card = ModelCard(intended_use="Rank accounts by churn risk.")
        >>> ModelCard.from_dict(card.to_dict()) == card
        True
    """

    intended_use: str = ""
    limitations: str = ""
    training_data: str = ""
    evaluation: Mapping[str, float] = field(default_factory=dict)
    ethical_considerations: str = ""
    owners: tuple[str, ...] = ()
    extra: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The card as JSON-able data."""
        data = asdict(self)
        data["owners"] = list(self.owners)
        data["evaluation"] = dict(self.evaluation)
        data["extra"] = dict(self.extra)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelCard:
        """Read a card from :meth:`to_dict` data (unknown keys go to ``extra``).

        Raises:
            RegistryError: ``data`` is not a mapping.
        """
        if not isinstance(data, Mapping):
            raise RegistryError(
                f"A model card must be a ModelCard or a mapping, got {data!r}."
            )
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        extra = {str(k): str(v) for k, v in data.items() if k not in known}
        values["extra"] = {**dict(values.get("extra") or {}), **extra}
        values["owners"] = tuple(values.get("owners") or ())
        try:
            values["evaluation"] = {
                str(k): float(v)
                for k, v in dict(values.get("evaluation") or {}).items()
            }
        except (TypeError, ValueError):
            raise RegistryError(
                "A model card's 'evaluation' maps metric names to numbers, got "
                f"{values.get('evaluation')!r}."
            ) from None
        return cls(**values)


def complete_card(
    card: ModelCard | Mapping[str, Any] | None,
    *,
    training_data: str,
    metrics: Mapping[str, float],
) -> ModelCard:
    """The user's card with empty sections filled from what Rung knows."""
    if card is None:
        base = ModelCard()
    elif isinstance(card, ModelCard):
        base = card
    else:
        base = ModelCard.from_dict(card)
    return replace(
        base,
        training_data=base.training_data or training_data,
        evaluation=dict(base.evaluation) or dict(metrics),
    )
