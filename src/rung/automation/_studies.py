"""Where re-tuning studies live, and what a study says about its rounds.

A study is stored by Optuna's own RDB storage on the workspace's database
server, beside Rung's tables, never among them: Optuna keeps its schema
version in an ``alembic_version`` table, the very table that holds Rung's
revision, so the two schemas cannot share one SQLite file or one PostgreSQL
schema. So the study goes to

- ``<name>.optuna<suffix>`` next to a SQLite metadata file
  (``.rung/metadata.db`` -> ``.rung/metadata.optuna.db``);
- the PostgreSQL schema ``rung_optuna`` (or ``<schema>_optuna`` when the
  workspace's URL sets a ``search_path``) of the workspace's database;
- Optuna's in-memory storage for a ``memory://`` workspace: it lives as long
  as the workspace object, and a killed process cannot resume it.

One study per model, ``rung.<project>.<model>``. Each call of ``retune`` is a
*round* of that study; its settings, champion and outcome are study user
attributes (``rung.round.<n>``), and its trials carry ``rung.round``.
"""

from __future__ import annotations

import functools
import re
import sqlite3
import warnings
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

from rung.automation.errors import RetuneError

if TYPE_CHECKING:
    from optuna import Study
    from optuna.storages import BaseStorage
    from optuna.trial import FrozenTrial

    from rung.workspace import Workspace

__all__ = [
    "ROUND_ATTR",
    "RoundStatus",
    "StudyStatus",
    "StudyStorage",
    "load_study",
    "open_storage",
    "round_state",
    "round_trials",
    "study_name",
    "study_status",
]

ROUND_ATTR = "rung.round"
"""Trial and study user attribute: the round a trial belongs to / the latest round."""
_MEMORY_KEY = "automation.retune.storage"
_PG_SCHEMA = "rung_optuna"
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
_SEARCH_PATH = re.compile(r"-c\s*search_path=(\S+)")


def study_name(project: str, model: str) -> str:
    """The study of a model: ``rung.<project>.<model>``."""
    return f"rung.{project}.{model}"


@dataclass(slots=True)
class StudyStorage:
    """An opened Optuna storage and where it is, in words.

    Attributes:
        storage: the Optuna storage.
        where: ``sqlite file ...``, ``postgresql schema ...`` or ``memory``.
        durable: False for the in-memory storage (no resume after a kill).
    """

    storage: BaseStorage
    where: str
    durable: bool = True

    def close(self) -> None:
        """Release the storage's connections (the in-memory one stays)."""
        engine = getattr(self.storage, "engine", None)
        if self.durable and engine is not None:
            self.storage.remove_session()
            engine.dispose()


def open_storage(
    workspace: Workspace, *, heartbeat: int | None = None, create: bool = True
) -> StudyStorage:
    """Open the Optuna storage that belongs to ``workspace``'s database.

    Args:
        workspace: the workspace (SQLite, PostgreSQL or ``memory://``).
        heartbeat: seconds between trial heartbeats (None: no heartbeat).
        create: create a SQLite file that does not exist yet.

    Raises:
        RetuneError: the workspace's records are not in a SQL database.
        LookupError: ``create`` is False and there is no SQLite file yet.
    """
    import optuna

    url = str(getattr(workspace.backend, "url", ""))
    scheme, _, rest = url.partition("://")
    dialect = scheme.lower().split("+")[0]
    if dialect == "memory" or (dialect == "sqlite" and _is_memory(rest)):
        storage = workspace.attach(_MEMORY_KEY, optuna.storages.InMemoryStorage)
        return StudyStorage(storage, "memory (this process only)", durable=False)
    if dialect == "sqlite":
        target, file = _sqlite_url(scheme, rest)
        where = f"sqlite file {file}"
        if not create and not Path(file).exists():
            raise LookupError(where)
        kwargs: dict[str, Any] = {"creator": functools.partial(_connect_sqlite, file)}
    elif dialect == "postgresql":
        target, schema = _postgres_url(url)
        _create_schema(workspace, schema)
        where, kwargs = f"postgresql schema {schema}", {"pool_pre_ping": True}
    else:
        raise RetuneError(
            f"Re-tuning keeps its study in the workspace's SQL database, but this "
            f"workspace's records are at {url or type(workspace.backend).__name__!r}. "
            "Run it where the workspace's SQLite file or PostgreSQL URL is reachable."
        )
    with warnings.catch_warnings():
        # Trial heartbeats are marked experimental in Optuna; we rely on them.
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        rdb = optuna.storages.RDBStorage(
            target,
            engine_kwargs=kwargs,
            heartbeat_interval=heartbeat,
            grace_period=heartbeat * 3 if heartbeat else None,
        )
    return StudyStorage(rdb, where)


def _is_memory(rest: str) -> bool:
    path, _, query = rest.removeprefix("/").partition("?")
    return path in ("", ":memory:") or "mode=memory" in query


def _sqlite_url(scheme: str, rest: str) -> tuple[str, str]:
    path, sep, query = rest.removeprefix("/").partition("?")
    file = PurePosixPath(path)
    sibling = file.with_name(f"{file.stem}.optuna{file.suffix or '.db'}")
    return f"{scheme}:///{sibling}{sep}{query}", str(sibling)


