"""backtest_data and backtest.py without dbt: re-scoring, rule-set versions, calibration."""

from __future__ import annotations

import csv
from pathlib import Path

import backtest
import backtest_data as bd
import numpy as np
import pytest


def model() -> bd.ModelConfig:
    config = bd.ModelConfig("m", "contact", max_score=100, qualified_threshold=50)
    config.groups = {
        "fit": bd.Group("fit", "fit", 30),
        "web": bd.Group("web", "engagement", 50),
        "mail": bd.Group("mail", "engagement", 20),
    }
    config.tiers = {"score": [(0.0, "low"), (40.0, "medium"), (75.0, "high")]}
    return config


GROUPS = {
    "title": "fit", "free": "fit", "pricing": "web", "burst": "web", "bounce": "mail", "one": "web",
}  # fmt: skip
POINTS = {
    "title": 20.0, "free": -10.0, "pricing": 10.0, "burst": 20.0, "bounce": -10.0, "one": 1.0,
}  # fmt: skip


def test_rescore_sums_caps_clamps_and_rounds_like_the_warehouse() -> None:
    # Entity 0: title 20 + free -10 = fit 10; pricing 10 * 4.5 = 45 + burst 20 = 65 -> web cap
    #   50; score 60, fit 10, engagement 50.
    # Entity 1: free -10 (fit -10, clamped to 0); bounce -10 -> engagement -10 -> 0;
    #   score clamp(-20) = 0.
    # Entity 2: title 20; pricing 10 * 0.12345 = 1.2345 -> score 21.2345 -> 21.23;
    #   engagement 1.2345 -> 1.23.
    # Entity 3: no hits -> 0.
    # Entity 4: one 1 * 1.125 (exact in binary) -> 1.13, half away from zero (half to
    #   even would give 1.12).
    hit_entity = np.array([0, 0, 0, 0, 1, 1, 2, 2, 4])
    hit_rule = np.array(
        ["title", "free", "pricing", "burst", "free", "bounce", "title", "pricing", "one"],
        dtype=object,
    )
    hit_weight = np.array([1, 1, 4.5, 1, 1, 1, 1, 0.12345, 1.125])
    scores = bd.rescore(model(), 5, hit_entity, hit_rule, hit_weight, POINTS, GROUPS)
    assert scores.score.tolist() == [60.0, 0.0, 21.23, 0.0, 1.13]
    assert scores.fit_score.tolist() == [10.0, 0.0, 20.0, 0.0, 0.0]
    assert scores.engagement_score.tolist() == [50.0, 0.0, 1.23, 0.0, 1.13]


def test_rescore_clamps_at_max_score_and_reweights_candidates() -> None:
    config = model()
    config.max_score = 40
    hit_entity = np.array([0, 0, 1])
    hit_rule = np.array(["title", "pricing", "candidate"], dtype=object)
    hit_weight = np.array([1.0, 3.0, 2.0])
    points = {**POINTS, "candidate": 0.0}
    groups = {**GROUPS, "candidate": "web"}
    before = bd.rescore(config, 2, hit_entity, hit_rule, hit_weight, points, groups)
    assert before.score.tolist() == [40.0, 0.0]  # 20 + 30 = 50, clamped to 40
    after = bd.rescore(
        config, 2, hit_entity, hit_rule, hit_weight, {**points, "candidate": 7}, groups
    )
    assert after.score.tolist() == [40.0, 14.0]  # the candidate earns 7 * 2


def test_tiers_use_the_largest_min_score_at_or_below() -> None:
    tiers = model().tier_of("score", np.array([0.0, 39.99, 40.0, 80.0, -1.0]))
    assert tiers.tolist() == ["low", "low", "medium", "high", None]


def write_rules(path: Path, rows: list[dict[str, str]]) -> Path:
    columns = [
        "model_id", "rule_id", "group_id", "description", "rule_type", "field", "event_type",
        "operator", "value", "points", "max_count", "window_days", "decay", "decay_days",
        "decay_factor", "min_events", "within_days",
    ]  # fmt: skip
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})
    return path


BUILT_ROWS = [
    {"model_id": "m", "rule_id": "pricing", "group_id": "web", "rule_type": "event",
     "field": "event.url", "event_type": "page_view", "operator": "contains",
     "value": "/pricing", "points": "10", "max_count": "5", "decay": "step",
     "decay_days": "182", "decay_factor": "0.5"},
    {"model_id": "m", "rule_id": "title", "group_id": "fit", "rule_type": "attribute",
     "field": "contact.job_title", "operator": "contains", "value": "vp|director",
     "points": "20"},
]  # fmt: skip


def built_rules() -> dict[tuple[str, str], bd.Rule]:
    return {
        (row["model_id"], row["rule_id"]): bd._rule_from_row(row, "built") for row in BUILT_ROWS
    }


