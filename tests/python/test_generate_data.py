"""scripts/generate_data.py: deterministic, spec-shaped and behaviourally plausible data."""

from __future__ import annotations

import csv
import re
import sys
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

import generate_data

END = "2025-06-30"
MONTHS = 18
WINDOW_START = datetime(2024, 1, 1, tzinfo=UTC)  # 18 months before 2025-07-01
WINDOW_END = datetime(2025, 6, 30, 23, 59, 59, tzinfo=UTC)

SPEC_COLUMNS = {
    "contacts": [
        "contact_id", "email", "first_name", "last_name", "job_title", "phone", "country",
        "company_id", "lead_source", "lifecycle_stage", "owner_id", "created_at",
    ],
    "companies": [
        "company_id", "name", "domain", "industry", "employee_count", "annual_revenue", "country",
    ],
    "events": ["event_id", "contact_id", "event_type", "occurred_at", "url", "detail"],
    "deals": [
        "deal_id", "company_id", "contact_id", "created_at", "closed_at", "stage", "amount",
        "is_won",
    ],
    "list_memberships": ["list_name", "contact_id", "added_at"],
}  # fmt: skip
CUSTOM_COLUMNS = {"contacts": ["newsletter_opt_in"], "companies": ["tech_stack"]}
KEYS = {
    "contacts": ("contact_id",),
    "companies": ("company_id",),
    "events": ("event_id",),
    "deals": ("deal_id",),
    "list_memberships": ("list_name", "contact_id"),
}
EVENT_TYPES = {
    "page_view", "email_open", "email_click", "email_bounce", "form_submit", "download",
    "webinar_attend", "demo_request", "trial_signup", "contact_sales", "unsubscribe",
}  # fmt: skip
TARGET_INDUSTRIES = {"software", "financial services", "healthcare", "ecommerce"}
NEVER = datetime.max.replace(tzinfo=UTC)
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")

Tables = dict[str, list[dict[str, str]]]


def generate(
    directory: Path, contacts: int, seed: int = 7, fmt: str = "csv", *options: str
) -> Path:
    argv = ["--output", str(directory), "--contacts", str(contacts), "--seed", str(seed)]
    argv += ["--end", END, "--months", str(MONTHS), "--format", fmt, *options]
    assert generate_data.main(argv) == 0
    return directory


def read_tables(directory: Path) -> Tables:
    tables: Tables = {}
    for name in SPEC_COLUMNS:
        with (directory / f"{name}.csv").open(newline="", encoding="utf-8") as handle:
            tables[name] = list(csv.DictReader(handle))
    return tables


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def small_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(tmp_path_factory.mktemp("small"), 300)


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Tables:
    return read_tables(generate(tmp_path_factory.mktemp("large"), 2000))


@pytest.fixture(scope="module")
def small(small_dir: Path) -> Tables:
    return read_tables(small_dir)


def test_same_seed_gives_identical_files(small_dir: Path, tmp_path: Path) -> None:
    again = generate(tmp_path / "again", 300)
    for name in SPEC_COLUMNS:
        assert (again / f"{name}.csv").read_bytes() == (small_dir / f"{name}.csv").read_bytes()
    other = generate(tmp_path / "other", 300, seed=8)
    assert (other / "events.csv").read_bytes() != (small_dir / "events.csv").read_bytes()


def test_parquet_is_deterministic_and_matches_csv(small: Tables, tmp_path: Path) -> None:
    first = generate(tmp_path / "p1", 300, fmt="parquet")
    second = generate(tmp_path / "p2", 300, fmt="parquet")
    for name in SPEC_COLUMNS:
        assert (first / f"{name}.parquet").read_bytes() == (second / f"{name}.parquet").read_bytes()
        table = pq.read_table(first / f"{name}.parquet")
        assert table.column_names == SPEC_COLUMNS[name] + CUSTOM_COLUMNS.get(name, [])
        assert table.num_rows == len(small[name])
    events = pq.read_table(first / "events.parquet")
    assert str(events.schema.field("occurred_at").type) == "timestamp[us, tz=UTC]"
    assert events.column("event_id").to_pylist() == [r["event_id"] for r in small["events"]]
    deals = pq.read_table(first / "deals.parquet")
    assert deals.column("is_won").to_pylist() == [r["is_won"] == "true" for r in small["deals"]]
    memberships = pq.read_table(first / "list_memberships.parquet")
    assert str(memberships.schema.field("added_at").type) == "timestamp[us, tz=UTC]"
    assert memberships.column("added_at").to_pylist() == [
        ts(r["added_at"]) if r["added_at"] else None for r in small["list_memberships"]
    ]


