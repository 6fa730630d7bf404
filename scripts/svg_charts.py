"""Render small charts as inline SVG strings for a self-contained HTML report.

Standard library only. The output has no external resources: no scripts, no fonts, no
stylesheets (a `<style>` element inside inline SVG would leak into the whole HTML page,
so every style is a presentation attribute), no links. Each chart is one `<svg>` element
with a `viewBox`, `width="100%"` and a `max-width` of its nominal width, so it shrinks
with the page but never grows past its design size.

Two entry points:

- `line_chart` for ROC, cumulative gains and calibration curves (`Series` objects,
  optional dashed diagonal reference line, labelled "random" unless told otherwise);
- `bar_chart` for grouped bars: conversion rate per tier or score band, or the score
  distribution of converted vs not converted leads (one bar per series in each category,
  side by side, so overlapping distributions stay visible).

Conventions:

- Every piece of text (title, labels, series and category names, formatted tick values)
  is XML-escaped, and characters that XML 1.0 cannot carry (control characters, lone
  surrogates) are replaced by U+FFFD, so hostile configuration text cannot inject markup
  or make the document unparseable.
- `None` is a missing value: a line breaks at the gap, a bar is not drawn. NaN and
  infinities are rejected with a `ValueError` naming the series, because in a backtest
  they mean an upstream bug rather than missing data.
- A chart with nothing to draw (no series, no categories, only `None`) renders an SVG
  that says "no data".
- Line points are joined in the given order (not sorted). A point with no neighbour on
  either side (isolated by gaps) is drawn as a marker so it does not vanish.
- Values outside an explicit `x_range` / `y_range` are clipped to the plot area (lines via
  a clip path, bars are cut at the range edge). Without a range, axes extend to the
  enclosing "nice" tick values; bar charts always include zero.
- Output is deterministic. The clip path id is derived from a hash of the chart body, so
  several charts on one page do not share ids unless they are identical.
- Colours come from the Okabe-Ito colour-blind-safe palette by series index (blue,
  orange, green, vermillion, purple, sky blue, black), cycling after seven series.
- Text widths are estimated (no font metrics); long titles, labels and names are cut
  with an ellipsis to fit, while the full text stays in the `<title>` tooltips.
"""

from __future__ import annotations

import hashlib
import html
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["DIAGONAL_COLOUR", "PALETTE", "Series", "bar_chart", "line_chart", "nice_ticks"]

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000")
DIAGONAL_COLOUR = "#767676"
AXIS_COLOUR = "#333333"
GRID_COLOUR = "#E3E3E3"
TEXT_COLOUR = "#222222"
FONT_FAMILY = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
MIN_WIDTH = 200
MIN_HEIGHT = 150

_TITLE_PX = 15
_LABEL_PX = 12
_TICK_PX = 11
_LEGEND_PX = 12
_VALUE_PX = 10
_CHAR_EM = 0.6  # estimated average glyph width, as a fraction of the font size
_PAD = 12
_LEGEND_ROW = 18
_SWATCH = 22
_CLIP_PAD = 4
_CLIP_TOKEN = "\x00clip\x00"  # cannot occur in escaped text (control chars are replaced)
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class Series:
    """One line: points (x[i], y[i]); a `None` y is a gap."""

    name: str
    x: Sequence[float]
    y: Sequence[float | None]
    dashed: bool = False
    markers: bool = False


@dataclass(frozen=True)
class _Key:
    """One legend entry."""

    name: str
    colour: str
    swatch: str  # "line" or "box"
    dashed: bool = False
    markers: bool = False


@dataclass(frozen=True)
class _Frame:
    """Plot area in pixels and the data ranges it shows."""

    left: float
    top: float
    right: float
    bottom: float
    x_lo: float = 0.0
    x_hi: float = 1.0
    y_lo: float = 0.0
    y_hi: float = 1.0

    def px(self, x: float) -> float:
        return self.left + (x - self.x_lo) / (self.x_hi - self.x_lo) * (self.right - self.left)

    def py(self, y: float) -> float:
        return self.bottom - (y - self.y_lo) / (self.y_hi - self.y_lo) * (self.bottom - self.top)


