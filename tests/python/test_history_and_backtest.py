"""Score history and backtest, end to end: one build scores T, history snapshots and cutoffs.

The builds of this module (generated sample data of ``default_build``, loaded once):

- ``main``: one build at T = E2E_AS_OF (18:00 UTC) with a history grid of four snapshots
  (T - 93, T - 62, T - 31 days and T, from a history_start that is not on the grid) and
  three backtest cutoffs (the latest one on a history snapshot), then `dbt test` on it
  (data tests; run apart so that a failing one does not skip the marts the other tests
  read).
- ``fresh``: for the first, a middle and the last snapshot, a separate database built with
  `as_of` at that instant and history and backtest disabled (the "fresh build" a snapshot
  must equal; the one at T is also the "both disabled" build of the last test).
- ``leak``: a copy of the main database with rows inserted into the raw tables after the
  middle cutoff (and before T; some exactly at the last cutoff), rebuilt with the same
  vars. The backtest is also checked against the reference scorer on this data.

Independent builds run in parallel (subprocesses) to keep the module at about a minute.
"""

from __future__ import annotations

import itertools
import json
import math
import shutil
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import load_raw
import pytest
from conftest import (
    E2E_AS_OF,
    REPO,
    BuiltProject,
    DbtRun,
    copy_project,
    read_table,
    run_dbt,
)
from reference_scorer import read_config_dir, read_raw_from_duckdb, round2, score
from scoring_check import free_email_domains

T = E2E_AS_OF
DAY = timedelta(days=1)
MINUTE = timedelta(minutes=1)

# History: snapshots T, T - 31, T - 62, T - 93 days; the start is not on the grid.
HISTORY_STEP_DAYS = 31
HISTORY_START = T - 93 * DAY - timedelta(hours=6)
HISTORY_TIMES = [T - k * HISTORY_STEP_DAYS * DAY for k in (3, 2, 1, 0)]

# Backtest: cutoffs every 150 days from BACKTEST_END back to BACKTEST_START, 90-day outcomes.
# The latest cutoff is also the first history snapshot (one score time, two roles).
HORIZON_DAYS = 90
BACKTEST_STEP_DAYS = 150
BACKTEST_END = T - 93 * DAY
BACKTEST_START = datetime(2025, 6, 1)
CUTOFFS = [BACKTEST_END - k * BACKTEST_STEP_DAYS * DAY for k in (2, 1, 0)]

FRESH_TIMES = [HISTORY_TIMES[0], HISTORY_TIMES[1], T]

SCORE_COLUMNS = ("score", "fit_score", "engagement_score")
FEATURE_COLUMNS = (*SCORE_COLUMNS, "tier", "fit_tier", "engagement_tier", "is_qualified")
LABEL_COLUMNS = ("has_converted", "converted_at")
NUMERIC_TOLERANCE = 0.01
EXACT = 1e-9
MODELS_ONLY = ["--exclude-resource-type", "test", "unit_test"]