@pytest.mark.parametrize("size", ["small", "large"])
def test_columns_keys_and_formats(size: str, request: pytest.FixtureRequest) -> None:
    tables: Tables = request.getfixturevalue(size)
    for name, columns in SPEC_COLUMNS.items():
        rows = tables[name]
        assert rows, f"{name} is empty"
        assert list(rows[0]) == columns + CUSTOM_COLUMNS.get(name, [])
        keys = [tuple(row[k] for k in KEYS[name]) for row in rows]
        assert len(set(keys)) == len(keys), f"{name}: duplicate keys"
    contacts = tables["contacts"]
    assert all(re.fullmatch(r"c\d{6}", r["contact_id"]) for r in contacts)
    assert all(re.fullmatch(r"e\d{7}", r["event_id"]) for r in tables["events"])
    assert {r["newsletter_opt_in"] for r in contacts} <= {"yes", "no"}
    assert {r["is_won"] for r in tables["deals"]} <= {"true", "false"}
    stamps = [r["created_at"] for r in contacts] + [r["occurred_at"] for r in tables["events"]]
    stamps += [r[c] for r in tables["deals"] for c in ("created_at", "closed_at") if r[c]]
    stamps += [r["added_at"] for r in tables["list_memberships"] if r["added_at"]]
    assert all(TIMESTAMP.fullmatch(s) for s in stamps)
    for row in tables["companies"]:
        assert 5 <= int(row["employee_count"]) <= 50_000
        assert float(row["annual_revenue"]) > 0
    assert {r["list_name"] for r in tables["list_memberships"]} == {
        "customers", "competitors", "newsletter", "event_attendees",
    }  # fmt: skip


@pytest.mark.parametrize("size", ["small", "large"])
def test_foreign_keys(size: str, request: pytest.FixtureRequest) -> None:
    tables: Tables = request.getfixturevalue(size)
    contact_ids = {r["contact_id"] for r in tables["contacts"]}
    company_ids = {r["company_id"] for r in tables["companies"]}
    assert {r["contact_id"] for r in tables["events"]} <= contact_ids
    assert {r["company_id"] for r in tables["contacts"]} <= company_ids | {""}
    assert {r["company_id"] for r in tables["deals"]} <= company_ids
    assert {r["contact_id"] for r in tables["deals"]} <= contact_ids | {""}
    assert {r["contact_id"] for r in tables["list_memberships"]} <= contact_ids
    freelancers = sum(r["company_id"] == "" for r in tables["contacts"])
    assert 0.03 < freelancers / len(tables["contacts"]) < 0.15


