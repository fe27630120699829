"""skops loading trusts exact, reviewed type names: no module prefix is trusted.

Each payload is a real fitted-model file whose ``FunctionTransformer`` calls a
function that runs code, imports modules or writes files as soon as the model
is used. Loading must refuse it before anything from the file is imported.
"""

from __future__ import annotations

import builtins
import functools
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pytest
import scipy.sparse
from numpy.testing._private.utils import runstring
from scipy._lib.array_api_compat._internal import clone_module
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.ensemble import (
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
)
from sklearn.feature_selection import SelectKBest
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, TweedieRegressor
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    OneHotEncoder,
    SplineTransformer,
    StandardScaler,
)
from sklearn.utils._testing import assert_run_python_script_without_output

from rung.artifacts import load_value, save_value, trust_types
from rung.artifacts.materializers.sklearn_models import TRUSTED_TYPES
from rung.errors import UnsafeArtifactError

if TYPE_CHECKING:
    from collections.abc import Callable

    from rung.artifacts import ArtifactStore, FsspecArtifactStore

X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 0.0]] * 10)
Y = np.array([0, 0, 1, 1] * 10)
FRAME = pd.DataFrame(
    {
        "x": np.linspace(0.0, 1.0, 40),
        "n": np.r_[np.nan, np.arange(39.0)],
        "c": ["a", "b"] * 20,
    }
)

# (payload function, its name as skops reports it)
EXEC_CAPABLE: list[tuple[Callable[..., Any], str]] = [
    (runstring, "numpy.testing._private.utils.runstring"),
    (np.load, "numpy.load"),  # unpickles with allow_pickle=True
    (np.save, "numpy.save"),  # writes any file
    (np.fromfile, "numpy.fromfile"),  # reads any file
    (scipy.sparse.save_npz, "scipy.sparse._matrix_io.save_npz"),  # writes any file
    (clone_module, "scipy._lib.array_api_compat._internal.clone_module"),  # imports
    (
        assert_run_python_script_without_output,
        "sklearn.utils._testing.assert_run_python_script_without_output",
    ),
    (builtins.eval, "builtins.eval"),
    (builtins.exec, "builtins.exec"),
]


def test_skops_refuses_numpy_testing_runstring_payload(
    local_store: FsspecArtifactStore,
) -> None:
    payload = FunctionTransformer(func=runstring, kw_args={"dict": {}})
    artifact = save_value(local_store, payload)

    with pytest.raises(
        UnsafeArtifactError,
        match=r"numpy\.testing\._private\.utils\.runstring.*"
        r"rung\.artifacts\.trust_types\(\['numpy\.testing\._private\.utils\.runstring'\]\)",
    ):
        load_value(local_store, artifact)


@pytest.mark.parametrize(
    ("function", "reported"), EXEC_CAPABLE, ids=[name for _, name in EXEC_CAPABLE]
)
def test_skops_refuses_exec_capable_functions(
    store: ArtifactStore, function: Callable[..., Any], reported: str
) -> None:
    artifact = save_value(store, make_pipeline(FunctionTransformer(func=function)))

    with pytest.raises(UnsafeArtifactError, match=rf"'{reported}'.*trust_types"):
        load_value(store, artifact)


def test_skops_refuses_trusted_partial_around_untrusted_function(
    local_store: FsspecArtifactStore,
) -> None:
    payload = FunctionTransformer(func=functools.partial(np.load, allow_pickle=True))
    artifact = save_value(local_store, payload)

    with pytest.raises(UnsafeArtifactError, match=r"'numpy\.load'"):
        load_value(local_store, artifact)


def test_trust_types_matches_exact_names_not_prefixes(
    local_store: FsspecArtifactStore,
) -> None:
    artifact = save_value(local_store, FunctionTransformer(func=runstring))

    trust_types(["numpy.", "numpy.testing", "numpy.testing._private.utils"])

    with pytest.raises(UnsafeArtifactError, match=r"runstring"):
        load_value(local_store, artifact)


def test_trust_types_opts_in_to_a_reported_function(
    local_store: FsspecArtifactStore,
) -> None:
    artifact = save_value(local_store, FunctionTransformer(func=np.save))

    trust_types(["numpy.save"])

    assert load_value(local_store, artifact).func is np.save


def test_trusted_types_are_exact_names_without_exec_capable_ones() -> None:
    assert all(not name.endswith(".") and "." in name for name in TRUSTED_TYPES)
    assert not {name for _, name in EXEC_CAPABLE} & TRUSTED_TYPES


def _column_model() -> Pipeline:
    columns = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(), StandardScaler()), ["x", "n"]),
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["c"]),
        ]
    )
    return make_pipeline(columns, LogisticRegression()).fit(FRAME, Y)


def _selector_model() -> Any:
    return make_pipeline(
        ColumnTransformer(
            [
                (
                    "num",
                    StandardScaler(),
                    make_column_selector(dtype_include=np.number),
                ),
                ("cat", OneHotEncoder(), make_column_selector(dtype_exclude=np.number)),
            ]
        ),
        LogisticRegression(),
    ).fit(FRAME.fillna(0.0), Y)


COMMON_MODELS: dict[str, tuple[Callable[[], Any], Any]] = {
    "logistic": (lambda: LogisticRegression().fit(X, Y), X),
    "pipeline": (
        lambda: Pipeline([("s", StandardScaler()), ("m", LogisticRegression())]).fit(
            X, Y
        ),
        X,
    ),
    "column-transformer": (_column_model, FRAME),
    "column-selector": (_selector_model, FRAME.fillna(0.0)),
    "random-forest": (
        lambda: RandomForestClassifier(n_estimators=3, random_state=0).fit(X, Y),
        X,
    ),
    "gradient-boosting": (
        lambda: GradientBoostingClassifier(n_estimators=3).fit(X, Y),
        X,
    ),
    "hist-gradient-boosting": (
        lambda: HistGradientBoostingClassifier(
            max_iter=3, categorical_features=[1]
        ).fit(X, Y),
        X,
    ),
    "k-neighbors": (lambda: KNeighborsClassifier(3).fit(X, Y), X),
    "mlp": (
        lambda: MLPClassifier(hidden_layer_sizes=(3,), max_iter=5).fit(X, Y),
        X,
    ),
    "grid-search": (
        lambda: GridSearchCV(LogisticRegression(), {"C": [0.5, 1.0]}, cv=2).fit(X, Y),
        X,
    ),
    "calibrated": (
        lambda: CalibratedClassifierCV(LogisticRegression(), cv=2).fit(X, Y),
        X,
    ),
    "select-k-best": (
        lambda: make_pipeline(SelectKBest(k=1), LogisticRegression()).fit(X, Y),
        X,
    ),
    "spline": (lambda: SplineTransformer(n_knots=3).fit(X), X),
    "tweedie": (lambda: TweedieRegressor().fit(X, Y + 1.0), X),
    "gaussian-process": (lambda: GaussianProcessRegressor().fit(X[:8], Y[:8]), X),
}


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("name", sorted(COMMON_MODELS))
def test_skops_loads_common_models_without_opt_in(
    local_store: FsspecArtifactStore, name: str
) -> None:
    make, probe = COMMON_MODELS[name]
    model = make()
    method = "transform" if name == "spline" else "predict"

    loaded = load_value(local_store, save_value(local_store, model))

    np.testing.assert_allclose(
        getattr(loaded, method)(probe), getattr(model, method)(probe)
    )