def stamp(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def grid_vars(as_of: datetime) -> dict[str, object]:
    return {
        "as_of": stamp(as_of),
        "history_enabled": True,
        "history_start": stamp(HISTORY_START),
        "history_end": "",
        "history_step_days": HISTORY_STEP_DAYS,
        "backtest_enabled": True,
        "backtest_start": stamp(BACKTEST_START),
        "backtest_end": stamp(BACKTEST_END),
        "backtest_step_days": BACKTEST_STEP_DAYS,
        "backtest_horizon_days": HORIZON_DAYS,
    }


def single_instant_vars(as_of: datetime) -> dict[str, object]:
    return {"as_of": stamp(as_of), "history_enabled": False, "backtest_enabled": False}


def dbt_build(project: Path, database: Path, dbt_vars: dict, extra: Iterable[str] = ()) -> DbtRun:
    return run_dbt(project, database, ["build", *extra, "--vars", json.dumps(dbt_vars)])


def models_built(run: DbtRun) -> None:
    """Every seed and model built (dbt data tests are checked by a test of their own)."""
    assert run.statuses, run.text()[-6000:]
    failed = {
        name: status
        for name, status in run.statuses.items()
        if not name.startswith(("test.", "unit_test.")) and status != "success"
    }
    assert not failed, f"{failed}\n{run.text()[-6000:]}"


def rows_where(database: Path, table: str, **equal: object) -> list[dict]:
    return [
        row
        for row in read_table(database, table)
        if all(row[column] == value for column, value in equal.items())
    ]


def same_value(left: object, right: object, tolerance: float = EXACT) -> bool:
    if isinstance(left, float) and isinstance(right, float):
        return abs(left - right) <= tolerance
    return left == right


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def compare_keyed(
    actual: dict[tuple, dict],
    expected: dict[tuple, dict],
    columns: Iterable[str],
    what: str,
    tolerance: float = EXACT,
    limit: int = 30,
) -> list[str]:
    """Disagreements between two keyed row sets on the given columns."""
    problems = [f"{what}: missing {key}" for key in sorted(set(expected) - set(actual), key=str)]
    problems += [f"{what}: extra {key}" for key in sorted(set(actual) - set(expected), key=str)]
    for key in sorted(set(actual) & set(expected), key=str):
        for column in columns:
            left, right = actual[key][column], expected[key][column]
            if _is_number(left) and _is_number(right):
                left, right = float(left), float(right)
            if not same_value(left, right, tolerance):
                problems.append(f"{what} {key}: {column} = {left!r}, expected {right!r}")
    return problems[:limit]


def keyed(rows: Iterable[dict], *key: str) -> dict[tuple, dict]:
    result: dict[tuple, dict] = {}
    for row in rows:
        index = tuple(row.get(k) for k in key)
        assert index not in result, f"duplicate key {index}"
        result[index] = row
    return result


# --------------------------------------------------------------------------- #
# Builds
# --------------------------------------------------------------------------- #
@dataclass
class Builds:
    root: Path
    raw_database: Path
    main: BuiltProject
    main_data_tests: DbtRun  # `dbt test` (data tests) on the main build
    fresh: dict[datetime, BuiltProject]


def _prepare(root: Path, name: str, source_database: Path) -> tuple[Path, Path]:
    project = copy_project(root / name / "project")
    database = root / name / "leadscore.duckdb"
    shutil.copy2(source_database, database)
    return project, database


def _build_then_test(project: Path, database: Path, dbt_vars: dict) -> tuple[DbtRun, DbtRun]:
    """Models first, then the data tests: a failing test does not skip the marts."""
    models = dbt_build(project, database, dbt_vars, MODELS_ONLY)
    data_tests = run_dbt(
        project,
        database,
        ["test", "--exclude-resource-type", "unit_test", "--vars", json.dumps(dbt_vars)],
    )
    return models, data_tests


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory, default_build: BuiltProject) -> Builds:
    """The main grid build and the fresh single-instant builds, run in parallel."""
    root = tmp_path_factory.mktemp("history_backtest")
    raw_database = root / "loaded.duckdb"
    load_raw.load(default_build.data_dir, raw_database)

    main_project, main_database = _prepare(root, "main", raw_database)
    fresh_dirs = [_prepare(root, f"fresh{k}", raw_database) for k in range(len(FRESH_TIMES))]
    with ThreadPoolExecutor(max_workers=1 + len(FRESH_TIMES)) as pool:
        main_future = pool.submit(_build_then_test, main_project, main_database, grid_vars(T))
        fresh_futures = [
            pool.submit(dbt_build, project, database, single_instant_vars(instant), MODELS_ONLY)
            for (project, database), instant in zip(fresh_dirs, FRESH_TIMES, strict=True)
        ]
        main_run, main_tests = main_future.result()
        fresh_runs = [future.result() for future in fresh_futures]
    for run in (main_run, *fresh_runs):
        models_built(run)
    fresh = {
        instant: BuiltProject(project, database, default_build.data_dir, run)
        for (project, database), instant, run in zip(
            fresh_dirs, FRESH_TIMES, fresh_runs, strict=True
        )
    }
    main = BuiltProject(main_project, main_database, default_build.data_dir, main_run)
    return Builds(root, raw_database, main, main_tests, fresh)


