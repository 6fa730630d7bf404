"""Incremental runs equal a full refresh (docs/performance.md).

Generated events arrive over several simulated days: a history load, then
daily batches appended with `load_raw --append events` that hold the day's
events, late events (yesterday's, delivered today) and re-delivered event ids
(one changed, one an exact copy). One day also changes the rules: a
condition's value (re-matching), points and a window (no re-matching), a new
rule and a removed one. After every incremental `dbt build`, a copy of the
database is rebuilt with `--full-refresh` and every scoring table must be
identical, row for row. The incremental state must also have been extended,
not silently rebuilt.
"""

from __future__ import annotations

import csv
import shutil
import zlib
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from conftest import copy_project, run_dbt

SEED = 23
CONTACTS = 250
END = "2026-06-30"
DAY1 = datetime(2026, 6, 27)  # the history holds events before DAY1

# Tables compared between the incremental build and the full refresh, with the
# columns that record *when* something was computed left out.
COMPARED = {
    "stg_crm__events": [
        "event_id",
        "contact_id",
        "event_type",
        "occurred_at",
        "url",
        "detail",
        "first_loaded_at",
    ],
    "int_event_rule_matches": ["matcher_signature", "contact_id", "event_id", "occurred_at"],
    "int_event_match_sequences": [
        "matcher_signature",
        "contact_id",
        "event_id",
        "occurred_at",
        "match_number",
        "next_occurred_at",
    ],
    "lead_scores": None,
    "account_scores": None,
    "lead_score_contributions": None,
    "lead_score_rule_hits": None,
    "lead_score_history": None,
    "lead_score_changes": None,
}


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def build(project: Path, database: Path, as_of: datetime, *extra: str) -> None:
    # History over the last 3 days keeps the check on lead_score_history quick; the
    # unit tests check SQL, not state, and run once in the shared build.
    variables = (
        f"{{as_of: '{stamp(as_of)}', history_start: '{stamp(as_of - timedelta(days=3))}', "
        "backtest_enabled: false}"
    )
    args = ["build", "--exclude-resource-type", "unit_test", *extra, "--vars", variables]
    run = run_dbt(project, database, args)
    assert run.success, run.text()


def rows(database: Path, table: str, columns: list[str] | None) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        names = ", ".join(columns) if columns else "*"
        # Rows without event_id record matchers or mark replaced pairs.
        where = " where event_id is not null" if table.startswith("int_event_") else ""
        result = con.execute(f"select {names} from main.{table}{where}").fetchall()
    rounded = [tuple(round(v, 6) if isinstance(v, float) else v for v in row) for row in result]
    return sorted(rounded, key=repr)


def assert_equals_full_refresh(project: Path, database: Path, as_of: datetime, tmp: Path) -> None:
    full = tmp / f"full_{as_of:%m%d}.duckdb"
    shutil.copyfile(database, full)
    # The reference needs its tables, not its data tests (the incremental build ran them).
    build(project, full, as_of, "--full-refresh", "--exclude-resource-type", "test")
    for table, columns in COMPARED.items():
        incremental_rows = rows(database, table, columns)
        assert incremental_rows, f"{table} is empty: the comparison would be vacuous"
        assert incremental_rows == rows(full, table, columns), (
            f"{table}: the incremental build differs from a full refresh at {as_of}"
        )


def write_events(directory: Path, events: list[tuple]) -> None:
    directory.mkdir(parents=True)
    con = duckdb.connect()
    con.execute(
        "create table events (event_id varchar, contact_id varchar, event_type varchar,"
        " occurred_at timestamptz, url varchar, detail varchar)"
    )
    con.executemany("insert into events values (?, ?, ?, ?, ?, ?)", events)
    con.execute(f"copy events to '{directory / 'events.parquet'}' (format parquet)")
    con.close()


