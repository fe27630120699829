"""The CLI-command workload of ``benchmarks/run.py``: reading a workspace.

Registered in ``suite.WORKLOADS``. ``rung_workloads/cli_commands.py`` fills a
fresh workspace (``rung demo --fast``, a registered and promoted model, an evaluated
monitor), then times ``rung runs list``, ``rung runs show ID``, ``rung models
show NAME`` and ``rung monitor status NAME`` as whole processes, Rung as
installed (bytecode cached). One row per command; no peer runs these.
"""

from __future__ import annotations

from harness import Context, Result, run_rung

# (row, title, command in the script's JSON)
_ROWS = (
    ("cli.runs_list", "rung runs list (3 runs)", "runs list"),
    ("cli.runs_show", "rung runs show ID (4 steps)", "runs show"),
    ("cli.models_show", "rung models show NAME", "models show"),
    ("cli.monitor_status", "rung monitor status NAME", "monitor status"),
)
_TARGET_S = 0.3


def cli_commands(ctx: Context) -> list[Result]:
    """Whole-process seconds of four read commands, median of 10 launches."""
    launches = ctx.size(10, 3)
    ctx.note(f"rung runs list / runs show / models show / monitor status x {launches}")
    rung = run_rung("cli_commands.py", ["--launches", str(launches)])
    rows = []
    for workload, title, command in _ROWS:
        figure = rung["commands"][command]
        rows.append(
            Result(
                workload=workload,
                title=title,
                unit="s",
                lower_is_better=True,
                rung=float(figure["median"]),
                target=_TARGET_S,
                details={"launches": launches, "samples": figure["samples"]},
            )
        )
    return rows
