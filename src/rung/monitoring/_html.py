"""The report as one self-contained HTML page (inline CSS, SVG and script)."""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from rung.monitoring._svg import (
    CURRENT_COLOUR,
    REFERENCE_COLOUR,
    histogram_svg,
    legend,
    timeseries_svg,
)

__all__ = ["render_html"]

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#222;background:#fafafa}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.meta{color:#555}.grid{display:flex;flex-wrap:wrap;gap:14px}
.card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:10px 12px}
.card h3{font-size:14px;margin:0 0 4px}.tick{font-size:10px;fill:#666}
.ok{color:#2e7d32}.bad{color:#c0392b;font-weight:600}.na{color:#888}
table{border-collapse:collapse;background:#fff}td,th{border:1px solid #ddd;
padding:4px 8px;text-align:left;font-size:13px}
.key span{display:inline-block;width:10px;height:10px;margin:0 4px 0 10px}
#filter{margin:4px 0 10px;padding:4px 6px;width:240px}
"""

_SCRIPT = """
(function () {
  var report = JSON.parse(document.getElementById("report-data").textContent);
  var input = document.getElementById("filter");
  input.addEventListener("input", function () {
    var text = input.value.toLowerCase();
    document.querySelectorAll("[data-feature]").forEach(function (card) {
      var name = card.getAttribute("data-feature").toLowerCase();
      card.style.display = name.indexOf(text) >= 0 ? "" : "none";
    });
  });
  document.title = "Rung monitor " + report.monitor.name + ": " +
    (report.latest ? report.latest.status : "not evaluated yet");
  document.body.setAttribute("data-rendered", "true");
})();
"""


def render_html(report: Mapping[str, Any]) -> str:
    """Render a report (see ``build_report``) as a standalone HTML page.

    Example:
        >>> page = render_html(build_report(ws, "churn"))  # doctest: +SKIP
        >>> page.startswith("<!DOCTYPE html>")  # doctest: +SKIP
        True
    """
    monitor = report["monitor"]
    name = html.escape(str(monitor["name"]))
    data = json.dumps(report, default=str).replace("</", "<\\/")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Rung monitor {name}</title><style>{_CSS}</style></head>",
        '<body data-rendered="false">',
        f"<h1>Monitor {name}</h1>",
        f'<p class="meta">{_header(report)}</p>',
        _latest(report.get("latest")),
        "<h2>Distributions: reference against current</h2>",
        f'<p class="key"><span style="background:{REFERENCE_COLOUR}"></span>reference'
        f'<span style="background:{CURRENT_COLOUR}"></span>current</p>',
        '<input id="filter" placeholder="filter features" aria-label="filter">',
        f'<div class="grid">{_distributions(report["distributions"])}</div>',
        "<h2>Drift over time</h2>",
        _drift(report["drift_history"]),
        "<h2>Performance over time</h2>",
        _performance(report["performance_history"]),
        "<h2>Estimated and realised performance</h2>",
        _hindsight(report.get("estimated_vs_realised") or []),
        "<h2>Alerts</h2>",
        _alerts(report["alerts"]),
        f'<script type="application/json" id="report-data">{data}</script>',
        f"<script>{_SCRIPT}</script>",
        "</body></html>",
    ]
    return "\n".join(parts)


def _header(report: Mapping[str, Any]) -> str:
    m, ref, window = report["monitor"], report["reference"], report["window"]
    bits = [
        f"model {m['model']}" if m.get("model") else "no model",
        f"reference: {ref['source']} ({ref['rows']:,} rows)",
        f"current: {window.get('source', 'given data')} "
        f"({window.get('rows', 0):,} rows)",
        f"checks: {', '.join(m['checks'])}",
        f"report generated {_clock(report['generated_at'])}",
    ]
    return html.escape(" · ".join(bits))


def _latest(latest: Mapping[str, Any] | None) -> str:
    if not latest:
        return '<p class="na">Not evaluated yet: run `rung monitor run NAME`.</p>'
    rows = []
    for check, summary in latest["checks"].items():
        status = summary.get("status", "")
        css = {"passed": "ok", "breached": "bad"}.get(status, "na")
        detail = summary.get("reason") or "; ".join(summary.get("problems", [])) or ""
        if summary.get("drift_share") is not None:
            drifted = ", ".join(summary.get("drifted", [])[:8])
            detail = f"drift share {summary['drift_share']:.0%} {drifted} " + detail
        metrics = summary.get("metrics") or {}
        if metrics and not detail:
            detail = ", ".join(
                f"{k} {v:.4g}" for k, v in metrics.items() if v is not None
            )
        rows.append(
            f'<tr><td>{html.escape(check)}</td><td class="{css}">{html.escape(status)}'
            f"</td><td>{html.escape(detail)}</td></tr>"
        )
    return (
        f"<h2>Latest evaluation ({_clock(latest['evaluated_at'])}): "
        f"{html.escape(latest['status'])}</h2>"
        "<table><tr><th>check</th><th>status</th><th>detail</th></tr>"
        + "".join(rows)
        + "</table>"
    )


def _distributions(distributions: Mapping[str, Mapping[str, Any]]) -> str:
    cards = []
    for column, found in distributions.items():
        if "categories" in found:
            labels = [str(c) for c in found["categories"]]
        else:
            edges = found.get("edges", [])
            labels = [f"{e:.4g}" for e in edges[:-1]] + (
                [f"{edges[-1]:.4g}"] if edges else []
            )
            labels = (
                [labels[0], *labels[1:-2], labels[-1]] if len(labels) > 2 else labels
            )
        verdict = _verdict(found)
        chart = histogram_svg(
            labels, found.get("reference", []), found.get("current", [])
        )
        cards.append(
            f'<div class="card" data-feature="{html.escape(column)}">'
            f"<h3>{html.escape(column)} {verdict}</h3>{chart}</div>"
        )
    return "".join(cards)


def _verdict(found: Mapping[str, Any]) -> str:
    if found.get("drifted") is None:
        return '<span class="na">(not judged)</span>'
    css = "bad" if found["drifted"] else "ok"
    text = f"{found['method']} {found['score']:.3g} / {found['threshold']:.3g}"
    return f'<span class="{css}">{html.escape(text)}</span>'


def _drift(history: Mapping[str, Any]) -> str:
    share = history["metrics"].get("drift_share", [])
    threshold = history["thresholds"].get("drift_share")
    features = dict(list(history["features"].items())[:7])
    return (
        '<div class="grid"><div class="card"><h3>share of drifted features</h3>'
        f"{timeseries_svg({'drift share': share}, threshold=threshold)}</div>"
        '<div class="card"><h3>per-feature drift scores (first 7)</h3>'
        f"{timeseries_svg(features)}{legend(list(features))}</div></div>"
    )


def _performance(history: Mapping[str, Any]) -> str:
    shown = {
        k: v
        for k, v in history["metrics"].items()
        if k
        in ("accuracy", "f1", "roc_auc", "precision", "recall", "mae", "rmse", "r2")
    }
    if not shown:
        return '<p class="na">No labelled windows yet.</p>'
    return f'<div class="card">{timeseries_svg(shown)}{legend(list(shown))}</div>'


def _hindsight(entries: list[Mapping[str, Any]]) -> str:
    """Each estimate beside the performance its window's labels show now."""
    if not entries:
        return (
            '<p class="na">No label-free estimate yet (the estimated_performance '
            "check on the prediction log).</p>"
        )
    metrics = list(entries[0]["metrics"])
    head = "".join(
        f"<th>{html.escape(m)} estimated</th><th>{html.escape(m)} realised</th>"
        for m in metrics
    )
    rows = []
    for entry in entries:
        cells = [
            f"<td>{_clock(entry['evaluated_at'])}</td>",
            f"<td>{entry['rows']:,}</td><td>{entry['labelled_rows']:,}</td>",
        ]
        for metric in metrics:
            found = entry["metrics"].get(metric) or {}
            cells.append(
                f"<td>{_figure(found.get('estimated'), found.get('confidence'))}</td>"
            )
            cells.append(
                f"<td>{_figure(found.get('realised'), found.get('interval'))}</td>"
            )
        rows.append("<tr>" + "".join(cells) + "</tr>")
    table = (
        "<table><tr><th>evaluated</th><th>rows</th><th>labelled rows</th>"
        f"{head}</tr>" + "".join(rows) + "</table>"
    )
    first = metrics[0] if metrics else ""
    series = {
        f"{first} estimated": [
            [e["evaluated_at"], e["metrics"].get(first, {}).get("estimated")]
            for e in reversed(entries)
        ],
        f"{first} realised": [
            [e["evaluated_at"], e["metrics"].get(first, {}).get("realised")]
            for e in reversed(entries)
        ],
    }
    note = (
        '<p class="meta">Estimated: CBPE or DLE before the labels, with its '
        "confidence band. Realised: the same window with the labels known now, "
        "with a 95% confidence interval (a labelled sample is uncertain); "
        "empty until labels arrive.</p>"
    )
    chart = f'<div class="card">{timeseries_svg(series)}{legend(list(series))}</div>'
    return note + table + chart


def _figure(value: Any, span: Any) -> str:
    if value is None:
        return '<span class="na">-</span>'
    text = f"{value:.4g}"
    if span and span[0] is not None and span[1] is not None:
        text += f" [{span[0]:.3g}, {span[1]:.3g}]"
    return html.escape(text)


def _alerts(alerts: list[Mapping[str, Any]]) -> str:
    if not alerts:
        return '<p class="ok">No alerts.</p>'
    rows = []
    for a in alerts:
        css = "bad" if a["status"] == "open" else "ok"
        cells = [
            f"<td>{html.escape(a['check'])}</td><td>{html.escape(a['severity'])}</td>",
            f'<td class="{css}">{html.escape(a["status"])}</td>',
            f"<td>{_clock(a['opened_at'])}</td><td>{html.escape(a['message'])}</td>",
        ]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    head = "".join(
        f"<th>{h}</th>" for h in ("check", "severity", "status", "opened", "message")
    )
    return f"<table><tr>{head}</tr>" + "".join(rows) + "</table>"


def _clock(at: float) -> str:
    return datetime.fromtimestamp(float(at), UTC).strftime("%Y-%m-%d %H:%M UTC")
