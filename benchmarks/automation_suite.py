"""The automation workload of ``benchmarks/run.py``: Rung's agent beside Dagster.

Registered in ``suite.WORKLOADS`` as ``agent_tick``. One Rung process
(``rung_workloads/agent_tick.py``) times an idle agent tick over 1,000
triggers and 100 monitors, then, in the same workspace, how long a stored
alert takes to start its retraining run (in ticks and in milliseconds).

Beside them, one Dagster process (``peers/dagster_sensors.py``, in
``benchmarks/.venv-peers-dagster``: ``bash benchmarks/setup-peers.sh
dagster``) runs ``dagster-daemon run`` over 1,000 sensors in a new
``DAGSTER_HOME`` and reads back, from Dagster's own tick records, how long the
sensor daemon's pass over them takes and how long a sensor that sees an alert
takes to get its run started. Its docstring says exactly what is timed.
"""

from __future__ import annotations

from typing import Any

from harness import BenchmarkError, Context, Peers, Result, run_peer, run_rung


def agent_tick(ctx: Context) -> list[Result]:
    """Idle tick over 1,000 triggers + 100 monitors; stored alert -> run started."""
    triggers, monitors = ctx.size(1000, 100), ctx.size(100, 10)
    alerts = ctx.size(5, 1)
    ctx.note(f"Rung agent tick, {triggers} triggers + {monitors} monitors")
    args = ["--triggers", str(triggers), "--monitors", str(monitors)]
    rung = run_rung(
        "agent_tick.py",
        [*args, "--repeats", str(ctx.size(5, 2)), "--alerts", str(alerts)],
    )
    alert = rung["alert_to_run"]
    sizes = {"triggers": triggers, "monitors": monitors}
    idle = Result(
        workload="automation.idle_tick",
        title=f"Agent tick, {triggers:,} triggers + {monitors} monitors idle",
        unit="s/tick",
        lower_is_better=True,
        rung=rung["value"],
        target=1.0,
        details={**sizes, "rung": rung},
    )
    to_run = Result(
        workload="automation.alert_to_run",
        title=f"Stored alert -> retraining run started, {triggers:,} triggers",
        unit="ms",
        lower_is_better=True,
        rung=alert["value"],
        details={**sizes, "alerts": alerts, "rung": alert},
    )
    ticks = Result(
        workload="automation.alert_to_run_ticks",
        title="Stored alert -> retraining run started, in agent ticks",
        unit="ticks",
        lower_is_better=True,
        rung=max(alert["ticks"]),
        target=1,
        details={**sizes, "alerts": alerts, "ticks": alert["ticks"]},
    )

    sensors = triggers  # as many sensors as Rung has triggers
    # A pass over 1,000 sensors takes minutes on a busy 2-core machine (8 at
    # a load of 19), and each alert waits for the daemon to reach its sensor:
    # one timed pass after the warm-up, and one alert.
    passes, peer_alerts = 1, 1
    dagster: dict[str, Any] = {}

    def measure(peers: Peers, key: str | None) -> dict[str, Any]:
        if "failed" in dagster:  # one daemon measures both rows: not twice
            raise BenchmarkError(dagster["failed"])
        if not dagster:
            try:
                figures = run_peer(
                    peers,
                    "dagster_sensors.py",
                    [
                        "--sensors",
                        str(sensors),
                        "--passes",
                        str(passes),
                        "--alerts",
                        str(peer_alerts),
                        "--timeout",
                        "1700",
                    ],
                    env={"DAGSTER_HOME": "{tmp}/dagster_home"},
                    timeout=1800.0,
                )
            except BenchmarkError as exc:
                dagster["failed"] = str(exc)
                raise
            dagster.update(figures)
        if key is None:  # the pass's figure, in seconds like Rung's tick
            return dagster
        if "value" not in dagster[key]:  # the daemon ran out of time there
            raise BenchmarkError(dagster[key].get("error", f"no {key} figure"))
        return {**dagster[key], "sensors": sensors}

    ctx.add_peer(
        idle,
        "dagster",
        f"dagster-daemon, {sensors:,} sensors, {passes} passes + 1 warm-up "
        f"(then {peer_alerts} alert)",
        lambda peers: measure(peers, None),
        group="dagster",
    )
    ctx.add_peer(
        to_run,
        "dagster",
        "dagster-daemon, alert -> run (measured with the pass above)",
        lambda peers: measure(peers, "alert_to_run"),
        group="dagster",
    )
    return [idle, to_run, ticks]
