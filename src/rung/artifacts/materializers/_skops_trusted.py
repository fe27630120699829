"""The exact type names Rung trusts inside a skops file, beyond skops' own list.

skops already trusts every public scikit-learn estimator, NumPy and SciPy
ufuncs, NumPy dtypes and builtin containers. Fitting common models stores a
few more types: tree structures, scorers, CV splitters, kernels. Each name
below was reviewed for two things, because a skops file can use a trusted
name both as an object to rebuild and as a function to call (for example as
``FunctionTransformer(func=...)`` with chosen arguments):

- rebuilding it from the file only sets data (no ``__setstate__`` that
  imports, evaluates or opens anything);
- calling it with any arguments computes on arrays; it never runs code,
  imports modules or reads or writes files.

Names are exact on purpose: a module prefix such as ``numpy.`` would admit
``numpy.testing`` helpers that ``exec`` a string, ``numpy.load`` (which can
unpickle) or ``numpy.save`` (which writes files). Anything else needs the
user's opt-in with ``rung.artifacts.trust_types``.

The names follow the private module paths of scikit-learn 1.4-1.9, SciPy
1.11-1.17 and NumPy 1.26-2.4; a future release that moves a type makes skops
report the new name, which Rung then refuses with a message naming it.
"""

from __future__ import annotations

__all__ = ["TRUSTED_TYPES"]

# Node arrays of fitted trees: DecisionTree*, RandomForest*, ExtraTrees*,
# GradientBoosting*, AdaBoost, Bagging, IsolationForest, HistGradientBoosting*.
# skops leaves them untrusted because scikit-learn indexes node arrays without
# bounds checks: a crafted file can crash ``predict``, not run code. Rung loads
# only files whose SHA-256 matches the id recorded when they were written.
_TREES = {
    "sklearn.tree._tree.Tree",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
}

# Nearest-neighbour indexes and their distance metrics (KNeighbors*,
# NearestNeighbors, LocalOutlierFactor, Isomap). PyFuncDistance (a Python
# callable as metric) is deliberately absent.
_NEIGHBORS = {
    "sklearn.neighbors._kd_tree.KDTree",
    "sklearn.neighbors._ball_tree.BallTree",
    *(
        f"sklearn.metrics._dist_metrics.{name}Distance{bits}"
        for name in (
            "Euclidean",
            "SEuclidean",
            "Manhattan",
            "Chebyshev",
            "Minkowski",
            "Mahalanobis",
            "Haversine",
            "Hamming",
            "Canberra",
            "BrayCurtis",
            "Jaccard",
            "Matching",
            "Dice",
            "RogersTanimoto",
            "RussellRao",
            "SokalSneath",
            "SokalMichener",
        )
        for bits in (32, 64)
    ),
}

# Search, calibration, ensembles and MLPs: scorers, CV splitters, helpers.
_MODEL_SELECTION = {
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.metrics._scorer._Scorer",
    "sklearn.metrics._scorer._PassthroughScorer",
    "sklearn.metrics._scorer._CurveScorer",
    "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
    "sklearn.neural_network._stochastic_optimizers.SGDOptimizer",
    "sklearn.utils._bunch.Bunch",
    "sklearn.utils._metadata_requests.MetadataRequest",
    "sklearn.utils._metadata_requests.MethodMetadataRequest",
    *(
        f"sklearn.model_selection._split.{name}"
        for name in (
            "KFold",
            "StratifiedKFold",
            "GroupKFold",
            "StratifiedGroupKFold",
            "RepeatedKFold",
            "RepeatedStratifiedKFold",
            "ShuffleSplit",
            "StratifiedShuffleSplit",
            "GroupShuffleSplit",
            "TimeSeriesSplit",
            "LeaveOneOut",
            "LeaveOneGroupOut",
            "PredefinedSplit",
        )
    ),
}

