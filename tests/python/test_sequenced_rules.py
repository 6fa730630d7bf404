"""Sequenced rules score exactly what expanding every match over every score time scores.

Event, frequency and inactivity rules are scored at history snapshots and backtest
cutoffs from per-contact sequences (int_rule_sequence_states, int_sequenced_rule_values)
instead of expanding each match over every score time (int_entity_event_matches). The
var `sequenced_rules_enabled: false` keeps the expansion for every rule: the reference
here. Each case builds the same raw data and config both ways, in parallel, on a dense
grid (daily history over 45 days, weekly backtest cutoffs over a year: about a hundred
score times), and compares every rule's hits, hit_weight and points and every score at
every score time.

The data are the random cases of test_random_cases.py: random valid configs (windows,
max_count, resets, exponential and step decay, frequency and inactivity rules, contact
and company models) and events placed on the rules' day boundaries, which the daily
snapshots then cross one by one.
"""

from __future__ import annotations

import json
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import load_raw
import pytest
from conftest import copy_project, run_dbt
from random_cases import random_case, write_config_dir, write_free_email_domains, write_raw_dir

CASES = int(os.environ.get("LEADSCORE_SEQUENCE_CASES", "3"))
# Two dense-grid builds per case: make test-all (the shared build's unit tests check each
# sequenced rule type at its edges in make test).
pytestmark = pytest.mark.slow

RULE_POINTS_KEY = ["scored_at", "model_id", "entity_id", "rule_id"]


def grid_vars(as_of: datetime, sequenced: bool) -> str:
    stamp = lambda moment: moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")  # noqa: E731
    return json.dumps(
        {
            "as_of": stamp(as_of),
            "history_start": stamp(as_of - timedelta(days=45)),
            "history_step_days": 1,
            "backtest_step_days": 7,
            "backtest_horizon_days": 30,
            "sequenced_rules_enabled": sequenced,
        }
    )


def rows(database: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(sql).fetchall()


def compare_rule_points(sequenced: Path, expanded: Path) -> list[str]:
    """Rows of int_rule_points that differ (hits exactly, weights and points to 1e-9)."""
    with duckdb.connect(str(sequenced), read_only=True) as con:
        con.execute(f"attach '{expanded}' as expanded (read_only)")
        key = ", ".join(RULE_POINTS_KEY)
        found = con.execute(
            f"""
            select
                coalesce(s.scored_at, x.scored_at), coalesce(s.model_id, x.model_id),
                coalesce(s.entity_id, x.entity_id), coalesce(s.rule_id, x.rule_id),
                s.hits, x.hits, s.hit_weight, x.hit_weight, s.points, x.points
            from main.int_rule_points as s
            full outer join expanded.main.int_rule_points as x using ({key})
            where
                s.hits is distinct from x.hits
                or s.group_id is distinct from x.group_id
                or abs(s.hit_weight - x.hit_weight) > 1e-9 * greatest(1, abs(x.hit_weight))
                or abs(s.points - x.points) > 1e-9 * greatest(1, abs(x.points))
            order by 1, 2, 3, 4
            """
        ).fetchall()
    return [
        f"{row[0]} {row[1]}/{row[2]} {row[3]}: hits {row[4]} vs {row[5]}, "
        f"weight {row[6]} vs {row[7]}, points {row[8]} vs {row[9]}"
        for row in found
    ]


def build_both_ways(tmp_path: Path, seed: int) -> tuple[Path, Path, datetime]:
    raw, config, free_domains, as_of = random_case(seed)
    data_dir = write_raw_dir(raw, tmp_path / "raw")
    loaded = tmp_path / "loaded.duckdb"
    load_raw.load(data_dir, loaded)

    def build(sequenced: bool) -> tuple[Path, bool, str]:
        name = "sequenced" if sequenced else "expanded"
        project = copy_project(tmp_path / name)
        write_config_dir(config, project / "seeds")
        write_free_email_domains(free_domains, project / "seeds" / "free_email_domains.csv")
        database = tmp_path / f"{name}.duckdb"
        shutil.copy2(loaded, database)
        args = ["build", "--exclude-resource-type", "unit_test", "--vars"]
        run = run_dbt(project, database, [*args, grid_vars(as_of, sequenced)])
        return database, run.success, run.text()

    with ThreadPoolExecutor(max_workers=2) as pool:
        (sequenced, ok_s, text_s), (expanded, ok_x, text_x) = pool.map(build, [True, False])
    assert ok_s, text_s
    assert ok_x, text_x
    return sequenced, expanded, as_of


@pytest.mark.parametrize("seed", range(1, CASES + 1))
def test_sequenced_rules_equal_expansion_at_every_score_time(seed: int, tmp_path: Path) -> None:
    sequenced, expanded, _ = build_both_ways(tmp_path, seed)

    # The comparison means something: the sequenced build sequenced rules, scored many
    # instants from them, and the reference build sequenced none.
    score_times = rows(sequenced, "select count(*) from main.int_score_times")[0][0]
    assert score_times > 60, score_times
    assert rows(expanded, "select count(*) from main.int_sequenced_rules where is_sequenced") == [
        (0,)
    ]
    kinds = rows(
        sequenced,
        "select distinct rule_type from main.int_sequenced_rules where is_sequenced",
    )
    assert kinds, f"seed {seed}: no sequenced rule"
    values = rows(sequenced, "select count(distinct scored_at) from main.int_sequenced_rule_values")
    assert values[0][0] > 1, f"seed {seed}: sequenced values at {values[0][0]} score times"

    problems = compare_rule_points(sequenced, expanded)
    assert not problems, f"seed {seed}: {len(problems)} rows differ:\n" + "\n".join(problems[:30])

    score_columns = "scored_at, model_id, entity_id, score, fit_score, engagement_score, tier"
    scores = rows(sequenced, "select count(distinct scored_at) from main.int_entity_scores")
    assert scores[0][0] > 1, scores
    with duckdb.connect(str(sequenced), read_only=True) as con:
        con.execute(f"attach '{expanded}' as expanded (read_only)")
        differing = con.execute(
            f"""
            (select {score_columns} from main.int_entity_scores
             except select {score_columns} from expanded.main.int_entity_scores)
            union all
            (select {score_columns} from expanded.main.int_entity_scores
             except select {score_columns} from main.int_entity_scores)
            """
        ).fetchall()
    assert not differing, f"seed {seed}: scores differ:\n" + "\n".join(map(str, differing[:20]))
