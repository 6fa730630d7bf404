"""Backtest metrics proven against independent computations.

Each metric is checked on a small example worked out by hand (the arithmetic is in the
comments) and against a brute-force implementation written here from the definition
(O(n^2) pair counts, every threshold tried, every order of tied rows enumerated, ...) on
seeded random inputs with heavy ties.
"""

from __future__ import annotations

import itertools
import json
import math
import time
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from backtest_metrics import (
    auc_confidence_interval,
    brier_score,
    calibration_table,
    gains_table,
    isotonic_predict,
    isotonic_regression,
    ks_statistic,
    log_loss,
    rate_by_group,
    recommend_thresholds,
    roc_auc,
    roc_curve,
    threshold_curve,
    threshold_metrics,
)

# --- independent reference implementations ---------------------------------------------------


def brute_auc(scores: Sequence[float], labels: Sequence[int]) -> float | None:
    """Count every (positive, negative) pair: 1 if the positive scores higher, 1/2 if tied."""
    positives = [s for s, y in zip(scores, labels, strict=True) if y]
    negatives = [s for s, y in zip(scores, labels, strict=True) if not y]
    if not positives or not negatives:
        return None
    wins = sum(
        Fraction(1) if p > q else Fraction(1, 2) if p == q else Fraction(0)
        for p in positives
        for q in negatives
    )
    return float(wins / (len(positives) * len(negatives)))


def brute_counts(scores: Sequence[float], labels: Sequence[int], t: float) -> tuple[int, int]:
    """(flagged, true positives) when flagging score >= t."""
    flagged = [y for s, y in zip(scores, labels, strict=True) if s >= t]
    return len(flagged), sum(flagged)


def brute_ks(scores: Sequence[float], labels: Sequence[int]) -> tuple[Fraction, float]:
    """Exact max of TPR - FPR over every distinct score, and the highest t achieving it."""
    positives = sum(labels)
    negatives = len(labels) - positives
    best: tuple[Fraction, float] | None = None
    for t in sorted(set(scores), reverse=True):
        flagged, tp = brute_counts(scores, labels, t)
        gap = Fraction(tp, positives) - Fraction(flagged - tp, negatives)
        if best is None or gap > best[0]:
            best = (gap, t)
    assert best is not None
    return best


def brute_gains(
    scores: Sequence[float], labels: Sequence[int], n_bins: int
) -> list[tuple[Fraction, Fraction, float, float]]:
    """(leads, conversions, min, max) per bin, averaged over EVERY ordering of tied rows.

    The row at rank position p occupies [p, p+1) and belongs to bin k in proportion to the
    overlap with [n(k-1)/n_bins, nk/n_bins).
    """
    n = len(scores)
    tie_groups = [
        [i for i in range(n) if scores[i] == value] for value in sorted(set(scores), reverse=True)
    ]
    edges = [Fraction(n * k, n_bins) for k in range(n_bins + 1)]
    leads = [Fraction(0)] * n_bins
    conversions = [Fraction(0)] * n_bins
    present: list[set[float]] = [set() for _ in range(n_bins)]
    orderings = 0
    for blocks in itertools.product(*(itertools.permutations(g) for g in tie_groups)):
        orderings += 1
        for position, row in enumerate(itertools.chain.from_iterable(blocks)):
            for k in range(n_bins):
                overlap = min(position + 1, edges[k + 1]) - max(position, edges[k])
                if overlap > 0:
                    leads[k] += overlap
                    conversions[k] += overlap * labels[row]
                    present[k].add(scores[row])
    return [
        (leads[k] / orderings, conversions[k] / orderings, min(present[k]), max(present[k]))
        for k in range(n_bins)
    ]


def brute_isotonic(values: Sequence[float], weights: Sequence[float]) -> list[float]:
    """fitted_i = max_{j<=i} min_{k>=i} weighted_mean(values[j..k]) (min-max formula)."""
    n = len(values)

    def mean(j: int, k: int) -> float:
        return sum(v * w for v, w in zip(values[j : k + 1], weights[j : k + 1], strict=True)) / sum(
            weights[j : k + 1]
        )

    return [max(min(mean(j, k) for k in range(i, n)) for j in range(i + 1)) for i in range(n)]


def pool_equal_x(
    x: Sequence[float], y: Sequence[float], w: Sequence[float]
) -> tuple[list[float], list[float], list[float]]:
    """Distinct x ascending with the weighted mean y and total weight at each (plain dicts)."""
    sums: dict[float, float] = {}
    totals: dict[float, float] = {}
    for xi, yi, wi in zip(x, y, w, strict=True):
        sums[xi] = sums.get(xi, 0.0) + yi * wi
        totals[xi] = totals.get(xi, 0.0) + wi
    keys = sorted(sums)
    return keys, [sums[k] / totals[k] for k in keys], [totals[k] for k in keys]


