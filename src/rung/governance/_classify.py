"""Classifications: which protected data something carries, and how it got there.

A :class:`Classification` is a set of :class:`DataSource` entries: one per
dataset version upstream, with the dataset's tags (its own and its columns'),
its residency region, the classified columns, and the lineage path from the
dataset to the thing classified. Tags and regions are the union over sources.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rung.catalog.records import DatasetRecord

__all__ = ["Classification", "DataSource", "source_of_dataset"]


@dataclass(frozen=True, slots=True)
class DataSource:
    """One dataset version upstream, and the path its data took.

    Attributes:
        dataset: the dataset's name.
        version: the version number (None: not known yet, e.g. "latest").
        tags: the dataset's tags and its columns' tags, lower-case, sorted.
        region: the residency region the catalog records (None: none).
        columns: classified column name -> its tags.
        path: the steps (and models) the data went through, in order.
    """

    dataset: str
    version: int | None
    tags: tuple[str, ...] = ()
    region: str | None = None
    columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    path: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """``claims@v3 [health, CA]``."""
        version = "latest" if self.version is None else f"v{self.version}"
        facts = [*self.tags, *([self.region] if self.region else [])]
        return f"{self.dataset}@{version} [{', '.join(facts)}]"

    def describe_path(self) -> str:
        """``claims@v3 [health, CA] -> load_claims -> train``."""
        return " -> ".join((self.label, *self.path))

    def via(self, hop: str) -> DataSource:
        """The same data one hop further (a step, a model version)."""
        if self.path and self.path[-1] == hop:
            return self
        return replace(self, path=(*self.path, hop))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form."""
        return {
            "dataset": self.dataset,
            "version": self.version,
            "tags": list(self.tags),
            "region": self.region,
            "columns": {k: list(v) for k, v in self.columns.items()},
            "path": self.describe_path(),
        }


@dataclass(frozen=True, slots=True)
class Classification:
    """The protected data something carries, with the lineage that brought it.

    Attributes:
        sources: one entry per dataset version upstream (first path found).
        complete: False when the lineage walk was cut short (very deep or wide
            lineage); what is listed is then a lower bound.

    Example:
        >>> c = Classification((DataSource("claims", 3, ("health",), "CA"),))
        >>> c.tags, c.regions
        (('health',), ('CA',))
        >>> c.via("train").paths("health")
        ['claims@v3 [health, CA] -> train']
    """

    sources: tuple[DataSource, ...] = ()
    complete: bool = True

    @property
    def tags(self) -> tuple[str, ...]:
        """Every tag of every source, sorted."""
        return tuple(sorted({t for s in self.sources for t in s.tags}))

    @property
    def regions(self) -> tuple[str, ...]:
        """Every residency region of every source, sorted."""
        return tuple(sorted({s.region for s in self.sources if s.region}))

    @property
    def columns(self) -> dict[str, tuple[str, ...]]:
        """Classified column name -> tags, over every source."""
        merged: dict[str, set[str]] = {}
        for source in self.sources:
            for name, tags in source.columns.items():
                merged.setdefault(name, set()).update(tags)
        return {name: tuple(sorted(tags)) for name, tags in sorted(merged.items())}

    def __bool__(self) -> bool:
        return bool(self.sources)

    def paths(self, tag_or_region: str) -> list[str]:
        """The lineage paths that brought a tag or a region."""
        wanted = tag_or_region.lower()
        return [
            s.describe_path()
            for s in self.sources
            if wanted in s.tags or (s.region or "").lower() == wanted
        ]

    def via(self, hop: str) -> Classification:
        """The same data one hop further along (a step, a model version)."""
        return replace(self, sources=tuple(s.via(hop) for s in self.sources))

    @staticmethod
    def merge(parts: Iterable[Classification]) -> Classification:
        """The union of several classifications (one entry per dataset version)."""
        seen: dict[tuple[str, int | None], DataSource] = {}
        complete = True
        for part in parts:
            complete = complete and part.complete
            for source in part.sources:
                seen.setdefault((source.dataset, source.version), source)
        return Classification(tuple(seen.values()), complete)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form: tags, regions, columns, sources with their paths."""
        return {
            "tags": list(self.tags),
            "regions": list(self.regions),
            "columns": {k: list(v) for k, v in self.columns.items()},
            "sources": [s.to_dict() for s in self.sources],
            "complete": self.complete,
        }


def source_of_dataset(record: DatasetRecord, version: int | None) -> DataSource:
    """The classification facts of a catalog entry (dataset and column tags)."""
    columns = {
        c.name: tuple(sorted({t.strip().lower() for t in c.tags}))
        for c in record.columns
        if c.tags
    }
    return source_of_attributes(
        record.name, version, record.tags, record.region, columns
    )


def source_of_attributes(
    name: str,
    version: int | None,
    tags: Iterable[str],
    region: str | None,
    columns: Mapping[str, Iterable[str]],
) -> DataSource:
    """A source from raw facts (a lineage graph node's attributes)."""
    column_tags = {
        col: tuple(sorted({t.strip().lower() for t in col_tags}))
        for col, col_tags in columns.items()
    }
    every = {t.strip().lower() for t in tags} | {
        t for col_tags in column_tags.values() for t in col_tags
    }
    return DataSource(name, version, tuple(sorted(every)), region or None, column_tags)
