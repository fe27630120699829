"""Input validation against a model version's signature, compiled once.

:class:`InputSchema` is built when a version is loaded: per column, the type
family, the Python types JSON values may have, and whether nulls pass. A
request is then checked column by column with set operations on value types
(no per-value Python branching on the happy path), converted to NumPy arrays,
and every problem of every column is collected before raising, so one 422
lists them all.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rung.errors import InvalidInputError, ServingError
from rung.registry import type_kind
from rung.serving._convert import (
    convert_arrow_column,
    convert_column,
    convert_pandas_column,
)

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from rung.registry.records import SignatureColumn

__all__ = [
    "NAN_POLICIES",
    "ColumnSpec",
    "Columns",
    "InputSchema",
    "MatrixColumns",
    "Problems",
    "matrix_of",
]

NAN_POLICIES: tuple[str, ...] = ("reject", "allow")
Columns = dict[str, "np.ndarray[Any, Any]"]
_SHOWN_ROWS = 10
_NUMBERS = frozenset({float, int})


class MatrixColumns(dict[str, "np.ndarray[Any, Any]"]):
    """Columns that are, in order, the columns of one float64 matrix (rows x
    columns): what the all-float paths parse. The matrix stays at hand for
    the model call and the prediction log, which would otherwise stack the
    columns again (a copy per call; for the log, one NumPy call per column
    of every request). Never changed once built.
    """

    __slots__ = ("matrix", "names")

    def __init__(self, names: tuple[str, ...], matrix: np.ndarray[Any, Any]) -> None:
        super().__init__({name: matrix[:, i] for i, name in enumerate(names)})
        self.names = names
        self.matrix = matrix


def matrix_of(columns: Mapping[str, Any], names: tuple[str, ...]) -> Any:
    """The float64 matrix whose columns are ``columns``, ``names`` in that
    order, when ``columns`` were parsed as one (:class:`MatrixColumns`);
    else None.

    Example:
        >>> import numpy as np
        >>> matrix = np.zeros((2, 2))
        >>> matrix_of(MatrixColumns(("a", "b"), matrix), ("a", "b")) is matrix
        True
        >>> matrix_of(MatrixColumns(("a", "b"), matrix), ("b", "a")) is None
        True
    """
    if type(columns) is MatrixColumns and (
        columns.names is names or columns.names == names
    ):
        return columns.matrix
    return None


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """One expected column: name, declared type, type family, nullability."""

    name: str
    type: str
    kind: str
    nullable: bool


class Problems:
    """Problems found in one input, to raise all at once.

    Attributes:
        items: one JSON-able dict per problem (at most 10 rows shown each).
        row_sets: per problem, every row it concerns (empty: the whole input).
    """

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self.row_sets: list[list[int]] = []

    def add(
        self,
        column: str | None,
        problem: str,
        rows: Sequence[int] = (),
        example: Any = None,
    ) -> None:
        """Record one problem (``rows`` are 0-based row numbers)."""
        item: dict[str, Any] = {"column": column, "problem": problem}
        if rows:
            item["rows"] = list(rows[:_SHOWN_ROWS])
            item["row_count"] = len(rows)
        if example is not None:
            item["example"] = repr(example)[:80]
        self.items.append(item)
        self.row_sets.append(list(rows))

    def raise_if_any(self, what: str) -> None:
        """Raise InvalidInputError listing every problem, if there is one."""
        if not self.items:
            return
        lines = [_describe(p) for p in self.items]
        raise InvalidInputError(
            f"{len(lines)} problem(s) with the input for {what}:\n  - "
            + "\n  - ".join(lines),
            self.items,
        )


class InputSchema:
    """A model signature compiled for fast checks and conversion.

    Args:
        signature: the expected columns, in the model's order.
        nan_policy: ``reject`` (default) refuses nulls and NaN in columns the
            signature marks non-nullable; ``allow`` passes them to the model.
        label: what the input is for, in messages (``churn v3``).

    Example:
        >>> from rung.metadata import SignatureColumn
        >>> schema = InputSchema([SignatureColumn("age", "int64")])
        >>> schema.from_columns({"age": [31, 42]})["age"].tolist()
        [31, 42]
    """

    def __init__(
        self,
        signature: Sequence[SignatureColumn],
        *,
        nan_policy: str = "reject",
        label: str = "the model",
    ) -> None:
        if nan_policy not in NAN_POLICIES:
            raise ServingError(
                f"Unknown NaN policy {nan_policy!r}. Use one of: "
                f"{', '.join(NAN_POLICIES)}."
            )
        self.specs = tuple(
            ColumnSpec(c.name, c.type, type_kind(c.type), c.nullable) for c in signature
        )
        self.names = tuple(s.name for s in self.specs)
        self.name_set = frozenset(self.names)
        self.nan_policy = nan_policy
        self.label = label
        self.is_all_float = bool(self.specs) and all(
            s.kind == "float" for s in self.specs
        )

    def from_records(self, rows: Sequence[Any]) -> Columns:
        """Check and convert a list of ``{column: value}`` rows."""
        problems = Problems()
        if not rows:
            problems.add(None, "no rows: send at least one")
            problems.raise_if_any(self.label)
        names = self.name_set
        bad = [i for i, row in enumerate(rows) if not _is_row(row, names)]
        if not bad:
            values = {n: [row[n] for row in rows] for n in self.names}
            return self._convert(values, problems)
        self._record_shape_problems(rows, bad, problems)
        self._check_present_values(rows, problems)
        problems.raise_if_any(self.label)
        raise AssertionError("unreachable")  # pragma: no cover

    def from_columns(self, columns: Mapping[str, Any]) -> Columns:
        """Check and convert ``{column: [values...]}``."""
        problems = Problems()
        self._check_names(columns.keys(), problems)
        lengths = {len(v) for v in columns.values() if isinstance(v, list)}
        for name, value in columns.items():
            if not isinstance(value, list):
                problems.add(name, "expected a list of values", example=value)
        if len(lengths) > 1:
            problems.add(None, f"columns have different lengths: {sorted(lengths)}")
        if not lengths or lengths == {0}:
            problems.add(None, "no rows: send at least one")
        problems.raise_if_any(self.label)
        return self._convert({n: columns[n] for n in self.names}, problems)

    def from_split(self, columns: Sequence[Any], data: Sequence[Any]) -> Columns:
        """Check and convert pandas' ``split`` shape: column names + row lists."""
        problems = Problems()
        self._check_names(columns, problems)
        width = len(columns)
        ragged = [
            i for i, row in enumerate(data) if not isinstance(row, list | tuple)
        ] or [i for i, row in enumerate(data) if len(row) != width]
        if ragged:
            problems.add(None, f"rows must be lists of {width} values", ragged)
        if not data:
            problems.add(None, "no rows: send at least one")
        problems.raise_if_any(self.label)
        fast = self._float_matrix(columns, data) if self.is_all_float else None
        if fast is not None:
            return fast
        transposed = dict(zip(columns, map(list, zip(*data, strict=True)), strict=True))
        return self._convert({n: transposed[n] for n in self.names}, problems)

    def float_split(
        self, columns: Sequence[str], matrix: np.ndarray[Any, Any]
    ) -> Columns | None:
        """Rows already parsed into a float64 matrix (rows x columns), or None.

        The happy path of :meth:`from_split` for an all-float signature, for a
        parser that reads numbers straight into a matrix: the checks that
        decide whether it applies (the signature's columns, once each; at
        least one row; finite values), then one view per column. None means
        "not this path": the caller runs :meth:`from_split`, which reports
        what is wrong.
        """
        import numpy as np

        if not self.is_all_float or matrix.ndim != 2 or not len(matrix):
            return None
        if len(columns) != len(self.names) or set(columns) != self.name_set:
            return None
        if matrix.shape[1] != len(columns) or not np.isfinite(matrix).all():
            return None
        if tuple(columns) == self.names:
            return MatrixColumns(self.names, matrix)
        where = {name: i for i, name in enumerate(columns)}
        return {n: matrix[:, where[n]] for n in self.names}

    def _float_matrix(
        self, columns: Sequence[str], data: Sequence[Any]
    ) -> Columns | None:
        # All-float inputs in one NumPy call; anything unusual (a string, a
        # bool, a null, NaN) goes the column-by-column way, which reports it.
        import numpy as np

        types = set(map(type, itertools.chain.from_iterable(data)))
        if not types <= _NUMBERS:
            return None
        try:
            matrix = np.array(data, dtype=np.float64)
        except (OverflowError, ValueError):
            return None
        if not np.isfinite(matrix).all():
            return None
        if tuple(columns) == self.names and matrix.ndim == 2:
            return MatrixColumns(self.names, matrix)
        where = {name: i for i, name in enumerate(columns)}
        return {n: matrix[:, where[n]] for n in self.names}

    def from_arrow(self, table: pa.Table) -> Columns:
        """Check and convert a pyarrow Table (types, nulls and NaN per column)."""
        problems = Problems()
        self._check_names(table.column_names, problems)
        if table.num_rows == 0:
            problems.add(None, "no rows: send at least one")
            problems.raise_if_any(self.label)
        out: Columns = {}
        reject = self.nan_policy == "reject"
        present = set(table.column_names)
        for spec in (s for s in self.specs if s.name in present):
            column = table.column(spec.name)
            array = convert_arrow_column(spec, column, problems, reject)
            if array is not None:
                out[spec.name] = array
        problems.raise_if_any(self.label)
        return out

    def from_frame(self, frame: Any) -> Columns:
        """Check and convert a pandas DataFrame (extra columns are ignored)."""
        problems = Problems()
        out = self.check_frame(frame, problems)
        problems.raise_if_any(self.label)
        return out

    def check_frame(self, frame: Any, problems: Problems) -> Columns:
        """Convert the columns of a DataFrame that pass; record the problems."""
        for name in self.names:
            if name not in frame.columns:
                problems.add(name, "missing column")
        if len(frame) == 0:
            problems.add(None, "no rows: send at least one")
            return {}
        out: Columns = {}
        reject = self.nan_policy == "reject"
        for spec in (s for s in self.specs if s.name in frame.columns):
            array = convert_pandas_column(spec, frame[spec.name], problems, reject)
            if array is not None:
                out[spec.name] = array
        return out

    def _check_names(self, given: Any, problems: Problems) -> None:
        given = list(given)
        for name in self.names:
            if name not in given:
                problems.add(name, "missing column")
        for name in given:
            if name not in self.name_set:
                problems.add(str(name), "unexpected column (not in the signature)")

    def _record_shape_problems(
        self, rows: Sequence[Any], bad: list[int], problems: Problems
    ) -> None:
        not_objects = [i for i in bad if not isinstance(rows[i], dict)]
        if not_objects:
            problems.add(None, "rows must be JSON objects", not_objects)
        dicts = [i for i in bad if isinstance(rows[i], dict)]
        for name in self.names:
            missing = [i for i in dicts if name not in rows[i]]
            if missing:
                problems.add(name, "missing column", missing)
        extra: dict[str, list[int]] = {}
        for i in dicts:
            for key in rows[i]:
                if key not in self.name_set:
                    extra.setdefault(str(key), []).append(i)
        for name, where in extra.items():
            problems.add(name, "unexpected column (not in the signature)", where)

    def _check_present_values(self, rows: Sequence[Any], problems: Problems) -> None:
        # Report type problems of the values that are there too: one answer
        # lists every problem, not just the missing columns.
        reject = self.nan_policy == "reject"
        for spec in self.specs:
            where = [
                i
                for i, row in enumerate(rows)
                if isinstance(row, dict) and spec.name in row
            ]
            found = Problems()
            convert_column(spec, [rows[i][spec.name] for i in where], found, reject)
            for item, concerned in zip(found.items, found.row_sets, strict=True):
                if "rows" in item:
                    item["rows"] = [where[i] for i in item["rows"]]
                problems.items.append(item)
                problems.row_sets.append([where[i] for i in concerned])

    def _convert(self, values: Mapping[str, list[Any]], problems: Problems) -> Columns:
        out: Columns = {}
        reject = self.nan_policy == "reject"
        for spec in self.specs:
            array = convert_column(spec, values[spec.name], problems, reject)
            if array is not None:
                out[spec.name] = array
        problems.raise_if_any(self.label)
        return out


def _is_row(row: Any, names: frozenset[str]) -> bool:
    return isinstance(row, dict) and row.keys() == names


def _describe(problem: Mapping[str, Any]) -> str:
    where = f"column {problem['column']!r}: " if problem.get("column") else ""
    text = f"{where}{problem['problem']}"
    if "rows" in problem:
        more = "" if problem["row_count"] <= _SHOWN_ROWS else ", ..."
        rows = ", ".join(map(str, problem["rows"]))
        text += f" (row(s) {rows}{more}; {problem['row_count']} in all)"
    if "example" in problem:
        text += f", e.g. {problem['example']}"
    return text