def test_a_rule_set_may_change_points_and_drop_rules(tmp_path: Path) -> None:
    rows = [dict(BUILT_ROWS[0], points="25", max_count="5.0", event_type=" Page_View ")]
    rule_set = bd.load_rule_set("v2", write_rules(tmp_path / "v2.csv", rows), built_rules())
    assert rule_set.points == {("m", "pricing"): 25.0, ("m", "title"): 0.0}
    assert rule_set.removed == [("m", "title")]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"operator": "equals"}, "operator differ(s) from the built rule; only points may change"),
        ({"window_days": "30"}, "window_days differ(s)"),
        ({"group_id": "mail"}, "group_id differ(s)"),
        ({"rule_id": "brand_new"}, "not a rule of the built warehouse"),
        ({"points": "ten"}, "points 'ten' is not a number"),
    ],
)
def test_a_rule_set_cannot_change_definitions(
    tmp_path: Path, change: dict[str, str], message: str
) -> None:
    path = write_rules(tmp_path / "bad.csv", [dict(BUILT_ROWS[0], **change), BUILT_ROWS[1]])
    with pytest.raises(bd.BacktestDataError) as error:
        bd.load_rule_set("bad", path, built_rules())
    assert message in str(error.value)
    assert "bad.csv, line 2" in str(error.value)


def test_a_file_that_is_not_a_rule_set_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "movers.csv"
    path.write_text("model_id,entity_id\nm,c1\n")
    with pytest.raises(bd.BacktestDataError, match="not a scoring_rules file"):
        bd.load_rule_set("movers", path, built_rules())


def test_discovery_finds_versions_next_to_the_seed_but_not_their_side_files(
    tmp_path: Path,
) -> None:
    seed = write_rules(tmp_path / "scoring_rules.csv", BUILT_ROWS)
    write_rules(tmp_path / "scoring_rules_proposed.csv", BUILT_ROWS)
    (tmp_path / "scoring_rules_proposed.movers.csv").write_text("x\n")
    (tmp_path / "scoring_rules_proposed.json").write_text("{}")
    assert backtest.discover_rule_sets(seed) == {
        "proposed": tmp_path / "scoring_rules_proposed.csv"
    }


def test_parse_rules_args_requires_distinct_names() -> None:
    assert backtest.parse_rules_args(["a=x.csv", "b = y.csv"]) == {
        "a": Path("x.csv"),
        "b": Path("y.csv"),
    }
    for bad in (["x.csv"], ["current=x.csv"], ["a=x.csv", "a=y.csv"], ["=x.csv"]):
        with pytest.raises(bd.BacktestDataError):
            backtest.parse_rules_args(bad)


def test_calibration_is_non_decreasing_merged_and_predicts_like_the_marts() -> None:
    # Bands of 10 points. Observed rates: 0-10: 1/100, 10-20: 0/50 (a dip: pooled with
    # 0-10 -> 1/150), 20-30: 5/50 = 0.1, 90-100: 3/10 = 0.3. Empty bands are skipped.
    scores = np.concatenate(
        [np.full(100, 5.0), np.full(50, 15.0), np.full(50, 25.0), np.full(10, 100.0)]
    )
    labels = np.zeros(len(scores), dtype=bool)
    labels[0] = True
    labels[150:155] = True
    labels[200:203] = True
    bands = backtest.fit_calibration(scores, labels, 100)
    assert [b["min_score"] for b in bands] == [0.0, 20.0, 90.0]
    assert [round(b["conversion_probability"], 6) for b in bands] == [
        round(1 / 150, 6), 0.1, 0.3,
    ]  # fmt: skip
    assert [b["observations"] for b in bands] == [150, 50, 10]
    assert [b["conversions"] for b in bands] == [1, 5, 3]
    predicted = backtest.predict_calibration(bands, np.array([0.0, 19.99, 20.0, 89.0, 100.0]))
    assert predicted.tolist() == pytest.approx([1 / 150, 1 / 150, 0.1, 0.1, 0.3])


def test_calibration_report_scores_out_of_time() -> None:
    rng = np.random.default_rng(0)
    scores = rng.integers(0, 101, 3000).astype(float)
    labels = rng.random(3000) < scores / 400
    cutoffs = np.array(["2026-01-01", "2026-02-01", "2026-03-01"], dtype="datetime64[us]")[
        np.arange(3000) % 3
    ]
    report = backtest.calibration_report(scores, labels, cutoffs, 100)
    assert report["brier_in_sample"] < report["brier_base_rate"]
    oot = report["out_of_time"]
    assert oot["fitted_before"] == "2026-03-01T00:00:00"
    assert oot["observations"] == 1000
    assert oot["brier"] < oot["brier_base_rate"]


def test_select_models_names_unknown_models() -> None:
    models = {"m": model()}
    assert bd.select_models(models, None) == models
    assert bd.select_models(models, ["m"]) == models
    with pytest.raises(
        bd.BacktestDataError, match=r"--model ghost: not a model of the warehouse \(m\)"
    ):
        bd.select_models(models, ["m", "ghost"])
