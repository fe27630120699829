"""How a loaded model is called fastest without changing what it returns.

scikit-learn spends about a millisecond per call checking a DataFrame,
whatever its size. Three shortcuts, each taken only when it is safe:

- **one call for classifiers**: where ``predict`` is by definition the class
  of highest ``predict_proba`` (the estimators listed below), the class is
  taken from the probabilities instead of calling the model twice;
- **a matrix instead of a DataFrame**: when every input is a float column and
  the model was fitted on exactly these columns in this order, a float
  matrix in that order is what it would build itself; a probe row must give
  the same output both ways, or the DataFrame stays;
- **no second finiteness check**: when nulls are refused, inputs were already
  checked to be finite, so scikit-learn is told to skip its own check.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from rung.serving._inputs import InputSchema

__all__ = ["CallPlan", "plan_calls"]

# Final estimators whose predict() is classes_[argmax(predict_proba())].
_ARGMAX_ESTIMATORS = frozenset(
    {
        "LogisticRegression",
        "LogisticRegressionCV",
        "RandomForestClassifier",
        "ExtraTreesClassifier",
        "DecisionTreeClassifier",
        "ExtraTreeClassifier",
        "HistGradientBoostingClassifier",
        "KNeighborsClassifier",
        "GaussianNB",
    }
)
_NO_NAMES = "X does not have valid feature names"


@dataclass(frozen=True, slots=True)
class CallPlan:
    """Which shortcuts a model takes (see the module docstring)."""

    proba_argmax: bool = False
    matrix: bool = False
    assume_finite: bool = False

    @contextlib.contextmanager
    def context(self) -> Iterator[None]:
        """scikit-learn's config for the call (skips the finiteness check)."""
        if not self.assume_finite:
            yield
            return
        import sklearn

        with sklearn.config_context(assume_finite=True):
            yield


def plan_calls(model: Any, schema: InputSchema, has_proba: bool) -> CallPlan:
    """Decide the shortcuts for ``model`` (no shortcut for non-sklearn models)."""
    if not type(model).__module__.startswith("sklearn"):
        return CallPlan()
    final = model.steps[-1][1] if hasattr(model, "steps") else model
    argmax = has_proba and type(final).__name__ in _ARGMAX_ESTIMATORS
    finite = schema.nan_policy == "reject" and not any(s.nullable for s in schema.specs)
    names = getattr(model, "feature_names_in_", None)
    matrix = (
        schema.is_all_float
        and names is not None
        and [str(n) for n in names] == list(schema.names)
        and _same_outputs(model, schema, has_proba)
    )
    return CallPlan(argmax, matrix, finite)


def _same_outputs(model: Any, schema: InputSchema, has_proba: bool) -> bool:
    import pandas as pd

    _quiet_feature_name_warning()
    probe = np.zeros((1, len(schema.names)))
    frame = pd.DataFrame(probe, columns=list(schema.names))
    call = model.predict_proba if has_proba else model.predict
    try:
        return bool(np.allclose(call(frame), call(probe), equal_nan=True))
    except Exception:  # the model needs its DataFrame: keep it
        return False


def _quiet_feature_name_warning() -> None:
    # The matrix is in the fitted order (checked above); this warning would
    # only say that it has no column names.
    warnings.filterwarnings("ignore", message=_NO_NAMES, category=UserWarning)
