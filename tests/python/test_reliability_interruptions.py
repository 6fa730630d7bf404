"""Repeat, determinism and interruption checks (README, "Interrupted builds, re-runs, determinism").

- A second build on the same data and config changes nothing.
- Two builds of the same loaded data in separate databases are identical.
- A daily build killed with SIGKILL at any point (while the incremental event
  models write, while a mart is built, during publication) and then run again
  gives exactly the tables an uninterrupted build gives, and while it lies
  dead the published marts are all of the previous build or all of the new
  one.

"Identical" compares every table and view of `main` (published marts,
staging, intermediate models, seeds) and `main_build`, row for row, except
the log of publications (leadscore_publications), which records each build.

The builds here leave the data tests out (DATA_TESTS): what they check is the
tables a build leaves behind; the shared build and the other reliability tests
run the data tests.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import duckdb
import load_raw
import pytest
from conftest import (
    BuiltProject,
    copy_project,
    dbt_command,
    dbt_cwd,
    dbt_env,
    quick_build,
    quick_build_args,
    warehouse_snapshot,
)
from test_reliability_publication import MARTS

# The builds of this module: every model, no data tests.
DATA_TESTS = False

# The daily batch: the last days of the sample's events, appended after the history.
BATCH_FROM = "2026-06-27"


# The log of publications records each build's invocation and times: it differs by design.
BUILD_LOG = "main.leadscore_publications"


def assert_identical(first: dict[str, list[tuple]], second: dict[str, list[tuple]]) -> None:
    first, second = (
        {name: rows for name, rows in snapshot.items() if name != BUILD_LOG}
        for snapshot in (first, second)
    )
    assert sorted(first) == sorted(second), "the two warehouses hold different tables"
    different = [name for name in first if first[name] != second[name]]
    assert not different, f"tables differ: {', '.join(different)}"
    assert any(first[f"main.{name}"] for name in MARTS), "no published rows: vacuous comparison"


@pytest.fixture(scope="module")
def daily_state(default_build: BuiltProject, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database after a history build with a day's events appended, not yet built.

    The history is the sample without the events from BATCH_FROM on; the
    batch holds those events plus one re-delivered event with a new time.
    """
    root = tmp_path_factory.mktemp("daily_state")
    history, batch = root / "history", root / "batch"
    shutil.copytree(default_build.data_dir, history)
    batch.mkdir()
    events = history / "events.csv"
    with duckdb.connect() as con:
        con.execute(
            f"create table events as select * from read_csv('{events}', all_varchar = true)"
        )
        con.execute(
            f"copy (select * from events where occurred_at >= '{BATCH_FROM}' union all "
            f"select event_id, contact_id, event_type, '{BATCH_FROM}T08:00:00Z', url, detail "
            f"from (select * from events where occurred_at < '{BATCH_FROM}' "
            "order by event_id limit 1)) "
            f"to '{batch / 'events.csv'}' (header)"
        )
        con.execute(
            f"copy (select * from events where occurred_at < '{BATCH_FROM}') to '{events}' (header)"
        )
    database = root / "daily.duckdb"
    load_raw.load(history, database)
    project = copy_project(root / "project")
    run = quick_build(project, database, data_tests=DATA_TESTS)
    assert run.success, run.text()
    load_raw.load(batch, database, append=["events"])
    return database


def build_and_kill(project: Path, database: Path, marker: str) -> None:
    """Start a quick build and SIGKILL it once its output shows `marker`."""
    process = subprocess.Popen(
        dbt_command(project, database, quick_build_args(data_tests=DATA_TESTS)),
        cwd=dbt_cwd(database),
        env={**dbt_env(database), "PYTHONUNBUFFERED": "1"},  # lines as they happen
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None
    seen = []
    for line in process.stdout:
        seen.append(line)
        if marker in line:
            time.sleep(0.05)  # let the statement get under way
            os.killpg(process.pid, signal.SIGKILL)
            break
    process.wait()
    assert process.returncode == -signal.SIGKILL, (
        f"the build ended before '{marker}' appeared:\n" + "".join(seen[-20:])
    )


@pytest.fixture(scope="module")
def uninterrupted(daily_state: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("uninterrupted")
    database = root / "daily.duckdb"
    shutil.copy2(daily_state, database)
    run = quick_build(copy_project(root / "project"), database, data_tests=DATA_TESTS)
    assert run.success, run.text()
    return warehouse_snapshot(database)


def published_marts(database: Path) -> dict[str, list[tuple]]:
    snapshot = warehouse_snapshot(database, ("main",))
    return {name: snapshot[f"main.{name}"] for name in MARTS}


@pytest.mark.parametrize(
    "marker",
    [
        # make test kills one build, mid-way through the incremental event state;
        # make test-all every point.
        pytest.param("START sql incremental model main.stg_crm__events", marks=pytest.mark.slow),
        pytest.param(
            "START sql incremental model main.int_event_rule_matches", marks=pytest.mark.slow
        ),
        "START sql incremental model main.int_event_match_sequences",
        pytest.param("START sql table model main_build.lead_score_history", marks=pytest.mark.slow),
        pytest.param("START hook: leadscore.on-run-end.0", marks=pytest.mark.slow),
    ],
)
def test_a_killed_build_then_rerun_equals_an_uninterrupted_build(
    marker: str, daily_state: Path, uninterrupted: dict, tmp_path: Path
) -> None:
    database = tmp_path / "daily.duckdb"
    shutil.copy2(daily_state, database)
    project = copy_project(tmp_path / "project")
    before = published_marts(database)
    after = {name: uninterrupted[f"main.{name}"] for name in MARTS}
    assert before != after, "the daily batch does not change the marts: vacuous"

    build_and_kill(project, database, marker)

    # Dead mid-way, the published marts are one build's, never a mix.
    at_kill = published_marts(database)
    assert at_kill in (before, after), "after the kill the published marts mix two builds"
    run = quick_build(project, database, data_tests=DATA_TESTS)
    assert run.success, run.text()
    assert_identical(warehouse_snapshot(database), uninterrupted)


@pytest.mark.slow
def test_a_second_build_changes_nothing(daily_state: Path, uninterrupted: dict, tmp_path: Path):
    database = tmp_path / "daily.duckdb"
    shutil.copy2(daily_state, database)
    project = copy_project(tmp_path / "project")
    assert quick_build(project, database, data_tests=DATA_TESTS).success
    first = warehouse_snapshot(database)
    run = quick_build(project, database, data_tests=DATA_TESTS)
    assert run.success, run.text()
    assert_identical(warehouse_snapshot(database), first)
    # and the first build equals the one in another database: builds are deterministic
    assert_identical(first, uninterrupted)