def change_rules(seeds: Path) -> None:
    """Day 3's rule change: every kind of edit a user makes."""
    path = seeds / "scoring_rules.csv"
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        fields = list(reader.fieldnames or [])
        rules = list(reader)
    kept = []
    for rule in rules:
        key = (rule["model_id"], rule["rule_id"])
        if key == ("platform", "pricing_page_visit"):
            rule["value"] = "/pricing|/product"  # re-matched over every event
        if key == ("platform", "email_open"):
            rule["points"], rule["window_days"] = "2", "30"  # applied at score time
        if key == ("platform", "careers_page_visit"):
            continue  # removed: its matches must go
        kept.append(rule)
    new_rule = dict.fromkeys(fields, "")
    new_rule.update(
        model_id="platform",
        rule_id="blog_reader",
        group_id="website",
        description="Read the blog.",
        rule_type="event",
        field="event.url",
        event_type="page_view",
        operator="contains",
        value="/blog",
        points="1",
        max_count="5",
    )
    kept.append(new_rule)
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(kept)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    import generate_data
    import load_raw

    root = tmp_path_factory.mktemp("incremental")
    data = root / "data"
    generate_data.main(
        ["--output", str(data), "--contacts", str(CONTACTS), "--seed", str(SEED), "--end", END,
         "--format", "parquet"]
    )  # fmt: skip
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        events = con.execute(
            f"select * from read_parquet('{data / 'events.parquet'}')"
            " order by occurred_at, event_id"
        ).fetchall()
    history = root / "history"
    history.mkdir()
    for table in ("contacts", "companies", "deals", "list_memberships"):
        shutil.copy(data / f"{table}.parquet", history / f"{table}.parquet")

    def day_of(event: tuple) -> datetime:
        return event[3].replace(tzinfo=None)

    # Every 7th event of the day before a batch arrives late, with that batch.
    late = {
        e[0]
        for e in events
        if day_of(e) >= DAY1 - timedelta(days=3) and zlib.crc32(e[0].encode()) % 7 == 0
    }
    base = [e for e in events if day_of(e) < DAY1 and e[0] not in late]
    write_events(history / "events_dir", base)
    shutil.move(history / "events_dir" / "events.parquet", history / "events.parquet")
    (history / "events_dir").rmdir()
    batches = []
    for k in range(3):
        start, stop = DAY1 + timedelta(days=k), DAY1 + timedelta(days=k + 1)
        batch = [
            e
            for e in events
            if start <= day_of(e) < stop
            or (e[0] in late and start - timedelta(days=3) <= day_of(e) < start)
        ]
        assert any(day_of(e) < start for e in batch), "the batch should hold late events"
        # A re-delivered event with new content (a later time and a /pricing url), and
        # an exact copy of another: staging keeps the latest version of each.
        # The changed one is not a page view, so its old matches (another matcher)
        # must go.
        changed = [e for e in base if e[2] != "page_view"][-(k + 1) * 11]
        batch.append(
            (changed[0], changed[1], "page_view", changed[3] + timedelta(hours=1),
             "https://www.example.com/pricing", None)
        )  # fmt: skip
        batch.append(base[-(k + 1) * 13])
        batches.append(batch)

    project = copy_project(root / "project")
    database = root / "leadscore.duckdb"
    load_raw.load(history, database)
    build(project, database, DAY1)
    with duckdb.connect(str(database), read_only=True) as con:
        (first_watermark,) = con.execute(
            "select max(matched_through) from main.int_event_rule_matches"
        ).fetchone()
        (careers_matcher,) = con.execute(
            "select matcher_signature from main.int_event_rule_signatures"
            " where model_id = 'platform' and rule_id = 'careers_page_visit'"
        ).fetchone()
        (careers_matches,) = con.execute(
            "select count(*) from main.int_event_rule_matches where matcher_signature = ?",
            [careers_matcher],
        ).fetchone()
    assert careers_matches > 1, "the removed rule should have matches to remove"
    return {
        "root": root,
        "project": project,
        "database": database,
        "batches": batches,
        "first_watermark": first_watermark,
        "careers_matcher": careers_matcher,
        "load": load_raw.load,
        "days": 0,  # daily batches appended so far
    }


