"""Inline SVG charts for proposals (no JavaScript, no network, printable).

Every function returns a ``markupsafe.Markup`` string of one ``<svg>`` element. All text
that ends up in the SVG (labels, legends) is escaped here, so a chart is as safe as the
rest of the document. Numbers on axes are formatted by the ``fmt`` callable passed in
(the proposal's locale).
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

from markupsafe import Markup, escape

Fmt = Callable[[float], str]

FONT = "font-family=\"Helvetica, Arial, sans-serif\""
GRID = "#d9dee4"
TEXT = "#4a5563"


def _nice_max(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 2, 2.5, 5 × 10^n)."""
    if value <= 0:
        return 1.0
    exp = math.floor(math.log10(value))
    for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        top = m * 10 ** exp
        if top >= value:
            return top
    return 10 ** (exp + 1)  # pragma: no cover


def _nice_range(lo: float, hi: float, ticks: int = 5) -> tuple[float, float, float]:
    span = max(hi - lo, 1e-9)
    raw = span / ticks
    exp = math.floor(math.log10(raw))
    step = 10 ** exp
    for m in (1, 2, 2.5, 5, 10):
        if m * 10 ** exp >= raw:
            step = m * 10 ** exp
            break
    return math.floor(lo / step) * step, math.ceil(hi / step) * step, step


def _svg_open(width: int, height: int, label: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
            f'viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMidYMid meet" '
            f'aria-label="{escape(label)}" {FONT} font-size="11">')


def _legend(items: Sequence[tuple[str, str]], x: float, y: float) -> str:
    out = []
    for name, color in items:
        out.append(f'<rect x="{x:.1f}" y="{y - 9:.1f}" width="10" height="10" rx="2" fill="{escape(color)}"/>'
                   f'<text x="{x + 14:.1f}" y="{y:.1f}" fill="{TEXT}">{escape(name)}</text>')
        x += 22 + 6.2 * len(name)
    return "".join(out)


def monthly_bars(series: Sequence[tuple[str, Sequence[float], str]], labels: Sequence[str],
                 fmt: Fmt, *, title: str = "", unit: str = "kWh", width: int = 680,
                 height: int = 260) -> Markup:
    """Grouped bars per month: ``series`` is ``[(name, 12 values, colour), ...]``."""
    left, right, top, bottom = 58, 12, 26 if len(series) > 1 else 14, 28
    pw, ph = width - left - right, height - top - bottom
    _, vmax, step = _nice_range(0.0, float(max((max(v) for _, v, _ in series if v), default=0) or 1), 4)
    ticks = int(round(vmax / step))
    out = [_svg_open(width, height, title or unit)]
    for i in range(ticks + 1):
        val = step * i
        y = top + ph - ph * i / ticks
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}" stroke-width="1"/>'
                   f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{TEXT}">{escape(fmt(val))}</text>')
    out.append(f'<text x="4" y="{top - 6 if len(series) > 1 else 10}" fill="{TEXT}" font-size="10">{escape(unit)}</text>')
    n = len(labels)
    slot = pw / n
    group = slot * 0.78
    bw = group / max(len(series), 1)
    for m in range(n):
        x0 = left + m * slot + (slot - group) / 2
        for s, (name, values, color) in enumerate(series):
            v = float(values[m] or 0)
            h = ph * v / vmax
            out.append(f'<rect x="{x0 + s * bw:.1f}" y="{top + ph - h:.1f}" width="{bw * 0.92:.1f}" '
                       f'height="{h:.1f}" rx="1.5" fill="{escape(color)}"><title>{escape(name)} '
                       f'{escape(labels[m])}: {escape(fmt(v))} {escape(unit)}</title></rect>')
        out.append(f'<text x="{left + m * slot + slot / 2:.1f}" y="{height - 10}" text-anchor="middle" '
                   f'fill="{TEXT}">{escape(labels[m])}</text>')
    if len(series) > 1:
        out.append(_legend([(name, color) for name, _, color in series], left + 8, 14))
    out.append("</svg>")
    return Markup("".join(out))


