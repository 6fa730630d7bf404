"""Bad configuration fails the build before any mart is replaced (README, "Validation").

One build with an invalid value of every kind in the four config seeds must
fail, report each problem naming its file, model and rule, group or tier and
the fix, build no scoring model and publish nothing. A seed whose header
lost, misspelt or reordered a column is caught (or, reordered, harmless):
dbt would otherwise load a reused seed table by column position.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from conftest import quick_build
from test_reliability_publication import published

# (seed, row as {column: value}) appended to the default config, and the
# message each must produce (file, model, item and problem with its fix).
BAD_ROWS: list[tuple[str, dict[str, str]]] = [
    ("scoring_models", {"model_id": "platform", "scope": "contact", "qualified_threshold": "80"}),
    ("scoring_models", {"model_id": "odd_scope", "scope": "person", "qualified_threshold": "x"}),
    ("scoring_models", {"model_id": "no_threshold", "scope": "contact", "max_score": "-1"}),
    ("scoring_groups", {"model_id": "platform", "group_id": "bad_cap", "dimension": "fit",
                        "max_points": "0"}),
    ("scoring_groups", {"model_id": "platform", "group_id": "bad_dim", "dimension": "fitness",
                        "max_points": "10"}),
    ("scoring_groups", {"model_id": "ghost_model", "group_id": "g", "dimension": "fit",
                        "max_points": "10"}),
    ("score_tiers", {"model_id": "platform", "dimension": "score", "tier": "top",
                     "min_score": "lots"}),
    ("score_tiers", {"model_id": "platform", "dimension": "vibe", "tier": "x", "min_score": "1"}),
    ("scoring_rules", {"model_id": "platform", "rule_id": "r_type", "group_id": "website",
                       "description": "d", "rule_type": "sometimes", "points": "1"}),
    ("scoring_rules", {"model_id": "platform", "rule_id": "r_op", "group_id": "website",
                       "description": "d", "rule_type": "attribute", "field": "contact.country",
                       "operator": "containz", "value": "US", "points": "1"}),
    ("scoring_rules", {"model_id": "platform", "rule_id": "r_group", "group_id": "webzite",
                       "description": "d", "rule_type": "event", "event_type": "page_view",
                       "points": "1"}),
    ("scoring_rules", {"model_id": "platform", "rule_id": "r_points", "group_id": "website",
                       "description": "d", "rule_type": "event", "event_type": "page_view",
                       "points": "ten"}),
    ("scoring_rules", {"model_id": "platform", "rule_id": "r_decay", "group_id": "website",
                       "description": "d", "rule_type": "event", "event_type": "page_view",
                       "points": "1", "decay": "exponential", "decay_factor": "0.5"}),
    ("scoring_rules", {"model_id": "platform", "rule_id": "r_decay_kind", "group_id": "website",
                       "description": "d", "rule_type": "event", "event_type": "page_view",
                       "points": "1", "decay": "linear"}),
    ("scoring_rules", {"model_id": "platform", "rule_id": "r_freq", "group_id": "website",
                       "description": "d", "rule_type": "frequency", "event_type": "page_view",
                       "points": "1", "within_days": "5"}),
    ("scoring_rules", {"model_id": "platform", "rule_id": "r_idle", "group_id": "website",
                       "description": "d", "rule_type": "inactivity", "points": "-5"}),
    ("scoring_rules", {"model_id": "platform", "rule_id": "r_between", "group_id": "company_fit",
                       "description": "d", "rule_type": "attribute",
                       "field": "company.employee_count", "operator": "between",
                       "value": "5000|200", "points": "1"}),
    ("scoring_rules", {"model_id": "platform", "rule_id": "r_field", "group_id": "company_fit",
                       "description": "d", "rule_type": "attribute", "field": "employee_count",
                       "operator": "gt", "value": "5", "points": "1"}),
    ("scoring_rules", {"model_id": "platform", "rule_id": "r_count", "group_id": "website",
                       "description": "d", "rule_type": "event", "event_type": "page_view",
                       "points": "1", "max_count": "1.5"}),
    ("scoring_rules", {"model_id": "platform", "rule_id": "target_industry",
                       "group_id": "company_fit", "description": "d", "rule_type": "attribute",
                       "field": "company.industry", "operator": "equals", "value": "x",
                       "points": "1"}),
]  # fmt: skip
EXPECTED_MESSAGES = [
    "scoring_models.csv, model 'platform', model 'platform': model_id appears 2 times; "
    "model ids must be unique",
    "model 'odd_scope', model 'odd_scope': scope 'person' is unknown; use contact or company",
    "model 'odd_scope', model 'odd_scope': qualified_threshold 'x' is not a number",
    "model 'no_threshold', model 'no_threshold': max_score '-1' must be a positive number",
    "model 'no_threshold', model 'no_threshold': qualified_threshold is empty; set the score",
    "scoring_groups.csv, model 'platform', group 'bad_cap': max_points '0' must be a number > 0",
    "group 'bad_dim': dimension 'fitness' is unknown; use fit or engagement",
    "model 'ghost_model', group 'g': model 'ghost_model' is not defined in scoring_models",
    "score_tiers.csv, model 'platform', tier 'score/top': min_score 'lots' is not a number",
    "tier 'vibe/x': dimension 'vibe' is unknown; use score, fit or engagement",
    "rule 'r_type': rule_type 'sometimes' is unknown; use attribute, event, frequency, "
    "inactivity or reset",
    "rule 'r_op': operator 'containz' is unknown; use one of equals",
    "rule 'r_group': group 'webzite' is not defined for model 'platform' in scoring_groups",
    "rule 'r_points': points 'ten' is not a number",
    "rule 'r_decay': decay exponential needs decay_days > 0",
    "rule 'r_decay_kind': decay 'linear' is unknown; use none, exponential or step",
    "rule 'r_freq': frequency rules need min_events, a whole number >= 1",
    "rule 'r_idle': inactivity rules need within_days > 0",
    "rule 'r_between': between bounds are reversed: '5000|200' has lo > hi",
    "rule 'r_field': field 'employee_count' is unknown; attribute fields are "
    "contact.<column> or company.<column>",
    "rule 'r_count': max_count '1.5' must be a whole number >= 1",
    "rule 'target_industry': rule_id appears 2 times in this model; rule ids must be unique",
]


def append_rows(project: Path, seed: str, rows: list[dict[str, str]]) -> None:
    path = project / "seeds" / f"{seed}.csv"
    with path.open(newline="") as handle:
        fields = next(csv.reader(handle))
    with path.open("a", newline="") as handle:
        # The seed's own line ending: DuckDB's seed loader cannot sniff mixed ones.
        csv.DictWriter(handle, fieldnames=fields, lineterminator="\n").writerows(rows)


def rewrite_header(project: Path, seed: str, change) -> None:
    """Rewrite a seed with its columns renamed or reordered by change(fields) -> fields."""
    path = project / "seeds" / f"{seed}.csv"
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
        fields = list(rows[0].keys())
    new_fields = change(fields)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(new_fields)
        for row in rows:
            values = dict(row)
            for old, new in zip(fields, new_fields, strict=False):
                if old != new and new not in fields:
                    values[new] = values.pop(old)
            writer.writerow([values.get(name, "") for name in new_fields])


def test_every_kind_of_invalid_seed_value_is_named_and_nothing_is_replaced(workspace) -> None:
    project, database = workspace
    before = published(database)
    for seed, row in BAD_ROWS:
        append_rows(project, seed, [row])

    run = quick_build(project, database)

    assert not run.success
    text = run.text()
    assert "Invalid scoring configuration." in text
    missing = [message for message in EXPECTED_MESSAGES if message not in text]
    assert not missing, "not reported:\n" + "\n".join(missing)
    scoring = ("int_event_rule_matches", "int_rule_points", "int_entity_scores", "lead_scores",
               "account_scores", "lead_score_contributions")  # fmt: skip
    assert {name: run.statuses.get(name) for name in scoring} == dict.fromkeys(scoring, "skipped")
    assert "published marts left unchanged" in text
    assert published(database) == before


@pytest.mark.parametrize(
    ("seed", "change", "message"),
    [
        (
            "scoring_rules",
            lambda fields: [("decay_kind" if f == "decay" else f) for f in fields],
            "seeds/scoring_rules.csv: missing column(s) decay; unknown column(s) decay_kind "
            "(misspelt?). Its header must name exactly these columns",
        ),
        (
            "scoring_groups",
            lambda fields: [f for f in fields if f != "max_points"],
            "seeds/scoring_groups.csv: missing column(s) max_points.",
        ),
    ],
)
@pytest.mark.slow
def test_a_seed_header_with_a_missing_or_unknown_column_fails_naming_it(
    workspace, seed: str, change, message: str
) -> None:
    project, database = workspace
    before = published(database)
    rewrite_header(project, seed, change)

    run = quick_build(project, database)

    assert not run.success
    assert message in run.text()
    assert published(database) == before


@pytest.mark.slow
def test_reordered_seed_columns_score_the_same(workspace) -> None:
    """A reused seed table is recreated from the CSV's header: columns are matched by name."""
    project, database = workspace
    assert quick_build(project, database).success
    before = published(database)
    rewrite_header(project, "scoring_rules", lambda fields: list(reversed(fields)))
    rewrite_header(project, "scoring_groups", lambda fields: list(reversed(fields)))

    run = quick_build(project, database)

    assert run.success, run.text()
    after = published(database)
    for name in ("lead_scores", "account_scores", "lead_score_contributions"):
        assert after[name] == before[name], name