def append_day(scenario: dict[str, object], k: int) -> Path:
    assert scenario["days"] == k, f"day {k} comes after days 0..{scenario['days']}"
    directory = Path(scenario["root"]) / f"day{k}"  # type: ignore[arg-type]
    write_events(directory, scenario["batches"][k])  # type: ignore[index]
    scenario["load"](directory, scenario["database"], append=["events"])  # type: ignore[operator]
    scenario["days"] = k + 1
    return directory


def daily_run(scenario: dict[str, object], k: int) -> datetime:
    """Day k's batch appended and built at the end of the day; returns that as_of.

    The days before k are run first if an earlier test (of another tier) did not.
    """
    project, database = Path(scenario["project"]), Path(scenario["database"])  # type: ignore[arg-type]
    while scenario["days"] <= k:  # type: ignore[operator]
        day = int(scenario["days"])  # type: ignore[call-overload]
        append_day(scenario, day)
        build(project, database, DAY1 + timedelta(days=day + 1))
    return DAY1 + timedelta(days=k + 1)


def extended_and_renumbered(database: Path) -> tuple[int, int]:
    """Pairs the last run extended (rows of an earlier run kept, the latest rewritten
    and new ones numbered on) and pairs it renumbered whole (a late match before the
    stored ones: every row rewritten)."""
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(
            """
            with pairs as (
                select
                    matcher_signature,
                    contact_id,
                    count(*) filter (where sequenced_through = latest) as rewritten,
                    count(*) as matches,
                    min(match_number) filter (where sequenced_through = latest) as first_rewritten
                from main.int_event_match_sequences
                cross join (
                    select max(sequenced_through) as latest from main.int_event_match_sequences
                )
                where event_id is not null
                group by all
            )
            select
                count(*) filter (where first_rewritten > 1 and rewritten < matches),
                count(*) filter (where first_rewritten = 1 and rewritten = matches and matches > 1)
            from pairs
            """
        ).fetchone()


def assert_day_equals_a_full_refresh_and_extends_pairs(
    scenario: dict[str, object], k: int, tmp: Path
) -> None:
    """Day k's run equals a full refresh, and it extended some pairs and renumbered others."""
    project, database = Path(scenario["project"]), Path(scenario["database"])  # type: ignore[arg-type]
    as_of = daily_run(scenario, k)
    assert_equals_full_refresh(project, database, as_of, tmp)
    extended, renumbered = extended_and_renumbered(database)
    assert extended > 0, "no pair was extended: every touched pair was renumbered"
    assert renumbered > 0, "no pair was renumbered: the late events should cause some"


def test_a_daily_run_with_late_and_redelivered_events_equals_a_full_refresh(
    scenario: dict[str, object], tmp_path: Path
) -> None:
    assert_day_equals_a_full_refresh_and_extends_pairs(scenario, 0, tmp_path)


@pytest.mark.slow
def test_daily_runs_keep_the_earlier_runs_matches_and_equal_a_full_refresh(
    scenario: dict[str, object], tmp_path: Path
) -> None:
    assert_day_equals_a_full_refresh_and_extends_pairs(scenario, 1, tmp_path)
    database = Path(scenario["database"])  # type: ignore[arg-type]
    with duckdb.connect(str(database), read_only=True) as con:
        watermarks = con.execute(
            "select count(distinct matched_through) from main.int_event_rule_matches"
            " where event_id is not null"
        ).fetchone()[0]
        kept = con.execute(
            "select count(*) from main.int_event_rule_matches where matched_through = ?",
            [scenario["first_watermark"]],
        ).fetchone()[0]
    # Matches of the history run were kept, not recomputed: the runs were incremental.
    assert watermarks >= 3, watermarks
    assert kept > 0