def fresh_scores(database: Path) -> dict[tuple, dict]:
    """lead_scores and account_scores of a build, keyed like lead_score_history."""
    rows = read_table(database, "lead_scores")
    rows += [
        {**row, "contact_id": None, "owner_id": None}
        for row in read_table(database, "account_scores")
    ]
    return keyed(rows, "model_id", "contact_id", "company_id")


# --------------------------------------------------------------------------- #
# 1. A history snapshot is what a build with as_of at that instant publishes
# --------------------------------------------------------------------------- #
def test_the_grid_build_passes_its_dbt_data_tests(builds: Builds) -> None:
    """The data tests (keys, re-adding rule points at every score time, ...) on the grid."""
    run = builds.main_data_tests
    assert any(name.startswith("test.") for name in run.statuses), run.text()[-6000:]
    failed = {name: s for name, s in run.statuses.items() if s not in ("success", "pass")}
    assert run.success and not failed, failed


def test_history_snapshots_equal_fresh_builds_at_their_instant(builds: Builds) -> None:
    """lead_score_history at s == lead_scores + account_scores of a build with as_of = s."""
    history = read_table(builds.main.database, "lead_score_history")
    assert sorted({row["scored_at"] for row in history}) == HISTORY_TIMES
    assert all(row["snapshot_date"] == row["scored_at"].date() for row in history)

    snapshots = {
        instant: keyed(
            (row for row in history if row["scored_at"] == instant),
            "model_id",
            "contact_id",
            "company_id",
        )
        for instant in HISTORY_TIMES
    }
    columns = ["owner_id", *FEATURE_COLUMNS]
    for instant in FRESH_TIMES:
        fresh_db = builds.fresh[instant].database
        expected = fresh_scores(fresh_db)
        assert {row["scored_at"] for row in expected.values()} == {instant}
        assert {m for m, _, _ in expected} == {"platform", "insights", "platform_accounts"}
        problems = compare_keyed(snapshots[instant], expected, columns, f"history at {instant}")
        assert not problems, "\n".join(problems)

    # Not vacuous: scores move between snapshots and the population grows.
    first, last = snapshots[HISTORY_TIMES[0]], snapshots[T]
    moved = [
        key
        for key in set(first) & set(last)
        if first[key]["score"] != last[key]["score"]
        or first[key]["engagement_score"] != last[key]["engagement_score"]
    ]
    assert len(moved) >= 10, f"only {len(moved)} entities changed score across the history"
    assert set(last) - set(first), "no entity appeared during the history"
    for earlier, later in itertools.pairwise(HISTORY_TIMES):
        a, b = snapshots[earlier], snapshots[later]
        assert any(a[k]["score"] != b[k]["score"] for k in set(a) & set(b)), (earlier, later)


def test_history_snapshots_agree_with_the_reference_scorer(builds: Builds) -> None:
    """Every snapshot, not only those with a fresh build, is what the spec gives at it."""
    raw = read_raw_from_duckdb(builds.main.database)
    config = read_config_dir(REPO / "seeds")
    history = read_table(builds.main.database, "lead_score_history")
    for instant in HISTORY_TIMES:
        reference = score(raw, config, free_email_domains(REPO / "seeds"), instant)
        expected = keyed(
            [
                *reference["lead_scores"],
                *(
                    {**row, "contact_id": None, "owner_id": None}
                    for row in reference["account_scores"]
                ),
            ],
            "model_id",
            "contact_id",
            "company_id",
        )
        actual = keyed(
            (row for row in history if row["scored_at"] == instant),
            "model_id",
            "contact_id",
            "company_id",
        )
        columns = ["owner_id", *FEATURE_COLUMNS]
        problems = compare_keyed(
            actual, expected, columns, f"history at {instant}", NUMERIC_TOLERANCE
        )
        assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- #
