"""Metrics of a lead-score backtest: ranking, thresholds, lift and calibration.

A backtest holds one observation per (cutoff date, lead): a ``score`` (higher = more likely
to convert, typically 0..100 with many ties), a ``label`` (converted within the horizon) and
optionally a group id per observation (the cutoff date) and a cluster id (the lead id; the
same lead recurs at several cutoffs, so the bootstrap resamples leads, not rows).

Conventions
-----------
* A lead is *flagged* at threshold ``t`` when ``score >= t``. Candidate thresholds are the
  distinct observed scores, in descending order; where a "best" threshold is tied, the
  highest one wins.
* Ties: ROC AUC counts a tied positive/negative pair as 1/2, and the ROC curve has one point
  per distinct score (a tie group is one diagonal segment). A gains-table tie group that
  straddles a bin boundary is split proportionally and its conversions allocated pro rata
  (the expected value under a random order within ties), so no result depends on row order.
* Undefined values (0/0: precision with nothing flagged, AUC without positives or without
  negatives, the rate of an empty band, ...) are ``None``. Results are plain Python ints,
  floats, strings, lists and dicts, so they are JSON-serialisable.
* Inputs are validated: NaN or infinite scores, labels other than 0/1/boolean, negative
  weights and mismatched lengths raise ``ValueError``.

Only numpy and the standard library are used.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

Row = dict[str, Any]


# --- validation ---------------------------------------------------------------------------


def _as_finite(values: npt.ArrayLike, name: str) -> np.ndarray:
    """A 1-D float array with no NaN or infinite values."""
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be numeric") from error
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    nan = np.isnan(array)
    if nan.any():
        raise ValueError(f"{name} contain NaN (first at index {int(np.argmax(nan))})")
    infinite = np.isinf(array)
    if infinite.any():
        raise ValueError(
            f"{name} contain infinite values (first at index {int(np.argmax(infinite))})"
        )
    return array


def _check_length(array: np.ndarray, n: int, name: str) -> None:
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    if array.size != n:
        raise ValueError(f"{name} has {array.size} values, expected {n}")


def _as_labels(values: npt.ArrayLike, n: int) -> np.ndarray:
    """Labels as a boolean array; only booleans or numbers equal to 0 or 1 are accepted."""
    array = np.asarray(values)
    _check_length(array, n, "labels")
    if array.dtype == bool:
        return array
    if array.size and not np.issubdtype(array.dtype, np.number):
        raise ValueError(f"labels must be 0/1 or boolean, got dtype {array.dtype}")
    with np.errstate(invalid="ignore"):
        valid = (array == 0) | (array == 1)
    if not valid.all():
        bad = array[~valid][0]
        raise ValueError(f"labels must be 0/1 or boolean, found {bad!r}")
    return array == 1


def _as_weights(values: npt.ArrayLike | None, n: int, *, positive: bool = False) -> np.ndarray:
    """Observation weights (default 1): finite, non-negative (or strictly positive)."""
    if values is None:
        return np.ones(n)
    array = _as_finite(values, "weights")
    _check_length(array, n, "weights")
    if positive and (array <= 0).any():
        raise ValueError("weights must be strictly positive")
    if (array < 0).any():
        raise ValueError("weights must be non-negative")
    return array


def _factorize(values: Any, n: int, name: str) -> tuple[np.ndarray, list[Hashable]]:
    """Integer codes (order of first appearance) and the distinct values of any hashables."""
    array = np.asarray(values)
    _check_length(array, n, name)
    index: dict[Hashable, int] = {}
    items = array.tolist()
    codes = np.fromiter(
        (index.setdefault(item, len(index)) for item in items), dtype=np.intp, count=len(items)
    )
    return codes, list(index)


def _scores_and_labels(scores: npt.ArrayLike, labels: npt.ArrayLike) -> tuple[np.ndarray, ...]:
    score_array = _as_finite(scores, "scores")
    return score_array, _as_labels(labels, score_array.size)


# --- tie tables -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Ties:
    """Distinct scores in DESCENDING order with the positives and negatives at each."""

    scores: np.ndarray
    positives: np.ndarray
    negatives: np.ndarray


def _count_ties(scores: np.ndarray, labels: np.ndarray) -> _Ties:
    """Integer positive/negative counts per distinct score (descending)."""
    distinct, inverse = np.unique(scores, return_inverse=True)
    inverse = inverse.reshape(-1)
    positives = np.bincount(inverse[labels], minlength=distinct.size)
    negatives = np.bincount(inverse[~labels], minlength=distinct.size)
    return _Ties(distinct[::-1], positives[::-1], negatives[::-1])


def _weigh_ties(scores: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> _Ties:
    """Positive/negative weight per distinct score (descending)."""
    distinct, inverse = np.unique(scores, return_inverse=True)
    inverse = inverse.reshape(-1)
    positives = np.bincount(inverse, weights=weights * labels, minlength=distinct.size)
    negatives = np.bincount(inverse, weights=weights * ~labels, minlength=distinct.size)
    return _Ties(distinct[::-1], positives[::-1], negatives[::-1])


def _auc_ascending(positives: np.ndarray, negatives: np.ndarray) -> float | None:
    """AUC from positive/negative weight per distinct score in ASCENDING score order."""
    total_positive = positives.sum()
    total_negative = negatives.sum()
    if total_positive <= 0 or total_negative <= 0:
        return None
    negatives_below = np.cumsum(negatives) - negatives
    wins = np.dot(positives, negatives_below + 0.5 * negatives)
    return float(wins / (total_positive * total_negative))


def _divide(numerator: np.ndarray, denominator: np.ndarray | float) -> list[float | None]:
    """Elementwise ratio as a list, None where the denominator is 0."""
    numerator = np.asarray(numerator, dtype=float)
    denominator = np.broadcast_to(np.asarray(denominator, dtype=float), numerator.shape)
    safe = np.where(denominator == 0, 1.0, denominator)
    ratio = (numerator / safe).tolist()
    return [None if d == 0 else r for r, d in zip(ratio, denominator.tolist(), strict=True)]


def _ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator == 0 else float(numerator / denominator)


# --- ranking: AUC, ROC, bootstrap, KS ---------------------------------------------------------


def roc_auc(
    scores: npt.ArrayLike, labels: npt.ArrayLike, weights: npt.ArrayLike | None = None
) -> float | None:
    """P(random positive outscores random negative), ties 1/2, pairs weighted by w_i * w_j.

    None when the total positive or the total negative weight is 0. O(n log n).
    """
    score_array, label_array = _scores_and_labels(scores, labels)
    weight_array = _as_weights(weights, score_array.size)
    ties = _weigh_ties(score_array, label_array, weight_array)
    return _auc_ascending(ties.positives[::-1], ties.negatives[::-1])


def roc_curve(scores: npt.ArrayLike, labels: npt.ArrayLike) -> dict[str, list[float | None]]:
    """ROC points for thresholds +inf (listed as None) then every distinct score, descending.

    Starts at (0, 0) and ends at (1, 1). A rate whose denominator is 0 (no positives for
    ``tpr``, no negatives for ``fpr``) is None at every point.
    """
    score_array, label_array = _scores_and_labels(scores, labels)
    ties = _count_ties(score_array, label_array)
    true_positives = np.concatenate([[0], np.cumsum(ties.positives)])
    false_positives = np.concatenate([[0], np.cumsum(ties.negatives)])
    return {
        "fpr": _divide(false_positives, false_positives[-1]),
        "tpr": _divide(true_positives, true_positives[-1]),
        "thresholds": [None, *ties.scores.tolist()],
    }


def _bootstrap_aucs(
    scores: np.ndarray,
    labels: np.ndarray,
    cluster_codes: np.ndarray,
    n_boot: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Weighted AUC of each cluster resample (resamples lacking a class are skipped).

    Rows are first collapsed to cells (cluster, distinct score, label) with a multiplicity,
    so each resample is a gather and one bincount; the sort happens once.
    """
    distinct, inverse = np.unique(scores, return_inverse=True)
    n_keys = 2 * distinct.size
    n_clusters = int(cluster_codes.max()) + 1
    keys = inverse.reshape(-1).astype(np.int64) * 2 + labels
    cells, multiplicity = np.unique(
        cluster_codes.astype(np.int64) * n_keys + keys, return_counts=True
    )
    cell_cluster = cells // n_keys
    cell_key = cells % n_keys
    aucs: list[float] = []
    for _ in range(n_boot):
        draws = np.bincount(rng.integers(0, n_clusters, n_clusters), minlength=n_clusters)
        weights = draws[cell_cluster] * multiplicity
        table = np.bincount(cell_key, weights=weights, minlength=n_keys).reshape(-1, 2)
        auc = _auc_ascending(table[:, 1], table[:, 0])
        if auc is not None:
            aucs.append(auc)
    return np.asarray(aucs)


