"""Dagster: the sensor daemon's pass over many idle sensors, then alert -> run.

What Rung's ``agent_tick.py`` measures, done by Dagster's own daemon:

- A definitions file with ``--sensors`` sensors: ``--sensors - 1`` that have
  nothing to do (each returns a ``SkipReason``) and one, ``retrain``, that
  reads ``alerts.json`` in the folder and requests a run of a one-op job
  (``run_key`` = the alert's id) for each alert it has not seen. All start
  RUNNING, with ``minimum_interval_seconds=0`` so that every sensor is
  evaluated at every iteration of the daemon's loop (the default, 30 s,
  changes how often a sensor is evaluated, not what one evaluation costs).
- ``dagster instance migrate`` then ``dagster-daemon run -f defs.py`` in a new
  ``DAGSTER_HOME`` (SQLite storage, telemetry off, every other setting
  Dagster's default: sensors evaluated one after another, the queued run
  coordinator, the default run launcher). The daemon loads the file in a code
  server process of its own, as it does for any code location, and calls it
  once per sensor evaluation.
- **Idle pass.** Every sensor's ticks are read back from the instance
  (``instance.get_batch_ticks``; Dagster stores a tick per evaluation, with its
  start ``timestamp`` and ``end_timestamp``). The k-th tick of every sensor
  belongs to the daemon's k-th iteration; the pass's time is from the first
  tick's start to the last tick's end of that iteration. The first iteration
  (code server start, sensor states created) is a warm-up; the figure is the
  median of the next ``--passes``.
- **Alert -> run.** With the daemon running, ``--alerts`` times: an alert id
  is appended to ``alerts.json`` (stored), then the script waits until the run
  it requests has started. From the instance: the ``retrain`` tick that
  requested the run (its start), the run record's ``create_timestamp``
  (queued) and ``start_time`` (the launched run process began executing). The
  figure is from the start of that tick to the run's ``start_time``: the wait
  before the daemon reaches the sensor (up to a whole pass over the other
  sensors, plus the loop's 5 s pacing) is left out, as Rung's figure leaves
  out the wait for the agent's next tick; both are kept in the details.

    python dagster_sensors.py --sensors 1000 --passes 1 --alerts 2

Needs ``DAGSTER_HOME`` set to an empty folder (the benchmark gives each run
a new one).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

DEFS = """
import json
from pathlib import Path

from dagster import (
    DefaultSensorStatus,
    Definitions,
    RunRequest,
    SensorDefinition,
    SkipReason,
    job,
    op,
)

ALERTS = Path(__file__).resolve().parent / "alerts.json"


@op
def train() -> int:
    return 1


@job
def retrain_job():
    train()


def _idle(context):
    return SkipReason("nothing new")


def _retrain(context):
    seen = set(json.loads(context.cursor)) if context.cursor else set()
    alerts = json.loads(ALERTS.read_text()) if ALERTS.exists() else []
    new = [a for a in alerts if a not in seen]
    if not new:
        return SkipReason("no new alert")
    context.update_cursor(json.dumps(sorted(seen | set(new))))
    return [RunRequest(run_key=a, tags={"alert": a}) for a in new]


def _sensor(name, fn):
    return SensorDefinition(
        name=name,
        evaluation_fn=fn,
        job=retrain_job,
        minimum_interval_seconds=0,
        default_status=DefaultSensorStatus.RUNNING,
    )


defs = Definitions(
    jobs=[retrain_job],
    sensors=[_sensor("retrain", _retrain)]
    + [_sensor(f"idle_{i}", _idle) for i in range({idle})],
)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sensors", type=int, default=1000)
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--alerts", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=1500.0)
    args = parser.parse_args()

    home = Path(os.environ["DAGSTER_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    Path("defs.py").write_text(DEFS.replace("{idle}", str(args.sensors - 1)))

    from dagster import DagsterInstance

    # The storage is created first: the daemon and this script creating it
    # at once in a new DAGSTER_HOME can clash ("table ... already exists").
    subprocess.run(
        [str(Path(sys.executable).with_name("dagster")), "instance", "migrate"],
        check=True,
        capture_output=True,
    )
    log = Path("daemon.log").open("w")  # the daemon's output, if it fails
    daemon = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("dagster-daemon")),
            "run",
            "-f",
            "defs.py",
            "--log-level",
            "warning",
        ],
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    deadline = time.monotonic() + args.timeout
    # Stopped from outside: still stop the daemon (the ``finally`` below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped by SIGTERM"))
    try:
        with DagsterInstance.get() as instance:
            states = _wait_for_iterations(
                instance, daemon, args.sensors, args.passes + 1, deadline
            )
            passes = _passes(instance, states, args.passes)
            [retrain] = [s for s in states if s.name == "retrain"]
            try:
                alert = _alert_rounds(instance, retrain, args.alerts, deadline)
            except _OutOfTime as exc:  # keep the pass: it was measured
                alert = {"error": str(exc), **exc.partial}
            daemon.send_signal(signal.SIGINT)
            daemon.wait(60)
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
        log.close()
    figures = [p["seconds"] for p in passes[1:]]
    print(
        json.dumps(
            {
                "value": statistics.median(figures),
                "unit": "s/pass",
                "samples": figures,
                "warm_up_pass_s": passes[0]["seconds"],
                "sensors": args.sensors,
                "per_sensor_ms": [p["per_sensor_ms"] for p in passes[1:]],
                "alert_to_run": alert,
            }
        )
    )


