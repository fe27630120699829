"""What each kind of trigger watches, checked when the trigger is created."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rung.automation.errors import TriggerDefinitionError
from rung.errors import RungError

if TYPE_CHECKING:
    from rung.workspace import Workspace

__all__ = ["SPEC_CHECKS", "check_cron", "check_policy"]

_POLICY_KEYS = {
    "cooldown": float,
    "breaches": int,
    "max_concurrent": int,
    "max_per_day": int,
    "budget_cpu_hours": float,
}
_MODEL_EVENTS = ("registered", "alias_moved")
_RUN_STATUSES = ("completed", "failed", "any")


def check_cron(cron: str, timezone: str) -> None:
    """Raise TriggerDefinitionError unless ``cron`` and ``timezone`` are valid."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from croniter import croniter  # type: ignore[import-untyped]

    if not isinstance(cron, str) or not croniter.is_valid(cron):
        raise TriggerDefinitionError(
            f"Invalid cron expression {cron!r}. Use five fields 'minute hour day "
            "month weekday', e.g. '0 3 * * *' (daily at 03:00) or '*/15 * * * *'."
        )
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise TriggerDefinitionError(
            f"Unknown time zone {timezone!r}. Use an IANA name such as 'UTC', "
            "'Europe/Paris' or 'America/Toronto'."
        ) from None


def _schedule(_ws: Workspace, spec: dict[str, Any]) -> dict[str, Any]:
    _only(spec, {"cron", "timezone", "every"}, "schedule")
    if ("cron" in spec) == ("every" in spec):
        raise TriggerDefinitionError(
            "A schedule trigger needs either a cron expression (--cron '0 3 * * *') "
            "or an interval in seconds (--every 3600), not both."
        )
    if "every" in spec:
        every = _number(spec["every"], "every", float)
        if every < 1:
            raise TriggerDefinitionError(f"--every must be >= 1 second, got {every}.")
        return {"every": every}
    timezone = str(spec.get("timezone") or "UTC")
    check_cron(spec["cron"], timezone)
    return {"cron": spec["cron"], "timezone": timezone}


def _dataset(ws: Workspace, spec: dict[str, Any]) -> dict[str, Any]:
    _only(spec, {"dataset", "min_rows"}, "dataset")
    name = _required(spec, "dataset", "--dataset NAME")
    _exists(lambda: ws.datasets.get_dataset(name), f"dataset {name!r}")
    out: dict[str, Any] = {"dataset": name}
    if spec.get("min_rows") is not None:
        out["min_rows"] = _number(spec["min_rows"], "min_rows", int)
    return out


def _monitor(ws: Workspace, spec: dict[str, Any]) -> dict[str, Any]:
    _only(spec, {"monitor", "check"}, "monitor")
    name = _required(spec, "monitor", "--monitor NAME")
    found = _exists(
        lambda: ws.monitors.get_monitor(ws.project, name), f"monitor {name!r}"
    )
    out: dict[str, Any] = {"monitor": name}
    check = spec.get("check")
    if check is not None:
        if check not in found.checks:
            raise TriggerDefinitionError(
                f"Monitor {name!r} runs no {check!r} check. Its checks: "
                f"{', '.join(found.checks)}."
            )
        out["check"] = check
    return out


def _model(ws: Workspace, spec: dict[str, Any]) -> dict[str, Any]:
    _only(spec, {"model", "event", "alias"}, "model")
    name = _required(spec, "model", "--model NAME")
    _exists(lambda: ws.models.get_model(ws.project, name), f"model {name!r}")
    event = spec.get("event") or "registered"
    if event not in _MODEL_EVENTS:
        raise TriggerDefinitionError(
            f"Unknown model event {event!r}. Use one of: {', '.join(_MODEL_EVENTS)}."
        )
    out: dict[str, Any] = {"model": name, "event": event}
    if spec.get("alias"):
        out["alias"] = str(spec["alias"])
    return out


