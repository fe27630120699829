"""The production window: rows of the prediction log, read with DuckDB.

``rung.serving.prediction_relation`` exposes the Parquet prediction log as a
DuckDB relation (with the newest label joined per prediction). A window is
the rows of one model in the last ``seconds`` before now, or its newest
``rows`` rows; DuckDB reads only those and hands them over as Arrow, whose
columns become NumPy arrays. The log is never loaded whole into pandas.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rung.errors import MonitorDataError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from rung.monitoring._columns import Columns
    from rung.workspace import Workspace

__all__ = ["Window", "read_window", "window_text"]

_VIEW = "rung_monitor_window"


@dataclass(slots=True)
class Window:
    """Rows of the current data and their extent.

    Attributes:
        columns: the rows, as columns.
        info: ``rows``, ``start`` / ``end`` (first and last timestamp),
            ``since`` / ``until`` (the asked bounds), ``versions`` seen.
    """

    columns: Columns
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        """Rows in the window."""
        from rung.monitoring._columns import row_count

        return row_count(self.columns)


def read_window(
    workspace: Workspace, model: str, window: Mapping[str, Any], *, now: float
) -> Window:
    """Read a model's window of the prediction log.

    Args:
        workspace: the workspace whose log to read.
        model: the model's name.
        window: ``{"seconds": 3600}`` (the last hour before ``now``),
            ``{"rows": 10000}`` (the newest rows) or ``{}`` (everything).
        now: the window's end (POSIX seconds).

    Raises:
        MonitorDataError: no prediction log reader is available, or it failed.
    """
    import duckdb

    from rung.monitoring._columns import to_columns

    reader = _reader()
    seconds, rows = window.get("seconds"), window.get("rows")
    since = now - float(seconds) if seconds else None
    sql = f"SELECT * FROM {_VIEW}"  # noqa: S608 - a constant view name
    if rows:
        sql += f" ORDER BY timestamp DESC, prediction_id DESC LIMIT {int(rows)}"
    with duckdb.connect() as con:
        try:
            reader(workspace, model, None, since, now, connection=con, name=_VIEW)
            table = con.sql(sql).to_arrow_table()
        except duckdb.Error as exc:
            raise MonitorDataError(
                f"Cannot read the prediction log of model {model!r}: {exc}"
            ) from exc
    columns = to_columns(table, "prediction log window")
    return Window(columns, _info(columns, since, now, rows))


def window_text(window: Mapping[str, Any]) -> str:
    """``last 1h``, ``last 10,000 rows`` or ``all rows``."""
    if window.get("seconds"):
        seconds = float(window["seconds"])
        for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
            if seconds >= size and seconds % size == 0:
                return f"last {int(seconds // size)}{unit}"
        return f"last {seconds:g}s"
    if window.get("rows"):
        return f"last {int(window['rows']):,} rows"
    return "all rows"


def _reader() -> Any:
    try:
        from rung import serving
    except ImportError as exc:  # pragma: no cover - serving ships with Rung
        raise MonitorDataError(
            f"The serving package cannot be imported: {exc}"
        ) from exc
    reader = getattr(serving, "prediction_relation", None)
    if reader is None:
        raise MonitorDataError(
            "This Rung has no prediction log reader "
            "(rung.serving.prediction_relation), so a monitor cannot read "
            "production windows. Compare with a dataset instead: --current "
            "dataset:NAME, or pass current=<DataFrame> to run_monitor."
        )
    return reader


def _info(
    columns: Columns, since: float | None, until: float, rows: Any
) -> dict[str, Any]:
    from rung.monitoring._columns import row_count

    info: dict[str, Any] = {"rows": row_count(columns), "since": since, "until": until}
    if rows:
        info["limit"] = int(rows)
    stamps = columns.get("timestamp")
    if stamps is not None and stamps.size and stamps.dtype.kind == "f":
        present = stamps[~_nan(stamps)]
        if present.size:
            info["start"], info["end"] = float(present.min()), float(present.max())
    versions = columns.get("version")
    if versions is not None and versions.size:
        seen = {
            int(v) for v in versions if isinstance(v, int | float) and not math.isnan(v)
        }
        info["versions"] = sorted(seen)
    return info


def _nan(values: Any) -> Any:
    import numpy as np

    return np.isnan(values)