def tied_sample(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Lead-like scores: multiples of 5 in 0..100, many zeros; labels more likely when high."""
    scores = rng.integers(0, 21, n) * 5.0
    scores[rng.random(n) < 0.3] = 0.0
    labels = rng.random(n) < 0.1 + scores / 150
    return scores, labels


def interval_width(interval: tuple[float, float] | None) -> float:
    assert interval is not None
    return interval[1] - interval[0]


# --- ROC AUC ----------------------------------------------------------------------------------

# Scores 80, 60, 60, 40, 20 with labels 1, 1, 0, 0, 1: positives {80, 60, 20}, negatives
# {60, 40}. Pairs: (80,60)=1 (80,40)=1 (60,60)=1/2 (60,40)=1 (20,60)=0 (20,40)=0
# -> 3.5 wins / 6 pairs = 7/12.
HAND_SCORES = np.array([80.0, 60.0, 60.0, 40.0, 20.0])
HAND_LABELS = np.array([1, 1, 0, 0, 1])


def test_auc_hand_worked() -> None:
    assert roc_auc(HAND_SCORES, HAND_LABELS) == pytest.approx(7 / 12, abs=1e-12)
    assert brute_auc(HAND_SCORES.tolist(), HAND_LABELS.tolist()) == pytest.approx(7 / 12)


def test_auc_hand_worked_weighted() -> None:
    # Weights 2, 1, 1, 3, 1. Positive weights: 80->2, 60->1, 20->1 (total 4); negative weights
    # 60->1, 40->3 (total 4). Weighted wins: 80 beats both negatives: 2*(1+3)=8; 60 ties 60:
    # 1*1*1/2=0.5 and beats 40: 1*3=3; 20 beats nothing. (8+0.5+3)/(4*4) = 11.5/16.
    weights = np.array([2.0, 1.0, 1.0, 3.0, 1.0])
    assert roc_auc(HAND_SCORES, HAND_LABELS, weights) == pytest.approx(11.5 / 16, abs=1e-12)


@pytest.mark.parametrize("seed", range(12))
def test_auc_matches_brute_force_with_heavy_ties(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 80))
    scores = rng.integers(0, 4, n) * 5.0  # only 4 distinct values: heavy ties
    labels = rng.random(n) < 0.4
    expected = brute_auc(scores.tolist(), labels.astype(int).tolist())
    actual = roc_auc(scores, labels)
    if expected is None:
        assert actual is None
    else:
        assert actual == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("seed", range(12))
def test_weighted_auc_equals_auc_of_rows_repeated_by_weight(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(2, 50))
    scores = rng.integers(0, 6, n) * 5.0
    labels = rng.random(n) < 0.5
    weights = rng.integers(0, 4, n)  # includes zero weights (= row removed)
    expanded = brute_auc(np.repeat(scores, weights).tolist(), np.repeat(labels, weights).tolist())
    actual = roc_auc(scores, labels, weights.astype(float))
    if expanded is None:
        assert actual is None
    else:
        assert actual == pytest.approx(expanded, abs=1e-12)


def test_auc_undefined_cases_are_none() -> None:
    assert roc_auc([], []) is None
    assert roc_auc([10.0, 20.0], [1, 1]) is None
    assert roc_auc([10.0, 20.0], [0, 0]) is None
    # the only positive has weight 0
    assert roc_auc([10.0, 20.0, 30.0], [1, 0, 0], weights=[0.0, 1.0, 1.0]) is None


def test_auc_all_same_score_is_one_half() -> None:
    assert roc_auc(np.full(7, 15.0), [1, 0, 0, 1, 0, 0, 0]) == pytest.approx(0.5)


def test_auc_perfect_and_reversed_ranking() -> None:
    assert roc_auc([90.0, 80.0, 10.0, 0.0], [1, 1, 0, 0]) == 1.0
    assert roc_auc([90.0, 80.0, 10.0, 0.0], [0, 0, 1, 1]) == 0.0


# --- ROC curve --------------------------------------------------------------------------------


def test_roc_curve_hand_worked() -> None:
    # Same data; P=3, N=2. Thresholds (flag score >= t):
    #   +inf: TP 0 FP 0 -> (0, 0)      80: TP 1 FP 0 -> (0, 1/3)
    #   60:   TP 2 FP 1 -> (1/2, 2/3)  40: TP 2 FP 2 -> (1, 2/3)   20: TP 3 FP 2 -> (1, 1)
    curve = roc_curve(HAND_SCORES, HAND_LABELS)
    assert curve["thresholds"] == [None, 80.0, 60.0, 40.0, 20.0]
    assert curve["fpr"] == pytest.approx([0, 0, 1 / 2, 1, 1])
    assert curve["tpr"] == pytest.approx([0, 1 / 3, 2 / 3, 2 / 3, 1])
    # Trapezoids: 0.5*(1/3+2/3)/2 + 0.5*(2/3+2/3)/2 = 1/4 + 1/3 = 7/12 = the AUC.
    assert np.trapezoid(curve["tpr"], curve["fpr"]) == pytest.approx(7 / 12)


@pytest.mark.parametrize("seed", range(8))
def test_roc_curve_area_equals_auc(seed: int) -> None:
    rng = np.random.default_rng(200 + seed)
    scores, labels = tied_sample(rng, int(rng.integers(5, 300)))
    labels[:2] = [True, False]  # both classes present
    curve = roc_curve(scores, labels)
    assert curve["fpr"][0] == 0 and curve["tpr"][0] == 0
    assert curve["fpr"][-1] == 1 and curve["tpr"][-1] == 1
    thresholds = curve["thresholds"][1:]
    assert thresholds == sorted(set(scores.tolist()), reverse=True)
    assert np.all(np.diff(curve["fpr"]) >= 0) and np.all(np.diff(curve["tpr"]) >= 0)
    area = np.trapezoid(curve["tpr"], curve["fpr"])
    assert area == pytest.approx(roc_auc(scores, labels), abs=1e-12)


def test_roc_curve_single_class_has_undefined_rate() -> None:
    curve = roc_curve([10.0, 20.0], [1, 1])
    assert curve["tpr"] == [0.0, 0.5, 1.0]
    assert curve["fpr"] == [None, None, None]


# --- bootstrap interval -----------------------------------------------------------------------


def test_bootstrap_interval_contains_point_auc_and_is_deterministic() -> None:
    scores, labels = tied_sample(np.random.default_rng(7), 300)
    point = roc_auc(scores, labels)
    interval = auc_confidence_interval(scores, labels, n_boot=300, seed=3)
    assert interval is not None
    assert interval[0] < point < interval[1]
    assert 0.01 < interval_width(interval) < 0.3
    assert auc_confidence_interval(scores, labels, n_boot=300, seed=3) == interval
    assert auc_confidence_interval(scores, labels, n_boot=300, seed=4) != interval


def test_bootstrap_resamples_clusters_not_rows() -> None:
    # Every lead duplicated 10x: the rows are not independent. Resampling clusters should give
    # an interval about sqrt(10) ~ 3.2 times wider than pretending the 10x rows are independent.
    scores, labels = tied_sample(np.random.default_rng(8), 80)
    repeated_scores = np.repeat(scores, 10)
    repeated_labels = np.repeat(labels, 10)
    lead_ids = np.repeat([f"lead-{i}" for i in range(80)], 10)
    clustered = auc_confidence_interval(repeated_scores, repeated_labels, lead_ids, n_boot=400)
    naive = auc_confidence_interval(repeated_scores, repeated_labels, n_boot=400)
    original = auc_confidence_interval(scores, labels, n_boot=400)
    assert interval_width(clustered) > 2 * interval_width(naive)
    # resampling the 80 clusters behaves like resampling the 80 original leads
    assert interval_width(clustered) == pytest.approx(interval_width(original), rel=0.35)


def test_bootstrap_cluster_weights_exact_distribution() -> None:
    # Cluster a: positive at 10, negative at 0. Cluster b: positive at 0, negative at 10.
    # Draw (a, a): AUC 1. Draw (b, b): AUC 0. Draw (a, b): pairs (10,0)=1 (10,10)=1/2
    # (0,0)=1/2 (0,10)=0 -> 1/2. Probabilities 1/4, 1/4, 1/2, so the 40% interval (quantiles
    # 0.3 and 0.7) is exactly (0.5, 0.5) and the 95% interval is (0, 1).
    scores = [10.0, 0.0, 0.0, 10.0]
    labels = [1, 0, 1, 0]
    clusters = ["a", "a", "b", "b"]
    assert auc_confidence_interval(scores, labels, clusters, n_boot=2000, level=0.4) == (0.5, 0.5)
    assert auc_confidence_interval(scores, labels, clusters, n_boot=2000) == (0.0, 1.0)


def test_bootstrap_interval_narrows_with_more_data() -> None:
    small = auc_confidence_interval(*tied_sample(np.random.default_rng(9), 100), n_boot=300)
    large = auc_confidence_interval(*tied_sample(np.random.default_rng(9), 3000), n_boot=300)
    assert interval_width(large) < interval_width(small) / 2


def test_bootstrap_undefined_and_invalid() -> None:
    assert auc_confidence_interval([], []) is None
    assert auc_confidence_interval([1.0, 2.0], [1, 1]) is None
    with pytest.raises(ValueError, match="level"):
        auc_confidence_interval([1.0, 2.0], [1, 0], level=1.5)
    with pytest.raises(ValueError, match="clusters"):
        auc_confidence_interval([1.0, 2.0], [1, 0], clusters=["a"])


def test_bootstrap_is_fast_on_a_large_backtest() -> None:
    rng = np.random.default_rng(10)
    scores, labels = tied_sample(rng, 200_000)
    leads = rng.integers(0, 50_000, scores.size)
    start = time.perf_counter()
    interval = auc_confidence_interval(scores, labels, leads, n_boot=500)
    assert time.perf_counter() - start < 10  # a per-row Python loop would take minutes
    assert interval is not None and interval[0] < roc_auc(scores, labels) < interval[1]


# --- KS ---------------------------------------------------------------------------------------


def test_ks_hand_worked() -> None:
    # P=3, N=2. TPR-FPR: 80: 1/3-0=1/3; 60: 2/3-1/2=1/6; 40: 2/3-1=-1/3; 20: 1-1=0.
    assert ks_statistic(HAND_SCORES, HAND_LABELS) == pytest.approx({"ks": 1 / 3, "threshold": 80})


def test_ks_tie_takes_highest_threshold() -> None:
    # P=N=2. 4: 1/2-0=1/2; 3: 1/2-1/2=0; 2: 1-1/2=1/2; 1: 0. Tie at 1/2 -> threshold 4.
    assert ks_statistic([4.0, 3.0, 2.0, 1.0], [1, 0, 1, 0]) == {"ks": 0.5, "threshold": 4.0}


@pytest.mark.parametrize("seed", range(12))
def test_ks_matches_brute_force(seed: int) -> None:
    rng = np.random.default_rng(300 + seed)
    n = int(rng.integers(2, 60))
    scores = rng.integers(0, 5, n) * 10.0
    labels = (rng.random(n) < 0.5).astype(int)
    labels[:2] = [1, 0]
    expected_ks, expected_threshold = brute_ks(scores.tolist(), labels.tolist())
    result = ks_statistic(scores, labels)
    assert result["ks"] == pytest.approx(float(expected_ks), abs=1e-12)
    assert result["threshold"] == expected_threshold


def test_ks_undefined() -> None:
    assert ks_statistic([], []) == {"ks": None, "threshold": None}
    assert ks_statistic([1.0, 2.0], [0, 0]) == {"ks": None, "threshold": None}


# --- gains / lift -----------------------------------------------------------------------------

# 10 leads, 4 bins of 2.5 leads; boundaries at ranks 2.5, 5 and 7.5. Ranked:
#   rank 0: 95 (1)   rank 1: 90 (0)   ranks 2-4: 80 x3 (1, 1, 0)   ranks 5-8: 50 x4 (1, 1, 0, 0)
#   rank 9: 10 (0).  P = 5, overall rate 1/2.
# The 80 group [2, 5) straddles 2.5: 0.5 lead in bin 1, 2.5 in bin 2, at 2/3 conversions each.
# The 50 group [5, 9) straddles 7.5: 2.5 leads in bin 3, 1.5 in bin 4, at 1/2 conversion each.
#   bin 1: 1 + 0 + 0.5*2/3 = 4/3 conv, rate (4/3)/2.5 = 8/15, lift 16/15, cum share 4/15
#   bin 2: 2.5*2/3 = 5/3, rate 2/3, lift 4/3, cum conv 3 -> 3/5, cum lift 0.6/0.5 = 1.2
#   bin 3: 2.5*1/2 = 1.25, rate 1/2, lift 1, cum 4.25 -> 0.85, cum lift 0.85/0.75 = 17/15
#   bin 4: 1.5*1/2 + 0 = 0.75, rate 0.3, lift 0.6, cum 5 -> 1, cum lift 1
GAINS_SCORES = np.array([95.0, 90, 80, 80, 80, 50, 50, 50, 50, 10])
GAINS_LABELS = np.array([1, 0, 1, 1, 0, 1, 1, 0, 0, 0])
GAINS_EXPECTED = [
    # bin, conversions, rate, lift, cum leads share, cum conv share, cum lift, min, max
    (1, 4 / 3, 8 / 15, 16 / 15, 0.25, 4 / 15, 16 / 15, 80, 95),
    (2, 5 / 3, 2 / 3, 4 / 3, 0.50, 3 / 5, 6 / 5, 80, 80),
    (3, 5 / 4, 1 / 2, 1, 0.75, 17 / 20, 17 / 15, 50, 50),
    (4, 3 / 4, 3 / 10, 3 / 5, 1.00, 1, 1, 10, 50),
]


def test_gains_hand_worked_with_straddling_ties() -> None:
    table = gains_table(GAINS_SCORES, GAINS_LABELS, n_bins=4)
    assert len(table) == 4
    for row, (k, conv, rate, lift, lead_share, conv_share, cum_lift, low, high) in zip(
        table, GAINS_EXPECTED, strict=True
    ):
        assert row["bin"] == k
        assert row["leads"] == pytest.approx(2.5)
        assert row["conversions"] == pytest.approx(conv)
        assert row["conversion_rate"] == pytest.approx(rate)
        assert row["lift"] == pytest.approx(lift)
        assert row["cumulative_leads_share"] == pytest.approx(lead_share)
        assert row["cumulative_conversions_share"] == pytest.approx(conv_share)
        assert row["cumulative_lift"] == pytest.approx(cum_lift)
        assert (row["min_score"], row["max_score"]) == (low, high)
    assert table[-1]["cumulative_conversions_share"] == 1.0


def test_gains_independent_of_row_order() -> None:
    rng = np.random.default_rng(11)
    scores, labels = tied_sample(rng, 137)
    expected = gains_table(scores, labels, n_bins=10)
    for _ in range(5):
        order = rng.permutation(scores.size)
        shuffled = gains_table(scores[order], labels[order], n_bins=10)
        for row, other in zip(expected, shuffled, strict=True):
            assert row == pytest.approx(other, abs=1e-12)


@pytest.mark.parametrize("seed", range(15))
def test_gains_equal_expectation_over_every_tie_order(seed: int) -> None:
    rng = np.random.default_rng(400 + seed)
    n = int(rng.integers(1, 7))
    n_bins = int(rng.integers(1, 5))
    scores = (rng.integers(0, 3, n) * 5.0).tolist()
    labels = (rng.random(n) < 0.5).astype(int).tolist()
    table = gains_table(np.array(scores), np.array(labels), n_bins=n_bins)
    for row, (leads, conversions, low, high) in zip(
        table, brute_gains(scores, labels, n_bins), strict=True
    ):
        assert row["leads"] == pytest.approx(float(leads), abs=1e-12)
        assert row["conversions"] == pytest.approx(float(conversions), abs=1e-12)
        assert (row["min_score"], row["max_score"]) == (low, high)


@pytest.mark.parametrize("seed", range(6))
def test_gains_totals_and_lift_definitions(seed: int) -> None:
    rng = np.random.default_rng(500 + seed)
    scores, labels = tied_sample(rng, int(rng.integers(20, 400)))
    n_bins = int(rng.integers(2, 12))
    table = gains_table(scores, labels, n_bins=n_bins)
    overall = labels.mean()
    assert sum(r["leads"] for r in table) == pytest.approx(scores.size)
    assert sum(r["conversions"] for r in table) == pytest.approx(labels.sum())
    assert table[-1]["cumulative_leads_share"] == 1.0
    assert table[-1]["cumulative_conversions_share"] == 1.0
    cumulative = 0.0
    for k, row in enumerate(table, start=1):
        cumulative += row["conversions"]
        assert row["lift"] == pytest.approx(row["conversions"] / row["leads"] / overall)
        assert row["cumulative_conversions_share"] == pytest.approx(cumulative / labels.sum())
        cumulative_rate = cumulative / (scores.size * k / n_bins)
        assert row["cumulative_lift"] == pytest.approx(cumulative_rate / overall)
        assert row["min_score"] <= row["max_score"]


def test_gains_all_same_score_and_degenerate_inputs() -> None:
    table = gains_table(np.full(8, 20.0), [1, 0, 0, 0, 1, 0, 0, 0], n_bins=4)
    assert [r["conversions"] for r in table] == pytest.approx([0.5] * 4)
    assert [r["lift"] for r in table] == pytest.approx([1.0] * 4)
    assert {(r["min_score"], r["max_score"]) for r in table} == {(20.0, 20.0)}
    no_conversions = gains_table([5.0, 10.0, 15.0], [0, 0, 0], n_bins=2)
    assert [r["lift"] for r in no_conversions] == [None, None]
    assert no_conversions[-1]["cumulative_conversions_share"] is None
    assert no_conversions[0]["conversion_rate"] == 0.0
    # fewer leads than bins: 3 leads in 10 bins of 0.3 lead each
    assert [r["leads"] for r in gains_table([1.0, 2.0, 3.0], [1, 0, 0])] == pytest.approx(
        [0.3] * 10
    )
    assert gains_table([], []) == []
    with pytest.raises(ValueError, match="n_bins"):
        gains_table([1.0], [1], n_bins=0)


# --- thresholds -------------------------------------------------------------------------------

# 10 leads, P=4, two cutoffs A/B alternating:
#   t=90: flagged 1, TP 1, precision 1,   recall 1/4, F1 2*1/(1+4)  = 2/5
#   t=80: flagged 3, TP 2, precision 2/3, recall 1/2, F1 4/(3+4)    = 4/7
#   t=60: flagged 6, TP 3, precision 1/2, recall 3/4, F1 6/(6+4)    = 3/5
#   t=40: flagged 7, TP 4, precision 4/7, recall 1,   F1 8/(7+4)    = 8/11  <- best F1
#   t=20: flagged 9, TP 4, precision 4/9, recall 1,   F1 8/13
#   t=0:  flagged 10, TP 4, precision 2/5, recall 1,  F1 8/14
# KS (N=6): 1/4, 1/2-1/6=1/3, 3/4-1/2=1/4, 1-1/2=1/2, 1-5/6, 0 -> 1/2 at 40.
T_SCORES = np.array([90.0, 80, 80, 60, 60, 60, 40, 20, 20, 0])
T_LABELS = np.array([1, 1, 0, 1, 0, 0, 1, 0, 0, 0])
T_GROUPS = np.array(["A", "B"] * 5)


def test_threshold_metrics_hand_worked() -> None:
    result = threshold_metrics(T_SCORES, T_LABELS, 60.0, groups=T_GROUPS)
    assert result == pytest.approx(
        {
            "flagged": 6,
            "flagged_share": 0.6,
            "conversions_flagged": 3,
            "precision": 0.5,
            "recall": 0.75,
            "f1": 0.6,
            "flagged_per_group": 3.0,  # 6 flagged over 2 cutoffs
        }
    )
    # a threshold between observed scores flags score >= 70, like 80
    assert threshold_metrics(T_SCORES, T_LABELS, 70.0)["flagged"] == 3
    assert "flagged_per_group" not in threshold_metrics(T_SCORES, T_LABELS, 70.0)


def test_threshold_metrics_nothing_flagged_and_group_without_flags() -> None:
    result = threshold_metrics(T_SCORES, T_LABELS, 95.0)
    assert result["flagged"] == 0 and result["precision"] is None
    assert result["recall"] == 0.0 and result["f1"] == 0.0
    # cutoff C has no lead scoring >= 80 but still counts: 3 flagged / 3 cutoffs = 1
    groups = np.array(["A", "B", "A", "B", "A", "B", "A", "B", "A", "C"])
    assert threshold_metrics(T_SCORES, T_LABELS, 80.0, groups)["flagged_per_group"] == 1.0
    assert threshold_metrics([], [], 5.0)["precision"] is None


def test_threshold_curve_hand_worked() -> None:
    curve = threshold_curve(T_SCORES, T_LABELS)
    assert curve["threshold"] == [90.0, 80.0, 60.0, 40.0, 20.0, 0.0]
    assert curve["flagged"] == [1, 3, 6, 7, 9, 10]
    assert curve["flagged_share"] == pytest.approx([0.1, 0.3, 0.6, 0.7, 0.9, 1.0])
    assert curve["precision"] == pytest.approx([1, 2 / 3, 1 / 2, 4 / 7, 4 / 9, 2 / 5])
    assert curve["recall"] == pytest.approx([1 / 4, 1 / 2, 3 / 4, 1, 1, 1])
    assert curve["f1"] == pytest.approx([2 / 5, 4 / 7, 3 / 5, 8 / 11, 8 / 13, 8 / 14])


@pytest.mark.parametrize("seed", range(6))
def test_threshold_curve_matches_brute_force(seed: int) -> None:
    rng = np.random.default_rng(600 + seed)
    scores, labels = tied_sample(rng, int(rng.integers(1, 120)))
    curve = threshold_curve(scores, labels)
    positives = int(labels.sum())
    for i, t in enumerate(curve["threshold"]):
        flagged, tp = brute_counts(scores.tolist(), labels.tolist(), t)
        assert curve["flagged"][i] == flagged
        assert curve["precision"][i] == pytest.approx(tp / flagged)
        assert curve["recall"][i] == (None if positives == 0 else pytest.approx(tp / positives))
        p, r = tp / flagged, (tp / positives if positives else 0)
        assert curve["f1"][i] == pytest.approx(0.0 if p + r == 0 else 2 * p * r / (p + r))


def test_recommend_thresholds_hand_worked() -> None:
    def pick(**kwargs: Any) -> dict[str, Any]:
        return recommend_thresholds(T_SCORES, T_LABELS, **kwargs)

    # Precision >= 0.5 at 90, 80, 60 and 40 (not monotone): the lowest is 40.
    assert pick(target_precision=0.5)["for_precision"]["threshold"] == 40.0
    # >= 0.6 only at 90 (1) and 80 (2/3); 40 has 4/7 < 0.6.
    assert pick(target_precision=0.6)["for_precision"]["threshold"] == 80.0
    assert pick(target_precision=1.01)["for_precision"] is None
    assert pick()["for_precision"] is None and pick()["for_capacity"] is None
    # Two cutoffs: mean flagged per cutoff is 0.5, 1.5, 3, 3.5, 4.5, 5.
    assert pick(groups=T_GROUPS, capacity=2)["for_capacity"]["threshold"] == 80.0
    assert pick(groups=T_GROUPS, capacity=3)["for_capacity"]["threshold"] == 60.0
    assert pick(groups=T_GROUPS, capacity=0.4)["for_capacity"] is None
    # Without groups all rows are one cutoff: capacity 3 -> flagged <= 3 -> 80.
    assert pick(capacity=3)["for_capacity"]["threshold"] == 80.0
    best = pick(groups=T_GROUPS)
    assert best["best_f1"]["threshold"] == 40.0
    assert best["best_f1"]["f1"] == pytest.approx(8 / 11)
    assert best["max_ks"]["threshold"] == 40.0
    expected = {"threshold": 40.0, **threshold_metrics(T_SCORES, T_LABELS, 40.0, T_GROUPS)}
    assert best["best_f1"] == pytest.approx(expected)


def test_recommend_capacity_uses_mean_per_group() -> None:
    # Three cutoffs (C only has the zero-score lead): mean flagged 1/3, 1, 2, 7/3, 3, 10/3.
    groups = np.array(["A", "B", "A", "B", "A", "B", "A", "B", "A", "C"])
    result = recommend_thresholds(T_SCORES, T_LABELS, groups, capacity=2)
    assert result["for_capacity"]["threshold"] == 60.0
    assert result["for_capacity"]["flagged_per_group"] == pytest.approx(2.0)


def test_recommend_best_f1_tie_takes_highest_threshold() -> None:
    # P=2. t=4: TP 1 flagged 1 -> F1 2/3. t=3: TP 2 flagged 4 -> 4/6 = 2/3. t=1: 4/7.
    result = recommend_thresholds([4.0, 3.0, 3.0, 3.0, 1.0], [1, 1, 0, 0, 0])
    assert result["best_f1"]["threshold"] == 4.0


@pytest.mark.parametrize("seed", range(8))
def test_recommend_thresholds_match_brute_force(seed: int) -> None:
    rng = np.random.default_rng(700 + seed)
    n = int(rng.integers(2, 90))
    scores, labels = tied_sample(rng, n)
    labels[:2] = [True, False]
    groups = rng.integers(0, 4, n)
    target, capacity = float(rng.uniform(0.2, 0.8)), float(rng.uniform(0.5, 10))
    n_groups = len(set(groups.tolist()))
    rows = []
    for t in sorted(set(scores.tolist()), reverse=True):
        flagged, tp = brute_counts(scores.tolist(), labels.tolist(), t)
        rows.append((t, flagged, tp, Fraction(2 * tp, flagged + int(labels.sum()))))
    precise = [t for t, f, tp, _ in rows if tp / f >= target]
    fitting = [t for t, f, _, _ in rows if f / n_groups <= capacity]
    best_f1 = max(f1 for *_, f1 in rows)
    result = recommend_thresholds(scores, labels, groups, target, capacity)
    assert (result["for_precision"] or {}).get("threshold") == (min(precise) if precise else None)
    assert (result["for_capacity"] or {}).get("threshold") == (min(fitting) if fitting else None)
    assert result["best_f1"]["threshold"] == max(t for t, *_, f1 in rows if f1 == best_f1)
    assert result["max_ks"]["threshold"] == brute_ks(scores.tolist(), labels.tolist())[1]


def test_recommend_thresholds_degenerate() -> None:
    empty = recommend_thresholds([], [], target_precision=0.5, capacity=3)
    assert empty == dict.fromkeys(("for_precision", "for_capacity", "best_f1", "max_ks"))
    no_conversions = recommend_thresholds([5.0, 10.0], [0, 0], target_precision=0.5)
    assert no_conversions["best_f1"] is None and no_conversions["max_ks"] is None
    assert no_conversions["for_precision"] is None


# --- isotonic regression -----------------------------------------------------------------------


def test_isotonic_hand_worked() -> None:
    # 1, 3, 2, 4: the violating pair (3, 2) pools to 2.5.
    assert isotonic_regression([1, 2, 3, 4], [1, 3, 2, 4]) == {
        "x": [1.0, 2.0, 3.0, 4.0],
        "y": [1.0, 2.5, 2.5, 4.0],
    }
    # Weighted: y 3 (w 1) then 1 (w 3) -> (3*1 + 1*3) / 4 = 1.5 for both.
    assert isotonic_regression([0, 1], [3, 1], [1, 3])["y"] == pytest.approx([1.5, 1.5])
    # Equal x pooled first: x=1 -> mean of 0 and 1 = 0.5 (weight 2); x=2 -> 0 violates,
    # pooled (0.5*2 + 0*1) / 3 = 1/3.
    fit = isotonic_regression([1, 1, 2], [0, 1, 0])
    assert fit["x"] == [1.0, 2.0]
    assert fit["y"] == pytest.approx([1 / 3, 1 / 3])


@pytest.mark.parametrize("seed", range(15))
def test_isotonic_matches_min_max_formula(seed: int) -> None:
    rng = np.random.default_rng(800 + seed)
    n = int(rng.integers(1, 30))
    x = rng.integers(0, 12, n).astype(float)  # repeated x values
    y = rng.normal(size=n).round(2)
    w = rng.uniform(0.1, 3, n)
    fit = isotonic_regression(x, y, w)
    keys, means, totals = pool_equal_x(x.tolist(), y.tolist(), w.tolist())
    assert fit["x"] == keys
    assert fit["y"] == pytest.approx(brute_isotonic(means, totals), abs=1e-9)
    assert all(a <= b + 1e-12 for a, b in itertools.pairwise(fit["y"]))


def test_isotonic_monotone_input_unchanged_and_predict() -> None:
    x = [0.0, 10.0, 20.0, 30.0]
    y = [0.05, 0.1, 0.1, 0.4]
    model = isotonic_regression(x, y)
    assert model == {"x": x, "y": y}
    assert isotonic_predict(model, -5.0) == 0.05  # below the first knot
    assert isotonic_predict(model, 10.0) == 0.1  # on a knot
    assert isotonic_predict(model, 29.9) == 0.1  # between knots: step, not interpolation
    assert isotonic_predict(model, 99.0) == 0.4
    assert isotonic_predict(model, np.array([0.0, 25.0, 30.0])) == [0.05, 0.1, 0.4]
    with pytest.raises(ValueError, match="knots"):
        isotonic_predict({"x": [], "y": []}, 1.0)


def test_isotonic_rejects_bad_weights_and_handles_empty() -> None:
    with pytest.raises(ValueError, match="positive"):
        isotonic_regression([1, 2], [0, 1], [1.0, 0.0])
    assert isotonic_regression([], []) == {"x": [], "y": []}


# --- calibration, Brier, log loss, group rates -------------------------------------------------


def test_calibration_table_hand_worked() -> None:
    # Bands [0, 25), [25, 50), [50, 75), [75, 100] (last closed). 25 goes to band 2, 100 to
    # band 4; -5 and 120 are outside every band. Band 3 is empty.
    scores = [0.0, 10.0, 25.0, 49.9, 75.0, 100.0, -5.0, 120.0]
    labels = [0, 1, 1, 1, 0, 1, 1, 1]
    table = calibration_table(scores, labels, [0, 25, 50, 75, 100])
    assert [(r["lo"], r["hi"]) for r in table] == [(0, 25), (25, 50), (50, 75), (75, 100)]
    assert [r["leads"] for r in table] == [2, 2, 0, 2]
    assert [r["conversions"] for r in table] == [1, 2, 0, 1]
    assert [r["observed_rate"] for r in table] == [0.5, 1.0, None, 0.5]
    assert [r["mean_score"] for r in table] == pytest.approx([5.0, 37.45, None, 87.5])
    with pytest.raises(ValueError, match="increasing"):
        calibration_table(scores, labels, [0, 50, 50])


def test_brier_score_hand_worked() -> None:
    # (0.9-1)^2 + (0.2-0)^2 + (0.6-0)^2 = 0.01 + 0.04 + 0.36 = 0.41 -> / 3
    assert brier_score([0.9, 0.2, 0.6], [1, 0, 0]) == pytest.approx(0.41 / 3)
    # weights 1, 1, 2: (0.01 + 0.04 + 2*0.36) / 4 = 0.77 / 4 = 0.1925
    assert brier_score([0.9, 0.2, 0.6], [1, 0, 0], [1, 1, 2]) == pytest.approx(0.1925)
    assert brier_score([], []) is None
    assert brier_score([0.5], [1], [0.0]) is None
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        brier_score([1.2], [1])


def test_log_loss_hand_worked() -> None:
    # -(ln 0.9 + ln(1-0.2) + ln(1-0.6)) / 3 = (0.1053605157 + 0.2231435513 + 0.9162907319) / 3
    assert log_loss([0.9, 0.2, 0.6], [1, 0, 0]) == pytest.approx(1.2447947989 / 3, abs=1e-9)
    # p = 0 for a conversion is clipped to 1e-15: -ln(1e-15) = 34.5387763949
    assert log_loss([0.0], [1]) == pytest.approx(34.5387763949, abs=1e-6)
    assert log_loss([], []) is None


def test_rate_by_group_sorted_by_string() -> None:
    # Sorted by str: "10" < "9".
    result = rate_by_group([1, 0, 0, 1, 1], [9, 10, 9, 10, 9])
    assert result == [
        {"group": 10, "leads": 2, "conversions": 1, "conversion_rate": 0.5},
        {"group": 9, "leads": 3, "conversions": 2, "conversion_rate": 2 / 3},
    ]
    assert rate_by_group([], []) == []


# --- validation and serialisation ----------------------------------------------------------------


SCORE_FUNCTIONS = [
    roc_auc,
    roc_curve,
    auc_confidence_interval,
    ks_statistic,
    gains_table,
    threshold_curve,
    recommend_thresholds,
]


@pytest.mark.parametrize("function", SCORE_FUNCTIONS, ids=lambda f: f.__name__)
def test_invalid_inputs_raise_named_errors(function: Any) -> None:
    with pytest.raises(ValueError, match="NaN"):
        function(np.array([1.0, math.nan]), np.array([1, 0]))
    with pytest.raises(ValueError, match="infinite"):
        function(np.array([1.0, math.inf]), np.array([1, 0]))
    with pytest.raises(ValueError, match="0/1"):
        function(np.array([1.0, 2.0]), np.array([1, 2]))
    with pytest.raises(ValueError, match="0/1"):
        function(np.array([1.0, 2.0]), np.array(["yes", "no"]))
    with pytest.raises(ValueError, match="labels"):
        function(np.array([1.0, 2.0]), np.array([1]))


def test_other_functions_reject_nan_and_bad_labels() -> None:
    with pytest.raises(ValueError, match="NaN"):
        threshold_metrics([1.0, math.nan], [1, 0], 1.0)
    with pytest.raises(ValueError, match="NaN"):
        calibration_table([math.nan], [1], [0, 1])
    with pytest.raises(ValueError, match="NaN"):
        isotonic_regression([1.0, 2.0], [math.nan, 1.0])
    with pytest.raises(ValueError, match="0/1"):
        brier_score([0.5], [0.5])
    with pytest.raises(ValueError, match="0/1"):
        rate_by_group([3], ["a"])
    with pytest.raises(ValueError, match="weights"):
        roc_auc([1.0, 2.0], [1, 0], weights=[1.0, -1.0])


def test_edge_cases_do_not_crash_and_serialise_to_json() -> None:
    datasets = {
        "empty": (np.array([]), np.array([], dtype=bool)),
        "one label": (np.array([0.0, 5.0, 5.0]), np.array([1, 1, 1])),
        "same score": (np.full(4, 30.0), np.array([True, False, True, False])),
        "typical": tied_sample(np.random.default_rng(12), 50),
    }
    for scores, labels in datasets.values():
        groups = np.array([f"2025-0{i % 3 + 1}-01" for i in range(scores.size)])
        results = [
            roc_auc(scores, labels),
            roc_curve(scores, labels),
            auc_confidence_interval(scores, labels, groups, n_boot=20),
            ks_statistic(scores, labels),
            gains_table(scores, labels),
            threshold_metrics(scores, labels, 10.0, groups),
            threshold_curve(scores, labels),
            recommend_thresholds(scores, labels, groups, target_precision=0.3, capacity=2),
            isotonic_regression(scores, labels.astype(float)),
            calibration_table(scores, labels, [0, 50, 100]),
            brier_score(scores / 100, labels),
            log_loss(scores / 100, labels),
            rate_by_group(labels, groups),
        ]
        json.dumps(results, allow_nan=False)