# ---------------------------------------------------------------------------- text, numbers


def _esc(value: object) -> str:
    """XML-escape text for element content or attributes; drop what XML cannot carry."""
    return html.escape(_NOT_XML.sub("\ufffd", str(value)), quote=True)


def _text_width(text: str, px: float) -> float:
    return len(text) * px * _CHAR_EM


def _fit(text: str, max_px: float, px: float) -> str:
    """Cut text with an ellipsis so its estimated width fits max_px."""
    if _text_width(text, px) <= max_px:
        return text
    keep = max(int(max_px / (px * _CHAR_EM)) - 1, 0)
    return text[:keep] + "…"


def _n(value: float) -> str:
    """A pixel coordinate: two decimals at most, no trailing zeros, no negative zero."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _fmt(pattern: str, value: float) -> str:
    return pattern.format(value + 0.0)


def _finite(name: str, value: object) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as error:
        raise ValueError(f"series {name!r}: not a number: {value!r}") from error
    if not math.isfinite(number):
        raise ValueError(f"series {name!r}: non-finite value {number!r}")
    return number


def _values(name: str, values: Iterable[float | None]) -> tuple[float | None, ...]:
    return tuple(None if v is None else _finite(name, v) for v in values)


def _check_size(width: int, height: int) -> None:
    if width < MIN_WIDTH or height < MIN_HEIGHT:
        raise ValueError(f"chart size {width}x{height} below minimum {MIN_WIDTH}x{MIN_HEIGHT}")


def _check_range(name: str, bounds: tuple[float, float]) -> tuple[float, float]:
    lo, hi = (float(b) for b in bounds)
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"{name} must be finite with low < high, got {bounds!r}")
    return lo, hi


# ---------------------------------------------------------------------------- ticks, axes


def nice_ticks(low: float, high: float, target: int = 5) -> list[float]:
    """Evenly spaced tick values with a 1, 2 or 5 x 10^k step, covering [low, high].

    The first tick is <= low and the last >= high. Among the candidate steps, the one
    whose tick count is closest to `target` intervals wins (ties: the tighter cover).
    An empty range (low == high) is widened around the value.
    """
    if not (math.isfinite(low) and math.isfinite(high)) or low > high:
        raise ValueError(f"tick range must be finite with low <= high, got {low!r}, {high!r}")
    if target < 1:
        raise ValueError(f"target must be >= 1, got {target!r}")
    if high - low <= abs(high + low) * 1e-12:
        delta = abs(low) * 0.1 or 1.0
        low, high = low - delta, high + delta
    if not math.isfinite(high - low):
        raise ValueError(f"tick range too large: {low!r}, {high!r}")
    exponent = math.floor(math.log10((high - low) / target))
    candidates = []
    for e in (exponent - 1, exponent, exponent + 1):
        for m in (1, 2, 5):
            step = m * 10.0**e
            first = math.floor(low / step + 1e-9)
            last = math.ceil(high / step - 1e-9)
            intervals = last - first
            candidates.append((abs(intervals - target), intervals * step, e, first, last, step))
    _, _, e, first, last, step = min(candidates)
    decimals = max(0, -e)
    return [round(i * step, decimals) + 0.0 for i in range(first, last + 1)]


def _axis(
    values: Sequence[float],
    fixed: tuple[float, float] | None,
    target: int,
    name: str,
    include_zero: bool = False,
) -> tuple[float, float, list[float]]:
    """Axis range and tick values: the explicit range, or the data widened to nice ticks."""
    if fixed is not None:
        lo, hi = _check_range(name, fixed)
        eps = (hi - lo) * 1e-9
        return lo, hi, [t for t in nice_ticks(lo, hi, target) if lo - eps <= t <= hi + eps]
    lo, hi = min(values), max(values)
    if include_zero:
        lo, hi = min(lo, 0.0), max(hi, 0.0)
        hi = 1.0 if lo == hi == 0.0 else hi
    ticks = nice_ticks(lo, hi, target)
    return ticks[0], ticks[-1], ticks


def _targets(width: int, height: int) -> tuple[int, int]:
    return max(2, width // 100), max(2, height // 70)


# ---------------------------------------------------------------------------- layout


def _legend_rows(keys: Sequence[_Key], max_width: float) -> list[list[tuple[_Key, str, float]]]:
    """Flow legend entries into rows: (key, fitted name, entry width)."""
    rows: list[list[tuple[_Key, str, float]]] = [[]]
    used = 0.0
    for key in keys:
        name = _fit(key.name, max_width - _SWATCH - 6, _LEGEND_PX)
        entry = _SWATCH + 6 + _text_width(name, _LEGEND_PX) + 16
        if rows[-1] and used + entry > max_width:
            rows.append([])
            used = 0.0
        rows[-1].append((key, name, entry))
        used += entry
    return rows if rows[0] else []


def _layout(
    width: int,
    height: int,
    y_tick_labels: Sequence[str],
    last_x_tick: str,
    x_label: str,
    y_label: str,
    keys: Sequence[_Key],
) -> tuple[_Frame, int, list[list[tuple[_Key, str, float]]]]:
    """Plot area, total height (grows if the legend needs room) and legend rows."""
    widest = max((_text_width(t, _TICK_PX) for t in y_tick_labels), default=0.0)
    left = _PAD + (_LABEL_PX + 8 if y_label else 0) + widest + 8
    right = width - max(_PAD + 4, _text_width(last_x_tick, _TICK_PX) / 2 + 4)
    rows = _legend_rows(keys, right - left)
    top = 44
    below = 8 + _TICK_PX + 6 + (_LABEL_PX + 10 if x_label else 0) + 8
    below += len(rows) * _LEGEND_ROW + 4
    total = max(height, math.ceil(top + below + height * 0.4))
    return _Frame(left, top, right, total - below), total, rows


# ---------------------------------------------------------------------------- SVG pieces


def _open_svg(width: int, height: int, title: str, desc: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" style="max-width:{width}px;height:auto" role="img" '
        f'font-family="{FONT_FAMILY}" font-size="{_LABEL_PX}" fill="{TEXT_COLOUR}">',
        f"<title>{_esc(title)}</title>",
        f"<desc>{_esc(desc)}</desc>",
        f'<rect class="background" x="0" y="0" width="{width}" height="{height}" fill="#FFFFFF"/>',
        f'<text class="chart-title" x="{_n(width / 2)}" y="24" text-anchor="middle" '
        f'font-size="{_TITLE_PX}" font-weight="600">'
        f"{_esc(_fit(title, width - 2 * _PAD, _TITLE_PX))}</text>",
    ]


def _finish(parts: list[str]) -> str:
    """Close the SVG and give the clip path an id derived from the chart's content."""
    body = "\n".join([*parts, "</svg>"])
    digest = hashlib.sha256(body.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return body.replace(_CLIP_TOKEN, f"svgc-{digest}")


def _no_data(title: str, width: int, height: int, kind: str) -> str:
    parts = _open_svg(width, height, title, f"{kind}: no data")
    parts.append(
        f'<rect x="{_PAD}" y="40" width="{width - 2 * _PAD}" height="{height - 40 - _PAD}" '
        f'fill="none" stroke="{GRID_COLOUR}"/>'
    )
    parts.append(
        f'<text class="no-data" x="{_n(width / 2)}" y="{_n((height + 28) / 2)}" '
        f'text-anchor="middle" font-size="14" fill="#666666">no data</text>'
    )
    return _finish(parts)


def _plot_area(frame: _Frame) -> str:
    return (
        f'<rect class="plot-area" x="{_n(frame.left)}" y="{_n(frame.top)}" '
        f'width="{_n(frame.right - frame.left)}" height="{_n(frame.bottom - frame.top)}" '
        f'fill="none"/>'
    )


def _y_ticks(frame: _Frame, ticks: Sequence[float], pattern: str) -> list[str]:
    out = ['<g class="y-ticks">']
    for tick in ticks:
        y = _n(frame.py(tick))
        out.append(
            f'<line x1="{_n(frame.left)}" y1="{y}" x2="{_n(frame.right)}" y2="{y}" '
            f'stroke="{GRID_COLOUR}"/>'
        )
        out.append(
            f'<text x="{_n(frame.left - 6)}" y="{y}" dy="0.32em" text-anchor="end" '
            f'font-size="{_TICK_PX}">{_esc(_fmt(pattern, tick))}</text>'
        )
    out.append("</g>")
    return out


def _x_ticks(frame: _Frame, ticks: Sequence[float], pattern: str) -> list[str]:
    out = ['<g class="x-ticks">']
    for tick in ticks:
        x = _n(frame.px(tick))
        out.append(
            f'<line x1="{x}" y1="{_n(frame.top)}" x2="{x}" y2="{_n(frame.bottom)}" '
            f'stroke="{GRID_COLOUR}"/>'
        )
        out.append(_x_tick_label(frame, frame.px(tick), _fmt(pattern, tick)))
    out.append("</g>")
    return out


def _x_tick_label(frame: _Frame, x: float, text: str) -> str:
    return (
        f'<text x="{_n(x)}" y="{_n(frame.bottom + 8 + _TICK_PX)}" text-anchor="middle" '
        f'font-size="{_TICK_PX}">{_esc(text)}</text>'
    )


def _axes(frame: _Frame, baseline: float | None = None) -> list[str]:
    """Left axis line and bottom axis line (or a zero line at `baseline` pixels)."""
    x_axis_y = _n(frame.bottom if baseline is None else baseline)
    return [
        f'<line class="axis y-axis" x1="{_n(frame.left)}" y1="{_n(frame.top)}" '
        f'x2="{_n(frame.left)}" y2="{_n(frame.bottom)}" stroke="{AXIS_COLOUR}"/>',
        f'<line class="axis x-axis" x1="{_n(frame.left)}" y1="{x_axis_y}" '
        f'x2="{_n(frame.right)}" y2="{x_axis_y}" stroke="{AXIS_COLOUR}"/>',
    ]


def _axis_labels(frame: _Frame, x_label: str, y_label: str) -> list[str]:
    out = []
    if x_label:
        text = _fit(x_label, frame.right - frame.left, _LABEL_PX)
        y = frame.bottom + 8 + _TICK_PX + 6 + _LABEL_PX + 2
        out.append(
            f'<text class="x-label" x="{_n((frame.left + frame.right) / 2)}" y="{_n(y)}" '
            f'text-anchor="middle">{_esc(text)}</text>'
        )
    if y_label:
        text = _fit(y_label, frame.bottom - frame.top, _LABEL_PX)
        centre = _n((frame.top + frame.bottom) / 2)
        out.append(
            f'<text class="y-label" transform="translate({_PAD + _LABEL_PX - 2},{centre}) '
            f'rotate(-90)" text-anchor="middle">{_esc(text)}</text>'
        )
    return out


def _swatch(key: _Key, x: float, y: float) -> list[str]:
    if key.swatch == "box":
        return [
            f'<rect x="{_n(x + 5)}" y="{_n(y - 6)}" width="12" height="12" fill="{key.colour}"/>'
        ]
    dash = ' stroke-dasharray="6 4"' if key.dashed else ""
    out = [
        f'<line x1="{_n(x)}" y1="{_n(y)}" x2="{_n(x + _SWATCH)}" y2="{_n(y)}" '
        f'stroke="{key.colour}" stroke-width="2"{dash}/>'
    ]
    if key.markers:
        out.append(_marker(x + _SWATCH / 2, y, key.colour))
    return out


def _legend(
    rows: Sequence[Sequence[tuple[_Key, str, float]]], left: float, top: float
) -> list[str]:
    out = ['<g class="legend">']
    for r, row in enumerate(rows):
        x = left
        y = top + r * _LEGEND_ROW + _LEGEND_ROW / 2
        for key, name, entry_width in row:
            out.append('<g class="legend-item">')
            out.extend(_swatch(key, x, y))
            out.append(
                f'<text x="{_n(x + _SWATCH + 6)}" y="{_n(y)}" dy="0.32em" '
                f'font-size="{_LEGEND_PX}">{_esc(name)}</text>'
            )
            out.append("</g>")
            x += entry_width
    out.append("</g>")
    return out


def _legend_top(frame: _Frame, x_label: str) -> float:
    return frame.bottom + 8 + _TICK_PX + 6 + (_LABEL_PX + 10 if x_label else 0) + 4


def _marker(x: float, y: float, colour: str) -> str:
    return (
        f'<circle class="marker" cx="{_n(x)}" cy="{_n(y)}" r="3.5" fill="{colour}" '
        f'stroke="#FFFFFF" stroke-width="1"/>'
    )


def _colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


# ---------------------------------------------------------------------------- line chart


def _clean_series(series: Series) -> Series:
    """Validate lengths and finiteness; return a copy holding plain tuples of floats."""
    name = str(series.name)
    if len(series.x) != len(series.y):
        raise ValueError(f"series {name!r}: x has {len(series.x)} values but y has {len(series.y)}")
    xs = tuple(_finite(name, v) for v in series.x)
    return Series(name, xs, _values(name, series.y), bool(series.dashed), bool(series.markers))


def _runs(frame: _Frame, series: Series) -> list[list[tuple[float, float]]]:
    """Pixel points split into runs at missing values."""
    runs: list[list[tuple[float, float]]] = [[]]
    for x, y in zip(series.x, series.y, strict=True):
        if y is None:
            if runs[-1]:
                runs.append([])
            continue
        runs[-1].append((frame.px(x), frame.py(y)))
    return [run for run in runs if run]


def _path_data(runs: Sequence[Sequence[tuple[float, float]]]) -> str:
    commands = []
    for run in runs:
        if len(run) < 2:
            continue
        head, *tail = run
        commands.append(f"M{_n(head[0])},{_n(head[1])}")
        commands.extend(f"L{_n(x)},{_n(y)}" for x, y in tail)
    return " ".join(commands)


def _line_series(frame: _Frame, index: int, series: Series) -> list[str]:
    colour = _colour(index)
    runs = _runs(frame, series)
    out = [f'<g class="series series-{index}" clip-path="url(#{_CLIP_TOKEN})">']
    out.append(f"<title>{_esc(series.name)}</title>")
    path = _path_data(runs)
    if path:
        dash = ' stroke-dasharray="6 4"' if series.dashed else ""
        out.append(
            f'<path class="line" d="{path}" fill="none" stroke="{colour}" stroke-width="2" '
            f'stroke-linejoin="round" stroke-linecap="round"{dash}/>'
        )
    for run in runs:
        if series.markers or len(run) == 1:
            out.extend(_marker(x, y, colour) for x, y in run)
    out.append("</g>")
    return out


def _diagonal(frame: _Frame) -> list[str]:
    """The y = x reference line, within the visible ranges."""
    low, high = max(frame.x_lo, frame.y_lo), min(frame.x_hi, frame.y_hi)
    if low >= high:
        return []
    return [
        f'<line class="diagonal" x1="{_n(frame.px(low))}" y1="{_n(frame.py(low))}" '
        f'x2="{_n(frame.px(high))}" y2="{_n(frame.py(high))}" stroke="{DIAGONAL_COLOUR}" '
        f'stroke-width="1.5" stroke-dasharray="4 4"/>'
    ]


def _clip_path(frame: _Frame) -> str:
    return (
        f'<defs><clipPath id="{_CLIP_TOKEN}"><rect x="{_n(frame.left - _CLIP_PAD)}" '
        f'y="{_n(frame.top - _CLIP_PAD)}" width="{_n(frame.right - frame.left + 2 * _CLIP_PAD)}" '
        f'height="{_n(frame.bottom - frame.top + 2 * _CLIP_PAD)}"/></clipPath></defs>'
    )


def line_chart(
    series: Sequence[Series],
    *,
    title: str,
    x_label: str,
    y_label: str,
    x_range: tuple[float, float] | None = None,
    y_range: tuple[float, float] | None = None,
    diagonal: bool = False,
    diagonal_label: str = "random",
    x_format: str = "{:g}",
    y_format: str = "{:g}",
    width: int = 520,
    height: int = 360,
) -> str:
    """A line chart (ROC, gains, calibration) as an SVG string.

    `diagonal` adds a grey dashed y = x reference line with legend entry `diagonal_label`.
    `x_format` / `y_format` are `str.format` patterns for tick labels, e.g. "{:.0%}".
    Raises ValueError for NaN/inf values, mismatched x/y lengths or an invalid range.
    """
    _check_size(width, height)
    cleaned = [_clean_series(s) for s in series]
    points = [(x, y) for s in cleaned for x, y in zip(s.x, s.y, strict=True) if y is not None]
    names = ", ".join(s.name for s in cleaned)
    if not points:
        return _no_data(title, width, height, "Line chart")
    x_target, y_target = _targets(width, height)
    x_lo, x_hi, x_ticks = _axis([p[0] for p in points], x_range, x_target, "x_range")
    y_lo, y_hi, y_ticks = _axis([p[1] for p in points], y_range, y_target, "y_range")
    keys = [_Key(s.name, _colour(i), "line", s.dashed, s.markers) for i, s in enumerate(cleaned)]
    if diagonal:
        keys.append(_Key(str(diagonal_label), DIAGONAL_COLOUR, "line", dashed=True))
    y_labels = [_fmt(y_format, t) for t in y_ticks]
    last_x = _fmt(x_format, x_ticks[-1]) if x_ticks else ""
    box, total, rows = _layout(width, height, y_labels, last_x, x_label, y_label, keys)
    frame = _Frame(box.left, box.top, box.right, box.bottom, x_lo, x_hi, y_lo, y_hi)
    desc = f"Line chart of {y_label} against {x_label}. Series: {names}."
    parts = _open_svg(width, total, title, desc)
    parts.append(_clip_path(frame))
    parts.append(_plot_area(frame))
    parts.extend(_y_ticks(frame, y_ticks, y_format))
    parts.extend(_x_ticks(frame, x_ticks, x_format))
    parts.extend(_axes(frame))
    if diagonal:
        parts.extend(_diagonal(frame))
    for index, one in enumerate(cleaned):
        parts.extend(_line_series(frame, index, one))
    parts.extend(_axis_labels(frame, x_label, y_label))
    parts.extend(_legend(rows, frame.left, _legend_top(frame, x_label)))
    return _finish(parts)


# ---------------------------------------------------------------------------- bar chart


def _clean_bars(
    categories: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]]
) -> list[tuple[str, tuple[float | None, ...]]]:
    cleaned = []
    for name, values in series:
        label = str(name)
        if len(values) != len(categories):
            raise ValueError(
                f"series {label!r}: {len(values)} values for {len(categories)} categories"
            )
        cleaned.append((label, _values(label, values)))
    return cleaned