def test_every_event_type_and_vocabulary(large: Tables) -> None:
    events = large["events"]
    assert {r["event_type"] for r in events} == EVENT_TYPES
    for row in events:
        if row["event_type"] in ("page_view", "email_click"):
            assert row["url"].startswith("https://www.example.com/"), row
        else:
            assert row["url"] == "", row
    details = {r["event_type"]: set() for r in events}
    for row in events:
        details[row["event_type"]].add(row["detail"])
    assert details["form_submit"] == {
        "Contact us", "Support request", "Pricing calculator", "Newsletter signup",
        "Webinar registration",
    }  # fmt: skip
    assert details["download"] == {
        "Product catalog", "Whitepaper: Modern data stack", "Dashboard template pack",
    }  # fmt: skip
    assert details["webinar_attend"] == {"Webinar: Platform 101", "Webinar: Analytics deep dive"}
    assert details["demo_request"] == {"Platform demo", "Insights demo"}
    assert details["trial_signup"] == {"Platform trial", "Insights trial"}
    assert details["page_view"] == {""}
    assert "Product update" in details["email_open"]
    assert any(d.startswith("Newsletter: ") for d in details["email_open"])
    urls = {r["url"] for r in events if r["event_type"] == "page_view"}
    for path in (
        "/pricing",
        "/pricing-calculator",
        "/careers",
        "/product",
        "/insights",
        "/support",
    ):
        assert f"https://www.example.com{path}" in urls
    assert any("?utm_source=newsletter&utm_medium=email" in u for u in urls)
    assert any("?utm_source=google&utm_medium=cpc" in u for u in urls)
    stages = {r["lifecycle_stage"] for r in large["contacts"]}
    assert stages == {
        "subscriber", "lead", "marketing_qualified_lead", "sales_qualified_lead", "opportunity",
        "customer",
    }  # fmt: skip
    free = sum(
        r["email"].split("@")[1] in {"gmail.com", "yahoo.com", "hotmail.com", "outlook.com",
                                     "icloud.com", "gmx.de", "proton.me"}
        for r in large["contacts"]
    )  # fmt: skip
    assert 0.1 < free / len(large["contacts"]) < 0.3


@pytest.mark.parametrize("size", ["small", "large"])
def test_events_within_history(size: str, request: pytest.FixtureRequest) -> None:
    tables: Tables = request.getfixturevalue(size)
    times = [ts(r["occurred_at"]) for r in tables["events"]]
    assert min(times) >= WINDOW_START
    assert max(times) <= WINDOW_END
    # The history is covered, not just a corner of it.
    assert min(times) < WINDOW_START + timedelta(days=14)
    assert max(times) > WINDOW_END - timedelta(days=3)
    created = {r["contact_id"]: ts(r["created_at"]) for r in tables["contacts"]}
    assert max(created.values()) <= WINDOW_END
    after = sum(ts(r["occurred_at"]) >= created[r["contact_id"]] for r in tables["events"])
    assert after / len(times) > 0.85, "events should mostly follow the contact's creation"
    for deal in tables["deals"]:
        assert ts(deal["created_at"]) <= WINDOW_END
        if deal["closed_at"]:
            assert ts(deal["created_at"]) < ts(deal["closed_at"]) <= WINDOW_END


