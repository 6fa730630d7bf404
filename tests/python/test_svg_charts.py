"""Tests for scripts/svg_charts.py: well-formed, escaped, correctly scaled inline SVG."""

from __future__ import annotations

import itertools
import math
import random
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable

import pytest
import svg_charts
from svg_charts import Series, bar_chart, line_chart, nice_ticks

NS = "{http://www.w3.org/2000/svg}"
HOSTILE = ["<script>alert(1)</script>", "a & b", '"quoted"', "]]>", "it's"]


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def by_class(root: ET.Element, tag: str, cls: str) -> list[ET.Element]:
    return [e for e in root.iter(NS + tag) if cls in e.get("class", "").split()]


def plot_area(root: ET.Element) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) of the plot area rect."""
    (rect,) = by_class(root, "rect", "plot-area")
    x, y = float(rect.get("x")), float(rect.get("y"))
    return x, y, x + float(rect.get("width")), y + float(rect.get("height"))


def path_points(d: str) -> list[list[tuple[float, float]]]:
    """Runs of (x, y) from a path made of M and L commands."""
    runs: list[list[tuple[float, float]]] = []
    for command, x, y in re.findall(r"([ML])\s*(-?[\d.]+)[ ,](-?[\d.]+)", d):
        if command == "M":
            runs.append([])
        runs[-1].append((float(x), float(y)))
    return runs


def legend_names(root: ET.Element) -> list[str]:
    return [item.find(NS + "text").text for item in by_class(root, "g", "legend-item")]


def all_text(root: ET.Element) -> str:
    return "\n".join("".join(e.itertext()) for e in root.iter())


def roc(**kwargs: object) -> str:
    series = [
        Series("current", [0.0, 0.2, 1.0], [0.0, 0.6, 1.0]),
        Series("proposed", [0.0, 0.1, 1.0], [0.0, 0.7, 1.0], dashed=True, markers=True),
    ]
    options = {"title": "ROC", "x_label": "FPR", "y_label": "TPR"}
    return line_chart(series, **{**options, **kwargs})


def tiers(**kwargs: object) -> str:
    options = {"title": "Conversion by tier", "y_label": "rate"}
    return bar_chart(
        ["low", "medium", "high"],
        [("current", [0.1, 0.2, 0.4]), ("proposed", [0.05, None, 0.5])],
        **{**options, **kwargs},
    )


# ---------------------------------------------------------------- well-formed output


EMPTY_CHARTS: dict[str, Callable[[], str]] = {
    "no-series": lambda: line_chart([], title="t", x_label="x", y_label="y"),
    "empty-series": lambda: line_chart([Series("s", [], [])], title="t", x_label="", y_label=""),
    "all-none-line": lambda: line_chart(
        [Series("s", [0, 1], [None, None]), Series("u", [], [])], title="t", x_label="", y_label=""
    ),
    "no-categories": lambda: bar_chart([], [], title="t", y_label="y"),
    "bars-no-series": lambda: bar_chart(["a"], [], title="t", y_label="y"),
    "all-none-bars": lambda: bar_chart(["a", "b"], [("s", [None, None])], title="t", y_label=""),
}
CHARTS: dict[str, Callable[[], str]] = {
    "roc": lambda: roc(x_range=(0, 1), y_range=(0, 1), diagonal=True),
    "auto-range": roc,
    "bars": lambda: tiers(value_labels=True),
    **EMPTY_CHARTS,
}


@pytest.mark.parametrize("chart", CHARTS)
def test_output_is_well_formed_svg(chart: str) -> None:
    root = parse(CHARTS[chart]())
    assert root.tag == NS + "svg"
    assert root.get("viewBox", "").startswith("0 0 ")
    assert root.get("width") == "100%"
    assert root[0].tag == NS + "title"


@pytest.mark.parametrize("chart", EMPTY_CHARTS)
def test_empty_data_says_no_data(chart: str) -> None:
    root = parse(EMPTY_CHARTS[chart]())
    assert [e.text for e in by_class(root, "text", "no-data")] == ["no data"]
    assert not by_class(root, "rect", "bar")
    assert not by_class(root, "path", "line")


def test_no_data_not_shown_when_there_is_data() -> None:
    assert not by_class(parse(roc()), "text", "no-data")
    assert not by_class(parse(tiers()), "text", "no-data")


def test_self_contained_no_external_resources_or_styles() -> None:
    for svg in (roc(diagonal=True), tiers(value_labels=True)):
        assert "href" not in svg
        assert "<style" not in svg
        assert "<script" not in svg
        assert "url(" not in svg.replace("url(#svgc-", "")
        assert re.findall(r"https?://[^\s\"']+", svg) == ["http://www.w3.org/2000/svg"]


# ---------------------------------------------------------------- escaping


def hostile_line() -> str:
    return line_chart(
        [Series(name, [0, 1], [0, 1]) for name in HOSTILE],
        title=HOSTILE[0],
        x_label=HOSTILE[1],
        y_label=HOSTILE[2],
        x_format="{:g} <b>",
        diagonal=True,
        diagonal_label=HOSTILE[3],
        width=1200,
    )


def hostile_bars() -> str:
    return bar_chart(
        HOSTILE,
        [(name, [1.0] * len(HOSTILE)) for name in HOSTILE],
        title=HOSTILE[0],
        y_label=HOSTILE[1],
        x_label=HOSTILE[2],
        width=1200,
    )


@pytest.mark.parametrize("render", [hostile_line, hostile_bars], ids=["line", "bar"])
def test_hostile_text_is_escaped(render: Callable[[], str]) -> None:
    svg = render()
    root = parse(svg)
    tags = {e.tag for e in root.iter()}
    assert NS + "script" not in tags
    assert NS + "b" not in tags
    assert "<script>" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
    assert "]]>" not in svg
    text = all_text(root)
    for name in HOSTILE:
        assert name in text


def test_hostile_names_round_trip_in_legend_and_titles() -> None:
    root = parse(hostile_line())
    assert legend_names(root) == [*HOSTILE, HOSTILE[3]]
    assert root.find(NS + "title").text == HOSTILE[0]
    (x_label,) = by_class(root, "text", "x-label")
    assert x_label.text == HOSTILE[1]
    bars = parse(hostile_bars())
    tips = [rect.find(NS + "title").text for rect in by_class(bars, "rect", "bar")]
    assert f"{HOSTILE[0]} | {HOSTILE[1]}: 1" in tips


def test_characters_invalid_in_xml_are_replaced() -> None:
    svg = line_chart(
        [Series("nul\x00bell\x07", [0, 1], [0, 1])], title="t\x1b", x_label="x", y_label="y"
    )
    assert "\x00" not in svg
    root = parse(svg)
    assert "nul\ufffdbell\ufffd" in all_text(root)


# ---------------------------------------------------------------- coordinates


def test_line_chart_maps_corners_of_the_range_to_corners_of_the_plot() -> None:
    svg = line_chart(
        [Series("s", [0.0, 0.5, 1.0], [0.0, 0.25, 1.0])],
        title="t",
        x_label="x",
        y_label="y",
        x_range=(0, 1),
        y_range=(0, 1),
    )
    root = parse(svg)
    left, top, right, bottom = plot_area(root)
    (path,) = by_class(root, "path", "line")
    ((p0, p1, p2),) = path_points(path.get("d"))
    assert p0 == pytest.approx((left, bottom), abs=0.01)
    assert p2 == pytest.approx((right, top), abs=0.01)
    assert p1 == pytest.approx(
        (left + 0.5 * (right - left), bottom - 0.25 * (bottom - top)), abs=0.01
    )


def test_line_breaks_at_missing_values_and_isolated_points_get_markers() -> None:
    svg = line_chart(
        [Series("s", [0, 1, 2, 3, 4, 5], [1, None, 2, 3, None, 4])],
        title="t",
        x_label="x",
        y_label="y",
    )
    root = parse(svg)
    (path,) = by_class(root, "path", "line")
    runs = path_points(path.get("d"))
    assert [len(run) for run in runs] == [2]
    assert len(by_class(root, "circle", "marker")) == 2  # x=0 and x=5 stand alone


def test_markers_drawn_for_every_point_when_asked() -> None:
    root = parse(roc())
    (series_1,) = by_class(root, "g", "series-1")
    assert len(by_class(series_1, "circle", "marker")) == 3
    (series_0,) = by_class(root, "g", "series-0")
    assert not by_class(series_0, "circle", "marker")


def test_diagonal_only_when_asked_and_spans_the_plot() -> None:
    assert not by_class(parse(roc(x_range=(0, 1), y_range=(0, 1))), "line", "diagonal")
    root = parse(roc(x_range=(0, 1), y_range=(0, 1), diagonal=True))
    (diagonal,) = by_class(root, "line", "diagonal")
    left, top, right, bottom = plot_area(root)
    ends = [float(diagonal.get(a)) for a in ("x1", "y1", "x2", "y2")]
    assert ends == pytest.approx([left, bottom, right, top], abs=0.01)
    assert diagonal.get("stroke-dasharray")
    assert legend_names(root)[-1] == "random"


def test_explicit_range_ticks_stay_inside_and_label_the_ends() -> None:
    root = parse(roc(x_range=(0, 1), y_range=(0, 1), y_format="{:.0%}"))
    (y_ticks,) = by_class(root, "g", "y-ticks")
    labels = [t.text for t in y_ticks.iter(NS + "text")]
    assert labels == ["0%", "20%", "40%", "60%", "80%", "100%"]


# ---------------------------------------------------------------- bars


def bar_rects(svg: str) -> dict[int, list[ET.Element]]:
    """Bars per series index."""
    root = parse(svg)
    return {
        index: by_class(group, "rect", "bar")
        for index in range(10)
        for group in by_class(root, "g", f"series-{index}")
    }


@pytest.mark.parametrize("y_range", [None, (0.0, 0.5), (0.0, 2.0)])
def test_bar_heights_proportional_to_values(y_range: tuple[float, float] | None) -> None:
    values = {0: [0.1, 0.2, 0.4], 1: [0.05, 0.5]}  # None skipped in series 1
    rects = bar_rects(tiers(y_range=y_range))
    ratios = [
        float(rect.get("height")) / value
        for index, series_values in values.items()
        for rect, value in zip(rects[index], series_values, strict=True)
    ]
    assert ratios == pytest.approx([ratios[0]] * len(ratios), rel=1e-3)


def test_bars_stand_on_the_baseline() -> None:
    root = parse(tiers(y_range=(0, 0.5)))
    _, _, _, bottom = plot_area(root)
    for rect in by_class(root, "rect", "bar"):
        assert float(rect.get("y")) + float(rect.get("height")) == pytest.approx(bottom, abs=0.02)


def test_none_values_draw_no_bar() -> None:
    rects = bar_rects(tiers())
    assert len(rects[0]) == 3
    assert len(rects[1]) == 2
    tips = [rect.find(NS + "title").text for rect in rects[1]]
    assert tips == ["proposed | low: 0.05", "proposed | high: 0.5"]


def test_bar_count_equals_non_none_values() -> None:
    svg = bar_chart(
        ["0\u201310", "10\u201320", "20\u201330", "30\u201340"],
        [("converted", [0.1, None, 0.0, 0.9]), ("not converted", [None, None, 0.7, 0.3])],
        title="Score distribution",
        y_label="share",
    )
    assert len(by_class(parse(svg), "rect", "bar")) == 5


def test_bars_of_one_category_are_side_by_side() -> None:
    rects = bar_rects(tiers())
    first, second = rects[0][0], rects[1][0]
    assert float(first.get("x")) + float(first.get("width")) <= float(second.get("x"))


def test_negative_bar_hangs_below_zero_line() -> None:
    root = parse(bar_chart(["a", "b"], [("s", [1.0, -1.0])], title="t", y_label="y"))
    (x_axis,) = by_class(root, "line", "x-axis")
    zero = float(x_axis.get("y1"))
    up, down = by_class(root, "rect", "bar")
    assert float(up.get("y")) + float(up.get("height")) == pytest.approx(zero, abs=0.02)
    assert float(down.get("y")) == pytest.approx(zero, abs=0.02)
    assert float(up.get("height")) == pytest.approx(float(down.get("height")), abs=0.02)


# ---------------------------------------------------------------- legend, colours


def test_legend_entry_per_series() -> None:
    assert legend_names(parse(roc())) == ["current", "proposed"]
    assert legend_names(parse(roc(diagonal=True))) == ["current", "proposed", "random"]
    assert legend_names(parse(tiers())) == ["current", "proposed"]
    many = [Series(f"series {i}", [0, 1], [i, i + 1]) for i in range(12)]
    svg = line_chart(many, title="t", x_label="x", y_label="y")
    assert legend_names(parse(svg)) == [s.name for s in many]


def test_palette_by_series_index() -> None:
    root = parse(roc())
    colours = [p.get("stroke") for p in by_class(root, "path", "line")]
    assert colours == list(svg_charts.PALETTE[:2])
    assert svg_charts.PALETTE[0].lower() == "#0072b2"  # blue first, orange second
    assert svg_charts.PALETTE[1].lower() == "#e69f00"


# ---------------------------------------------------------------- validation, determinism


def test_deterministic() -> None:
    assert roc(diagonal=True) == roc(diagonal=True)
    assert tiers(value_labels=True) == tiers(value_labels=True)


def test_clip_ids_differ_between_charts() -> None:
    first = re.findall(r'clipPath id="([^"]+)"', roc())
    second = re.findall(r'clipPath id="([^"]+)"', roc(title="other"))
    assert len(first) == len(second) == 1
    assert first != second


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_values_rejected_naming_the_series(bad: float) -> None:
    with pytest.raises(ValueError, match="proposed"):
        line_chart([Series("proposed", [0, 1], [0, bad])], title="t", x_label="", y_label="")
    with pytest.raises(ValueError, match="proposed"):
        line_chart([Series("proposed", [0, bad], [0, 1])], title="t", x_label="", y_label="")
    with pytest.raises(ValueError, match="proposed"):
        bar_chart(["a", "b"], [("proposed", [bad, 1])], title="t", y_label="")


def test_length_mismatches_rejected() -> None:
    with pytest.raises(ValueError, match="s"):
        line_chart([Series("s", [0, 1], [0])], title="t", x_label="", y_label="")
    with pytest.raises(ValueError, match="s"):
        bar_chart(["a", "b"], [("s", [1])], title="t", y_label="")


@pytest.mark.parametrize("bad_range", [(1, 0), (0, 0), (0, math.nan)])
def test_invalid_range_rejected(bad_range: tuple[float, float]) -> None:
    with pytest.raises(ValueError, match="x_range"):
        roc(x_range=bad_range)


# ---------------------------------------------------------------- ticks


def assert_nice(ticks: list[float], low: float, high: float) -> None:
    assert len(ticks) >= 2
    step = ticks[1] - ticks[0]
    mantissa = step / 10 ** math.floor(math.log10(step) + 1e-9)
    assert any(math.isclose(mantissa, m, rel_tol=1e-6) for m in (1, 2, 5))
    for a, b in itertools.pairwise(ticks):
        assert b - a == pytest.approx(step, rel=1e-6)
    for tick in ticks:
        assert tick / step == pytest.approx(round(tick / step), abs=1e-6)
    tolerance = step * 1e-6
    assert ticks[0] <= low + tolerance
    assert ticks[-1] >= high - tolerance


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (0, 1, [0, 0.2, 0.4, 0.6, 0.8, 1]),
        (0.013, 0.87, [0, 0.2, 0.4, 0.6, 0.8, 1]),
        (0, 0.3, [0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3]),
        (-3.2, 47, [-10, 0, 10, 20, 30, 40, 50]),
    ],
)
def test_nice_ticks_known_values(low: float, high: float, expected: list[float]) -> None:
    assert nice_ticks(low, high) == expected


def test_nice_ticks_values_are_exact_decimals() -> None:
    assert 0.6 in nice_ticks(0, 1)
    assert 0.3 in nice_ticks(0, 0.3)


def test_nice_ticks_cover_random_ranges() -> None:
    rng = random.Random(7)
    for _ in range(300):
        scale = 10 ** rng.uniform(-6, 6)
        low = rng.uniform(-1, 1) * scale
        high = low + rng.uniform(0, 3) * scale
        target = rng.randint(2, 10)
        ticks = nice_ticks(low, high, target)
        assert_nice(ticks, low, high)
        assert len(ticks) - 1 <= 3 * target


def test_nice_ticks_widen_an_empty_range() -> None:
    assert_nice(nice_ticks(5, 5), 5, 5)
    assert nice_ticks(5, 5)[0] < 5 < nice_ticks(5, 5)[-1]
    assert_nice(nice_ticks(0, 0), 0, 0)


def test_nice_ticks_reject_bad_input() -> None:
    with pytest.raises(ValueError):
        nice_ticks(1, 0)
    with pytest.raises(ValueError):
        nice_ticks(0, math.inf)
    with pytest.raises(ValueError):
        nice_ticks(0, 1, target=0)


def test_auto_range_axis_covers_the_data() -> None:
    svg = line_chart([Series("s", [3, 17], [0.013, 0.87])], title="t", x_label="x", y_label="y")
    root = parse(svg)
    left, top, right, bottom = plot_area(root)
    (path,) = by_class(root, "path", "line")
    for x, y in path_points(path.get("d"))[0]:
        assert left <= x <= right
        assert top <= y <= bottom
