"""``Run``: a handle on one recorded run, for notebooks, scripts and the CLI."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rung.errors import RunError

if TYPE_CHECKING:
    from rung.metadata import MetricRecord, RunRecord, StepRunRecord
    from rung.workspace import Workspace

__all__ = ["Run"]


class Run:
    """A recorded run: status, parameters, steps, metrics and outputs.

    Reading attributes reads the store (call :meth:`refresh` to re-read the
    record). Returned by a pipeline call and by ``rung.start_run()``.

    Example:
        >>> run = training(path="data.csv")  # doctest: +SKIP
        >>> run.status, run.metrics["accuracy"]  # doctest: +SKIP
        ('completed', 0.95)
        >>> model = run.output("train")  # doctest: +SKIP
    """

    def __init__(
        self, workspace: Workspace, run_id: str, *, record: RunRecord | None = None
    ) -> None:
        self.workspace = workspace
        self.id = run_id
        # A caller that just stored the record (the run engine) hands it over:
        # the first read then costs nothing.
        given = record if record is not None and record.id == run_id else None
        self._record: RunRecord | None = given

    @property
    def record(self) -> RunRecord:
        """The stored record (read once; see :meth:`refresh`)."""
        if self._record is None:
            self._record = self.workspace.runs.get_run(self.id)
        return self._record

    def refresh(self) -> Run:
        """Re-read the record from the store; return self."""
        self._record = None
        return self

    @property
    def name(self) -> str:
        """The run's human name."""
        return self.record.name

    @property
    def status(self) -> str:
        """running, completed, failed or cancelled."""
        return self.record.status

    @property
    def params(self) -> dict[str, Any]:
        """Parameters of the run."""
        return dict(self.record.params)

    @property
    def tags(self) -> dict[str, str]:
        """Tags of the run."""
        return dict(self.record.tags)

    @property
    def metrics(self) -> dict[str, float]:
        """The last value of each metric logged in the run."""
        return self.workspace.runs.latest_metrics([self.id]).get(self.id, {})

    def metric_history(self, key: str) -> list[MetricRecord]:
        """Every value logged for ``key``, in order."""
        return self.workspace.runs.get_metrics(self.id, key)

    @property
    def steps(self) -> dict[str, StepRunRecord]:
        """Step name -> its latest step run (across resume attempts)."""
        latest: dict[str, StepRunRecord] = {}
        for step_run in self.workspace.runs.list_step_runs(self.id):
            latest[step_run.name] = step_run
        return latest

    @property
    def outputs(self) -> dict[str, dict[str, str]]:
        """Step name -> output name -> artifact id."""
        return {name: dict(sr.outputs) for name, sr in self.steps.items() if sr.outputs}

    def output(
        self, step: str, name: str | None = None, *, allow_pickle: bool = False
    ) -> Any:
        """Load the value a step produced.

        Args:
            step: the step's name in the pipeline.
            name: which output, for steps with several (default: the only one).
            allow_pickle: allow loading pickled artifacts.

        Raises:
            RunError: unknown step or output.
        """
        outputs = self.outputs
        if step not in outputs:
            raise RunError(
                f"Run {self.id[:12]} has no outputs from step {step!r}. "
                f"Steps with outputs: {sorted(outputs)}."
            )
        produced = outputs[step]
        if name is None:
            if len(produced) != 1:
                raise RunError(
                    f"Step {step!r} has {len(produced)} outputs; name one of "
                    f"{sorted(produced)}."
                )
            name = next(iter(produced))
        if name not in produced:
            raise RunError(
                f"Step {step!r} has no output {name!r}. Outputs: {sorted(produced)}."
            )
        return self.workspace.load_artifact(produced[name], allow_pickle=allow_pickle)

    def __repr__(self) -> str:
        record = self._record
        status = record.status if record is not None else "?"
        return f"Run(id={self.id[:12]!r}, status={status!r})"
