"""Round-trips and safety rules of the built-in materializers."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from polars.testing import assert_frame_equal as assert_polars_equal
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression

from rung.artifacts import (
    allow_pickle,
    load_value,
    materializer_for,
    save_value,
    trust_types,
)
from rung.errors import ArtifactError, MaterializerNotFoundError, UnsafeArtifactError

if TYPE_CHECKING:
    from pathlib import Path

    from rung.artifacts import ArtifactStore, FsspecArtifactStore


class Opaque:
    """A plain class no safe materializer knows."""

    def __init__(self, payload: int) -> None:
        self.payload = payload

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Opaque) and other.payload == self.payload

    __hash__ = None  # type: ignore[assignment]


class ThresholdEstimator(BaseEstimator):  # type: ignore[misc]
    """A custom estimator: skops can store it, Rung must not trust it blindly."""

    def __init__(self, threshold: float = 0.5) -> None:
        self.threshold = threshold


def roundtrip(store: ArtifactStore, value: Any, *, allow_pickle: bool = False) -> Any:
    artifact = save_value(store, value, allow_pickle=allow_pickle)
    return load_value(store, artifact, allow_pickle=allow_pickle)


def fitted_model() -> LogisticRegression:
    x = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 0.0]])
    return LogisticRegression().fit(x, np.array([0, 0, 1, 1]))


# -- json ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        0,
        -(2**70),
        1.5,
        float("inf"),
        float("-inf"),
        "",
        "héllo \u2028 \U0001f600",
        [],
        {},
        [1, "a", None, [2.5, [False]]],
        {"b": 1, "a": {"nested": [1, {"x": None}]}},
    ],
)
def test_json_roundtrips_value_and_exact_types(
    local_store: FsspecArtifactStore, value: Any
) -> None:
    loaded = roundtrip(local_store, value)

    assert loaded == value
    assert type(loaded) is type(value)
    if isinstance(value, dict):
        assert list(loaded) == list(value)


def test_json_roundtrips_nan(local_store: FsspecArtifactStore) -> None:
    loaded = roundtrip(local_store, [float("nan")])

    assert math.isnan(loaded[0])


def test_json_metadata_has_type_and_length(local_store: FsspecArtifactStore) -> None:
    artifact = save_value(local_store, {"a": 1, "b": [1, 2]})

    assert artifact.materializer == "json"
    assert dict(artifact.metadata) == {"python_type": "dict", "length": 2}


def test_json_refuses_tuples_and_names_where(local_store: FsspecArtifactStore) -> None:
    with pytest.raises(
        MaterializerNotFoundError, match=r"the value\['a'\]\[1\] is a tuple"
    ):
        save_value(local_store, {"a": [1, (2, 3)]})


def test_json_refuses_non_string_keys(local_store: FsspecArtifactStore) -> None:
    with pytest.raises(MaterializerNotFoundError, match="non-string key 1"):
        save_value(local_store, {1: "one"})


def test_json_reports_reference_cycles(local_store: FsspecArtifactStore) -> None:
    cyclic: list[Any] = [1]
    cyclic.append(cyclic)

    with pytest.raises(ArtifactError, match="Cannot write the value as JSON"):
        save_value(local_store, cyclic)


# -- numpy --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "array",
    [
        np.arange(12, dtype=np.int32).reshape(3, 4),
        np.array([[1.5, np.nan], [np.inf, -0.0]]),
        np.array([True, False]),
        np.array(["2024-01-01", "2024-02-01"], dtype="datetime64[D]"),
        np.asfortranarray(np.ones((2, 3))),
    ],
)
def test_numpy_roundtrips_arrays(store: ArtifactStore, array: np.ndarray) -> None:
    artifact = save_value(store, array)
    loaded = load_value(store, artifact)

    np.testing.assert_array_equal(loaded, array)
    assert loaded.dtype == array.dtype
    assert artifact.materializer == "numpy"
    assert artifact.metadata["shape"] == list(array.shape)
    assert artifact.metadata["dtype"] == str(array.dtype)


@pytest.mark.parametrize("scalar", [np.float64(1.5), np.int32(-3), np.bool_(True)])
def test_numpy_roundtrips_scalars_with_their_type(
    local_store: FsspecArtifactStore, scalar: np.generic
) -> None:
    loaded = roundtrip(local_store, scalar)

    assert loaded == scalar
    assert type(loaded) is type(scalar)


def test_numpy_refuses_object_arrays_and_suggests_pickle(
    local_store: FsspecArtifactStore,
) -> None:
    with pytest.raises(
        MaterializerNotFoundError, match=r"dtype object.*allow_pickle=True"
    ):
        save_value(local_store, np.array([{"a": 1}, None], dtype=object))


def test_numpy_object_array_uses_pickle_when_allowed(
    local_store: FsspecArtifactStore,
) -> None:
    array = np.array([{"a": 1}, None], dtype=object)

    artifact = save_value(local_store, array, allow_pickle=True)

    assert artifact.materializer == "pickle"
    assert list(load_value(local_store, artifact, allow_pickle=True)) == list(array)


# -- data frames --------------------------------------------------------------------


def sample_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [1, 2, 3],
            "score": [0.5, None, 2.0],
            "name": ["a", "b", None],
            "when": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]),
        }
    )


def test_pandas_roundtrips_frame_with_metadata(store: ArtifactStore) -> None:
    frame = sample_frame()

    artifact = save_value(store, frame)
    loaded = load_value(store, artifact)

    pd.testing.assert_frame_equal(loaded, frame)
    assert artifact.materializer == "pandas.parquet"
    assert artifact.metadata["shape"] == [3, 4]
    assert artifact.metadata["schema"]["id"] == "int64"
    assert artifact.metadata["nullable"] == {
        "id": False,
        "score": True,
        "name": True,
        "when": False,
    }
    assert artifact.metadata["null_counts"]["score"] == 1


def test_pandas_keeps_a_custom_index(local_store: FsspecArtifactStore) -> None:
    frame = sample_frame().set_index("name")

    pd.testing.assert_frame_equal(roundtrip(local_store, frame), frame)


@pytest.mark.parametrize("name", ["price", None, 7])
def test_pandas_series_loads_back_as_series(
    local_store: FsspecArtifactStore, name: str | int | None
) -> None:
    series = pd.Series([1.0, None, 3.0], name=name)

    loaded = roundtrip(local_store, series)

    pd.testing.assert_series_equal(loaded, series)


def test_pandas_mixed_column_gives_actionable_error(
    local_store: FsspecArtifactStore,
) -> None:
    frame = pd.DataFrame({"mixed": [1, "two", 3.0]}, dtype=object)

    with pytest.raises(ArtifactError, match=r"Cannot write the pandas value.*astype"):
        save_value(local_store, frame)


def test_polars_roundtrips_frame_with_metadata(store: ArtifactStore) -> None:
    frame = pl.DataFrame({"id": [1, 2, 3], "label": ["x", None, "z"]})

    artifact = save_value(store, frame)

    assert_polars_equal(load_value(store, artifact), frame)
    assert artifact.materializer == "polars.parquet"
    assert artifact.metadata["shape"] == [3, 2]
    assert artifact.metadata["schema"] == {"id": "Int64", "label": "String"}
    assert artifact.metadata["nullable"] == {"id": False, "label": True}


def test_arrow_roundtrips_table_with_metadata(store: ArtifactStore) -> None:
    table = pa.table({"id": [1, 2], "value": [None, 1.5]})

    artifact = save_value(store, table)

    assert load_value(store, artifact).equals(table)
    assert artifact.materializer == "arrow.parquet"
    assert artifact.metadata["shape"] == [2, 2]
    assert artifact.metadata["schema"] == {"id": "int64", "value": "double"}
    assert artifact.metadata["nullable"] == {"id": False, "value": True}


def test_equal_frames_get_equal_ids(local_store: FsspecArtifactStore) -> None:
    first = save_value(local_store, sample_frame())
    second = save_value(local_store, sample_frame())

    assert first.id == second.id
    assert save_value(local_store, sample_frame().iloc[:2]).id != first.id


def test_equal_polars_and_arrow_values_get_equal_ids(
    local_store: FsspecArtifactStore,
) -> None:
    def make_polars() -> pl.DataFrame:
        return pl.DataFrame({"a": [1, 2]})

    def make_arrow() -> pa.Table:
        return pa.table({"a": [1, 2]})

    assert save_value(local_store, make_polars()).id == (
        save_value(local_store, make_polars()).id
    )
    assert save_value(local_store, make_arrow()).id == (
        save_value(local_store, make_arrow()).id
    )


# -- scikit-learn -------------------------------------------------------------------


def test_sklearn_roundtrips_fitted_model(store: ArtifactStore) -> None:
    model = fitted_model()
    probe = np.array([[1.5, 0.5]])

    artifact = save_value(store, model)
    loaded = load_value(store, artifact)

    np.testing.assert_allclose(loaded.predict_proba(probe), model.predict_proba(probe))
    assert artifact.materializer == "sklearn.skops"
    assert artifact.metadata["estimator"].endswith("LogisticRegression")
    assert artifact.metadata["params"]["C"] == 1.0
    assert "sklearn_version" in artifact.metadata


def test_sklearn_equal_models_get_equal_ids(local_store: FsspecArtifactStore) -> None:
    first = save_value(local_store, fitted_model())
    second = save_value(local_store, fitted_model())

    assert first.id == second.id


def test_sklearn_refuses_untrusted_custom_estimator(
    local_store: FsspecArtifactStore,
) -> None:
    artifact = save_value(local_store, ThresholdEstimator(threshold=0.7))

    with pytest.raises(
        UnsafeArtifactError,
        match=r"ThresholdEstimator.*rung\.artifacts\.trust_types",
    ):
        load_value(local_store, artifact)


def test_sklearn_loads_custom_estimator_once_trusted(
    local_store: FsspecArtifactStore,
) -> None:
    artifact = save_value(local_store, ThresholdEstimator(threshold=0.7))

    trust_types([ThresholdEstimator])

    assert load_value(local_store, artifact).threshold == 0.7


# -- paths --------------------------------------------------------------------------


def test_path_roundtrips_a_file(store: ArtifactStore, tmp_path: Path) -> None:
    source = tmp_path / "model.onnx"
    source.write_bytes(b"onnx-bytes")

    loaded = roundtrip(store, source)

    assert loaded.name == "model.onnx"
    assert loaded.read_bytes() == b"onnx-bytes"
    assert loaded != source


def test_path_roundtrips_a_folder(store: ArtifactStore, tmp_path: Path) -> None:
    source = tmp_path / "report"
    (source / "img").mkdir(parents=True)
    (source / "index.html").write_text("<h1>hi</h1>")
    (source / "img" / "a.png").write_bytes(b"png")

    loaded = roundtrip(store, source)

    assert loaded.name == "report"
    assert (loaded / "index.html").read_text() == "<h1>hi</h1>"
    assert (loaded / "img" / "a.png").read_bytes() == b"png"


def test_path_missing_raises_naming_it(
    local_store: FsspecArtifactStore, tmp_path: Path
) -> None:
    with pytest.raises(ArtifactError, match=r"Cannot store the path .*nowhere\.csv"):
        save_value(local_store, tmp_path / "nowhere.csv")


# -- pickle and selection -----------------------------------------------------------


def test_unknown_type_error_names_type_and_three_fixes(
    local_store: FsspecArtifactStore,
) -> None:
    pattern = (
        r"(?s)type '.*Opaque'.*return a supported type.*"
        r"rung\.artifacts\.register_materializer.*@step\(allow_pickle=True\).*"
        r"rung\.artifacts\.allow_pickle"
    )
    with pytest.raises(MaterializerNotFoundError, match=pattern):
        save_value(local_store, Opaque(1))


def test_pickle_needs_opt_in_to_load(local_store: FsspecArtifactStore) -> None:
    artifact = save_value(local_store, Opaque(1), allow_pickle=True)

    assert artifact.is_pickled
    with pytest.raises(UnsafeArtifactError, match="was stored with pickle"):
        load_value(local_store, artifact)
    assert load_value(local_store, artifact, allow_pickle=True) == Opaque(1)


def test_allow_pickle_per_type_covers_save_and_load(
    local_store: FsspecArtifactStore,
) -> None:
    allow_pickle(Opaque)

    artifact = save_value(local_store, Opaque(2))

    assert artifact.materializer == "pickle"
    assert load_value(local_store, artifact) == Opaque(2)


def test_safe_materializer_wins_even_when_pickle_is_allowed() -> None:
    assert materializer_for([1, 2], allow_pickle=True).name == "json"
    assert materializer_for(np.zeros(2), allow_pickle=True).name == "numpy"


def test_pickle_failure_is_reported(local_store: FsspecArtifactStore) -> None:
    with pytest.raises(ArtifactError, match="Cannot pickle a value of type"):
        save_value(local_store, lambda: None, allow_pickle=True)