def _bar(
    frame: _Frame, x: float, bar_width: float, value: float, pattern: str, labelled: bool
) -> tuple[str, str | None]:
    """One bar rect (clamped to the visible range) and its optional value label."""
    base = min(max(0.0, frame.y_lo), frame.y_hi)
    end = min(max(value, frame.y_lo), frame.y_hi)
    y_base, y_end = frame.py(base), frame.py(end)
    top, bar_height = min(y_base, y_end), abs(y_base - y_end)
    rect = f'x="{_n(x)}" y="{_n(top)}" width="{_n(bar_width)}" height="{_n(bar_height)}"'
    if not labelled:
        return rect, None
    below = value < 0
    label_y = (top + bar_height + _VALUE_PX + 2) if below else (top - 3)
    label = (
        f'<text class="value-label" x="{_n(x + bar_width / 2)}" y="{_n(label_y)}" '
        f'text-anchor="middle" font-size="{_VALUE_PX}" fill="{TEXT_COLOUR}">'
        f"{_esc(_fmt(pattern, value))}</text>"
    )
    return rect, label


def _bars(
    frame: _Frame,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    pattern: str,
    value_labels: bool,
) -> list[str]:
    band = (frame.right - frame.left) / len(categories)
    slot = band * 0.8 / len(series)
    gap = min(1.0, slot * 0.1)
    out = []
    for s, (name, values) in enumerate(series):
        colour = _colour(s)
        out.append(f'<g class="series series-{s}" fill="{colour}">')
        for c, value in enumerate(values):
            if value is None:
                continue
            x = frame.left + c * band + band * 0.1 + s * slot + gap / 2
            rect, label = _bar(frame, x, slot - gap, value, pattern, value_labels)
            tip = f"{name} | {categories[c]}: {_fmt(pattern, value)}"
            out.append(f'<rect class="bar" {rect}><title>{_esc(tip)}</title></rect>')
            if label:
                out.append(label)
        out.append("</g>")
    return out