# 2. Backtest features never see the future
# --------------------------------------------------------------------------- #
LEAK_CUTOFF = CUTOFFS[1]
NEW_CONTACT = "c9_new_after_cutoff"
WON_DEAL = "d9_won_after_cutoff"
COMPANY_DEAL = "d9_company_won_after_cutoff"


@dataclass
class LeakScenario:
    before: Path
    after: Path
    pricing_contact: str  # /pricing visits and a demo request after the cutoff
    reset_contact: str  # an unsubscribe (reset) after the cutoff
    idle_contact: str  # idle at T, gets an event just before T
    customer_contact: str  # joins `customers` after the cutoff (excluded from platform at T)
    won_contact: str  # a won deal after the cutoff, inside the horizon
    company_deal_company: str  # a won company deal (no contact) after the cutoff
    new_contact_company: str  # gets a contact created after the cutoff


def _pick(candidates: Iterable[str], taken: set[str], what: str) -> str:
    for contact_id in sorted(candidates):
        if contact_id not in taken:
            taken.add(contact_id)
            return contact_id
    raise AssertionError(f"the sample data has no contact for the leak test: {what}")


def _insert_future_rows(database: Path, scenario: LeakScenario) -> None:
    c = LEAK_CUTOFF
    just_after = c + timedelta(microseconds=1)
    events = [
        # /pricing page views: one a microsecond after the cutoff, one just before T.
        ("e9_pricing_1", scenario.pricing_contact, "page_view", just_after, "/pricing", None),
        ("e9_pricing_2", scenario.pricing_contact, "page_view", T - 2 * DAY, "/pricing?x", None),
        ("e9_demo", scenario.pricing_contact, "demo_request", T - 2 * DAY, None, "Demo"),
        ("e9_burst_0", scenario.pricing_contact, "page_view", just_after, "/docs/a", None),
        # A reset event after the cutoff.
        ("e9_unsubscribe", scenario.reset_contact, "unsubscribe", c + 3 * DAY, None, None),
        # Breaks an inactivity streak, after the cutoff and just before T.
        ("e9_wake_1", scenario.idle_contact, "email_open", c + DAY, None, "Newsletter"),
        ("e9_wake_2", scenario.idle_contact, "email_open", T - DAY, None, "Newsletter"),
        # At exactly the next cutoff (which is also the first history snapshot): counted
        # there, displacing the oldest of the 5 /pricing visits counted (max_count 5) and
        # the latest activity before it (inactivity).
        ("e9_at_cutoff_1", scenario.pricing_contact, "page_view", CUTOFFS[2], "/pricing", None),
        ("e9_at_cutoff_2", scenario.idle_contact, "download", CUTOFFS[2], None, "Whitepaper"),
        # The new contact: events before the cutoff (it did not exist then) and after.
        ("e9_new_1", NEW_CONTACT, "page_view", c - 10 * DAY, "/pricing", None),
        ("e9_new_2", NEW_CONTACT, "demo_request", c - 9 * DAY, None, "Demo"),
        ("e9_new_3", NEW_CONTACT, "trial_signup", T - 5 * DAY, None, "Trial"),
    ]
    # Twenty page views within two hours after the cutoff (a frequency burst), and five
    # more /pricing visits between the cutoff and the next one.
    events += [
        (f"e9_burst_{k}", scenario.pricing_contact, "page_view", c + k * 5 * MINUTE, f"/d{k}", None)
        for k in range(1, 21)
    ]
    events += [
        (f"e9_pricing_{k}", scenario.pricing_contact, "page_view", c + k * DAY, "/pricing", None)
        for k in range(3, 8)
    ]
    with duckdb.connect(str(database)) as con:
        # A later load: loaded_at after every loaded row.
        (loaded_at,) = con.execute(
            "select max(loaded_at) + interval 1 second from raw.events"
        ).fetchone()
        con.executemany(
            "insert into raw.events (event_id, contact_id, event_type, occurred_at, url, detail,"
            " loaded_at) values (?, ?, ?, ?, ?, ?, ?)",
            [(*event, loaded_at) for event in events],
        )
        con.execute(
            """
            insert into raw.contacts
                (contact_id, email, first_name, last_name, job_title, phone, country,
                 company_id, lead_source, lifecycle_stage, owner_id, created_at)
            values (?, 'new.vp@bigcorp-example.com', 'New', 'Contact', 'VP of Engineering',
                    null, 'US', ?, 'web', 'lead', 'o_new', ?)
            """,
            [NEW_CONTACT, scenario.new_contact_company, c + 5 * DAY],
        )
        con.execute(
            "insert into raw.list_memberships (list_name, contact_id, added_at) values (?, ?, ?)",
            ["customers", scenario.customer_contact, c + 10 * DAY],
        )
        won_company = con.execute(
            "select company_id from raw.contacts where contact_id = ?", [scenario.won_contact]
        ).fetchone()[0]
        con.executemany(
            """
            insert into raw.deals
                (deal_id, company_id, contact_id, created_at, closed_at, stage, amount, is_won)
            values (?, ?, ?, ?, ?, 'closed_won', 1000, true)
            """,
            [
                [WON_DEAL, won_company, scenario.won_contact, c + DAY, c + 20 * DAY],
                [COMPANY_DEAL, scenario.company_deal_company, None, c + DAY, c + 30 * DAY],
            ],
        )


