"""Tests of scripts/load_raw.py (raw inputs, spec section 1)."""

from __future__ import annotations

import csv
import importlib.util
import json
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from types import ModuleType

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "load_raw.py"
ALL_TABLES = (
    "contacts",
    "companies",
    "events",
    "deals",
    "list_memberships",
    "contact_properties",
    "company_properties",
    "load_rejects",
)


def _import_loader() -> ModuleType:
    """scripts/ is not a package: import the script by path (once per session)."""
    loaded = sys.modules.get("load_raw")
    if loaded is not None and Path(getattr(loaded, "__file__", "")).resolve() == SCRIPT:
        return loaded
    spec = importlib.util.spec_from_file_location("load_raw", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["load_raw"] = module
    spec.loader.exec_module(module)
    return module


load_raw = _import_loader()

# ------------------------------------------------------------------------- helpers

VALID = {
    "contacts": (
        [
            *("contact_id", "email", "first_name", "last_name", "job_title", "phone"),
            *("country", "company_id", "lead_source", "lifecycle_stage", "owner_id", "created_at"),
        ],
        [
            [
                *("c1", "ann@acme.com", "Ann", "Lee", "CTO", "+1 555", "US"),
                *("k1", "web", "lead", "o1", "2024-01-01 09:00:00"),
            ],
            [
                *("c2", "bob@gmail.com", "Bob", "Ray", "Dev", "", "DE"),
                *("k2", "ads", "mql", "o2", "2024-02-01"),
            ],
        ],
    ),
    "companies": (
        ["company_id", "name", "domain", "industry", "employee_count", "annual_revenue", "country"],
        [
            ["k1", "Acme", "acme.com", "Software", "250", "1000000.5", "US"],
            ["k2", "Beta", "beta.de", "Retail", "12", "2e6", "DE"],
        ],
    ),
    "events": (
        ["event_id", "contact_id", "event_type", "occurred_at", "url", "detail"],
        [
            ["e1", "c1", "page_view", "2024-03-01T10:00:00Z", "https://x/pricing", ""],
            ["e2", "c2", "form_submit", "2024-03-02 11:30:00", "", "Contact us"],
        ],
    ),
    "deals": (
        [
            *("deal_id", "company_id", "contact_id", "created_at", "closed_at", "stage"),
            *("amount", "is_won"),
        ],
        [
            ["d1", "k1", "c1", "2024-01-05", "2024-02-05", "won", "5000", "true"],
            ["d2", "k2", "", "2024-01-06", "", "open", "", "false"],
        ],
    ),
    "list_memberships": (
        ["list_name", "contact_id", "added_at"],
        [
            ["Customers", "c1", "2024-02-05T10:00:00Z"],
            ["Newsletter", "c1", ""],
            ["Newsletter", "c2", "2024-02-01"],
        ],
    ),
}

EVENT_HEADER = ["event_id", "contact_id", "event_type", "occurred_at"]


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_valid_inputs(directory: Path, skip: Sequence[str] = ()) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for table, (header, rows) in VALID.items():
        if table not in skip:
            write_csv(directory / f"{table}.csv", header, rows)
    return directory


def query(database: Path, sql: str, params: Sequence[object] = ()) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def snapshot(database: Path, without_loaded_at: bool = False) -> dict[str, list[tuple]]:
    """Every raw table's rows in stored order, plus its column types.

    `without_loaded_at`: leave out the loaded_at columns (they differ between loads).
    """
    result: dict[str, list[tuple]] = {}
    with duckdb.connect(str(database), read_only=True) as con:
        for table in ALL_TABLES:
            types = con.execute(f"DESCRIBE raw.{table}").fetchall()
            columns = "*"
            if without_loaded_at and any(row[0] == "loaded_at" for row in types):
                types = [row for row in types if row[0] != "loaded_at"]
                columns = "* EXCLUDE (loaded_at)"
            result[f"{table}:types"] = types
            result[table] = con.execute(f"SELECT {columns} FROM raw.{table}").fetchall()
    return result


def rejects(database: Path, table: str) -> list[tuple[int, str, dict]]:
    rows = query(
        database,
        "SELECT row_number, reason, record FROM raw.load_rejects "
        "WHERE table_name = ? ORDER BY row_number",
        [table],
    )
    return [(row_number, reason, json.loads(record)) for row_number, reason, record in rows]


def column_types(database: Path, table: str) -> dict[str, str]:
    return {row[0]: row[1] for row in query(database, f"DESCRIBE raw.{table}")}


def row_counts(numbers: dict) -> dict:
    """A table's counts without its orphan counts (those have tests of their own)."""
    return {key: value for key, value in numbers.items() if key != "orphans"}


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "out" / "test.duckdb"


@pytest.fixture
def non_utc_local_time(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A process time zone far from UTC, so a loader relying on it gets caught."""
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


# ------------------------------------------------------------------------- types


def test_types_match_the_spec(tmp_path: Path, db: Path) -> None:
    load_raw.load(write_valid_inputs(tmp_path / "in"), db)

    assert column_types(db, "contacts") == {
        **{name: "VARCHAR" for name in VALID["contacts"][0]},
        "created_at": "TIMESTAMP",
    }
    assert column_types(db, "companies") == {
        **{name: "VARCHAR" for name in VALID["companies"][0]},
        "employee_count": "BIGINT",
        "annual_revenue": "DOUBLE",
    }
    assert column_types(db, "events") == {
        **{name: "VARCHAR" for name in VALID["events"][0]},
        "occurred_at": "TIMESTAMP",
        "loaded_at": "TIMESTAMP",
    }
    assert column_types(db, "deals") == {
        **{name: "VARCHAR" for name in VALID["deals"][0]},
        "created_at": "TIMESTAMP",
        "closed_at": "TIMESTAMP",
        "amount": "DOUBLE",
        "is_won": "BOOLEAN",
    }
    assert column_types(db, "list_memberships") == {
        "list_name": "VARCHAR",
        "contact_id": "VARCHAR",
        "added_at": "TIMESTAMP",
    }
    assert column_types(db, "contact_properties") == {
        "contact_id": "VARCHAR",
        "property": "VARCHAR",
        "value": "VARCHAR",
    }
    assert column_types(db, "company_properties") == {
        "company_id": "VARCHAR",
        "property": "VARCHAR",
        "value": "VARCHAR",
    }
    assert column_types(db, "load_rejects") == {
        "table_name": "VARCHAR",
        "source_file": "VARCHAR",
        "row_number": "BIGINT",
        "reason": "VARCHAR",
        "record": "VARCHAR",
        "loaded_at": "TIMESTAMP",
        "category": "VARCHAR",
    }
    assert query(db, "SELECT * FROM raw.companies ORDER BY company_id") == [
        ("k1", "Acme", "acme.com", "Software", 250, 1000000.5, "US"),
        ("k2", "Beta", "beta.de", "Retail", 12, 2000000.0, "DE"),
    ]
    assert query(db, "SELECT deal_id, amount, is_won, closed_at FROM raw.deals ORDER BY 1") == [
        ("d1", 5000.0, True, datetime(2024, 2, 5)),
        ("d2", None, False, None),
    ]


def test_numbers_accept_decimal_numerals_only(tmp_path: Path, db: Path) -> None:
    header = ["company_id", "employee_count", "annual_revenue"]
    rows = [
        ["k1", " 250 ", "-12.5"],
        ["k2", "250.0", "1e6"],
        ["k3", "2.5e2", ".5"],
        ["k4", "", ""],
        ["k5", "1.5", "1"],
        ["k6", "1_000", "1"],
        ["k7", "0x10", "1"],
        ["k8", "1", "1,000"],
        ["k9", "1", "nan"],
        ["k10", "1", "inf"],
        ["k11", "1", "1e400"],
        ["k12", "99999999999999999999", "1"],
    ]
    write_csv(tmp_path / "companies.csv", header, rows)
    load_raw.load(tmp_path, db)

    assert query(db, "SELECT company_id, employee_count, annual_revenue FROM raw.companies") == [
        ("k1", 250, -12.5),
        ("k2", 250, 1000000.0),
        ("k3", 250, 0.5),
        ("k4", None, None),
    ]
    assert [reason for _, reason, _ in rejects(db, "companies")] == [
        "unparseable number employee_count: '1.5'",
        "unparseable number employee_count: '1_000'",
        "unparseable number employee_count: '0x10'",
        "unparseable number annual_revenue: '1,000'",
        "unparseable number annual_revenue: 'nan'",
        "unparseable number annual_revenue: 'inf'",
        "unparseable number annual_revenue: '1e400'",
        "unparseable number employee_count: '99999999999999999999'",
    ]


def test_booleans_in_all_spellings(tmp_path: Path, db: Path) -> None:
    spellings = {
        "true": True,
        "TRUE": True,
        " True ": True,
        "1": True,
        "yes": True,
        "YES": True,
        "t": True,
        "T": True,
        "y": True,
        " Y": True,
        "false": False,
        "False": False,
        "0": False,
        "no": False,
        "No ": False,
        "f": False,
        "F": False,
        "n": False,
        "N": False,
        "": None,
    }
    rows = [[f"d{i}", "k1", spelling] for i, spelling in enumerate(spellings)]
    rows.append(["bad", "k1", "maybe"])
    rows.append(["bad2", "k1", "2"])
    write_csv(tmp_path / "deals.csv", ["deal_id", "company_id", "is_won"], rows)
    load_raw.load(tmp_path, db)

    loaded = dict(query(db, "SELECT deal_id, is_won FROM raw.deals"))
    assert loaded == {f"d{i}": value for i, value in enumerate(spellings.values())}
    assert [reason for _, reason, _ in rejects(db, "deals")] == [
        "unparseable boolean is_won: 'maybe'",
        "unparseable boolean is_won: '2'",
    ]


@pytest.mark.usefixtures("non_utc_local_time")
def test_timestamps_with_offsets_are_converted_to_utc(tmp_path: Path, db: Path) -> None:
    cases = {
        "2024-03-01": datetime(2024, 3, 1),
        "2024-03-01 10:00:00": datetime(2024, 3, 1, 10),
        "2024-03-01T10:00:00": datetime(2024, 3, 1, 10),
        "2024-03-01 10:00:00.123456": datetime(2024, 3, 1, 10, 0, 0, 123456),
        "2024-03-01 10:00": datetime(2024, 3, 1, 10),
        "2024-03-01T10:00:00Z": datetime(2024, 3, 1, 10),
        "2024-03-01t10:00:00z": datetime(2024, 3, 1, 10),
        "2024-03-01T10:00:00+02:00": datetime(2024, 3, 1, 8),
        "2024-03-01T10:00:00.5+02:00": datetime(2024, 3, 1, 8, 0, 0, 500000),
        "2024-03-01T10:00:00-05:30": datetime(2024, 3, 1, 15, 30),
        "2024-03-01T23:30:00-01:00": datetime(2024, 3, 2, 0, 30),
        "2024-03-01T10:00:00+0100": datetime(2024, 3, 1, 9),
        " 2024-03-01 10:00:00+00 ": datetime(2024, 3, 1, 10),
    }
    bad = [
        "yesterday",
        "2024-02-30",
        "2024-03-01 25:00:00",
        "03/01/2024",
        "20240301",
        "2024-03-01 10:00:00 Europe/Berlin",
        "epoch",
        "infinity",
    ]
    rows = [[f"e{i}", "c1", "page_view", value] for i, value in enumerate([*cases, *bad])]
    write_csv(tmp_path / "events.csv", EVENT_HEADER, rows)
    load_raw.load(tmp_path, db)

    loaded = dict(query(db, "SELECT event_id, occurred_at FROM raw.events"))
    assert loaded == {f"e{i}": expected for i, expected in enumerate(cases.values())}
    assert [reason for _, reason, _ in rejects(db, "events")] == [
        f"unparseable timestamp occurred_at: '{value}'" for value in bad
    ]


# ------------------------------------------------------------------------- missing columns


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("contacts", "contact_id"),
        ("contacts", "email"),
        ("contacts", "created_at"),
        ("companies", "company_id"),
        ("events", "event_id"),
        ("events", "contact_id"),
        ("events", "event_type"),
        ("events", "occurred_at"),
        ("deals", "deal_id"),
        ("deals", "company_id"),
        ("deals", "is_won"),
        ("list_memberships", "list_name"),
        ("list_memberships", "contact_id"),
    ],
)
def test_missing_required_column_aborts_before_writing(
    tmp_path: Path,
    db: Path,
    table: str,
    column: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    load_raw.load(write_valid_inputs(tmp_path / "first"), db)
    before = snapshot(db)

    # A second delivery: every file changed, one lacks a required column.
    second = tmp_path / "second"
    second.mkdir()
    for name, (header, rows) in VALID.items():
        changed = [[f"{value}x" if value else value for value in row] for row in rows]
        if name == table:
            keep = [i for i, h in enumerate(header) if h != column]
            header = [header[i] for i in keep]
            changed = [[row[i] for i in keep] for row in changed]
        write_csv(second / f"{name}.csv", header, changed)
    capsys.readouterr()

    exit_code = load_raw.main(["--input", str(second), "--database", str(db)])

    assert exit_code == 2
    error = capsys.readouterr().err
    assert f"{table}.csv" in error
    assert repr(column) in error
    assert snapshot(db) == before


def test_missing_required_column_does_not_create_the_database(tmp_path: Path) -> None:
    write_csv(tmp_path / "companies.csv", ["name"], [["Acme"]])
    database = tmp_path / "new" / "fresh.duckdb"
    with pytest.raises(load_raw.LoadError, match=r"companies\.csv: missing required column"):
        load_raw.load(tmp_path, database)
    assert not database.exists()


def test_header_names_are_trimmed_and_lowercased(tmp_path: Path, db: Path) -> None:
    write_csv(tmp_path / "list_memberships.csv", [" List_Name ", "CONTACT_ID"], [["L", "c1"]])
    load_raw.load(tmp_path, db)
    assert query(db, "SELECT list_name, contact_id FROM raw.list_memberships") == [("L", "c1")]


def test_optional_spec_columns_missing_from_a_file_become_null(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_csv(tmp_path / "companies.csv", ["company_id", "name"], [["k1", "Acme"]])
    load_raw.load(tmp_path, db)
    assert query(db, "SELECT * FROM raw.companies") == [
        ("k1", "Acme", None, None, None, None, None)
    ]
    assert "companies.csv has no column(s) domain, industry" in capsys.readouterr().out


# ------------------------------------------------------------------------- rejects


@pytest.mark.parametrize(
    ("table", "header", "bad_row", "reason"),
    [
        ("contacts", ["contact_id", "email", "created_at"], ["", "a@b.c", "2024-01-01"],
         "empty key contact_id"),
        ("contacts", ["contact_id", "email", "created_at"], ["  ", "a@b.c", "2024-01-01"],
         "empty key contact_id"),
        ("contacts", ["contact_id", "email", "created_at"], ["c9", "a@b.c", ""],
         "empty required value created_at"),
        ("contacts", ["contact_id", "email", "created_at"], ["c9", "a@b.c", "soon"],
         "unparseable timestamp created_at: 'soon'"),
        ("companies", ["company_id", "employee_count"], ["", "5"], "empty key company_id"),
        ("companies", ["company_id", "employee_count"], ["k9", "abc"],
         "unparseable number employee_count: 'abc'"),
        ("companies", ["company_id", "annual_revenue"], ["k9", "12 EUR"],
         "unparseable number annual_revenue: '12 EUR'"),
        ("events", ["event_id", "contact_id", "event_type", "occurred_at"],
         ["", "c1", "page_view", "2024-01-01"], "empty key event_id"),
        ("events", ["event_id", "contact_id", "event_type", "occurred_at"],
         ["e9", "", "page_view", "2024-01-01"], "empty required value contact_id"),
        ("events", ["event_id", "contact_id", "event_type", "occurred_at"],
         ["e9", "c1", " ", "2024-01-01"], "empty required value event_type"),
        ("events", ["event_id", "contact_id", "event_type", "occurred_at"],
         ["e9", "c1", "page_view", ""], "empty required value occurred_at"),
        ("events", ["event_id", "contact_id", "event_type", "occurred_at"],
         ["e9", "c1", "page_view", "2024-13-01"],
         "unparseable timestamp occurred_at: '2024-13-01'"),
        ("deals", ["deal_id", "company_id", "is_won"], ["", "k1", "true"], "empty key deal_id"),
        ("deals", ["deal_id", "company_id", "is_won"], ["d9", "k1", "won"],
         "unparseable boolean is_won: 'won'"),
        ("deals", ["deal_id", "company_id", "is_won", "amount"], ["d9", "k1", "true", "$5"],
         "unparseable number amount: '$5'"),
        ("deals", ["deal_id", "company_id", "is_won", "closed_at"], ["d9", "k1", "true", "never"],
         "unparseable timestamp closed_at: 'never'"),
        ("deals", ["deal_id", "company_id", "is_won", "created_at"], ["d9", "k1", "1", "x"],
         "unparseable timestamp created_at: 'x'"),
        ("list_memberships", ["list_name", "contact_id"], ["", "c1"], "empty key list_name"),
        ("list_memberships", ["list_name", "contact_id"], ["L", ""], "empty key contact_id"),
        ("list_memberships", ["list_name", "contact_id", "added_at"], ["L", "c9", "soon"],
         "unparseable timestamp added_at: 'soon'"),
        ("list_memberships", ["list_name", "contact_id", "added_at"],
         ["L", "c9", "2024-02-30T10:00:00Z"],
         "unparseable timestamp added_at: '2024-02-30T10:00:00Z'"),
    ],
)  # fmt: skip
def test_each_reject_reason(
    tmp_path: Path,
    db: Path,
    table: str,
    header: list[str],
    bad_row: list[str],
    reason: str,
) -> None:
    good_row = [VALID[table][1][0][VALID[table][0].index(name)] for name in header]
    write_csv(tmp_path / f"{table}.csv", header, [good_row, bad_row])

    counts = load_raw.load(tmp_path, db)

    assert row_counts(counts[table]) == {"read": 2, "loaded": 1, "rejected": 1} | (
        {"properties": 0} if table in ("contacts", "companies") else {}
    )
    assert query(db, f"SELECT count(*) FROM raw.{table}") == [(1,)]
    [(row_number, stored_reason, record)] = rejects(db, table)
    assert (row_number, stored_reason) == (2, reason)
    # The category is the reason without its detail.
    [(category,)] = query(db, "SELECT category FROM raw.load_rejects")
    assert category == reason.split(":")[0]
    expected_record = {
        name: (value if value != "" else None) for name, value in zip(header, bad_row, strict=True)
    }
    assert record == expected_record
    source = query(db, "SELECT DISTINCT source_file FROM raw.load_rejects")
    assert source == [(str((tmp_path / f"{table}.csv").resolve()),)]


def test_several_problems_in_one_row_are_all_reported(tmp_path: Path, db: Path) -> None:
    header = ["deal_id", "company_id", "is_won", "amount"]
    write_csv(tmp_path / "deals.csv", header, [["", "k1", "maybe", "lots"]])
    load_raw.load(tmp_path, db)
    assert [reason for _, reason, _ in rejects(db, "deals")] == [
        "empty key deal_id; unparseable number amount: 'lots'; unparseable boolean is_won: 'maybe'"
    ]


def test_malformed_csv_rows_are_rejected_and_row_numbers_stay_in_file_order(
    tmp_path: Path, db: Path
) -> None:
    (tmp_path / "companies.csv").write_text(
        "company_id,employee_count\nk1,1\nk2,2,surplus\nk3,abc\nk4\nk5,5\nk6,x\n",
        encoding="utf-8",
    )
    counts = load_raw.load(tmp_path, db)

    assert counts["companies"] == {"read": 6, "loaded": 2, "rejected": 4, "properties": 0}
    assert query(db, "SELECT company_id FROM raw.companies") == [("k1",), ("k5",)]
    found = [(n, reason.split(":")[0]) for n, reason, _ in rejects(db, "companies")]
    assert found == [
        (2, "malformed CSV row (line 3)"),
        (3, "unparseable number employee_count"),
        (4, "malformed CSV row (line 5)"),
        (6, "unparseable number employee_count"),
    ]
    assert rejects(db, "companies")[0][2] == {"csv_line": "k2,2,surplus"}


def test_rejected_rows_are_never_silently_dropped(tmp_path: Path, db: Path) -> None:
    rows = [[f"e{i}", "c1" if i % 3 else "", "page_view", "2024-01-01"] for i in range(30)]
    rows += [["e1", "c1", "page_view", "2024-01-01"]]
    write_csv(tmp_path / "events.csv", EVENT_HEADER, rows)
    load_raw.load(tmp_path, db)

    loaded = {row[0] for row in query(db, "SELECT event_id FROM raw.events")}
    rejected = [row_number for row_number, _, _ in rejects(db, "events")]
    assert len(loaded) + len(rejected) == len(rows)
    assert sorted(rejected) == [i + 1 for i in range(30) if i % 3 == 0] + [31]


# ------------------------------------------------------------------------- duplicates


CONFLICTING = (
    "(conflicting): differs from row {}, which was loaded (the first row in file order wins)"
)
IDENTICAL = "(identical): same values as row {}, which was loaded"


def test_duplicate_keys_keep_the_first_occurrence(tmp_path: Path, db: Path) -> None:
    header = ["contact_id", "email", "created_at", "tier"]
    rows = [
        ["c1", "first@x.com", "2024-01-01", "gold"],
        ["c2", "other@x.com", "2024-01-01", ""],
        [" c1 ", "second@x.com", "2024-01-02", "gold"],
        ["c1", "third@x.com", "2024-01-03", "gold"],
        # Identical once typed: the key is trimmed, the timestamp the same instant.
        [" c1", "first@x.com", "2024-01-01 00:00:00", "gold"],
        # A custom property (raw text) differs: conflicting.
        ["c1", "first@x.com", "2024-01-01", "Gold"],
        ["c2", "other@x.com", "2024-01-01T00:00:00Z", ""],
    ]
    write_csv(tmp_path / "contacts.csv", header, rows)
    load_raw.load(tmp_path, db)

    assert query(db, "SELECT contact_id, email FROM raw.contacts ORDER BY 1") == [
        ("c1", "first@x.com"),
        ("c2", "other@x.com"),
    ]
    assert [(n, reason) for n, reason, _ in rejects(db, "contacts")] == [
        (3, "duplicate key contact_id=c1 " + CONFLICTING.format(1)),
        (4, "duplicate key contact_id=c1 " + CONFLICTING.format(1)),
        (5, "duplicate key contact_id=c1 " + IDENTICAL.format(1)),
        (6, "duplicate key contact_id=c1 " + CONFLICTING.format(1)),
        (7, "duplicate key contact_id=c2 " + IDENTICAL.format(2)),
    ]
    assert query(db, "SELECT row_number, category FROM raw.load_rejects ORDER BY 1") == [
        (3, "duplicate key contact_id (conflicting)"),
        (4, "duplicate key contact_id (conflicting)"),
        (5, "duplicate key contact_id (identical)"),
        (6, "duplicate key contact_id (conflicting)"),
        (7, "duplicate key contact_id (identical)"),
    ]


def test_duplicates_compare_null_safely_and_extra_columns_as_text(tmp_path: Path, db: Path) -> None:
    header = [*EVENT_HEADER, "url", "browser"]
    rows = [
        ["e1", "c1", "page_view", "2024-01-01", "", ""],
        ["e1", "c1", "page_view", "2024-01-01", "", ""],  # nulls equal nulls
        ["e1", "c1", "page_view", "2024-01-01", "", "firefox"],  # an ignored column differs
        ["e1", "c1", "page_view", "2024-01-01", "https://x", ""],  # null vs a value
        ["e1", "c1", "page_view", "2024-01-01", '""', ""],  # a quoted "" is not null
    ]
    path = tmp_path / "events.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(",".join(header) + "\n")
        handle.writelines(",".join(row) + "\n" for row in rows)
    load_raw.load(tmp_path, db)
    assert [(n, reason.split(" (")[1]) for n, reason, _ in rejects(db, "events")] == [
        (2, "identical): same values as row 1, which was loaded"),
        (3, "conflicting): differs from row 1, which was loaded"),
        (4, "conflicting): differs from row 1, which was loaded"),
        (5, "conflicting): differs from row 1, which was loaded"),
    ]


def test_duplicate_is_decided_among_valid_rows(tmp_path: Path, db: Path) -> None:
    header = ["event_id", "contact_id", "event_type", "occurred_at"]
    rows = [
        ["e1", "c1", "page_view", "not a date"],
        ["e1", "c1", "page_view", "2024-01-01"],
        ["e1", "c1", "download", "2024-01-02"],
    ]
    write_csv(tmp_path / "events.csv", header, rows)
    load_raw.load(tmp_path, db)

    assert query(db, "SELECT event_id, event_type FROM raw.events") == [("e1", "page_view")]
    assert [(n, reason) for n, reason, _ in rejects(db, "events")] == [
        (1, "unparseable timestamp occurred_at: 'not a date'"),
        (3, "duplicate key event_id=e1 " + CONFLICTING.format(2)),
    ]


LIST_IDENTICAL = "(identical): same values as row {}, which was loaded"
LIST_CONFLICTING = (
    "(conflicting): differs from row {}, which was loaded (the earliest added_at wins)"
)


def test_list_membership_key_is_the_pair(tmp_path: Path, db: Path) -> None:
    rows = [["L1", "c1"], ["L1", "c2"], ["L2", "c1"], ["L1 ", " c1"], ["l1", "c1"]]
    write_csv(tmp_path / "list_memberships.csv", ["list_name", "contact_id"], rows)
    load_raw.load(tmp_path, db)

    assert query(db, "SELECT * FROM raw.list_memberships") == [
        ("L1", "c1", None),
        ("L1", "c2", None),
        ("L2", "c1", None),
        ("l1", "c1", None),
    ]
    assert [(n, reason) for n, reason, _ in rejects(db, "list_memberships")] == [
        (4, "duplicate key list_name=L1, contact_id=c1 " + LIST_IDENTICAL.format(1))
    ]


def test_repeated_list_membership_keeps_the_earliest_added_at(tmp_path: Path, db: Path) -> None:
    header = ["list_name", "contact_id", "added_at"]
    rows = [
        ["L1", "c1", "2024-03-01T00:00:00Z"],  # 1
        ["L1", "c2", "2024-03-01"],  # 2
        ["L1", "c1", "2024-01-01T00:30:00+01:00"],  # 3: 2023-12-31 23:30 UTC, the earliest
        ["L1", "c2", ""],  # 4: null = member all along, wins over any time
        ["L1", "c1", "2024-01-01"],  # 5: later than row 3 once both are in UTC
        ["L1", "c3", "2024-05-01T12:00:00Z"],  # 6: ties with row 7, first in file order wins
        [" L1 ", "c3", "2024-05-01 14:00:00+02:00"],  # 7
        ["L1", "c2", "2024-01-01"],  # 8
        ["L1", "c1", "yesterday"],  # 9: unparseable, not a duplicate
        ["l1", "c1", "2025-01-01"],  # 10: another key (keys are case-sensitive)
        ["L1", "c4", "2024-06-01"],  # 11: a single row
    ]
    write_csv(tmp_path / "list_memberships.csv", header, rows)
    counts = load_raw.load(tmp_path, db)

    assert row_counts(counts["list_memberships"]) == {"read": 11, "loaded": 5, "rejected": 6}
    # Stored in the file order of the kept rows.
    assert query(db, "SELECT list_name, contact_id, added_at FROM raw.list_memberships") == [
        ("L1", "c1", datetime(2023, 12, 31, 23, 30)),
        ("L1", "c2", None),
        ("L1", "c3", datetime(2024, 5, 1, 12)),
        ("l1", "c1", datetime(2025, 1, 1)),
        ("L1", "c4", datetime(2024, 6, 1)),
    ]
    assert [(n, reason) for n, reason, _ in rejects(db, "list_memberships")] == [
        (1, "duplicate key list_name=L1, contact_id=c1 " + LIST_CONFLICTING.format(3)),
        (2, "duplicate key list_name=L1, contact_id=c2 " + LIST_CONFLICTING.format(4)),
        (5, "duplicate key list_name=L1, contact_id=c1 " + LIST_CONFLICTING.format(3)),
        # Row 7 is the same instant as row 6 in another notation: identical.
        (7, "duplicate key list_name=L1, contact_id=c3 " + LIST_IDENTICAL.format(6)),
        (8, "duplicate key list_name=L1, contact_id=c2 " + LIST_CONFLICTING.format(4)),
        (9, "unparseable timestamp added_at: 'yesterday'"),
    ]
    # The rejected rows keep their raw values.
    assert rejects(db, "list_memberships")[0][2] == {
        "list_name": "L1",
        "contact_id": "c1",
        "added_at": "2024-03-01T00:00:00Z",
    }


def test_repeated_list_membership_rule_is_independent_of_file_order(
    tmp_path: Path, db: Path
) -> None:
    rows = [
        ["L", "c1", "2024-02-01"],
        ["L", "c1", "2024-01-01"],
        ["L", "c1", ""],
        ["L", "c2", "2024-02-01"],
        ["L", "c2", "2024-01-01"],
    ]
    loaded = []
    for name, ordered in (("forward", rows), ("backward", rows[::-1])):
        inputs = tmp_path / name
        inputs.mkdir()
        write_csv(inputs / "list_memberships.csv", ["list_name", "contact_id", "added_at"], ordered)
        load_raw.load(inputs, db)
        loaded.append(query(db, "SELECT contact_id, added_at FROM raw.list_memberships ORDER BY 1"))
    assert loaded[0] == loaded[1] == [("c1", None), ("c2", datetime(2024, 1, 1))]


# ------------------------------------------------------------------------- list membership times


@pytest.mark.usefixtures("non_utc_local_time")
def test_list_membership_added_at_is_parsed_like_every_timestamp(tmp_path: Path, db: Path) -> None:
    cases = {
        "c1": ("2024-03-01T10:00:00Z", datetime(2024, 3, 1, 10)),
        "c2": ("2024-03-01T10:00:00+02:00", datetime(2024, 3, 1, 8)),
        "c3": ("2024-03-01T23:30:00-01:00", datetime(2024, 3, 2, 0, 30)),
        "c4": ("2024-03-01 10:00:00.5", datetime(2024, 3, 1, 10, 0, 0, 500000)),
        "c5": ("2024-03-01", datetime(2024, 3, 1)),
        "c6": ("", None),
        "c7": ("   ", None),
    }
    rows = [["L", contact_id, text] for contact_id, (text, _) in cases.items()]
    write_csv(tmp_path / "list_memberships.csv", ["list_name", "contact_id", "Added_At"], rows)
    load_raw.load(tmp_path, db)

    assert column_types(db, "list_memberships")["added_at"] == "TIMESTAMP"
    assert dict(query(db, "SELECT contact_id, added_at FROM raw.list_memberships")) == {
        contact_id: expected for contact_id, (_, expected) in cases.items()
    }
    assert rejects(db, "list_memberships") == []


def test_list_memberships_without_added_at_load_as_members_all_along(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_csv(tmp_path / "list_memberships.csv", ["list_name", "contact_id"], [["L", "c1"]])
    load_raw.load(tmp_path, db)
    assert query(db, "SELECT list_name, contact_id, added_at FROM raw.list_memberships") == [
        ("L", "c1", None)
    ]
    assert column_types(db, "list_memberships")["added_at"] == "TIMESTAMP"
    assert "list_memberships.csv has no column(s) added_at; loaded as null" in (
        capsys.readouterr().out
    )


def test_list_membership_added_at_from_parquet(tmp_path: Path, db: Path) -> None:
    memberships = pa.table(
        {
            "list_name": ["L", "L", "L"],
            "contact_id": ["c1", "c2", "c1"],
            "added_at": pa.array(
                [datetime(2024, 3, 1, 10), None, datetime(2024, 2, 1)],
                type=pa.timestamp("us", tz="Europe/Berlin"),
            ),
        }
    )
    pq.write_table(memberships, tmp_path / "list_memberships.parquet")
    load_raw.load(tmp_path, db)
    # pyarrow stores the naive values as UTC instants; the earlier c1 row is kept.
    assert query(db, "SELECT * FROM raw.list_memberships") == [
        ("L", "c2", None),
        ("L", "c1", datetime(2024, 2, 1)),
    ]
    assert [(n, reason) for n, reason, _ in rejects(db, "list_memberships")] == [
        (1, "duplicate key list_name=L, contact_id=c1 " + LIST_CONFLICTING.format(3))
    ]


# ------------------------------------------------------------------------- text and properties


def test_text_is_stored_as_given_but_keys_are_trimmed(tmp_path: Path, db: Path) -> None:
    header = ["contact_id", "email", "first_name", "company_id", "created_at"]
    row = ["  c1 ", " Ann@X.com ", " Ann", " k1 ", "2024-01-01"]
    write_csv(tmp_path / "contacts.csv", header, [row])
    load_raw.load(tmp_path, db)
    assert query(db, "SELECT contact_id, email, first_name, company_id FROM raw.contacts") == [
        ("c1", " Ann@X.com ", " Ann", " k1 ")
    ]


def test_custom_properties(tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    header = ["contact_id", "email", "created_at", " Plan_Tier ", "NPS", "Region"]
    rows = [
        [" c1 ", "a@x.com", "2024-01-01", "Gold ", "9", ""],
        ["c2", "b@x.com", "2024-01-01", "  ", "", "EMEA"],
        ["c3", "c@x.com", "bad date", "Silver", "7", "APAC"],
        ["c1", "dup@x.com", "2024-01-01", "Bronze", "1", "US"],
    ]
    write_csv(tmp_path / "contacts.csv", header, rows)
    write_csv(
        tmp_path / "companies.csv",
        ["company_id", "name", "Segment", "ARR Band"],
        [["k1", "Acme", "Enterprise", "1M+"], ["k2", "Beta", "", "<1M"]],
    )
    write_csv(
        tmp_path / "events.csv",
        ["event_id", "contact_id", "event_type", "occurred_at", "browser"],
        [["e1", "c1", "page_view", "2024-01-01", "firefox"]],
    )
    counts = load_raw.load(tmp_path, db)

    assert query(db, "SELECT * FROM raw.contact_properties ORDER BY 1, 2") == [
        ("c1", "nps", "9"),
        ("c1", "plan_tier", "Gold "),
        ("c2", "region", "EMEA"),
    ]
    assert query(db, "SELECT * FROM raw.company_properties ORDER BY 1, 2") == [
        ("k1", "arr band", "1M+"),
        ("k1", "segment", "Enterprise"),
        ("k2", "arr band", "<1M"),
    ]
    assert counts["contacts"]["properties"] == 3
    assert counts["companies"]["properties"] == 3
    # Custom columns are not added to the standard tables.
    assert "plan_tier" not in column_types(db, "contacts")
    assert "browser" not in column_types(db, "events")
    out = capsys.readouterr().out
    assert "extra column(s) ignored: browser" in out
    # The rejected rows' record keeps the custom values too.
    assert rejects(db, "contacts")[0][2]["plan_tier"] == "Silver"


# ------------------------------------------------------------------------- idempotency


def test_reload_gives_identical_tables_without_duplicates(tmp_path: Path, db: Path) -> None:
    inputs = write_valid_inputs(tmp_path / "in", skip=["contacts"])
    header, rows = VALID["contacts"]
    write_csv(
        inputs / "contacts.csv",
        [*header, "tier"],
        [[*row, "gold"] for row in rows] + [[*rows[0], "dup"], ["", *rows[1][1:], "x"]],
    )
    load_raw.load(inputs, db)
    first = snapshot(db, without_loaded_at=True)
    [(first_load,)] = query(db, "SELECT DISTINCT loaded_at FROM raw.events")
    load_raw.load(inputs, db)
    second = snapshot(db, without_loaded_at=True)

    assert second == first
    # Only loaded_at tells the loads apart.
    [(second_load,)] = query(db, "SELECT DISTINCT loaded_at FROM raw.events")
    assert second_load > first_load
    assert len(first["contacts"]) == 2
    assert len(first["contact_properties"]) == 2
    assert len(first["load_rejects"]) == 2
    assert len(first["list_memberships"]) == 3


def test_reload_replaces_loaded_tables_and_keeps_absent_ones(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = write_valid_inputs(tmp_path / "first")
    write_csv(
        first / "events.csv",
        ["event_id", "contact_id", "event_type", "occurred_at"],
        [["e1", "c1", "page_view", "2024-01-01"], ["e2", "", "page_view", "2024-01-01"]],
    )
    write_csv(
        first / "contacts.csv",
        ["contact_id", "email", "created_at", "tier"],
        [["c1", "a@x.com", "2024-01-01", "gold"], ["c2", "b@x.com", "never", "x"]],
    )
    load_raw.load(first, db)
    before = snapshot(db)

    second = tmp_path / "second"
    second.mkdir()
    write_csv(
        second / "contacts.csv",
        ["contact_id", "email", "created_at"],
        [["c7", "z@x.com", "2024-05-01"], ["c8", "y@x.com", ""]],
    )
    capsys.readouterr()
    load_raw.load(second, db)
    after = snapshot(db)

    for table in ("companies", "events", "deals", "list_memberships", "company_properties"):
        assert after[table] == before[table], table
    assert [row[0] for row in after["contacts"]] == ["c7"]
    assert after["contact_properties"] == []
    assert [(r[0], r[2], r[3]) for r in after["load_rejects"]] == [
        ("contacts", 2, "empty required value created_at"),
        ("events", 2, "empty required value contact_id"),
    ]
    assert "no events.csv or events.parquet; keeping the existing table" in capsys.readouterr().out


def test_all_tables_exist_after_loading_an_empty_directory(tmp_path: Path, db: Path) -> None:
    (tmp_path / "in").mkdir()
    assert load_raw.load(tmp_path / "in", db) == {}
    for table in ALL_TABLES:
        assert query(db, f"SELECT count(*) FROM raw.{table}") == [(0,)]
    assert column_types(db, "deals")["is_won"] == "BOOLEAN"


def test_loading_an_empty_directory_keeps_existing_tables_and_rejects(
    tmp_path: Path, db: Path
) -> None:
    inputs = write_valid_inputs(tmp_path / "in", skip=["deals"])
    write_csv(inputs / "deals.csv", ["deal_id", "company_id", "is_won"], [["d1", "k1", "?"]])
    load_raw.load(inputs, db)
    before = snapshot(db)
    (tmp_path / "empty").mkdir()
    load_raw.load(tmp_path / "empty", db)
    assert snapshot(db) == before
    assert len(before["load_rejects"]) == 1


def test_a_failed_write_leaves_previous_tables_intact(
    tmp_path: Path, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_raw.load(write_valid_inputs(tmp_path / "first"), db)
    before = snapshot(db)
    second = write_valid_inputs(tmp_path / "second", skip=["contacts"])
    write_csv(second / "contacts.csv", ["contact_id", "email", "created_at"], [["c9", "", "2024"]])

    def fail(*_args: object) -> None:
        raise duckdb.IOException("disk full (simulated)")

    # The rejects table is written last, after every data table was replaced.
    monkeypatch.setattr(load_raw, "replace_rejects", fail)
    assert load_raw.main(["--input", str(second), "--database", str(db)]) == 1
    assert snapshot(db) == before


# ------------------------------------------------------------------------- parquet


def test_parquet_input(tmp_path: Path, db: Path) -> None:
    events = pa.table(
        {
            "Event_ID": ["e1", "e2", "e3", "e1"],
            "contact_id": ["c1", "c2", "c3", "c1"],
            "event_type": ["page_view", "download", "page_view", "page_view"],
            "occurred_at": pa.array(
                [
                    datetime(2024, 3, 1, 10),
                    datetime(2024, 3, 2, 11, 30, 0, 250000),
                    None,
                    datetime(2024, 3, 3),
                ],
                type=pa.timestamp("us", tz="Europe/Berlin"),
            ),
            "url": ["https://x/pricing", None, None, None],
        }
    )
    pq.write_table(events, tmp_path / "events.parquet")
    companies = pa.table(
        {
            "company_id": ["k1", "k2"],
            "employee_count": pa.array([250, None], type=pa.int64()),
            "annual_revenue": pa.array([1.5e6, float("nan")], type=pa.float64()),
            "segment": ["Enterprise", None],
        }
    )
    pq.write_table(companies, tmp_path / "companies.parquet")
    deals = pa.table(
        {
            "deal_id": ["d1", "d2"],
            "company_id": ["k1", "k2"],
            "is_won": pa.array([True, False]),
            "created_at": pa.array([datetime(2024, 1, 1), datetime(2024, 1, 2)]).cast(pa.date32()),
        }
    )
    pq.write_table(deals, tmp_path / "deals.parquet")

    counts = load_raw.load(tmp_path, db)

    # pyarrow stores the naive values as UTC instants; Berlin is the display zone.
    assert query(db, "SELECT event_id, occurred_at, url FROM raw.events") == [
        ("e1", datetime(2024, 3, 1, 10), "https://x/pricing"),
        ("e2", datetime(2024, 3, 2, 11, 30, 0, 250000), None),
    ]
    assert [(n, reason) for n, reason, _ in rejects(db, "events")] == [
        (3, "empty required value occurred_at"),
        (4, "duplicate key event_id=e1 " + CONFLICTING.format(1)),
    ]
    assert query(db, "SELECT company_id, employee_count, annual_revenue FROM raw.companies") == [
        ("k1", 250, 1.5e6)
    ]
    assert [reason for _, reason, _ in rejects(db, "companies")] == [
        "unparseable number annual_revenue: 'nan'"
    ]
    assert query(db, "SELECT * FROM raw.company_properties") == [("k1", "segment", "Enterprise")]
    assert query(db, "SELECT deal_id, is_won, created_at FROM raw.deals") == [
        ("d1", True, datetime(2024, 1, 1)),
        ("d2", False, datetime(2024, 1, 2)),
    ]
    assert row_counts(counts["events"]) == {"read": 4, "loaded": 2, "rejected": 2}


def test_csv_and_parquet_for_the_same_table_is_an_error(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_csv(tmp_path / "list_memberships.csv", ["list_name", "contact_id"], [["L", "c1"]])
    pq.write_table(
        pa.table({"list_name": ["L"], "contact_id": ["c2"]}), tmp_path / "list_memberships.parquet"
    )
    assert load_raw.main(["--input", str(tmp_path), "--database", str(db)]) == 2
    assert "both list_memberships.csv and list_memberships.parquet" in capsys.readouterr().err
    assert not db.exists()


# ------------------------------------------------------------------------- counts and CLI


def test_counts_add_up_and_are_reported(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inputs = write_valid_inputs(tmp_path / "in", skip=["events"])
    rows = [[f"e{i}", "c1", "page_view", "2024-01-01"] for i in range(10)]
    rows += [["e1", "c1", "page_view", "2024-01-01"], ["e99", "", "page_view", "bad"]]
    write_csv(inputs / "events.csv", EVENT_HEADER, rows)

    assert load_raw.main(["--input", str(inputs), "--database", str(db)]) == 0

    out = capsys.readouterr().out
    assert "rows read 12, loaded 10, rejected 2 (loaded + rejected == read: OK)" in out
    assert "duplicate key event_id" in out
    assert "empty required value contact_id; unparseable timestamp occurred_at" in out
    counts = load_raw.load(inputs, db)
    for table, (_, file_rows) in VALID.items():
        if table == "events":
            continue
        assert counts[table]["read"] == len(file_rows)
    for table, numbers in counts.items():
        assert numbers["loaded"] + numbers["rejected"] == numbers["read"]
        assert query(db, f"SELECT count(*) FROM raw.{table}") == [(numbers["loaded"],)]
        stored_rejects = query(
            db, "SELECT count(*) FROM raw.load_rejects WHERE table_name = ?", [table]
        )
        assert stored_rejects == [(numbers["rejected"],)]


def test_database_path_defaults_to_the_environment_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "deep" / "dir" / "env.duckdb"
    monkeypatch.setenv("LEADSCORE_DUCKDB_PATH", str(target))
    inputs = write_valid_inputs(tmp_path / "in")
    assert load_raw.main(["--input", str(inputs)]) == 0
    assert query(target, "SELECT count(*) FROM raw.contacts") == [(2,)]


def test_database_path_falls_back_to_the_repo_output_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEADSCORE_DUCKDB_PATH", raising=False)
    expected = SCRIPT.parent.parent / "output" / "leadscore.duckdb"
    assert load_raw.resolve_database(None) == expected
    assert load_raw.resolve_database("x.duckdb") == Path("x.duckdb")


def test_custom_schema(tmp_path: Path, db: Path) -> None:
    load_raw.load(write_valid_inputs(tmp_path / "in"), db, schema="landing")
    assert query(db, "SELECT count(*) FROM landing.deals") == [(2,)]
    with pytest.raises(load_raw.LoadError, match="invalid schema"):
        load_raw.load(tmp_path / "in", db, schema="bad; drop")


# ------------------------------------------------------------------------- partitioned inputs

# Events in file order: a bad timestamp, a key repeated in a later part, a
# part holding only its header.
PARTITIONED_EVENTS = [
    ["e1", "c1", "page_view", "2024-03-01T10:00:00Z", "https://x/a", "first"],
    ["e2", "c2", "form_submit", "2024-03-02", "", ""],
    ["e3", "c1", "page_view", "soon", "", ""],
    ["e1", "c1", "page_view", "2024-03-03", "", "second"],
    ["e4", "c2", "download", "2024-03-04 12:00:00", "", ""],
    ["e5", "c1", "page_view", "2024-03-05", "", ""],
]
# Part name -> rows, in a creation order that is not the sorted one.
PARTS = {"part-03": [5], "part-00": [0, 1, 2], "part-01": [], "part-02": [3, 4]}


def write_parts(directory: Path, fmt: str) -> Path:
    """PARTITIONED_EVENTS as directory/events/<part>.<fmt>, plus files to skip."""
    header = VALID["events"][0]
    parts = directory / "events"
    parts.mkdir(parents=True)
    for name, indexes in PARTS.items():
        rows = [PARTITIONED_EVENTS[i] for i in indexes]
        if fmt == "csv":
            write_csv(parts / f"{name}.csv", header, rows)
        else:
            # An empty CSV field reads as null: the parquet parts hold nulls there.
            columns = {column: [row[i] or None for row in rows] for i, column in enumerate(header)}
            table = pa.table(
                columns, schema=pa.schema([(column, pa.string()) for column in header])
            )
            pq.write_table(table, parts / f"{name}.parquet")
    (parts / "_SUCCESS").write_text("", encoding="utf-8")
    (parts / f".part-00.{fmt}.crc").write_text("x", encoding="utf-8")
    return directory


def loaded_and_rejected(database: Path) -> tuple[list[tuple], list[tuple]]:
    loaded = query(database, "SELECT * EXCLUDE (loaded_at) FROM raw.events")
    rejected = query(
        database,
        "SELECT table_name, row_number, reason, record FROM raw.load_rejects ORDER BY row_number",
    )
    return loaded, rejected


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_partitioned_input_loads_like_the_single_file(tmp_path: Path, fmt: str) -> None:
    single = tmp_path / "single"
    single.mkdir()
    write_csv(single / "events.csv", VALID["events"][0], PARTITIONED_EVENTS)
    single_db = tmp_path / "single.duckdb"
    parts_db = tmp_path / "parts.duckdb"
    single_counts = load_raw.load(single, single_db)
    parts_counts = load_raw.load(write_parts(tmp_path / "parts", fmt), parts_db)

    assert parts_counts == single_counts
    assert row_counts(parts_counts["events"]) == {"read": 6, "loaded": 4, "rejected": 2}
    assert loaded_and_rejected(parts_db) == loaded_and_rejected(single_db)
    loaded, rejected = loaded_and_rejected(parts_db)
    # First row wins across parts: part-00 sorts before part-02.
    assert [(row[0], row[5]) for row in loaded] == [
        ("e1", "first"),
        ("e2", None),
        ("e4", None),
        ("e5", None),
    ]
    assert [(row[1], row[2]) for row in rejected] == [
        (3, "unparseable timestamp occurred_at: 'soon'"),
        (4, "duplicate key event_id=e1 " + CONFLICTING.format(1)),
    ]
    assert query(parts_db, "SELECT DISTINCT source_file FROM raw.load_rejects") == [
        (str((tmp_path / "parts" / "events").resolve()),)
    ]


def test_malformed_csv_rows_are_numbered_across_parts(tmp_path: Path, db: Path) -> None:
    parts = tmp_path / "events"
    parts.mkdir()
    header = "event_id,contact_id,event_type,occurred_at\n"
    (parts / "p1.csv").write_text(
        header + "e1,c1,page_view,2024-01-01\ne2,c1,page_view,2024-01-01,surplus\n",
        encoding="utf-8",
    )
    (parts / "p2.csv").write_text(header + "e3,c1,page_view,2024-01-01\n", encoding="utf-8")
    (parts / "p3.csv").write_text(
        header + "e4,c1\ne5,c1,page_view,2024-01-01\ne6,c1,page_view,never\n", encoding="utf-8"
    )
    counts = load_raw.load(tmp_path, db)

    assert row_counts(counts["events"]) == {"read": 6, "loaded": 3, "rejected": 3}
    assert query(db, "SELECT event_id FROM raw.events") == [("e1",), ("e3",), ("e5",)]
    found = [(n, reason.split(":")[0]) for n, reason, _ in rejects(db, "events")]
    assert found == [
        (2, "malformed CSV row (p1.csv line 3)"),
        (4, "malformed CSV row (p3.csv line 2)"),
        (6, "unparseable timestamp occurred_at"),
    ]
    assert rejects(db, "events")[1][2] == {"csv_line": "e4,c1"}


def test_parquet_parts_may_differ_in_column_types(tmp_path: Path, db: Path) -> None:
    parts = tmp_path / "companies"
    parts.mkdir()
    pq.write_table(
        pa.table({"company_id": ["k1"], "employee_count": pa.array([250], type=pa.int64())}),
        parts / "a.parquet",
    )
    pq.write_table(pa.table({"company_id": ["k2"], "employee_count": ["12"]}), parts / "b.parquet")
    load_raw.load(tmp_path, db)
    assert query(db, "SELECT company_id, employee_count FROM raw.companies") == [
        ("k1", 250),
        ("k2", 12),
    ]


def _both_layouts(directory: Path) -> None:
    write_csv(directory / "events.csv", EVENT_HEADER, [["e1", "c1", "page_view", "2024-01-01"]])
    (directory / "events").mkdir()
    write_csv(directory / "events" / "p1.csv", EVENT_HEADER, [])


def _no_parts(directory: Path) -> None:
    (directory / "events").mkdir()
    (directory / "events" / "_SUCCESS").write_text("", encoding="utf-8")


def _mixed_formats(directory: Path) -> None:
    (directory / "events").mkdir()
    write_csv(directory / "events" / "p1.csv", EVENT_HEADER, [])
    pq.write_table(
        pa.table({name: pa.array([], type=pa.string()) for name in EVENT_HEADER}),
        directory / "events" / "p2.parquet",
    )


def _headers_differ(directory: Path) -> None:
    (directory / "events").mkdir()
    write_csv(directory / "events" / "p1.csv", EVENT_HEADER, [])
    write_csv(directory / "events" / "p2.csv", [*EVENT_HEADER, "url"], [])
    write_csv(directory / "events" / "p3.csv", EVENT_HEADER, [])


def _unexpected_entry(directory: Path) -> None:
    (directory / "events").mkdir()
    write_csv(directory / "events" / "p1.csv", EVENT_HEADER, [])
    (directory / "events" / "p2.csv.gz").write_bytes(b"")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_both_layouts, "events: both events.csv and events/ exist"),
        (_no_parts, "events/: no *.csv or *.parquet parts"),
        (_mixed_formats, "events/: parts of mixed formats (csv and parquet)"),
        (_headers_differ, "events/p2.csv: header (event_id, contact_id, event_type, occurred_at,"),
        (_unexpected_entry, "events/: unexpected entries p2.csv.gz"),
    ],
)
def test_unusable_partitioned_input_is_an_error(
    tmp_path: Path,
    db: Path,
    make: Callable[[Path], None],
    message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    make(inputs)
    assert load_raw.main(["--input", str(inputs), "--database", str(db)]) == 2
    assert message in capsys.readouterr().err
    assert not db.exists()


# ------------------------------------------------------------------------- loaded_at


def load_times(database: Path, table: str = "events") -> list[datetime]:
    return [row[0] for row in query(database, f"SELECT DISTINCT loaded_at FROM raw.{table}")]


@pytest.mark.usefixtures("non_utc_local_time")
def test_loaded_at_is_the_load_start_in_utc(tmp_path: Path, db: Path) -> None:
    inputs = write_valid_inputs(tmp_path / "in", skip=["events"])
    write_csv(
        inputs / "events.csv",
        EVENT_HEADER,
        [["e1", "c1", "page_view", "2024-01-01"], ["e2", "", "page_view", "2024-01-01"]],
    )
    before = datetime.now(load_raw.UTC).replace(tzinfo=None)
    load_raw.load(inputs, db)
    after = datetime.now(load_raw.UTC).replace(tzinfo=None)

    [loaded_at] = load_times(db)
    assert before <= loaded_at <= after
    # The rejects say which load they came from.
    assert load_times(db, "load_rejects") == [loaded_at]


def test_loaded_at_increases_even_if_the_clock_goes_back(
    tmp_path: Path, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inputs = write_valid_inputs(tmp_path / "in")
    # The clock goes back, but not before the inputs' timestamps (those would be future).
    late, early = datetime(2030, 1, 1, 12), datetime(2025, 1, 1)
    monkeypatch.setattr(load_raw, "utc_now", lambda: late)
    load_raw.load(inputs, db)
    assert load_times(db) == [late]

    monkeypatch.setattr(load_raw, "utc_now", lambda: early)
    load_raw.load(inputs, db)
    assert load_times(db) == [late + timedelta(microseconds=1)]
    load_raw.load(inputs, db)
    assert load_times(db) == [late + timedelta(microseconds=2)]

    # A load without events still moves on, and its rejects say so.
    contacts = tmp_path / "contacts_only"
    contacts.mkdir()
    write_csv(contacts / "contacts.csv", ["contact_id", "email", "created_at"], [["", "x", "y"]])
    load_raw.load(contacts, db)
    assert load_times(db) == [late + timedelta(microseconds=2)]
    assert load_times(db, "load_rejects") == [late + timedelta(microseconds=3)]
    load_raw.load(inputs, db)
    assert load_times(db) == [late + timedelta(microseconds=4)]


def test_a_loaded_at_column_in_the_input_is_ignored(
    tmp_path: Path,
    db: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_csv(
        tmp_path / "events.csv",
        [*EVENT_HEADER, "Loaded_At"],
        [["e1", "c1", "page_view", "2024-01-01", "1999-01-01"], ["e2", "c1", "x", "soon", "?"]],
    )
    now = datetime(2031, 5, 6, 7, 8, 9, 123456)
    monkeypatch.setattr(load_raw, "utc_now", lambda: now)
    load_raw.load(tmp_path, db)
    assert load_times(db) == [now]
    assert "extra column(s) ignored: loaded_at" in capsys.readouterr().out
    assert rejects(db, "events")[0][2]["loaded_at"] == "?"


# ------------------------------------------------------------------------- append

APPEND_HEADER = ["event_id", "contact_id", "event_type", "occurred_at", "detail"]


def event_rows(database: Path) -> list[tuple]:
    return query(database, "SELECT event_id, occurred_at, detail, loaded_at FROM raw.events")


def test_append_keeps_old_rows_and_adds_new_ones_including_redelivered_events(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = write_valid_inputs(tmp_path / "first", skip=["events"])
    write_csv(
        first / "events.csv",
        APPEND_HEADER,
        [
            ["e1", "c1", "page_view", "2024-03-01", "v1"],
            ["e2", "c2", "page_view", "2024-03-01", ""],
        ],
    )
    load_raw.load(first, db)
    [first_load] = load_times(db)

    second = tmp_path / "second"
    second.mkdir()
    write_csv(
        second / "events.csv",
        APPEND_HEADER,
        [
            ["e1", "c1", "page_view", "2024-03-05", "v2"],  # re-delivered, a later version
            ["e3", "c1", "download", "2024-03-06", ""],
            ["e3", "c1", "download", "2024-03-07", "dup"],  # duplicate within the batch
            ["e4", "", "download", "2024-03-06", ""],  # rejected
        ],
    )
    write_csv(second / "deals.csv", ["deal_id", "company_id", "is_won"], [["d9", "k1", "no"]])
    capsys.readouterr()
    assert load_raw.main(["--input", str(second), "--database", str(db), "--append", "events"]) == 0
    out = capsys.readouterr().out
    [_, second_load] = sorted(load_times(db))

    assert second_load > first_load
    assert event_rows(db) == [
        ("e1", datetime(2024, 3, 1), "v1", first_load),
        ("e2", datetime(2024, 3, 1), None, first_load),
        ("e1", datetime(2024, 3, 5), "v2", second_load),
        ("e3", datetime(2024, 3, 6), None, second_load),
    ]
    assert "rows read 4, loaded 2, rejected 2 (loaded + rejected == read: OK)" in out
    assert "appended to raw.events: 2 rows before + 2 loaded = 4 rows after the load" in out
    # The other tables of the input are replaced in the same load, the absent ones kept.
    assert query(db, "SELECT deal_id FROM raw.deals") == [("d9",)]
    assert query(db, "SELECT count(*) FROM raw.contacts") == [(2,)]


def test_append_rejects_accumulate_with_their_loaded_at(tmp_path: Path, db: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    write_csv(
        inputs / "events.csv",
        EVENT_HEADER,
        [["e1", "c1", "page_view", "2024-01-01"], ["e2", "c1", "page_view", "later"]],
    )
    write_csv(inputs / "deals.csv", ["deal_id", "company_id", "is_won"], [["d1", "k1", "?"]])
    load_raw.load(inputs, db)
    counts = [load_raw.load(inputs, db, append=["events"]) for _ in range(2)]

    assert [row_counts(c["events"]) for c in counts] == [
        {"read": 2, "loaded": 1, "rejected": 1, "total": 2},
        {"read": 2, "loaded": 1, "rejected": 1, "total": 3},
    ]
    loads = sorted(load_times(db))
    assert len(loads) == 3
    stored = query(db, "SELECT table_name, row_number, reason, loaded_at FROM raw.load_rejects")
    reason = "unparseable timestamp occurred_at: 'later'"
    # deals is replaced by every load: only the last load's reject is kept.
    assert stored == [
        ("deals", 1, "unparseable boolean is_won: '?'", loads[2]),
        ("events", 2, reason, loads[0]),
        ("events", 2, reason, loads[1]),
        ("events", 2, reason, loads[2]),
    ]
    # A replacing load drops them again.
    load_raw.load(inputs, db)
    assert query(db, "SELECT count(*) FROM raw.load_rejects WHERE table_name = 'events'") == [(1,)]
    assert query(db, "SELECT count(*) FROM raw.events") == [(1,)]


def test_append_without_an_events_table_is_a_plain_load(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inputs = write_valid_inputs(tmp_path / "in")
    counts = load_raw.load(inputs, db, append=["events"])
    assert counts["events"] == {"read": 2, "loaded": 2, "rejected": 0, "orphans": {"contact_id": 0}}
    assert query(db, "SELECT count(*) FROM raw.events") == [(2,)]
    assert "raw.events does not exist yet; loading it as a new table" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("contacts", "--append contacts: only events can be appended to"),
        ("visits", "--append visits: unknown table"),
    ],
)
def test_append_supports_only_events(
    tmp_path: Path, db: Path, table: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    inputs = write_valid_inputs(tmp_path / "in")
    argv = ["--input", str(inputs), "--database", str(db), "--append", "events", "--append", table]
    assert load_raw.main(argv) == 2
    assert message in capsys.readouterr().err
    assert not db.exists()


def test_append_to_an_older_database_without_loaded_at(tmp_path: Path, db: Path) -> None:
    db.parent.mkdir(parents=True)
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE SCHEMA raw")
        con.execute(
            "CREATE TABLE raw.events (event_id VARCHAR, contact_id VARCHAR, event_type VARCHAR, "
            "occurred_at TIMESTAMP, url VARCHAR, detail VARCHAR)"
        )
        con.execute(
            "INSERT INTO raw.events VALUES ('e0', 'c1', 'page_view', '2023-01-01', 'u', '')"
        )
        con.execute(
            "CREATE TABLE raw.load_rejects (table_name VARCHAR, source_file VARCHAR, "
            "row_number BIGINT, reason VARCHAR, record VARCHAR)"
        )
        con.execute("INSERT INTO raw.load_rejects VALUES ('events', 'old.csv', 7, 'old', '{}')")
    write_csv(tmp_path / "events.csv", EVENT_HEADER, [["e1", "c1", "page_view", "2024-01-01"]])

    load_raw.load(tmp_path, db, append=["events"])

    [(loaded_at,)] = query(db, "SELECT loaded_at FROM raw.events WHERE event_id = 'e1'")
    assert loaded_at > datetime(2024, 1, 1)
    assert query(db, "SELECT event_id, loaded_at FROM raw.events") == [
        ("e0", datetime(1970, 1, 1)),
        ("e1", loaded_at),
    ]
    assert column_types(db, "events")["loaded_at"] == "TIMESTAMP"
    assert query(db, "SELECT source_file, loaded_at FROM raw.load_rejects") == [
        ("old.csv", datetime(1970, 1, 1))
    ]
    # Later rows get no default.
    with duckdb.connect(str(db)) as con:
        con.execute("INSERT INTO raw.events (event_id) VALUES ('x')")
        assert con.execute("SELECT loaded_at FROM raw.events WHERE event_id = 'x'").fetchall() == [
            (None,)
        ]


def test_append_to_an_incompatible_table_is_an_error(tmp_path: Path, db: Path) -> None:
    db.parent.mkdir(parents=True)
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE SCHEMA raw")
        con.execute("CREATE TABLE raw.events (event_id VARCHAR, occurred_at VARCHAR)")
    write_csv(tmp_path / "events.csv", EVENT_HEADER, [["e1", "c1", "page_view", "2024-01-01"]])
    with pytest.raises(load_raw.LoadError, match="load without --append to replace it"):
        load_raw.load(tmp_path, db, append=["events"])
    assert query(db, "SELECT count(*) FROM raw.events") == [(0,)]


def test_a_failed_append_leaves_previous_tables_intact(
    tmp_path: Path, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_raw.load(write_valid_inputs(tmp_path / "first"), db)
    before = snapshot(db)

    def fail(*_args: object) -> None:
        raise duckdb.IOException("disk full (simulated)")

    monkeypatch.setattr(load_raw, "replace_rejects", fail)
    argv = ["--input", str(tmp_path / "first"), "--database", str(db), "--append", "events"]
    assert load_raw.main(argv) == 1
    assert snapshot(db) == before


def test_help_describes_partitions_loaded_at_and_append(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        load_raw.main(["--help"])
    out = capsys.readouterr().out
    assert "--append TABLE" in out
    assert "DIR/<table>/" in out
    assert "loaded_at" in out
    assert "--future-tolerance-minutes N" in out
    assert "won deal" in out


# ------------------------------------------------------------------------- timestamp bounds

LOAD_TIME = datetime(2026, 6, 1, 12, 0, 0)
AFTER_LOAD = "is after the load time 2026-06-01 12:00:00 UTC (tolerance 60 min)"


@pytest.fixture
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> datetime:
    """The load starts at LOAD_TIME (loaded_at and the future bound both use utc_now)."""
    monkeypatch.setattr(load_raw, "utc_now", lambda: LOAD_TIME)
    return LOAD_TIME


@pytest.mark.usefixtures("fixed_clock", "non_utc_local_time")
def test_future_timestamps_are_rejected_after_the_load_time_plus_tolerance(
    tmp_path: Path, db: Path
) -> None:
    events = {
        "e1": ("2026-06-01 12:59:59", True),
        "e2": ("2026-06-01 13:00:00", True),  # exactly load time + 60 min
        "e3": ("2026-06-01 13:00:01", False),
        "e4": ("2026-06-01T14:30:00+02:00", True),  # 12:30 UTC
        "e5": ("2026-06-01T12:30:00-02:00", False),  # 14:30 UTC
        "e6": ("2099-01-01", False),
        "e7": ("9999-12-31T23:59:59-05:00", False),  # past year 9999 in UTC
    }
    write_csv(
        tmp_path / "events.csv",
        EVENT_HEADER,
        [[key, "c1", "page_view", value] for key, (value, _) in events.items()],
    )
    write_csv(
        tmp_path / "contacts.csv",
        ["contact_id", "email", "created_at"],
        [["c1", "a@x.com", "2026-06-01"], ["c2", "b@x.com", "2027-01-01"]],
    )
    write_csv(
        tmp_path / "deals.csv",
        ["deal_id", "company_id", "is_won", "created_at"],
        [["d1", "k1", "false", "2026-05-01"], ["d2", "k1", "false", "2026-07-01"]],
    )
    write_csv(
        tmp_path / "list_memberships.csv",
        ["list_name", "contact_id", "added_at"],
        [["L", "c1", "2026-06-01 11:00"], ["L", "c2", "2026-06-02"]],
    )
    load_raw.load(tmp_path, db)

    assert [row[0] for row in query(db, "SELECT event_id FROM raw.events")] == [
        key for key, (_, loaded) in events.items() if loaded
    ]
    assert [(n, reason) for n, reason, _ in rejects(db, "events")] == [
        (3, f"future timestamp occurred_at: '2026-06-01 13:00:01' {AFTER_LOAD}"),
        (5, f"future timestamp occurred_at: '2026-06-01T12:30:00-02:00' {AFTER_LOAD}"),
        (6, f"future timestamp occurred_at: '2099-01-01' {AFTER_LOAD}"),
        (7, f"future timestamp occurred_at: '9999-12-31T23:59:59-05:00' {AFTER_LOAD}"),
    ]
    assert [(n, reason) for n, reason, _ in rejects(db, "contacts")] == [
        (2, f"future timestamp created_at: '2027-01-01' {AFTER_LOAD}")
    ]
    assert [(n, reason) for n, reason, _ in rejects(db, "deals")] == [
        (2, f"future timestamp created_at: '2026-07-01' {AFTER_LOAD}")
    ]
    assert [(n, reason) for n, reason, _ in rejects(db, "list_memberships")] == [
        (2, f"future timestamp added_at: '2026-06-02' {AFTER_LOAD}")
    ]
    categories = query(db, "SELECT DISTINCT table_name, category FROM raw.load_rejects ORDER BY 1")
    assert categories == [
        ("contacts", "future timestamp created_at"),
        ("deals", "future timestamp created_at"),
        ("events", "future timestamp occurred_at"),
        ("list_memberships", "future timestamp added_at"),
    ]


@pytest.mark.usefixtures("fixed_clock")
def test_future_tolerance_is_an_option(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [
        ["e1", "c1", "page_view", "2026-06-01 12:00:00"],
        ["e2", "c1", "page_view", "2026-06-01 12:00:01"],
        ["e3", "c1", "page_view", "2026-06-02 11:59:59"],
        ["e4", "c1", "page_view", "2026-06-02 12:00:01"],
    ]
    write_csv(tmp_path / "events.csv", EVENT_HEADER, rows)
    argv = ["--input", str(tmp_path), "--database", str(db)]

    assert load_raw.main([*argv, "--future-tolerance-minutes", "0"]) == 0
    assert query(db, "SELECT event_id FROM raw.events") == [("e1",)]
    assert "(tolerance 0 min)" in rejects(db, "events")[0][1]
    assert load_raw.main([*argv, "--future-tolerance-minutes", "1440"]) == 0
    assert query(db, "SELECT event_id FROM raw.events") == [("e1",), ("e2",), ("e3",)]
    counts = load_raw.load(tmp_path, db)  # default: 60 minutes
    assert row_counts(counts["events"]) == {"read": 4, "loaded": 2, "rejected": 2}

    for bad in ("-1", "1.5", "soon"):
        with pytest.raises(SystemExit):
            load_raw.main([*argv, "--future-tolerance-minutes", bad])
        assert "--future-tolerance-minutes" in capsys.readouterr().err
    with pytest.raises(load_raw.LoadError, match=">= 0 minutes"):
        load_raw.load(tmp_path, db, future_tolerance_minutes=-5)


@pytest.mark.usefixtures("fixed_clock")
def test_only_a_won_deal_may_not_close_in_the_future(tmp_path: Path, db: Path) -> None:
    header = ["deal_id", "company_id", "is_won", "closed_at", "stage"]
    rows = [
        ["d1", "k1", "true", "2026-05-01", "won"],
        ["d2", "k1", "true", "2026-09-01", "won"],  # won, closing in three months: rejected
        ["d3", "k1", "false", "2026-09-01", "open"],  # the expected close date: kept
        ["d4", "k1", "false", "2099-01-01", "lost"],
        ["d5", "k1", "", "2026-09-01", "open"],  # is_won unknown: not a won deal
        ["d6", "k1", "false", "0001-01-01", "open"],  # a placeholder is impossible for all
    ]
    write_csv(tmp_path / "deals.csv", header, rows)
    load_raw.load(tmp_path, db)

    assert query(db, "SELECT deal_id, closed_at FROM raw.deals") == [
        ("d1", datetime(2026, 5, 1)),
        ("d3", datetime(2026, 9, 1)),
        ("d4", datetime(2099, 1, 1)),
        ("d5", datetime(2026, 9, 1)),
    ]
    assert [(n, reason) for n, reason, _ in rejects(db, "deals")] == [
        (2, f"won deal closed in the future: closed_at '2026-09-01' {AFTER_LOAD}"),
        (6, "impossible timestamp closed_at: '0001-01-01' is before 1900-01-01 00:00:00 UTC"),
    ]
    assert query(db, "SELECT category FROM raw.load_rejects ORDER BY row_number") == [
        ("won deal closed in the future",),
        ("impossible timestamp closed_at",),
    ]


@pytest.mark.usefixtures("non_utc_local_time")
def test_timestamps_before_1900_are_impossible(tmp_path: Path, db: Path) -> None:
    values = {
        "0001-01-01": False,
        "0000-01-01": False,  # year 0: 1 BC
        "1899-12-30": False,  # Excel's day zero
        "1899-12-31T23:59:59.999999": False,
        "1900-01-01T00:30:00+01:00": False,  # 1899-12-31 23:30 UTC
        "1900-01-01": True,
        "1899-12-31T23:00:00-02:00": True,  # 1900-01-01 01:00 UTC
    }
    rows = [[f"e{i}", "c1", "page_view", value] for i, value in enumerate(values, start=1)]
    write_csv(tmp_path / "events.csv", EVENT_HEADER, rows)
    load_raw.load(tmp_path, db)

    assert query(db, "SELECT event_id, occurred_at FROM raw.events") == [
        ("e6", datetime(1900, 1, 1)),
        ("e7", datetime(1900, 1, 1, 1)),
    ]
    bound = "is before 1900-01-01 00:00:00 UTC"
    assert [reason for _, reason, _ in rejects(db, "events")] == [
        f"impossible timestamp occurred_at: '{value}' {bound}"
        for value, loaded in values.items()
        if not loaded
    ]


# ------------------------------------------------------------------------- length limits


def test_length_limits_of_keys_and_text(tmp_path: Path, db: Path) -> None:
    assert (load_raw.MAX_KEY_LENGTH, load_raw.MAX_TEXT_LENGTH) == (255, 10_000)
    long_key, longer_key = "k" * 255, "k" * 256
    header = ["contact_id", "email", "created_at", "notes"]
    rows = [
        [f"  {long_key}  ", "a@x.com", "2024-01-01", ""],  # 255 after trim
        [longer_key, "a@x.com", "2024-01-01", ""],
        ["c3", "é" * 10_000, "2024-01-01", "n" * 10_000],  # characters, not bytes
        ["c4", "x" * 10_001, "2024-01-01", ""],
        ["c5", "a@x.com", "2024-01-01", "n" * 10_001],  # a custom property
    ]
    write_csv(tmp_path / "contacts.csv", header, rows)
    write_csv(
        tmp_path / "events.csv",
        [*EVENT_HEADER, "detail"],
        [["e1", "c3", "page_view", "2024-01-01", "d" * 12_345]],
    )
    load_raw.load(tmp_path, db)

    assert query(db, "SELECT contact_id FROM raw.contacts") == [(long_key,), ("c3",)]
    assert query(db, "SELECT contact_id, length(value) FROM raw.contact_properties") == [
        ("c3", 10_000)
    ]
    stored = query(
        db, "SELECT table_name, row_number, category, reason FROM raw.load_rejects ORDER BY 1, 2"
    )
    assert stored == [
        ("contacts", 2, "key too long contact_id",
         "key too long contact_id: 256 characters (limit 255)"),
        ("contacts", 4, "value too long email",
         "value too long email: 10001 characters (limit 10000)"),
        ("contacts", 5, "value too long notes",
         "value too long notes: 10001 characters (limit 10000)"),
        ("events", 1, "value too long detail",
         "value too long detail: 12345 characters (limit 10000)"),
    ]  # fmt: skip


def test_text_with_a_nul_character_is_rejected(tmp_path: Path, db: Path) -> None:
    """PostgreSQL text cannot hold NUL: such a row would load here and fail the copy."""
    header = ["contact_id", "email", "created_at", "job_title", "notes"]
    rows = [
        ["c1", "a@x.com", "2024-01-01", "CTO", "fine"],
        ["c2", "b@x.com", "2024-01-01", "C\x00O", ""],
        ["c3\x00", "c@x.com", "2024-01-01", "", ""],
        ["c4", "d@x.com", "2024-01-01", "", "bad\x00note"],  # a custom property
    ]
    write_csv(tmp_path / "contacts.csv", header, rows)
    counts = load_raw.load(tmp_path, db)

    assert (counts["contacts"]["loaded"], counts["contacts"]["rejected"]) == (1, 3)
    assert query(db, "SELECT contact_id FROM raw.contacts") == [("c1",)]
    assert query(
        db, "SELECT row_number, category FROM raw.load_rejects ORDER BY row_number"
    ) == [(2, "NUL character job_title"), (3, "NUL character contact_id"),
          (4, "NUL character notes")]  # fmt: skip


# ------------------------------------------------------------------------- encodings


def write_bytes(path: Path, text: str, *, bom: bool = False, newline: str = "\n") -> Path:
    data = text.replace("\n", newline).encode("utf-8")
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def test_byte_order_mark_is_dropped_in_files_and_parts(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The BOM precedes the first column name: if kept, contact_id would be missing.
    write_bytes(
        tmp_path / "contacts.csv",
        "contact_id,email,created_at,tier\nc1,a@x.com,2024-01-01,gold\n",
        bom=True,
        newline="\r\n",
    )
    parts = tmp_path / "events"
    parts.mkdir()
    for i in (1, 2):
        write_bytes(
            parts / f"p{i}.csv",
            f"event_id,contact_id,event_type,occurred_at\ne{i},c1,page_view,2024-01-0{i}\n",
            bom=True,
        )
    assert load_raw.read_csv_header(parts / "p1.csv", "p1.csv") == EVENT_HEADER
    counts = load_raw.load(tmp_path, db)

    assert row_counts(counts["contacts"]) == {
        "read": 1, "loaded": 1, "rejected": 0, "properties": 1
    }  # fmt: skip
    assert row_counts(counts["events"]) == {"read": 2, "loaded": 2, "rejected": 0}
    assert query(db, "SELECT contact_id, email FROM raw.contacts") == [("c1", "a@x.com")]
    assert query(db, "SELECT event_id, contact_id FROM raw.events") == [("e1", "c1"), ("e2", "c1")]
    assert query(db, "SELECT * FROM raw.contact_properties") == [("c1", "tier", "gold")]
    assert "\ufeff" not in capsys.readouterr().out


def test_rows_that_are_not_utf8_are_rejected_with_a_hint(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    header = b"event_id,contact_id,event_type,occurred_at,detail\n"
    (tmp_path / "events.csv").write_bytes(
        header
        + b"e1,c1,page_view,2024-01-01,caf\xc3\xa9\n"  # UTF-8: loaded
        + b"e2,c1,page_view,2024-01-01,caf\xe9\n"  # Windows-1252
        + b'e3,c\xff,page_view,2024-01-01,"a\nb"\n'
        + b"e4,c1,page_view,2024-01-01,x,surplus\n"
        + b"e5,c1,page_view,2024-01-01,\xed\xa0\x80\n"  # an encoded surrogate
    )
    counts = load_raw.load(tmp_path, db)

    assert row_counts(counts["events"]) == {"read": 5, "loaded": 1, "rejected": 4}
    assert query(db, "SELECT detail FROM raw.events") == [("café",)]
    stored = query(db, "SELECT row_number, category, reason FROM raw.load_rejects")
    detail = " holds bytes that are not valid UTF-8 (the file is in another encoding, or corrupt)"
    assert stored == [
        (2, "invalid UTF-8", "invalid UTF-8 (line 3): field 5" + detail),
        (3, "invalid UTF-8", "invalid UTF-8 (line 4): field 2" + detail),
        (4, "malformed CSV row",
         "malformed CSV row (line 5): Expected Number of Columns: 5 Found: 6"),
        (5, "invalid UTF-8", "invalid UTF-8 (line 6): field 5" + detail),
    ]  # fmt: skip
    out = capsys.readouterr().out
    assert "hint: the file is not UTF-8; convert it, e.g. iconv -f WINDOWS-1252 -t UTF-8" in out

    # Only when there are such rows.
    (tmp_path / "events.csv").write_bytes(header + b"e1,c1,page_view,2024-01-01,x,y\n")
    load_raw.load(tmp_path, db)
    assert "hint:" not in capsys.readouterr().out


def test_rows_of_parts_that_are_not_utf8_name_their_part(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parts = tmp_path / "events"
    parts.mkdir()
    header = b"event_id,contact_id,event_type,occurred_at\n"
    (parts / "p1.csv").write_bytes(header + b"e1,c1,page_view,2024-01-01\n")
    (parts / "p2.csv").write_bytes(header + b"e2,c1,page_view,2024-01-01\ne3,J\xfcrgen,x,2024\n")
    counts = load_raw.load(tmp_path, db)
    assert row_counts(counts["events"]) == {"read": 3, "loaded": 2, "rejected": 1}
    [(row_number, reason, record)] = rejects(db, "events")
    assert row_number == 3
    assert reason.startswith("invalid UTF-8 (p2.csv line 3): field 2 holds bytes")
    assert record["csv_line"].startswith("e3,J")
    assert "iconv -f WINDOWS-1252 -t UTF-8 events/<part>.csv" in capsys.readouterr().out


def _header_not_utf8(directory: Path) -> str:
    (directory / "contacts.csv").write_bytes(
        b"contact_id,email,created_at,Stra\xdfe\nc1,a@x.com,2024-01-01,x\n"
    )
    return "contacts.csv: the header is not valid UTF-8 (byte 0xdf)"


def _utf16(directory: Path) -> str:
    text = "contact_id,email,created_at\nc1,a@x.com,2024-01-01\n"
    (directory / "contacts.csv").write_bytes(text.encode("utf-16"))
    return "contacts.csv: the file is UTF-16"


def _empty_file(directory: Path) -> str:
    (directory / "contacts.csv").write_bytes(b"")
    return "contacts.csv: empty file (0 bytes): no header line"


def _first_line_empty(directory: Path) -> str:
    (directory / "contacts.csv").write_bytes(b"\ncontact_id,email,created_at\nc1,a@x.com,2024\n")
    return "contacts.csv: no header line"


def _only_a_bom(directory: Path) -> str:
    (directory / "contacts.csv").write_bytes(b"\xef\xbb\xbf")
    return "contacts.csv: no header line"


def _header_bad_csv(directory: Path) -> str:
    (directory / "contacts.csv").write_bytes(b'"contact_id"x,email,created_at\nc1,a,2024\n')
    return "contacts.csv: the header line is not valid CSV"


def _empty_part(directory: Path) -> str:
    (directory / "events").mkdir()
    write_csv(directory / "events" / "p1.csv", EVENT_HEADER, [["e1", "c1", "x", "2024-01-01"]])
    (directory / "events" / "p2.csv").write_bytes(b"")
    return "events/p2.csv: empty file (0 bytes): no header line"


def _part_header_not_utf8(directory: Path) -> str:
    (directory / "events").mkdir()
    write_csv(directory / "events" / "p1.csv", EVENT_HEADER, [])
    (directory / "events" / "p2.csv").write_bytes(
        b"event_id,contact_id,event_type,occurred_at,d\xe9tail\n"
    )
    return "events/p2.csv: the header is not valid UTF-8 (byte 0xe9)"


@pytest.mark.parametrize(
    "make",
    [
        _header_not_utf8,
        _utf16,
        _empty_file,
        _first_line_empty,
        _only_a_bom,
        _header_bad_csv,
        _empty_part,
        _part_header_not_utf8,
    ],
)
def test_header_level_problems_are_load_errors(
    tmp_path: Path, db: Path, make: Callable[[Path], str], capsys: pytest.CaptureFixture[str]
) -> None:
    inputs = write_valid_inputs(tmp_path / "in", skip=["contacts", "events"])
    message = make(inputs)
    with pytest.raises(load_raw.LoadError) as caught:
        load_raw.load(inputs, db)
    assert message in str(caught.value)
    assert not db.exists()
    assert load_raw.main(["--input", str(inputs), "--database", str(db)]) == 2
    assert message in capsys.readouterr().err
    assert not db.exists()


def test_a_bad_byte_after_the_header_is_not_a_header_problem(tmp_path: Path, db: Path) -> None:
    # The header reader must not decode past the header record.
    (tmp_path / "events.csv").write_bytes(
        b"event_id,contact_id,event_type,occurred_at\n" + b"e\xe9,c1,x,2024-01-01\n" * 5000
    )
    counts = load_raw.load(tmp_path, db)
    assert row_counts(counts["events"]) == {"read": 5000, "loaded": 0, "rejected": 5000}


# ------------------------------------------------------------------------- references


def test_unresolved_references_are_kept_counted_and_noticed(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    write_csv(
        inputs / "contacts.csv",
        ["contact_id", "email", "created_at", "company_id"],
        [
            ["c1", "a@x.com", "2024-01-01", " k1 "],  # padded: resolves
            ["c2", "b@x.com", "2024-01-01", "k9"],
            ["c3", "c@x.com", "2024-01-01", ""],  # no company: not an orphan
            ["c4", "d@x.com", "2024-01-01", "K1"],  # ids are case-sensitive
        ],
    )
    write_csv(inputs / "companies.csv", ["company_id"], [["k1"]])
    write_csv(
        inputs / "events.csv",
        EVENT_HEADER,
        [
            ["e1", "c1", "page_view", "2024-01-02"],
            ["e2", " c2", "page_view", "2024-01-02"],
            ["e3", "c7", "page_view", "2024-01-02"],
            ["e4", "c8", "page_view", "2024-01-02"],
            ["e5", "", "page_view", "2024-01-02"],  # rejected, not counted
        ],
    )
    write_csv(
        inputs / "deals.csv",
        ["deal_id", "company_id", "contact_id", "is_won"],
        [
            ["d1", "k1", "c1", "true"],
            ["d2", "k2", "", "true"],
            ["d3", "", "c9", "false"],  # company empty and contact unknown
        ],
    )
    write_csv(
        inputs / "list_memberships.csv",
        ["list_name", "contact_id"],
        [["L", "c1"], ["L", "c5"], ["M", "c5"]],
    )
    capsys.readouterr()
    counts = load_raw.load(inputs, db)

    assert counts["contacts"]["orphans"] == {"company_id": 2}
    assert counts["companies"].get("orphans") is None  # no references
    assert counts["events"]["orphans"] == {"contact_id": 2}
    assert counts["deals"]["orphans"] == {"company_id": 2, "contact_id": 1}
    assert counts["list_memberships"]["orphans"] == {"contact_id": 2}
    # Kept: nothing of it is a reject.
    assert query(db, "SELECT table_name, row_number FROM raw.load_rejects") == [("events", 5)]
    assert query(db, "SELECT count(*) FROM raw.events") == [(4,)]
    out = capsys.readouterr().out
    assert (
        "events: notice: 2 events for contact_ids not in contacts "
        "(kept; scored once the contact is loaded)"
    ) in out
    assert "contacts: notice: 2 contacts for company_ids not in companies (kept;" in out
    assert "deals: notice: 2 deals for company_ids empty or not in companies (kept;" in out
    assert "deals: notice: 1 deals for contact_ids not in contacts (kept;" in out
    assert "list_memberships: notice: 2 list_memberships for contact_ids not in contacts" in out

    # A later load of events alone resolves against the contacts stored before.
    later = tmp_path / "later"
    later.mkdir()
    write_csv(
        later / "events.csv",
        EVENT_HEADER,
        [["e6", "c4", "page_view", "2024-01-03"], ["e7", "c8", "page_view", "2024-01-03"]],
    )
    capsys.readouterr()
    assert load_raw.load(later, db)["events"]["orphans"] == {"contact_id": 1}
    assert "notice: 1 events for contact_ids not in contacts" in capsys.readouterr().out
    # Appended: only this load's rows are counted, against the contacts loaded with them.
    write_csv(
        later / "contacts.csv", ["contact_id", "email", "created_at"], [["c8", "x@y", "2024-01-01"]]
    )
    counts = load_raw.load(later, db, append=["events"])
    assert counts["events"]["orphans"] == {"contact_id": 1}  # e6: c4 was replaced away
    assert counts["contacts"]["orphans"] == {"company_id": 0}


# ------------------------------------------------------------------------- generated data


def test_generated_data_with_the_default_end_is_never_in_the_future(
    tmp_path: Path, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import generate_data

    # The strictest load of today: at midnight UTC, without tolerance. Data
    # ending today (the old default) would have events after it.
    midnight = datetime.combine(datetime.now(load_raw.UTC).date(), datetime.min.time())
    monkeypatch.setattr(load_raw, "utc_now", lambda: midnight)
    assert generate_data.default_end() == (midnight - timedelta(days=1)).date()
    generate_data.main(["--output", str(tmp_path / "data"), "--contacts", "150", "--seed", "3"])
    counts = load_raw.load(tmp_path / "data", db, future_tolerance_minutes=0)

    assert {table: numbers["rejected"] for table, numbers in counts.items()} == dict.fromkeys(
        counts, 0
    )
    assert query(db, "SELECT max(occurred_at) < ? FROM raw.events", [midnight]) == [(True,)]
    assert all(n == 0 for numbers in counts.values() for n in numbers.get("orphans", {}).values())
