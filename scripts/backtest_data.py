"""Read the backtest tables of a built warehouse and re-score them under rule-set versions.

Shared by `backtest.py` and `tune_weights.py`. Everything is read from the DuckDB file
read-only, after `dbt build` has finished:

- `backtest_observations`: one row per cutoff, model and entity (score, tiers, outcome);
- `backtest_rule_hits`: per observation the rules that hit, with `hit_weight`, the number
  a rule's points are multiplied by (decay and counts included), also for rules at 0
  points, so any rule can be re-weighted;
- `lead_scores` / `account_scores` and `lead_score_rule_hits`: the same at T;
- the staged config (`stg_config__*`) and the `scoring_rules` seed as built.

A rule-set version is a `scoring_rules` CSV that re-weights the built rules: its points
(and only its points) may differ. Re-scoring is exact: per entity, sum points *
hit_weight per group, cap at the group's max_points, sum per dimension, clamp to
[0, max_score] and round to 2 decimals, as the warehouse does. A version that changes a
rule's definition, or adds a rule the warehouse did not build, is refused with a message
that says how to try it: add the rule to seeds/scoring_rules.csv at 0 points (a candidate
rule) and rebuild.

Nothing here assumes the sample generator's ids, models or rule names.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

# Columns of scoring_rules that define what a rule matches and how hits are weighed;
# a rule-set version may change `points` only.
DEFINITION_COLUMNS = (
    "group_id",
    "rule_type",
    "field",
    "event_type",
    "operator",
    "value",
    "max_count",
    "window_days",
    "decay",
    "decay_days",
    "decay_factor",
    "min_events",
    "within_days",
)
NUMERIC_DEFINITION_COLUMNS = frozenset(
    {"max_count", "window_days", "decay_days", "decay_factor", "min_events", "within_days"}
)
CASE_INSENSITIVE_COLUMNS = frozenset({"rule_type", "event_type", "operator", "decay", "field"})
CURRENT = "current"
DEFAULT_DATABASE = Path(os.environ.get("LEADSCORE_DUCKDB_PATH", "output/leadscore.duckdb"))


class BacktestDataError(Exception):
    """The warehouse or a rule-set file cannot be used; the message says why and what to do."""


# --------------------------------------------------------------------------- config


@dataclass(frozen=True)
class Group:
    group_id: str
    dimension: str  # fit | engagement
    max_points: float


@dataclass
class ModelConfig:
    """A scoring model as built: its groups, tiers and threshold."""

    model_id: str
    scope: str
    max_score: float
    qualified_threshold: float
    groups: dict[str, Group] = field(default_factory=dict)
    tiers: dict[str, list[tuple[float, str]]] = field(default_factory=dict)  # ascending

    def tier_of(self, dimension: str, values: np.ndarray) -> np.ndarray:
        """The tier with the largest min_score <= value (None when below every tier)."""
        result = np.full(len(values), None, dtype=object)
        for min_score, tier in self.tiers.get(dimension, []):
            result[values >= min_score] = tier
        return result


@dataclass(frozen=True)
class Rule:
    model_id: str
    rule_id: str
    group_id: str | None
    rule_type: str
    points: float
    description: str
    definition: tuple[str, ...]


def connect(database: Path) -> duckdb.DuckDBPyConnection:
    if not database.exists():
        raise BacktestDataError(
            f"{database}: no such database; run `dbt build` first (or pass --database)"
        )
    try:
        return duckdb.connect(str(database), read_only=True)
    except duckdb.Error as error:
        raise BacktestDataError(
            f"{database}: cannot open read-only ({error}); is dbt still writing it?"
        ) from error


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> list[dict]:
    cursor = con.execute(sql, list(params))
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _require_tables(con: duckdb.DuckDBPyConnection, schema: str, tables: Iterable[str]) -> None:
    present = {
        row[0]
        for row in con.execute(
            "select table_name from information_schema.tables where table_schema = ?", [schema]
        ).fetchall()
    }
    missing = [table for table in tables if table not in present]
    if missing:
        raise BacktestDataError(
            f"schema {schema} has no {', '.join(missing)}: run `dbt build` (with "
            "backtest_enabled true, the default) on this database first"
        )


def _number(value: Any) -> float | None:
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _definition_value(column: str, value: Any) -> str:
    """A definition cell normalised for comparison: trimmed; numbers as numbers."""
    text = "" if value is None else str(value).strip()
    if column in NUMERIC_DEFINITION_COLUMNS and text:
        number = _number(text)
        return repr(number) if number is not None else text
    return text.lower() if column in CASE_INSENSITIVE_COLUMNS else text


def _rule_from_row(row: Mapping[str, Any], where: str) -> Rule:
    model_id = str(row.get("model_id") or "").strip()
    rule_id = str(row.get("rule_id") or "").strip()
    rule_type = str(row.get("rule_type") or "").strip().lower()
    points_text = str(row.get("points") or "").strip()
    points = _number(points_text) if points_text else 0.0
    if points is None:
        raise BacktestDataError(
            f"{where}, model '{model_id}', rule '{rule_id}': points '{points_text}' is not a number"
        )
    return Rule(
        model_id=model_id,
        rule_id=rule_id,
        group_id=(str(row.get("group_id") or "").strip() or None),
        rule_type=rule_type,
        points=points,
        description=str(row.get("description") or "").strip(),
        definition=tuple(_definition_value(c, row.get(c)) for c in DEFINITION_COLUMNS),
    )


def read_models(con: duckdb.DuckDBPyConnection, schema: str = "main") -> dict[str, ModelConfig]:
    """The scoring models, groups and tiers as the warehouse staged them."""
    _require_tables(
        con,
        schema,
        ["stg_config__scoring_models", "stg_config__scoring_groups", "stg_config__score_tiers"],
    )
    models: dict[str, ModelConfig] = {}
    for row in _rows(
        con,
        f"select model_id, scope, max_score, qualified_threshold "
        f"from {schema}.stg_config__scoring_models order by model_id",
    ):
        models[row["model_id"]] = ModelConfig(
            model_id=row["model_id"],
            scope=row["scope"],
            max_score=float(row["max_score"]),
            qualified_threshold=float(row["qualified_threshold"]),
        )
    for row in _rows(
        con,
        f"select model_id, group_id, dimension, max_points "
        f"from {schema}.stg_config__scoring_groups order by model_id, group_id",
    ):
        if row["model_id"] in models:
            models[row["model_id"]].groups[row["group_id"]] = Group(
                row["group_id"], row["dimension"], float(row["max_points"])
            )
    for row in _rows(
        con,
        f"select model_id, dimension, tier, min_score "
        f"from {schema}.stg_config__score_tiers order by model_id, dimension, min_score",
    ):
        if row["model_id"] in models:
            models[row["model_id"]].tiers.setdefault(row["dimension"], []).append(
                (float(row["min_score"]), row["tier"])
            )
    return models


def select_models(
    models: Mapping[str, ModelConfig], wanted: Sequence[str] | None
) -> dict[str, ModelConfig]:
    """The models named by --model (all when none), or an error naming the unknown ones."""
    if not wanted:
        return dict(models)
    unknown = sorted(set(wanted) - set(models))
    if unknown:
        raise BacktestDataError(
            f"--model {', '.join(unknown)}: not a model of the warehouse "
            f"({', '.join(sorted(models))})"
        )
    return {k: v for k, v in models.items() if k in wanted}


def horizon_days(con: duckdb.DuckDBPyConnection, schema: str = "main") -> float | None:
    """The backtest horizon in days (None when there are no observations)."""
    row = con.execute(
        f"select max(date_diff('second', cutoff_at, outcome_ends_at)) / 86400.0 "
        f"from {schema}.backtest_observations"
    ).fetchall()
    return float(row[0][0]) if row and row[0][0] is not None else None


def read_built_rules(
    con: duckdb.DuckDBPyConnection, schema: str = "main"
) -> dict[tuple[str, str], Rule]:
    """The scoring_rules seed as the warehouse loaded it, keyed by (model_id, rule_id)."""
    _require_tables(con, schema, ["scoring_rules"])
    rules = {}
    for row in _rows(con, f"select * from {schema}.scoring_rules"):
        rule = _rule_from_row(row, "scoring_rules (built)")
        rules[(rule.model_id, rule.rule_id)] = rule
    return rules


def read_rules_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """A scoring_rules CSV: its header and rows (all text)."""
    if not path.exists():
        raise BacktestDataError(f"{path}: no such rule-set file")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = list(reader.fieldnames or [])
        missing = [
            c for c in ("model_id", "rule_id", "points", *DEFINITION_COLUMNS) if c not in header
        ]
        if missing:
            raise BacktestDataError(
                f"{path}: not a scoring_rules file, missing column(s) {', '.join(missing)}"
            )
        return header, [dict(row) for row in reader]


# --------------------------------------------------------------------------- versions


@dataclass
class RuleSet:
    """A rule-set version: points per (model_id, rule_id) for the built rules."""

    name: str
    points: dict[tuple[str, str], float]
    source: str
    removed: list[tuple[str, str]] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)


def current_rule_set(built: Mapping[tuple[str, str], Rule]) -> RuleSet:
    return RuleSet(
        CURRENT, {key: rule.points for key, rule in built.items()}, "the built warehouse"
    )


def load_rule_set(name: str, path: Path, built: Mapping[tuple[str, str], Rule]) -> RuleSet:
    """A version from a scoring_rules CSV, checked against the built rules.

    Raises BacktestDataError naming the file, model and rule when a rule is new, changes its
    definition, or its points are not a number. Built rules absent from the file count as
    removed (0 points).
    """
    _, rows = read_rules_csv(path)
    points: dict[tuple[str, str], float] = {}
    problems: list[str] = []
    for number, row in enumerate(rows, start=2):
        try:
            rule = _rule_from_row(row, f"{path}, line {number}")
        except BacktestDataError as error:
            problems.append(str(error))
            continue
        key = (rule.model_id, rule.rule_id)
        built_rule = built.get(key)
        where = f"{path}, line {number}, model '{rule.model_id}', rule '{rule.rule_id}'"
        if built_rule is None:
            problems.append(
                f"{where}: not a rule of the built warehouse; a rule set can only re-weight "
                "built rules. Add it to seeds/scoring_rules.csv with points 0 (a candidate "
                "rule), run dbt build, then compare"
            )
            continue
        changed = [
            column
            for column, mine, theirs in zip(
                DEFINITION_COLUMNS, rule.definition, built_rule.definition, strict=True
            )
            if mine != theirs
        ]
        if changed:
            problems.append(
                f"{where}: {', '.join(changed)} differ(s) from the built rule; only points may "
                "change. To try a new definition, add it as a separate rule with points 0 to "
                "seeds/scoring_rules.csv and rebuild"
            )
            continue
        points[key] = rule.points
    if problems:
        raise BacktestDataError("\n".join(problems))
    removed = sorted(key for key in built if key not in points)
    for key in removed:
        points[key] = 0.0
    return RuleSet(name, points, str(path), removed)


# --------------------------------------------------------------------------- observations


@dataclass
class ModelBacktest:
    """The observations of one model, with their rule hits, as numpy arrays."""

    model: ModelConfig
    cutoff_at: np.ndarray  # datetime64[us]
    entity_id: np.ndarray  # object (str)
    owner_id: np.ndarray  # object
    score: np.ndarray
    fit_score: np.ndarray
    engagement_score: np.ndarray
    tier: np.ndarray  # object
    has_converted: np.ndarray  # bool
    hit_observation: np.ndarray  # int index into the observations
    hit_rule: np.ndarray  # object (rule_id)
    hit_weight: np.ndarray
    hit_points: np.ndarray

    @property
    def size(self) -> int:
        return len(self.score)

    @property
    def cutoffs(self) -> list[datetime]:
        return sorted({c.astype("datetime64[us]").item() for c in np.unique(self.cutoff_at)})

    def subset(self, keep: np.ndarray) -> ModelBacktest:
        """The observations where keep is True (and their hits)."""
        index = np.flatnonzero(keep)
        remap = np.full(self.size, -1, dtype=np.int64)
        remap[index] = np.arange(len(index))
        hits = remap[self.hit_observation] >= 0
        return ModelBacktest(
            model=self.model,
            cutoff_at=self.cutoff_at[index],
            entity_id=self.entity_id[index],
            owner_id=self.owner_id[index],
            score=self.score[index],
            fit_score=self.fit_score[index],
            engagement_score=self.engagement_score[index],
            tier=self.tier[index],
            has_converted=self.has_converted[index],
            hit_observation=remap[self.hit_observation[hits]],
            hit_rule=self.hit_rule[hits],
            hit_weight=self.hit_weight[hits],
            hit_points=self.hit_points[hits],
        )


def _fetch(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any]) -> dict[str, Any]:
    return {k: np.asarray(v) for k, v in con.execute(sql, list(params)).fetchnumpy().items()}


def _as_object(values: Any) -> np.ndarray:
    array = np.ma.asarray(values)
    result = np.asarray(array.filled(None) if np.ma.is_masked(array) else array, dtype=object)
    return result


def read_backtest(
    con: duckdb.DuckDBPyConnection,
    models: Mapping[str, ModelConfig],
    schema: str = "main",
    cutoffs_from: datetime | None = None,
    cutoffs_to: datetime | None = None,
) -> dict[str, ModelBacktest]:
    """Observations and rule hits per model, optionally within a cutoff window."""
    _require_tables(con, schema, ["backtest_observations", "backtest_rule_hits"])
    window = "cutoff_at >= coalesce(?, cutoff_at) and cutoff_at <= coalesce(?, cutoff_at)"
    result: dict[str, ModelBacktest] = {}
    for model_id, model in models.items():
        params = [model_id, cutoffs_from, cutoffs_to]
        obs = _fetch(
            con,
            f"""
            select cutoff_at, coalesce(contact_id, company_id) as entity_id, owner_id,
                   score, fit_score, engagement_score, tier, has_converted
            from {schema}.backtest_observations
            where model_id = ? and {window}
            order by cutoff_at, entity_id
            """,
            params,
        )
        hits = _fetch(
            con,
            f"""
            with observations as (
                select cutoff_at, coalesce(contact_id, company_id) as entity_id,
                       row_number() over (order by cutoff_at, entity_id) - 1 as observation
                from {schema}.backtest_observations
                where model_id = ? and {window}
            )
            select observations.observation, hits.rule_id, hits.hit_weight, hits.points
            from {schema}.backtest_rule_hits as hits
            inner join observations
                on hits.cutoff_at = observations.cutoff_at
                and coalesce(hits.contact_id, hits.company_id) = observations.entity_id
            where hits.model_id = ?
            order by observations.observation, hits.rule_id
            """,
            [*params, model_id],
        )
        result[model_id] = ModelBacktest(
            model=model,
            cutoff_at=obs["cutoff_at"].astype("datetime64[us]"),
            entity_id=_as_object(obs["entity_id"]),
            owner_id=_as_object(obs["owner_id"]),
            score=obs["score"].astype(float),
            fit_score=obs["fit_score"].astype(float),
            engagement_score=obs["engagement_score"].astype(float),
            tier=_as_object(obs["tier"]),
            has_converted=obs["has_converted"].astype(bool),
            hit_observation=hits["observation"].astype(np.int64),
            hit_rule=_as_object(hits["rule_id"]),
            hit_weight=hits["hit_weight"].astype(float),
            hit_points=hits["points"].astype(float),
        )
    return result


@dataclass
class CurrentScores:
    """Scores and rule hits at T for one model (for movers between rule sets)."""

    model: ModelConfig
    entity_id: np.ndarray
    owner_id: np.ndarray
    score: np.ndarray
    is_qualified: np.ndarray
    hit_entity: np.ndarray  # index into entity_id
    hit_rule: np.ndarray
    hit_weight: np.ndarray


def read_current(
    con: duckdb.DuckDBPyConnection, models: Mapping[str, ModelConfig], schema: str = "main"
) -> dict[str, CurrentScores]:
    _require_tables(con, schema, ["lead_scores", "account_scores", "lead_score_rule_hits"])
    result = {}
    for model_id, model in models.items():
        table = "lead_scores" if model.scope == "contact" else "account_scores"
        key = "contact_id" if model.scope == "contact" else "company_id"
        owner = "owner_id" if model.scope == "contact" else "cast(null as varchar)"
        scores = _fetch(
            con,
            f"select {key} as entity_id, {owner} as owner_id, score, is_qualified "
            f"from {schema}.{table} where model_id = ? order by entity_id",
            [model_id],
        )
        hits = _fetch(
            con,
            f"""
            with entities as (
                select {key} as entity_id, row_number() over (order by {key}) - 1 as position
                from {schema}.{table} where model_id = ?
            )
            select entities.position, hits.rule_id, hits.hit_weight
            from {schema}.lead_score_rule_hits as hits
            inner join entities
                on coalesce(hits.contact_id, hits.company_id) = entities.entity_id
            where hits.model_id = ?
                and (hits.contact_id is null) = ({"true" if model.scope == "company" else "false"})
            """,
            [model_id, model_id],
        )
        result[model_id] = CurrentScores(
            model=model,
            entity_id=_as_object(scores["entity_id"]),
            owner_id=_as_object(scores["owner_id"]),
            score=scores["score"].astype(float),
            is_qualified=scores["is_qualified"].astype(bool),
            hit_entity=hits["position"].astype(np.int64),
            hit_rule=_as_object(hits["rule_id"]),
            hit_weight=hits["hit_weight"].astype(float),
        )
    return result


# --------------------------------------------------------------------------- re-scoring


def round_half_away(values: np.ndarray, decimals: int = 2) -> np.ndarray:
    """Round half away from zero, as SQL round() does."""
    factor = 10.0**decimals
    return np.sign(values) * np.floor(np.abs(values) * factor + 0.5) / factor


@dataclass
class Scores:
    score: np.ndarray
    fit_score: np.ndarray
    engagement_score: np.ndarray


def rescore(
    model: ModelConfig,
    n_entities: int,
    hit_entity: np.ndarray,
    hit_rule: np.ndarray,
    hit_weight: np.ndarray,
    rule_points: Mapping[str, float],
    rule_groups: Mapping[str, str | None],
) -> Scores:
    """Scores from rule hits and points per rule, as the warehouse aggregates them."""
    group_ids = sorted(model.groups)
    group_index = {group_id: i for i, group_id in enumerate(group_ids)}
    rule_ids = sorted(set(rule_points) | set(np.unique(hit_rule).tolist()))
    points = np.array([rule_points.get(r, 0.0) for r in rule_ids], dtype=float)
    group_of_rule = np.array(
        [group_index.get(rule_groups.get(r) or "", -1) for r in rule_ids], dtype=np.int64
    )
    position = {r: i for i, r in enumerate(rule_ids)}
    rule_idx = np.fromiter((position[r] for r in hit_rule), dtype=np.int64, count=len(hit_rule))
    groups = group_of_rule[rule_idx]
    keep = groups >= 0
    n_groups = max(len(group_ids), 1)
    cells = hit_entity[keep] * n_groups + groups[keep]
    sums = np.bincount(
        cells, weights=points[rule_idx[keep]] * hit_weight[keep], minlength=n_entities * n_groups
    ).reshape(n_entities, n_groups)[:, : len(group_ids)]
    caps = np.array([model.groups[g].max_points for g in group_ids], dtype=float)
    capped = np.minimum(sums, caps) if len(group_ids) else sums
    fit = np.array([model.groups[g].dimension == "fit" for g in group_ids], dtype=bool)

    def clamp(values: np.ndarray) -> np.ndarray:
        return round_half_away(np.clip(values, 0.0, model.max_score))

    return Scores(
        score=clamp(capped.sum(axis=1)),
        fit_score=clamp(capped[:, fit].sum(axis=1)),
        engagement_score=clamp(capped[:, ~fit].sum(axis=1)),
    )


def rule_groups_of(built: Mapping[tuple[str, str], Rule], model_id: str) -> dict[str, str | None]:
    return {rule_id: rule.group_id for (m, rule_id), rule in built.items() if m == model_id}


def rule_points_of(rule_set: RuleSet, model_id: str) -> dict[str, float]:
    return {rule_id: points for (m, rule_id), points in rule_set.points.items() if m == model_id}


def rescore_backtest(
    data: ModelBacktest, rule_set: RuleSet, built: Mapping[tuple[str, str], Rule]
) -> Scores:
    model_id = data.model.model_id
    return rescore(
        data.model,
        data.size,
        data.hit_observation,
        data.hit_rule,
        data.hit_weight,
        rule_points_of(rule_set, model_id),
        rule_groups_of(built, model_id),
    )


def check_reproduces_warehouse(
    data: ModelBacktest, built: Mapping[tuple[str, str], Rule], tolerance: float = 0.011
) -> int:
    """How many observations the re-scoring with the built points does not reproduce."""
    scores = rescore_backtest(data, current_rule_set(built), built)
    return int(np.sum(np.abs(scores.score - data.score) > tolerance))
