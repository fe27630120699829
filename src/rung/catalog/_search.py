"""``search_datasets``: free-text search over the catalog, best matches first.

A search text is matched (case-insensitive substring) against each dataset's
name, description, tags and owner, and against each column's name,
description and tags. Every field that matched is named in the result, so
people see why a dataset came up. Filters (``owner``, ``tag``, ``column``)
keep their exact meaning and narrow the search.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rung.catalog.records import DatasetRecord
    from rung.workspace import Workspace

__all__ = ["DatasetMatch", "search_datasets"]

# Lower ranks come first: a dataset named after the search beats one with a
# column of that name, which beats a mention in tags or free text.
(
    _EXACT_NAME,
    _NAME,
    _COLUMN,
    _TAGS,
    _DESCRIPTION,
    _OWNER,
    _COLUMN_TAGS,
    _COLUMN_DESCRIPTION,
) = range(8)


@dataclass(frozen=True, slots=True)
class DatasetMatch:
    """A dataset a search found, and the fields that matched.

    Attributes:
        dataset: the catalog entry.
        matched: the fields the search text was found in, best first:
            ``name``, ``column amount``, ``tags``, ``description``, ``owner``,
            ``tags of column email``, ``description of column email``.
            Empty when no text was given (only filters).
        rank: the best field's rank (lower is better); results are ordered by it.
    """

    dataset: DatasetRecord
    matched: tuple[str, ...] = ()
    rank: int = 0


def search_datasets(
    workspace: Workspace,
    text: str | None = None,
    *,
    owner: str | None = None,
    tag: str | None = None,
    column: str | None = None,
    limit: int | None = None,
) -> list[DatasetMatch]:
    """Find datasets whose name, description, tags, owner or columns hold ``text``.

    Args:
        workspace: the workspace.
        text: searched case-insensitively as a substring of the name, the
            description, each tag, the owner, and each column's name,
            description and tags. None or blank: every dataset (by name).
        owner: keep only datasets with exactly this owner.
        tag: keep only datasets with this dataset or column tag.
        column: keep only datasets with a column of this name
            (case-insensitive).
        limit: return at most this many (the best ones).

    Returns:
        The matches, best first: name matches, then column-name matches, then
        the rest; ties by dataset name.

    Example:
        >>> [(m.dataset.name, m.matched) for m in search_datasets(ws, "email")]
        ... # doctest: +SKIP
        [('contacts', ('name',)), ('claims', ('column email',))]
    """
    candidates = workspace.datasets.list_datasets(owner=owner, tag=tag, column=column)
    needle = (text or "").strip().lower()
    if not needle:
        return [DatasetMatch(d) for d in candidates][:limit]
    found = []
    for record in candidates:
        hits = sorted(_hits(record, needle))
        if hits:
            labels = tuple(label for _, _, label in hits)
            found.append(DatasetMatch(record, labels, hits[0][0]))
    found.sort(key=lambda m: (m.rank, m.dataset.name))
    return found[:limit]


def _hits(record: DatasetRecord, needle: str) -> Iterator[tuple[int, int, str]]:
    """(rank, column position, label) of each field that contains ``needle``.

    The position keeps a dataset's columns in schema order within a rank.
    """
    name = record.name.lower()
    if needle in name:
        yield (_EXACT_NAME if name == needle else _NAME), 0, "name"
    if any(needle in t.lower() for t in record.tags):
        yield _TAGS, 0, "tags"
    if needle in record.description.lower():
        yield _DESCRIPTION, 0, "description"
    if needle in record.owner.lower():
        yield _OWNER, 0, "owner"
    for position, col in enumerate(record.columns):
        if needle in col.name.lower():
            yield _COLUMN, position, f"column {col.name}"
        if any(needle in t.lower() for t in col.tags):
            yield _COLUMN_TAGS, position, f"tags of column {col.name}"
        if needle in col.description.lower():
            yield _COLUMN_DESCRIPTION, position, f"description of column {col.name}"