def auc_confidence_interval(
    scores: npt.ArrayLike,
    labels: npt.ArrayLike,
    clusters: npt.ArrayLike | None = None,
    n_boot: int = 500,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float] | None:
    """Percentile bootstrap interval for ROC AUC.

    With ``clusters`` (ids of any hashable type), whole clusters are resampled with
    replacement and every row of a cluster drawn k times gets weight k; without, rows are
    resampled. Resamples without positive or negative weight are skipped; None when none is
    left. Quantiles use numpy's default linear interpolation. Deterministic for a seed.
    """
    score_array, label_array = _scores_and_labels(scores, labels)
    if not 0 < level < 1:
        raise ValueError(f"level must be strictly between 0 and 1, got {level}")
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1, got {n_boot}")
    n = score_array.size
    if clusters is None:
        codes = np.arange(n)
    else:
        codes, _ = _factorize(clusters, n, "clusters")
    if not label_array.any() or label_array.all():
        return None
    rng = np.random.default_rng(seed)
    aucs = _bootstrap_aucs(score_array, label_array, codes, n_boot, rng)
    if aucs.size == 0:
        return None
    low, high = np.quantile(aucs, [(1 - level) / 2, (1 + level) / 2])
    return float(low), float(high)


def _ks_index(ties: _Ties) -> tuple[int, float] | None:
    """Index (into descending distinct scores) and value of max TPR - FPR; None if undefined.

    Compares TP*N - FP*P in exact integers, so exact ties resolve to the highest threshold.
    """
    true_positives = np.cumsum(ties.positives, dtype=np.int64)
    false_positives = np.cumsum(ties.negatives, dtype=np.int64)
    positives = int(true_positives[-1]) if true_positives.size else 0
    negatives = int(false_positives[-1]) if false_positives.size else 0
    if positives == 0 or negatives == 0:
        return None
    gap = true_positives * negatives - false_positives * positives
    best = int(np.argmax(gap))
    return best, int(gap[best]) / (positives * negatives)


