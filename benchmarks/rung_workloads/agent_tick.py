"""Rung: one agent tick over many idle triggers and monitors, then alert -> run.

Creates ``--triggers`` triggers (schedules, dataset, pipeline and manual ones,
none of them due) and ``--monitors`` monitors on an hourly schedule (not due),
then times ``Agent.tick()``: the cost of an agent that has nothing to do,
which it pays every tick.

Then ``--alerts`` times: a drift monitor without a schedule and a monitor
trigger on it (named so that it is evaluated after every other trigger) are
added; each round evaluates the monitor on drifted data, which stores an
alert, and ticks the agent until the trigger's run exists. It reports how
many ticks that took and the wall time from the alert's stored timestamp
(``opened_at``) to the run record's ``started_at``. The run is started inside
the tick (the agent's default, no executor), so the tick also waits for the
run to end; ``started_at`` is taken when the run record is written, before
its first step. An evaluation on undrifted data then resolves the alert,
so the next round opens a new one. The first round is a warm-up (the
pipeline's first load and run in the process), not timed.

    python agent_tick.py --triggers 1000 --monitors 100 --repeats 5 --alerts 5
"""

from __future__ import annotations

import argparse
import json
import statistics
import textwrap
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import rung
from rung.automation import Agent, create_trigger, ledger
from rung.catalog import register_dataset
from rung.monitoring import create_monitor, run_monitor

FLOW = """
from rung import pipeline, step


@step
def noop(version: int) -> int:
    return version


@pipeline
def training(version: int = 0):
    noop(version)
"""
# Sorts after t0..t999: the agent evaluates triggers by name, so this one is
# the last of the tick (the worst case for alert -> run).
RETRAIN = "z-retrain"


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


def _idle_ticks(agent: Agent, repeats: int) -> list[float]:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        report = agent.tick()
        samples.append(time.perf_counter() - start)
        if report.dispatches or report.monitors or not report.leader:
            raise SystemExit(f"an idle tick did something: {report}")
    return samples


def _alert_rounds(
    ws: rung.Workspace, agent: Agent, flow: str, rounds: int
) -> dict[str, Any]:
    rng = np.random.default_rng(7)
    calm = pd.DataFrame({"x": rng.normal(0, 1, 500), "y": rng.normal(0, 1, 500)})
    calm.to_csv("reference.csv", index=False)
    register_dataset(ws, "reference", "reference.csv")
    create_monitor(
        ws,
        "drift-watch",
        reference="dataset:reference",
        current="dataset:reference",
        checks=["drift"],
        thresholds={"drift_share": 0.5},
    )
    create_trigger(
        ws, RETRAIN, flow, "monitor", spec={"monitor": "drift-watch", "check": "drift"}
    )
    agent.tick()  # the new trigger's first evaluation: nothing to fire
    latencies, ticks, tick_s = [], [], []
    for done in range(rounds + 1):  # the first round (imports, first run) untimed
        drifted = pd.DataFrame({"x": rng.normal(3, 1, 500), "y": rng.normal(0, 1, 500)})
        [alert] = run_monitor(ws, "drift-watch", current=drifted).alerts.opened
        count = 0
        while True:
            count += 1
            report = agent.tick()
            fired = [d for d in report.dispatches if d.trigger == RETRAIN]
            if fired or count >= 10:
                break
        entry = ledger(ws, RETRAIN, limit=1)[0]
        if not fired or entry.run_id is None or entry.outcome != "fired":
            raise SystemExit(f"no run after {count} ticks: {entry}")
        run_monitor(ws, "drift-watch", current=calm)  # resolves the alert
        if done == 0:
            continue
        run = ws.runs.get_run(entry.run_id)
        latencies.append((run.started_at - alert.opened_at) * 1000)
        ticks.append(count)
        tick_s.append(report.duration_s)
    return {
        "value": statistics.median(latencies),
        "unit": "ms",
        "samples": latencies,
        "ticks": ticks,
        "tick_s": tick_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--triggers", type=int, default=1000)
    parser.add_argument("--monitors", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--alerts", type=int, default=0)
    args = parser.parse_args()

    ws = rung.open_workspace()
    flow = _setup(ws, args.triggers, args.monitors)
    agent = Agent(ws, holder="bench")
    agent.tick()  # warm-up: imports, first queries
    samples = _idle_ticks(agent, args.repeats)
    alert = _alert_rounds(ws, agent, flow, args.alerts) if args.alerts else None
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
                "alert_to_run": alert,
            }
        )
    )


if __name__ == "__main__":
    main()