@pytest.mark.slow
def test_rule_change_rematches_only_what_it_affects_and_equals_a_full_refresh(
    scenario: dict[str, object], tmp_path: Path
) -> None:
    project, database = Path(scenario["project"]), Path(scenario["database"])  # type: ignore[arg-type]
    daily_run(scenario, 1)
    change_rules(project / "seeds")
    as_of = daily_run(scenario, 2)
    assert_equals_full_refresh(project, database, as_of, tmp_path)
    with duckdb.connect(str(database), read_only=True) as con:
        newest = con.execute(
            "select max(matched_through) from main.int_event_rule_matches"
        ).fetchone()[0]
        by_rule = dict(
            con.execute(
                """
                select rules.rule_id, bool_and(matches.matched_through = ?)
                from main.int_event_rule_matches as matches
                inner join main.int_event_rule_signatures as rules
                    on matches.matcher_signature = rules.matcher_signature
                where matches.event_id is not null and rules.model_id = 'platform'
                  and matches.occurred_at < ?
                group by rules.rule_id
                """,
                [newest, DAY1],
            ).fetchall()
        )
        # careers_page_visit was the only rule with its matcher: its matches are gone.
        removed = con.execute(
            "select count(*) from main.int_event_rule_matches where matcher_signature = ?",
            [scenario["careers_matcher"]],
        ).fetchone()[0]
    # The changed and the new rule were matched again over old events; the others kept
    # their old matches (the email_open points/window change needs no re-matching).
    assert by_rule["pricing_page_visit"] is True
    assert by_rule["blog_reader"] is True
    assert by_rule["email_open"] is False
    assert by_rule["content_download"] is False
    assert removed == 0


@pytest.mark.slow
def test_moving_as_of_forward_without_new_events_equals_a_full_refresh(
    scenario: dict[str, object], tmp_path: Path
) -> None:
    project, database = Path(scenario["project"]), Path(scenario["database"])  # type: ignore[arg-type]
    as_of = DAY1 + timedelta(days=5, hours=6)
    build(project, database, as_of)
    assert_equals_full_refresh(project, database, as_of, tmp_path)


# The data tests of the incremental match models (docs/performance.md, "Tests
# that scale") and the whole-table reconciliation between them.
SCOPED_TESTS = [
    "stg_crm__events",
    "stg_crm__row_issues",
    "int_event_rule_matches",
    "int_event_match_sequences",
    "assert_event_matches_reconcile_per_matcher",
]


def failed_tests(project: Path, database: Path, *extra: str) -> set[str]:
    run = run_dbt(project, database, ["test", "--select", *SCOPED_TESTS, *extra])
    assert run.statuses, run.text()
    errors = {name for name, status in run.statuses.items() if status == "error"}
    assert not errors, run.text()
    return {name.split(".")[2] for name, status in run.statuses.items() if status == "fail"}