@pytest.fixture(scope="module")
def leak(builds: Builds) -> LeakScenario:
    before = builds.main.database
    c = LEAK_CUTOFF
    observations = rows_where(before, "backtest_observations", cutoff_at=c)
    platform_at_c = {r["contact_id"]: r for r in observations if r["model_id"] == "platform"}
    not_converting = {k for k, r in platform_at_c.items() if not r["has_converted"]}
    at_t = {
        r["contact_id"]: r for r in read_table(before, "lead_scores") if r["model_id"] == "platform"
    }
    contributions = defaultdict(set)
    for row in read_table(before, "lead_score_contributions"):
        if row["model_id"] == "platform":
            contributions[row["contact_id"]].add(row["rule_id"])
    accounts_at_c = sorted(
        r["company_id"] for r in observations if r["model_id"] == "platform_accounts"
    )
    members = read_table(before, "list_memberships", schema="raw")
    listed = {r["contact_id"] for r in members}
    contacts = {r["contact_id"]: r for r in read_table(before, "contacts", schema="raw")}
    deal_contacts = {r["contact_id"] for r in read_table(before, "deals", schema="raw")}

    usable = {k for k in not_converting & set(at_t) if k not in deal_contacts | listed}
    taken: set[str] = set()
    pricing = _pick(
        (k for k in usable if at_t[k]["score"] <= 40 and "demo_request" not in contributions[k]),
        taken,
        "low score, no demo",
    )
    reset = _pick(
        (k for k in usable if at_t[k]["engagement_score"] >= 10 and 0 < at_t[k]["score"] < 90),
        taken,
        "engaged",
    )
    idle = _pick(
        (k for k in usable if "inactive_15_days" in contributions[k] and at_t[k]["score"] > 0),
        taken,
        "idle at T",
    )
    customer = _pick(usable, taken, "any applicable contact")
    won = _pick(usable, taken, "not converting")
    company_ids_taken = {contacts[k]["company_id"] for k in taken}
    free_companies = [k for k in accounts_at_c if k not in company_ids_taken]
    assert len(free_companies) >= 2, "too few accounts at the cutoff"
    project, after = _prepare(builds.root, "leak", before)
    scenario = LeakScenario(
        before=before,
        after=after,
        pricing_contact=pricing,
        reset_contact=reset,
        idle_contact=idle,
        customer_contact=customer,
        won_contact=won,
        company_deal_company=free_companies[0],
        new_contact_company=free_companies[1],
    )
    _insert_future_rows(after, scenario)
    models_built(dbt_build(project, after, grid_vars(T), MODELS_ONLY))
    return scenario


def _observations(database: Path, cutoff: datetime) -> dict[tuple, dict]:
    return keyed(
        rows_where(database, "backtest_observations", cutoff_at=cutoff),
        "model_id",
        "contact_id",
        "company_id",
    )


