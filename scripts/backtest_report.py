"""Render a backtest's metrics (the dict `backtest.py` writes as metrics.json) as one
self-contained HTML page: inline CSS and SVG charts, no scripts, no external resources.

Every text that comes from configuration or data (model, tier, rule and version names,
descriptions, paths) is HTML-escaped here or XML-escaped by svg_charts.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import svg_charts as charts
from html_page import card as _card
from html_page import escape as _e
from html_page import kpi as _kpi
from html_page import num, page, pct
from html_page import table as _table

# --------------------------------------------------------------------------- charts


def roc_chart(metrics: Mapping[str, Mapping[str, Any]], title: str) -> str:
    series = [
        charts.Series(
            f"{name} (AUC {num(m['auc'])})",
            [x if x is not None else 0.0 for x in m["roc"]["fpr"]],
            m["roc"]["tpr"],
        )
        for name, m in metrics.items()
        if m["roc"]["fpr"] and m["roc"]["fpr"][0] is not None and m["roc"]["tpr"][0] is not None
    ]
    return charts.line_chart(
        series,
        title=title,
        x_label="false positive rate",
        y_label="true positive rate",
        x_range=(0, 1),
        y_range=(0, 1),
        diagonal=True,
    )


def gains_chart(metrics: Mapping[str, Mapping[str, Any]], title: str) -> str:
    series = []
    for name, m in metrics.items():
        gains = m["gains"]
        if not gains or gains[0]["cumulative_conversions_share"] is None:
            continue
        series.append(
            charts.Series(
                name,
                [0.0, *(g["cumulative_leads_share"] for g in gains)],
                [0.0, *(g["cumulative_conversions_share"] for g in gains)],
                markers=True,
            )
        )
    return charts.line_chart(
        series,
        title=title,
        x_label="share of leads contacted (by score, highest first)",
        y_label="share of conversions",
        x_range=(0, 1),
        y_range=(0, 1),
        diagonal=True,
        x_format="{:.0%}",
        y_format="{:.0%}",
    )


def tier_chart(metrics: Mapping[str, Mapping[str, Any]], title: str) -> str:
    tiers: list[str] = []
    for m in metrics.values():
        for row in m["tiers"]:
            if row["tier"] not in tiers:
                tiers.append(row["tier"])
    series = []
    for name, m in metrics.items():
        by_tier = {row["tier"]: row["conversion_rate"] for row in m["tiers"]}
        series.append((name, [by_tier.get(tier) for tier in tiers]))
    return charts.bar_chart(
        tiers,
        series,
        title=title,
        y_label="conversion rate",
        x_label="tier",
        y_format="{:.1%}",
        value_labels=True,
    )


def band_label(row: Mapping[str, Any]) -> str:
    return f"{row['lo']:g}-{row['hi']:g}"


def calibration_chart(metrics: Mapping[str, Any], calibration: Mapping[str, Any]) -> str:
    bands = metrics["score_bands"]
    labels = [band_label(row) for row in bands]
    fitted = []
    for row in bands:
        probability = None
        for band in calibration.get("bands", []):
            if row["lo"] >= band["min_score"]:
                probability = band["conversion_probability"]
        fitted.append(probability if row["leads"] else None)
    return charts.bar_chart(
        labels,
        [
            ("observed conversion rate", [row["observed_rate"] for row in bands]),
            ("calibrated probability", fitted),
        ],
        title="Conversion by score band and the calibration",
        y_label="conversion rate",
        x_label="score band",
        y_format="{:.1%}",
    )


def distribution_chart(metrics: Mapping[str, Any], title: str) -> str:
    edges = metrics["distribution"]["edges"]
    labels = [f"{lo:g}-{hi:g}" for lo, hi in itertools.pairwise(edges)]
    return charts.bar_chart(
        labels,
        [
            ("converted", metrics["distribution"]["converted"]),
            ("not converted", metrics["distribution"]["not_converted"]),
        ],
        title=title,
        y_label="share of the group's leads",
        x_label="score",
        y_format="{:.0%}",
    )


def per_cutoff_chart(metrics: Mapping[str, Mapping[str, Any]], title: str) -> str:
    """ROC AUC at each cutoff (bars per rule set), labelled by the cutoff's month."""
    first = next(iter(metrics.values()))["per_cutoff"] if metrics else []
    labels = [row["cutoff"][2:10] if row["cutoff"] else "" for row in first]
    series = [(name, [row["auc"] for row in m["per_cutoff"]]) for name, m in metrics.items()]
    return charts.bar_chart(
        labels,
        series,
        title=title,
        y_label="ROC AUC",
        x_label="cutoff (YY-MM-DD)",
        y_range=(0, 1),
    )