def _category_labels(frame: _Frame, categories: Sequence[str]) -> list[str]:
    band = (frame.right - frame.left) / len(categories)
    out = ['<g class="x-ticks">']
    for c, category in enumerate(categories):
        text = _fit(str(category), band - 4, _TICK_PX)
        out.append(_x_tick_label(frame, frame.left + (c + 0.5) * band, text))
    out.append("</g>")
    return out


def bar_chart(
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    title: str,
    y_label: str,
    x_label: str = "",
    y_format: str = "{:g}",
    y_range: tuple[float, float] | None = None,
    value_labels: bool = False,
    width: int = 520,
    height: int = 360,
) -> str:
    """A grouped bar chart as an SVG string: one bar per series within each category.

    `series` is a list of (name, values) with one value per category; `None` draws no
    bar. Bars start at zero (or at the nearest edge of `y_range` if zero is outside it).
    `value_labels` prints each value above its bar. Raises ValueError for NaN/inf
    values, a values/categories length mismatch or an invalid range.
    """
    _check_size(width, height)
    cats = [str(c) for c in categories]
    cleaned = _clean_bars(cats, series)
    values = [v for _, vals in cleaned for v in vals if v is not None]
    names = ", ".join(name for name, _ in cleaned)
    if not cats or not values:
        return _no_data(title, width, height, "Bar chart")
    _, y_target = _targets(width, height)
    y_lo, y_hi, y_ticks = _axis(values, y_range, y_target, "y_range", include_zero=True)
    keys = [_Key(name, _colour(i), "box") for i, (name, _) in enumerate(cleaned)]
    y_labels = [_fmt(y_format, t) for t in y_ticks]
    box, total, rows = _layout(width, height, y_labels, "", x_label, y_label, keys)
    frame = _Frame(box.left, box.top, box.right, box.bottom, 0.0, 1.0, y_lo, y_hi)
    desc = f"Bar chart of {y_label} per category ({', '.join(cats)}). Series: {names}."
    parts = _open_svg(width, total, title, desc)
    parts.append(_plot_area(frame))
    parts.extend(_y_ticks(frame, y_ticks, y_format))
    parts.extend(_category_labels(frame, cats))
    parts.extend(_bars(frame, cats, cleaned, y_format, value_labels))
    parts.extend(_axes(frame, frame.py(min(max(0.0, y_lo), y_hi))))
    parts.extend(_axis_labels(frame, x_label, y_label))
    parts.extend(_legend(rows, frame.left, _legend_top(frame, x_label)))
    return _finish(parts)