def _rule_hits(database: Path, cutoff: datetime) -> dict[tuple, dict]:
    return keyed(
        rows_where(database, "backtest_rule_hits", cutoff_at=cutoff),
        "model_id",
        "contact_id",
        "company_id",
        "rule_id",
    )


@pytest.mark.slow
def test_backtest_features_never_see_the_future(leak: LeakScenario) -> None:
    """Rows after a cutoff change nothing at it (or before it) but the new deals' labels."""
    c = LEAK_CUTOFF
    contacts = {r["contact_id"]: r for r in read_table(leak.after, "contacts", schema="raw")}
    assert contacts[NEW_CONTACT]["created_at"] > c

    # Sanity, so that the test can fail: the inserted rows reach the scores at T ...
    before_t = fresh_scores(leak.before)
    after_t = fresh_scores(leak.after)
    for contact_id in (leak.pricing_contact, leak.reset_contact, leak.idle_contact):
        key = ("platform", contact_id, contacts[contact_id]["company_id"])
        assert before_t[key]["score"] != after_t[key]["score"] or (
            before_t[key]["engagement_score"] != after_t[key]["engagement_score"]
        ), f"inserting events did not change {key} at T"
    customer = leak.customer_contact
    customer_key = ("platform", customer, contacts[customer]["company_id"])
    assert customer_key in before_t and customer_key not in after_t
    new_key = ("platform", NEW_CONTACT, leak.new_contact_company)
    assert new_key not in before_t and new_key in after_t
    account_key = ("platform_accounts", None, leak.new_contact_company)
    assert before_t[account_key]["score"] != after_t[account_key]["score"]
    # ... and the backtest at the cutoff after them.
    assert _rule_hits(leak.before, CUTOFFS[2]) != _rule_hits(leak.after, CUTOFFS[2])

    # Credited by the new deals: the won contact; the company's contacts and the company.
    company_deal_contacts = {
        k for k, r in contacts.items() if r["company_id"] == leak.company_deal_company
    }
    won_company = contacts[leak.won_contact]["company_id"]
    relabelled = {("platform_accounts", None, leak.company_deal_company)}
    relabelled |= {("platform_accounts", None, won_company)}
    for model_id in ("platform", "insights"):
        for contact_id in {leak.won_contact} | company_deal_contacts:
            relabelled.add((model_id, contact_id, contacts[contact_id]["company_id"]))

    for cutoff in [x for x in CUTOFFS if x <= c]:
        before, after = _observations(leak.before, cutoff), _observations(leak.after, cutoff)
        assert before, f"no observations at {cutoff}"
        # The population is the same; features identical; only the new deals' labels move.
        assert set(before) == set(after), (
            f"population at {cutoff} changed: +{set(after) - set(before)} "
            f"-{set(before) - set(after)}"
        )
        columns = [*FEATURE_COLUMNS, "owner_id", "outcome_ends_at"]
        problems = compare_keyed(after, before, columns, f"observations at {cutoff}")
        assert not problems, "\n".join(problems)
        label_changes = {
            key for key in before if any(before[key][x] != after[key][x] for x in LABEL_COLUMNS)
        }
        assert label_changes <= relabelled, label_changes - relabelled
        if cutoff == c:
            won_key = ("platform", leak.won_contact, won_company)
            assert not before[won_key]["has_converted"]
            assert after[won_key]["has_converted"]
            assert after[won_key]["converted_at"] == c + 20 * DAY

        hits_before, hits_after = _rule_hits(leak.before, cutoff), _rule_hits(leak.after, cutoff)
        assert hits_before
        problems = compare_keyed(
            hits_after,
            hits_before,
            ["group_id", "hits", "hit_weight", "points"],
            f"rule hits at {cutoff}",
        )
        assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- #
