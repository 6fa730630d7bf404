"""Random data and random valid configurations: the marts agree with the spec's oracle.

Each case writes raw CSVs and config seeds, loads them with the loader, builds
the dbt project's scores at T on a copy with those seeds (no unit tests, no
history or backtest grids: test_sequenced_rules.py scores these cases through
time), and compares lead_scores,
account_scores and lead_score_contributions with the independent reference
scorer to 0.01, row for row.
"""

from __future__ import annotations

import os
from pathlib import Path

import load_raw
import pytest
from conftest import copy_project, score_build
from random_cases import random_case, write_config_dir, write_free_email_domains, write_raw_dir
from reference_scorer import read_config_dir, read_raw_from_duckdb, score
from scoring_check import differences

CASES = int(os.environ.get("LEADSCORE_RANDOM_CASES", "6"))
# make test runs the first cases; make test-all the rest.
FAST_CASES = 2


@pytest.mark.parametrize(
    "seed",
    [
        pytest.param(seed, marks=[pytest.mark.slow] if seed > FAST_CASES else [])
        for seed in range(1, CASES + 1)
    ],
)
def test_random_case_agrees_with_reference(seed: int, tmp_path: Path) -> None:
    raw, config, free_domains, as_of = random_case(seed)
    data_dir = write_raw_dir(raw, tmp_path / "raw")
    project = copy_project(tmp_path / "project")
    write_config_dir(config, project / "seeds")
    write_free_email_domains(free_domains, project / "seeds" / "free_email_domains.csv")
    database = tmp_path / "case.duckdb"
    load_raw.load(data_dir, database)

    run = score_build(project, database, as_of)
    assert run.success, run.text()

    expected = score(
        read_raw_from_duckdb(database), read_config_dir(project / "seeds"), free_domains, as_of
    )
    assert expected["lead_scores"] or expected["account_scores"], "empty case"
    problems = differences(database, expected)
    assert not problems, f"seed {seed}:\n" + "\n".join(problems[:40])
