"""scripts/explain.py on the default build: every explanation re-adds to its score.

The decay arithmetic it prints is recomputed here from the event's timestamp
and the score time; a tampered rule total is reported as a mismatch.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import explain
import pytest
from conftest import E2E_AS_OF, BuiltProject, read_table

DECAYED = re.compile(
    r"^ {6}(?P<event>\S+) .*, (?P<age>[\d.]+) days old: (?P<points>-?[\d.]+) x "
    r"(?P<factor>[\d.]+)\^(?P<floor>floor)?\((?P<age2>[\d.]+)/(?P<days>[\d.]+)\) = .* = "
    r"(?P<result>-?[\d.]+)$"
)


def explained(database: Path, contact: str, model: str) -> tuple[list[str], bool]:
    return explain.explain(database, explain.Target("contact", contact), model)


def test_every_qualified_and_a_sample_of_leads_re_add(default_build: BuiltProject) -> None:
    scores = read_table(default_build.database, "lead_scores")
    chosen = [row for row in scores if row["is_qualified"]] + scores[::25]
    assert len(chosen) > 20
    for row in chosen:
        lines, consistent = explained(default_build.database, row["contact_id"], row["model_id"])
        assert consistent, "\n".join(lines)
        assert not any("!" in line for line in lines), "\n".join(lines)
        assert lines[1].startswith(f"score {explain.number(row['score'])} of ")


def test_the_printed_decay_arithmetic_is_right(default_build: BuiltProject) -> None:
    database = default_build.database
    with duckdb.connect(str(database), read_only=True) as con:
        occurred = dict(
            con.execute("select event_id, occurred_at from main.stg_crm__events").fetchall()
        )
    checked = 0
    for row in read_table(database, "lead_scores"):
        if checked >= 40:
            break
        for line in explained(database, row["contact_id"], row["model_id"])[0]:
            match = DECAYED.match(line)
            if not match:
                continue
            age = (E2E_AS_OF - occurred[match["event"]]).total_seconds() / 86400
            assert abs(age - float(match["age"])) < 0.01, line
            periods = age / float(match["days"])
            exponent = int(periods) if match["floor"] else periods
            expected = float(match["points"]) * float(match["factor"]) ** exponent
            assert abs(expected - float(match["result"])) < 0.006, line
            checked += 1
    assert checked >= 10, "too few decayed hits printed: the check would be vacuous"


def test_a_total_that_does_not_re_add_is_reported(
    default_build: BuiltProject, tmp_path: Path, capsys
) -> None:
    database = tmp_path / "leadscore.duckdb"
    shutil.copy2(default_build.database, database)
    # The first qualified lead by contact_id (not storage order), and a rule of a group
    # below its cap: +7 there must change the group's points, so it cannot re-add.
    leads = sorted(read_table(database, "lead_scores"), key=lambda r: r["contact_id"])
    qualified = next(r for r in leads if r["is_qualified"])
    with duckdb.connect(str(database)) as con:
        changed = con.execute(
            "update main.int_rule_points set points = points + 7 where model_id = ? "
            "and entity_id = ? and scored_at = ? "
            "and rule_id = (select min(r.rule_id) from main.int_rule_points as r "
            "inner join main.int_group_points as g "
            "using (scored_at, model_id, entity_id, group_id) "
            "where r.model_id = ? and r.entity_id = ? and r.scored_at = ? "
            "and (g.max_points is null or g.uncapped_points < g.max_points)) returning rule_id",
            [qualified["model_id"], qualified["contact_id"], E2E_AS_OF] * 2,
        ).fetchall()
    assert changed, "nothing was tampered with"
    status = explain.main(["--contact", qualified["contact_id"], "--model",
                           qualified["model_id"], "--database", str(database)])  # fmt: skip
    printed = capsys.readouterr().out
    assert status == 1
    assert "does NOT re-add" in printed


def test_bad_requests_say_what_to_do(default_build: BuiltProject, tmp_path: Path) -> None:
    database = default_build.database
    with pytest.raises(explain.ExplainError, match="'nobody' has no score"):
        explained(database, "nobody", "platform")
    both = {
        r["contact_id"] for r in read_table(database, "lead_scores") if r["model_id"] == "platform"
    }
    other = {
        r["contact_id"] for r in read_table(database, "lead_scores") if r["model_id"] != "platform"
    }
    contact = sorted(both & other)[0]
    with pytest.raises(explain.ExplainError, match="choose one with --model"):
        explain.explain(database, explain.Target("contact", contact))
    with pytest.raises(explain.ExplainError, match="is not scored by model 'ghost'"):
        explained(database, contact, "ghost")
    with pytest.raises(explain.ExplainError, match="not found: run `make demo`"):
        explained(tmp_path / "missing.duckdb", contact, "platform")


def test_a_company_is_explained(default_build: BuiltProject) -> None:
    account = read_table(default_build.database, "account_scores")[0]
    lines, consistent = explain.explain(
        default_build.database,
        explain.Target("company", account["company_id"]),
        account["model_id"],
    )
    assert consistent, "\n".join(lines)
    assert lines[0].startswith(f"company {account['company_id']}")