# Metric functions that the built-in scorers wrap (pure computations).
_METRICS = {
    *(
        f"sklearn.metrics._classification.{name}"
        for name in (
            "accuracy_score",
            "balanced_accuracy_score",
            "brier_score_loss",
            "f1_score",
            "jaccard_score",
            "log_loss",
            "matthews_corrcoef",
            "precision_score",
            "recall_score",
        )
    ),
    "sklearn.metrics._ranking.average_precision_score",
    "sklearn.metrics._ranking.roc_auc_score",
    "sklearn.metrics._ranking.top_k_accuracy_score",
    *(
        f"sklearn.metrics._regression.{name}"
        for name in (
            "explained_variance_score",
            "max_error",
            "mean_absolute_error",
            "mean_absolute_percentage_error",
            "mean_gamma_deviance",
            "mean_poisson_deviance",
            "mean_squared_error",
            "mean_squared_log_error",
            "median_absolute_error",
            "r2_score",
            "root_mean_squared_error",
            "root_mean_squared_log_error",
        )
    ),
}

# Score functions of SelectKBest / SelectPercentile / GenericUnivariateSelect.
_FEATURE_SELECTION = {
    "sklearn.feature_selection._univariate_selection.f_classif",
    "sklearn.feature_selection._univariate_selection.f_regression",
    "sklearn.feature_selection._univariate_selection.r_regression",
    "sklearn.feature_selection._univariate_selection.chi2",
    "sklearn.feature_selection._mutual_info.mutual_info_classif",
    "sklearn.feature_selection._mutual_info.mutual_info_regression",
}

# Gaussian-process kernels. PairwiseKernel (takes a callable metric) is absent.
_KERNELS = {
    f"sklearn.gaussian_process.kernels.{name}"
    for name in (
        "ConstantKernel",
        "DotProduct",
        "ExpSineSquared",
        "Exponentiation",
        "Matern",
        "Product",
        "RBF",
        "RationalQuadratic",
        "Sum",
        "WhiteKernel",
    )
} | {
    "sklearn.gaussian_process._gpc._BinaryGaussianProcessClassifierLaplace",
}

# Losses skops does not list yet (TweedieRegressor, newer array-API variants).
_LOSSES = {
    f"sklearn._loss.loss.{name}"
    for name in (
        "HalfTweedieLoss",
        "HalfTweedieLossIdentity",
        "HalfBinomialLossArrayAPI",
        "HalfMultinomialLossArrayAPI",
        "HalfPoissonLossArrayAPI",
    )
}

# Column selection (ColumnTransformer with make_column_selector, dtype
# filters) and HistGradientBoosting's categorical preprocessing.
_COLUMNS = {
    "sklearn.compose._column_transformer.make_column_selector",
    "sklearn.utils.validation.check_array",
    "functools.partial",  # only binds arguments to a callable checked on its own
    "builtins.object",
    "numpy.dtype",
    "numpy.number",
    "numpy.integer",
    "numpy.signedinteger",
    "numpy.unsignedinteger",
    "numpy.floating",
    "numpy.inexact",
    "numpy.bool",
    "numpy.bool_",
    "numpy.object_",
    "numpy.str_",
    "numpy.datetime64",
    "numpy.timedelta64",
}

# SciPy values inside fitted models: sparse matrices (loaded by skops with
# allow_pickle=False) and SplineTransformer's B-splines.
_SCIPY = {
    *(
        f"scipy.sparse._{kind}.{kind}_{flavour}"
        for kind in ("csr", "csc", "coo", "bsr", "dia")
        for flavour in ("matrix", "array")
    ),
    "scipy.interpolate._bsplines.BSpline",
    "scipy._lib.array_api_compat.numpy._aliases.asarray",
}

TRUSTED_TYPES: frozenset[str] = frozenset(
    _TREES
    | _NEIGHBORS
    | _MODEL_SELECTION
    | _METRICS
    | _FEATURE_SELECTION
    | _KERNELS
    | _LOSSES
    | _COLUMNS
    | _SCIPY
)
"""Exact ``module.Name`` strings, as ``skops.io.get_untrusted_types`` reports them."""
