"""The report marts (README, "Reports"), end to end on the default build.

Each report is recomputed here in Python from the tables it summarises
(lead_scores, account_scores, lead_score_rule_hits, the contributions, the
staged contacts and deals, the seeds) and must agree row for row.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict

import pytest
from conftest import BuiltProject, read_table

TOLERANCE = 1e-9


def close(left: float | None, right: float | None) -> bool:
    if left is None or right is None:
        return left is right
    return math.isclose(left, right, rel_tol=TOLERANCE, abs_tol=TOLERANCE)


@pytest.fixture(scope="module")
def tables(default_build: BuiltProject) -> dict[str, list[dict]]:
    names = (
        "lead_scores", "account_scores", "lead_score_rule_hits", "lead_score_contributions",
        "tier_distribution", "scores_by_lifecycle_stage", "scores_by_deal_stage",
        "qualified_leads_by_owner", "rule_hit_rates",
    )  # fmt: skip
    found = {name: read_table(default_build.database, name) for name in names}
    for name in ("stg_crm__contacts", "stg_crm__deals", "stg_config__scoring_models",
                 "stg_config__scoring_rules", "stg_config__score_tiers"):  # fmt: skip
        found[name] = read_table(default_build.database, name, schema="main")
    for name, rows in found.items():
        assert rows, f"{name} is empty: the comparison would be vacuous"
    return found


def scores(tables: dict) -> list[dict]:
    return [{**row, "entity_id": row["contact_id"]} for row in tables["lead_scores"]] + [
        {**row, "entity_id": row["company_id"]} for row in tables["account_scores"]
    ]


def test_tier_distribution_counts_every_entity_in_its_tier(tables) -> None:
    counted = Counter()
    models = Counter(row["model_id"] for row in scores(tables))
    for row in scores(tables):
        for dimension, tier in (("score", "tier"), ("fit", "fit_tier"),
                                ("engagement", "engagement_tier")):  # fmt: skip
            counted[(row["model_id"], dimension, row[tier])] += 1
    configured = {
        (t["model_id"], t["dimension"], t["tier"]) for t in tables["stg_config__score_tiers"]
    }
    reported = {(r["model_id"], r["dimension"], r["tier"]): r for r in tables["tier_distribution"]}
    tiered = {(model, dimension) for model, dimension, _ in configured}
    expected = {key for key in counted if key[:2] in tiered} | configured
    assert set(reported) == expected
    for key, row in reported.items():
        assert row["entities"] == counted.get(key, 0), key
        assert close(row["share_of_entities"], counted.get(key, 0) / models[key[0]]), key


def test_lifecycle_stages_hold_every_lead(tables) -> None:
    stage = {row["contact_id"]: row["lifecycle_stage"] for row in tables["stg_crm__contacts"]}
    expected = defaultdict(list)
    for row in tables["lead_scores"]:
        expected[(row["model_id"], stage[row["contact_id"]])].append(row)
    reported = {
        (r["model_id"], r["lifecycle_stage"]): r for r in tables["scores_by_lifecycle_stage"]
    }
    assert set(reported) == set(expected)
    for key, rows in expected.items():
        assert reported[key]["leads"] == len(rows)
        assert reported[key]["qualified_leads"] == sum(r["is_qualified"] for r in rows)
        assert close(reported[key]["average_score"], sum(r["score"] for r in rows) / len(rows))


def test_deal_stages_take_the_score_of_the_contact_or_company(tables) -> None:
    by_entity = {(row["model_id"], row["entity_id"]): row for row in scores(tables)}
    scopes = {row["model_id"]: row["scope"] for row in tables["stg_config__scoring_models"]}
    for report in tables["scores_by_deal_stage"]:
        model = report["model_id"]
        key = "contact_id" if scopes[model] == "contact" else "company_id"
        deals = [d for d in tables["stg_crm__deals"] if d["stage"] == report["deal_stage"]]
        scored = [by_entity[(model, d[key])] for d in deals if (model, d[key]) in by_entity]
        assert report["deals"] == len(deals)
        assert report["scored_deals"] == len(scored)
        assert report["qualified_deals"] == sum(s["is_qualified"] for s in scored)
        mean = sum(s["score"] for s in scored) / len(scored) if scored else None
        assert close(report["average_score"], mean)


def test_sales_lists_rank_every_qualified_lead_with_its_top_reasons(tables) -> None:
    qualified = [row for row in tables["lead_scores"] if row["is_qualified"]]
    listed = {(r["model_id"], r["contact_id"]): r for r in tables["qualified_leads_by_owner"]}
    assert set(listed) == {(row["model_id"], row["contact_id"]) for row in qualified}
    per_owner = defaultdict(list)
    for row in qualified:
        per_owner[(row["model_id"], row["owner_id"])].append(row)
    for rows in per_owner.values():
        ranked = sorted(rows, key=lambda r: (-r["score"], r["contact_id"]))
        for rank, row in enumerate(ranked, start=1):
            assert listed[(row["model_id"], row["contact_id"])]["owner_rank"] == rank
    contributions = defaultdict(list)
    for row in tables["lead_score_contributions"]:
        if row["contact_id"] is not None and row["points"] > 0:
            contributions[(row["model_id"], row["contact_id"])].append(row)
    for key, row in listed.items():
        top = sorted(contributions[key], key=lambda r: (-r["points"], r["rule_id"]))[:3]
        top += [None] * (3 - len(top))
        for position, reason in enumerate(top, start=1):
            assert row[f"reason_{position}_rule_id"] == (reason and reason["rule_id"]), key
            assert close(row[f"reason_{position}_points"], reason and reason["points"]), key


def test_rule_hit_rates_add_up_the_rule_hits(tables) -> None:
    hit_entities, hits, points = defaultdict(set), Counter(), defaultdict(float)
    for row in tables["lead_score_rule_hits"]:
        key = (row["model_id"], row["rule_id"])
        hit_entities[key].add(row["contact_id"] or row["company_id"])
        hits[key] += row["hits"]
        points[key] += row["points"]
    entities = Counter(row["model_id"] for row in scores(tables))
    reported = {(r["model_id"], r["rule_id"]): r for r in tables["rule_hit_rates"]}
    rules = {(r["model_id"], r["rule_id"]) for r in tables["stg_config__scoring_rules"]}
    assert set(reported) == rules, "every configured rule, fired or not"
    for key, row in reported.items():
        assert row["entities_hit"] == len(hit_entities.get(key, ()))
        assert row["hits"] == hits.get(key, 0)
        assert close(row["total_points"], points.get(key, 0.0))
        assert row["scored_entities"] == entities[key[0]]
    for model in {key[0] for key in rules}:
        shares = [r["share_of_points"] for k, r in reported.items() if k[0] == model]
        assert close(sum(shares), 1.0), model
