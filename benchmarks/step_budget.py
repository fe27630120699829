"""Where a chained step's time goes, and what the records alone cost.

Runs the orchestration workload's 10-step chain (``rung_workloads/
orchestration.py``, copied into a fresh folder outside any git repository, as
the suite runs it) with a timer around each part of the step path, and
prints each part's own time per step (time in the parts it calls taken
out), so that the rows add up to the whole run. Timers are ``perf_counter``
pairs around the calls, not samples: a sampling profiler on this kind of
machine put a third of the time on the wrong line (``time.thread_time``).
The timers cost about a microsecond per call; the total is printed beside
the same runs measured without them.

The floor: one run's database work (every transaction and statement the
step path sent to SQLite, parameters included) is recorded at the driver,
then replayed with plain ``sqlite3`` on copies of the database as it was
before that run (every page cached, the write-ahead log already grown, as
in the measured process), with no Python between the statements. That is
what the records Rung keeps cost SQLite itself, per step.

    .venv/bin/python benchmarks/step_budget.py [--runs 300] [--cache off|on] \\
        [--json OUT]
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib
import importlib.util
import json
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
STEPS = 10

# (label, module, attribute path): each part's own time is its time minus
# the time of the parts it calls.
PARTS = [
    ("run: other", "rung.pipelines._pipeline", "Pipeline.run"),
    ("run: plan (trace the pipeline)", "rung.pipelines._pipeline", "Pipeline.plan"),
    ("run: create the run record", "rung.metadata._sql", "SqlRunStore.create_run"),
    ("run: end the run record", "rung.metadata._sql", "SqlRunStore.update_run"),
    ("run: provenance", "rung.pipelines._engine", "_Provenance.__init__"),
    ("engine: scheduling", "rung.pipelines._engine", "_Scheduler.run"),
    ("engine: cache key", "rung.pipelines._engine", "task_cache_key"),
    ("cache: lookup", "rung.metadata._sql", "SqlRunStore.find_cached_step_run"),
    ("cache: content check", "rung.workspace", "Workspace.has_content"),
    ("cache: write the hits", "rung.metadata._sql", "SqlRunStore.record_cache_hits"),
    (
        "step records: clean, build rows",
        "rung.metadata._sql",
        "SqlRunStore.advance_step_runs",
    ),
    ("step: other (context, capture)", "rung.pipelines._engine", "execute_node"),
    ("step: load inputs", "rung.pipelines._node", "_load_inputs"),
    ("step: call the step's code", "rung.pipelines._node", "_call_user_code"),
    ("step: store outputs", "rung.pipelines._node", "_store_outputs"),
]
DRIVER = "SQLite: driver calls (BEGIN, statements, COMMIT)"
# Pages written into the replay copy's log before the replay (about 8 MiB).
_WAL_PAGES = 2000


class Timers:
    """Own (exclusive) seconds per label, from nested perf_counter pairs."""

    def __init__(self) -> None:
        self.own: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self._stack: list[float] = []  # time spent in children, per open frame

    @contextlib.contextmanager
    def part(self, label: str) -> Any:
        self._stack.append(0.0)
        start = time.perf_counter()
        try:
            yield
        finally:
            spent = time.perf_counter() - start
            children = self._stack.pop()
            self.own[label] = self.own.get(label, 0.0) + spent - children
            self.calls[label] = self.calls.get(label, 0) + 1
            if self._stack:
                self._stack[-1] += spent

    def clear(self) -> None:
        self.own.clear()
        self.calls.clear()


def _wrap(timers: Timers, label: str, module: str, path: str) -> None:
    owner: Any = importlib.import_module(module)
    *parents, name = path.split(".")
    for parent in parents:
        owner = getattr(owner, parent)
    original = getattr(owner, name)

    @functools.wraps(original)
    def timed(*args: Any, **kwargs: Any) -> Any:
        with timers.part(label):
            return original(*args, **kwargs)

    setattr(owner, name, timed)


class _Recorder:
    """Proxies a sqlite3 connection: times the driver calls, records them."""

    def __init__(self, conn: Any, timers: Timers, log: list[Any] | None) -> None:
        self._conn = conn
        self._timers = timers
        self._log = log

    def execute(self, sql: str, *args: Any) -> Any:
        if self._log is not None:
            self._log.append(("begin", sql))
        with self._timers.part(DRIVER):
            return self._conn.execute(sql, *args)

    def commit(self) -> None:
        if self._log is not None:
            self._log.append(("commit", None))
        with self._timers.part(DRIVER):
            self._conn.commit()

    def rollback(self) -> None:
        self._conn.rollback()

    def cursor(self) -> Any:
        return _RecordingCursor(self._conn.cursor(), self._timers, self._log)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


class _RecordingCursor:
    def __init__(self, cursor: Any, timers: Timers, log: list[Any] | None) -> None:
        self._cursor = cursor
        self._timers = timers
        self._log = log

    def execute(self, sql: str, params: Any = ()) -> Any:
        if self._log is not None:
            self._log.append(("one", (sql, params)))
        with self._timers.part(DRIVER):
            return self._cursor.execute(sql, params)

    def executemany(self, sql: str, rows: Any) -> Any:
        rows = list(rows)
        if self._log is not None:
            self._log.append(("many", (sql, rows)))
        with self._timers.part(DRIVER):
            return self._cursor.executemany(sql, rows)

    def fetchall(self) -> Any:
        with self._timers.part(DRIVER):
            return self._cursor.fetchall()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)


def _instrument(timers: Timers, recording: list[list[Any] | None]) -> None:
    for label, module, path in PARTS:
        _wrap(timers, label, module, path)
    engine = importlib.import_module("rung.store.sql._engine")
    original = engine.Database._transaction

    def transaction(
        self: Any, sa_engine: Any, dbapi: Any, lost: Any, write: bool
    ) -> Any:
        yield from original(
            self, sa_engine, _Recorder(dbapi, timers, recording[0]), lost, write
        )

    engine.Database._transaction = transaction


def _replay(log: list[Any], database: Path, copies: int) -> list[float]:
    """Seconds to replay ``log`` on ``copies`` fresh copies of ``database``."""
    seconds = []
    for _ in range(copies):
        with tempfile.TemporaryDirectory() as folder:
            copy = Path(folder) / "metadata.db"
            shutil.copyfile(database, copy)
            conn = sqlite3.connect(copy, isolation_level=None)
            for pragma in (
                "journal_mode=WAL",
                "synchronous=NORMAL",
                "foreign_keys=ON",
                "cache_size=-65536",
            ):
                conn.execute(f"PRAGMA {pragma}")
            # As the measured process has it: every page in the cache, and a
            # log file that commits overwrite rather than extend (a new file
            # grows at every commit: block allocation, a dearer write).
            conn.execute("PRAGMA quick_check").fetchall()
            conn.execute("CREATE TABLE budget_scratch (x BLOB)")
            for _ in range(_WAL_PAGES // 8):
                with conn:
                    conn.execute("BEGIN")
                    conn.executemany(
                        "INSERT INTO budget_scratch VALUES (zeroblob(4000))",
                        [()] * 8,
                    )
            conn.execute("PRAGMA wal_checkpoint(RESTART)").fetchall()
            cursor = conn.cursor()
            start = time.perf_counter()
            for kind, item in log:
                if kind == "begin":
                    conn.execute(item)
                elif kind == "commit":
                    conn.commit()
                elif kind == "one":
                    cursor.execute(*item).fetchall()
                else:
                    cursor.executemany(*item)
            seconds.append(time.perf_counter() - start)
            conn.close()
    return seconds


def _load_chain(folder: Path) -> Any:
    script = folder / "orchestration.py"
    shutil.copyfile(HERE / "rung_workloads" / "orchestration.py", script)
    spec = importlib.util.spec_from_file_location("budget_chain", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["budget_chain"] = module
    spec.loader.exec_module(module)
    return module.chain


def main() -> None:
    """Measure, print the table, optionally save it as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--cache", choices=["on", "off"], default="off")
    parser.add_argument("--replays", type=int, default=30)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    cache = args.cache == "on"

    folder = Path(tempfile.mkdtemp(prefix="rung-budget-"))
    os.environ["RUNG_ROOT"] = str(folder / "root")
    chain = _load_chain(folder)
    import rung  # after RUNG_ROOT is set

    def run_once() -> float:
        start = time.perf_counter()
        run = chain.run(params={"start": 0}, enable_cache=cache)
        if run.status != "completed":
            raise SystemExit(f"The pipeline run ended {run.status!r}.")
        return time.perf_counter() - start

    for _ in range(3):
        run_once()  # imports, schema, first cache entries
    plain = [run_once() for _ in range(args.runs)]

    timers = Timers()
    recording: list[list[Any] | None] = [None]
    _instrument(timers, recording)
    run_once()
    timers.clear()
    timed = [run_once() for _ in range(args.runs)]
    own = {k: v / args.runs / STEPS * 1e6 for k, v in timers.own.items()}

    # The floor: record one more run at the driver, replay it raw.
    database = Path(os.environ["RUNG_ROOT"]) / ".rung" / "metadata.db"
    with sqlite3.connect(database) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = folder / "before.db"
    shutil.copyfile(database, before)
    recording[0] = []
    run_once()
    log = recording[0]
    recording[0] = None
    floor = statistics.median(_replay(log, before, args.replays)) / STEPS * 1e6

    total = sum(own.values())
    rows = sorted(own.items(), key=lambda kv: -kv[1])
    print(
        f"Rung {rung.__version__}, 10-step chain, caching {args.cache}, "
        f"{args.runs} runs; own microseconds per step:"
    )
    for label, value in rows:
        print(f"  {label:52s} {value:8.1f}  {100 * value / total:5.1f}%")
    print(f"  {'total (timed runs)':52s} {total:8.1f}")
    wall_plain = statistics.median(plain) / STEPS * 1e6
    wall_timed = statistics.median(timed) / STEPS * 1e6
    print(f"median per step: {wall_plain:.1f} us without timers, {wall_timed:.1f} with")
    transactions = sum(1 for kind, _ in log if kind == "commit")
    statements = sum(1 for kind, _ in log if kind in ("one", "many"))
    print(
        f"floor: one run's {transactions} transactions and {statements} "
        f"statements replayed with sqlite3: {floor:.1f} us per step"
    )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "cache": args.cache,
                    "runs": args.runs,
                    "own_us_per_step": own,
                    "median_us_per_step": wall_plain,
                    "median_us_per_step_timed": wall_timed,
                    "floor_us_per_step": floor,
                    "transactions_per_run": transactions,
                    "statements_per_run": statements,
                },
                indent=2,
            )
            + "\n"
        )
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
