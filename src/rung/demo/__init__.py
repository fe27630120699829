"""The end-to-end demo: a training pipeline on scikit-learn's breast-cancer data.

``rung demo`` runs it three times: once from scratch, once unchanged (every
step comes from the cache) and once with a new ``C`` (only the steps that
depend on ``C`` run again).
"""

from __future__ import annotations

from rung.demo._run import DemoResult, run_demo
from rung.demo.training import evaluate, load_data, split, train, training

__all__ = [
    "DemoResult",
    "evaluate",
    "load_data",
    "run_demo",
    "split",
    "train",
    "training",
]