@pytest.mark.slow
def test_data_tests_of_incremental_models_check_the_latest_run_and_reconcile_the_rest(
    scenario: dict[str, object], tmp_path: Path
) -> None:
    project = Path(scenario["project"])  # type: ignore[arg-type]
    source = Path(scenario["database"])  # type: ignore[arg-type]
    daily_run(scenario, 0)  # at least one run after the history run
    # Rows the history run wrote (an earlier run than the latest).
    first = f"timestamp '{scenario['first_watermark']}'"

    def tampered(name: str, statement: str) -> Path:
        database = tmp_path / f"{name}.duckdb"
        shutil.copyfile(source, database)
        with duckdb.connect(str(database)) as con:
            (newest,) = con.execute(
                "select max(matched_through) from main.int_event_rule_matches"
            ).fetchone()
            assert newest > scenario["first_watermark"], "the scenario should have later runs"
            changed = con.execute(statement).fetchall()
            assert changed and changed[0][0] >= 1, (name, changed)
        return database

    # The scenario's database after incremental runs passes as it is.
    assert failed_tests(project, source) == set()

    # An old match that a run appended again without removing the old one: the
    # latest run's keys are counted over the whole table.
    again = tampered(
        "appended_again",
        f"""insert into main.int_event_rule_matches
            select * replace (
                (select max(matched_through) from main.int_event_rule_matches) as matched_through
            )
            from main.int_event_rule_matches
            where matched_through = {first} and event_id is not null
            order by event_id
            limit 1""",
    )
    failed = failed_tests(project, again)
    assert any(
        name.startswith("unique_combination_of_columns_int_event_rule_matches") for name in failed
    ), failed

    # A row an earlier run wrote is not re-checked row by row on a daily run,
    # but is with test_whole_tables (and on --full-refresh, which rebuilds).
    old_null = tampered(
        "old_null",
        f"""update main.int_event_rule_matches set occurred_at = null
            where event_id = (
                select min(event_id) from main.int_event_rule_matches
                where matched_through = {first} and event_id is not null
            )
            and matched_through = {first}""",
    )
    assert failed_tests(project, old_null) == set()
    whole = failed_tests(project, old_null, "--vars", "{test_whole_tables: true}")
    assert whole == {"not_null_int_event_rule_matches_occurred_at"}, whole

    # A sequenced match lost by a run (an old pair's row deleted): only the
    # whole-table counts per matcher see it.
    lost = tampered(
        "lost",
        f"""delete from main.int_event_match_sequences
            where event_id = (
                select min(event_id) from main.int_event_match_sequences
                where sequenced_through = {first} and event_id is not null
            )
            and sequenced_through = {first}""",
    )
    assert failed_tests(project, lost) == {"assert_event_matches_reconcile_per_matcher"}

    # A run that replaced a pair but left one of its old rows behind: the run's
    # own rows are unique among themselves, the counts per matcher are not equal.
    left_behind = tampered(
        "left_behind",
        f"""insert into main.int_event_match_sequences
            select * replace ({first} as sequenced_through)
            from main.int_event_match_sequences
            where sequenced_through > {first} and event_id is not null
            order by matcher_signature, contact_id, match_number
            limit 1""",
    )
    assert failed_tests(project, left_behind) == {"assert_event_matches_reconcile_per_matcher"}

    # A run that extended a pair from the wrong number (a gap before its new
    # latest match): unique among the run's rows, but the latest numbers no
    # longer sum to the count.
    gap = tampered(
        "numbered_with_gap",
        """update main.int_event_match_sequences set match_number = match_number + 1
            where (matcher_signature, contact_id, match_number) in (
                select matcher_signature, contact_id, match_number
                from main.int_event_match_sequences
                where next_occurred_at is null and event_id is not null
                order by matcher_signature, contact_id
                limit 1
            )""",
    )
    assert failed_tests(project, gap) == {"assert_event_matches_reconcile_per_matcher"}

    # A staged event the latest run wrote, lost: the reconciliation of that
    # run's raw loads finds a valid event_id it did not stage.
    unstaged = tampered(
        "unstaged",
        """delete from main.stg_crm__events
            where event_id = (
                select min(event_id) from main.stg_crm__events
                where staged_through = (select max(staged_through) from main.stg_crm__events)
            )""",
    )
    assert "assert_raw_rows_are_staged_or_reported" in failed_tests(project, unstaged)

    # A match of the latest run whose event is not staged: the scoped
    # relationships test looks the run's event_ids up among every staged
    # event (the sides of its join swapped: the run's rows are the lookup).
    orphan = tampered(
        "orphan_match",
        """update main.int_event_rule_matches set event_id = 'not-a-staged-event'
            where (matcher_signature, event_id) in (
                select matcher_signature, event_id from main.int_event_rule_matches
                where event_id is not null and matched_through = (
                    select max(matched_through) from main.int_event_rule_matches
                )
                order by matcher_signature, event_id
                limit 1
            )""",
    )
    failed = failed_tests(project, orphan)
    assert any(
        name.startswith("relationships_int_event_rule_matches_event_id") for name in failed
    ), failed

    # An old event staged again by the latest run without replacing the old
    # row: the latest run's event_ids are counted over the whole table.
    staged_twice = tampered(
        "staged_twice",
        f"""insert into main.stg_crm__events
            select * replace (
                (select max(staged_through) from main.stg_crm__events) as staged_through
            )
            from main.stg_crm__events
            where staged_through = {first}
            order by event_id
            limit 1""",
    )
    failed = failed_tests(project, staged_twice)
    assert any(
        name.startswith("unique_combination_of_columns_stg_crm__events_event_id") for name in failed
    ), failed
