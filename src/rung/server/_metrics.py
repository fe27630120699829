"""Prometheus metrics of the model server (one registry per app).

Request counts and latency histograms by endpoint and model version, errors
by status, and prediction distributions: a summary (count, sum) of numeric
predictions and, for classifiers, counts per predicted class and a summary of
the top class probability. Distributions are folded in per request with NumPy
(one call per request, not one per row), and exposed by a custom collector.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, SummaryMetricFamily

if TYPE_CHECKING:
    from prometheus_client.metrics_core import Metric

    from rung.serving import ModelService, Outputs, ServedModel

__all__ = ["ServingMetrics"]

_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
_Key = tuple[str, str]


class _PredictionStats:
    """A collector of prediction distributions, updated per request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[_Key, list[float]] = defaultdict(lambda: [0.0, 0.0])
        self._top: dict[_Key, list[float]] = defaultdict(lambda: [0.0, 0.0])
        self._classes: dict[tuple[str, str, str], float] = defaultdict(float)

    def observe(self, model: str, version: str, outputs: Outputs) -> None:
        key = (model, version)
        predictions = outputs.predictions
        if outputs.probabilities is not None and outputs.classes is not None:
            if len(predictions) == 1:  # np.unique costs more than the model here
                labels, counts = predictions.tolist(), [1]
            else:
                found, tally = np.unique(predictions, return_counts=True)
                labels, counts = found.tolist(), tally.tolist()
            top = outputs.probabilities.max(axis=1)
            with self._lock:
                for label, count in zip(labels, counts, strict=True):
                    self._classes[(model, version, str(label))] += count
                self._top[key][0] += len(top)
                self._top[key][1] += float(top.sum())
        elif predictions.dtype.kind in "iuf":
            with self._lock:
                self._values[key][0] += len(predictions)
                self._values[key][1] += float(np.nansum(predictions))

    def collect(self) -> Iterator[Metric]:
        labels = ["model", "version"]
        values = SummaryMetricFamily(
            "rung_prediction_value", "Numeric predictions (regression)", labels=labels
        )
        top = SummaryMetricFamily(
            "rung_prediction_top_probability",
            "Probability of the predicted class",
            labels=labels,
        )
        classes = CounterMetricFamily(
            "rung_predicted_class",
            "Rows predicted per class",
            labels=[*labels, "class"],
        )
        with self._lock:
            for (model, version), (count, total) in self._values.items():
                values.add_metric([model, version], int(count), total)
            for (model, version), (count, total) in self._top.items():
                top.add_metric([model, version], int(count), total)
            for key, count in self._classes.items():
                classes.add_metric(list(key), count)
        yield values
        yield top
        yield classes


class ServingMetrics:
    """The metrics of one model server app.

    Args:
        service: the model service (its log and swaps are exported too).
    """

    def __init__(self, service: ModelService) -> None:
        self.registry = CollectorRegistry()
        self.service = service
        labels = ["endpoint", "model", "version", "status"]
        self.requests = Counter(
            "rung_requests", "Requests answered", labels, registry=self.registry
        )
        self.latency = Histogram(
            "rung_request_latency_seconds",
            "Time to answer a request",
            ["endpoint", "model", "version"],
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self.errors = Counter(
            "rung_request_errors",
            "Refused or failed requests",
            ["endpoint", "status"],
            registry=self.registry,
        )
        self.rows = Counter(
            "rung_predicted_rows",
            "Rows predicted",
            ["model", "version"],
            registry=self.registry,
        )
        self.model_info = Gauge(
            "rung_model_info",
            "The version being served (1)",
            ["model", "version", "alias"],
            registry=self.registry,
        )
        self.swaps = Counter(
            "rung_model_swaps", "Hot swaps to a new version", registry=self.registry
        )
        self.pending = Gauge(
            "rung_log_pending_rows",
            "Rows waiting to be written to the log",
            registry=self.registry,
        )
        self.pending.set_function(lambda: service.log.pending_rows)
        self.refused = Gauge(
            "rung_log_refused_requests",
            "Predictions refused because the log was behind (since start)",
            registry=self.registry,
        )
        self.refused.set_function(lambda: service.log.refused_requests)
        self.stats = _PredictionStats()
        self.registry.register(self.stats)
        self._children: dict[tuple[str, ...], Any] = {}
        service.on_swap(self.swapped)

    def predicted(self, served: ServedModel, outputs: Outputs, seconds: float) -> None:
        """Count one answered ``/predict``."""
        version = str(served.version)
        key = ("predict", served.name, version)
        children = self._children.get(key)
        if children is None:
            children = (
                self.requests.labels("predict", served.name, version, "200"),
                self.latency.labels(*key),
                self.rows.labels(served.name, version),
            )
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)
        children[2].inc(len(outputs))
        self.stats.observe(served.name, version, outputs)

    def answered(self, endpoint: str, status: int, seconds: float) -> None:
        """Count another answer (feedback, or an error of any endpoint)."""
        served = self.service.current
        model = served.name if served is not None else ""
        version = str(served.version) if served is not None else ""
        self.requests.labels(endpoint, model, version, str(status)).inc()
        self.latency.labels(endpoint, model, version).observe(seconds)
        if status >= 400:
            self.errors.labels(endpoint, str(status)).inc()

    def swapped(self, old: ServedModel | None, new: ServedModel) -> None:
        """Point ``rung_model_info`` at the new version."""
        if old is not None:
            self.model_info.remove(old.name, str(old.version), old.alias or "")
            self.swaps.inc()
        self.model_info.labels(new.name, str(new.version), new.alias or "").set(1)
