"""Hand-computed cases proving the reference scorer (the test oracle) itself.

Every test builds a tiny raw data set and configuration, works out the expected
numbers by hand (the arithmetic is written out in the test) and compares.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from random_cases import (
    config_problems,
    random_case,
    write_config_dir,
    write_raw_dir,
)
from reference_scorer import (
    ACCOUNT_SCORE_COLUMNS,
    COMPANY_COLUMNS,
    CONFIG_COLUMNS,
    CONTACT_COLUMNS,
    CONTRIBUTION_COLUMNS,
    LEAD_SCORE_COLUMNS,
    RAW_TABLES,
    read_config_dir,
    read_free_email_domains,
    read_raw_from_duckdb,
    score,
)

REPO = Path(__file__).resolve().parents[2]
T = datetime(2025, 3, 1, 12, 0, 0)
DAY = timedelta(days=1)
US = timedelta(microseconds=1)
FREE = {"gmail.com", "yahoo.com"}


# --------------------------------------------------------------------------- builders
def contact(contact_id: str = "c1", **fields: Any) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(CONTACT_COLUMNS)
    row.update(contact_id=contact_id, email=f"{contact_id}@acme.io", created_at=T - 400 * DAY)
    row.update(fields)
    return row


def company(company_id: str = "k1", **fields: Any) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(COMPANY_COLUMNS)
    row.update(company_id=company_id, **fields)
    return row


def event(
    event_id: str,
    event_type: str,
    age: timedelta,
    contact_id: str = "c1",
    url: str | None = None,
    detail: str | None = None,
) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "contact_id": contact_id,
        "event_type": event_type,
        "occurred_at": T - age,
        "url": url,
        "detail": detail,
    }


def make_raw(
    contacts: list[dict] | None = None,
    companies: list[dict] | None = None,
    events: list[dict] | None = None,
    lists: Sequence[tuple[str, str] | tuple[str, str, datetime | None]] = (),
    contact_props: Sequence[tuple[str, str, str | None]] = (),
    company_props: Sequence[tuple[str, str, str | None]] = (),
) -> dict[str, list[dict]]:
    return {
        "contacts": contacts if contacts is not None else [contact()],
        "companies": companies or [],
        "events": events or [],
        "deals": [],
        "list_memberships": [
            {"list_name": item[0], "contact_id": item[1], "added_at": (*item, None)[2]}
            for item in lists
        ],
        "contact_properties": [
            {"contact_id": c, "property": p, "value": v} for c, p, v in contact_props
        ],
        "company_properties": [
            {"company_id": c, "property": p, "value": v} for c, p, v in company_props
        ],
    }


def model(
    model_id: str = "m",
    scope: str = "contact",
    max_score: str | None = "100",
    threshold: str = "50",
    include: str | None = None,
    exclude: str | None = None,
) -> dict[str, str | None]:
    return {
        "model_id": model_id,
        "description": None,
        "scope": scope,
        "max_score": max_score,
        "qualified_threshold": threshold,
        "include_list": include,
        "exclude_list": exclude,
    }


def group(
    group_id: str = "g", dimension: str = "engagement", max_points: str = "1000", model_id="m"
) -> dict[str, str | None]:
    return {
        "model_id": model_id,
        "group_id": group_id,
        "dimension": dimension,
        "max_points": max_points,
    }


def rule(rule_id: str, rule_type: str, group_id: str | None = "g", **columns: str | None):
    row: dict[str, str | None] = dict.fromkeys(CONFIG_COLUMNS["scoring_rules"])
    row.update(model_id="m", rule_id=rule_id, group_id=group_id, rule_type=rule_type)
    row.update(columns)
    return row


def tier(dimension: str, name: str, min_score: str, model_id: str = "m") -> dict:
    return {"model_id": model_id, "dimension": dimension, "tier": name, "min_score": min_score}


def make_config(models=None, groups=None, rules=(), tiers=()) -> dict[str, list[dict]]:
    return {
        "scoring_models": models if models is not None else [model()],
        "scoring_groups": groups if groups is not None else [group()],
        "scoring_rules": list(rules),
        "score_tiers": list(tiers),
    }


def run(raw: dict, config: dict, as_of: datetime = T) -> dict[str, list[dict]]:
    return score(raw, config, FREE, as_of)


def lead(result: dict, contact_id: str = "c1", model_id: str = "m") -> dict:
    [row] = [
        r
        for r in result["lead_scores"]
        if r["contact_id"] == contact_id and r["model_id"] == model_id
    ]
    return row


def contribution(result: dict, rule_id: str, contact_id: str | None = "c1") -> dict | None:
    rows = [
        r
        for r in result["lead_score_contributions"]
        if r["rule_id"] == rule_id and r["contact_id"] == contact_id
    ]
    assert len(rows) <= 1
    return rows[0] if rows else None


def single_rule_score(raw: dict, one_rule: dict) -> float:
    return lead(run(raw, make_config(rules=[one_rule])))["score"]


# --------------------------------------------------------------------------- attributes
ATTRIBUTE_RAW = make_raw(
    contacts=[
        contact(
            "c1",
            email=" Ann@Acme.IO ",
            job_title=" VP of Sales ",
            country="de",
            phone="",
            lead_source=None,
            owner_id="O1",
            company_id=" k1 ",
            created_at=datetime(2024, 1, 15, 8, 30, 0),
        )
    ],
    companies=[
        company(
            "k1",
            name="Acme",
            industry="Financial Services ",
            employee_count=250,
            annual_revenue=1000000.0,
            country="US",
        )
    ],
    contact_props=[
        ("c1", "Score_Hint", " 1e6 "),
        ("c1", "nps", "nan"),
        ("c1", "tier_code", "1,000"),
        ("c1", "blank", "   "),
    ],
    company_props=[("k1", " Tech_Stack ", "Snowflake")],
)


@pytest.mark.parametrize(
    ("field", "operator", "value", "hit"),
    [
        # Text: trimmed, case-insensitive, `|` alternatives.
        ("contact.job_title", "equals", "vp of sales", True),
        ("contact.job_title", "equals", "vp", False),
        ("Contact.Job_Title ", "contains", "cto| VP ", True),
        ("contact.job_title", "not_contains", "cto|intern", True),
        ("contact.job_title", "not_contains", "cto|SALES", False),
        ("contact.job_title", "starts_with", "vp", True),
        ("contact.job_title", "starts_with", "sales", False),
        ("contact.job_title", "ends_with", "x|SALES", True),
        ("contact.job_title", "contains", "v*p", False),  # no wildcards
        ("contact.country", "in", "us|DE", True),
        ("contact.country", "not_in", "us|de", False),
        ("contact.country", "not_equals", "us", True),
        ("contact.owner_id", "equals", "o1", True),
        ("contact.email", "equals", "ann@acme.io", True),
        ("contact.email_domain", "equals", "acme.io", True),
        ("contact.is_free_email", "equals", "FALSE", True),
        ("contact.created_at", "equals", "2024-01-15 08:30:00", True),
        ("contact.company_id", "equals", "k1", True),
        ("company.industry", "in", "software|financial services", True),
        ("company.name", "not_equals", "acme", False),
        # Numbers rendered as text and compared as numbers.
        ("company.employee_count", "equals", "250.0", True),
        ("company.employee_count", "not_equals", "250.0", False),
        ("contact.score_hint", "not_in", "42|1000000", False),
        ("company.employee_count", "in", "12|2.5e2", True),
        ("company.employee_count", "between", "200|250", True),
        ("company.employee_count", "between", "251|5000", False),
        ("company.employee_count", "gt", "250", False),
        ("company.employee_count", "gte", "250", True),
        ("company.employee_count", "lt", "1e3", True),
        ("company.employee_count", "lte", "249.99", False),
        ("company.employee_count", "contains", "25", True),
        ("company.annual_revenue", "equals", "1000000", True),
        ("company.annual_revenue", "contains", ".0", False),  # rendered "1000000"
        ("company.annual_revenue", "ends_with", "000", True),
        # Custom properties (names trimmed and lowercased), numbers stored as text.
        ("contact.score_hint", "gte", "1000000", True),
        ("contact.score_hint", "equals", "1000000", True),
        ("contact.nps", "gt", "0", False),  # nan is not a number
        ("contact.nps", "lt", "0", False),
        ("contact.nps", "equals", "NaN", True),  # but it is text
        ("contact.tier_code", "gt", "1", False),  # 1,000 is not a number
        ("contact.tier_code", "contains", "1,", True),
        ("company.tech_stack", "equals", "snowflake", True),
        ("company.tech_stack", "between", "1|2", False),
        # Null and empty values match only is_not_set.
        ("contact.phone", "is_not_set", None, True),
        ("contact.phone", "is_set", None, False),
        ("contact.phone", "not_equals", "x", False),
        ("contact.phone", "not_in", "x", False),
        ("contact.phone", "not_contains", "x", False),
        ("contact.lead_source", "is_not_set", None, True),
        ("contact.lead_source", "lt", "1", False),
        ("contact.blank", "is_not_set", None, True),
        ("contact.no_such_property", "is_not_set", None, True),
        ("contact.no_such_property", "not_equals", "x", False),
        ("contact.job_title", "is_set", None, True),
        ("contact.job_title", "is_not_set", None, False),
    ],
)
def test_attribute_operators(field: str, operator: str, value: str | None, hit: bool) -> None:
    one = rule("a", "attribute", field=field, operator=operator, value=value, points="10")
    result = run(ATTRIBUTE_RAW, make_config(rules=[one]))
    expected = 10.0 if hit else 0.0
    assert lead(result)["score"] == expected
    row = contribution(result, "a")
    assert (row is not None) == hit
    if row:
        assert (row["hits"], row["points"]) == (1, 10.0)


@pytest.mark.parametrize(
    ("email", "domain", "free"),
    [
        (" Bob@GMail.com ", "gmail.com", "true"),
        ("bob@acme.io", "acme.io", "false"),
        ("a@b@gmail.com", None, None),  # several @: no domain
        ("bob@ Yahoo.com", "yahoo.com", "true"),
        ("bob", None, None),
        ("bob@", None, None),
        ("", None, None),
        (None, None, None),
    ],
)
def test_email_domain_and_free_email(email: str | None, domain: str | None, free: str | None):
    raw = make_raw(contacts=[contact("c1", email=email)])
    rules = [
        rule("free", "attribute", field="contact.is_free_email", operator="equals", value="true",
             points="1"),
        rule("business", "attribute", field="contact.is_free_email", operator="equals",
             value="false", points="10"),
        rule("unknown", "attribute", field="contact.is_free_email", operator="is_not_set",
             points="100"),
        rule("domain", "attribute", field="contact.email_domain", operator="equals",
             value=domain or "-", points="1000"),
    ]  # fmt: skip
    config = make_config(
        models=[model(max_score="10000")], groups=[group(max_points="1e4")], rules=rules
    )
    result = run(raw, config)
    expected = {"true": 1, "false": 10, None: 100}[free] + (1000 if domain else 0)
    assert lead(result)["score"] == expected
    assert (contribution(result, "domain") is not None) == (domain is not None)


# --------------------------------------------------------------------------- event rules
def test_event_rule_counts_each_matching_event_with_condition() -> None:
    raw = make_raw(
        events=[
            event("e1", "page_view", 1 * DAY, url="https://x.io/pricing"),
            event("e2", " Page_View ", 2 * DAY, url=" /Pricing?plan=pro"),
            event("e3", "page_view", 3 * DAY, url="/PRICING"),
            event("e4", "page_view", 4 * DAY, url="/blog"),
            event("e5", "page_view", 5 * DAY, url=None),
            event("e6", "email_open", 1 * DAY, url="/pricing"),
        ]
    )
    one = rule("pricing", "event", event_type=" Page_View", field="event.url",
               operator="contains", value="/pricing", points="10")  # fmt: skip
    result = run(raw, make_config(rules=[one]))
    # e1, e2, e3 match: 3 * 10.
    assert lead(result)["score"] == 30.0
    assert contribution(result, "pricing") == {
        "model_id": "m",
        "contact_id": "c1",
        "company_id": None,
        "group_id": "g",
        "rule_id": "pricing",
        "hits": 3,
        "points": 30.0,
    }


def test_event_condition_null_and_empty_values() -> None:
    raw = make_raw(
        events=[
            event("e1", "page_view", DAY, url="/pricing"),
            event("e2", "page_view", DAY, url=None),
            event("e3", "page_view", DAY, url="   "),
            event("e4", "page_view", DAY, url="/careers"),
        ]
    )
    rules = [
        rule("not_careers", "event", event_type="page_view", field="event.url",
             operator="not_contains", value="/careers", points="1"),
        rule("no_url", "event", event_type="page_view", field="event.url",
             operator="is_not_set", points="10"),
        rule("has_url", "event", event_type="page_view", field="event.url",
             operator="is_set", points="100"),
    ]  # fmt: skip
    result = run(raw, make_config(rules=rules))
    # not_careers: only e1 (null/empty urls never hit a not_ form) -> 1 hit * 1.
    # no_url: e2, e3 -> 2 hits * 10. has_url: e1, e4 -> 2 hits * 100 (capped later).
    assert contribution(result, "not_careers")["hits"] == 1
    assert contribution(result, "no_url")["points"] == 2 * 10.0
    assert contribution(result, "has_url")["points"] == 2 * 100.0
    assert lead(result)["score"] == 100.0  # clamp(1 + 20 + 200, 0, 100)


def test_step_decay_on_and_just_past_boundaries() -> None:
    raw = make_raw(
        events=[
            event("e1", "webinar_attend", 30 * DAY - US),  # floor(0.99999...) = 0 -> 10
            event("e2", "webinar_attend", 30 * DAY),  # floor(1) = 1 -> 10 * 0.5 = 5
            event("e3", "webinar_attend", 60 * DAY + US),  # floor(2.0000...) = 2 -> 2.5
            event("e4", "webinar_attend", 90 * DAY),  # floor(3) = 3 -> 1.25
        ]
    )
    one = rule("webinar", "event", event_type="webinar_attend", points="10", decay="step",
               decay_days="30", decay_factor="0.5")  # fmt: skip
    result = run(raw, make_config(rules=[one]))
    expected = 10 + 5 + 2.5 + 1.25
    assert contribution(result, "webinar")["points"] == expected
    assert contribution(result, "webinar")["hits"] == 4
    assert lead(result)["score"] == 18.75


def test_exponential_decay_value() -> None:
    raw = make_raw(
        events=[
            event("e1", "email_click", 5 * DAY),
            event("e2", "email_click", 15 * DAY),
            event("e3", "email_click", timedelta(0)),
        ]
    )
    one = rule("click", "event", event_type="email_click", points="8", decay="exponential",
               decay_days="10", decay_factor="0.5")  # fmt: skip
    result = run(raw, make_config(rules=[one]))
    # 8 * 0.5^(5/10) + 8 * 0.5^(15/10) + 8 * 0.5^0
    # = 8 * 0.70710678 + 8 * 0.35355339 + 8 = 5.65685425 + 2.82842712 + 8 = 16.48528137
    expected = 8 * math.sqrt(0.5) + 8 * 0.5 * math.sqrt(0.5) + 8
    assert math.isclose(contribution(result, "click")["points"], expected, rel_tol=1e-12)
    assert math.isclose(expected, 16.48528137, abs_tol=1e-8)
    assert lead(result)["score"] == 16.49


def test_window_edge_is_excluded_and_events_after_t_do_not_exist() -> None:
    raw = make_raw(
        events=[
            event("e1", "email_open", timedelta(0)),  # age 0: in
            event("e2", "email_open", 7 * DAY - US),  # in
            event("e3", "email_open", 7 * DAY),  # age == window_days: out
            event("e4", "email_open", 8 * DAY),  # out
            event("e5", "email_open", -US),  # after T: does not exist
        ]
    )
    one = rule("open", "event", event_type="email_open", points="10", window_days="7")
    result = run(raw, make_config(rules=[one]))
    assert contribution(result, "open")["hits"] == 2
    assert lead(result)["score"] == 2 * 10.0


def test_max_count_keeps_the_most_recent_hits() -> None:
    raw = make_raw(
        events=[
            event("e1", "download", 70 * DAY),
            event("e2", "download", 10 * DAY),
            event("e3", "download", 40 * DAY),
        ]
    )
    step = {"decay": "step", "decay_days": "30", "decay_factor": "0.5"}
    once = rule("once", "event", event_type="download", points="10", max_count="1", **step)
    twice = rule("twice", "event", event_type="download", points="10", max_count="2", **step)
    result = run(raw, make_config(rules=[once, twice]))
    # once: only e2 (10 days, no decay) = 10, not e1 or e3.
    assert (contribution(result, "once")["hits"], contribution(result, "once")["points"]) == (
        1,
        10.0,
    )
    # twice: e2 = 10 and e3 (40 days: one step) = 5.
    assert contribution(result, "twice")["points"] == 10 + 5
    assert lead(result)["score"] == 25.0


def test_event_type_is_trimmed_and_case_insensitive() -> None:
    raw = make_raw(events=[event("e1", " DEMO_Request ", DAY), event("e2", "demo_request", DAY)])
    one = rule("demo", "event", event_type="Demo_Request ", points="20")
    assert single_rule_score(raw, one) == 2 * 20.0


def test_duplicate_event_ids_latest_wins() -> None:
    raw = make_raw(
        events=[
            event("e1", "page_view", 10 * DAY),
            event("e1", "download", 3 * DAY),  # latest occurred_at wins: a download
            event("e2", "page_view", 5 * DAY),
            event(" e2 ", "Webinar_Attend", 5 * DAY),  # tie: greatest event_type wins
            event("e3", "page_view", 2 * DAY),
            event("e3", "page_view", -DAY),  # the winner is after T: e3 does not exist at T
        ]
    )
    rules = [
        rule("views", "event", event_type="page_view", points="1"),
        rule("downloads", "event", event_type="download", points="10"),
        rule("webinars", "event", event_type="webinar_attend", points="100"),
    ]
    result = run(raw, make_config(rules=rules))
    assert contribution(result, "views") is None
    assert contribution(result, "downloads")["hits"] == 1
    assert contribution(result, "webinars")["hits"] == 1
    assert lead(result)["score"] == 100.0  # clamp(10 + 100)


# --------------------------------------------------------------------------- frequency
def test_frequency_needs_min_events_strictly_within_days() -> None:
    raw = make_raw(
        contacts=[contact("c1"), contact("c2")],
        events=[
            event("e1", "page_view", 5 * DAY, "c1"),  # age == within_days: not counted
            event("e2", "page_view", 1 * DAY, "c1"),
            event("e3", "page_view", 5 * DAY - US, "c2"),
            event("e4", "page_view", 0 * DAY, "c2"),
            event("e5", "page_view", -DAY, "c2"),  # after T
        ],
    )
    one = rule("burst", "frequency", event_type="page_view", points="20", min_events="2",
               within_days="5")  # fmt: skip
    result = run(raw, make_config(rules=[one]))
    assert lead(result, "c1")["score"] == 0.0  # 1 event in the look-back
    assert lead(result, "c2")["score"] == 20.0  # 2 events: hit once, no decay
    assert contribution(result, "burst", "c2")["hits"] == 1


# --------------------------------------------------------------------------- caps, clamps
def test_group_cap_applies_to_the_sum_including_negative_rules() -> None:
    raw = make_raw(
        contacts=[
            contact("c1", country="FR", job_title="Intern"),
            contact("c2", country="US", job_title="CTO"),
        ],
        events=[
            event("e1", "download", DAY, "c1"),
            event("e2", "download", DAY, "c1"),
            event("e3", "download", DAY, "c2"),
            event("e4", "download", DAY, "c2"),
        ],
    )
    groups = [group("eng", "engagement", "20"), group("fit", "fit", "10")]
    rules = [
        rule("dl", "event", "eng", event_type="download", points="15"),
        rule("fr", "attribute", "eng", field="contact.country", operator="equals", value="fr",
             points="-15"),
        rule("intern", "attribute", "fit", field="contact.job_title", operator="contains",
             value="intern", points="-25"),
    ]  # fmt: skip
    result = run(raw, make_config(groups=groups, rules=rules))
    # c1: eng = least(2 * 15 - 15, 20) = 15 (not least(30, 20) - 15 = 5);
    #     fit = least(-25, 10) = -25 (no lower bound); score = clamp(15 - 25) = 0.
    c1 = lead(result, "c1")
    assert (c1["engagement_score"], c1["fit_score"], c1["score"]) == (15.0, 0.0, 0.0)
    # c2: eng = least(30, 20) = 20; fit = 0; score 20.
    c2 = lead(result, "c2")
    assert (c2["engagement_score"], c2["fit_score"], c2["score"]) == (20.0, 0.0, 20.0)
    # Contributions are before the cap.
    assert contribution(result, "dl", "c1")["points"] == 30.0
    assert contribution(result, "fr", "c1")["points"] == -15.0
    assert contribution(result, "intern", "c1")["points"] == -25.0


def test_negative_group_pulls_the_score_down() -> None:
    raw = make_raw(contacts=[contact("c1", job_title="Student")], events=[event("e", "x", DAY)])
    groups = [group("eng", "engagement", "50"), group("fit", "fit", "30")]
    rules = [
        rule("x", "event", "eng", event_type="x", points="40"),
        rule("student", "attribute", "fit", field="contact.job_title", operator="equals",
             value="student", points="-15"),
    ]  # fmt: skip
    row = lead(run(raw, make_config(groups=groups, rules=rules)))
    # score = clamp(40 + (-15)) = 25; fit = clamp(-15) = 0; engagement = 40.
    assert (row["score"], row["fit_score"], row["engagement_score"]) == (25.0, 0.0, 40.0)


@pytest.mark.parametrize(("max_score", "expected"), [("50", (50.0, 40.0, 30.0)),
                                                     (None, (70.0, 40.0, 30.0)),
                                                     ("35", (35.0, 35.0, 30.0))])  # fmt: skip
def test_scores_are_clamped_to_max_score(max_score: str | None, expected: tuple) -> None:
    raw = make_raw(events=[event("e", "demo_request", DAY)])
    groups = [group("fit", "fit", "100"), group("eng", "engagement", "100")]
    rules = [
        rule("fit", "attribute", "fit", field="contact.contact_id", operator="is_set",
             points="40"),
        rule("demo", "event", "eng", event_type="demo_request", points="30"),
    ]  # fmt: skip
    config = make_config(models=[model(max_score=max_score)], groups=groups, rules=rules)
    row = lead(run(raw, config))
    # score = clamp(40 + 30, 0, max_score), fit = clamp(40, ...), engagement = clamp(30, ...)
    assert (row["score"], row["fit_score"], row["engagement_score"]) == expected


def test_max_score_empty_means_100() -> None:
    raw = make_raw(events=[event("e", "demo_request", DAY)])
    one = rule("demo", "event", event_type="demo_request", points="130")
    config = make_config(models=[model(max_score=None)], rules=[one])
    assert lead(run(raw, config))["score"] == 100.0


# --------------------------------------------------------------------------- reset
def test_reset_ignores_engagement_before_the_latest_reset() -> None:
    raw = make_raw(
        events=[
            event("e1", "unsubscribe", 20 * DAY),  # an earlier reset
            event("e2", "page_view", 10 * DAY),  # before the latest reset: ignored
            event("e3", "unsubscribe", 5 * DAY),  # the latest reset
            event("e4", "page_view", 5 * DAY),  # at the reset time: kept
            event("e5", "page_view", 2 * DAY),  # after: kept
        ]
    )
    groups = [group("eng", "engagement"), group("fit", "fit")]
    rules = [
        rule("reset", "reset", None, event_type="unsubscribe"),
        rule("views", "event", "eng", event_type="page_view", points="10"),
        rule("unsub", "event", "eng", event_type="unsubscribe", points="-10"),
        rule("three_views", "frequency", "eng", event_type="page_view", points="50",
             min_events="3", within_days="30"),
        rule("two_views", "frequency", "eng", event_type="page_view", points="7",
             min_events="2", within_days="30"),
        rule("idle", "inactivity", "eng", points="-1", within_days="1"),
        rule("fit", "attribute", "fit", field="contact.contact_id", operator="is_set",
             points="1"),
    ]  # fmt: skip
    result = run(raw, make_config(groups=groups, rules=rules))
    # views: e4, e5 = 2 * 10 = 20; unsub: e3 only (e1 is before the reset) = -10;
    # three_views: only 2 page views at/after the reset -> no hit; two_views: +7;
    # idle (not affected): last event 2 days ago -> floor(2 / 1) = 2 -> -2;
    # fit (not affected): +1.
    assert contribution(result, "views")["hits"] == 2
    assert contribution(result, "unsub")["hits"] == 1
    assert contribution(result, "three_views") is None
    assert contribution(result, "two_views")["points"] == 7.0
    assert contribution(result, "idle")["points"] == -2.0
    assert contribution(result, "reset") is None
    row = lead(result)
    assert row["engagement_score"] == 20 - 10 + 7 - 2
    assert row["fit_score"] == 1.0
    assert row["score"] == 16.0


def test_reset_with_condition_and_points_ignored() -> None:
    raw = make_raw(
        events=[
            event("e1", "page_view", 10 * DAY),
            event("e2", "form_submit", 8 * DAY, detail="Newsletter"),  # not a reset
            event("e3", "page_view", 6 * DAY),
        ]
    )
    rules = [
        rule("reset", "reset", "g", event_type="form_submit", field="event.detail",
             operator="contains", value="support request", points="99"),
        rule("views", "event", event_type="page_view", points="10"),
    ]  # fmt: skip
    assert lead(run(raw, make_config(rules=rules)))["score"] == 2 * 10.0
    raw["events"].append(event("e4", "Form_Submit", 7 * DAY, detail=" Support Request #12"))
    # Now e1 (10 days) is before the reset at 7 days; e3 stays: 10. No points for the reset.
    assert lead(run(raw, make_config(rules=rules)))["score"] == 10.0


# --------------------------------------------------------------------------- inactivity
@pytest.mark.parametrize(
    ("last_event_age", "max_count", "periods"),
    [
        (47 * DAY, None, 3),  # floor(47 / 15) = 3
        (47 * DAY, "2", 2),  # least(3, 2)
        (45 * DAY, None, 3),  # exactly 3 periods
        (45 * DAY - US, None, 2),  # just short of the third period
        (14 * DAY, None, 0),  # no full period: no contribution
        (200 * DAY, "6", 6),  # floor(200 / 15) = 13, capped at 6
    ],
)
def test_inactivity_periods_and_cap(
    last_event_age: timedelta, max_count: str | None, periods: int
) -> None:
    raw = make_raw(
        events=[event("old", "page_view", 300 * DAY), event("last", "email_open", last_event_age)]
    )
    rules = [
        rule("base", "attribute", field="contact.contact_id", operator="is_set", points="50"),
        rule("idle", "inactivity", points="-5", within_days="15", max_count=max_count),
    ]  # fmt: skip
    result = run(raw, make_config(rules=rules))
    assert lead(result)["score"] == 50 - 5 * periods
    row = contribution(result, "idle")
    if periods:
        assert (row["hits"], row["points"]) == (periods, -5.0 * periods)
    else:
        assert row is None


def test_inactivity_falls_back_to_creation_and_matches_event_type() -> None:
    raw = make_raw(
        contacts=[
            contact("c1", created_at=T - 31 * DAY),  # no events at all
            contact("c2", created_at=T - 100 * DAY),  # only page views, rule wants email_open
            contact("c3", created_at=T - 10 * DAY),  # an email_open before its creation
            contact("c4", created_at=T),  # created at T: idle 0
        ],
        events=[
            event("e1", "page_view", DAY, "c2"),
            event("e2", "email_open", 40 * DAY, "c3"),
            event("e3", "email_open", 20 * DAY, "c3", url="/x"),
        ],
    )
    rules = [
        rule("any", "inactivity", points="-1", within_days="15"),
        rule("opens", "inactivity", points="-10", within_days="15", event_type="email_open"),
        rule("opens_x", "inactivity", points="-100", within_days="15", event_type="email_open",
             field="event.url", operator="equals", value="/X"),
    ]  # fmt: skip
    result = run(raw, make_config(rules=rules))
    hits = {(r["contact_id"], r["rule_id"]): r["hits"] for r in result["lead_score_contributions"]}
    assert hits == {
        ("c1", "any"): 2,  # creation 31 days ago: floor(31 / 15)
        ("c1", "opens"): 2,
        ("c1", "opens_x"): 2,
        # c2 "any": last event 1 day ago -> 0 periods, no row.
        ("c2", "opens"): 6,  # no email_open: creation 100 days ago -> floor(100 / 15)
        ("c2", "opens_x"): 6,
        ("c3", "any"): 1,  # most recent event (e3) 20 days ago
        ("c3", "opens"): 1,
        ("c3", "opens_x"): 1,  # e3 has url /x
        # c4: created at T, nothing.
    }
    assert [r["contact_id"] for r in result["lead_scores"]] == ["c1", "c2", "c3", "c4"]


# --------------------------------------------------------------------------- entities
def test_contacts_created_after_t_do_not_exist() -> None:
    raw = make_raw(
        contacts=[
            contact("c1", created_at=T),
            contact("c2", created_at=T + US),
            contact(" c3 ", created_at=T - DAY, owner_id=" Own ", company_id=" k7 "),
        ],
        events=[event("e1", "x", DAY, "c2"), event("e2", "x", DAY, " c3")],
    )
    one = rule("x", "event", event_type="x", points="5")
    result = run(raw, make_config(rules=[one]))
    assert [r["contact_id"] for r in result["lead_scores"]] == ["c1", "c3"]
    c3 = lead(result, "c3")
    assert (c3["company_id"], c3["owner_id"], c3["score"]) == ("k7", "Own", 5.0)
    assert set(c3) == set(LEAD_SCORE_COLUMNS)
    assert c3["scored_at"] == T
    assert set(result["lead_score_contributions"][0]) == set(CONTRIBUTION_COLUMNS)


def test_include_and_exclude_lists() -> None:
    raw = make_raw(
        contacts=[contact(f"c{i}") for i in range(1, 6)] + [contact("c6", created_at=T + DAY)],
        lists=[
            (" WEBINAR_LEADS ", "c1"),
            ("trade_show", " c2"),
            ("Customers", "c2"),
            ("trade_show", "c4"),
            ("Trade_Show", "c6"),
            ("other", "c5"),
        ],
    )
    config = make_config(models=[model(include="Webinar_Leads | trade_show", exclude="customers")])
    # c1: included; c2: included but excluded; c3, c5: in no included list; c6: after T.
    assert [r["contact_id"] for r in run(raw, config)["lead_scores"]] == ["c1", "c4"]
    config = make_config(models=[model(exclude="customers|OTHER")])
    assert [r["contact_id"] for r in run(raw, config)["lead_scores"]] == ["c1", "c3", "c4"]


def test_list_membership_exists_from_added_at_on() -> None:
    berlin = timezone(timedelta(hours=2))
    raw = make_raw(
        contacts=[contact(f"c{i}") for i in range(1, 8)],
        lists=[
            ("customers", "c1", T + US),  # joins just after T
            ("customers", "c2", T),  # joins exactly at T: a member at T
            ("customers", "c3", None),  # a member all along
            ("customers", "c4", T - DAY),
            ("customers", "c5", (T + timedelta(hours=2)).replace(tzinfo=berlin)),  # = T
            ("customers", "c6", (T + timedelta(hours=2) + US).replace(tzinfo=berlin)),
            ("customers", "c7", T + 30 * DAY),
        ],
    )
    config = make_config(models=[model(exclude="customers")])

    def scored(as_of: datetime) -> list[str]:
        return [r["contact_id"] for r in run(raw, config, as_of)["lead_scores"]]

    assert scored(T) == ["c1", "c6", "c7"]
    assert scored(T - US) == ["c1", "c2", "c5", "c6", "c7"]
    assert scored(T - DAY) == ["c1", "c2", "c5", "c6", "c7"]
    assert scored(T - DAY - US) == ["c1", "c2", "c4", "c5", "c6", "c7"]
    assert scored(T + US) == ["c7"]
    assert scored(T + 30 * DAY) == []


def test_include_list_membership_counts_only_once_added() -> None:
    raw = make_raw(
        contacts=[contact(f"c{i}") for i in range(1, 5)],
        lists=[
            ("Webinar_Leads", "c1", T + US),
            (" webinar_leads ", "c2", T),
            ("WEBINAR_LEADS", "c3", None),
            ("trade_show", "c4", T + DAY),
            ("customers", "c3", T + DAY),  # excluded only from tomorrow
        ],
    )
    config = make_config(models=[model(include="webinar_leads|trade_show", exclude="customers")])
    assert [r["contact_id"] for r in run(raw, config)["lead_scores"]] == ["c2", "c3"]
    later = run(raw, config, T + DAY)["lead_scores"]
    assert [r["contact_id"] for r in later] == ["c1", "c2", "c4"]


def test_a_list_joined_several_times_counts_from_its_earliest_row() -> None:
    raw = make_raw(
        contacts=[contact(f"c{i}") for i in range(1, 5)],
        lists=[
            ("customers", "c1", T + DAY),
            (" Customers", "c1", T - DAY),  # the earlier row counts
            ("customers", "c2", T + DAY),
            ("customers", "c2", None),  # a null row: a member all along
            ("customers", "c3", T + DAY),
            ("CUSTOMERS", "c3", T + 2 * DAY),  # neither row exists yet at T
            ("customers", "c4", T + DAY),
            ("customers", "c4", T),  # exactly at T
        ],
    )
    config = make_config(models=[model(exclude="customers")])
    assert [r["contact_id"] for r in run(raw, config)["lead_scores"]] == ["c3"]
    assert run(raw, config, T + DAY)["lead_scores"] == []
    assert [r["contact_id"] for r in run(raw, config, T - DAY - US)["lead_scores"]] == [
        "c1",
        "c3",
        "c4",
    ]


def test_company_model_counts_contacts_by_their_membership_at_t() -> None:
    raw = make_raw(
        contacts=[contact("c1", company_id="k1"), contact("c2", company_id="k1")],
        events=[event("e1", "x", DAY, "c1"), event("e2", "x", 2 * DAY, "c2")],
        lists=[("customers", "c1", T + DAY), ("customers", "c2", T - DAY)],
    )
    one = rule("x", "event", event_type="x", points="5")
    config = make_config(models=[model(scope="company", exclude="customers")], rules=[one])
    # At T only c2 is excluded: k1 pools c1's event (5 points).
    [account] = run(raw, config)["account_scores"]
    assert (account["company_id"], account["score"]) == ("k1", 5.0)
    # A day later both are customers: k1 has no applicable contact.
    assert run(raw, config, T + DAY)["account_scores"] == []


def test_company_model_pools_applicable_contacts() -> None:
    raw = make_raw(
        contacts=[
            contact("c1", company_id="k1", job_title="CTO", created_at=T - 100 * DAY),
            contact("c2", company_id=" k1", job_title="Engineer", created_at=T - 50 * DAY),
            contact("c3", company_id="k1", job_title="VP Sales"),  # excluded (competitors)
            contact("c4", company_id="k2", job_title=None, created_at=T - 25 * DAY),
            contact("c8", company_id="k2", job_title="cto", created_at=T - 35 * DAY),
            contact("c5", company_id=None, job_title="VP"),  # no company
            contact("c6", company_id="k3"),  # only an excluded contact
            contact("c7", company_id="k4", created_at=T + DAY),  # created after T
        ],
        companies=[company("k1", industry="Software"), company("k3"), company("k5")],
        events=[
            event("e1", "page_view", 12 * DAY, "c1"),
            event("e2", "page_view", 20 * DAY, "c1"),
            event("e3", "page_view", 15 * DAY, "c2"),
            event("e4", "page_view", 1 * DAY, "c3"),
            event("e5", "page_view", 1 * DAY, "c3"),
            event("e6", "page_view", 1 * DAY, "c3"),
        ],
        lists=[(" competitors", "c3"), ("COMPETITORS", "c6")],
    )
    groups = [group("fit", "fit", model_id="a"), group("eng", "engagement", model_id="a")]
    rules = [
        rule("vp", "attribute", "fit", field="contact.job_title", operator="contains",
             value="vp", points="20"),
        rule("cto", "attribute", "fit", field="contact.job_title", operator="contains",
             value="cto", points="15"),
        rule("no_title", "attribute", "fit", field="contact.job_title", operator="is_not_set",
             points="1"),
        rule("software", "attribute", "fit", field="company.industry", operator="equals",
             value="software", points="10"),
        rule("views", "event", "eng", event_type="page_view", points="5"),
        rule("burst", "frequency", "eng", event_type="page_view", points="7", min_events="3",
             within_days="30"),
        rule("idle", "inactivity", "eng", points="-1", within_days="10"),
    ]  # fmt: skip
    for r in rules:
        r["model_id"] = "a"
    config = make_config(
        models=[model("a", scope="company", exclude="Competitors")], groups=groups, rules=rules
    )
    result = run(raw, config)
    assert result["lead_scores"] == []
    accounts = {r["company_id"]: r for r in result["account_scores"]}
    assert sorted(accounts) == ["k1", "k2"]
    assert set(accounts["k1"]) == set(ACCOUNT_SCORE_COLUMNS)
    # k1 (c1, c2): fit = cto 15 + software 10 = 25 (vp only via excluded c3);
    # eng = 3 pooled page views * 5 + burst 7 + idle floor(12 / 10) * -1 = 15 + 7 - 1 = 21.
    assert (accounts["k1"]["fit_score"], accounts["k1"]["engagement_score"]) == (25.0, 21.0)
    assert accounts["k1"]["score"] == 46.0
    # k2 (c4, c8; no company row): fit = cto 15 (c8) + no_title 1 (c4) = 16;
    # eng = idle from the earliest creation (35 days): floor(35 / 10) * -1 = -3 -> clamp 0.
    assert (accounts["k2"]["fit_score"], accounts["k2"]["engagement_score"]) == (16.0, 0.0)
    assert accounts["k2"]["score"] == 16 - 3
    rows = {
        (r["company_id"], r["rule_id"]): (r["contact_id"], r["hits"], r["points"])
        for r in result["lead_score_contributions"]
    }
    assert rows[("k1", "views")] == (None, 3, 15.0)
    assert rows[("k2", "idle")] == (None, 3, -3.0)
    assert ("k1", "vp") not in rows


def test_contact_model_reads_company_fields_and_custom_properties() -> None:
    raw = make_raw(
        contacts=[contact("c1", company_id="k1"), contact("c2", company_id="k9")],
        companies=[company("k1", employee_count=300)],
        contact_props=[("c1", " Newsletter_Opt_In ", " YES "), ("c2", "newsletter_opt_in", "")],
        company_props=[("k1", "Tech_Stack", "BigQuery")],
    )
    rules = [
        rule("size", "attribute", field="company.employee_count", operator="between",
             value="200 | 5000", points="1"),
        rule("stack", "attribute", field="company.tech_stack", operator="in",
             value="snowflake|bigquery", points="10"),
        rule("opt_in", "attribute", field="Contact.Newsletter_Opt_In", operator="equals",
             value="yes", points="100"),
        rule("no_company", "attribute", field="company.employee_count", operator="is_not_set",
             points="0.5"),
    ]  # fmt: skip
    result = run(raw, make_config(rules=rules, models=[model(max_score="1000")]))
    assert lead(result, "c1")["score"] == 1 + 10 + 100
    assert lead(result, "c2")["score"] == 0.5  # k9 has no row: company fields are null


def test_every_applicable_entity_gets_a_row_and_zero_points_are_omitted() -> None:
    raw = make_raw(contacts=[contact("c1"), contact("c2")])
    rules = [
        rule("zero", "attribute", field="contact.contact_id", operator="is_set", points="0"),
        rule("none", "event", event_type="page_view", points="5"),
    ]
    result = run(raw, make_config(rules=rules))
    assert [(r["contact_id"], r["score"], r["is_qualified"]) for r in result["lead_scores"]] == [
        ("c1", 0.0, False),
        ("c2", 0.0, False),
    ]
    assert result["lead_score_contributions"] == []


# --------------------------------------------------------------------------- tiers, rounding
def test_rounding_half_away_from_zero_drives_tiers_and_qualification() -> None:
    raw = make_raw()
    groups = [group("fit", "fit"), group("eng", "engagement")]
    rules = [
        # 10.125 is exact in binary: rounds half away from zero to 10.13.
        rule("fit", "attribute", "fit", field="contact.contact_id", operator="is_set",
             points="10.125"),
    ]  # fmt: skip
    tiers = [
        tier("score", "low", "0"),
        tier("score", "high", "20"),
        tier("score", "medium", "10.13"),
        tier("engagement", "warm", "5"),
    ]
    config = make_config(models=[model(threshold="10.13")], groups=groups, rules=rules,
                         tiers=tiers)  # fmt: skip
    row = lead(run(raw, config))
    assert (row["score"], row["fit_score"], row["engagement_score"]) == (10.13, 10.13, 0.0)
    assert row["tier"] == "medium"  # uses the rounded 10.13 (10.125 would be "low")
    assert row["fit_tier"] is None  # no fit tiers defined
    assert row["engagement_tier"] is None  # 0 is below the lowest tier (5)
    assert row["is_qualified"] is True  # 10.13 >= 10.13
    assert contribution(run(raw, config), "fit")["points"] == 10.125  # unrounded


@pytest.mark.parametrize(
    ("points", "expected"),
    [("0.125", 0.13), ("2.675", 2.68), ("0.994", 0.99), ("0.995", 1.0), ("33.3333", 33.33)],
)
def test_rounding_to_two_decimals(points: str, expected: float) -> None:
    one = rule("a", "attribute", field="contact.contact_id", operator="is_set", points=points)
    assert single_rule_score(make_raw(), one) == expected


def test_tier_picks_the_largest_min_score_not_above_the_value() -> None:
    raw = make_raw(events=[event(f"e{i}", "x", DAY) for i in range(8)])
    one = rule("x", "event", event_type="x", points="10")
    tiers = [tier("score", "c", "0"), tier("score", "a", "75"), tier("score", "b", "40")]
    row = lead(run(raw, make_config(rules=[one], tiers=tiers)))
    # 8 * 10 = 80 >= 75 -> "a"
    assert (row["score"], row["tier"], row["is_qualified"]) == (80.0, "a", True)


# --------------------------------------------------------------------------- helpers, cases
def test_default_seeds_are_valid_and_read_back() -> None:
    config = read_config_dir(REPO / "seeds")
    assert config_problems(config) == []
    assert {row["model_id"] for row in config["scoring_models"]} == {
        "platform",
        "insights",
        "platform_accounts",
    }
    domains = read_free_email_domains(REPO / "seeds" / "free_email_domains.csv")
    assert "gmail.com" in domains
    raw, _, _, as_of = random_case(7)
    result = score(raw, config, domains, as_of)
    assert result["lead_scores"] and result["account_scores"]


@pytest.mark.parametrize("seed", range(40))
def test_random_configs_are_valid_and_round_trip(seed: int, tmp_path: Path) -> None:
    raw, config, free, as_of = random_case(seed)
    assert config_problems(config) == []
    assert read_config_dir(write_config_dir(config, tmp_path)) == config
    result = score(raw, config, free, as_of)
    max_scores = {
        row["model_id"]: float(row["max_score"] or 100) for row in config["scoring_models"]
    }
    for row in result["lead_scores"] + result["account_scores"]:
        for column in ("score", "fit_score", "engagement_score"):
            assert 0 <= row[column] <= max_scores[row["model_id"]]
            assert row[column] == round(row[column], 2)


def _load_csv_dir(folder: Path) -> dict[str, list[dict]]:
    """A minimal loader following the spec: typed columns, extra columns as properties,
    the first row of a duplicated key kept."""

    def timestamp(text: str) -> datetime | None:
        text = text.strip()
        return datetime.fromisoformat(text.removesuffix("Z")) if text else None

    def cell(text: str) -> str | None:
        return text if text != "" else None

    raw: dict[str, list[dict]] = {table: [] for table in RAW_TABLES}
    keys = {"contacts": "contact_id", "companies": "company_id", "events": "event_id"}
    property_tables = {
        "contacts": ("contact_properties", "contact_id"),
        "companies": ("company_properties", "company_id"),
    }
    for table, columns in RAW_TABLES.items():
        path = folder / f"{table}.csv"
        if not path.exists():
            continue
        seen: set[str] = set()
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            for record in reader:
                record = {name.strip().lower(): value for name, value in record.items()}
                if table in keys:
                    key = record[keys[table]].strip()
                    if key in seen:
                        continue
                    seen.add(key)
                row: dict[str, Any] = {}
                for column in columns:
                    text = record.get(column, "")
                    if column in ("created_at", "occurred_at", "closed_at", "added_at"):
                        row[column] = timestamp(text)
                    elif column == "employee_count":
                        row[column] = int(text) if text.strip() else None
                    elif column in ("annual_revenue", "amount"):
                        row[column] = float(text) if text.strip() else None
                    elif column == "is_won":
                        row[column] = {"true": True, "false": False}.get(text.strip())
                    else:
                        row[column] = cell(text)
                raw[table].append(row)
                if table in property_tables:
                    properties, id_column = property_tables[table]
                    for name, value in record.items():
                        if name not in columns and value.strip():
                            raw[properties].append(
                                {id_column: row[id_column], "property": name, "value": value}
                            )
    return raw


@pytest.mark.parametrize("seed", range(25))
def test_raw_csv_round_trip_scores_the_same(seed: int, tmp_path: Path) -> None:
    raw, config, free, as_of = random_case(seed)
    loaded = _load_csv_dir(write_raw_dir(raw, tmp_path))
    assert score(loaded, config, free, as_of) == score(raw, config, free, as_of)


def test_read_raw_from_duckdb(tmp_path: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    path = tmp_path / "raw.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema crm")
        connection.execute(
            "create table crm.contacts as select 'c1' as contact_id, 'a@gmail.com' as email,"
            " null::varchar as job_title, 'k1' as company_id,"
            " timestamp '2025-01-01 00:00:00' as created_at"
        )
        connection.execute(
            "create table crm.companies as select 'k1' as company_id, 250::bigint as"
            " employee_count, 1000000.0::double as annual_revenue"
        )
        connection.execute(
            "create table crm.events as select 'e1' as event_id, 'c1' as contact_id,"
            " 'demo_request' as event_type, timestamp '2025-02-28 12:00:00' as occurred_at,"
            " null::varchar as url, null::varchar as detail"
        )
    raw = read_raw_from_duckdb(path, schema="crm")
    assert raw["deals"] == [] and raw["contact_properties"] == []
    assert raw["events"][0]["occurred_at"] == datetime(2025, 2, 28, 12)
    rules = [
        rule("demo", "event", event_type="demo_request", points="30", decay="step",
             decay_days="1", decay_factor="0.5"),
        rule("free", "attribute", field="contact.is_free_email", operator="equals",
             value="true", points="-5"),
        rule("size", "attribute", field="company.employee_count", operator="equals",
             value="250", points="1"),
    ]  # fmt: skip
    row = lead(score(raw, make_config(rules=rules), {"gmail.com"}, T))
    # demo: 1 day old -> one step: 30 * 0.5 = 15; free -5; size +1.
    assert row["score"] == 15 - 5 + 1


def test_read_raw_from_duckdb_list_memberships_with_and_without_added_at(
    tmp_path: Path,
) -> None:
    duckdb = pytest.importorskip("duckdb")
    old, new = tmp_path / "old.duckdb", tmp_path / "new.duckdb"
    with duckdb.connect(str(old)) as connection:
        # A database loaded before list_memberships had added_at.
        connection.execute("create schema raw")
        connection.execute(
            "create table raw.list_memberships as select * from"
            " (values ('customers', 'c1'), ('Customers', 'c2')) t(list_name, contact_id)"
        )
    with duckdb.connect(str(new)) as connection:
        connection.execute("create schema raw")
        connection.execute(
            "create table raw.list_memberships as select * from (values"
            " ('customers', 'c1', timestamp '2025-03-02 00:00:00'),"
            " ('customers', 'c2', null::timestamp)) t(list_name, contact_id, added_at)"
        )
    old_raw = read_raw_from_duckdb(old)
    assert old_raw["list_memberships"] == [
        {"list_name": "customers", "contact_id": "c1", "added_at": None},
        {"list_name": "Customers", "contact_id": "c2", "added_at": None},
    ]
    new_raw = read_raw_from_duckdb(new)
    assert new_raw["list_memberships"] == [
        {"list_name": "customers", "contact_id": "c1", "added_at": datetime(2025, 3, 2)},
        {"list_name": "customers", "contact_id": "c2", "added_at": None},
    ]
    config = make_config(models=[model(exclude="customers")])
    contacts = [contact("c1"), contact("c2"), contact("c3")]
    for raw_tables, expected in ((old_raw, ["c3"]), (new_raw, ["c1", "c3"])):
        raw = make_raw(contacts=contacts)
        raw["list_memberships"] = raw_tables["list_memberships"]
        assert [r["contact_id"] for r in run(raw, config)["lead_scores"]] == expected


def test_random_cases_reach_the_edges() -> None:
    """The generator does produce the edges it promises (over a few seeds)."""
    seen: set[str] = set()
    for seed in range(30):
        raw, config, _, as_of = random_case(seed)
        if any(row["created_at"] > as_of for row in raw["contacts"]):
            seen.add("contact after T")
        if any(row["occurred_at"] > as_of for row in raw["events"]):
            seen.add("event after T")
        if any(row["occurred_at"] == as_of for row in raw["events"]):
            seen.add("event at T")
        ids = [row["event_id"].strip() for row in raw["events"]]
        if len(ids) != len(set(ids)):
            seen.add("duplicate event id")
        if any(row["max_count"] == "1" for row in config["scoring_rules"]):
            seen.add("max_count 1")
        if any(row["rule_type"] == "reset" for row in config["scoring_rules"]):
            seen.add("reset")
        if raw["contact_properties"] and raw["company_properties"]:
            seen.add("custom properties")
        if any((row["value"] or "").count("|") for row in config["scoring_rules"]):
            seen.add("alternatives")
        joined = [row["added_at"] for row in raw["list_memberships"]]
        if None in joined:
            seen.add("member all along")
        if any(at is not None and at < as_of for at in joined):
            seen.add("member before T")
        if as_of in joined:
            seen.add("member from T")
        if as_of + US in joined:
            seen.add("member 1 us after T")
        pairs = [
            (row["list_name"].strip().lower(), row["contact_id"].strip())
            for row in raw["list_memberships"]
        ]
        if len(pairs) != len(set(pairs)):
            seen.add("list joined twice")
    assert seen == {
        "contact after T",
        "event after T",
        "event at T",
        "duplicate event id",
        "max_count 1",
        "reset",
        "custom properties",
        "alternatives",
        "member all along",
        "member before T",
        "member from T",
        "member 1 us after T",
        "list joined twice",
    }
