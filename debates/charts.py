"""Small server-rendered SVG charts for the report: no JavaScript, no vendored library, printable.

A chart is a set of step lines over time (a cumulative count or a sampled level), drawn into a viewBox so the
SVG scales to its container. Every label is escaped; colours come from CSS classes (series-1 … series-6).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 720, 260
PAD_L, PAD_R, PAD_T, PAD_B = 48, 16, 16, 34


@dataclass
class Series:
    label: str
    points: list[tuple[datetime, float]] = field(default_factory=list)  # in time order


def cumulative(times: list[datetime]) -> list[tuple[datetime, float]]:
    """[(t, 1), (t', 2), …] from event times (sorted here)."""
    return [(t, float(i)) for i, t in enumerate(sorted(times), start=1)]


def _nice_max(value: float) -> float:
    if value <= 4:
        return 4.0
    for step in (1, 2, 2.5, 5):
        for magnitude in (1, 10, 100, 1000, 10000, 100000):
            top = step * magnitude
            if top >= value:
                return float(top)
    return float(value)


def _time_ticks(start: datetime, end: datetime, count: int = 5) -> list[datetime]:
    span = (end - start).total_seconds()
    if span <= 0:
        return [start]
    return [start + timedelta(seconds=span * i / (count - 1)) for i in range(count)]


def step_chart(series: list[Series], *, title: str, start: datetime | None = None, end: datetime | None = None,
               y_label: str = "") -> SafeString:
    """A step-line chart of the series between start and end (defaults: first and last point)."""
    all_points = [p for s in series for p in s.points]
    if not all_points:
        return mark_safe("")
    start = start or min(t for t, _v in all_points)
    end = end or max(t for t, _v in all_points)
    if end <= start:
        end = start + timedelta(minutes=1)
    span = (end - start).total_seconds()
    top = _nice_max(max(v for _t, v in all_points))
    plot_w, plot_h = WIDTH - PAD_L - PAD_R, HEIGHT - PAD_T - PAD_B

    def x(t: datetime) -> float:
        return PAD_L + plot_w * min(max((t - start).total_seconds() / span, 0.0), 1.0)

    def y(v: float) -> float:
        return PAD_T + plot_h * (1 - v / top)

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for i in range(5):  # horizontal grid and y labels
        value = top * i / 4
        yy = y(value)
        label = f"{value:g}" if value != int(value) else f"{int(value)}"
        parts.append(f'<line class="grid" x1="{PAD_L}" x2="{WIDTH - PAD_R}" y1="{yy:.1f}" y2="{yy:.1f}"/>')
        parts.append(f'<text class="tick" x="{PAD_L - 6}" y="{yy + 4:.1f}" text-anchor="end">{label}</text>')
    time_format = "%H:%M" if span >= 600 else "%H:%M:%S"  # short spans need seconds to tell ticks apart
    ticks = _time_ticks(start, end)
    for i, t in enumerate(ticks):
        xx = x(t)
        local = timezone.localtime(t) if timezone.is_aware(t) else t
        anchor = "start" if i == 0 else "end" if i == len(ticks) - 1 else "middle"  # keep the edge labels inside
        parts.append(f'<text class="tick" x="{xx:.1f}" y="{HEIGHT - 10}" text-anchor="{anchor}">{local.strftime(time_format)}</text>')
    parts.append(f'<line class="axis" x1="{PAD_L}" x2="{WIDTH - PAD_R}" y1="{y(0):.1f}" y2="{y(0):.1f}"/>')
    if y_label:
        parts.append(f'<text class="tick y-label" x="{PAD_L}" y="{PAD_T - 4}">{escape(y_label)}</text>')
    for n, s in enumerate(series, start=1):
        if not s.points:
            continue
        # Step line: flat until the next event, then up; starts at 0 unless the first point is a sample.
        coords = [(x(start), y(0.0 if len(s.points) and s.points[0][0] > start else s.points[0][1]))]
        level = coords[0][1]
        for t, v in s.points:
            xx = x(t)
            coords.append((xx, level))
            level = y(v)
            coords.append((xx, level))
        coords.append((x(end), level))
        d = " ".join(f"{a:.1f},{b:.1f}" for a, b in coords)
        parts.append(f'<polyline class="line series-{(n - 1) % 6 + 1}" points="{d}"><title>{escape(s.label)}</title></polyline>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 — numbers and escaped labels only


def legend(series: list[Series]) -> list[dict[str, str | int]]:
    """For the template: label and colour class of each series."""
    return [{"label": s.label, "cls": f"series-{(n - 1) % 6 + 1}", "last": int(s.points[-1][1]) if s.points else 0}
            for n, s in enumerate(series, start=1)]