# 3. Backtest observations agree with an independent computation
# --------------------------------------------------------------------------- #
def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def credited_conversions(raw: dict[str, list[dict]]) -> dict[tuple[str, str], list[datetime]]:
    """(scope, entity id) -> close times of the won deals credited to it (plain Python).

    A won deal (is_won and closed_at set) converts its contact; without a contact, every
    contact of its company. For company models it converts its company.
    """
    company_contacts: dict[str, set[str]] = defaultdict(set)
    for contact in raw["contacts"]:
        contact_id, company_id = _text(contact["contact_id"]), _text(contact["company_id"])
        if contact_id and company_id:
            company_contacts[company_id].add(contact_id)
    conversions: dict[tuple[str, str], list[datetime]] = defaultdict(list)
    for deal in raw["deals"]:
        if not deal["is_won"] or deal["closed_at"] is None or _text(deal["deal_id"]) is None:
            continue
        contact_id, company_id = _text(deal["contact_id"]), _text(deal["company_id"])
        credited = {contact_id} if contact_id else company_contacts.get(company_id or "", set())
        for credited_contact in credited:
            conversions[("contact", credited_contact)].append(deal["closed_at"])
        if company_id:
            conversions[("company", company_id)].append(deal["closed_at"])
    return conversions


def expected_observations(
    raw: dict[str, list[dict]], cutoff: datetime
) -> tuple[dict[tuple, dict], dict[tuple, dict], int]:
    """(observations, contributions, entities left out as already converted) at a cutoff."""
    config = read_config_dir(REPO / "seeds")
    reference = score(raw, config, free_email_domains(REPO / "seeds"), cutoff)
    conversions = credited_conversions(raw)
    outcome_ends_at = cutoff + HORIZON_DAYS * DAY
    observations: dict[tuple, dict] = {}
    left_out = 0
    for scope, rows in (
        ("contact", reference["lead_scores"]),
        ("company", reference["account_scores"]),
    ):
        for row in rows:
            entity_id = row["contact_id"] if scope == "contact" else row["company_id"]
            closes = conversions.get((scope, entity_id), [])
            if any(closed <= cutoff for closed in closes):
                left_out += 1
                continue
            in_window = [x for x in closes if cutoff < x <= outcome_ends_at]
            key = (row["model_id"], row.get("contact_id"), row["company_id"])
            observations[key] = {
                **row,
                "contact_id": row.get("contact_id"),
                "owner_id": row.get("owner_id"),
                "outcome_ends_at": outcome_ends_at,
                "has_converted": bool(in_window),
                "converted_at": min(in_window) if in_window else None,
            }
    contributions = keyed(
        (
            row
            for row in reference["lead_score_contributions"]
            if (row["model_id"], row["contact_id"], row["company_id"]) in observations
        ),
        "model_id",
        "contact_id",
        "company_id",
        "rule_id",
    )
    return observations, contributions, left_out


def read_groups_and_models() -> tuple[dict[tuple[str, str], tuple[str, float]], dict]:
    config = read_config_dir(REPO / "seeds")
    groups = {
        (row["model_id"], row["group_id"]): (row["dimension"], float(row["max_points"]))
        for row in config["scoring_groups"]
    }
    max_scores = {
        row["model_id"]: float(row["max_score"] or 100) for row in config["scoring_models"]
    }
    return groups, max_scores


