"""Atomic publication (README, "Publication"): BI never sees a half-built score table.

The marts are built and tested in `main_build`; `dbt build` copies them to
`main`, which BI reads, in one transaction and only when every node of the
build passed and every mart was built. Each test changes the scores (a rule
is re-weighted) and then makes the build fail in a different way: the
published tables must stay exactly as they were, while the build schema shows
that the new scores were computed.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from compare_engines import MARTS as SPEC_MARTS
from compare_engines import REPORTS
from conftest import (
    E2E_AS_OF,
    BuiltProject,
    quick_build,
    run_dbt,
)
from test_config_end_to_end import rewrite_rules

AS_OF = E2E_AS_OF.strftime("%Y-%m-%dT%H:%M:%SZ")
# Every published mart: the spec's (as compared between engines), the data quality
# report and the report marts.
MARTS = (*SPEC_MARTS, "data_quality_issues", *REPORTS)


def mart_rows(database: Path, schema: str) -> dict[str, list[tuple]]:
    """The rows of every mart in `schema` (table or view), sorted."""
    with duckdb.connect(str(database), read_only=True) as con:
        return {
            name: sorted(con.execute(f"select * from {schema}.{name}").fetchall(), key=repr)
            for name in MARTS
        }


def published(database: Path) -> dict[str, list[tuple]]:
    return mart_rows(database, "main")


def built(database: Path) -> dict[str, list[tuple]]:
    return mart_rows(database, "main_build")


def reweight_pricing_visits(project: Path) -> None:
    """A config change that moves scores and contributions."""

    def change(row: dict) -> dict:
        if row["model_id"] == "platform" and row["rule_id"] == "pricing_page_visit":
            row["points"] = "7"
        return row

    rewrite_rules(project, change)


def add_failing_test(project: Path) -> None:
    """A singular data test on lead_scores that always fails (it runs after the mart is built)."""
    (project / "tests" / "dbt" / "assert_lead_scores_fail_on_purpose.sql").write_text(
        "select * from {{ ref('lead_scores') }} where score >= 0\n"
    )


def assert_unchanged_but_rebuilt(database: Path, before: dict, built_before: dict) -> None:
    assert published(database) == before, "a published mart changed although the build failed"
    after = built(database)
    assert after["lead_score_contributions"] != built_before["lead_score_contributions"], (
        "the build schema did not change: the scenario did not rebuild the marts"
    )


def test_a_passing_build_publishes_every_mart_as_built(default_build: BuiltProject) -> None:
    assert default_build.run.success, default_build.run.text()
    assert f"leadscore: publishing {len(MARTS)} marts to main" in default_build.run.text()
    public, own = published(default_build.database), built(default_build.database)
    for name in MARTS:
        # The generated sample is clean: only its data_quality_issues may be empty.
        assert public[name] or name == "data_quality_issues", f"{name} is empty: vacuous"
        assert public[name] == own[name], name
    with duckdb.connect(str(default_build.database), read_only=True) as con:
        for name in MARTS:
            described = [
                con.execute(f"describe {schema}.{name}").fetchall()
                for schema in ("main", "main_build")
            ]
            assert described[0] == described[1], f"{name}: published columns or types differ"


@pytest.mark.slow
def test_a_failing_data_test_keeps_the_published_marts(workspace) -> None:
    project, database = workspace
    before, built_before = published(database), built(database)
    reweight_pricing_visits(project)
    add_failing_test(project)

    run = quick_build(project, database)

    assert not run.success
    assert "published marts left unchanged: 1 node(s) did not pass" in run.text()
    assert "skipped after it" in run.text(), "the nodes skipped because of the failure are counted"
    assert "assert_lead_scores_fail_on_purpose (fail)" in run.text()
    assert_unchanged_but_rebuilt(database, before, built_before)

    # Once the failure is fixed, the next build publishes what it built.
    (project / "tests" / "dbt" / "assert_lead_scores_fail_on_purpose.sql").unlink()
    run = quick_build(project, database)
    assert run.success, run.text()
    assert published(database) == built(database) != before


@pytest.mark.slow
def test_a_failing_model_keeps_the_published_marts(workspace) -> None:
    project, database = workspace
    before, built_before = published(database), built(database)
    reweight_pricing_visits(project)
    (project / "models" / "intermediate" / "int_broken_on_purpose.sql").write_text(
        "select no_such_column from {{ ref('lead_scores') }}\n"
    )

    run = quick_build(project, database)

    assert not run.success
    assert run.statuses.get("int_broken_on_purpose") == "error"
    assert "int_broken_on_purpose (error)" in run.text()
    assert_unchanged_but_rebuilt(database, before, built_before)


@pytest.mark.slow
def test_a_partial_build_does_not_publish(workspace) -> None:
    """A build of some marts (here lead_scores alone) leaves every published mart as it was.

    The published lead_scores is tampered with first, so a re-publication would show.
    """
    project, database = workspace
    with duckdb.connect(str(database)) as con:
        con.execute("delete from main.lead_scores where model_id = 'platform'")
    before = published(database)

    run = run_dbt(
        project, database, ["build", "--select", "lead_scores", "--vars", f"{{as_of: '{AS_OF}'}}"]
    )

    assert run.success, run.text()
    assert run.statuses.get("lead_scores") == "success"
    assert "this build did not build every mart (not selected: account_scores" in run.text()
    assert published(database) == before


@pytest.mark.slow
def test_dbt_run_does_not_publish(workspace) -> None:
    project, database = workspace
    before, built_before = published(database), built(database)
    reweight_pricing_visits(project)

    run = run_dbt(project, database, ["seed"])
    assert run.success, run.text()
    run = run_dbt(project, database, ["run", "--vars", f"{{as_of: '{AS_OF}'}}"])

    assert run.success, run.text()
    assert "only `dbt build` publishes (this was `dbt run`)" in run.text()
    assert_unchanged_but_rebuilt(database, before, built_before)


@pytest.mark.slow
def test_publication_can_be_turned_off(workspace) -> None:
    project, database = workspace
    before, built_before = published(database), built(database)
    reweight_pricing_visits(project)

    run = quick_build(project, database, variables={"publish": False})

    assert run.success, run.text()
    assert "publication is off" in run.text()
    assert_unchanged_but_rebuilt(database, before, built_before)


def test_a_failed_publication_is_rolled_back_entirely(workspace) -> None:
    """The last mart cannot be replaced: the ones copied before it are rolled back."""
    project, database = workspace
    with duckdb.connect(str(database)) as con:
        con.execute("drop table main.lead_scores")
        con.execute("create view main.lead_scores as select 'not a table' as blocker")
    before = published(database)  # the view stands in for the table
    built_before = built(database)
    reweight_pricing_visits(project)

    run = quick_build(project, database)

    assert not run.success
    assert "on-run-end" in run.text() and "lead_scores" in run.text()
    assert published(database) == before
    assert built(database)["lead_score_contributions"] != built_before["lead_score_contributions"]
