"""``requirements.lock``: the exact versions a pipeline needs, from this environment.

The lock is a closure over installed distributions. It starts from Rung's own
install requirements plus the distributions behind the pipeline's third-party
imports (``importlib.metadata.packages_distributions()`` maps ``sklearn`` to
``scikit-learn``), then follows each distribution's ``Requires-Dist``.
Environment markers are evaluated for this interpreter, and a requirement
guarded by an extra is followed only when that extra was asked for, so Rung's
``postgres`` extra stays out unless the pipeline imports ``psycopg``. Every
distribution is pinned to the version installed here (``name==version``),
which is what the pipeline was last run and tested with.
"""

from __future__ import annotations

import importlib.metadata
import re
import sys
from collections.abc import Iterable, Sequence

from packaging.requirements import InvalidRequirement, Requirement

from rung.errors import PackagingError

__all__ = ["LOCK_NAME", "lock_text", "locked_versions"]

LOCK_NAME = "requirements.lock"
_RUNG = "rung"
# (distribution name, extras asked for, who needs it)
_Root = tuple[str, frozenset[str], str]


def locked_versions(
    imports: Iterable[str], *, rung_requires: Sequence[str] | None = None
) -> tuple[dict[str, str], list[str]]:
    """Pin Rung's closure and the closure of the distributions behind ``imports``.

    Args:
        imports: top-level module names the pipeline imports (third-party).
        rung_requires: Rung's ``Requires-Dist`` lines from the wheel that goes
            into the bundle; then ``rung`` itself is left out of the lock. By
            default Rung is pinned as installed here, with its requirements.

    Returns:
        ``({distribution: version}, unresolved)``, the mapping sorted by name;
        ``unresolved`` lists imports no installed distribution provides.

    Raises:
        PackagingError: a required distribution is not installed here.

    Example:
        >>> versions, unresolved = locked_versions(["sklearn"])
        >>> versions["scikit-learn"]  # doctest: +SKIP
        '1.5.2'
    """
    providers = importlib.metadata.packages_distributions()
    roots: list[_Root] = []
    if rung_requires is None:
        roots.append((_RUNG, frozenset(), "Rung"))
    else:
        roots.extend(_requirements(rung_requires, [""], "the Rung wheel"))
    unresolved: list[str] = []
    for name in sorted(set(imports)):
        dists = providers.get(name)
        if not dists:
            unresolved.append(name)
        roots.extend((d, frozenset(), f"import {name}") for d in dists or ())
    skip = {_RUNG} if rung_requires is not None else set()
    return _closure(roots, skip), unresolved


def lock_text(versions: dict[str, str], *, rung_wheel: str | None = None) -> str:
    """Render ``name==version`` lines with a header saying where they came from."""
    py = ".".join(str(p) for p in sys.version_info[:3])
    lines = [
        "# Exact versions for this pipeline bundle, locked by `rung package` from",
        f"# the Python {py} environment that built it. Install with:",
        "#   pip install --no-cache-dir -r requirements.lock",
    ]
    if rung_wheel:
        lines.append(f"# Rung itself: pip install --no-deps {rung_wheel}")
    lines += [f"{n}=={v}" for n, v in versions.items()]
    return "\n".join(lines) + "\n"


def _closure(roots: list[_Root], skip: set[str]) -> dict[str, str]:
    versions: dict[str, str] = {}
    # (distribution, extra) pairs whose requirements were followed; "" = base.
    followed: set[tuple[str, str]] = set()
    todo = list(roots)
    while todo:
        raw, extras, needed_by = todo.pop()
        name = _normalize(raw)
        wanted = [e for e in ("", *sorted(extras)) if (name, e) not in followed]
        if not wanted or name in skip:
            continue
        dist = _distribution(raw, needed_by)
        versions[name] = dist.version
        followed.update((name, e) for e in wanted)
        todo.extend(_requirements(dist.requires or (), wanted, dist.metadata["Name"]))
    return dict(sorted(versions.items()))


def _distribution(name: str, needed_by: str) -> importlib.metadata.Distribution:
    try:
        return importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        raise PackagingError(
            f"{name!r} (needed by {needed_by}) is not installed in this "
            "environment, so its version cannot be locked. Install it "
            f"(`pip install {name}`), check the pipeline runs, and package again."
        ) from None


def _requirements(lines: Iterable[str], wanted: list[str], owner: str) -> list[_Root]:
    """The requirements among ``lines`` needed for the extras ``wanted``."""
    found: list[_Root] = []
    for line in lines:
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        if req.marker is None:
            needed = "" in wanted
        else:
            marker = req.marker
            needed = any(marker.evaluate({"extra": e}) for e in wanted)
        if needed:
            found.append((req.name, frozenset(req.extras), owner))
    return found


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()