@pytest.mark.parametrize(
    "data", ["sample", pytest.param("sample_with_rows_after_a_cutoff", marks=pytest.mark.slow)]
)
def test_backtest_agrees_with_the_reference_scorer(
    data: str, builds: Builds, request: pytest.FixtureRequest
) -> None:
    """Population, scores, tiers and labels at each cutoff from the reference scorer and
    plain-Python conversions; rule hits re-add to every observation's scores."""
    leak: LeakScenario | None = None if data == "sample" else request.getfixturevalue("leak")
    database = builds.main.database if leak is None else leak.after
    raw = read_raw_from_duckdb(database)
    observations = read_table(database, "backtest_observations")
    assert sorted({row["cutoff_at"] for row in observations}) == CUTOFFS
    rule_hits = read_table(database, "backtest_rule_hits")
    groups, max_scores = read_groups_and_models()

    columns = [
        "owner_id",
        *FEATURE_COLUMNS,
        "outcome_ends_at",
        *LABEL_COLUMNS,
    ]
    converted = left_out_total = 0
    for cutoff in CUTOFFS:
        expected, expected_hits, left_out = expected_observations(raw, cutoff)
        left_out_total += left_out
        actual = _observations(database, cutoff)
        assert actual
        problems = compare_keyed(
            actual, expected, columns, f"observations at {cutoff}", NUMERIC_TOLERANCE
        )
        assert not problems, "\n".join(problems)
        converted += sum(row["has_converted"] for row in actual.values())

        # The rule hits that move the score are the reference's contributions.
        actual_hits = {
            key: row for key, row in _rule_hits(database, cutoff).items() if row["points"] != 0
        }
        problems = compare_keyed(
            actual_hits,
            expected_hits,
            ["group_id", "hits", "points"],
            f"rule hits at {cutoff}",
            NUMERIC_TOLERANCE,
        )
        assert not problems, "\n".join(problems)
    assert converted >= 3, "too few conversions in the backtest windows: the labels are vacuous"
    assert left_out_total >= 1, "nobody had converted before a cutoff: exclusion untested"

    # Rule hits re-add to every observation's scores like contributions do.
    group_sums: dict[tuple, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for row in rule_hits:
        entity = (row["cutoff_at"], row["model_id"], row["contact_id"], row["company_id"])
        group_sums[entity][row["group_id"]].append(row["points"])
    observed = {
        (r["cutoff_at"], r["model_id"], r["contact_id"], r["company_id"]): r for r in observations
    }
    assert set(group_sums) <= set(observed), set(group_sums) - set(observed)
    problems = []
    for entity, row in observed.items():
        model_id = entity[1]
        totals = {"fit": [], "engagement": []}
        for group_id, points in group_sums.get(entity, {}).items():
            dimension, cap = groups[(model_id, group_id)]
            totals[dimension].append(min(math.fsum(points), cap))
        upper = max_scores[model_id]
        recomputed = {
            "score": math.fsum(totals["fit"] + totals["engagement"]),
            "fit_score": math.fsum(totals["fit"]),
            "engagement_score": math.fsum(totals["engagement"]),
        }
        for column, value in recomputed.items():
            expected_value = float(round2(max(0.0, min(value, upper))))
            if abs(expected_value - row[column]) > NUMERIC_TOLERANCE + EXACT:
                problems.append(f"{entity}: {column} = {row[column]}, rule hits give {value}")
    assert not problems, "\n".join(problems[:30])


# --------------------------------------------------------------------------- #
# 4. Scores at T do not depend on whether history and backtest are enabled
# --------------------------------------------------------------------------- #
def test_scores_at_t_do_not_depend_on_history_or_backtest(
    builds: Builds, default_build: BuiltProject
) -> None:
    """lead_scores, account_scores, contributions: both disabled == default grids == ours."""
    disabled = builds.fresh[T].database
    tables = {
        "lead_scores": ("model_id", "contact_id"),
        "account_scores": ("model_id", "company_id"),
        "lead_score_contributions": ("model_id", "contact_id", "company_id", "rule_id"),
    }
    for enabled in (default_build.database, builds.main.database):
        with duckdb.connect(str(enabled), read_only=True) as con:
            cutoffs = con.execute(
                "select count(distinct cutoff_at) from main.backtest_observations"
            ).fetchone()[0]
            snapshots = con.execute(
                "select count(distinct scored_at) from main.lead_score_history"
            ).fetchone()[0]
        assert cutoffs >= 3 and snapshots >= 4, "history or backtest is not enabled"
        for table, key in tables.items():
            expected = keyed(read_table(disabled, table), *key)
            actual = keyed(read_table(enabled, table), *key)
            assert expected, table
            columns = list(next(iter(expected.values())))
            problems = compare_keyed(actual, expected, columns, f"{table} of {enabled.parent.name}")
            assert not problems, "\n".join(problems)
    with duckdb.connect(str(disabled), read_only=True) as con:
        assert con.execute("select count(*) from main.backtest_observations").fetchone() == (0,)
        assert con.execute(
            "select count(distinct scored_at) from main.lead_score_history"
        ).fetchone() == (0,)
