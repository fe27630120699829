"""Automation: triggers that start pipelines, guarded, explained and audited.

A trigger starts a pipeline on a schedule, a new dataset version, a monitor's
alert, a registry event, another pipeline's run, a signed webhook or by hand.
The :class:`Agent` evaluates every trigger (and the due monitors and dataset
refreshes) in one loop, one leader per workspace; every evaluation goes into a
ledger that says why it fired or why it did not. :func:`retune` re-tunes a
model's hyperparameters in an Optuna study warm-started from its champion.

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
from rung.automation._dispatch import (
    approve_dispatch,
    fire_trigger,
    ledger,
    receive_webhook,
    retry_dispatch,
    sign_webhook,
)
from rung.automation._outcome import RetuneOrigin, RetuneResult
from rung.automation._retune import reset_study, retune
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
from rung.automation.errors import (
    AutomationError,
    DispatchNotFoundError,
    RetuneBusyError,
    RetuneError,
    SearchSpaceError,
    TriggerDefinitionError,
    TriggerNotFoundError,
    WebhookSignatureError,
)
from rung.automation.records import (
    DISPATCH_OUTCOMES,
    TRIGGER_KINDS,
    TRIGGER_STATES,
    DispatchRecord,
    LeaseRecord,
    TriggerRecord,
)
from rung.automation.store import TriggerStore

__all__ = [
    "DISPATCH_OUTCOMES",
    "EVENT_FIELDS",
    "TRIGGER_KINDS",
    "TRIGGER_STATES",
    "Agent",
    "AutomationError",
    "DispatchNotFoundError",
    "DispatchRecord",
    "LeaseRecord",
    "ParamRange",
    "RetuneBusyError",
    "RetuneError",
    "RetuneOrigin",
    "RetuneResult",
    "RoundStatus",
    "SearchSpaceError",
    "StudyStatus",
    "TickReport",
    "TriggerDefinitionError",
    "TriggerNotFoundError",
    "TriggerRecord",
    "TriggerStore",
    "WebhookSignatureError",
    "approve_dispatch",
    "create_trigger",
    "delete_trigger",
    "describe",
    "fire_trigger",
    "get_trigger",
    "ledger",
    "list_triggers",
    "parse_space",
    "pause_trigger",
    "receive_webhook",
    "reset_study",
    "resume_trigger",
    "retry_dispatch",
    "retune",
    "sign_webhook",
    "study_status",
]
