"""The same data and config through DuckDB, PostgreSQL and Spark give the same marts.

Run by `make test-engines` (README, "Other engines"), which installs the
adapters, starts a local PostgreSQL and sets LEADSCORE_ENGINES_REQUIRED=1: an
engine that cannot run is then a failure, not a skip.

1. A generated sample is split: events before 2026-06-29 are loaded first;
   the rest, plus five earlier events re-delivered a day later, are a daily
   batch appended afterwards. A copy of the project gets two rules with
   hostile text (quotes, a backslash, Jinja braces, SQL, LIKE and regex
   metacharacters) and one contact a job title that contains it.
2. The first load is validated into DuckDB and copied to PostgreSQL and
   Spark (scripts/copy_raw.py); `dbt build` (seeds, models, unit and data
   tests) runs on each engine at T = 2026-06-30 00:00 UTC.
3. Every mart of the spec must agree with DuckDB's row for row, numbers
   within 0.01 (scripts/compare_engines.py).
4. The batch is appended (`load_raw.py --append events`) and copied again;
   every engine builds incrementally at T + 18 h over its first build's
   tables and must still agree: PostgreSQL's incremental models
   (delete+insert) and Spark's give DuckDB's. Spark's second build over
   existing tables is also the check that nothing in the project needs what
   open-source Spark lacks there (it cannot parse `show grants`).

The raw data also holds rows staging repairs or reports (an invalid email, a
negative employee count, an event of an unknown contact), so
data_quality_issues is compared too, and PostgreSQL's marts are granted to
the BI role `leadscore_bi` (var bi_readers), published copies included.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
sys.path.insert(0, str(REPO / "tests" / "python"))

from compare_engines import MARTS, REPORTS, compare_table, normalise  # noqa: E402
from engines import fetch_table, load_target  # noqa: E402
from project_copy import append_rule, copy_project  # noqa: E402

ENGINES = ("postgres", "spark")
REQUIRED = os.environ.get("LEADSCORE_ENGINES_REQUIRED") == "1"
CONTACTS = 300
SEED = 7
END = "2026-06-30"
FIRST_CUTOFF = "2026-06-29 00:00:00"
FIRST_AS_OF = "2026-06-30T00:00:00Z"
DAILY_AS_OF = "2026-06-30T18:00:00Z"
TOLERANCE = 0.01
# Raw and model schemas of their own, so a developer's PostgreSQL keeps its tables.
RAW_SCHEMA = "raw_engine_test"
MODEL_SCHEMA = "leadscore_engine_test"
BI_ROLE = "leadscore_bi"
# Marts compared between engines: the spec's, the data quality report and the reports.
COMPARED = (*MARTS, "data_quality_issues", *REPORTS)
REDELIVERED = 5
# Spark's tables are read in a child process: a Spark session in this process
# would keep the metastore (embedded Derby, one process at a time) booted, and
# the daily copy and build on Spark could not open it.
READ_IN_CHILD = ("spark",)
CHILD_READER = """
import pickle, sys
from engines import fetch_table, load_target
target, output, *tables = sys.argv[1:]
settings = load_target(target)
with open(output, "wb") as handle:
    pickle.dump({table: fetch_table(target, settings, table) for table in tables}, handle)
