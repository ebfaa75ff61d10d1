"""Small server-rendered charts for the report: no JavaScript, no vendored library, printable.

A chart is a set of step lines over time (a cumulative count or a sampled level): the lines are an SVG stretched to
its container, the labels HTML around it (numbers in the reader's locale). Every label is escaped; colours come
from CSS classes (series-1 … series-6).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# The plot is drawn in a 1000 × 1000 box stretched to its container (preserveAspectRatio="none", strokes that do
# not scale), and every label is HTML placed in percent around it: labels keep the page's font size (never below
# 12 px, whatever the screen), where labels inside a scaled SVG shrank to 6 px on a phone.
BOX = 1000
Y_TICKS = 4


@dataclass
class Series:
    label: str
    points: list[tuple[datetime, float]] = field(default_factory=list)  # in time order


def cumulative(times: list[datetime]) -> list[tuple[datetime, float]]:
    """[(t, 1), (t', 2), …] from event times (sorted here)."""
    return [(t, float(i)) for i, t in enumerate(sorted(times), start=1)]


def _nice_step(value: float) -> int:
    """The smallest round whole step (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10^n) such that Y_TICKS steps reach value: the
    y axis counts people and votes, so its ticks are whole numbers (no "2.5" people)."""
    magnitude = 1
    while True:
        for step in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8):
            whole = step * magnitude
            if whole == int(whole) and whole * Y_TICKS >= value:
                return int(whole)
        magnitude *= 10


def _nice_max(value: float) -> int:
    return _nice_step(value) * Y_TICKS


def _time_ticks(start: datetime, end: datetime, count: int = 5) -> list[datetime]:
    span = (end - start).total_seconds()
    if span <= 0:
        return [start]
    return [start + timedelta(seconds=span * i / (count - 1)) for i in range(count)]


@dataclass
class _Frame:
    start: datetime
    end: datetime
    top: int

    @property
    def span(self) -> float:
        return (self.end - self.start).total_seconds()

    def x(self, t: datetime) -> float:
        """0–100 (percent of the width)."""
        return 100 * min(max((t - self.start).total_seconds() / self.span, 0.0), 1.0)

    def y(self, v: float) -> float:
        """0–100 (percent of the height, from the top)."""
        return 100 * (1 - v / self.top)


def _frame(series: list[Series], start: datetime | None, end: datetime | None) -> _Frame | None:
    all_points = [p for s in series for p in s.points]
    if not all_points:
        return None
    start = start or min(t for t, _v in all_points)
    end = end or max(t for t, _v in all_points)
    if end <= start:
        end = start + timedelta(minutes=1)
    return _Frame(start, end, _nice_max(max(v for _t, v in all_points)))


def _polyline(frame: _Frame, s: Series) -> str:
    """Step line: flat until the next event, then up; starts at 0 unless the first point is a sample."""
    first = s.points[0]
    level = frame.y(0.0 if first[0] > frame.start else first[1])
    coords = [(frame.x(frame.start), level)]
    for t, v in s.points:
        xx = frame.x(t)
        coords.append((xx, level))
        level = frame.y(v)
        coords.append((xx, level))
    coords.append((frame.x(frame.end), level))
    return " ".join(f"{a * BOX / 100:.1f},{b * BOX / 100:.1f}" for a, b in coords)


def _y_labels(frame: _Frame) -> list[str]:
    step = frame.top // Y_TICKS
    out = []
    for i in range(Y_TICKS + 1):
        yy = frame.y(step * i)
        out.append(
            f'<span class="tick tick-y" style="top: {yy:.1f}%">{number_format(step * i, force_grouping=True)}</span>'
        )
    return out


def _x_labels(frame: _Frame) -> list[str]:
    time_format = "%H:%M" if frame.span >= 600 else "%H:%M:%S"  # short spans need seconds to tell ticks apart
    ticks = _time_ticks(frame.start, frame.end)
    out = []
    for i, t in enumerate(ticks):
        local = timezone.localtime(t) if timezone.is_aware(t) else t
        edge = " first" if i == 0 else " last" if i == len(ticks) - 1 else ""  # edge labels stay inside
        out.append(
            f'<span class="tick tick-x{edge}" style="left: {frame.x(t):.1f}%">{local.strftime(time_format)}</span>'
        )
    return out


def step_chart(
    series: list[Series], *, title: str, start: datetime | None = None, end: datetime | None = None, y_label: str = ""
) -> SafeString:
    """A step-line chart of the series between start and end (defaults: first and last point)."""
    frame = _frame(series, start, end)
    if frame is None:
        return mark_safe("")
    grid = "".join(
        f'<line class="grid" x1="0" x2="{BOX}" y1="{frame.y(frame.top * i / Y_TICKS) * BOX / 100:.1f}" '
        f'y2="{frame.y(frame.top * i / Y_TICKS) * BOX / 100:.1f}" vector-effect="non-scaling-stroke"/>'
        for i in range(1, Y_TICKS + 1)
    )
    lines = "".join(
        f'<polyline class="line series-{(n - 1) % 6 + 1}" points="{_polyline(frame, s)}" '
        f'vector-effect="non-scaling-stroke"><title>{escape(s.label)}</title></polyline>'
        for n, s in enumerate(series, start=1)
        if s.points
    )
    parts = [
        f'<figure class="chart" role="img" aria-label="{escape(title)}">',
        f'<span class="y-label">{escape(y_label)}</span>' if y_label else "",
        '<div class="chart-plot">',
        f'<svg viewBox="0 0 {BOX} {BOX}" preserveAspectRatio="none" aria-hidden="true" '
        f'xmlns="http://www.w3.org/2000/svg">{grid}'
        f'<line class="axis" x1="0" x2="{BOX}" y1="{BOX}" y2="{BOX}" vector-effect="non-scaling-stroke"/>{lines}</svg>',
        *_y_labels(frame),
        *_x_labels(frame),
        "</div></figure>",
    ]
    return mark_safe("".join(parts))  # noqa: S308 — numbers and escaped labels only


def legend(series: list[Series]) -> list[dict[str, str | int]]:
    """For the template: label and colour class of each series."""
    return [
        {"label": s.label, "cls": f"series-{(n - 1) % 6 + 1}", "last": int(s.points[-1][1]) if s.points else 0}
        for n, s in enumerate(series, start=1)
    ]