def _connect_sqlite(path: str) -> sqlite3.Connection:
    # Tuned as Rung tunes its own file: WAL, no fsync per commit, and a wait
    # instead of "database is locked" when two models' rounds write at once.
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def _postgres_url(url: str) -> tuple[str, str]:
    base, _, query = url.partition("?")
    scheme, sep, rest = base.partition("://")
    if "+" not in scheme:  # Rung depends on psycopg 3, not psycopg2
        scheme = f"{scheme}+psycopg"
    pairs = parse_qsl(query, keep_blank_values=True)
    options = " ".join(v for k, v in pairs if k == "options")
    current = _SEARCH_PATH.search(options)
    schema = f"{current.group(1).split(',')[0]}_optuna" if current else _PG_SCHEMA
    options = f"{_SEARCH_PATH.sub('', options)} -csearch_path={schema}".strip()
    pairs = [(k, v) for k, v in pairs if k != "options"] + [("options", options)]
    return f"{scheme}{sep}{rest}?{urlencode(pairs)}", schema


def _create_schema(workspace: Workspace, schema: str) -> None:
    if not _IDENTIFIER.fullmatch(schema):
        raise RetuneError(
            f"Cannot keep re-tuning studies in PostgreSQL schema {schema!r}: use a "
            "search_path of letters, digits and '_' in the workspace's URL."
        )
    write = getattr(workspace.backend, "write", None)
    if write is None:
        raise RetuneError(
            "Re-tuning on PostgreSQL needs the workspace's own database backend."
        )
    write(lambda conn: conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))


def round_state(study: Study, number: int) -> dict[str, Any]:
    """What a round recorded (settings, champion, outcome); {} if none."""
    return dict(study.user_attrs.get(f"{ROUND_ATTR}.{number}") or {})


def round_trials(study: Study, number: int) -> list[FrozenTrial]:
    """The trials of one round (retried stale trials excluded)."""
    return [
        t
        for t in study.get_trials(deepcopy=False)
        if t.user_attrs.get(ROUND_ATTR) == number and not t.user_attrs.get("rung.stale")
    ]


@dataclass(frozen=True, slots=True)
class RoundStatus:
    """One round of a study: how far it got and what it found.

    Attributes:
        round: 1, 2, ...
        started_at / ended_at: POSIX seconds (ended_at None while unfinished).
        trials: trials finished (completed or failed) / ``planned``.
        completed / failed / running: trials by state.
        best_trial / best_value / best_params / best_run: the round's best.
        champion_value: the champion's parameters' value in this round.
        stop_reason: trials, timeout, budget, failures, lease lost, error...,
            abandoned, or None while the round is unfinished.
        version: the model version registered from the best trial.
    """

    round: int
    started_at: float | None
    ended_at: float | None
    planned: int
    trials: int
    completed: int
    failed: int
    running: int
    best_trial: int | None
    best_value: float | None
    best_params: dict[str, Any]
    best_run: str | None
    champion_value: float | None
    stop_reason: str | None
    version: int | None


@dataclass(frozen=True, slots=True)
class StudyStatus:
    """A model's study: where it is, what it optimises, its rounds."""

    name: str
    where: str
    metric: str | None
    direction: str
    rounds: list[RoundStatus] = field(default_factory=list)


def study_status(workspace: Workspace, model: str) -> StudyStatus:
    """The progress of ``model``'s re-tuning study, round by round.

    Raises:
        RetuneError: the model has never been re-tuned.
    """
    name = study_name(workspace.project, model)
    try:
        opened = open_storage(workspace, create=False)
    except LookupError as exc:
        raise _no_study(model, name, str(exc)) from None
    try:
        study = load_study(opened, name)
        if study is None:
            raise _no_study(model, name, opened.where)
        rounds = [
            describe_round(study, n)
            for n in range(1, int(study.user_attrs.get(ROUND_ATTR, 0)) + 1)
        ]
        direction = study.direction.name.lower()
        metric = study.user_attrs.get("rung.metric")
    finally:
        opened.close()
    return StudyStatus(name, opened.where, metric, direction, rounds)


def load_study(opened: StudyStorage, name: str) -> Study | None:
    """The study called ``name``, or None if there is none."""
    import optuna

    try:
        return optuna.load_study(study_name=name, storage=opened.storage)
    except KeyError:
        return None


def _no_study(model: str, name: str, where: str) -> RetuneError:
    return RetuneError(
        f"Model {model!r} has no re-tuning study ({name!r} is not in {where}). "
        "Start one with a re-tuning round.",
        model=model,
        reason="no_study",
    )


def describe_round(study: Study, number: int) -> RoundStatus:
    """The status of one round of ``study``."""
    from optuna.trial import TrialState

    state = round_state(study, number)
    trials = round_trials(study, number)
    done = [t for t in trials if t.state.is_finished()]
    completed = [t for t in trials if t.state == TrialState.COMPLETE]
    best = _best(study, completed)
    champion = [t for t in completed if t.user_attrs.get("rung.warm") == "champion"]
    return RoundStatus(
        round=number,
        started_at=state.get("started_at"),
        ended_at=state.get("ended_at"),
        planned=int(state.get("n_trials", 0)),
        trials=len(done),
        completed=len(completed),
        failed=sum(1 for t in trials if t.state == TrialState.FAIL),
        running=sum(1 for t in trials if t.state == TrialState.RUNNING),
        best_trial=best.number if best else None,
        best_value=best.value if best else None,
        best_params=dict(best.params) if best else {},
        best_run=best.user_attrs.get("rung.run_id") if best else None,
        champion_value=champion[0].value if champion else None,
        stop_reason=state.get("stop_reason"),
        version=state.get("version"),
    )


def _best(study: Study, completed: list[FrozenTrial]) -> FrozenTrial | None:
    from optuna.study import StudyDirection

    if not completed:
        return None
    sign = 1.0 if study.direction == StudyDirection.MAXIMIZE else -1.0
    return max(completed, key=lambda t: (sign * float(t.value or 0.0), -t.number))