def ks_statistic(scores: npt.ArrayLike, labels: npt.ArrayLike) -> dict[str, float | None]:
    """Max over observed thresholds t of TPR(t) - FPR(t) and the (highest) t achieving it."""
    score_array, label_array = _scores_and_labels(scores, labels)
    ties = _count_ties(score_array, label_array)
    found = _ks_index(ties)
    if found is None:
        return {"ks": None, "threshold": None}
    index, ks = found
    return {"ks": ks, "threshold": float(ties.scores[index])}


# --- gains / lift -------------------------------------------------------------------------------


def _gains_row(
    bin_number: int,
    n_bins: int,
    leads: float,
    conversions: float,
    cumulative_conversions: float,
    positives: int,
    n: int,
) -> Row:
    rate = conversions / leads
    overall_rate = positives / n
    cumulative_share = bin_number / n_bins
    conversions_share = _ratio(cumulative_conversions, positives)
    return {
        "bin": bin_number,
        "leads": leads,
        "conversions": conversions,
        "conversion_rate": rate,
        "lift": _ratio(rate, overall_rate),
        "cumulative_leads_share": cumulative_share,
        "cumulative_conversions_share": conversions_share,
        "cumulative_lift": None
        if conversions_share is None
        else conversions_share / cumulative_share,
    }


