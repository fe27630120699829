"""``Client`` methods for the data catalog (``rung.catalog``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from collections.abc import Iterable

    from rung.catalog import DatasetMatch, DueRefresh, LineageGraph, RefreshResult
    from rung.catalog.records import DatasetRecord, DatasetVersionRecord
    from rung.workspace import Workspace

__all__ = ["_Datasets"]


class _Datasets:
    """Datasets, their versions and the lineage graph."""

    workspace: Workspace

    def register_dataset(self, name: str, uri: str, **options: Any) -> RefreshResult:
        """Add a data source and record its first version.

        ``options`` are those of :func:`rung.catalog.register_dataset`
        (``owner``, ``tags``, ``region``, ``schedule``, ``snapshot``, ...).
        """
        from rung import catalog

        return catalog.register_dataset(self.workspace, name, uri, **options)

    def refresh_dataset(
        self, name: str, *, fail_on_schema_change: bool | None = None
    ) -> RefreshResult:
        """Read a source again; record a version if the content changed."""
        from rung import catalog

        return catalog.refresh_dataset(
            self.workspace, name, fail_on_schema_change=fail_on_schema_change
        )

    def refresh_due_datasets(self) -> DueRefresh:
        """Refresh every dataset whose schedule is due."""
        from rung import catalog

        return catalog.refresh_due(self.workspace)

    def list_datasets(
        self,
        *,
        owner: str | None = None,
        tag: str | None = None,
        column: str | None = None,
        limit: int | None = None,
    ) -> list[DatasetRecord]:
        """Catalog entries by name that match every filter given."""
        from rung import catalog

        return catalog.list_datasets(
            self.workspace, owner=owner, tag=tag, column=column, limit=limit
        )

    def search_datasets(
        self,
        text: str | None = None,
        *,
        owner: str | None = None,
        tag: str | None = None,
        column: str | None = None,
    ) -> list[DatasetMatch]:
        """Datasets matching ``text`` and the filters, best matches first."""
        from rung import catalog

        return catalog.search_datasets(
            self.workspace, text, owner=owner, tag=tag, column=column
        )

    def get_dataset(self, name: str) -> DatasetRecord:
        """One catalog entry."""
        from rung import catalog

        return catalog.get_dataset(self.workspace, name)

    def list_dataset_versions(self, name: str) -> list[DatasetVersionRecord]:
        """A dataset's versions, oldest first."""
        return self.workspace.datasets.list_dataset_versions(name)

    def describe_column(
        self,
        name: str,
        column: str,
        description: str | None = None,
        *,
        tags: Iterable[str] | None = None,
    ) -> DatasetRecord:
        """Set a column's description and/or tags."""
        from rung import catalog

        return catalog.describe_column(
            self.workspace, name, column, description, tags=tags
        )

    def lineage_graph(
        self,
        node_id: str,
        direction: Literal["upstream", "downstream", "both"] = "both",
        depth: int = 20,
    ) -> LineageGraph:
        """The lineage graph around a node (``claims@2``, ``churn/3``, a run id)."""
        from rung import catalog

        return catalog.lineage_graph(self.workspace, node_id, direction, depth)
