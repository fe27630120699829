"""Reading a shadow rollout's two logs side by side.

A challenger in shadow logs its predictions of mirrored requests as
``shadow`` batches under the prediction ids of the champion's answered rows,
so the two logs join on ``prediction_id``, and feedback labels (sent for the
answered ids) apply to both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rung.errors import PredictionLogError
from rung.serving._query import _feedback_sql, _ident, batch_files, sql_list

if TYPE_CHECKING:
    import pandas as pd

    from rung.workspace import Workspace

__all__ = ["read_shadow_pairs"]


def read_shadow_pairs(  # noqa: PLR0917 - the two versions and the window
    workspace: Workspace,
    model: str,
    champion_version: int,
    challenger_version: int,
    since: float,
    until: float | None = None,
) -> pd.DataFrame:
    """The mirrored rows: both versions' predictions of the same requests.

    Args:
        workspace: the workspace whose log to read.
        model: the model.
        champion_version / challenger_version: who answered, who shadowed.
        since / until: rows with ``since <= timestamp < until`` (POSIX s).

    Returns:
        One row per mirrored prediction id, oldest first: ``prediction_id``,
        ``timestamp``, ``champion``, ``challenger`` (the two predictions),
        ``champion_proba_<class>`` / ``challenger_proba_<class>`` for
        classifiers, and ``label`` (the newest feedback label, or None).

    Example:
        >>> pairs = read_shadow_pairs(ws, "churn", 2, 3, since=t0)  # doctest: +SKIP
        >>> (pairs["champion"] == pairs["challenger"]).mean()  # doctest: +SKIP
    """
    import duckdb

    answered = _scan(workspace, "predictions", model, champion_version, since, until)
    mirrored = _scan(workspace, "shadow", model, challenger_version, since, until)
    labels = _feedback_sql(workspace, model, since)
    with duckdb.connect() as con:
        try:
            if answered is None or mirrored is None:
                return _empty()
            con.execute(f"CREATE TEMP VIEW a AS {answered}")
            con.execute(f"CREATE TEMP VIEW s AS {mirrored}")
            proba = [
                (c, f"champion_{c}", f"challenger_{c}")
                for c in con.table("s").columns
                if c.startswith("proba_") and c in con.table("a").columns
            ]
            extra = "".join(
                f", a.{_ident(c)} AS {_ident(x)}, s.{_ident(c)} AS {_ident(y)}"
                for c, x, y in proba
            )
            sql = (
                "SELECT a.prediction_id, a.timestamp, a.prediction AS champion, "  # noqa: S608
                f"s.prediction AS challenger{extra}, f.label FROM a "
                "JOIN s ON a.prediction_id = s.prediction_id "
                f"LEFT JOIN ({labels}) AS f ON a.prediction_id = f.prediction_id "
                "ORDER BY a.timestamp, a.prediction_id"
            )
            return con.execute(sql).df()
        except duckdb.Error as exc:
            raise PredictionLogError(
                f"Cannot read the shadow log of {model}: {exc}"
            ) from exc


def _scan(  # noqa: PLR0917
    workspace: Workspace,
    kind: str,
    model: str,
    version: int,
    since: float,
    until: float | None,
) -> str | None:
    files = [
        path
        for _, path in batch_files(
            workspace, kind, model=model, version=version, since=since, until=until
        )
    ]
    if not files:
        return None
    where = f"timestamp >= {float(since)!r}"
    if until is not None:
        where += f" AND timestamp < {float(until)!r}"
    scan = f"read_parquet({sql_list(files)}, union_by_name=true)"
    return f"SELECT * FROM {scan} WHERE {where}"  # noqa: S608


def _empty() -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(
        {
            "prediction_id": pd.Series([], dtype=object),
            "timestamp": pd.Series([], dtype=float),
            "champion": pd.Series([], dtype=object),
            "challenger": pd.Series([], dtype=object),
            "label": pd.Series([], dtype=object),
        }
    )
