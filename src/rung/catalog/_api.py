"""Looking datasets up, searching the catalog, annotating columns."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rung.errors import InvalidDatasetError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from rung.catalog.records import DatasetRecord, DatasetVersionRecord
    from rung.workspace import Workspace

__all__ = [
    "describe_column",
    "get_dataset",
    "get_dataset_version",
    "list_datasets",
    "parse_version",
    "update_dataset",
]


def get_dataset(workspace: Workspace, name: str) -> DatasetRecord:
    """Return the catalog entry of ``name``.

    Raises:
        DatasetNotFoundError: no dataset has this name.

    Example:
        >>> get_dataset(ws, "claims").tags  # doctest: +SKIP
        ('pii', 'health')
    """
    return workspace.datasets.get_dataset(name)


def get_dataset_version(
    workspace: Workspace, name: str, version: int | str | None = None
) -> DatasetVersionRecord:
    """Return one version of a dataset (None or ``"latest"``: the newest).

    Raises:
        DatasetNotFoundError: unknown dataset or version.
        InvalidDatasetError: ``version`` is not a number.

    Example:
        >>> get_dataset_version(ws, "claims", 1).fingerprint  # doctest: +SKIP
        'sha256:9f2c...'
    """
    return workspace.datasets.get_dataset_version(name, parse_version(version))


def list_datasets(
    workspace: Workspace,
    *,
    name_contains: str | None = None,
    owner: str | None = None,
    tag: str | None = None,
    column: str | None = None,
    limit: int | None = None,
) -> list[DatasetRecord]:
    """Return catalog entries by name that match every filter given.

    Args:
        workspace: the workspace.
        name_contains: a substring of the name (case-insensitive).
        owner: the exact owner.
        tag: a dataset tag or a column tag.
        column: a column name (case-insensitive).
        limit: return at most this many.

    Example:
        >>> [d.name for d in list_datasets(ws, tag="pii")]  # doctest: +SKIP
        ['claims']
    """
    return workspace.datasets.list_datasets(
        name_contains=name_contains, owner=owner, tag=tag, column=column, limit=limit
    )


def describe_column(
    workspace: Workspace,
    name: str,
    column: str,
    description: str | None = None,
    *,
    tags: Iterable[str] | None = None,
) -> DatasetRecord:
    """Set a column's description and/or tags; return the updated dataset.

    Raises:
        DatasetNotFoundError: unknown dataset.
        CatalogError: the dataset has no such column.

    Example:
        >>> describe_column(ws, "claims", "email", "Mail")  # doctest: +SKIP
    """
    note: dict[str, Any] = {}
    if description is not None:
        note["description"] = description
    if tags is not None:
        note["tags"] = list(dict.fromkeys(t.strip() for t in tags if t.strip()))
    return workspace.datasets.update_dataset(name, {"column_notes": {column: note}})


def update_dataset(workspace: Workspace, name: str, **changes: Any) -> DatasetRecord:
    """Change a dataset's owner, description, tags, region, schedule or settings.

    Example:
        >>> update_dataset(ws, "claims", owner="ada", region="EU")  # doctest: +SKIP
    """
    if changes.get("schedule") is not None:
        from rung.catalog._schedule import check_schedule

        check_schedule(changes["schedule"])
    return workspace.datasets.update_dataset(name, changes)


def parse_version(version: int | str | None) -> int | None:
    """Turn ``3``, ``"3"``, ``"v3"``, ``"latest"`` or None into a number or None."""
    if version is None or version == "latest":
        return None
    if isinstance(version, int) and not isinstance(version, bool):
        return version
    text = str(version).lower().removeprefix("v")
    if not text.isdigit():
        raise InvalidDatasetError(
            f"Invalid dataset version {version!r}. Give a number (2, 'v2') or 'latest'."
        )
    return int(text)