class _OutOfTime(RuntimeError):
    """The deadline passed; ``partial`` holds what was measured before."""

    def __init__(self, message: str, partial: dict[str, Any]) -> None:
        super().__init__(message)
        self.partial = partial


def _sensor_states(instance: Any) -> list[Any]:
    from dagster._core.definitions.run_request import InstigatorType

    return list(instance.all_instigator_state(instigator_type=InstigatorType.SENSOR))


def _finished_ticks(instance: Any, states: list[Any]) -> dict[str, list[Any]]:
    """Every sensor's finished ticks, oldest first, by sensor name (one query)."""
    from dagster._core.scheduler.instigation import TickStatus

    by_selector = instance.get_batch_ticks(
        [s.selector_id for s in states], limit=10_000
    )
    return {
        state.name: sorted(
            (
                t
                for t in by_selector.get(state.selector_id, [])
                if t.status != TickStatus.STARTED
            ),
            key=lambda t: t.timestamp,
        )
        for state in states
    }


def _wait_for_iterations(
    instance: Any,
    daemon: subprocess.Popen[bytes],
    sensors: int,
    iterations: int,
    deadline: float,
) -> list[Any]:
    """Wait until every sensor has finished ``iterations`` ticks; return states.

    Polls one sensor's ticks (one small query a second) until it has finished
    its last, then all sensors' (a larger query, every 10 s), so that watching
    takes little from the daemon it watches.
    """
    wanted: set[str] | None = {"retrain"}
    while time.monotonic() < deadline:
        if daemon.poll() is not None:
            tail = Path("daemon.log").read_text().strip().splitlines()[-20:]
            raise SystemExit("dagster-daemon stopped:\n" + "\n".join(tail))
        states = [
            s for s in _sensor_states(instance) if wanted is None or s.name in wanted
        ]
        if states and (wanted is not None or len(states) == sensors):
            ticks = _finished_ticks(instance, states)
            if min(len(t) for t in ticks.values()) >= iterations:
                if wanted is None:
                    return states
                wanted = None
                continue
        time.sleep(1.0 if wanted is not None else 10.0)
    raise SystemExit(f"the daemon did not run {iterations} iterations in time")


def _passes(instance: Any, states: list[Any], passes: int) -> list[dict[str, Any]]:
    """The warm-up iteration and ``passes`` more: wall time over all sensors.

    Every sensor is due at every iteration (``minimum_interval_seconds=0``),
    so a sensor's k-th tick belongs to the daemon's k-th iteration.
    """
    by_pass: list[list[tuple[float, float]]] = [[] for _ in range(passes + 1)]
    for ticks in _finished_ticks(instance, states).values():
        for k in range(passes + 1):
            tick = ticks[k]
            by_pass[k].append((tick.timestamp, tick.end_timestamp or tick.timestamp))
    return [
        {
            "seconds": max(end for _, end in ticks) - min(start for start, _ in ticks),
            "per_sensor_ms": statistics.median((e - s) * 1000 for s, e in ticks),
        }
        for ticks in by_pass
    ]


def _alert_rounds(
    instance: Any, retrain: Any, rounds: int, deadline: float
) -> dict[str, Any]:
    from dagster import DagsterRunStatus, RunsFilter

    alerts: list[str] = []
    results = []
    for i in range(rounds):  # each run is launched in a new process: no warm-up
        alert_id = f"alert-{i}"
        alerts.append(alert_id)
        Path("alerts.json.tmp").write_text(json.dumps(alerts))
        Path("alerts.json.tmp").replace("alerts.json")
        stored = time.time()
        while True:
            if time.monotonic() > deadline:
                raise _OutOfTime(
                    f"no run started for {alert_id} before --timeout",
                    _summary(results),
                )
            records = instance.get_run_records(RunsFilter(tags={"alert": alert_id}))
            if records and records[0].start_time is not None:
                record = records[0]
                break
            time.sleep(0.05)
        while instance.get_run_by_id(record.dagster_run.run_id).status not in (
            DagsterRunStatus.SUCCESS,
            DagsterRunStatus.FAILURE,
        ):  # let the run end before the next alert
            if time.monotonic() > deadline:
                raise _OutOfTime(
                    f"run for {alert_id} did not end before --timeout",
                    _summary(results),
                )
            time.sleep(0.1)
        run_id = record.dagster_run.run_id
        ticks = instance.get_ticks(retrain.instigator_origin_id, retrain.selector_id)
        [tick] = [t for t in ticks if run_id in t.run_ids]
        after = [
            t for t in ticks if t.timestamp >= stored and t.timestamp <= tick.timestamp
        ]
        created = record.create_timestamp.timestamp()
        results.append(
            {
                "tick_to_started_ms": (record.start_time - tick.timestamp) * 1000,
                "stored_to_started_ms": (record.start_time - stored) * 1000,
                "wait_for_tick_ms": (tick.timestamp - stored) * 1000,
                "tick_to_queued_ms": (created - tick.timestamp) * 1000,
                "queued_to_started_ms": (record.start_time - created) * 1000,
                "ticks": max(len(after), 1),
            }
        )
    return _summary(results)


def _summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    figures = [r["tick_to_started_ms"] for r in results]
    return {
        **({"value": statistics.median(figures)} if figures else {}),
        "unit": "ms",
        "samples": figures,
        "rounds": results,
    }


if __name__ == "__main__":
    main()