def gains_table(scores: npt.ArrayLike, labels: npt.ArrayLike, n_bins: int = 10) -> list[Row]:
    """Leads ranked by score (descending) in ``n_bins`` equal bins; bin 1 is the top.

    Bin k covers ranks [n*(k-1)/n_bins, n*k/n_bins). A tie group straddling a boundary is
    split in proportion to its overlap with each bin and its conversions allocated pro rata,
    so ``leads`` and ``conversions`` may be fractional. ``lift`` = bin rate / overall rate,
    ``cumulative_lift`` = cumulative conversion share / cumulative lead share (both None
    without conversions); min/max_score are over the scores present in the bin. Empty input
    gives an empty table.
    """
    score_array, label_array = _scores_and_labels(scores, labels)
    if n_bins < 1:
        raise ValueError(f"n_bins must be at least 1, got {n_bins}")
    n = score_array.size
    if n == 0:
        return []
    ties = _count_ties(score_array, label_array)
    group_ends = np.cumsum(ties.positives + ties.negatives).astype(float)
    knots = np.concatenate([[0.0], group_ends])
    cumulative_positives = np.concatenate([[0.0], np.cumsum(ties.positives).astype(float)])
    edges = np.arange(n_bins + 1) * n / n_bins
    cumulative = np.interp(edges, knots, cumulative_positives)
    positives = int(cumulative_positives[-1])
    first_group = np.searchsorted(group_ends, edges[:-1], side="right")
    last_group = np.searchsorted(group_ends, edges[1:], side="left")
    rows = []
    for k in range(1, n_bins + 1):
        row = _gains_row(
            k,
            n_bins,
            n / n_bins,
            float(cumulative[k] - cumulative[k - 1]),
            float(cumulative[k]),
            positives,
            n,
        )
        row["min_score"] = float(ties.scores[last_group[k - 1]])
        row["max_score"] = float(ties.scores[first_group[k - 1]])
        rows.append(row)
    return rows


# --- thresholds ---------------------------------------------------------------------------------


def _threshold_row(flagged: int, true_positives: int, positives: int, n: int) -> Row:
    """Counts to metrics. F1 = 2 TP / (flagged + positives), None only when both are 0."""
    precision = _ratio(true_positives, flagged)
    recall = _ratio(true_positives, positives)
    return {
        "flagged": int(flagged),
        "flagged_share": _ratio(flagged, n),
        "conversions_flagged": int(true_positives),
        "precision": precision,
        "recall": recall,
        "f1": _ratio(2 * true_positives, flagged + positives),
    }


def threshold_metrics(
    scores: npt.ArrayLike,
    labels: npt.ArrayLike,
    threshold: float,
    groups: npt.ArrayLike | None = None,
) -> Row:
    """Metrics of flagging ``score >= threshold``.

    ``flagged_per_group`` (with ``groups``) is the flagged count divided by the number of
    distinct groups, groups with nothing flagged included.
    """
    score_array, label_array = _scores_and_labels(scores, labels)
    if np.isnan(threshold):
        raise ValueError("threshold is NaN")
    flags = score_array >= threshold
    row = _threshold_row(
        int(flags.sum()),
        int((flags & label_array).sum()),
        int(label_array.sum()),
        score_array.size,
    )
    if groups is not None:
        _, distinct = _factorize(groups, score_array.size, "groups")
        row["flagged_per_group"] = _ratio(row["flagged"], len(distinct))
    return row


@dataclass(frozen=True)
class _Curve:
    """Cumulative counts at each distinct score (descending) used as a threshold."""

    thresholds: np.ndarray
    flagged: np.ndarray
    true_positives: np.ndarray
    positives: int
    n: int


def _curve(scores: np.ndarray, labels: np.ndarray) -> tuple[_Ties, _Curve]:
    ties = _count_ties(scores, labels)
    true_positives = np.cumsum(ties.positives, dtype=np.int64)
    flagged = np.cumsum(ties.positives + ties.negatives, dtype=np.int64)
    return ties, _Curve(ties.scores, flagged, true_positives, int(labels.sum()), scores.size)


def threshold_curve(scores: npt.ArrayLike, labels: npt.ArrayLike) -> dict[str, list[Any]]:
    """threshold, flagged, flagged_share, conversions_flagged, precision, recall, f1 for
    every distinct score as a threshold, descending."""
    _, curve = _curve(*_scores_and_labels(scores, labels))
    return {
        "threshold": curve.thresholds.tolist(),
        "flagged": curve.flagged.tolist(),
        "flagged_share": _divide(curve.flagged, curve.n),
        "conversions_flagged": curve.true_positives.tolist(),
        "precision": _divide(curve.true_positives, curve.flagged),
        "recall": _divide(curve.true_positives, curve.positives),
        "f1": _divide(2 * curve.true_positives, curve.flagged + curve.positives),
    }


