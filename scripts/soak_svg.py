"""Line charts as SVG, written by hand (no plotting library): panels stacked on one time
axis, each with its own y axis, ticks, grid and legend, and an optional dashed marker
(the end of the warm-up) across all of them."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

WIDTH = 960
PANEL_HEIGHT = 170
LEFT = 80  # room for the y ticks and the unit
RIGHT = 170  # room for the legend
TOP = 40  # room for the title
GAP = 34  # between panels: each panel's title
BOTTOM = 50  # room for the time axis
COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
FONT = 'font-family="sans-serif" font-size="11"'

Series = Sequence[tuple[float, float]]  # (minutes, value)


@dataclass(frozen=True)
class Panel:
    title: str
    unit: str
    lines: Mapping[str, Series]  # legend label -> points


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About ``count`` round values (1, 2 or 5 times a power of ten apart) covering low..high."""
    if not math.isfinite(low) or not math.isfinite(high):
        return [0.0, 1.0]
    if high <= low:
        high = low + (abs(low) or 1.0)
    raw = (high - low) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    ticks = []
    for i in range(count * 3):  # bounded: a few more than asked cover any rounding
        tick = first + i * step
        ticks.append(round(tick, 12))
        if tick >= high:
            break
    return ticks


def label(value: float) -> str:
    return f"{value:g}" if abs(value) < 1e6 else f"{value:.3g}"


def render(panels: Sequence[Panel], title: str, x_label: str, marker: float | None = None) -> str:
    """The whole figure as one SVG document."""
    xs = [x for panel in panels for line in panel.lines.values() for x, _ in line]
    x_ticks = nice_ticks(min(xs, default=0.0), max(xs, default=1.0), 8)
    height = TOP + len(panels) * (PANEL_HEIGHT + GAP) + BOTTOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}">',
        f'<rect width="{WIDTH}" height="{height}" fill="white"/>',
        f'<text x="{WIDTH / 2}" y="22" text-anchor="middle" font-family="sans-serif" font-size="15">'
        f"{escape(title)}</text>",
    ]
    for index, panel in enumerate(panels):
        top = TOP + GAP + index * (PANEL_HEIGHT + GAP)
        parts += render_panel(panel, top, x_ticks, marker, last=index == len(panels) - 1)
    middle = LEFT + plot_width() / 2
    parts.append(f'<text x="{middle}" y="{height - 10}" text-anchor="middle" {FONT}>{escape(x_label)}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def plot_width() -> int:
    return WIDTH - LEFT - RIGHT


def render_panel(
    panel: Panel, top: float, x_ticks: Sequence[float], marker: float | None, last: bool
) -> list[str]:
    ys = [y for line in panel.lines.values() for _, y in line if math.isfinite(y)]
    y_ticks = nice_ticks(min(ys, default=0.0), max(ys, default=1.0))
    x_scale = Scale(x_ticks[0], x_ticks[-1], LEFT, LEFT + plot_width())
    y_scale = Scale(y_ticks[0], y_ticks[-1], top + PANEL_HEIGHT, top)
    parts = [
        f'<g class="panel"><text x="{LEFT}" y="{top - 8}" font-family="sans-serif" font-size="13">'
        f"{escape(panel.title)}</text>",
        f'<text transform="translate(16 {top + PANEL_HEIGHT / 2}) rotate(-90)" text-anchor="middle" {FONT}>'
        f"{escape(panel.unit)}</text>",
    ]
    for tick in y_ticks:
        y = y_scale(tick)
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + plot_width()}" y2="{y:.1f}" stroke="#e5e5e5"/>'
        )
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" {FONT}>{label(tick)}</text>')
    for tick in x_ticks:
        x = x_scale(tick)
        parts.append(
            f'<line x1="{x:.1f}" y1="{top + PANEL_HEIGHT}" x2="{x:.1f}" y2="{top + PANEL_HEIGHT + 4}" '
            'stroke="black"/>'
        )
        if last:
            y = top + PANEL_HEIGHT + 17
            parts.append(f'<text x="{x:.1f}" y="{y}" text-anchor="middle" {FONT}>{label(tick)}</text>')
    frame = f'x="{LEFT}" y="{top}" width="{plot_width()}" height="{PANEL_HEIGHT}"'
    parts.append(f'<rect {frame} fill="none" stroke="black"/>')
    if marker is not None and x_ticks[0] <= marker <= x_ticks[-1]:
        x = x_scale(marker)
        parts.append(
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + PANEL_HEIGHT}" stroke="#555" '
            'stroke-dasharray="5 4"/>'
        )
    for colour, (_name, line) in zip(COLOURS * 4, panel.lines.items(), strict=False):
        points = " ".join(f"{x_scale(x):.1f},{y_scale(y):.1f}" for x, y in line if math.isfinite(y))
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{points}"/>')
    parts += render_legend(list(panel.lines), top)
    parts.append("</g>")
    return parts


def render_legend(names: Sequence[str], top: float) -> list[str]:
    parts = []
    x = LEFT + plot_width() + 14
    for index, (colour, name) in enumerate(zip(COLOURS * 4, names, strict=False)):
        y = top + 12 + index * 16
        parts.append(f'<line x1="{x}" y1="{y}" x2="{x + 18}" y2="{y}" stroke="{colour}" stroke-width="2"/>')
        parts.append(f'<text x="{x + 24}" y="{y + 4}" {FONT}>{escape(name)}</text>')
    return parts


class Scale:
    """Maps [low, high] of the data onto [start, end] pixels."""

    def __init__(self, low: float, high: float, start: float, end: float) -> None:
        self.low, self.span = low, (high - low) or 1.0
        self.start, self.end = start, end

    def __call__(self, value: float) -> float:
        return self.start + (value - self.low) / self.span * (self.end - self.start)
