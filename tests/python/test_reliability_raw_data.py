"""Bad raw data end to end (README, "Bad raw data"): nothing lost, nothing wrong.

The loader's own cases are in test_load_raw.py and the bad_inputs corpus;
these tests follow messy exports and raw tables of another pipeline through
dbt: every problem is in the published data_quality_issues with what was
done about it, every raw row is staged or reported, and staging that dropped
a row silently would fail the build.
"""

from __future__ import annotations

import csv
import shutil
from collections import Counter
from pathlib import Path

import duckdb
import load_raw
import pytest
import summary
from conftest import BuiltProject, copy_project, quick_build, read_table
from test_reliability_publication import published


def append_csv_rows(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open(newline="") as handle:
        fields = next(csv.reader(handle))
    with path.open("a", newline="", encoding="utf-8") as handle:
        csv.DictWriter(handle, fieldnames=fields, lineterminator="\n").writerows(rows)


@pytest.fixture
def messy_export(default_build: BuiltProject, tmp_path: Path) -> Path:
    """The default sample's files with one bad row of each kind a CRM export has."""
    data = tmp_path / "data"
    shutil.copytree(default_build.data_dir, data)
    with (data / "contacts.csv").open(newline="") as handle:
        first_contact = next(csv.DictReader(handle))
    with (data / "companies.csv").open(newline="") as handle:
        first_company = next(csv.DictReader(handle))
    contact, company = first_contact["contact_id"], first_company["company_id"]
    append_csv_rows(
        data / "contacts.csv",
        [
            first_contact,  # an identical duplicate
            {**first_contact, "job_title": "Chief Everything"},  # a conflicting one
            {**first_contact, "contact_id": "", "email": "nobody@example.com"},
            {**first_contact, "contact_id": "c_bad_email", "email": "not-an-address"},
            {**first_contact, "contact_id": "c_no_company", "company_id": "co_unknown"},
            {**first_contact, "contact_id": "c_future", "created_at": "2099-01-01T00:00:00Z"},
        ],
    )
    append_csv_rows(
        data / "companies.csv",
        [{**first_company, "company_id": "co_negative", "employee_count": "-40"}],
    )
    event = {"event_id": "e_x", "contact_id": contact, "event_type": "page_view",
             "occurred_at": "2026-06-01T10:00:00Z", "url": "/pricing", "detail": ""}  # fmt: skip
    append_csv_rows(
        data / "events.csv",
        [
            {**event, "event_id": "e_future", "occurred_at": "2099-06-01T10:00:00Z"},
            {**event, "event_id": "e_placeholder", "occurred_at": "0001-01-01"},
            {**event, "event_id": "e_garbage_time", "occurred_at": "yesterday"},
            {**event, "event_id": "e_orphan", "contact_id": "c_not_exported_yet"},
            {**event, "event_id": "e_no_type", "event_type": "  "},
        ],
    )
    with (data / "events.csv").open("ab") as handle:  # a Windows-1252 row
        handle.write(b'"e_latin1","' + contact.encode() + b'","page_view",'
                     b'"2026-06-01T10:00:00Z","/caf\xe9",""\n')  # fmt: skip
    assert company
    return data


def test_a_messy_export_is_loaded_reported_and_scored(
    messy_export: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "leadscore.duckdb"
    counts = load_raw.load(messy_export, database)
    for table, table_counts in counts.items():
        assert table_counts["read"] == table_counts["loaded"] + table_counts["rejected"], table
    assert counts["contacts"]["rejected"] == 4  # 2 duplicates, an empty key, a future creation
    assert counts["events"]["rejected"] == 5  # future, placeholder, garbage, no type, Latin-1
    assert counts["events"]["orphans"]["contact_id"] == 1

    project = copy_project(tmp_path / "project")
    run = quick_build(project, database)
    assert run.success, run.text()

    issues = read_table(database, "data_quality_issues")
    found = Counter((row["table_name"], row["issue"], row["handling"]) for row in issues)
    expected = {
        ("contacts", "duplicate key contact_id (identical)", "rejected by the loader"): 1,
        ("contacts", "duplicate key contact_id (conflicting)", "rejected by the loader"): 1,
        ("contacts", "empty key contact_id", "rejected by the loader"): 1,
        ("contacts", "future timestamp created_at", "rejected by the loader"): 1,
        ("events", "future timestamp occurred_at", "rejected by the loader"): 1,
        ("events", "impossible timestamp occurred_at", "rejected by the loader"): 1,
        ("events", "unparseable timestamp occurred_at", "rejected by the loader"): 1,
        ("events", "empty required value event_type", "rejected by the loader"): 1,
        ("events", "invalid UTF-8", "rejected by the loader"): 1,
        ("contacts", "invalid email address", "repaired: set to null"): 1,
        ("companies", "negative number", "repaired: set to null"): 1,
        ("events", "unknown contact_id", "kept: scored once the contact is loaded"): 1,
        ("contacts", "unknown company_id",
         "kept: company fields are null until the company is loaded"): 1,
    }  # fmt: skip
    assert {key: found.get(key, 0) for key in expected} == expected
    loader_rows = sum(n for (_, _, handling), n in found.items() if handling.startswith("rej"))
    assert loader_rows == sum(table_counts["rejected"] for table_counts in counts.values())

    # The repaired values are repaired where rules read them, and the kept rows are kept.
    with duckdb.connect(str(database), read_only=True) as con:
        assert con.execute(
            "select email, email_domain from main.stg_crm__contacts "
            "where contact_id = 'c_bad_email'"
        ).fetchall() == [(None, None)]
        assert con.execute(
            "select employee_count from main.stg_crm__companies where company_id = 'co_negative'"
        ).fetchall() == [(None,)]
        assert con.execute(
            "select count(*) from main.stg_crm__events where event_id = 'e_orphan'"
        ).fetchone() == (1,)
    scored = {row["contact_id"] for row in read_table(database, "lead_scores")}
    assert {"c_no_company", "c_bad_email"} <= scored  # kept and scored, not lost

    summary.summarize(database)
    printed = capsys.readouterr().out
    assert "Raw data issues (main.data_quality_issues)" in printed
    assert "invalid UTF-8" in printed


@pytest.mark.slow
def test_raw_rows_of_another_pipeline_are_staged_or_reported(workspace) -> None:
    """Rows the loader would have rejected, written straight into raw, are excluded and listed."""
    project, database = workspace
    with duckdb.connect(str(database)) as con:
        con.execute("insert into raw.contacts (contact_id, email, created_at) values "
                    "('  ', 'ghost@example.com', timestamp '2026-01-01'), "
                    "('c_no_time', 'x@example.com', null)")  # fmt: skip
        con.execute("insert into raw.events (event_id, contact_id, event_type, occurred_at) "
                    "values (null, 'c1', 'page_view', timestamp '2026-01-01'), "
                    "('e_no_contact', ' ', 'page_view', timestamp '2026-01-01')")  # fmt: skip
        con.execute("insert into raw.companies (company_id) values ('')")
        con.execute("insert into raw.deals (deal_id, company_id, is_won) values (null, 'k', true)")

    run = quick_build(project, database)

    assert run.success, run.text()
    assert run.statuses["test.leadscore.assert_raw_rows_are_staged_or_reported"] == "pass"
    staged = Counter(
        (row["table_name"], row["column_name"], row["issue"])
        for row in read_table(database, "data_quality_issues")
        if row["detected_by"] == "staging"
    )
    assert staged == {
        ("contacts", "contact_id", "empty key"): 1,
        ("contacts", "created_at", "empty required value"): 1,
        ("events", "event_id", "empty key"): 1,
        ("events", "contact_id", "empty required value"): 1,
        ("companies", "company_id", "empty key"): 1,
        ("deals", "deal_id", "empty key"): 1,
    }


@pytest.mark.slow
def test_staging_that_drops_a_row_silently_fails_the_build(workspace) -> None:
    """The raw = staged + reported test catches a staging model losing a row."""
    project, database = workspace
    before = published(database)
    model = project / "models" / "staging" / "crm" / "stg_crm__companies.sql"
    text = model.read_text()
    assert "where {{ clean_text('company_id') }} is not null" in text
    model.write_text(
        text.replace(
            "where {{ clean_text('company_id') }} is not null",
            "where {{ clean_text('company_id') }} is not null and company_id != 'co00001'",
        )
    )

    run = quick_build(project, database)

    assert not run.success
    assert run.statuses["test.leadscore.assert_raw_rows_are_staged_or_reported"] == "fail"
    assert published(database) == before
