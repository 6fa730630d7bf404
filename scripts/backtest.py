#!/usr/bin/env python3
"""Backtest lead scores against won deals, for one or more rule-set versions.

    python scripts/backtest.py [--database output/leadscore.duckdb]
        [--rules NAME=PATH ...] [--output-dir output/backtest]
        [--target-precision P] [--capacity K] [--write-calibration [PATH]]

Reads `backtest_observations` and `backtest_rule_hits` (built by `dbt build`; cutoffs
and horizon are dbt vars) read-only and reports, per scoring model and rule-set version:
leads and conversions, ROC AUC with a bootstrap confidence interval (leads resampled, not
rows), KS, lift and cumulative gains by decile, conversion rate per tier, precision,
recall and share flagged at the qualified threshold, recommended thresholds (for a
target precision, for a sales capacity per cutoff, best F1) and calibration (observed
conversion per score band made non-decreasing, Brier score in and out of time).

Writes `metrics.json` and `report.html` (self-contained, charts inline) to --output-dir
and prints a one-screen summary. `--write-calibration` writes the fitted
score-to-probability bands as a `score_calibration` seed (default
seeds/score_calibration.csv): after `dbt build`, lead_scores and account_scores expose
conversion_probability.

Rule-set versions: the built rules are `current`; `--rules NAME=PATH` adds a
scoring_rules CSV that re-weights them (see backtest_data.py). Without --rules, every
`seeds/scoring_rules_<name>.csv` next to the current seed is a version. When a version
carries tuning metadata (`<file>.json` from tune_weights.py), versions are compared on
its held-out cutoffs only, so that tuned weights are never judged on the data that
fitted them.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import backtest_data as bd
import backtest_metrics as bm
import backtest_report
import numpy as np
from html_page import num, pct

REPO_ROOT = Path(__file__).resolve().parent.parent
SEEDS = REPO_ROOT / "seeds"
BAND_WIDTH = 10.0
CALIBRATION_COLUMNS = (
    "model_id",
    "min_score",
    "conversion_probability",
    "horizon_days",
    "fitted_from",
    "fitted_to",
    "observations",
    "conversions",
)
MAX_CURVE_POINTS = 200


def log(message: str) -> None:
    print(f"[backtest] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- metrics


@dataclass
class Options:
    target_precision: float | None
    capacity: float | None
    bootstrap: int
    seed: int


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, np.datetime64):
        value = value.astype("datetime64[us]").item()
    return value.strftime("%Y-%m-%dT%H:%M:%S") if isinstance(value, datetime) else str(value)


def _downsample(curve: Mapping[str, list], limit: int = MAX_CURVE_POINTS) -> dict[str, list]:
    n = len(next(iter(curve.values()), []))
    if n <= limit:
        return dict(curve)
    keep = sorted(set(np.linspace(0, n - 1, limit).round().astype(int).tolist()))
    return {key: [values[i] for i in keep] for key, values in curve.items()}


def band_edges(max_score: float, width: float = BAND_WIDTH) -> list[float]:
    edges = list(np.arange(0.0, max_score, width))
    return [*edges, float(max_score)]


def score_bands(scores: np.ndarray, labels: np.ndarray, max_score: float) -> list[dict]:
    return bm.calibration_table(scores, labels, band_edges(max_score))


def fit_calibration(scores: np.ndarray, labels: np.ndarray, max_score: float) -> list[dict]:
    """Bands (min_score, probability, observations, conversions), non-decreasing.

    The observed conversion rate per 10-point score band, made non-decreasing with the score
    by weighted isotonic regression (pool adjacent violators); adjacent bands with the same
    probability are merged. The first band starts at 0.
    """
    table = [row for row in score_bands(scores, labels, max_score) if row["leads"]]
    if not table:
        return []
    fitted = bm.isotonic_regression(
        [row["lo"] for row in table],
        [row["observed_rate"] for row in table],
        weights=[row["leads"] for row in table],
    )
    by_lo = dict(zip(fitted["x"], fitted["y"], strict=True))
    bands: list[dict] = []
    for row in table:
        probability = float(by_lo[row["lo"]])
        if bands and abs(bands[-1]["conversion_probability"] - probability) < 1e-12:
            bands[-1]["observations"] += row["leads"]
            bands[-1]["conversions"] += row["conversions"]
            continue
        bands.append(
            {
                "min_score": 0.0 if not bands else float(row["lo"]),
                "conversion_probability": probability,
                "observations": int(row["leads"]),
                "conversions": int(row["conversions"]),
            }
        )
    return bands


def predict_calibration(bands: Sequence[Mapping[str, Any]], scores: np.ndarray) -> np.ndarray:
    """The probability of the band with the largest min_score <= score (as the marts do)."""
    result = np.full(len(scores), np.nan)
    for band in bands:
        result[scores >= band["min_score"]] = band["conversion_probability"]
    return result


def calibration_report(
    scores: np.ndarray, labels: np.ndarray, cutoffs: np.ndarray, max_score: float
) -> dict[str, Any]:
    """Bands fitted on all cutoffs, with Brier scores in sample and out of time."""
    bands = fit_calibration(scores, labels, max_score)
    result: dict[str, Any] = {"bands": bands}
    if not bands:
        return result
    base_rate = float(np.mean(labels))
    result["brier_in_sample"] = bm.brier_score(predict_calibration(bands, scores), labels)
    result["brier_base_rate"] = bm.brier_score(np.full(len(labels), base_rate), labels)
    distinct = np.unique(cutoffs)
    if len(distinct) >= 3:
        split = distinct[(2 * len(distinct)) // 3]
        train, test = cutoffs < split, cutoffs >= split
        early = fit_calibration(scores[train], labels[train], max_score)
        if early and test.any():
            predicted = predict_calibration(early, scores[test])
            predicted = np.where(np.isnan(predicted), float(np.mean(labels[train])), predicted)
            result["out_of_time"] = {
                "fitted_before": _iso(split),
                "brier": bm.brier_score(predicted, labels[test]),
                "brier_base_rate": bm.brier_score(
                    np.full(int(test.sum()), float(np.mean(labels[train]))), labels[test]
                ),
                "observations": int(test.sum()),
            }
    return result


def evaluate(
    model: bd.ModelConfig,
    scores: np.ndarray,
    labels: np.ndarray,
    cutoffs: np.ndarray,
    entities: np.ndarray,
    options: Options,
) -> dict[str, Any]:
    """Every metric of one model and one rule-set version."""
    n = len(scores)
    positives = int(labels.sum())
    cutoff_keys = cutoffs.astype("datetime64[us]").astype(np.int64)
    result: dict[str, Any] = {
        "observations": n,
        "entities": len(set(entities.tolist())),
        "cutoffs": len(np.unique(cutoff_keys)),
        "conversions": positives,
        "conversion_rate": positives / n if n else None,
        "auc": bm.roc_auc(scores, labels),
        "auc_ci": bm.auc_confidence_interval(
            scores, labels, clusters=entities, n_boot=options.bootstrap, seed=options.seed
        ),
        "ks": bm.ks_statistic(scores, labels),
        "roc": _downsample(bm.roc_curve(scores, labels)),
        "gains": bm.gains_table(scores, labels),
        "at_threshold": {
            "threshold": model.qualified_threshold,
            **bm.threshold_metrics(scores, labels, model.qualified_threshold, groups=cutoff_keys),
        },
        "score_bands": score_bands(scores, labels, model.max_score),
    }
    target = options.target_precision
    if target is None and positives:
        target = min(1.0, 3 * positives / n)
    result["target_precision"] = target
    result["recommendations"] = bm.recommend_thresholds(
        scores, labels, groups=cutoff_keys, target_precision=target, capacity=options.capacity
    )
    tiers = model.tier_of("score", scores)
    order = [tier for _, tier in model.tiers.get("score", [])]
    by_tier = {row["group"]: row for row in bm.rate_by_group(labels, tiers.astype(str))}
    result["tiers"] = [
        {"tier": tier, **{k: v for k, v in by_tier[tier].items() if k != "group"}}
        for tier in order
        if tier in by_tier
    ]
    edges = band_edges(model.max_score)
    result["distribution"] = {
        "edges": edges,
        "converted": _shares(scores[labels], edges),
        "not_converted": _shares(scores[~labels], edges),
    }
    per_cutoff = []
    for key in np.unique(cutoff_keys):
        mask = cutoff_keys == key
        per_cutoff.append(
            {
                "cutoff": _iso(np.datetime64(int(key), "us")),
                "observations": int(mask.sum()),
                "conversions": int(labels[mask].sum()),
                "auc": bm.roc_auc(scores[mask], labels[mask]),
            }
        )
    result["per_cutoff"] = per_cutoff
    return result


def _shares(values: np.ndarray, edges: Sequence[float]) -> list[float | None]:
    if not len(values):
        return [None] * (len(edges) - 1)
    counts, _ = np.histogram(np.clip(values, edges[0], edges[-1]), bins=np.asarray(edges))
    return (counts / len(values)).tolist()


# --------------------------------------------------------------------------- versions


def discover_rule_sets(current_seed: Path) -> dict[str, Path]:
    """Every `scoring_rules_<name>.csv` next to the current seed (name: letters, digits,
    `_` or `-`; so `scoring_rules_proposed.movers.csv` is not a version)."""
    prefix = current_seed.stem + "_"
    found = {}
    for path in sorted(current_seed.parent.glob(f"{prefix}*.csv")):
        name = path.stem[len(prefix) :]
        if re.fullmatch(r"[A-Za-z0-9_-]+", name):
            found[name] = path
    return found


def parse_rules_args(values: Sequence[str]) -> dict[str, Path]:
    result: dict[str, Path] = {}
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or not name.strip() or not path.strip():
            raise bd.BacktestDataError(f"--rules {value!r}: use NAME=PATH, e.g. proposed=x.csv")
        name = name.strip()
        if name == bd.CURRENT or name in result:
            raise bd.BacktestDataError(f"--rules {value!r}: the name {name!r} is already used")
        result[name] = Path(path.strip())
    return result


def load_versions(
    paths: Mapping[str, Path], built: Mapping[tuple[str, str], bd.Rule]
) -> list[bd.RuleSet]:
    versions = [bd.current_rule_set(built)]
    for name, path in paths.items():
        rule_set = bd.load_rule_set(name, path, built)
        sidecar = path.with_suffix(".json")
        if sidecar.exists():
            rule_set.metadata = json.loads(sidecar.read_text())
        versions.append(rule_set)
    return versions


def comparison_start(versions: Sequence[bd.RuleSet], explicit: datetime | None) -> datetime | None:
    """The first cutoff versions are compared on: explicit, else the latest held-out start."""
    if explicit is not None:
        return explicit
    starts = [
        datetime.fromisoformat(v.metadata["holdout_from"])
        for v in versions
        if v.metadata.get("holdout_from")
    ]
    return max(starts) if starts else None


# --------------------------------------------------------------------------- report


def version_scores(
    data: bd.ModelBacktest, rule_set: bd.RuleSet, built: Mapping[tuple[str, str], bd.Rule]
) -> np.ndarray:
    if rule_set.name == bd.CURRENT:
        return data.score
    return bd.rescore_backtest(data, rule_set, built).score


def weight_table(
    model_id: str, versions: Sequence[bd.RuleSet], built: Mapping[tuple[str, str], bd.Rule]
) -> list[dict[str, Any]]:
    rows = []
    for (m, rule_id), rule in sorted(built.items()):
        if m != model_id or rule.rule_type == "reset":
            continue
        rows.append(
            {
                "rule_id": rule_id,
                "group_id": rule.group_id,
                "rule_type": rule.rule_type,
                "description": rule.description,
                "points": {v.name: v.points.get((m, rule_id), 0.0) for v in versions},
            }
        )
    return rows


def build_report(
    database: Path,
    schema: str,
    versions: Sequence[bd.RuleSet],
    built: Mapping[tuple[str, str], bd.Rule],
    data: Mapping[str, bd.ModelBacktest],
    horizon: float | None,
    compare_from: datetime | None,
    options: Options,
) -> dict[str, Any]:
    report: dict[str, Any] = {
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "database": str(database),
        "schema": schema,
        "horizon_days": horizon,
        "compare_from": _iso(compare_from),
        "options": {
            "target_precision": options.target_precision,
            "capacity": options.capacity,
            "bootstrap": options.bootstrap,
        },
        "versions": [
            {
                "name": v.name,
                "source": v.source,
                "removed": [r for _, r in v.removed],
                "metadata": v.metadata,
            }
            for v in versions
        ],
        "models": {},
    }
    for model_id, model_data in data.items():
        model = model_data.model
        started = time.monotonic()
        entry: dict[str, Any] = {
            "scope": model.scope,
            "max_score": model.max_score,
            "qualified_threshold": model.qualified_threshold,
            "warnings": [],
        }
        cutoffs = model_data.cutoffs
        entry["cutoffs"] = {
            "from": _iso(cutoffs[0]) if cutoffs else None,
            "to": _iso(cutoffs[-1]) if cutoffs else None,
            "count": len(cutoffs),
        }
        if model_data.size == 0 or not model_data.has_converted.any():
            entry["warnings"].append(
                "no observations" if model_data.size == 0 else "no conversions in the backtest"
            )
        mismatches = bd.check_reproduces_warehouse(model_data, built)
        if mismatches:
            entry["warnings"].append(
                f"re-scoring the built rules does not reproduce {mismatches} warehouse scores; "
                "is the database built from the current seeds?"
            )
        labels = model_data.has_converted
        entry["current"] = evaluate(
            model, model_data.score, labels, model_data.cutoff_at, model_data.entity_id, options
        )
        entry["calibration"] = calibration_report(
            model_data.score, labels, model_data.cutoff_at, model.max_score
        )
        if len(versions) > 1:
            window = (
                model_data.cutoff_at >= np.datetime64(compare_from, "us")
                if compare_from is not None
                else np.ones(model_data.size, dtype=bool)
            )
            subset = model_data.subset(window)
            entry["versions"] = {
                v.name: evaluate(
                    model,
                    version_scores(subset, v, built),
                    subset.has_converted,
                    subset.cutoff_at,
                    subset.entity_id,
                    options,
                )
                for v in versions
            }
        entry["weights"] = weight_table(model_id, versions, built)
        report["models"][model_id] = entry
        log(f"{model_id}: {model_data.size} observations in {time.monotonic() - started:.1f}s")
    return report


def write_calibration(report: Mapping[str, Any], path: Path) -> int:
    rows = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(CALIBRATION_COLUMNS)
        for model_id, entry in report["models"].items():
            for band in entry["calibration"].get("bands", []):
                writer.writerow(
                    [
                        model_id,
                        f"{band['min_score']:g}",
                        f"{band['conversion_probability']:.6f}",
                        f"{report['horizon_days']:g}" if report["horizon_days"] else "",
                        entry["cutoffs"]["from"] or "",
                        entry["cutoffs"]["to"] or "",
                        band["observations"],
                        band["conversions"],
                    ]
                )
                rows += 1
    return rows


def summary_lines(report: Mapping[str, Any]) -> list[str]:
    lines = [
        f"backtest of {report['database']}: horizon {report['horizon_days']:g} days"
        if report["horizon_days"]
        else f"backtest of {report['database']}"
    ]
    for model_id, entry in report["models"].items():
        m = entry["current"]
        ci = m["auc_ci"] or (None, None)
        thr = m["at_threshold"]
        rec = m["recommendations"].get("for_precision") or {}
        top = m["gains"][0] if m["gains"] else {}
        lines.append(
            f"{model_id} ({entry['scope']}): {m['observations']} leads x cutoffs "
            f"({m['entities']} distinct, {m['cutoffs']} cutoffs), {m['conversions']} "
            f"conversions ({pct(m['conversion_rate'], 2)})"
        )
        lines.append(
            f"  AUC {num(m['auc'])} [{num(ci[0])}, {num(ci[1])}]  KS {num(m['ks']['ks'])}"
            f"  top-decile lift {num(top.get('lift'), 2)}"
            f"  at threshold {thr['threshold']:g}: precision {pct(thr['precision'])}"
            f" recall {pct(thr['recall'])} flagged {pct(thr['flagged_share'])}"
        )
        if rec:
            lines.append(
                f"  recommended threshold {rec['threshold']:g} for precision >= "
                f"{pct(m['target_precision'])}: precision {pct(rec['precision'])}, "
                f"recall {pct(rec['recall'])}, {num(rec.get('flagged_per_group'), 1)} leads "
                "per cutoff"
            )
        cap = m["recommendations"].get("for_capacity")
        if report["options"]["capacity"] and not cap:
            lines.append(
                f"  capacity {report['options']['capacity']:g} per cutoff: no threshold flags so "
                "few (more leads than that share the top score)"
            )
        if cap:
            lines.append(
                f"  capacity {report['options']['capacity']:g} per cutoff -> threshold "
                f"{cap['threshold']:g}: precision {pct(cap['precision'])}, recall "
                f"{pct(cap['recall'])}"
            )
        calibration = entry["calibration"]
        if calibration.get("bands"):
            oot = calibration.get("out_of_time") or {}
            lines.append(
                f"  calibration: {len(calibration['bands'])} bands, Brier "
                f"{num(calibration.get('brier_in_sample'), 4)} (base rate "
                f"{num(calibration.get('brier_base_rate'), 4)}); out of time "
                f"{num(oot.get('brier'), 4)} (base rate {num(oot.get('brier_base_rate'), 4)})"
            )
        for name, v in (entry.get("versions") or {}).items():
            vci = v["auc_ci"] or (None, None)
            vthr = v["at_threshold"]
            lines.append(
                f"  [{name}] AUC {num(v['auc'])} [{num(vci[0])}, {num(vci[1])}] "
                f"precision {pct(vthr['precision'])} recall {pct(vthr['recall'])} "
                f"flagged {pct(vthr['flagged_share'])} ({v['observations']} obs)"
            )
        lines.extend(f"  warning: {w}" for w in entry["warnings"])
    if report.get("compare_from"):
        lines.append(f"versions compared on cutoffs from {report['compare_from']} (held out)")
    return lines


# --------------------------------------------------------------------------- main


def parse_timestamp(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO-8601 date or time") from error
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Backtest lead scores against won deals (run dbt build first).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--database", type=Path, default=bd.DEFAULT_DATABASE)
    parser.add_argument("--schema", default="main", help="schema of the dbt marts")
    parser.add_argument(
        "--rules",
        action="append",
        default=None,
        metavar="NAME=PATH",
        help="a rule-set version (scoring_rules CSV) to compare with the built rules; "
        "repeatable (default: every seeds/scoring_rules_<name>.csv)",
    )
    parser.add_argument("--current-seed", type=Path, default=SEEDS / "scoring_rules.csv")
    parser.add_argument("--model", action="append", help="only these models (repeatable)")
    parser.add_argument("--cutoffs-from", type=parse_timestamp, help="first cutoff to use")
    parser.add_argument("--cutoffs-to", type=parse_timestamp, help="last cutoff to use")
    parser.add_argument(
        "--compare-from",
        type=parse_timestamp,
        help="compare versions on cutoffs from here (default: a tuned version's held-out start)",
    )
    parser.add_argument(
        "--target-precision",
        type=float,
        help="recommend the threshold with the most recall at this precision "
        "(default: 3 times the conversion rate)",
    )
    parser.add_argument(
        "--capacity", type=float, help="leads sales can work per cutoff period (threshold for it)"
    )
    parser.add_argument("--bootstrap", type=int, default=500, help="bootstrap resamples")
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    parser.add_argument("--output-dir", type=Path, default=Path("output/backtest"))
    parser.add_argument(
        "--write-calibration",
        type=Path,
        nargs="?",
        const=SEEDS / "score_calibration.csv",
        help="write the calibration bands as a score_calibration seed",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    options = Options(args.target_precision, args.capacity, args.bootstrap, args.seed)
    try:
        with bd.connect(args.database) as con:
            models = bd.select_models(bd.read_models(con, args.schema), args.model)
            built = bd.read_built_rules(con, args.schema)
            paths = (
                parse_rules_args(args.rules)
                if args.rules is not None
                else discover_rule_sets(args.current_seed)
            )
            versions = load_versions(paths, built)
            log(
                f"reading {args.database} ({len(models)} models, "
                f"versions: {', '.join(v.name for v in versions)})"
            )
            data = bd.read_backtest(con, models, args.schema, args.cutoffs_from, args.cutoffs_to)
            horizon = bd.horizon_days(con, args.schema)
    except bd.BacktestDataError as error:
        print(f"backtest: {error}", file=sys.stderr)
        return 2
    compare_from = comparison_start(versions, args.compare_from)
    report = build_report(
        args.database, args.schema, versions, built, data, horizon, compare_from, options
    )
    args.output_dir.mkdir(parents=True, exist_ok=True)
    metrics_path = args.output_dir / "metrics.json"
    metrics_path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    html_path = args.output_dir / "report.html"
    html_path.write_text(backtest_report.render(report), encoding="utf-8")
    for line in summary_lines(report):
        print(line)
    if args.write_calibration:
        rows = write_calibration(report, args.write_calibration)
        print(f"calibration: {rows} bands written to {args.write_calibration}")
    print(f"metrics: {metrics_path}")
    print(f"report:  {html_path.resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
