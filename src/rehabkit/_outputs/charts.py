"""Static SVG charts for course reports, drawn here: no plotting library (matplotlib alone takes ~0.5 s to import).

Each chart is an ``<svg role="img">`` with a title and a description; the
report puts a data table beside each, the accessible fallback. Lines differ by
dash pattern and marker shape as well as colour, so they read in grey print
and for colour-blind readers. Every text is XML-escaped.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Sequence
from html import escape
from typing import Any

import attrs

from .content import ChartPoint, CourseReport, MeasureSeries

__all__ = ["adherence_chart", "line_chart", "measure_chart", "pain_chart"]

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 34
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
_ids = itertools.count(1)
#: (colour, dash pattern, marker) per line: distinguishable without colour.
_STYLES = (("#1f4e9a", "", "circle"), ("#b3400a", "6 3", "square"), ("#2b7a2b", "2 3", "diamond"))


def _markup(text: str) -> Any:
    import markupsafe

    return markupsafe.Markup(text)


def _marker(shape: str, x: float, y: float, colour: str) -> str:
    if shape == "square":
        return f'<rect x="{x - 3.5:.1f}" y="{y - 3.5:.1f}" width="7" height="7" fill="{colour}"/>'
    if shape == "diamond":
        return (
            f'<polygon points="{x:.1f},{y - 4.5:.1f} {x + 4.5:.1f},{y:.1f} '
            f'{x:.1f},{y + 4.5:.1f} {x - 4.5:.1f},{y:.1f}" fill="{colour}"/>'
        )
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}"/>'


def _nice_ticks(low: float, high: float) -> list[float]:
    span = high - low or 1.0
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 500):
        if span / step <= 6:
            break
    first = int(low // step) * step
    return [float(v) for v in range(int(first), int(high) + 1, int(step)) if v >= low]


@attrs.frozen(slots=True)
class _Scale:
    """Where a date (x) and a value (y) fall in a line chart's plot area: dates from ``first`` to ``last``, values
    from ``low`` to ``high`` (a value outside is drawn at the edge)."""

    first: datetime.date
    last: datetime.date
    low: float
    high: float

    @classmethod
    def fit(cls, dates: Sequence[datetime.date], y_range: tuple[float, float]) -> _Scale:
        """The scale that shows every date (today when there is none; a day either side of a single one)."""
        if not dates:
            dates = [datetime.date.today()]
        first, last = min(dates), max(dates)
        if first == last:
            first, last = first - datetime.timedelta(days=1), last + datetime.timedelta(days=1)
        low, high = y_range
        if high <= low:
            high = low + 1
        return cls(first, last, low, high)

    def x(self, day: datetime.date) -> float:
        return LEFT + (day - self.first).days / (self.last - self.first).days * PLOT_W

    def y(self, value: float) -> float:
        clamped = min(max(value, self.low), self.high)
        return TOP + (1 - (clamped - self.low) / (self.high - self.low)) * PLOT_H


def line_chart(
    title: str,
    description: str,
    lines: Sequence[tuple[str, Sequence[ChartPoint]]],
    y_range: tuple[float, float],
    *,
    limits: Sequence[tuple[str, float]] = (),
    band: tuple[float, float, str] | None = None,
    markers: Sequence[tuple[datetime.date, str]] = (),
    unit: str = "",
) -> Any:
    """A dated line chart: ``lines`` as (label, points); ``limits`` dashed horizontal lines; ``band`` a shaded
    range of values (low, high, label); ``markers`` vertical ticks for events on dates."""
    chart_id = f"chart-{next(_ids)}"
    scale = _Scale.fit([p.date for _, points in lines for p in points] + [d for d, _ in markers], y_range)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT + 20 * (1 + len(lines) // 3)}" '
        f'role="img" aria-labelledby="{chart_id}-t {chart_id}-d" font-family="sans-serif" font-size="11">',
        f'<title id="{chart_id}-t">{escape(title)}</title><desc id="{chart_id}-d">{escape(description)}</desc>',
    ]
    if band is not None:
        parts += _band(scale, band)
    parts += _value_axis(scale, unit)
    parts += _date_axis(scale)
    parts += _limit_lines(scale, limits, unit)
    parts += _event_markers(scale, markers)
    parts += _data_lines(scale, lines)
    parts += _legend(lines)
    parts.append("</svg>")
    return _markup("".join(parts))


def _dashed(dash: str) -> str:
    return f' stroke-dasharray="{dash}"' if dash else ""


def _band(scale: _Scale, band: tuple[float, float, str]) -> list[str]:
    """A shaded range of values (low, high, label) across the plot, labelled at its top left."""
    top_y, bottom_y = scale.y(band[1]), scale.y(band[0])
    return [
        f'<rect x="{LEFT}" y="{top_y:.1f}" width="{PLOT_W}" height="{bottom_y - top_y:.1f}" fill="#e8e8e8"/>',
        f'<text x="{LEFT + 4}" y="{top_y + 12:.1f}" fill="#444">{escape(band[2])}</text>',
    ]


def _value_axis(scale: _Scale, unit: str) -> list[str]:
    """A grid line and a label at each tick of the values, and the vertical axis."""
    parts = []
    for tick in _nice_ticks(scale.low, scale.high):
        y = scale.y(tick)
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{tick:g}{escape(unit)}</text>')
    parts.append(f'<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{TOP + PLOT_H}" stroke="#000"/>')
    return parts


def _date_axis(scale: _Scale) -> list[str]:
    """The horizontal axis, with the first date at its start and the last at its end."""
    parts = [f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + PLOT_H}" y2="{TOP + PLOT_H}" stroke="#000"/>']
    for day, anchor in ((scale.first, "start"), (scale.last, "end")):
        parts.append(
            f'<text x="{scale.x(day):.1f}" y="{TOP + PLOT_H + 16}" text-anchor="{anchor}">'
            f"{escape(day.isoformat())}</text>"
        )
    return parts


def _limit_lines(scale: _Scale, limits: Sequence[tuple[str, float]], unit: str) -> list[str]:
    """A dashed dark-red line across the plot at each limit, labelled with its name and value at the right."""
    parts = []
    for label, value in limits:
        y = scale.y(value)
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#8b0000" '
            f'stroke-dasharray="8 4" stroke-width="1.5"/>'
        )
        parts.append(
            f'<text x="{WIDTH - RIGHT - 4}" y="{y - 4:.1f}" text-anchor="end" fill="#8b0000">'
            f"{escape(label)} ({value:g}{escape(unit)})</text>"
        )
    return parts


def _event_markers(scale: _Scale, markers: Sequence[tuple[datetime.date, str]]) -> list[str]:
    """A dotted vertical line on each event's date, its date and label as a tooltip."""
    return [
        f'<line x1="{scale.x(day):.1f}" x2="{scale.x(day):.1f}" y1="{TOP}" y2="{TOP + PLOT_H}" stroke="#555" '
        f'stroke-dasharray="1 3"><title>{escape(day.isoformat())}: {escape(label)}</title></line>'
        for day, label in markers
    ]