"""
# Every table a test reads from an engine.
READ_TABLES = (*COMPARED, "scoring_rules")
# Text that must stay data on every engine: in a seed (parsed by each engine's
# seed loader) and in raw data (copied by copy_raw.py), matched literally.
HOSTILE_VALUE = "{{ 7 * 7 }} .* '; drop table raw.contacts; -- \\ 100%_"
HOSTILE_TITLE = f"O'Brien {HOSTILE_VALUE} lead"
HOSTILE_DESCRIPTION = "O'Brien's rule: \\ \"quoted\" {{ 7 * 7 }} {% if %}"
HOSTILE_RULES = (
    {
        "rule_id": "hostile_text",
        "description": HOSTILE_DESCRIPTION,
        "value": HOSTILE_VALUE,
    },
    {
        "rule_id": "regex_metacharacters",
        "description": "A regex pattern must not match as a pattern.",
        "value": "^.*$|[a-z]+",
    },
)


def unavailable(engine: str) -> str | None:
    """Why `engine` cannot run here, or None."""
    modules = {"postgres": "psycopg2", "spark": "pyspark"}
    try:
        __import__(modules[engine])
    except ImportError:
        return f"{modules[engine]} is not installed (pip install -r requirements-engines.txt)"
    if engine == "postgres" and "LEADSCORE_PG_PASSWORD" not in os.environ:
        return "LEADSCORE_PG_PASSWORD is not set (make test-engines starts a local server)"
    if engine == "spark" and shutil.which("java") is None:
        return "java is not installed"
    return None


def skip_or_fail(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"engine check required but cannot run: {reason}")
    pytest.skip(reason)


class Run:
    """Runs the scripts and dbt against per-test paths and schemas, timing each step."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.project = copy_project_with_hostile_rules(work / "project")
        self.timings: dict[str, float] = {}
        # engine -> True when built, else why it could not run.
        self.built: dict[str, bool | str] = {}
        self.hostile_contact = ""
        # target -> its tables as read by a child process since its last build.
        self.child_reads: dict[str, dict[str, tuple[list[str], list[tuple[Any, ...]]]]] = {}
        self.env = {
            **os.environ,
            "DBT_PROFILES_DIR": str(REPO),
            "LEADSCORE_DUCKDB_PATH": str(work / "leadscore.duckdb"),
            "LEADSCORE_SPARK_DIR": str(work / "spark"),
            "LEADSCORE_PG_SCHEMA": MODEL_SCHEMA,
        }

    def __call__(self, label: str, command: list[str]) -> subprocess.CompletedProcess[str]:
        self.child_reads.clear()  # a step may change any engine's tables
        started = time.monotonic()
        result = subprocess.run(
            command, cwd=REPO, env=self.env, capture_output=True, text=True, check=False
        )
        self.timings[label] = round(time.monotonic() - started, 1)
        log = self.work / f"{label}.log"
        log.write_text(result.stdout + result.stderr)
        if result.returncode != 0:
            tail = "\n".join((result.stdout + result.stderr).splitlines()[-40:])
            pytest.fail(f"{label} failed (exit {result.returncode}; log {log}):\n{tail}")
        return result

    def script(self, label: str, name: str, *args: str) -> None:
        self(label, [sys.executable, str(REPO / "scripts" / name), *args])

    def dbt_build(self, label: str, target: str, as_of: str) -> None:
        self(
            label,
            [
                str(Path(sys.executable).parent / "dbt"),
                "build",
                "--target",
                target,
                "--vars",
                json.dumps({"as_of": as_of, "raw_schema": RAW_SCHEMA, "bi_readers": [BI_ROLE]}),
                "--project-dir",
                str(self.project),
                "--target-path",
                str(self.work / f"target_{target}"),
                "--log-path",
                str(self.work / f"logs_{target}"),
            ],
        )

    def load_duckdb(self, label: str, data: Path, *args: str) -> None:
        database = self.env["LEADSCORE_DUCKDB_PATH"]
        self.script(
            label, "load_raw.py", "--input", str(data), "--database", database,
            "--schema", RAW_SCHEMA, *args,
        )  # fmt: skip

    def copy(self, label: str, target: str) -> None:
        self.script(
            label,
            "copy_raw.py",
            "--target",
            target,
            "--database",
            self.env["LEADSCORE_DUCKDB_PATH"],
            "--schema",
            RAW_SCHEMA,
        )

    def read_raw(self, target: str, table: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        """The columns and rows of `table` on `target`, as the driver gives them."""
        if target in READ_IN_CHILD:
            if target not in self.child_reads:
                output = self.work / f"read_{target}.pickle"
                child_env = {**self.env, "PYTHONPATH": str(REPO / "scripts")}
                result = subprocess.run(
                    [sys.executable, "-c", CHILD_READER, target, str(output), *READ_TABLES],
                    cwd=REPO, env=child_env, capture_output=True, text=True, check=False,
                )  # fmt: skip
                if result.returncode != 0:
                    tail = "\n".join((result.stdout + result.stderr).splitlines()[-30:])
                    pytest.fail(f"reading {target}'s tables failed:\n{tail}")
                self.child_reads[target] = pickle.loads(output.read_bytes())
            return self.child_reads[target][table]
        saved = dict(os.environ)
        os.environ.update(self.env)
        try:
            return fetch_table(target, load_target(target), table)
        finally:
            os.environ.clear()
            os.environ.update(saved)

    def fetch(self, target: str, table: str) -> list[dict[str, Any]]:
        """The rows of `table` on `target`, as dicts."""
        columns, rows = self.read_raw(target, table)
        return [dict(zip(columns, row, strict=True)) for row in rows]

    def compare(self, target: str, table: str) -> Any:
        def normalised(engine: str) -> tuple[list[str], list[tuple[Any, ...]]]:
            columns, rows = self.read_raw(engine, table)
            return columns, [tuple(normalise(value) for value in row) for row in rows]

        return compare_table(table, normalised("duckdb"), target, normalised(target), TOLERANCE)


def copy_project_with_hostile_rules(destination: Path) -> Path:
    """The dbt project, with HOSTILE_RULES added to the platform model."""
    copy_project(destination)
    for rule in HOSTILE_RULES:
        append_rule(
            destination,
            model_id="platform",
            group_id="person_fit",
            rule_type="attribute",
            field="contact.job_title",
            operator="contains",
            points="1",
            **rule,
        )
    return destination


def split_sample(data: Path, first: Path, batch: Path) -> dict[str, int]:
    """First load (every table, events before FIRST_CUTOFF) and the daily batch."""
    first.mkdir(parents=True)
    batch.mkdir(parents=True)
    for table in ("contacts", "companies", "deals", "list_memberships"):
        shutil.copy2(data / f"{table}.csv", first / f"{table}.csv")
    events = f"read_csv('{data / 'events.csv'}', all_varchar = true)"
    with duckdb.connect() as con:
        con.execute(
            f"copy (select * from {events} where occurred_at < '{FIRST_CUTOFF}' order by event_id) "
            f"to '{first / 'events.csv'}' (header, force_quote *)"
        )
        # The batch: the day's events, and five earlier ones again, each moved a day later.
        con.execute(
            f"""
            copy (
                select * from {events} where occurred_at >= '{FIRST_CUTOFF}'
                union all
                select * replace (
                    strftime(cast(occurred_at as timestamp) + interval 1 day, '%Y-%m-%dT%H:%M:%SZ')
                        as occurred_at
                )
                from (
                    select * from {events} where occurred_at < '{FIRST_CUTOFF}'
                    order by event_id limit {REDELIVERED}
                )
                order by event_id
            ) to '{batch / "events.csv"}' (header, force_quote *)
            """
        )
        counts = {
            name: con.execute(f"select count(*) from read_csv('{path}')").fetchone()[0]
            for name, path in (
                ("first_events", first / "events.csv"),
                ("batch_events", batch / "events.csv"),
            )
        }
    return counts


def add_repairable_rows(con: duckdb.DuckDBPyConnection) -> None:
    """Raw rows that staging repairs or reports, so data_quality_issues is not empty."""
    con.execute(
        f"update {RAW_SCHEMA}.contacts set email = 'no-at-sign.example.com' "
        f"where contact_id = (select max(contact_id) from {RAW_SCHEMA}.contacts)"
    )
    con.execute(
        f"update {RAW_SCHEMA}.companies set employee_count = -3 "
        f"where company_id = (select min(company_id) from {RAW_SCHEMA}.companies)"
    )
    con.execute(
        f"insert into {RAW_SCHEMA}.events by name "
        f"select * replace ('e_unknown_contact' as event_id, 'c_unknown' as contact_id) "
        f"from {RAW_SCHEMA}.events order by event_id limit 1"
    )


@pytest.fixture(scope="module")
def first_build(tmp_path_factory: pytest.TempPathFactory) -> Run:
    work = tmp_path_factory.mktemp("engines")
    run = Run(work)
    run.script(
        "generate",
        "generate_data.py",
        "--output",
        str(work / "data"),
        "--contacts",
        str(CONTACTS),
        "--seed",
        str(SEED),
        "--end",
        END,
    )
    counts = split_sample(work / "data", work / "first", work / "batch")
    assert counts["first_events"] > 1000 and counts["batch_events"] > REDELIVERED, counts
    run.load_duckdb("load_duckdb", work / "first")
    with duckdb.connect(run.env["LEADSCORE_DUCKDB_PATH"]) as con:
        run.hostile_contact = con.execute(
            f"update {RAW_SCHEMA}.contacts set job_title = ? "
            f"where contact_id = (select min(contact_id) from {RAW_SCHEMA}.contacts) "
            "returning contact_id",
            [HOSTILE_TITLE],
        ).fetchone()[0]
        add_repairable_rows(con)
    run.dbt_build("build_duckdb", "duckdb", FIRST_AS_OF)
    run.built["duckdb"] = True
    for engine in ENGINES:
        reason = unavailable(engine)
        if reason:
            run.built[engine] = reason
            continue
        run.copy(f"copy_{engine}", engine)
        run.dbt_build(f"build_{engine}", engine, FIRST_AS_OF)
        run.built[engine] = True
    return run


@pytest.fixture(scope="module")
def daily_build(first_build: Run) -> Run:
    run = first_build
    if run.built["postgres"] is not True:
        skip_or_fail(str(run.built["postgres"]))
    run.load_duckdb("append_duckdb", run.work / "batch", "--append", "events")
    run.dbt_build("daily_build_duckdb", "duckdb", DAILY_AS_OF)
    for engine in ENGINES:
        if run.built[engine] is not True:
            continue
        run.copy(f"daily_copy_{engine}", engine)
        run.dbt_build(f"daily_build_{engine}", engine, DAILY_AS_OF)
    return run


def assert_equal(result: Any) -> None:
    assert result.base_rows > 0, f"{result.table} is empty on DuckDB: nothing was compared"
    problems = "\n".join(result.problems[:10])
    assert result.equal, (
        f"{result.table}: {result.target} differs from duckdb "
        f"({result.base_rows} vs {result.target_rows} rows):\n{problems}"
    )


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("table", COMPARED)
def test_marts_agree_with_duckdb(first_build: Run, engine: str, table: str) -> None:
    if first_build.built[engine] is not True:
        skip_or_fail(str(first_build.built[engine]))
    assert_equal(first_build.compare(engine, table))


@pytest.mark.parametrize("engine", ("duckdb", *ENGINES))
def test_hostile_text_is_data_on_every_engine(first_build: Run, engine: str) -> None:
    """Seeds keep quotes, backslashes, braces and empty cells; contains matches literally."""
    if first_build.built[engine] is not True:
        skip_or_fail(str(first_build.built[engine]))
    rules = {
        row["rule_id"]: row
        for row in first_build.fetch(engine, "scoring_rules")
        if row["model_id"] == "platform"
    }
    assert rules["hostile_text"]["description"] == HOSTILE_DESCRIPTION
    assert rules["hostile_text"]["value"] == HOSTILE_VALUE
    # Empty cells are null, not the text 'None' or '' (dbt-spark's session seeds).
    assert rules["hostile_text"]["max_count"] is None
    assert all(value not in ("None", "") for row in rules.values() for value in row.values())
    hits = {
        (row["rule_id"], row["contact_id"])
        for row in first_build.fetch(engine, "lead_score_contributions")
        if row["rule_id"] in ("hostile_text", "regex_metacharacters")
    }
    assert hits == {("hostile_text", first_build.hostile_contact)}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("table", COMPARED)
def test_incremental_build_agrees_with_duckdb(daily_build: Run, engine: str, table: str) -> None:
    if daily_build.built[engine] is not True:
        skip_or_fail(str(daily_build.built[engine]))
    assert_equal(daily_build.compare(engine, table))


def test_postgres_grants_the_marts_to_the_bi_role(first_build: Run) -> None:
    """Published and built marts are readable by bi_readers; internal models are not."""
    if first_build.built["postgres"] is not True:
        skip_or_fail(str(first_build.built["postgres"]))
    import psycopg2

    saved = dict(os.environ)
    os.environ.update(first_build.env)
    try:
        settings = load_target("postgres")
    finally:
        os.environ.clear()
        os.environ.update(saved)
    with (
        psycopg2.connect(
            host=settings["host"],
            port=settings["port"],
            user=settings["user"],
            password=settings["password"],
            dbname=settings["dbname"],
        ) as con,
        con.cursor() as cursor,
    ):

        def readable(schema: str, table: str) -> bool:
            cursor.execute(
                "select has_table_privilege(%s, format('%%I.%%I', %s, %s), 'select')",
                [BI_ROLE, schema, table],
            )
            return bool(cursor.fetchone()[0])

        for table in COMPARED:
            assert readable(MODEL_SCHEMA, table), f"published {table} is not granted"
            assert readable(f"{MODEL_SCHEMA}_build", table), f"built {table} is not granted"
        assert not readable(MODEL_SCHEMA, "int_entity_scores")
        assert not readable(MODEL_SCHEMA, "stg_crm__contacts")


def test_data_quality_issues_name_the_repaired_rows(first_build: Run) -> None:
    issues = {
        (row["table_name"], row["issue"], row["handling"])
        for row in first_build.fetch("duckdb", "data_quality_issues")
    }
    assert issues >= {
        ("contacts", "invalid email address", "repaired: set to null"),
        ("companies", "negative number", "repaired: set to null"),
        ("events", "unknown contact_id", "kept: scored once the contact is loaded"),
    }


def test_daily_run_scored_the_batch(daily_build: Run) -> None:
    """The daily comparison is not the first one again: T moved and ids were re-delivered."""
    with duckdb.connect(daily_build.env["LEADSCORE_DUCKDB_PATH"], read_only=True) as con:
        scored_at = con.execute("select distinct scored_at from main.lead_scores").fetchall()
        redelivered = con.execute(
            f"select event_id from {RAW_SCHEMA}.events group by event_id having count(*) > 1"
        ).fetchall()
    assert scored_at == [(datetime(2026, 6, 30, 18, 0),)]
    assert len(redelivered) == REDELIVERED


def test_write_timings(daily_build: Run) -> None:
    """Record each step's wall time (for the README and the closing note)."""
    output = REPO / "output" / "engines"
    output.mkdir(parents=True, exist_ok=True)
    (output / "timings.json").write_text(json.dumps(daily_build.timings, indent=2))
    print(json.dumps(daily_build.timings, indent=2))
    built = [engine for engine, done in daily_build.built.items() if done is True]
    assert {f"build_{engine}" for engine in built} <= set(daily_build.timings)