def _recommendation(curve: _Curve, index: int, n_groups: int | None) -> Row:
    row = {"threshold": float(curve.thresholds[index])}
    row.update(
        _threshold_row(
            int(curve.flagged[index]), int(curve.true_positives[index]), curve.positives, curve.n
        )
    )
    if n_groups is not None:
        row["flagged_per_group"] = _ratio(row["flagged"], n_groups)
    return row


def _last_true(mask: np.ndarray) -> int | None:
    """Index of the last True (= lowest threshold in descending order), None if none."""
    hits = np.flatnonzero(mask)
    return int(hits[-1]) if hits.size else None


def recommend_thresholds(
    scores: npt.ArrayLike,
    labels: npt.ArrayLike,
    groups: npt.ArrayLike | None = None,
    target_precision: float | None = None,
    capacity: float | None = None,
) -> dict[str, Row | None]:
    """Thresholds (observed distinct scores only), each with its threshold metrics.

    * ``for_precision``: lowest threshold whose precision >= ``target_precision``.
    * ``for_capacity``: lowest threshold whose mean flagged count per group (all rows one
      group when ``groups`` is None) is <= ``capacity``.
    * ``best_f1``: threshold maximising F1 (highest on ties); None without conversions.
    * ``max_ks``: the :func:`ks_statistic` threshold.

    Each is None when not requested or not attainable.
    """
    score_array, label_array = _scores_and_labels(scores, labels)
    n_groups: int | None = None
    if groups is not None:
        n_groups = len(_factorize(groups, score_array.size, "groups")[1])
    if capacity is not None and capacity < 0:
        raise ValueError(f"capacity must be non-negative, got {capacity}")
    ties, curve = _curve(score_array, label_array)
    result: dict[str, Row | None] = dict.fromkeys(
        ("for_precision", "for_capacity", "best_f1", "max_ks")
    )
    if curve.n == 0:
        return result
    indices: dict[str, int | None] = {}
    if target_precision is not None:
        indices["for_precision"] = _last_true(
            curve.true_positives / curve.flagged >= target_precision
        )
    if capacity is not None:
        per_group = curve.flagged / (n_groups if n_groups is not None else 1)
        indices["for_capacity"] = _last_true(per_group <= capacity)
    if curve.positives > 0:
        f1 = 2 * curve.true_positives / (curve.flagged + curve.positives)
        indices["best_f1"] = int(np.argmax(f1))
    ks = _ks_index(ties)
    indices["max_ks"] = None if ks is None else ks[0]
    for key, index in indices.items():
        if index is not None:
            result[key] = _recommendation(curve, index, n_groups)
    return result


# --- calibration --------------------------------------------------------------------------------