# --------------------------------------------------------------------------- sections


def metrics_rows(metrics: Mapping[str, Mapping[str, Any]]) -> list[list[str]]:
    rows = []
    for name, m in metrics.items():
        ci = m["auc_ci"] or (None, None)
        thr = m["at_threshold"]
        rec = m["recommendations"].get("for_precision") or {}
        top = m["gains"][0] if m["gains"] else {}
        rows.append(
            [
                name,
                f"{m['observations']:,}",
                f"{m['conversions']:,}",
                f"{num(m['auc'])} [{num(ci[0])}, {num(ci[1])}]",
                num(m["ks"]["ks"]),
                num(top.get("lift"), 2),
                pct(thr["precision"]),
                pct(thr["recall"]),
                pct(thr["flagged_share"]),
                f"{rec['threshold']:g}" if rec else "n/a",
            ]
        )
    return rows


METRIC_HEADER = [
    "rules",
    "observations",
    "conversions",
    "ROC AUC [95% CI]",
    "KS",
    "top-decile lift",
    "precision at threshold",
    "recall at threshold",
    "flagged at threshold",
    "recommended threshold",
]


def recommendation_rows(m: Mapping[str, Any], capacity: float | None) -> list[list[str]]:
    labels = {
        "for_precision": f"precision at least {pct(m['target_precision'])}",
        "for_capacity": f"at most {capacity:g} leads per cutoff" if capacity else None,
        "best_f1": "best F1 (balance of precision and recall)",
        "max_ks": "largest KS separation",
    }
    rows = []
    for key, label in labels.items():
        rec = m["recommendations"].get(key)
        if label and not rec and key == "for_capacity":
            rows.append([label, "none", "", "", "", "more leads than that share the top score"])
            continue
        if not label or not rec:
            continue
        rows.append(
            [
                label,
                f"{rec['threshold']:g}",
                pct(rec["precision"]),
                pct(rec["recall"]),
                pct(rec["flagged_share"]),
                num(rec.get("flagged_per_group"), 1),
            ]
        )
    return rows


def gains_rows(m: Mapping[str, Any]) -> list[list[str]]:
    return [
        [
            str(g["bin"]),
            f"{g['min_score']:g}-{g['max_score']:g}" if g["min_score"] is not None else "",
            f"{g['leads']:.0f}",
            f"{g['conversions']:.1f}",
            pct(g["conversion_rate"], 2),
            num(g["lift"], 2),
            pct(g["cumulative_conversions_share"]),
        ]
        for g in m["gains"]
    ]


def weights_section(weights: Sequence[Mapping[str, Any]], versions: Sequence[str]) -> str:
    if len(versions) < 2:
        return ""
    rows = []
    for w in weights:
        points = [w["points"].get(v, 0.0) for v in versions]
        changed = any(abs(p - points[0]) > 1e-9 for p in points[1:])
        cells = [_e(w["rule_id"]), _e(w["group_id"])]
        cells += [f"{p:g}" for p in points]
        delta = points[-1] - points[0]
        css = "up" if delta > 0 else "down"
        cells.append(f'<span class="{css}">{delta:+g}</span>' if changed else "")
        cells.append(_e(w["description"]))
        rows.append(cells)
    header = ["rule", "group", *versions, f"{versions[-1]} - {versions[0]}", "description"]
    return "<h3>Points per rule</h3>" + _table(header, rows, raw=True, css="weights")


