"""Automation: triggers that start pipelines, guarded, explained and audited.

A trigger starts a pipeline on a schedule, a new dataset version, a monitor's
alert, a registry event, another pipeline's run, a signed webhook or by hand.
The :class:`Agent` evaluates every trigger (and the due monitors and dataset
refreshes) in one loop, one leader per workspace; every evaluation goes into a
ledger that says why it fired or why it did not. :func:`retune` re-tunes a
model's hyperparameters in an Optuna study warm-started from its champion.

Champion and challenger: :func:`compare_challenger` scores a new version and
the champion on the same frozen window of labelled production rows,
:func:`promote_if_better` promotes through the registry's gates when it won,
and :func:`watch_promotion` has the agent roll the alias back when the live
metric, error rate or latency breaches during the bake period.
:func:`start_rollout` rolls a challenger out behind the alias's servers:
shadow (it scores mirrored traffic), canary (it answers a share), then
promotion; the agent rolls it back on a breach (:func:`check_rollouts`), and
:func:`compare_shadow` compares the two prediction logs of a shadow.

Example:
    >>> from rung.automation import Agent, create_trigger
    >>> create_trigger(ws, "retrain-on-drift", "train.py:training", "monitor",
    ...                spec={"monitor": "churn-drift"},
    ...                policy={"cooldown": 3600})  # doctest: +SKIP
    >>> Agent(ws).tick().count("fired")  # doctest: +SKIP
    1
"""

from __future__ import annotations

from rung.automation._agent import Agent, TickReport, describe
from rung.automation._challenger import compare_challenger
from rung.automation._dispatch import (
    approve_dispatch,
    fire_trigger,
    ledger,
    receive_webhook,
    retry_dispatch,
    sign_webhook,
)
from rung.automation._ledger import (
    challenger_ledger,
    find_comparison,
    get_comparison,
    list_comparisons,
    list_watches,
)
from rung.automation._outcome import RetuneOrigin, RetuneResult
from rung.automation._promote import PromotionResult, promote_if_better
from rung.automation._retune import reset_study, retune
from rung.automation._rollout import (
    abort_rollout,
    get_rollout,
    list_rollouts,
    start_rollout,
)
from rung.automation._rollout_check import (
    RolloutCheck,
    check_rollouts,
    promote_rollout,
)
from rung.automation._rollout_measure import compare_shadow, rollout_stats
from rung.automation._scoring import holdout_mask
from rung.automation._space import ParamRange, parse_space
from rung.automation._studies import RoundStatus, StudyStatus, study_status
from rung.automation._triggers import (
    EVENT_FIELDS,
    create_trigger,
    delete_trigger,
    get_trigger,
    list_triggers,
    pause_trigger,
    resume_trigger,
)
from rung.automation._watch import WatchCheck, check_watches, watch_promotion
from rung.automation.errors import (
    AutomationError,
    ChallengerDataError,
    ChallengerError,
    ComparisonNotFoundError,
    DispatchNotFoundError,
    RetuneBusyError,
    RetuneError,
    SearchSpaceError,
    TriggerDefinitionError,
    TriggerNotFoundError,
    WatchNotFoundError,
    WebhookSignatureError,
)
from rung.automation.records import (
    CHALLENGER_ACTIONS,
    COMPARISON_VERDICTS,
    DISPATCH_OUTCOMES,
    TRIGGER_KINDS,
    TRIGGER_STATES,
    WATCH_STATES,
    ChallengerComparison,
    ChallengerEventRecord,
    DispatchRecord,
    LeaseRecord,
    TriggerRecord,
    WatchRecord,
)
from rung.automation.store import TriggerStore

__all__ = [
    "CHALLENGER_ACTIONS",
    "COMPARISON_VERDICTS",
    "DISPATCH_OUTCOMES",
    "EVENT_FIELDS",
    "TRIGGER_KINDS",
    "TRIGGER_STATES",
    "WATCH_STATES",
    "Agent",
    "AutomationError",
    "ChallengerComparison",
    "ChallengerDataError",
    "ChallengerError",
    "ChallengerEventRecord",
    "ComparisonNotFoundError",
    "DispatchNotFoundError",
    "DispatchRecord",
    "LeaseRecord",
    "ParamRange",
    "PromotionResult",
    "RetuneBusyError",
    "RetuneError",
    "RetuneOrigin",
    "RetuneResult",
    "RolloutCheck",
    "RoundStatus",
    "SearchSpaceError",
    "StudyStatus",
    "TickReport",
    "TriggerDefinitionError",
    "TriggerNotFoundError",
    "TriggerRecord",
    "TriggerStore",
    "WatchCheck",
    "WatchNotFoundError",
    "WatchRecord",
    "WebhookSignatureError",
    "abort_rollout",
    "approve_dispatch",
    "challenger_ledger",
    "check_rollouts",
    "check_watches",
    "compare_challenger",
    "compare_shadow",
    "create_trigger",
    "delete_trigger",
    "describe",
    "find_comparison",
    "fire_trigger",
    "get_comparison",
    "get_rollout",
    "get_trigger",
    "holdout_mask",
    "ledger",
    "list_comparisons",
    "list_rollouts",
    "list_triggers",
    "list_watches",
    "parse_space",
    "pause_trigger",
    "promote_if_better",
    "promote_rollout",
    "receive_webhook",
    "reset_study",
    "resume_trigger",
    "retry_dispatch",
    "retune",
    "rollout_stats",
    "sign_webhook",
    "start_rollout",
    "study_status",
    "watch_promotion",
]
