"""``Client`` methods for triggers, the agent and re-tuning (``rung.automation``).

Each method is the automation function of the same name, with the client's
workspace; ``rung.automation`` is imported when a method is called, so a
client that only lists runs never loads it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

    from rung.automation import (
        Agent,
        DispatchRecord,
        RetuneResult,
        StudyStatus,
        TriggerRecord,
    )
    from rung.pipelines import Pipeline
    from rung.workspace import Workspace

__all__ = ["_Automation"]


class _Automation:
    """Triggers, their dispatch ledger, the agent and re-tuning rounds."""

    workspace: Workspace

    def create_trigger(
        self,
        name: str,
        pipeline: str,
        on: str,
        *,
        spec: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        policy: Mapping[str, Any] | None = None,
        description: str = "",
    ) -> TriggerRecord:
        """Define a trigger that starts ``pipeline`` (checked now).

        See :func:`rung.automation.create_trigger` for ``on``, ``spec`` and
        ``policy`` (cooldown, rate limits, budget, approval, re-tuning).
        """
        from rung import automation

        return automation.create_trigger(
            self.workspace,
            name,
            pipeline,
            on,
            spec=spec,
            params=params,
            policy=policy,
            description=description,
        )

    def get_trigger(self, name: str) -> TriggerRecord:
        """One trigger's definition."""
        from rung import automation

        return automation.get_trigger(self.workspace, name)

    def list_triggers(self) -> list[TriggerRecord]:
        """The project's triggers."""
        from rung import automation

        return automation.list_triggers(self.workspace)

    def pause_trigger(self, name: str) -> TriggerRecord:
        """Stop evaluating a trigger (it keeps its place)."""
        from rung import automation

        return automation.pause_trigger(self.workspace, name)

    def resume_trigger(self, name: str) -> TriggerRecord:
        """Evaluate a paused trigger again."""
        from rung import automation

        return automation.resume_trigger(self.workspace, name)

    def delete_trigger(self, name: str) -> None:
        """Delete a trigger (its ledger stays)."""
        from rung import automation

        automation.delete_trigger(self.workspace, name)

    def fire_trigger(
        self, name: str, params: Mapping[str, Any] | None = None
    ) -> DispatchRecord:
        """Queue a firing now; the agent starts it on its next tick."""
        from rung import automation

        return automation.fire_trigger(self.workspace, name, params)

    def receive_webhook(
        self, name: str, body: bytes, signature: str, delivery_id: str
    ) -> DispatchRecord | None:
        """Hand a signed webhook delivery to a trigger (None: seen before)."""
        from rung import automation

        return automation.receive_webhook(
            self.workspace, name, body, signature, delivery_id
        )

    def approve_dispatch(self, dispatch_id: int) -> DispatchRecord:
        """Approve a firing held for approval: it is queued."""
        from rung import automation

        return automation.approve_dispatch(self.workspace, dispatch_id)

    def retry_dispatch(self, dispatch_id: int) -> DispatchRecord:
        """Queue a failed firing again, with the same parameters."""
        from rung import automation

        return automation.retry_dispatch(self.workspace, dispatch_id)

    def ledger(
        self, name: str | None = None, *, limit: int | None = 50
    ) -> list[DispatchRecord]:
        """Every trigger evaluation (one trigger's, or all), newest first."""
        from rung import automation

        return automation.ledger(self.workspace, name, limit=limit)

    def agent(self, **options: Any) -> Agent:
        """The automation agent on this workspace (call ``tick`` or ``run_forever``).

        ``options`` are those of :class:`rung.automation.Agent` (``lease_ttl``,
        ``executor``, ``alert_allow_hosts``, ...). Close it when done.
        """
        from rung import automation

        return automation.Agent(self.workspace, **options)

    def retune(
        self,
        pipeline: str | Pipeline,
        *,
        model: str,
        space: Mapping[str, Any],
        metric: str,
        **options: Any,
    ) -> RetuneResult:
        """Run (or resume) a re-tuning round of ``model``'s study.

        ``options`` are those of :func:`rung.automation.retune` (``n_trials``,
        ``timeout_s``, ``budget_cpu_hours``, ``register``, ``champion``, ...).
        """
        from rung import automation

        return automation.retune(
            self.workspace, pipeline, model=model, space=space, metric=metric, **options
        )

    def study_status(self, model: str) -> StudyStatus:
        """A model's re-tuning study: rounds, trials, best values, stop reasons."""
        from rung import automation

        return automation.study_status(self.workspace, model)

    def reset_study(self, model: str) -> bool:
        """Delete a model's re-tuning study (False: it had none)."""
        from rung import automation

        return automation.reset_study(self.workspace, model)
