"""Learn rule points from outcomes: the math behind `tune_weights.py`.

Pure numpy, no I/O:

- `time_split`: out-of-time training and held-out cutoffs. Training cutoffs are those whose
  outcome window closes by the first held-out cutoff (a purge), so no training label was
  observed after held-out features were taken.
- `fit_logistic`: L2-regularised logistic regression (Newton's method on standardised
  features, intercept not penalised).
- `choose_penalty`: the penalty with the best AUC on the last training cutoffs (again out
  of time).
- `base_scale` and `points_from_coefficients`: coefficients (log-odds per unit of
  hit_weight) to integer points per rule, by a common scale (points per unit of log-odds).
  The scales tried surround the one that would flag as many training leads as the current
  rules; the chosen one makes the score, with the model's group caps, clamp and rounding
  applied, rank the training leads best among the scales that keep the share of leads at
  or above the qualified threshold within a factor of 2 of the current rules' (sales
  volume stays comparable). A rule's points never exceed its group cap, nor max_score in
  size.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import backtest_metrics as bm
import numpy as np

PENALTIES = (0.01, 0.1, 1.0, 10.0, 100.0, 1000.0, 10000.0)
SCALE_STEPS = tuple(float(1.25**k) for k in range(-10, 11))


@dataclass
class Split:
    train: list[np.datetime64]
    purged: list[np.datetime64]
    holdout: list[np.datetime64]


def time_split(
    cutoffs: Sequence[np.datetime64], horizon_days: float, holdout: int | None = None
) -> Split:
    """Hold out the last `holdout` cutoffs (default a third, at least one); train on the
    cutoffs whose outcome window (cutoff + horizon) ends at or before the first held-out one.
    """
    ordered = sorted(np.datetime64(c, "us") for c in set(cutoffs))
    if len(ordered) < 2:
        raise ValueError(
            f"{len(ordered)} backtest cutoff(s): need at least 2 to train and hold out; "
            "widen backtest_start/backtest_end or lower backtest_step_days"
        )
    count = holdout if holdout is not None else max(1, round(len(ordered) / 3))
    if not 1 <= count < len(ordered):
        raise ValueError(f"--holdout-cutoffs {count}: choose 1 to {len(ordered) - 1}")
    held = ordered[-count:]
    horizon = np.timedelta64(round(horizon_days * 86_400_000_000), "us")
    train = [c for c in ordered[:-count] if c + horizon <= held[0]]
    purged = [c for c in ordered[:-count] if c + horizon > held[0]]
    if not train:
        raise ValueError(
            f"no training cutoff ends its {horizon_days:g}-day outcome window before the first "
            f"held-out cutoff {held[0]}; add earlier cutoffs or hold out fewer"
        )
    return Split(train, purged, held)


@dataclass
class LogisticFit:
    intercept: float
    coefficients: np.ndarray  # per unit of the original (unstandardised) feature
    penalty: float
    iterations: int
    converged: bool


def fit_logistic(
    features: np.ndarray,
    labels: np.ndarray,
    penalty: float,
    max_iterations: int = 100,
    tolerance: float = 1e-8,
) -> LogisticFit:
    """Minimise -loglik + penalty/2 * |beta|^2 over standardised features (Newton)."""
    x = np.asarray(features, dtype=float)
    y = np.asarray(labels, dtype=float)
    n, k = x.shape
    mean = x.mean(axis=0) if n else np.zeros(k)
    scale = x.std(axis=0) if n else np.ones(k)
    varying = scale > 0
    z = np.zeros_like(x)
    z[:, varying] = (x[:, varying] - mean[varying]) / scale[varying]
    design = np.hstack([np.ones((n, 1)), z])
    beta = np.zeros(k + 1)
    rate = float(np.clip(y.mean(), 1e-6, 1 - 1e-6)) if n else 0.5
    beta[0] = np.log(rate / (1 - rate))
    ridge = np.full(k + 1, penalty)
    ridge[0] = 0.0
    converged = False
    iteration = 0
    for iteration in range(1, max_iterations + 1):  # noqa: B007 (reported below)
        eta = np.clip(design @ beta, -35.0, 35.0)
        p = 1.0 / (1.0 + np.exp(-eta))
        gradient = design.T @ (p - y) + ridge * beta
        weights = p * (1 - p)
        hessian = (design * weights[:, None]).T @ design + np.diag(ridge) + 1e-9 * np.eye(k + 1)
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.max(np.abs(step)) < tolerance:
            converged = True
            break
    coefficients = np.zeros(k)
    coefficients[varying] = beta[1:][varying] / scale[varying]
    intercept = float(beta[0] - np.sum(coefficients * mean))
    return LogisticFit(intercept, coefficients, penalty, iteration, converged)


def penalised_gradient(fit: LogisticFit, features: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The gradient of the objective at the fit, in standardised coordinates (zero at the
    optimum): used by the tests as an independent optimality check."""
    x = np.asarray(features, dtype=float)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    varying = scale > 0
    z = np.zeros_like(x)
    z[:, varying] = (x[:, varying] - mean[varying]) / scale[varying]
    beta_std = np.zeros(x.shape[1])
    beta_std[varying] = fit.coefficients[varying] * scale[varying]
    intercept_std = fit.intercept + np.sum(fit.coefficients * mean)
    p = 1.0 / (1.0 + np.exp(-(intercept_std + z @ beta_std)))
    residual = p - np.asarray(labels, dtype=float)
    return np.concatenate([[residual.sum()], z.T @ residual + fit.penalty * beta_std])


