"""``numpy``: arrays and numpy scalars as ``.npy`` files, never pickled.

An array is written as ``array.npy`` and a scalar (``np.float64(1.5)``) as a
0-d ``scalar.npy``, so loading needs no metadata. Object arrays are refused:
``.npy`` can hold Python objects only through pickle.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

__all__ = ["NumpyMaterializer"]

_ARRAY = "array.npy"
_SCALAR = "scalar.npy"


class NumpyMaterializer:
    """Stores ``numpy.ndarray`` (exact type) and numpy scalars.

    Example:
        >>> import numpy as np
        >>> NumpyMaterializer().can_save(np.zeros(3))
        True
    """

    name = "numpy"
    version = 1
    is_pickled = False

    def can_save(self, value: Any) -> bool:
        """Return True for an ndarray or numpy scalar without object dtype."""
        np = sys.modules.get("numpy")
        if np is None:
            return False
        if type(value) is not np.ndarray and not isinstance(value, np.generic):
            return False
        return not value.dtype.hasobject

    def explain_refusal(self, value: Any) -> str | None:
        """Explain why an object-dtype array is refused."""
        np = sys.modules.get("numpy")
        if np is None or type(value) is not np.ndarray or not value.dtype.hasobject:
            return None
        return (
            f"numpy: the array has dtype {value.dtype}, i.e. Python objects, "
            "which .npy stores only with pickle. Convert it to a typed dtype "
            "(e.g. arr.astype(str) or arr.astype(float)), or opt in to pickle "
            "with allow_pickle=True if you trust whoever loads it"
        )

    def save(self, value: Any, folder: Path) -> dict[str, Any]:
        """Write the value with ``np.save(allow_pickle=False)``."""
        import numpy as np

        is_scalar = isinstance(value, np.generic)
        array = np.asarray(value)
        np.save(folder / (_SCALAR if is_scalar else _ARRAY), array, allow_pickle=False)
        return {"shape": list(array.shape), "dtype": str(array.dtype)}

    def load(self, folder: Path, metadata: Mapping[str, Any]) -> Any:
        """Read the array (or scalar) back, refusing pickled content."""
        import numpy as np

        if (folder / _SCALAR).is_file():
            return np.load(folder / _SCALAR, allow_pickle=False)[()]
        return np.load(folder / _ARRAY, allow_pickle=False)
