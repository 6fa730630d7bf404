"""weight_tuning: out-of-time split, regularised logistic regression, points conversion."""

from __future__ import annotations

import numpy as np
import pytest
import weight_tuning as wt

DAY = np.timedelta64(86_400_000_000, "us")


def monthly(n: int) -> list[np.datetime64]:
    start = np.datetime64("2025-01-01T00:00:00", "us")
    return [start + 30 * k * DAY for k in range(n)]


def test_time_split_purges_training_cutoffs_whose_outcome_overlaps_the_holdout() -> None:
    cutoffs = monthly(12)
    split = wt.time_split(cutoffs, horizon_days=90, holdout=4)
    assert split.holdout == cutoffs[-4:]
    # First held-out cutoff is cutoffs[8]; a training cutoff c needs c + 90 days <= it:
    # cutoffs[5] + 90 days == cutoffs[8] exactly (kept), cutoffs[6] and [7] are purged.
    assert split.train == cutoffs[:6]
    assert split.purged == cutoffs[6:8]


def test_time_split_default_holds_out_a_third_and_rejects_too_few_cutoffs() -> None:
    split = wt.time_split(monthly(9), horizon_days=30)
    assert len(split.holdout) == 3
    assert len(split.train) + len(split.purged) == 6
    with pytest.raises(ValueError, match="need at least 2"):
        wt.time_split(monthly(1), horizon_days=30)
    with pytest.raises(ValueError, match="no training cutoff"):
        wt.time_split(monthly(3), horizon_days=365, holdout=1)
    with pytest.raises(ValueError, match="choose 1 to"):
        wt.time_split(monthly(3), horizon_days=30, holdout=3)


def simulate(n: int, beta: np.ndarray, intercept: float, seed: int = 0) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    x = np.column_stack(
        [
            rng.integers(0, 2, n).astype(float),  # an attribute rule: 0/1
            rng.poisson(1.5, n).astype(float),  # an event rule: counts
            rng.random(n) * 3,  # a decayed weight
        ]
    )
    p = 1 / (1 + np.exp(-(intercept + x @ beta)))
    y = rng.random(n) < p
    return x, y


def test_fit_logistic_is_at_the_optimum_of_its_objective() -> None:
    x, y = simulate(3000, np.array([1.0, -0.5, 0.3]), -2.0)
    for penalty in (0.01, 1.0, 50.0):
        fit = wt.fit_logistic(x, y, penalty)
        assert fit.converged
        gradient = wt.penalised_gradient(fit, x, y)
        assert np.max(np.abs(gradient)) < 1e-6, (penalty, gradient)


def test_fit_logistic_recovers_known_coefficients_and_shrinks_with_the_penalty() -> None:
    beta = np.array([1.2, -0.6, 0.4])
    x, y = simulate(60_000, beta, -1.5, seed=3)
    fit = wt.fit_logistic(x, y, 0.01)
    assert np.allclose(fit.coefficients, beta, atol=0.08), fit.coefficients
    assert fit.intercept == pytest.approx(-1.5, abs=0.1)
    strong = wt.fit_logistic(x, y, 1e5)
    assert np.all(np.abs(strong.coefficients) < np.abs(fit.coefficients))


def test_fit_logistic_gives_constant_features_no_weight() -> None:
    x, y = simulate(500, np.array([1.0, 0.0, 0.0]), -1.0)
    x[:, 2] = 0.0  # a candidate rule that never hits
    fit = wt.fit_logistic(x, y, 1.0)
    assert fit.coefficients[2] == 0.0
    assert fit.coefficients[0] > 0


def test_choose_penalty_picks_from_the_grid_out_of_time() -> None:
    x, y = simulate(4000, np.array([1.0, -0.5, 0.3]), -2.0, seed=5)
    cutoffs = np.array(monthly(8))[np.arange(4000) % 8]
    penalty, aucs = wt.choose_penalty(x, y, cutoffs, horizon_days=30)
    assert penalty in wt.PENALTIES
    assert set(aucs) == set(wt.PENALTIES)
    assert all(a is not None and a > 0.6 for a in aucs.values())
    # Too few cutoffs for an inner split: the documented fallback.
    assert wt.choose_penalty(x, y, np.array(monthly(1) * 4000), horizon_days=30)[0] == 1.0


def test_points_respect_caps_and_the_chosen_scale_ranks_best() -> None:
    coefficients = np.array([2.0, 1.0, -0.5, 0.0])
    caps = np.array([10.0, 50.0, 50.0, 50.0])
    rng = np.random.default_rng(1)
    x = rng.integers(0, 2, (400, 4)).astype(float)
    labels = rng.random(400) < 1 / (1 + np.exp(-(x @ coefficients - 1)))

    def score_with(points: np.ndarray) -> np.ndarray:
        return np.clip(x @ points, 0, 100)

    scale = wt.base_scale(x @ coefficients, threshold=20, flagged_share=0.3, max_score=100)
    choice = wt.points_from_coefficients(
        coefficients, caps, 100, score_with, labels, 20, current_flagged_share=0.3, scale=scale
    )
    assert np.all(choice.points == np.round(choice.points))
    assert choice.points[0] <= 10  # capped at its group's max_points
    assert choice.points[3] == 0
    assert not np.signbit(choice.points[3])  # no "-0" in the seed
    comparable = [c for c in choice.candidates if 0.15 <= c["flagged_share"] <= 0.6]
    assert comparable, "no scale keeps the volume comparable: the check would be vacuous"
    assert 0.15 <= choice.flagged_share <= 0.6  # volume within a factor of 2 of 0.3
    assert choice.train_auc >= max(c["train_auc"] for c in comparable) - 0.002


def test_base_scale_puts_the_current_share_of_leads_at_the_threshold() -> None:
    linear = np.linspace(-1, 3, 401)  # 10% of leads have a predictor >= 2.6
    scale = wt.base_scale(linear, threshold=80, flagged_share=0.1, max_score=100)
    assert scale == pytest.approx(80 / np.quantile(linear, 0.9))
    assert np.mean(linear * scale >= 80 - 1e-9) == pytest.approx(0.1, abs=0.01)
    assert wt.base_scale(-linear - 5, 80, 0.1, 100) == 1.0  # nothing positive to scale


def test_points_of_all_zero_coefficients_are_zero() -> None:
    choice = wt.points_from_coefficients(
        np.zeros(3), np.full(3, 10.0), 100, lambda p: np.zeros(5), np.array([0, 1, 0, 0, 1]), 50,
        current_flagged_share=0, scale=1.0,
    )  # fmt: skip
    assert choice.points.tolist() == [0, 0, 0]


def test_paired_auc_difference_is_zero_for_identical_scores_and_positive_for_better() -> None:
    rng = np.random.default_rng(2)
    labels = rng.random(600) < 0.2
    clusters = np.arange(600) % 150
    noise = rng.random(600)
    same = wt.paired_auc_difference(noise, noise, labels, clusters, n_boot=50)
    assert same == {"difference": 0.0, "low": 0.0, "high": 0.0}
    better = noise + 0.8 * labels
    result = wt.paired_auc_difference(noise, better, labels, clusters, n_boot=100)
    assert result["difference"] > 0.2
    assert result["low"] > 0
