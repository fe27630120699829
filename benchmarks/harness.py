"""Plumbing for ``benchmarks/run.py``: results, fresh processes, launch timing.

Every measurement runs in a new process with a new temporary folder, so no
figure depends on what ran before it: Rung scripts (``rung_workloads/``) run
with the project's interpreter and ``RUNG_ROOT=<tmp>``, peer scripts
(``peers/``) with ``benchmarks/.venv-peers/bin/python``. A script prints one
JSON line holding at least ``{"value": <figure>}``.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BENCHMARKS = Path(__file__).resolve().parent
RUNG_SCRIPTS = BENCHMARKS / "rung_workloads"
PEER_SCRIPTS = BENCHMARKS / "peers"
PEERS_VENV = BENCHMARKS / ".venv-peers"
RUNG_BIN = Path(sys.executable).parent
SCRIPT_TIMEOUT = 900.0


class BenchmarkError(RuntimeError):
    """A workload script failed or printed no figure."""


@dataclass
class PeerFigure:
    """One peer's figure on a row: ``name`` is ``package version``."""

    name: str
    value: float
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class Result:
    """One row of the results table: a Rung figure, maybe a peer's beside it.

    Attributes:
        workload: stable key, e.g. ``orchestration.uncached``.
        title: what the row measures, for people.
        unit: unit of both figures, e.g. ``ms/step``.
        lower_is_better: True for times, False for throughputs.
        rung: Rung's figure.
        target: the figure Rung must reach (``<=`` or ``>=`` per the above).
        peers: every peer that ran the same workload in this run (several
            per row: ZenML, Kedro, Hamilton...). ``peer_name``/``peer`` and
            ``ratio`` are those of the fastest of them.
        peer_reference: the peer's figure in shared/PEERS.md, for context.
        baseline: Rung's figure from another source tree (``run.py
            --baseline``), measured in the same run; None without one.
        details: raw samples and sizes from both sides.
    """

    workload: str
    title: str
    unit: str
    lower_is_better: bool
    rung: float
    target: float | None = None
    peers: list[PeerFigure] = field(default_factory=list)
    peer_reference: float | None = None
    baseline: float | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def fastest_peer(self) -> PeerFigure | None:
        """The peer with the best figure in this run (None: no peer ran)."""
        if not self.peers:
            return None
        pick = min if self.lower_is_better else max
        return pick(self.peers, key=lambda p: p.value)

    @property
    def peer_name(self) -> str | None:
        """``name version`` of the fastest peer."""
        best = self.fastest_peer
        return None if best is None else best.name

    @property
    def peer(self) -> float | None:
        """The fastest peer's figure."""
        best = self.fastest_peer
        return None if best is None else best.value

    @property
    def ratio(self) -> float | None:
        """How many times better Rung is than the fastest peer (> 1: Rung wins)."""
        return None if self.peer is None else self.better_than(self.peer)

    def better_than(self, other: float) -> float | None:
        """How many times better Rung's figure is than ``other`` (> 1: Rung's)."""
        if self.rung <= 0 or other <= 0:
            return None
        return other / self.rung if self.lower_is_better else self.rung / other

    @property
    def change(self) -> float | None:
        """How many times better than the baseline Rung is (> 1: improved)."""
        return None if self.baseline is None else self.better_than(self.baseline)

    @property
    def is_target_met(self) -> bool | None:
        """Whether Rung's figure reaches the target (None: no target)."""
        if self.target is None:
            return None
        if self.lower_is_better:
            return self.rung <= self.target
        return self.rung >= self.target

    @property
    def target_text(self) -> str:
        """The target as text, e.g. ``<= 5 ms/step``."""
        if self.target is None:
            return ""
        sign = "<=" if self.lower_is_better else ">="
        return f"{sign} {format_figure(self.target)} {self.unit}"

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict including the derived ratio and verdict."""
        return {
            **asdict(self),
            "peer_name": self.peer_name,
            "peer": self.peer,
            "ratios": {
                p.name: self.better_than(p.value)
                for p in self.peers
                if self.better_than(p.value) is not None
            },
            "ratio": self.ratio,
            "change": self.change,
            "target_met": self.is_target_met,
        }


@dataclass(frozen=True)
class Peers:
    """The peer virtualenv and the versions installed in it."""

    python: Path
    versions: Mapping[str, str]

    def label(self, package: str) -> str:
        """``package version`` for table headings."""
        return f"{package} {self.versions.get(package, '?')}"

    def command(self, name: str) -> Path:
        """A console script of the peer venv (``mlflow``, ``zenml``)."""
        return self.python.parent / name


@dataclass
class Context:
    """What a workload function gets: the size knob, peers, progress hooks."""

    quick: bool
    peers: Peers | None
    #: ``--no-peers``: measure no peer, not even those with a venv of their own.
    no_peers: bool = False
    #: Peer venvs by group (``benchmarks/.venv-peers-<group>``), found lazily.
    peer_groups: dict[str, Peers | None] = field(default_factory=dict)
    report: Callable[[str], None] = lambda _text: None
    warn: Callable[[str], None] = lambda _text: None

    def size(self, full: int, quick: int) -> int:
        """``full`` normally, ``quick`` under ``--quick``."""
        return quick if self.quick else full

    def note(self, text: str) -> None:
        """Say what is being measured now (shown by the progress display)."""
        self.report(text)

    def add_peer(
        self,
        row: Result,
        package: str,
        note: str,
        measure: Callable[[Peers], Mapping[str, Any]],
        *,
        group: str = "",
    ) -> None:
        """Measure ``package`` with ``measure``; add its figure to ``row``.

        ``group`` names the peer venv: ``""`` is ``benchmarks/.venv-peers``,
        ``"pipelines"`` is ``benchmarks/.venv-peers-pipelines`` (peers whose
        pins clash get a venv of their own; ``setup-peers.sh`` builds one per
        ``requirements-peers-<group>.txt``). Does nothing under ``--no-peers``
        or when that venv is missing. A failing peer leaves no figure (and the
        error in the row's details) instead of stopping the run.
        """
        peers = self.peers_for(group)
        if peers is None:
            return
        self.note(note)
        try:
            payload = measure(peers)
        except BenchmarkError as exc:
            self.warn(f"{package} failed on {row.workload}: {exc}")
            row.details.setdefault("peer_errors", {})[package] = str(exc)
            return
        row.peers.append(
            PeerFigure(peers.label(package), float(payload["value"]), dict(payload))
        )
        row.details.setdefault("peer", {})[package] = dict(payload)

    def peers_for(self, group: str) -> Peers | None:
        """The peer venv of ``group`` (None under ``--no-peers`` or if absent).

        A group's venv is used even when ``benchmarks/.venv-peers`` is absent.
        """
        if self.no_peers:
            return None
        if not group:
            return self.peers
        if group not in self.peer_groups:
            self.peer_groups[group] = find_peers(
                PEERS_VENV.with_name(f".venv-peers-{group}")
            )
        return self.peer_groups[group]


def find_peers(venv: Path = PEERS_VENV) -> Peers | None:
    """Return the peer venv if ``setup-peers.sh`` created it, else None."""
    python = venv / "bin" / "python"
    if not python.exists():
        return None
    code = (
        "import importlib.metadata as m, json\n"
        "print(json.dumps({d.metadata['Name'].lower(): d.version"
        " for d in m.distributions() if d.metadata['Name']}))\n"
    )
    done = subprocess.run(
        [str(python), "-c", code], capture_output=True, text=True, check=True
    )
    return Peers(python=python, versions=json.loads(done.stdout))


@contextmanager
def scratch_folder(prefix: str) -> Iterator[Path]:
    """A temporary folder that is removed afterwards (even if it got large)."""
    folder = Path(tempfile.mkdtemp(prefix=f"rung-bench-{prefix}-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def rung_source(src: Path) -> Iterator[None]:
    """Make Rung scripts and launches import Rung from ``src`` meanwhile.

    ``src`` is the folder that holds the ``rung`` package (a checkout's
    ``src/``). Child processes inherit ``PYTHONPATH``, so this is how
    ``run.py --baseline`` measures another version in the same run.
    """
    if not (src / "rung" / "__init__.py").is_file():
        raise BenchmarkError(
            f"{src} holds no rung package (no rung/__init__.py). Give the `src` "
            "folder of a checkout, e.g. from `git archive <commit> src | tar -x -C "
            "/tmp/base`: /tmp/base/src."
        )
    before = os.environ.get("PYTHONPATH")
    # Prepended, so ``src`` shadows any other rung while the rest of the path
    # (e.g. a folder of entry-point metadata) still applies.
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(src.resolve()), *([before] if before else [])]
    )
    try:
        yield
    finally:
        if before is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = before


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The current environment without ``RUNG_*`` settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNG_")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra or {})
    return env


def run_script(
    python: Path,
    script: Path,
    args: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float = SCRIPT_TIMEOUT,
) -> dict[str, Any]:
    """Run ``script`` in a new process; return the JSON figure it printed."""
    done = run_command([str(python), str(script), *args], cwd, env, timeout=timeout)
    for line in reversed(done.stdout.splitlines()):
        try:
            payload = json.loads(line)
        except ValueError:
            continue
        if isinstance(payload, dict) and "value" in payload:
            return payload
    raise BenchmarkError(
        f"{script.name} printed no JSON figure. Its output ended with:\n"
        f"{_tail(done.stdout + done.stderr)}"
    )


def run_rung(
    name: str, args: Sequence[str], *, project: str | None = None
) -> dict[str, Any]:
    """Run ``rung_workloads/<name>`` in a fresh process and workspace.

    ``project``: None runs the script where it is (inside this repository);
    ``"copy"`` runs a copy from the fresh folder, outside any git repository,
    as ``run_peer`` runs the peers' scripts; ``"git"`` makes that folder a git
    repository with the script committed first, a user's project as most
    are (Rung then records the commit and dirty flag of every run).
    """
    with scratch_folder(name.removesuffix(".py")) as tmp:
        env = clean_env({"RUNG_ROOT": str(tmp)})
        script = RUNG_SCRIPTS / name
        if project is not None:
            script = tmp / name
            shutil.copyfile(RUNG_SCRIPTS / name, script)
        if project == "git":
            git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost"]
            for command in (["init", "-q"], ["add", name], ["commit", "-qm", "bench"]):
                run_command([*git, *command], tmp, env)
        return run_script(Path(sys.executable), script, args, cwd=tmp, env=env)


def run_peer(
    peers: Peers,
    name: str,
    args: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    setup: Sequence[Sequence[str]] = (),
    timeout: float = SCRIPT_TIMEOUT,
) -> dict[str, Any]:
    """Run ``peers/<name>`` with the peer venv's Python in a fresh folder.

    The script is copied into the folder first (ZenML wants the pipeline file
    inside its source root). ``setup`` commands (``["zenml", "init"]``, names
    of the peer venv's console scripts) run there before it. ``{tmp}`` in
    ``env`` values stands for the folder. ``timeout``: seconds the script
    may take before it is stopped (and the peer's cell left empty).
    """
    with scratch_folder(name.removesuffix(".py")) as tmp:
        script = tmp / name
        shutil.copyfile(PEER_SCRIPTS / name, script)
        full_env = clean_env(_expand(env, tmp))
        for command in setup:
            run_command([str(peers.command(command[0])), *command[1:]], tmp, full_env)
        return run_script(
            peers.python, script, args, cwd=tmp, env=full_env, timeout=timeout
        )


def run_command(
    command: Sequence[str],
    cwd: Path,
    env: Mapping[str, str],
    *,
    timeout: float = SCRIPT_TIMEOUT,
) -> subprocess.CompletedProcess[str]:
    """Run ``command``, raising BenchmarkError (with its output) if it fails."""
    try:
        done = subprocess.run(
            list(command),
            cwd=cwd,
            env=dict(env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise BenchmarkError(
            f"`{' '.join(command)}` took over {timeout:.0f} s and was stopped."
        ) from exc
    if done.returncode != 0:
        raise BenchmarkError(
            f"`{' '.join(command)}` exited with {done.returncode}:\n"
            f"{_tail(done.stderr or done.stdout)}"
        )
    return done


def time_launches(
    command: Sequence[str], launches: int, *, env: Mapping[str, str] | None = None
) -> list[float]:
    """Wall seconds of ``launches`` runs of ``command`` (after one warm-up).

    Each launch runs in the same fresh folder; ``{tmp}`` in ``env`` values
    stands for it.
    """
    samples: list[float] = []
    with scratch_folder("launch") as tmp:
        full_env = clean_env(_expand(env, tmp))
        run_command(command, tmp, full_env)  # warms the page cache, not timed
        for _ in range(launches):
            start = time.perf_counter()
            run_command(command, tmp, full_env)
            samples.append(time.perf_counter() - start)
    return samples


def median(values: Sequence[float]) -> float:
    """The median (a thin wrapper so workload code reads plainly)."""
    return float(statistics.median(values))


def format_figure(value: float) -> str:
    """About three significant digits, thousands separated: 3.42, 198, 12,345."""
    if value == int(value):
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def _expand(env: Mapping[str, str] | None, folder: Path) -> dict[str, str]:
    return {k: v.replace("{tmp}", str(folder)) for k, v in (env or {}).items()}


def _tail(text: str, lines: int = 25) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])