def cash_flow_chart(years: Sequence[int], annual: Sequence[float], cumulative: Sequence[float],
                    fmt: Fmt, *, colors: tuple[str, str, str] = ("#1f7a4d", "#c0392b", "#1d3557"),
                    labels: tuple[str, str] = ("annual", "cumulative"), currency: str = "",
                    width: int = 680, height: int = 280) -> Markup:
    """Annual cash flow as bars (green/red) and the cumulative cash flow as a line."""
    left, right, top, bottom = 70, 12, 26, 28
    pw, ph = width - left - right, height - top - bottom
    lo = min(0.0, min(annual, default=0), min(cumulative, default=0))
    hi = max(0.0, max(annual, default=0), max(cumulative, default=0))
    lo, hi, step = _nice_range(lo, hi)

    def y(v: float) -> float:
        return top + ph - ph * (v - lo) / (hi - lo)

    out = [_svg_open(width, height, labels[1])]
    v = lo
    while v <= hi + step / 2:
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
                   f'stroke="{GRID if abs(v) > 1e-9 else "#8a94a3"}" stroke-width="1"/>'
                   f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end" fill="{TEXT}">{escape(fmt(v))}</text>')
        v += step
    n = len(years)
    slot = pw / max(n, 1)
    pos, neg, line = colors
    for i, (yr, a) in enumerate(zip(years, annual)):
        x = left + i * slot + slot * 0.15
        y0, y1 = sorted((y(0), y(a)))
        out.append(f'<rect x="{x:.1f}" y="{y0:.1f}" width="{slot * 0.7:.1f}" height="{max(y1 - y0, 0.5):.1f}" '
                   f'fill="{escape(pos if a >= 0 else neg)}" opacity="0.85"><title>{yr}: {escape(fmt(a))}</title></rect>')
        if n <= 12 or yr % 5 == 0 or i == 0:
            out.append(f'<text x="{left + i * slot + slot / 2:.1f}" y="{height - 10}" text-anchor="middle" '
                       f'fill="{TEXT}">{yr}</text>')
    pts = " ".join(f"{left + i * slot + slot / 2:.1f},{y(c):.1f}" for i, c in enumerate(cumulative))
    out.append(f'<polyline points="{pts}" fill="none" stroke="{escape(line)}" stroke-width="2.2" stroke-linejoin="round"/>')
    for i, c in enumerate(cumulative):
        out.append(f'<circle cx="{left + i * slot + slot / 2:.1f}" cy="{y(c):.1f}" r="2.2" fill="{escape(line)}"/>')
    if currency:
        out.append(f'<text x="4" y="12" fill="{TEXT}" font-size="10">{escape(currency)}</text>')
    out.append(_legend([(labels[0], pos), (labels[1], line)], left + 8, 14))
    out.append("</svg>")
    return Markup("".join(out))


def energy_flow(*, pv: float, home: float, battery: float | None, to_home: float,
                to_grid: float, from_grid: float, curtailed: float, labels: dict[str, str],
                fmt: Fmt, brand: str = "#f2a900", width: int = 680, height: int = 250,
                off_grid: bool = False) -> Markup:
    """A box-and-arrow diagram: PV → home, PV ↔ battery, PV → grid, grid → home (kWh/year)."""
    def box(x, y, w, h, title, value, color):
        return (f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="10" fill="#fff" stroke="{escape(color)}" stroke-width="2"/>'
                f'<text x="{x + w / 2}" y="{y + 22}" text-anchor="middle" font-weight="bold" fill="#1f2933" font-size="13">{escape(title)}</text>'
                f'<text x="{x + w / 2}" y="{y + 42}" text-anchor="middle" fill="{TEXT}">{escape(value)}</text>')

    def arrow(x1, y1, x2, y2, text, color, tx=None, ty=None, anchor="middle"):
        tx = (x1 + x2) / 2 if tx is None else tx
        ty = (y1 + y2) / 2 - 6 if ty is None else ty
        return (f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="{escape(color)}" stroke-width="3" marker-end="url(#ah)"/>'
                f'<text x="{tx}" y="{ty}" text-anchor="{anchor}" fill="#1f2933" font-size="12">{escape(text)}</text>')

    kwh = labels.get("kwh_year", "kWh/yr")
    out = [_svg_open(width, height, labels.get("title", "energy flow")),
           '<defs><marker id="ah" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" '
           'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#5b6675"/></marker></defs>']
    out.append(box(20, 95, 160, 56, labels["pv"], f"{fmt(pv)} {kwh}", brand))
    out.append(box(500, 95, 160, 56, labels["home"], f"{fmt(home)} {kwh}", "#1d3557"))
    out.append(arrow(182, 123, 496, 123, f"{fmt(to_home)} {kwh}", "#2e8b57"))
    if battery is not None:
        out.append(box(260, 180, 160, 56, labels["battery"], f"{fmt(battery)} {kwh}", "#6c5ce7"))
        out.append(arrow(150, 153, 262, 200, "", "#6c5ce7"))
        out.append(arrow(420, 200, 530, 153, "", "#6c5ce7"))
    if off_grid:
        if curtailed > 0:
            out.append(box(260, 10, 160, 56, labels["curtailed"], f"{fmt(curtailed)} {kwh}", "#9aa5b1"))
            out.append(arrow(150, 93, 258, 45, "", "#9aa5b1"))
        if from_grid > 0:
            out.append(box(500, 10, 160, 56, labels["backup"], f"{fmt(from_grid)} {kwh}", "#9aa5b1"))
            out.append(arrow(580, 68, 580, 92, "", "#9aa5b1"))
    else:
        out.append(box(260, 10, 160, 56, labels["grid"], "", "#5b6675"))
        out.append(arrow(150, 93, 258, 45, f"{fmt(to_grid)} {kwh}", "#f2a900", tx=150, ty=60, anchor="middle"))
        out.append(arrow(422, 45, 530, 93, f"{fmt(from_grid)} {kwh}", "#c0392b", tx=540, ty=60, anchor="middle"))
    out.append("</svg>")
    return Markup("".join(out))
