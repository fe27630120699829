"""Built-in materializers: one small module per family of types.

Each checks a value's type without importing heavy libraries (a value of a
pandas type means pandas is already imported) and imports its library only
to save or load.
"""

from __future__ import annotations

from rung.artifacts.materializers.dataframes import (
    ArrowParquetMaterializer,
    PandasParquetMaterializer,
    PolarsParquetMaterializer,
)
from rung.artifacts.materializers.json_values import JsonMaterializer
from rung.artifacts.materializers.numpy_arrays import NumpyMaterializer
from rung.artifacts.materializers.paths import PathMaterializer
from rung.artifacts.materializers.pickled import PickleMaterializer
from rung.artifacts.materializers.sklearn_models import SkopsMaterializer

__all__ = [
    "ArrowParquetMaterializer",
    "JsonMaterializer",
    "NumpyMaterializer",
    "PandasParquetMaterializer",
    "PathMaterializer",
    "PickleMaterializer",
    "PolarsParquetMaterializer",
    "SkopsMaterializer",
]