def model_section(
    model_id: str, entry: Mapping[str, Any], report: Mapping[str, Any], versions: Sequence[str]
) -> str:
    m = entry["current"]
    parts = [f"<h2>Model {_e(model_id)} <small>({_e(entry['scope'])})</small></h2>"]
    cutoffs = entry["cutoffs"]
    parts.append(
        f'<p class="meta">{cutoffs["count"]} cutoffs from {_e(cutoffs["from"])} to '
        f"{_e(cutoffs['to'])}; qualified threshold {entry['qualified_threshold']:g} of "
        f"{entry['max_score']:g}.</p>"
    )
    parts.extend(f'<p class="warn">{_e(w)}</p>' for w in entry["warnings"])
    ci = m["auc_ci"] or (None, None)
    thr = m["at_threshold"]
    parts.append(
        '<div class="kpis">'
        + _kpi(f"{m['observations']:,}", f"observations ({m['entities']:,} leads)")
        + _kpi(f"{m['conversions']:,}", f"conversions ({pct(m['conversion_rate'], 2)})")
        + _kpi(num(m["auc"]), f"ROC AUC (95% CI {num(ci[0])}-{num(ci[1])})")
        + _kpi(num(m["ks"]["ks"]), "KS statistic")
        + _kpi(pct(thr["precision"]), f"precision at {thr['threshold']:g}")
        + _kpi(pct(thr["recall"]), f"recall at {thr['threshold']:g}")
        + "</div>"
    )
    current = {"current": m}
    parts.append('<div class="grid">')
    parts.append(_card(roc_chart(current, "ROC curve")))
    parts.append(_card(gains_chart(current, "Cumulative gains")))
    parts.append(_card(tier_chart(current, "Conversion rate by tier")))
    parts.append(_card(calibration_chart(m, entry["calibration"])))
    parts.append(_card(distribution_chart(m, "Score distribution: converted vs not")))
    parts.append(_card(per_cutoff_chart(current, "ROC AUC per cutoff")))
    parts.append("</div>")
    parts.append("<h3>Threshold recommendations</h3>")
    parts.append(
        _table(
            ["flag leads with", "threshold", "precision", "recall", "flagged", "leads per cutoff"],
            recommendation_rows(m, report["options"].get("capacity")),
        )
    )
    parts.append("<h3>Lift and gains by decile</h3>")
    parts.append(
        _table(
            ["decile", "scores", "leads", "conversions", "rate", "lift", "cumulative gain"],
            gains_rows(m),
        )
    )
    calibration = entry["calibration"]
    if calibration.get("bands"):
        oot = calibration.get("out_of_time") or {}
        parts.append("<h3>Calibration</h3>")
        parts.append(
            f'<p class="note">Brier score {num(calibration.get("brier_in_sample"), 4)} '
            f"(predicting the base rate: {num(calibration.get('brier_base_rate'), 4)}); "
            f"fitted on cutoffs before {_e(oot.get('fitted_before'))} and scored on the later "
            f"ones: {num(oot.get('brier'), 4)} (base rate "
            f"{num(oot.get('brier_base_rate'), 4)}).</p>"
        )
        parts.append(
            _table(
                ["from score", "conversion probability", "observations", "conversions"],
                [
                    [
                        f"{b['min_score']:g}",
                        pct(b["conversion_probability"], 2),
                        f"{b['observations']:,}",
                        f"{b['conversions']:,}",
                    ]
                    for b in calibration["bands"]
                ],
            )
        )
    if entry.get("versions"):
        compared = entry["versions"]
        window = report.get("compare_from")
        parts.append("<h3>Rule-set versions side by side</h3>")
        parts.append(
            f'<p class="note">Compared on cutoffs from {_e(window)} (held out from tuning).</p>'
            if window
            else '<p class="note">Compared on every cutoff.</p>'
        )
        parts.append(_table(METRIC_HEADER, metrics_rows(compared)))
        parts.append('<div class="grid">')
        parts.append(_card(roc_chart(compared, "ROC curves by rule set")))
        parts.append(_card(gains_chart(compared, "Cumulative gains by rule set")))
        parts.append(_card(tier_chart(compared, "Conversion rate by tier and rule set")))
        parts.append(_card(per_cutoff_chart(compared, "ROC AUC per cutoff and rule set")))
        for name, vm in compared.items():
            parts.append(_card(distribution_chart(vm, f"Score distribution ({name})")))
        parts.append("</div>")
        parts.append(weights_section(entry["weights"], versions))
    return "\n".join(parts)


def render(report: Mapping[str, Any]) -> str:
    versions = [v["name"] for v in report["versions"]]
    horizon = report.get("horizon_days")
    sources = "".join(
        f"<li><b>{_e(v['name'])}</b>: {_e(v['source'])}"
        + (f" (rules removed: {_e(', '.join(v['removed']))})" if v["removed"] else "")
        + "</li>"
        for v in report["versions"]
    )
    body = [
        "<h1>Lead score backtest</h1>",
        f'<p class="meta">{_e(report["database"])} (schema {_e(report["schema"])}), generated '
        f"{_e(report['generated_at'])}. A lead converts when a won deal credited to it closes "
        f"within {horizon:g} days after the cutoff; features are as of the cutoff.</p>"
        if horizon
        else f'<p class="meta">{_e(report["database"])}</p>',
        f'<p class="meta">Rule sets:</p><ul>{sources}</ul>',
    ]
    body.extend(
        model_section(model_id, entry, report, versions)
        for model_id, entry in report["models"].items()
    )
    return page("Lead score backtest", body)
