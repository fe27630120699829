"""Egress: classified columns must be dropped or hashed before data leaves.

A step labelled ``egress`` sends data out. When it receives a pandas
DataFrame whose lineage carries data an egress rule governs, every column
that lineage classes with the rule's tags (matched by name) must be absent
(``drop``) or absent or hashed (``drop_or_hash``).

**How a hashed column is recognised:** by its values. A column counts as
hashed when every non-null value is a 64-character lower-case hex string, the
form :func:`hash_columns` writes (SHA-256). The check therefore survives
storage as an artifact and any pandas operation that keeps the values.
:func:`hash_columns` also records what it did in ``df.attrs["rung.hashed"]``
(column -> ``"sha256"``) for people reading the data; the check does not
trust that marker alone, because ``attrs`` is easy to copy onto raw data.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from rung.errors import GovernanceError
from rung.governance._evaluate import Outcome, RuleResult

if TYPE_CHECKING:
    from collections.abc import Iterable

    import pandas as pd

    from rung.governance._classify import DataSource
    from rung.governance._model import Policy

__all__ = ["HASHED_ATTR", "hash_columns", "is_hashed", "judge_egress_value"]

HASHED_ATTR = "rung.hashed"
"""The ``df.attrs`` key where :func:`hash_columns` records hashed columns."""

_DIGEST = r"[0-9a-f]{64}"


def hash_columns(
    df: pd.DataFrame, columns: Iterable[str], *, salt: str | bytes
) -> pd.DataFrame:
    """Return a copy of ``df`` with ``columns`` replaced by salted SHA-256 digests.

    Each non-null value becomes ``sha256(salt + b"\\0" + str(value))`` as 64
    hex characters; nulls stay null. Equal values get equal digests, so the
    column still joins and counts.

    Args:
        df: the data.
        columns: the columns to hash.
        salt: a secret (keep it out of the code); without one, common values
            such as e-mail addresses could be recovered by guessing.

    Returns:
        The new DataFrame; ``attrs["rung.hashed"]`` lists the hashed columns.

    Raises:
        GovernanceError: an empty salt or an unknown column.

    Example:
        >>> import pandas as pd
        >>> df = pd.DataFrame({"email": ["a@x.ca"], "age": [41]})
        >>> out = hash_columns(df, ["email"], salt="s3cret")
        >>> len(out["email"][0]), out.attrs["rung.hashed"]
        (64, {'email': 'sha256'})
    """
    key = salt.encode("utf-8") if isinstance(salt, str) else bytes(salt)
    if not key:
        raise GovernanceError(
            "hash_columns needs a non-empty salt. Pass a secret, e.g. "
            "salt=os.environ['HASH_SALT']."
        )
    names = list(dict.fromkeys(columns))
    missing = [c for c in names if c not in df.columns]
    if missing:
        raise GovernanceError(
            f"Cannot hash {missing}: no such column. Columns: {list(df.columns)}."
        )
    import pandas as pd

    out = df.copy()
    for name in names:
        column = out[name]
        present = column.notna()
        digests = pd.Series(None, index=column.index, dtype=object)
        digests[present] = [_digest(key, v) for v in column[present].tolist()]
        out[name] = digests
    marker = dict(out.attrs.get(HASHED_ATTR, {}))
    marker.update(dict.fromkeys(names, "sha256"))
    out.attrs[HASHED_ATTR] = marker
    return out


def is_hashed(column: pd.Series) -> bool:
    """True when every non-null value of ``column`` looks like a SHA-256 digest."""
    values = column.dropna()
    if values.empty:
        return True
    if not all(isinstance(v, str) for v in values.head(1000).tolist()):
        return False
    return bool(values.astype(str).str.fullmatch(_DIGEST).all())


def judge_egress_value(
    policy: Policy, sources: list[DataSource], value: Any, *, subject: str, arg: str
) -> RuleResult:
    """May ``value`` (argument ``arg``) leave through an egress step?"""
    paths = tuple(s.describe_path() for s in sources)
    if policy.egress == "deny":
        reason = (
            f"{subject} is labelled egress and its input {arg!r} carries data "
            f"{policy.name!r} never lets out."
        )
        return RuleResult(policy.name, "fail", reason, paths)
    if not _is_dataframe(value):
        kind = type(value).__name__
        reason = (
            f"Input {arg!r} is a {kind}, not a DataFrame: it has no columns to check."
        )
        return RuleResult(policy.name, "pass", reason, paths)
    outcome, reason = _judge_columns(policy, sources, value, f"Input {arg!r}", subject)
    return RuleResult(policy.name, outcome, reason, paths)


def _judge_columns(
    policy: Policy, sources: list[DataSource], df: Any, what: str, subject: str
) -> tuple[Outcome, str]:
    tags = "/".join(policy.match.tags)
    protected, untagged = _protected_columns(policy, sources)
    if untagged:
        return "fail", (
            f"{what} of {subject} derives from {', '.join(untagged)}, classed {tags} "
            "as a whole, so its columns cannot be told apart. Tag the classified "
            "columns in the catalog "
            "(rung.catalog.describe_column(ws, NAME, COLUMN, tags=[...]))."
        )
    present = [c for c in df.columns if str(c) in protected]
    may_hash = policy.egress == "drop_or_hash"
    hashed = [str(c) for c in present if may_hash and is_hashed(df[c])]
    leaking = [str(c) for c in present if str(c) not in hashed]
    if leaking:
        action = "Drop or hash" if may_hash else "Drop"
        return "fail", (
            f"{what} of {subject} still holds {', '.join(leaking)} in clear ({tags}). "
            f"{action} them in an upstream step "
            "(rung.governance.hash_columns(df, [...], salt=...))."
        )
    done = ", ".join(hashed) or "none"
    return "pass", f"{what}: classified columns dropped or hashed (hashed: {done})."


def _protected_columns(
    policy: Policy, sources: list[DataSource]
) -> tuple[set[str], list[str]]:
    wanted = set(policy.match.tags)
    protected: set[str] = set()
    untagged: list[str] = []
    for source in sources:
        names = {n for n, tags in source.columns.items() if wanted & set(tags)}
        if not names:
            untagged.append(source.label)
        protected |= names
    return protected, untagged


def _is_dataframe(value: Any) -> bool:
    module = type(value).__module__
    return module.startswith("pandas") and type(value).__name__ == "DataFrame"


def _digest(key: bytes, value: Any) -> str:
    return hashlib.sha256(key + b"\0" + str(value).encode("utf-8")).hexdigest()
