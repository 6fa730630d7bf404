"""Config seeds drive the scores: edits, invalid values and hostile text, end to end."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest
from conftest import build_args, read_table, run_dbt, score_build
from project_copy import append_rule


def rewrite_rules(project: Path, change) -> None:
    """Apply change(row) to every row of the project's scoring_rules seed."""
    path = project / "seeds" / "scoring_rules.csv"
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        fields = list(reader.fieldnames or [])
        rows = [change(dict(row)) for row in reader]
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(row for row in rows if row is not None)


def sorted_rows(database: Path, table: str) -> list[tuple]:
    return sorted((tuple(row.values()) for row in read_table(database, table)), key=str)


@pytest.mark.slow
def test_invalid_config_fails_naming_the_rule_and_keeps_published_scores(workspace) -> None:
    project, database = workspace
    before = sorted_rows(database, "lead_scores")

    def break_rule(row: dict) -> dict:
        if row["model_id"] == "platform" and row["rule_id"] == "pricing_page_visit":
            row.update(operator="containz", group_id="webzite", decay="exponential", decay_days="")
        return row

    rewrite_rules(project, break_rule)
    run = score_build(project, database)
    assert not run.success
    text = run.text()
    assert "rule 'pricing_page_visit'" in text
    assert "operator 'containz' is unknown" in text
    assert "group 'webzite' is not defined for model 'platform'" in text
    assert "decay exponential needs decay_days > 0" in text
    assert run.statuses.get("lead_scores") == "skipped"
    assert sorted_rows(database, "lead_scores") == before


def test_reweighting_a_rule_is_a_seed_edit(workspace) -> None:
    project, database = workspace
    old = {
        (r["model_id"], r["contact_id"]): r["points"]
        for r in read_table(database, "lead_score_contributions")
        if r["rule_id"] == "pricing_page_visit" and r["model_id"] == "platform"
    }
    assert old, "no pricing-page visits in the sample: the check is vacuous"

    def reweight(row: dict) -> dict:
        if row["model_id"] == "platform" and row["rule_id"] == "pricing_page_visit":
            row["points"] = "7"
        return row

    rewrite_rules(project, reweight)
    run = score_build(project, database)
    assert run.success, run.text()
    new = {
        (r["model_id"], r["contact_id"]): r["points"]
        for r in read_table(database, "lead_score_contributions")
        if r["rule_id"] == "pricing_page_visit" and r["model_id"] == "platform"
    }
    assert new.keys() == old.keys()
    for key, points in old.items():
        assert new[key] == pytest.approx(points * 0.7)


@pytest.mark.slow
def test_hostile_text_in_seeds_and_data_is_data(workspace) -> None:
    project, database = workspace
    hostile_title = "O'Brien {{ 7 * 7 }} .* '; drop table raw.contacts; --"
    with duckdb.connect(str(database)) as con:
        con.execute(
            "update raw.contacts set job_title = ? where contact_id = "
            "(select min(contact_id) from raw.contacts)",
            [hostile_title],
        )
        target = con.execute("select min(contact_id) from raw.contacts").fetchone()[0]
        contacts_before = con.execute("select count(*) from raw.contacts").fetchone()[0]
    append_rule(
        project,
        model_id="platform",
        rule_id="hostile_text",
        group_id="person_fit",
        description="Hostile text must be matched literally.",
        rule_type="attribute",
        field="contact.job_title",
        operator="contains",
        value="{{ 7 * 7 }} .* '; drop table raw.contacts; --",
        points="1",
    )
    append_rule(
        project,
        model_id="platform",
        rule_id="regex_metacharacters",
        group_id="person_fit",
        description="A regex pattern must not match as a pattern.",
        rule_type="attribute",
        field="contact.job_title",
        operator="contains",
        value="^.*$|[a-z]+",
        points="1",
    )
    run = score_build(project, database)
    assert run.success, run.text()
    with duckdb.connect(str(database), read_only=True) as con:
        assert con.execute("select count(*) from raw.contacts").fetchone()[0] == contacts_before
    hits = {
        (r["rule_id"], r["contact_id"])
        for r in read_table(database, "lead_score_contributions")
        if r["rule_id"] in ("hostile_text", "regex_metacharacters")
    }
    platform_leads = {
        r["contact_id"] for r in read_table(database, "lead_scores") if r["model_id"] == "platform"
    }
    expected = {("hostile_text", target)} if target in platform_leads else set()
    assert hits == expected


@pytest.mark.slow
def test_two_builds_give_identical_marts(workspace) -> None:
    project, database = workspace
    first = {
        t: sorted_rows(database, t)
        for t in ("lead_scores", "account_scores", "lead_score_contributions")
    }
    # The workspace's build again (its vars: the default grids), without unit tests.
    run = run_dbt(
        project, database, ["build", "--exclude-resource-type", "unit_test", *build_args()[1:]]
    )
    assert run.success, run.text()
    for table, rows in first.items():
        assert sorted_rows(database, table) == rows, table


@pytest.mark.parametrize(
    ("as_of", "literal"),
    [
        ("2026-06-30T20:00:00+02:00", "2026-06-30 18:00:00.000000"),
        pytest.param(
            "2026-06-30T18:00:00.25Z", "2026-06-30 18:00:00.250000", marks=pytest.mark.slow
        ),
        pytest.param("2026-06-30", "2026-06-30 00:00:00.000000", marks=pytest.mark.slow),
    ],
)
def test_as_of_is_parsed_and_converted_to_utc(workspace, as_of: str, literal: str) -> None:
    project, database = workspace
    run = run_dbt(
        project,
        database,
        ["compile", "--select", "int_score_times", "--vars", f"as_of: '{as_of}'"],
    )
    assert run.success, run.text()
    compiled = next((project / "target" / "compiled").rglob("int_score_times.sql")).read_text()
    # T is the current score time: its literal comes first in the row marked is_current.
    current_row = next(part for part in compiled.split("union all") if "true as is_current" in part)
    assert f"cast('{literal}' as timestamp)" in current_row


def test_invalid_as_of_is_a_clear_error(workspace) -> None:
    project, database = workspace
    run = run_dbt(
        project,
        database,
        ["compile", "--select", "int_score_times", "--vars", "as_of: 'last tuesday'"],
    )
    assert not run.success
    assert "var 'as_of' = 'last tuesday' is not an ISO-8601 timestamp" in run.text()