def test_bursts_of_page_views(large: Tables) -> None:
    views: dict[str, list[datetime]] = defaultdict(list)
    for row in large["events"]:
        if row["event_type"] == "page_view":
            views[row["contact_id"]].append(ts(row["occurred_at"]))
    heavy = 0
    for times in views.values():
        times.sort()
        j = 0
        for i, t in enumerate(times):
            while times[j] < t - timedelta(days=5):
                j += 1
            if i - j + 1 >= 20:
                heavy += 1
                break
    assert heavy >= 20, "some contacts should have 20+ page views within 5 days"
    counts = sorted(len(v) for v in views.values())
    assert counts[len(counts) // 2] < counts[int(len(counts) * 0.95)] / 3, "activity is skewed"


def test_deals_stages_and_lifecycle_agree(large: Tables) -> None:
    deals = large["deals"]
    companies = len(large["companies"])
    won = {d["company_id"] for d in deals if d["is_won"] == "true"}
    assert 0.04 <= len(won) / companies <= 0.12
    for deal in deals:
        assert (deal["is_won"] == "true") == (deal["stage"] == "closedwon")
        assert (deal["closed_at"] == "") == (deal["stage"] not in ("closedwon", "closedlost"))
    assert 0.1 < sum(d["contact_id"] == "" for d in deals) / len(deals) < 0.4
    open_companies = {d["company_id"] for d in deals if not d["closed_at"]}
    for contact in large["contacts"]:
        stage = contact["lifecycle_stage"]
        assert (stage == "customer") == (contact["company_id"] in won), contact
        if stage == "opportunity":
            assert contact["company_id"] in open_companies, contact
    customers = {
        r["contact_id"] for r in large["list_memberships"] if r["list_name"] == "customers"
    }
    assert customers == {
        r["contact_id"] for r in large["contacts"] if r["lifecycle_stage"] == "customer"
    }
    newsletter = {
        r["contact_id"] for r in large["list_memberships"] if r["list_name"] == "newsletter"
    }
    assert newsletter == {
        r["contact_id"] for r in large["contacts"] if r["newsletter_opt_in"] == "yes"
    }
    competitors = [r for r in large["list_memberships"] if r["list_name"] == "competitors"]
    assert 0.005 < len(competitors) / len(large["contacts"]) < 0.05


@pytest.mark.parametrize("size", ["small", "large"])
def test_list_memberships_are_dated_by_the_history(
    size: str, request: pytest.FixtureRequest
) -> None:
    """added_at: customers since the company's first win, event attendees since
    their first webinar (or creation when met at an event), newsletter since
    creation, competitors all along (null)."""
    tables: Tables = request.getfixturevalue(size)
    contacts = {r["contact_id"]: r for r in tables["contacts"]}
    first_win: dict[str, datetime] = {}
    for deal in tables["deals"]:
        if deal["is_won"] == "true":
            closed = ts(deal["closed_at"])
            first_win[deal["company_id"]] = min(closed, first_win.get(deal["company_id"], closed))
    first_attend: dict[str, datetime] = {}
    for row in tables["events"]:
        if row["event_type"] == "webinar_attend":
            at = ts(row["occurred_at"])
            first_attend[row["contact_id"]] = min(at, first_attend.get(row["contact_id"], at))

    dated_before_creation: set[str] = set()
    for row in tables["list_memberships"]:
        contact = contacts[row["contact_id"]]
        created = ts(contact["created_at"])
        name = row["list_name"]
        if name == "competitors":
            assert row["added_at"] == "", row
            continue
        added = ts(row["added_at"])
        if name == "customers":
            expected = first_win[contact["company_id"]]
        elif name == "event_attendees":
            times = [first_attend.get(row["contact_id"], NEVER)]
            if contact["lead_source"] == "event":
                times.append(created)
            expected = min(times)
        else:
            assert name == "newsletter"
            expected = created
        assert added == expected, row
        assert added <= WINDOW_END, row
        if added < created:
            dated_before_creation.add(name)
    # Only company facts (a win before the contact joined the company) and,
    # rarely, a webinar attendance logged before the contact's creation.
    assert dated_before_creation <= {"customers", "event_attendees"}
    if size == "large":
        assert "customers" in dated_before_creation
        # Legacy customers won before the history; others during it.
        customer_times = [
            ts(r["added_at"]) for r in tables["list_memberships"] if r["list_name"] == "customers"
        ]
        assert min(customer_times) < WINDOW_START < max(customer_times)


def test_customers_list_at_a_past_time_is_the_companies_won_by_then(large: Tables) -> None:
    """The point of added_at: a backtest at T sees as customers exactly the
    contacts whose company had won a deal by T, not today's customers."""
    company = {r["contact_id"]: r["company_id"] for r in large["contacts"]}
    won = [d for d in large["deals"] if d["is_won"] == "true"]
    middle = WINDOW_START + (WINDOW_END - WINDOW_START) / 2
    for as_of in (WINDOW_START, middle, WINDOW_END):
        members = {
            r["contact_id"]
            for r in large["list_memberships"]
            if r["list_name"] == "customers" and ts(r["added_at"]) <= as_of
        }
        won_by_then = {d["company_id"] for d in won if ts(d["closed_at"]) <= as_of}
        assert members == {c for c, k in company.items() if k in won_by_then}
    at_start = sum(
        ts(r["added_at"]) <= WINDOW_START
        for r in large["list_memberships"]
        if r["list_name"] == "customers"
    )
    customers = sum(r["list_name"] == "customers" for r in large["list_memberships"])
    assert 0 < at_start < customers, "some customers were won during the history"


def test_support_requests_come_mostly_from_customers(large: Tables) -> None:
    stage = {r["contact_id"]: r["lifecycle_stage"] for r in large["contacts"]}
    support = [r for r in large["events"] if r["detail"] == "Support request"]
    from_customers = sum(stage[r["contact_id"]] == "customer" for r in support)
    customer_share = sum(s == "customer" for s in stage.values()) / len(stage)
    assert from_customers / len(support) > max(0.5, 3 * customer_share)


def test_conversion_depends_on_engagement_and_fit(large: Tables) -> None:
    """Deals follow buying signals and good fit: compare won-deal rates of
    contacts with and without a demo request or pricing-page view before their
    deal, and of companies in and out of the ideal customer profile."""
    first_deal: dict[str, datetime] = {}
    for deal in large["deals"]:
        if deal["contact_id"]:
            created = ts(deal["created_at"])
            first_deal[deal["contact_id"]] = min(
                created, first_deal.get(deal["contact_id"], created)
            )
    won_in_history = {
        d["contact_id"]
        for d in large["deals"]
        if d["is_won"] == "true" and d["contact_id"] and ts(d["created_at"]) >= WINDOW_START
    }
    engaged: set[str] = set()
    for row in large["events"]:
        signal = row["event_type"] == "demo_request" or "/pricing" in row["url"]
        cutoff = first_deal.get(row["contact_id"])
        if signal and (cutoff is None or ts(row["occurred_at"]) < cutoff):
            engaged.add(row["contact_id"])
    contact_ids = [r["contact_id"] for r in large["contacts"]]
    with_signal = [c for c in contact_ids if c in engaged]
    without = [c for c in contact_ids if c not in engaged]
    wins_with = sum(c in won_in_history for c in with_signal)
    wins_without = sum(c in won_in_history for c in without)
    # Both groups are large: the signal is common, not a proxy for "has a deal".
    assert len(with_signal) > 300 and len(without) > 300
    assert wins_with >= 10
    rate_with = wins_with / len(with_signal)
    rate_without = wins_without / len(without)
    assert rate_with > 4 * rate_without, (rate_with, rate_without)

    # Deals are opened shortly after the contact's activity, not out of the blue.
    last_signal_before: list[bool] = []
    by_contact: dict[str, list[datetime]] = defaultdict(list)
    for row in large["events"]:
        by_contact[row["contact_id"]].append(ts(row["occurred_at"]))
    for deal in large["deals"]:
        created = ts(deal["created_at"])
        if deal["contact_id"] and created >= WINDOW_START + timedelta(days=30):
            times = by_contact[deal["contact_id"]]
            last_signal_before.append(
                any(created - timedelta(days=21) <= t < created for t in times)
            )
    assert sum(last_signal_before) >= 0.9 * len(last_signal_before)

    # Fit: target industry and 200-5000 employees win far more often.
    won_companies = {
        d["company_id"]
        for d in large["deals"]
        if d["is_won"] == "true" and ts(d["created_at"]) >= WINDOW_START
    }
    icp: list[bool] = []
    other: list[bool] = []
    for company in large["companies"]:
        good = (
            company["industry"] in TARGET_INDUSTRIES
            and 200 <= int(company["employee_count"]) <= 5000
        )
        (icp if good else other).append(company["company_id"] in won_companies)
    assert sum(icp) >= 5
    assert sum(icp) / len(icp) > 3 * sum(other) / len(other)


def read_parts(directory: Path, name: str) -> list[pa.Table]:
    return [pq.read_table(part) for part in sorted((directory / name).glob("part-*.parquet"))]


def test_chunked_output_is_parts_with_global_ids_and_keys(tmp_path: Path) -> None:
    """More contacts than --chunk-contacts: independent chunks written as
    DIR/<table>/part-NNNNN.parquet, ids numbered across the chunks."""
    out = generate(tmp_path / "chunked", 1200, 7, "parquet", "--chunk-contacts", "500")
    parts = {name: read_parts(out, name) for name in SPEC_COLUMNS}
    for name, tables in parts.items():
        assert not (out / f"{name}.parquet").exists()
        assert [p.name for p in sorted((out / name).iterdir())] == [
            f"part-{k:05d}.parquet" for k in range(3)
        ]
        assert len({t.schema for t in tables}) == 1, f"{name}: parts differ in schema"
        assert tables[0].column_names == SPEC_COLUMNS[name] + CUSTOM_COLUMNS.get(name, [])
    whole = {name: pa.concat_tables(tables).to_pylist() for name, tables in parts.items()}
    for name, rows in whole.items():
        keys = [tuple(row[k] for k in KEYS[name]) for row in rows]
        assert len(set(keys)) == len(keys), f"{name}: duplicate keys across parts"
    contact_ids = [r["contact_id"] for r in whole["contacts"]]
    assert contact_ids == [f"c{i:06d}" for i in range(1, 1201)]
    assert [len(t) for t in parts["contacts"]] == [400, 400, 400]
    company_ids = [r["company_id"] for r in whole["companies"]]
    assert company_ids == [f"co{i:05d}" for i in range(1, 301)]
    deal_ids = [r["deal_id"] for r in whole["deals"]]
    assert deal_ids == sorted(deal_ids) and deal_ids
    event_ids = [r["event_id"] for r in whole["events"]]
    assert event_ids == sorted(event_ids)
    assert event_ids[-1] == f"e{len(event_ids):07d}"

    contacts, companies = set(contact_ids), set(company_ids)
    assert {r["contact_id"] for r in whole["events"]} <= contacts
    assert {r["company_id"] for r in whole["contacts"]} <= companies | {None}
    assert {r["company_id"] for r in whole["deals"]} <= companies
    assert {r["contact_id"] for r in whole["deals"]} <= contacts | {None}
    assert {r["contact_id"] for r in whole["list_memberships"]} <= contacts
    # Each chunk refers only to its own contacts and companies.
    for k in range(3):
        own = set(parts["contacts"][k].column("contact_id").to_pylist())
        own_companies = set(parts["companies"][k].column("company_id").to_pylist())
        assert set(parts["events"][k].column("contact_id").to_pylist()) <= own
        assert set(parts["list_memberships"][k].column("contact_id").to_pylist()) <= own
        assert set(parts["deals"][k].column("contact_id").to_pylist()) <= own | {None}
        assert set(parts["deals"][k].column("company_id").to_pylist()) <= own_companies
        assert set(parts["contacts"][k].column("company_id").to_pylist()) <= own_companies | {None}

    again = generate(tmp_path / "again", 1200, 7, "parquet", "--chunk-contacts", "500")
    for name in SPEC_COLUMNS:
        for k in range(3):
            part = Path(name) / f"part-{k:05d}.parquet"
            assert (again / part).read_bytes() == (out / part).read_bytes(), part
    other = generate(tmp_path / "other", 1200, 8, "parquet", "--chunk-contacts", "500")
    part = Path("events") / "part-00001.parquet"
    assert (other / part).read_bytes() != (out / part).read_bytes()


def test_layouts_replace_each_other(tmp_path: Path) -> None:
    """A directory never holds both DIR/<table>.<fmt> and DIR/<table>/ parts."""
    out = generate(tmp_path / "out", 300, 7, "parquet")
    generate(out, 300, 7, "parquet", "--chunk-contacts", "100")
    for name in SPEC_COLUMNS:
        assert not (out / f"{name}.parquet").exists()
        assert len(list((out / name).glob("part-*.parquet"))) == 3
    generate(out, 300, 7, "parquet", "--chunk-contacts", "200")  # fewer parts than before
    assert sorted(p.name for p in (out / "events").iterdir()) == [
        "part-00000.parquet",
        "part-00001.parquet",
    ]
    generate(out, 300, 7, "parquet")
    for name in SPEC_COLUMNS:
        assert (out / f"{name}.parquet").is_file()
        assert not (out / name).exists()


def test_activity_scales_events_per_contact(small_dir: Path, small: Tables, tmp_path: Path) -> None:
    same = generate(tmp_path / "same", 300, 7, "csv", "--activity", "1.0")
    for name in SPEC_COLUMNS:
        assert (same / f"{name}.csv").read_bytes() == (small_dir / f"{name}.csv").read_bytes()
    busy = read_tables(generate(tmp_path / "busy", 300, 7, "csv", "--activity", "2"))
    assert len(busy["contacts"]) == len(small["contacts"])
    assert len(busy["events"]) > 1.4 * len(small["events"])
    with pytest.raises(SystemExit):
        generate(tmp_path / "bad", 300, 7, "csv", "--activity", "0")
