"""Rung: one agent tick over many idle triggers and monitors.

Creates ``--triggers`` triggers (schedules, dataset, model, pipeline and
manual ones, none of them due) and ``--monitors`` monitors on an hourly
schedule (not due), then times ``Agent.tick()``: the cost of an agent that has
nothing to do, which it pays every tick. Then it opens an alert and times the
tick that starts the retraining run ("from a stored alert to the run").

    python agent_tick.py --triggers 1000 --monitors 100 --repeats 5
"""

from __future__ import annotations

import argparse
import json
import statistics
import textwrap
import time
from pathlib import Path

import rung
from rung.automation import Agent, create_trigger
from rung.catalog import register_dataset
from rung.monitoring import create_monitor

FLOW = """
from rung import pipeline, step


@step
def noop(version: int) -> int:
    return version


@pipeline
def training(version: int = 0):
    noop(version)
"""


def _setup(ws: rung.Workspace, triggers: int, monitors: int) -> str:
    Path("flow.py").write_text(textwrap.dedent(FLOW))
    Path("data.csv").write_text("a,b\n" + "".join(f"{i},{i * 2}\n" for i in range(50)))
    register_dataset(ws, "data", "data.csv")
    flow = f"{Path('flow.py').resolve()}:training"
    kinds = [
        ("schedule", {"cron": "0 3 1 1 *", "timezone": "Europe/Paris"}),
        ("schedule", {"every": 86_400}),
        ("dataset", {"dataset": "data"}),
        ("pipeline", {"upstream": "nothing"}),
        ("manual", {}),
    ]
    for i in range(triggers):
        kind, spec = kinds[i % len(kinds)]
        create_trigger(ws, f"t{i}", flow, kind, spec=spec)
    for i in range(monitors):
        create_monitor(
            ws,
            f"m{i}",
            reference="dataset:data",
            current="dataset:data",
            checks=["quality"],
            schedule="0 * * * *",
        )
    return flow


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--triggers", type=int, default=1000)
    parser.add_argument("--monitors", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    ws = rung.open_workspace()
    _setup(ws, args.triggers, args.monitors)
    agent = Agent(ws, holder="bench")
    agent.tick()  # warm-up: imports, first queries
    samples = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        report = agent.tick()
        samples.append(time.perf_counter() - start)
        assert report.dispatches == [] and report.monitors == {}, report
    agent.close()
    ws.close()
    print(
        json.dumps(
            {
                "value": statistics.median(samples),
                "unit": "s/tick",
                "samples": samples,
                "triggers": args.triggers,
                "monitors": args.monitors,
            }
        )
    )


if __name__ == "__main__":
    main()
