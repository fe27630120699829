"""Automation errors: one family under ``RungError``, defined with their domain."""

from __future__ import annotations

from rung.errors import RungError

__all__ = [
    "AutomationError",
    "ChallengerDataError",
    "ChallengerError",
    "ComparisonNotFoundError",
    "DispatchNotFoundError",
    "RetuneBusyError",
    "RetuneError",
    "SearchSpaceError",
    "TriggerDefinitionError",
    "TriggerNotFoundError",
    "WatchNotFoundError",
    "WebhookSignatureError",
]


class AutomationError(RungError):
    """A trigger cannot be defined, evaluated or fired."""

    headline = "Automation error"


class TriggerNotFoundError(AutomationError, LookupError):
    """No trigger by that name in the project."""

    headline = "Trigger not found"


class DispatchNotFoundError(AutomationError, LookupError):
    """No entry with that id in a trigger's ledger."""

    headline = "Dispatch not found"


class TriggerDefinitionError(AutomationError, ValueError):
    """A trigger's definition is invalid (cron, pipeline, parameters, loop...)."""

    headline = "Invalid trigger"


class WebhookSignatureError(AutomationError):
    """A webhook delivery's HMAC signature does not match its body."""

    headline = "Webhook refused"


class RetuneError(AutomationError):
    """A re-tuning study cannot start, resume or finish."""

    headline = "Re-tuning failed"


class RetuneBusyError(RetuneError):
    """Another re-tuning of the same model is running."""

    headline = "Re-tuning already running"


class SearchSpaceError(RetuneError, ValueError):
    """A re-tuning search space is invalid (ranges, choices, parameter names)."""

    headline = "Invalid search space"


class ChallengerError(AutomationError):
    """A challenger cannot be compared with its champion, promoted or watched."""

    headline = "Challenger error"


class ChallengerDataError(ChallengerError, ValueError):
    """The comparison window has no (or too few) labelled rows, or bad inputs."""

    headline = "Not enough data to compare"


class ComparisonNotFoundError(ChallengerError, LookupError):
    """No stored champion/challenger comparison with that id."""

    headline = "Comparison not found"


class WatchNotFoundError(ChallengerError, LookupError):
    """No post-promotion watch with that id."""

    headline = "Watch not found"
