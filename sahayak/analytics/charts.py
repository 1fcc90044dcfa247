"""Charts drawn on the server as SVG: no script, no CDN, readable in print.

Each chart is a ``<figure>`` whose SVG carries a title and per-point ``<title>`` tooltips;
the page shows the same numbers in a table next to it (the accessible alternative).
Colours come from CSS classes (``s0``..``s3``), so dark mode and print restyle them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 12, 28


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]
    kind: str = "line"  # line / bar


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        top = step * magnitude
        if top >= value:
            return float(top)
    return float(10 * magnitude)


def _svg(title: str, body: str, width: int = WIDTH, height: int = HEIGHT) -> SafeString:
    return mark_safe(  # noqa: S308 - every text in ``body`` is escaped where it is made
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" preserveAspectRatio="xMidYMid meet">'
        f"<title>{escape(title)}</title>{body}</svg>"
    )


def time_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    fmt: Callable[[float], str] = lambda v: f"{v:g}",
) -> SafeString:
    """Lines or bars over chart points (days or weeks)."""
    values = [v for s in series for v in s.values if v is not None]
    top = _nice_max(max(values, default=0))
    n = max(1, len(labels))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / n

    def x(i: int) -> float:
        return LEFT + slot * (i + 0.5)

    def y(v: float) -> float:
        return TOP + plot_h * (1 - v / top)

    parts = []
    for k in range(5):  # grid and y ticks
        v = top * k / 4
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(v):.1f}" y2="{y(v):.1f}"/>'
            f'<text class="tick" x="{LEFT - 6}" y="{y(v) + 4:.1f}" text-anchor="end">'
            f"{escape(fmt(v))}</text>"
        )
    every = max(1, n // 8)
    for i, label in enumerate(labels):
        if i % every == 0:
            parts.append(
                f'<text class="tick" x="{x(i):.1f}" y="{HEIGHT - 8}" text-anchor="middle">'
                f"{escape(label)}</text>"
            )
    bars = [s for s in series if s.kind == "bar"]
    bar_w = slot * 0.8 / max(1, len(bars))
    for index, s in enumerate(series):
        css = f"s{index % 4}"
        if s.kind == "bar":
            b = bars.index(s)
            for i, value in enumerate(s.values):
                if value:
                    v = float(value)
                    left = x(i) - slot * 0.4 + b * bar_w
                    parts.append(
                        f'<rect class="{css}" x="{left:.1f}" y="{y(v):.1f}" width="{bar_w:.1f}" '
                        f'height="{TOP + plot_h - y(v):.1f}"><title>{escape(labels[i])}: '
                        f"{escape(s.name)} {escape(fmt(v))}</title></rect>"
                    )
            continue
        runs: list[list[str]] = [[]]
        for i, point in enumerate(s.values):
            if point is None:
                runs.append([])
                continue
            v = float(point)
            runs[-1].append(f"{x(i):.1f},{y(v):.1f}")
            parts.append(
                f'<circle class="{css}" cx="{x(i):.1f}" cy="{y(v):.1f}" r="2.5"><title>'
                f"{escape(labels[i])}: {escape(s.name)} {escape(fmt(v))}</title></circle>"
            )
        for run in runs:
            if len(run) > 1:
                parts.append(f'<polyline class="{css} line" points="{" ".join(run)}"/>')
    return _svg(title, "".join(parts))


def bar_list(
    title: str, rows: Sequence[tuple[str, float]], fmt: Callable[[float], str] = lambda v: f"{v:g}"
) -> SafeString:
    """Horizontal bars, one per row (a channel mix, SLA attainment per target)."""
    height = 26 * max(1, len(rows)) + 8
    top = _nice_max(max((v for _l, v in rows), default=0))
    label_w, plot_w = 150, WIDTH - 150 - 70
    parts = []
    for i, (label, value) in enumerate(rows):
        y = 4 + i * 26
        w = plot_w * value / top
        parts.append(
            f'<text class="tick" x="{label_w - 8}" y="{y + 16}" text-anchor="end">'
            f"{escape(label)}</text>"
            f'<rect class="s{i % 4}" x="{label_w}" y="{y + 3}" width="{w:.1f}" height="18">'
            f"<title>{escape(label)}: {escape(fmt(value))}</title></rect>"
            f'<text class="value" x="{label_w + w + 6:.1f}" y="{y + 16}">{escape(fmt(value))}</text>'
        )
    return _svg(title, "".join(parts), height=height)


def heat_map(title: str, days: Sequence[str], grid: Sequence[Sequence[int]]) -> SafeString:
    """Weekday rows by hour columns, darker for more."""
    cell, left, top_pad = 22, 90, 18
    width, height = left + 24 * cell + 8, top_pad + 7 * cell + 6
    peak = max((v for row in grid for v in row), default=0) or 1
    parts = [
        f'<text class="tick" x="{left + h * cell + cell / 2}" y="12" text-anchor="middle">{h}</text>'
        for h in range(0, 24, 3)
    ]
    for d, row in enumerate(grid):
        y = top_pad + d * cell
        parts.append(
            f'<text class="tick" x="{left - 6}" y="{y + 15}" text-anchor="end">'
            f"{escape(days[d])}</text>"
        )
        for h, v in enumerate(row):
            level = 0 if not v else 1 + int(4 * v / peak - 1e-9)
            parts.append(
                f'<rect class="heat h{level}" x="{left + h * cell}" y="{y}" width="{cell - 2}" '
                f'height="{cell - 2}"><title>{escape(days[d])} {h}:00: {v}</title></rect>'
            )
    return _svg(title, "".join(parts), width=width, height=height)