def _pipeline(_ws: Workspace, spec: dict[str, Any]) -> dict[str, Any]:
    _only(spec, {"upstream", "status"}, "pipeline")
    upstream = _required(spec, "upstream", "--upstream PIPELINE")
    status = spec.get("status") or "completed"
    if status not in _RUN_STATUSES:
        raise TriggerDefinitionError(
            f"Unknown run status {status!r}. Use one of: {', '.join(_RUN_STATUSES)}."
        )
    return {"upstream": upstream, "status": status}


def _webhook(_ws: Workspace, spec: dict[str, Any]) -> dict[str, Any]:
    _only(spec, {"secret"}, "webhook")
    secret = _required(spec, "secret", "--secret env:NAME")
    if not secret.startswith("env:") or len(secret) <= len("env:"):
        raise TriggerDefinitionError(
            "A webhook trigger's secret is a reference, never the secret itself: "
            "write --secret env:NAME (an environment variable the agent reads)."
        )
    return {"secret": secret}


def _manual(_ws: Workspace, spec: dict[str, Any]) -> dict[str, Any]:
    _only(spec, set(), "manual")
    return {}


SPEC_CHECKS: dict[str, Callable[[Workspace, dict[str, Any]], dict[str, Any]]] = {
    "schedule": _schedule,
    "dataset": _dataset,
    "monitor": _monitor,
    "model": _model,
    "pipeline": _pipeline,
    "webhook": _webhook,
    "manual": _manual,
}


def check_policy(
    policy: dict[str, Any], parameters: set[str] | None = None
) -> dict[str, Any]:
    """Check a trigger's guards and return them with their defaults.

    ``retune_*`` keys (see ``_retune_policy``) are checked against the
    pipeline's ``parameters``.
    """
    from rung.automation._retune_policy import RETUNE_KEYS, check_retune_policy

    known = {*_POLICY_KEYS, "on_busy", "approval", *RETUNE_KEYS}
    unknown = sorted(set(policy) - known)
    if unknown:
        raise TriggerDefinitionError(
            f"Unknown policy {', '.join(map(repr, unknown))}. Known: "
            f"{', '.join(sorted(known))}."
        )
    out: dict[str, Any] = {"breaches": 1, "max_concurrent": 1, "on_busy": "skip"}
    for key, kind in _POLICY_KEYS.items():
        if policy.get(key) is not None:
            value = _number(policy[key], key, kind)
            if value < 0 or (key in ("breaches", "max_concurrent") and value < 1):
                raise TriggerDefinitionError(
                    f"Policy {key} must be positive, got {value}."
                )
            out[key] = value
    on_busy = policy.get("on_busy") or "skip"
    if on_busy not in ("skip", "queue"):
        raise TriggerDefinitionError(f"on_busy must be skip or queue, got {on_busy!r}.")
    out["on_busy"] = on_busy
    out["approval"] = bool(policy.get("approval", False))
    out.update(check_retune_policy(policy, parameters))
    return out


def _only(spec: dict[str, Any], allowed: set[str], kind: str) -> None:
    extra = sorted(k for k, v in spec.items() if v is not None and k not in allowed)
    if extra:
        raise TriggerDefinitionError(
            f"A {kind} trigger takes no {', '.join(map(repr, extra))}. It takes: "
            f"{', '.join(sorted(allowed)) or 'nothing'}."
        )


def _required(spec: dict[str, Any], key: str, flag: str) -> str:
    value = spec.get(key)
    if not value:
        raise TriggerDefinitionError(f"This trigger needs {flag}.")
    return str(value)


def _number(value: Any, key: str, kind: type) -> Any:
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise TriggerDefinitionError(
            f"{key} must be a {kind.__name__}, got {value!r}."
        ) from None


def _exists(lookup: Callable[[], Any], what: str) -> Any:
    try:
        return lookup()
    except RungError as exc:
        raise TriggerDefinitionError(
            f"The trigger watches {what}, which does not exist ({exc})"
        ) from exc