def _pool_adjacent_violators(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted least-squares non-decreasing fit of a sequence (pool adjacent violators)."""
    sums: list[float] = []
    totals: list[float] = []
    sizes: list[int] = []
    for value, weight in zip(values.tolist(), weights.tolist(), strict=True):
        block_sum, block_weight, block_size = value * weight, weight, 1
        while sums and sums[-1] / totals[-1] > block_sum / block_weight:
            block_sum += sums.pop()
            block_weight += totals.pop()
            block_size += sizes.pop()
        sums.append(block_sum)
        totals.append(block_weight)
        sizes.append(block_size)
    means = np.asarray(sums) / np.asarray(totals) if sums else np.empty(0)
    return np.repeat(means, sizes)


def isotonic_regression(
    x: npt.ArrayLike, y: npt.ArrayLike, weights: npt.ArrayLike | None = None
) -> dict[str, list[float]]:
    """Non-decreasing weighted least-squares fit of y on x.

    Equal x values are pooled first (weighted mean y, summed weight); weights must be
    strictly positive. Returns the distinct x (ascending) and the fitted value at each.
    """
    x_array = _as_finite(x, "x")
    y_array = _as_finite(y, "y")
    _check_length(y_array, x_array.size, "y")
    weight_array = _as_weights(weights, x_array.size, positive=True)
    distinct, inverse = np.unique(x_array, return_inverse=True)
    inverse = inverse.reshape(-1)
    pooled_weight = np.bincount(inverse, weights=weight_array, minlength=distinct.size)
    pooled_sum = np.bincount(inverse, weights=weight_array * y_array, minlength=distinct.size)
    fitted = _pool_adjacent_violators(pooled_sum / pooled_weight, pooled_weight)
    return {"x": distinct.tolist(), "y": fitted.tolist()}


def isotonic_predict(model: Mapping[str, Any], x_new: float | npt.ArrayLike) -> float | list[float]:
    """Step-function prediction: the fitted value of the largest knot <= x_new (the first
    value below the first knot). A scalar gives a float, an array a list."""
    knots = np.asarray(model["x"], dtype=float)
    values = np.asarray(model["y"], dtype=float)
    if knots.size == 0:
        raise ValueError("isotonic model has no knots")
    points = np.asarray(x_new, dtype=float)
    if np.isnan(points).any():
        raise ValueError("x_new contains NaN")
    index = np.clip(np.searchsorted(knots, points, side="right") - 1, 0, None)
    predicted = values[index]
    return float(predicted) if predicted.ndim == 0 else predicted.tolist()


def calibration_table(
    scores: npt.ArrayLike, labels: npt.ArrayLike, edges: npt.ArrayLike
) -> list[Row]:
    """Observed conversion rate per score band [edges[i], edges[i+1]); the last band is
    closed on the right. Scores outside [edges[0], edges[-1]] are not counted."""
    score_array, label_array = _scores_and_labels(scores, labels)
    edge_array = _as_finite(edges, "edges")
    if edge_array.size < 2 or (np.diff(edge_array) <= 0).any():
        raise ValueError("edges must be at least two strictly increasing values")
    n_bands = edge_array.size - 1
    band = np.searchsorted(edge_array, score_array, side="right") - 1
    band[score_array == edge_array[-1]] = n_bands - 1
    inside = (band >= 0) & (band < n_bands)
    band = band[inside]
    leads = np.bincount(band, minlength=n_bands)
    conversions = np.bincount(band[label_array[inside]], minlength=n_bands)
    score_sums = np.bincount(band, weights=score_array[inside], minlength=n_bands)
    return [
        {
            "lo": float(edge_array[i]),
            "hi": float(edge_array[i + 1]),
            "leads": int(leads[i]),
            "conversions": int(conversions[i]),
            "observed_rate": _ratio(conversions[i], leads[i]),
            "mean_score": _ratio(score_sums[i], leads[i]),
        }
        for i in range(n_bands)
    ]


def _as_probabilities(values: npt.ArrayLike) -> np.ndarray:
    array = _as_finite(values, "probabilities")
    if ((array < 0) | (array > 1)).any():
        raise ValueError("probabilities must lie in [0, 1]")
    return array


def brier_score(
    probabilities: npt.ArrayLike, labels: npt.ArrayLike, weights: npt.ArrayLike | None = None
) -> float | None:
    """Weighted mean of (p - y)^2; None when empty or the total weight is 0."""
    p = _as_probabilities(probabilities)
    y = _as_labels(labels, p.size)
    w = _as_weights(weights, p.size)
    total = w.sum()
    if total == 0:
        return None
    return float(np.dot(w, (p - y) ** 2) / total)


def log_loss(
    probabilities: npt.ArrayLike, labels: npt.ArrayLike, eps: float = 1e-15
) -> float | None:
    """Mean of -[y log p + (1 - y) log(1 - p)] with p clipped to [eps, 1 - eps]; None when
    empty."""
    p = _as_probabilities(probabilities)
    y = _as_labels(labels, p.size)
    if not 0 < eps < 0.5:
        raise ValueError(f"eps must be in (0, 0.5), got {eps}")
    if p.size == 0:
        return None
    clipped = np.clip(p, eps, 1 - eps)
    return float(-np.mean(np.where(y, np.log(clipped), np.log1p(-clipped))))


def rate_by_group(labels: npt.ArrayLike, groups: npt.ArrayLike) -> list[Row]:
    """Leads, conversions and conversion rate per distinct group, sorted by str(group)."""
    group_array = np.asarray(groups)
    codes, distinct = _factorize(group_array, group_array.size, "groups")
    label_array = _as_labels(labels, codes.size)
    leads = np.bincount(codes, minlength=len(distinct))
    conversions = np.bincount(codes[label_array], minlength=len(distinct))
    order = sorted(range(len(distinct)), key=lambda i: str(distinct[i]))
    return [
        {
            "group": distinct[i],
            "leads": int(leads[i]),
            "conversions": int(conversions[i]),
            "conversion_rate": float(conversions[i] / leads[i]),
        }
        for i in order
    ]
