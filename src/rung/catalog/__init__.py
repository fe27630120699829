"""The data catalog: datasets, versions, schema, statistics and lineage.

Register a data source (a file, a folder of files, a SQL table or query),
refresh it into versions (new content only, with schema changes reported),
read versions in steps with lineage recorded, and follow lineage from a
dataset version to the models and deployments it fed.

Importing this package imports neither pandas, pyarrow nor SQLAlchemy.

Example:
    >>> import rung
    >>> from rung.catalog import register_dataset, lineage_graph
    >>> register_dataset(ws, "claims", "claims.csv")  # doctest: +SKIP
    >>> df = rung.load_dataset("claims")  # doctest: +SKIP
    >>> lineage_graph(ws, "claims", "downstream")  # doctest: +SKIP
"""

from __future__ import annotations

from rung.catalog._api import (
    describe_column,
    get_dataset,
    get_dataset_version,
    list_datasets,
    update_dataset,
)
from rung.catalog._lineage import (
    GraphEdge,
    GraphNode,
    LineageGraph,
    LineageSource,
    add_lineage_source,
    lineage_graph,
    remove_lineage_source,
)
from rung.catalog._openlineage import openlineage_listener, run_event
from rung.catalog._read import (
    DatasetInput,
    ReadCheck,
    add_read_check,
    dataset,
    load_dataset,
    read_table,
    remove_read_check,
)
from rung.catalog._refresh import RefreshResult, refresh_dataset, register_dataset
from rung.catalog._schedule import DueRefresh, due_datasets, next_refresh, refresh_due
from rung.catalog._search import DatasetMatch, search_datasets
from rung.catalog._svg import graph_to_html, graph_to_svg
from rung.catalog.records import ColumnRecord, DatasetRecord, DatasetVersionRecord

__all__ = [
    "ColumnRecord",
    "DatasetInput",
    "DatasetMatch",
    "DatasetRecord",
    "DatasetVersionRecord",
    "DueRefresh",
    "GraphEdge",
    "GraphNode",
    "LineageGraph",
    "LineageSource",
    "ReadCheck",
    "RefreshResult",
    "add_lineage_source",
    "add_read_check",
    "dataset",
    "describe_column",
    "due_datasets",
    "get_dataset",
    "get_dataset_version",
    "graph_to_html",
    "graph_to_svg",
    "lineage_graph",
    "list_datasets",
    "load_dataset",
    "next_refresh",
    "openlineage_listener",
    "read_table",
    "refresh_dataset",
    "refresh_due",
    "register_dataset",
    "remove_lineage_source",
    "remove_read_check",
    "run_event",
    "search_datasets",
    "update_dataset",
]
