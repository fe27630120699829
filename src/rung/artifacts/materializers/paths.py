"""``path``: a file or folder given as a ``pathlib.Path`` is copied in.

Loading returns the ``Path`` of the stored copy inside the opened artifact
folder: read it, do not modify it. Empty sub-folders are not kept (artifact
ids cover files only).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rung.errors import ArtifactError

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["PathMaterializer"]


class PathMaterializer:
    """Stores the file or folder a ``pathlib.Path`` points at, under its name.

    Example:
        >>> PathMaterializer().can_save(Path("model.onnx"))
        True
    """

    name = "path"
    version = 1
    is_pickled = False

    def can_save(self, value: Any) -> bool:
        """Return True for any ``pathlib.Path`` (existence is checked on save)."""
        return isinstance(value, Path)

    def save(self, value: Any, folder: Path) -> dict[str, Any]:
        """Copy the file or folder into ``folder`` under its own name."""
        source = Path(value)
        target = folder / (source.resolve().name or "root")
        if source.is_file():
            shutil.copyfile(source, target)
            return {"kind": "file", "name": target.name}
        if source.is_dir() and not any(p.is_file() for p in source.rglob("*")):
            raise ArtifactError(
                f"Cannot store the folder {str(source)!r}: it holds no files, and "
                "artifacts keep files only. Write at least one file into it."
            )
        if source.is_dir():
            shutil.copytree(source, target, copy_function=shutil.copyfile)
            return {"kind": "folder", "name": target.name}
        raise ArtifactError(
            f"Cannot store the path {str(source)!r}: no file or folder exists "
            "there. Check the path, or write the file before returning it."
        )

    def load(self, folder: Path, metadata: Mapping[str, Any]) -> Path:
        """Return the path of the stored copy."""
        entries = list(folder.iterdir())
        if len(entries) != 1:
            raise ArtifactError(
                f"The path artifact in {str(folder)!r} should hold one entry; "
                f"found {sorted(e.name for e in entries)}."
            )
        return entries[0]
