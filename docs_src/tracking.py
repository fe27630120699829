"""Tracking without a pipeline (docs/guide.md, "Tracking in notebooks and scripts")."""

from __future__ import annotations

import rung

with rung.start_run("baseline", params={"C": 1.0}) as run:
    for epoch in range(3):
        rung.log_metric("loss", 1.0 / (epoch + 1), step=epoch)
    rung.log_metrics({"accuracy": 0.91, "f1": 0.88})
    rung.set_tags({"team": "churn"})

print(run.refresh().status, run.metrics)
