"""The classification a model version inherits from the data upstream of it.

The registry does not know about governance (they are sibling domains), so
this is assembled here, one layer up: the version's lineage (through the
catalog's lineage graph) is classified by :func:`rung.governance.classifications_of`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rung.governance import Classification, DataSource
    from rung.registry.records import ModelVersionRecord
    from rung.workspace import Workspace

__all__ = ["InheritedClassification", "classify_model_version"]


@dataclass(frozen=True, slots=True)
class InheritedClassification:
    """What a model version carries from the datasets it was trained on.

    Attributes:
        model: the model's name.
        version: the version number.
        classification: tags, regions and the lineage path of each dataset
            version upstream.
        traced: True when the version records the run that made it. A version
            without a run and without lineage (a model object registered
            outside a pipeline) has an unknown classification, not "none".

    Example:
        >>> found = classify_model_version(ws, version)  # doctest: +SKIP
        >>> found.summary()  # doctest: +SKIP
        'health, pii (region CA, from dataset claims v2)'
    """

    model: str
    version: int
    classification: Classification
    traced: bool

    @property
    def is_known(self) -> bool:
        """False when nothing links the version to data."""
        return self.traced or bool(self.classification)

    def summary(self) -> str:
        """One line: ``health, pii (region CA, from dataset claims v2)``.

        ``none`` when the datasets upstream carry no tag or region; ``unknown
        (no lineage recorded)`` when nothing links the version to data.
        """
        if not self.is_known:
            return "unknown (no lineage recorded)"
        found = self.classification
        carrying = [s for s in found.sources if s.tags or s.region]
        if carrying:
            regions = found.regions
            where = f"region{'s' if len(regions) > 1 else ''} {', '.join(regions)}, "
            text = (
                f"{', '.join(found.tags) or 'no tags'} "
                f"({where if regions else ''}from {_datasets(carrying)})"
            )
        else:
            text = "none" + (f" (from {_datasets(found.sources)})" if found else "")
        return text if found.complete else f"{text}; lineage cut short"

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: the classification's fields, ``summary`` and ``traced``."""
        return {
            **self.classification.to_dict(),
            "summary": self.summary(),
            "traced": self.traced,
        }


def classify_model_version(
    workspace: Workspace, version: ModelVersionRecord
) -> InheritedClassification:
    """Classify a model version by its upstream lineage.

    Args:
        workspace: the workspace holding the version.
        version: the registered version.

    Returns:
        Its inherited classification (tags such as ``pii``/``health``,
        residency regions, the dataset versions they came from).

    Example:
        >>> classify_model_version(ws, get_version(ws, "churn", 2)).summary()
        ... # doctest: +SKIP
        'health (region CA, from dataset claims v2)'
    """
    from rung.governance import classifications_of

    reference = f"model_version:{version.project}/{version.model}/{version.version}"
    return InheritedClassification(
        version.model,
        version.version,
        classifications_of(workspace, reference),
        traced=version.run_id is not None,
    )


def _datasets(sources: list[DataSource] | tuple[DataSource, ...]) -> str:
    names = [
        s.dataset + ("" if s.version is None else f" v{s.version}") for s in sources
    ]
    return f"dataset{'s' if len(names) > 1 else ''} {', '.join(names)}"