def _data_lines(scale: _Scale, lines: Sequence[tuple[str, Sequence[ChartPoint]]]) -> list[str]:
    """Each line in its style: a polyline through two or more points, and a marker on every point."""
    parts = []
    for (_, points), (colour, dash, shape) in zip(lines, itertools.cycle(_STYLES)):
        if len(points) > 1:
            path = " ".join(f"{scale.x(p.date):.1f},{scale.y(p.value):.1f}" for p in points)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"{_dashed(dash)}/>')
        parts.extend(_marker(shape, scale.x(p.date), scale.y(p.value), colour) for p in points)
    return parts


def _legend(lines: Sequence[tuple[str, Sequence[ChartPoint]]]) -> list[str]:
    """Below the plot, three to a row: each line's stroke and marker, and its label."""
    parts = []
    for index, ((label, _), (colour, dash, shape)) in enumerate(zip(lines, itertools.cycle(_STYLES))):
        lx = LEFT + (index % 3) * 200
        ly = HEIGHT + 6 + (index // 3) * 18
        parts.append(
            f'<line x1="{lx}" x2="{lx + 24}" y1="{ly}" y2="{ly}" stroke="{colour}" stroke-width="2"{_dashed(dash)}/>'
        )
        parts.append(_marker(shape, lx + 12, ly, colour))
        parts.append(f'<text x="{lx + 30}" y="{ly + 4}">{escape(label)}</text>')
    return parts


def pain_chart(report: CourseReport) -> Any:
    """Pain before and after each session and the next morning, against the protocol's pain limits."""

    def points(attribute: str) -> list[ChartPoint]:
        return [
            ChartPoint(s.date, float(getattr(s, attribute)))
            for s in report.sessions
            if getattr(s, attribute) is not None
        ]

    lines = [
        ("before the session", points("pain_before")),
        ("after the session", points("pain_after")),
        ("next morning", points("next_morning")),
    ]
    limits = ", ".join(f"{label} {value:g}/10" for label, value in report.pain_limits) or "none set"
    description = (
        f"Pain from 0 to 10 at {len(report.sessions)} sessions of {report.patient}; limits: {limits}. "
        "The table below gives every value."
    )
    markers = [(e.date, e.text) for e in report.timeline if e.kind in ("pause", "review", "decision", "enter-phase")]
    return line_chart("Pain at each session", description, lines, (0, 10), limits=report.pain_limits, markers=markers)


def measure_chart(series: MeasureSeries) -> Any:
    """One outcome measure over time; the shaded band is within a meaningful change of the first score."""
    band = None
    if series.meaningful_change and series.points:
        base = series.points[0].value
        band = (
            base - series.meaningful_change,
            base + series.meaningful_change,
            f"within {series.meaningful_change:g} of the first score: no meaningful change",
        )
    values = ", ".join(f"{p.date.isoformat()} {p.value:g}" for p in series.points)
    description = f"{series.name} scores over time ({series.scale[0]:g} to {series.scale[1]:g}): {values}."
    return line_chart(
        f"{series.name} over time",
        description,
        [(series.name, series.points)],
        series.scale,
        band=band,
        unit="" if series.unit.startswith("/") else series.unit,
    )


def adherence_chart(report: CourseReport) -> Any:
    """Sessions done each week (bars) against the phase's sessions per week (a shaded range behind each bar)."""
    chart_id = f"chart-{next(_ids)}"
    weeks = report.weeks
    top = max([7, *(w.done for w in weeks), *((w.prescribed_max or 0) for w in weeks)])
    slot = PLOT_W / max(len(weeks), 1)

    def y(value: float) -> float:
        return TOP + (1 - value / top) * PLOT_H

    summary = (
        "; ".join(
            f"week of {w.start.isoformat()}: {w.done} done"
            + (f", {w.prescribed_min}-{w.prescribed_max} planned" if w.prescribed_min is not None else "")
            for w in weeks
        )
        or "no sessions yet"
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d" font-family="sans-serif" font-size="11">',
        f'<title id="{chart_id}-t">Sessions done each week</title><desc id="{chart_id}-d">{escape(summary)}</desc>',
    ]
    for tick in range(0, top + 1, 1 if top <= 7 else 2):
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#eee"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick}</text>')
    for index, week in enumerate(weeks):
        x0 = LEFT + index * slot
        if week.prescribed_min is not None and week.prescribed_max is not None:
            parts.append(
                f'<rect x="{x0 + 2:.1f}" y="{y(week.prescribed_max):.1f}" width="{slot - 4:.1f}" '
                f'height="{max(y(week.prescribed_min) - y(week.prescribed_max), 2):.1f}" fill="#d8d8d8"/>'
            )
        bar_h = TOP + PLOT_H - y(week.done)
        parts.append(
            f'<rect x="{x0 + slot * 0.3:.1f}" y="{y(week.done):.1f}" width="{slot * 0.4:.1f}" '
            f'height="{bar_h:.1f}" fill="#1f4e9a"><title>{escape(week.start.isoformat())}: {week.done}</title></rect>'
        )
        if len(weeks) <= 16 or index % 2 == 0:
            parts.append(
                f'<text x="{x0 + slot / 2:.1f}" y="{TOP + PLOT_H + 16}" text-anchor="middle">{index + 1}</text>'
            )
    parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + PLOT_H}" y2="{TOP + PLOT_H}" stroke="#000"/>')
    parts.append(
        f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 4}" text-anchor="end">week of the course (grey: planned range)</text>'
    )
    parts.append("</svg>")
    return _markup("".join(parts))
