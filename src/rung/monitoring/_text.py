"""Plain-text forms of monitors, evaluations and alerts, and option parsing.

Shared by the command line (which adds colour) and anything else that prints.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rung.errors import MonitorDefinitionError

if TYPE_CHECKING:
    from rung.monitoring._outbox import DeliveryReport
    from rung.monitoring.records import AlertRecord, DeliveryRecord, MonitorRecord

__all__ = [
    "alert_line",
    "check_detail",
    "delivery_line",
    "delivery_state",
    "describe_monitor",
    "parse_feature_rules",
    "parse_number",
    "parse_pairs",
    "report_line",
    "when",
]


def describe_monitor(record: MonitorRecord) -> str:
    from rung.monitoring._window import window_text

    source = record.reference.get("kind", "?")
    bits = [
        f"model {record.model}" if record.model else "no model",
        f"reference {source}",
        f"current {record.current.get('kind', '?')}",
        window_text(record.window),
        "checks " + ",".join(record.checks),
    ]
    if record.schedule:
        bits.append(f"schedule '{record.schedule}'")
    return ", ".join(bits)


def check_detail(summary: Any) -> str:
    if summary.get("reason") and not summary.get("metrics"):
        return f"- {summary['reason']}"
    if summary.get("drift_share") is not None:
        drifted = summary.get("drifted") or []
        return f"- drift share {summary['drift_share']:.0%} {', '.join(drifted[:6])}"
    if summary.get("problems"):
        return "- " + "; ".join(summary["problems"][:3])
    metrics = summary.get("metrics") or {}
    if summary.get("method") in ("cbpe", "dle"):
        return _estimated_detail(summary, metrics)
    spans = summary.get("intervals") or {}
    parts = [
        f"{k}={v:.4g}{_span(spans.get(k))}" for k, v in metrics.items() if v is not None
    ]
    if spans and summary.get("rows"):
        parts.append(f"({summary['rows']} labelled rows, 95% CI)")
    if summary.get("reason"):
        parts.append(f"- {summary['reason']}")
    return " ".join(parts)


def _estimated_detail(summary: Any, metrics: Any) -> str:
    """``accuracy~0.91 [0.88, 0.94] vs 0.93 ...`` for a label-free estimate."""
    spans = summary.get("confidence") or {}
    reference = summary.get("reference") or {}
    parts = []
    for k, v in metrics.items():
        if v is None:
            continue
        base = reference.get(k)
        against = f" vs {base:.4g}" if base is not None else ""
        parts.append(f"{k}~{v:.4g}{_span(spans.get(k))}{against}")
    method = str(summary.get("method", "")).upper()
    parts.append(f"({method}, {summary.get('rows', 0)} rows, vs the reference)")
    return " ".join(parts)


def _span(span: Any) -> str:
    if not span or span[0] is None or span[1] is None:
        return ""
    return f" [{span[0]:.3g}, {span[1]:.3g}]"


def alert_line(alert: AlertRecord) -> str:
    return (
        f"{alert.id[:12]} {alert.status} {alert.severity} {alert.monitor}/"
        f"{alert.check} since {when(alert.opened_at)} (x{alert.occurrences}): "
        f"{alert.message}"
    )


def delivery_state(delivery: DeliveryRecord) -> str:
    """``delivered at ...``, ``pending (next try at ...)`` or ``failed (why)``."""
    if delivery.status == "delivered":
        tries = f" after {delivery.attempts} attempts" if delivery.attempts > 1 else ""
        return f"delivered at {when(delivery.delivered_at)}{tries}"
    if delivery.status == "failed":
        return f"failed ({delivery.last_error})"
    if delivery.attempts == 0:
        return f"pending (first try at {when(delivery.next_attempt_at)})"
    return (
        f"pending (next try at {when(delivery.next_attempt_at)}; attempt "
        f"{delivery.attempts} failed: {delivery.last_error})"
    )


def delivery_line(delivery: DeliveryRecord) -> str:
    """``opened -> webhook https://...: delivered at ...``."""
    from rung.monitoring._outbox import describe_sink

    return (
        f"{delivery.event} -> {describe_sink(delivery.sink)}: "
        f"{delivery_state(delivery)}"
    )


def report_line(report: DeliveryReport) -> str:
    """What a drain of the outbox did, in one sentence."""
    parts = [f"{len(report.delivered)} delivered"]
    if report.retrying:
        soonest = min(d.next_attempt_at or 0.0 for d in report.retrying)
        parts.append(
            f"{len(report.retrying)} failed and wait for a retry (the first at "
            f"{when(soonest)})"
        )
    if report.failed:
        parts.append(f"{len(report.failed)} given up")
    return "Alert deliveries: " + ", ".join(parts) + "."


def parse_pairs(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise MonitorDefinitionError(f"Write KEY=VALUE, got {item!r}.")
        out[key.strip()] = value.strip()
    return out


def parse_number(key: str, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise MonitorDefinitionError(f"{key} must be a number, got {text!r}.") from None


def parse_feature_rules(items: list[str]) -> dict[str, dict[str, Any]]:
    rules: dict[str, dict[str, Any]] = {}
    for name, spec in parse_pairs(items).items():
        method, _, limit = spec.partition(":")
        rules[name] = {"method": method or None}
        if limit:
            rules[name]["threshold"] = parse_number(f"{name} threshold", limit)
    return rules


def when(at: float | None) -> str:
    """POSIX seconds as ``2026-11-27 03:41:00`` (UTC), or ``-``."""
    from rung._internal.timeutil import format_time

    return format_time(at) if at is not None else "-"
