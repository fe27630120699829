"""Rung: whole-process wall time of CLI commands that read a workspace.

Prepares a workspace in the current folder through the CLI (``rung demo --fast``:
three runs; ``models register`` + ``promote``; ``monitor create`` + ``run``),
then launches each command ``--launches`` times after one untimed launch and
reports the median seconds per command; ``value`` is the slowest median.

    python cli_commands.py --launches 10 [--bytecode cached|none]

``--bytecode cached`` (the default) measures Rung as installed: the untimed
launch writes bytecode to a private cache (``PYTHONPYCACHEPREFIX`` in this
folder), the timed launches read it. ``none`` compiles every Rung module at
every launch, as a source checkout run with ``PYTHONDONTWRITEBYTECODE=1``
does.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

COMMANDS = {
    "runs list": ["runs", "list"],
    "runs show": ["runs", "show", "{run}"],
    "models show": ["models", "show", "demo"],
    "monitor status": ["monitor", "status", "demo"],
}


def _rung() -> list[str]:
    script = Path(sys.executable).parent / "rung"
    return [str(script)] if script.exists() else [sys.executable, "-m", "rung"]


def _call(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(
        [*_rung(), *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.exit(f"`rung {' '.join(args)}` failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def _prepare(env: dict[str, str]) -> str:
    """A workspace with 3 runs, a model with an alias, an evaluated monitor."""
    _call(["demo", "--fast"], env)
    runs = json.loads(_call(["runs", "list", "--json"], env))
    newest, oldest = runs[0]["id"], runs[-1]["id"]
    _call(["models", "register", "demo", "--run", newest, "--step", "train"], env)
    _call(["models", "promote", "demo", "1", "--alias", "production"], env)
    monitor = ["monitor", "create", "demo", "--model", "demo@production"]
    _call([*monitor, "--current", f"run:{oldest}/split"], env)
    _call(["monitor", "run", "demo"], env)
    return str(newest)[:12]


def _launch_env(bytecode: str) -> dict[str, str]:
    env = dict(os.environ)
    if bytecode == "cached":
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(Path.cwd() / ".pycache")
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _time(args: list[str], launches: int, env: dict[str, str]) -> list[float]:
    command = [*_rung(), *args]
    subprocess.run(command, env=env, capture_output=True, check=True)  # untimed
    samples = []
    for _ in range(launches):
        start = time.perf_counter()
        subprocess.run(command, env=env, capture_output=True, check=True)
        samples.append(time.perf_counter() - start)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--launches", type=int, default=10)
    parser.add_argument("--bytecode", choices=["cached", "none"], default="cached")
    args = parser.parse_args()

    run = _prepare(dict(os.environ))
    env = _launch_env(args.bytecode)
    commands: dict[str, dict[str, Any]] = {}
    for name, template in COMMANDS.items():
        command = [part.format(run=run) for part in template]
        samples = _time(command, args.launches, env)
        commands[name] = {"median": statistics.median(samples), "samples": samples}
    shutil.rmtree(Path.cwd() / ".pycache", ignore_errors=True)
    medians = [float(c["median"]) for c in commands.values()]
    print(
        json.dumps(
            {
                "value": max(medians),
                "unit": "s",
                "samples": medians,
                "bytecode": args.bytecode,
                "commands": commands,
            }
        )
    )


if __name__ == "__main__":
    main()