def choose_penalty(
    features: np.ndarray,
    labels: np.ndarray,
    cutoffs: np.ndarray,
    horizon_days: float,
    penalties: Sequence[float] = PENALTIES,
) -> tuple[float, dict[float, float | None]]:
    """The penalty whose fit on earlier training cutoffs ranks the later ones best (AUC of the
    linear predictor); the largest penalty among ties. Falls back to 1.0 when the training
    cutoffs are too few for an inner split or the validation part has no conversions."""
    try:
        inner = time_split(list(np.unique(cutoffs)), horizon_days)
    except ValueError:
        return 1.0, {}
    fit_rows = np.isin(cutoffs, inner.train)
    check_rows = np.isin(cutoffs, inner.holdout)
    if not labels[fit_rows].any() or not labels[check_rows].any():
        return 1.0, {}
    results: dict[float, float | None] = {}
    for penalty in penalties:
        fit = fit_logistic(features[fit_rows], labels[fit_rows], penalty)
        results[penalty] = bm.roc_auc(features[check_rows] @ fit.coefficients, labels[check_rows])
    scored = [(auc, penalty) for penalty, auc in results.items() if auc is not None]
    if not scored:
        return 1.0, results
    best = max(auc for auc, _ in scored)
    return max(penalty for auc, penalty in scored if auc >= best - 1e-9), results


@dataclass
class ScaleChoice:
    points: np.ndarray
    largest_points: int
    train_auc: float | None
    flagged_share: float
    candidates: list[dict]


def base_scale(
    linear_predictor: np.ndarray, threshold: float, flagged_share: float, max_score: float
) -> float:
    """Points per unit of log-odds that put the (1 - flagged_share) quantile of the linear
    predictor (without intercept) at the threshold: the proposed rules would flag about as
    many leads as the current ones, before caps and clamping."""
    positive = linear_predictor[linear_predictor > 0]
    if not len(positive):
        return 1.0
    share = flagged_share if 0 < flagged_share < 1 else 0.01
    level = float(np.quantile(linear_predictor, 1 - share))
    if level <= 0:
        level = float(np.max(positive))
    return (threshold if threshold > 0 else max_score) / level


def points_from_coefficients(
    coefficients: np.ndarray,
    caps: np.ndarray,
    max_score: float,
    score_with: Callable[[np.ndarray], np.ndarray],
    labels: np.ndarray,
    threshold: float,
    current_flagged_share: float,
    scale: float,
    steps: Sequence[float] = SCALE_STEPS,
    tie: float = 0.002,
) -> ScaleChoice:
    """Integer points per rule: round(coefficient * scale * step) for each step, clipped to
    [-max_score, cap of the rule's group]. `score_with(points)` returns the scores of the
    training observations under those points. Among the steps whose flagged share at the
    threshold is within a factor of 2 of the current share, the best training AUC wins
    (near ties: the closest share, then the smallest points); without such a step, the
    closest share."""
    candidates = []
    for step in steps:
        points = np.round(coefficients * scale * step)
        points = np.clip(points, -max_score, np.minimum(caps, max_score)) + 0.0  # no -0
        scores = score_with(points)
        candidates.append(
            {
                "scale": scale * step,
                "largest_points": int(np.max(np.abs(points))) if len(points) else 0,
                "points": points,
                "train_auc": bm.roc_auc(scores, labels),
                "flagged_share": float(np.mean(scores >= threshold)) if len(scores) else 0.0,
            }
        )

    def share_gap(c: dict) -> float:
        return abs(np.log((c["flagged_share"] + 1e-6) / (current_flagged_share + 1e-6)))

    comparable = [c for c in candidates if share_gap(c) <= np.log(2)]
    pool = comparable or [min(candidates, key=share_gap)]
    best = max((c["train_auc"] or 0.0) for c in pool)
    close = [c for c in pool if (c["train_auc"] or 0.0) >= best - tie]
    chosen = min(close, key=lambda c: (share_gap(c), c["largest_points"]))
    return ScaleChoice(
        points=chosen["points"],
        largest_points=chosen["largest_points"],
        train_auc=chosen["train_auc"],
        flagged_share=chosen["flagged_share"],
        candidates=[{k: v for k, v in c.items() if k != "points"} for c in candidates],
    )


def paired_auc_difference(
    first: np.ndarray,
    second: np.ndarray,
    labels: np.ndarray,
    clusters: np.ndarray,
    n_boot: int = 300,
    level: float = 0.95,
    seed: int = 0,
) -> dict[str, float | None]:
    """AUC(second) - AUC(first) on the same observations, with a cluster-bootstrap
    percentile interval (the same resampled leads for both scores)."""
    point_first, point_second = bm.roc_auc(first, labels), bm.roc_auc(second, labels)
    if point_first is None or point_second is None:
        return {"difference": None, "low": None, "high": None}
    _, codes = np.unique(clusters.astype(str), return_inverse=True)
    n_clusters = int(codes.max()) + 1
    rng = np.random.default_rng(seed)
    differences = []
    for _ in range(n_boot):
        drawn = np.bincount(rng.integers(0, n_clusters, n_clusters), minlength=n_clusters)
        weights = drawn[codes].astype(float)
        a = bm.roc_auc(first, labels, weights=weights)
        b = bm.roc_auc(second, labels, weights=weights)
        if a is not None and b is not None:
            differences.append(b - a)
    if not differences:
        return {"difference": point_second - point_first, "low": None, "high": None}
    tail = (1 - level) / 2
    low, high = np.quantile(differences, [tail, 1 - tail])
    return {"difference": point_second - point_first, "low": float(low), "high": float(high)}
