"""Make skops files byte-for-byte reproducible.

``skops.io.dump`` names objects by ``id(obj)`` (memory addresses), names
some inner files after those ids or random UUIDs, and stamps zip entries with
the current time. We renumber the ids and files in a fixed traversal order,
then rewrite the zip with sorted entries and a fixed timestamp, so two equal
models give equal bytes and therefore equal artifact ids.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["canonicalize_skops_file"]

_SCHEMA = "schema.json"
_EPOCH = (1980, 1, 1, 0, 0, 0)


def canonicalize_skops_file(path: Path) -> None:
    """Rewrite the skops file at ``path`` in canonical form, in place."""
    with zipfile.ZipFile(path) as source:
        infos = source.infolist()
        contents = {info.filename: source.read(info) for info in infos}
    compression = infos[0].compress_type if infos else zipfile.ZIP_STORED
    schema = json.loads(contents.pop(_SCHEMA))
    renames = _renumber(schema, set(contents))
    output = {renames.get(name, name): data for name, data in contents.items()}
    output[_SCHEMA] = json.dumps(schema, indent=2).encode("utf-8")
    _write_zip(path, output, compression)


def _renumber(schema: Any, files: set[str]) -> dict[str, str]:
    """Replace ``__id__`` values and inner file names by sequence numbers."""
    ids: dict[int, int] = {}
    renames: dict[str, str] = {}
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(reversed(node))
            continue
        if not isinstance(node, dict):
            continue
        if "__loader__" in node:
            _rename_node(node, ids, renames, files)
        stack.extend(reversed(list(node.values())))
    return renames


def _rename_node(
    node: dict[str, Any], ids: dict[int, int], renames: dict[str, str], files: set[str]
) -> None:
    old_id = node.get("__id__")
    if isinstance(old_id, int) and not isinstance(old_id, bool):
        node["__id__"] = ids.setdefault(old_id, len(ids) + 1)  # 0 means "no id"
    old_file = node.get("file")
    if isinstance(old_file, str) and old_file in files:
        suffix = PurePosixPath(old_file).suffix
        node["file"] = renames.setdefault(old_file, f"{len(renames) + 1}{suffix}")


def _write_zip(path: Path, contents: dict[str, bytes], compression: int) -> None:
    with zipfile.ZipFile(path, "w", compression=compression) as target:
        for name in sorted(contents):
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.compress_type = compression
            info.external_attr = 0o644 << 16
            target.writestr(info, contents[name])
