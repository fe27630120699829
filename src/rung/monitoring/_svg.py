"""Small inline SVG charts: paired histograms and time series."""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

__all__ = ["histogram_svg", "legend", "timeseries_svg"]

REFERENCE_COLOUR = "#5b7db1"
CURRENT_COLOUR = "#e07b39"
_PALETTE = ("#5b7db1", "#e07b39", "#4c9f70", "#b5527a", "#8c6bb1", "#c9a227", "#3b9ab2")


def histogram_svg(
    labels: Sequence[str], reference: Sequence[float], current: Sequence[float]
) -> str:
    """Reference (blue) and current (orange) shares per bin, side by side."""
    width, height, pad = 340, 150, 24
    count = max(len(reference), 1)
    top = max([*reference, *current, 1e-9])
    slot = (width - 2 * pad) / count
    bars = []
    for i, (r, c) in enumerate(zip(reference, current, strict=False)):
        x = pad + i * slot
        tip = html.escape(
            f"{labels[i] if i < len(labels) else ''}: ref {r:.1%}, cur {c:.1%}"
        )
        for offset, share, colour in (
            (0.05, r, REFERENCE_COLOUR),
            (0.5, c, CURRENT_COLOUR),
        ):
            h = (height - 2 * pad) * share / top
            bars.append(
                f'<rect x="{x + offset * slot:.1f}" y="{height - pad - h:.1f}" '
                f'width="{slot * 0.45:.1f}" height="{h:.1f}" fill="{colour}">'
                f"<title>{tip}</title></rect>"
            )
    first = html.escape(labels[0]) if labels else ""
    last = html.escape(labels[-1]) if labels else ""
    axis = (
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" '
        'stroke="#999"/>'
        f'<text x="{pad}" y="{height - 6}" class="tick">{first}</text>'
        f'<text x="{width - pad}" y="{height - 6}" class="tick" text-anchor="end">'
        f"{last}</text>"
    )
    return _svg(width, height, "".join(bars) + axis)


def timeseries_svg(
    series: Mapping[str, Sequence[Sequence[float | None]]],
    *,
    threshold: float | None = None,
) -> str:
    """One line per series of ``[time, value]`` points; a dashed threshold."""
    width, height, pad = 520, 180, 34
    points = [
        (t, v) for s in series.values() for t, v in s if t is not None and v is not None
    ]
    if not points:
        return _svg(width, 40, '<text x="8" y="24" class="tick">no values yet</text>')
    times = [float(t) for t, _ in points]
    ys = [float(v) for _, v in points] + ([threshold] if threshold is not None else [])
    t0, t1 = min(times), max(times)
    y0, y1 = min(0.0, *ys), max(ys)
    span_t, span_y = (t1 - t0) or 1.0, (y1 - y0) or 1.0

    def xy(t: float, v: float) -> tuple[float, float]:
        x = pad + (width - 2 * pad) * ((t - t0) / span_t if t1 > t0 else 0.5)
        return x, height - pad - (height - 2 * pad) * (v - y0) / span_y

    body = []
    for i, (name, values) in enumerate(series.items()):
        colour = _PALETTE[i % len(_PALETTE)]
        coords = [
            xy(float(t), float(v)) for t, v in values if t is not None and v is not None
        ]
        if not coords:
            continue
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        label = html.escape(name)
        body.append(
            f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2">'
            f"<title>{label}</title></polyline>"
        )
        body += [
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}">'
            f"<title>{label}</title></circle>"
            for x, y in coords
        ]
    if threshold is not None and math.isfinite(threshold):
        _, y = xy(t0, threshold)
        body.append(
            f'<line x1="{pad}" y1="{y:.1f}" x2="{width - pad}" y2="{y:.1f}" '
            'stroke="#c0392b" stroke-dasharray="4 3"><title>threshold</title></line>'
        )
    body.append(
        f'<text x="{pad}" y="{height - 8}" class="tick">{_clock(t0)}</text>'
        f'<text x="{width - pad}" y="{height - 8}" class="tick" text-anchor="end">'
        f"{_clock(t1)}</text>"
        f'<text x="4" y="{pad}" class="tick">{y1:.3g}</text>'
        f'<text x="4" y="{height - pad}" class="tick">{y0:.3g}</text>'
    )
    return _svg(width, height, "".join(body))


def legend(names: Sequence[str]) -> str:
    """Coloured keys for the series of :func:`timeseries_svg`, in order."""
    keys = [
        f'<span style="background:{_PALETTE[i % len(_PALETTE)]}"></span>'
        f"{html.escape(name)}"
        for i, name in enumerate(names)
    ]
    return f'<p class="key">{"".join(keys)}</p>'


def _clock(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M")


def _svg(width: int, height: int, body: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img">{body}</svg>'
    )
