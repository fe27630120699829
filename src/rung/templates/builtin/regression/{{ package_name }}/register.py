"""Register: a quality gate, then a new version in Rung's model registry.

``register_model_step`` records the model with its metrics, signature,
lineage and code version (see Rung's registry guide); promote a version with
``rung models promote NAME VERSION --alias production``.
"""

from __future__ import annotations

from rung import step
from rung.registry import register_model_step

__all__ = ["quality_gate", "register_model_step"]


@step
def quality_gate(
    scores: dict[str, float], metric: str, minimum: float
) -> dict[str, float]:
    """Pass ``scores`` on when ``scores[metric] >= minimum``; else fail the run."""
    if metric not in scores:
        raise ValueError(f"No metric {metric!r} to gate on; scores: {sorted(scores)}.")
    if scores[metric] < minimum:
        raise ValueError(
            f"{metric} {scores[metric]:.4f} is below the minimum {minimum}: the "
            "model is not registered. Improve it, or lower the minimum in the "
            "configuration."
        )
    return scores
