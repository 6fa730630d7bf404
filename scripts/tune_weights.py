#!/usr/bin/env python3
"""Learn rule points from won deals and propose them as a scoring_rules seed.

    python scripts/tune_weights.py [--database output/leadscore.duckdb] [--model ID ...]
        [--output seeds/scoring_rules_proposed.csv] [--holdout-cutoffs N]

For each scoring model: per-rule hit features at the training cutoffs (`hit_weight` from
backtest_rule_hits, so a candidate rule at 0 points can earn points), a regularised
logistic regression (penalty chosen out of time), converted into integer points per rule
that keep every rule in its group under the group caps (weight_tuning.py). Writes the
current scoring_rules seed with the proposed points (a rule-set version that
backtest.py compares; copy it over seeds/scoring_rules.csv to adopt it) and a JSON file
beside it with the split, the fit and the held-out metrics.

It evaluates current vs proposed on the last cutoffs, held out in time (never a random
split), prints the weight diff and the metric diff, and lists who would move in and out
of the qualified set at T. Run `dbt build` first; the database is read-only here.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import backtest_data as bd
import backtest_metrics as bm
import numpy as np
import weight_tuning as wt
from html_page import num, pct

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
MOVERS_SHOWN = 10


def log(message: str) -> None:
    print(f"[tune_weights] {message}", file=sys.stderr, flush=True)


@dataclass
class ModelTuning:
    model_id: str
    rules: list[bd.Rule]
    proposed: dict[str, float]
    report: dict[str, Any]


def feature_matrix(data: bd.ModelBacktest, rule_ids: Sequence[str]) -> np.ndarray:
    """hit_weight per observation (rows) and rule (columns); 0 where the rule did not hit."""
    column = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    features = np.zeros((data.size, len(rule_ids)))
    keep = np.fromiter((r in column for r in data.hit_rule), dtype=bool, count=len(data.hit_rule))
    columns = np.fromiter(
        (column[r] for r in data.hit_rule[keep]), dtype=np.int64, count=int(keep.sum())
    )
    np.add.at(features, (data.hit_observation[keep], columns), data.hit_weight[keep])
    return features


def summarise(
    scores: np.ndarray, labels: np.ndarray, data: bd.ModelBacktest, threshold: float
) -> dict[str, Any]:
    cutoffs = data.cutoff_at.astype(np.int64)
    gains = bm.gains_table(scores, labels)
    target = min(1.0, 3 * float(labels.mean())) if labels.any() else None
    return {
        "auc": bm.roc_auc(scores, labels),
        "auc_ci": bm.auc_confidence_interval(scores, labels, clusters=data.entity_id, n_boot=300),
        "ks": bm.ks_statistic(scores, labels)["ks"],
        "top_decile_lift": gains[0]["lift"] if gains else None,
        "at_threshold": bm.threshold_metrics(scores, labels, threshold, groups=cutoffs),
        "recommended": bm.recommend_thresholds(
            scores, labels, groups=cutoffs, target_precision=target
        )["for_precision"],
    }


def volume_matched_threshold(scores: np.ndarray, flagged_share: float) -> float:
    """The lowest observed score t with share(scores >= t) <= flagged_share."""
    for threshold in np.unique(scores):
        if np.mean(scores >= threshold) <= flagged_share:
            return float(threshold)
    return float(np.max(scores)) + 1.0 if len(scores) else 0.0


def tune_model(
    data: bd.ModelBacktest,
    built: Mapping[tuple[str, str], bd.Rule],
    horizon_days: float,
    holdout: int | None,
) -> ModelTuning:
    model = data.model
    rules = [
        rule
        for (m, _), rule in sorted(built.items())
        if m == model.model_id and rule.rule_type != "reset" and rule.group_id in model.groups
    ]
    rule_ids = [rule.rule_id for rule in rules]
    groups = bd.rule_groups_of(built, model.model_id)
    split = wt.time_split(list(np.unique(data.cutoff_at)), horizon_days, holdout)
    train_rows = np.isin(data.cutoff_at, split.train)
    train = data.subset(train_rows)
    test = data.subset(np.isin(data.cutoff_at, split.holdout))
    if not train.has_converted.any() or train.has_converted.all():
        raise ValueError(
            "the training cutoffs need both converted and unconverted leads to learn from "
            f"({int(train.has_converted.sum())} of {train.size} converted); widen the backtest"
        )
    features = feature_matrix(train, rule_ids)
    labels = train.has_converted
    evidence = (features != 0).any(axis=0)
    penalty, penalty_aucs = wt.choose_penalty(
        features[:, evidence], labels, train.cutoff_at, horizon_days
    )
    fit = wt.fit_logistic(features[:, evidence], labels, penalty)
    coefficients = np.zeros(len(rules))
    coefficients[evidence] = fit.coefficients
    caps = np.array([model.groups[rule.group_id].max_points for rule in rules], dtype=float)

    def points_map(points: np.ndarray) -> dict[str, float]:
        # Rules without evidence keep their current points.
        return {
            rule.rule_id: float(points[i]) if evidence[i] else rule.points
            for i, rule in enumerate(rules)
        }

    def score_with(points: np.ndarray, subset: bd.ModelBacktest = train) -> np.ndarray:
        return bd.rescore(
            model,
            subset.size,
            subset.hit_observation,
            subset.hit_rule,
            subset.hit_weight,
            points_map(points),
            groups,
        ).score

    current_flagged = float(np.mean(train.score >= model.qualified_threshold))
    scale = wt.base_scale(
        features @ coefficients, model.qualified_threshold, current_flagged, model.max_score
    )
    choice = wt.points_from_coefficients(
        coefficients,
        caps,
        model.max_score,
        score_with,
        labels,
        model.qualified_threshold,
        current_flagged,
        scale,
    )
    proposed = points_map(choice.points)
    proposed_test = score_with(choice.points, test)
    # The proposed threshold that flags as many training leads as the current rules do (at
    # most), so that sales volume stays comparable; chosen on training data only.
    volume_threshold = volume_matched_threshold(score_with(choice.points), current_flagged)
    hit_rate = (features != 0).mean(axis=0) if len(features) else np.zeros(len(rules))
    conversion_with_hit = [
        float(labels[features[:, i] != 0].mean()) if evidence[i] else None
        for i in range(len(rules))
    ]
    report: dict[str, Any] = {
        "split": {
            "train": [str(c) for c in split.train],
            "purged": [str(c) for c in split.purged],
            "holdout": [str(c) for c in split.holdout],
            "train_observations": train.size,
            "train_conversions": int(labels.sum()),
            "holdout_observations": test.size,
            "holdout_conversions": int(test.has_converted.sum()),
        },
        "penalty": penalty,
        "penalty_validation_auc": {str(k): v for k, v in penalty_aucs.items()},
        "converged": fit.converged,
        "largest_points": choice.largest_points,
        "scale_candidates": choice.candidates,
        "rules": [
            {
                "rule_id": rule.rule_id,
                "group_id": rule.group_id,
                "current": rule.points,
                "proposed": proposed[rule.rule_id],
                "coefficient": float(coefficients[i]),
                "hit_rate": float(hit_rate[i]),
                "conversion_rate_when_hit": conversion_with_hit[i],
                "evidence": bool(evidence[i]),
            }
            for i, rule in enumerate(rules)
        ],
        "holdout": {
            "current": summarise(test.score, test.has_converted, test, model.qualified_threshold),
            "proposed": summarise(
                proposed_test, test.has_converted, test, model.qualified_threshold
            ),
            "auc_difference": wt.paired_auc_difference(
                test.score, proposed_test, test.has_converted, test.entity_id
            ),
            "proposed_at_equal_volume": {
                "threshold": volume_threshold,
                **bm.threshold_metrics(
                    proposed_test,
                    test.has_converted,
                    volume_threshold,
                    groups=test.cutoff_at.astype(np.int64),
                ),
            },
        },
    }
    return ModelTuning(model.model_id, rules, proposed, report)


def movers(
    current: bd.CurrentScores, proposed: Mapping[str, float], groups: Mapping[str, str | None]
) -> list[dict[str, Any]]:
    """Entities at T that would enter or leave the qualified set under the proposed points."""
    scores = bd.rescore(
        current.model,
        len(current.entity_id),
        current.hit_entity,
        current.hit_rule,
        current.hit_weight,
        proposed,
        groups,
    ).score
    qualified = scores >= current.model.qualified_threshold
    changed = np.flatnonzero(qualified != current.is_qualified)
    rows = [
        {
            "model_id": current.model.model_id,
            "entity_id": current.entity_id[i],
            "owner_id": current.owner_id[i],
            "move": "in" if qualified[i] else "out",
            "current_score": float(current.score[i]),
            "proposed_score": float(scores[i]),
        }
        for i in changed
    ]
    return sorted(
        rows, key=lambda r: (-abs(r["proposed_score"] - r["current_score"]), r["entity_id"])
    )


def write_proposed(seed: Path, output: Path, proposed: Mapping[tuple[str, str], float]) -> None:
    header, rows = bd.read_rules_csv(seed)
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            key = ((row.get("model_id") or "").strip(), (row.get("rule_id") or "").strip())
            if key in proposed:
                row["points"] = f"{proposed[key]:g}"
            writer.writerow(row)


def check_seed_matches(seed: Path, built: Mapping[tuple[str, str], bd.Rule]) -> None:
    """The seed file on disk must be what the warehouse was built from."""
    rule_set = bd.load_rule_set("seed", seed, built)
    differing = [
        f"{m}.{r}: {points:g} in {seed.name}, {built[(m, r)].points:g} built"
        for (m, r), points in sorted(rule_set.points.items())
        if abs(points - built[(m, r)].points) > 1e-9
    ]
    if differing or rule_set.removed:
        details = differing + [f"{m}.{r}: not in {seed.name}" for m, r in rule_set.removed]
        raise bd.BacktestDataError(
            f"{seed} differs from the built warehouse ({'; '.join(details[:5])}); "
            "run dbt build first so the backtest reflects the seed"
        )


def print_model(tuning: ModelTuning, moved: Sequence[Mapping[str, Any]]) -> None:
    r = tuning.report
    split = r["split"]
    print(
        f"\n== {tuning.model_id}: trained on {len(split['train'])} cutoffs "
        f"({split['train'][0][:10]}..{split['train'][-1][:10]}, {split['train_observations']} "
        f"obs, {split['train_conversions']} conversions), held out {len(split['holdout'])} "
        f"({split['holdout'][0][:10]}..{split['holdout'][-1][:10]}, "
        f"{split['holdout_observations']} obs, {split['holdout_conversions']} conversions); "
        f"{len(split['purged'])} purged; penalty {r['penalty']:g}"
    )
    print(f"{'rule':<28} {'group':<20} {'current':>8} {'proposed':>9} {'change':>7}  note")
    for rule in r["rules"]:
        change = rule["proposed"] - rule["current"]
        note = "no hits in training: kept" if not rule["evidence"] else ""
        if rule["evidence"] and rule["current"] * rule["proposed"] < 0:
            note = "sign flipped"
        elif rule["evidence"] and rule["current"] == 0 and rule["proposed"] != 0:
            note = "candidate earns points"
        elif rule["evidence"] and rule["proposed"] == 0 and rule["current"] != 0:
            note = "dropped"
        print(
            f"{rule['rule_id']:<28.28} {rule['group_id'] or '':<20.20} {rule['current']:>8g} "
            f"{rule['proposed']:>9g} {change:>+7g}  {note}"
        )
    holdout = r["holdout"]
    print(f"held-out metrics        {'current':>22} {'proposed':>22}")
    for label, key in (("ROC AUC", "auc"), ("KS", "ks"), ("top-decile lift", "top_decile_lift")):
        cur, new = holdout["current"][key], holdout["proposed"][key]
        extra = ["", ""]
        if key == "auc":
            extra = [
                f" [{num(m['auc_ci'][0])}, {num(m['auc_ci'][1])}]" if m["auc_ci"] else ""
                for m in (holdout["current"], holdout["proposed"])
            ]
        print(f"{label:<22} {num(cur) + extra[0]:>24} {num(new) + extra[1]:>22}")
    diff = holdout["auc_difference"]
    print(
        f"AUC proposed - current: {num(diff['difference'])} "
        f"[{num(diff['low'])}, {num(diff['high'])}] (paired bootstrap over leads)"
    )
    for key in ("precision", "recall", "flagged_share"):
        print(
            f"{key + ' at threshold':<22} {pct(holdout['current']['at_threshold'][key]):>24} "
            f"{pct(holdout['proposed']['at_threshold'][key]):>22}"
        )
    equal = holdout["proposed_at_equal_volume"]
    print(
        f"proposed at threshold {equal['threshold']:g} (as many leads flagged in training as "
        f"now): precision {pct(equal['precision'])}, recall {pct(equal['recall'])}, "
        f"flagged {pct(equal['flagged_share'])}"
    )
    ins = [m for m in moved if m["move"] == "in"]
    outs = [m for m in moved if m["move"] == "out"]
    print(f"at T: {len(ins)} would become qualified, {len(outs)} would stop being qualified")
    for m in (ins[:MOVERS_SHOWN], outs[:MOVERS_SHOWN]):
        for row in m:
            print(
                f"  {row['move']:<3} {row['entity_id']} (owner {row['owner_id'] or '-'}): "
                f"{row['current_score']:g} -> {row['proposed_score']:g}"
            )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Learn rule points from won deals (run dbt build first).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--database", type=Path, default=bd.DEFAULT_DATABASE)
    parser.add_argument("--schema", default="main")
    parser.add_argument("--model", action="append", help="only these models (default: all)")
    parser.add_argument(
        "--seed-file", type=Path, default=SEEDS / "scoring_rules.csv", help="the current rules"
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=SEEDS / "scoring_rules_proposed.csv",
        help="the proposed rules (<name>.json, the tuning report, and <name>.movers.csv, "
        "who would enter or leave the qualified set, are written beside it)",
    )
    parser.add_argument(
        "--holdout-cutoffs", type=int, help="latest cutoffs held out (default: a third)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        with bd.connect(args.database) as con:
            models = bd.select_models(bd.read_models(con, args.schema), args.model)
            built = bd.read_built_rules(con, args.schema)
            check_seed_matches(args.seed_file, built)
            log(f"reading the backtest of {args.database}")
            data = bd.read_backtest(con, models, args.schema)
            current = bd.read_current(con, models, args.schema)
            horizon = bd.horizon_days(con, args.schema)
    except bd.BacktestDataError as error:
        print(f"tune_weights: {error}", file=sys.stderr)
        return 2
    if horizon is None:
        print("tune_weights: backtest_observations is empty", file=sys.stderr)
        return 2
    proposed: dict[tuple[str, str], float] = {}
    report: dict[str, Any] = {"database": str(args.database), "models": {}}
    all_movers: list[dict[str, Any]] = []
    holdout_starts = []
    for model_id, model_data in data.items():
        log(f"{model_id}: fitting on {model_data.size} observations")
        try:
            tuning = tune_model(model_data, built, float(horizon), args.holdout_cutoffs)
        except ValueError as error:
            print(f"tune_weights: {model_id}: {error}; its points stay as they are")
            report["models"][model_id] = {"skipped": str(error)}
            continue
        proposed.update({(model_id, r): p for r, p in tuning.proposed.items()})
        moved = movers(current[model_id], tuning.proposed, bd.rule_groups_of(built, model_id))
        all_movers.extend(moved)
        tuning.report["movers"] = {
            "in": sum(m["move"] == "in" for m in moved),
            "out": sum(m["move"] == "out" for m in moved),
        }
        report["models"][model_id] = tuning.report
        holdout_starts.append(tuning.report["split"]["holdout"][0])
        print_model(tuning, moved)
    if not holdout_starts:
        print("tune_weights: no model could be tuned", file=sys.stderr)
        return 2
    report["holdout_from"] = max(holdout_starts)[:19]
    write_proposed(args.seed_file, args.output, proposed)
    args.output.with_suffix(".json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    movers_path = args.output.with_name(args.output.stem + ".movers.csv")
    with movers_path.open("w", newline="", encoding="utf-8") as handle:
        fields = ["model_id", "entity_id", "owner_id", "move", "current_score", "proposed_score"]
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(all_movers)
    print(f"\nproposed rules: {args.output}")
    print(f"tuning report:  {args.output.with_suffix('.json')}")
    print(f"movers at T:    {movers_path}")
    print(
        "compare them: python scripts/backtest.py --rules "
        f"proposed={args.output}  (held-out cutoffs from {report['holdout_from']})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
