"""Property test: random VALID configurations and data never break the scoring invariants.

Each example (``property_strategies.cases``: 1-3 scoring models, every rule
type, caps, tiers, list filters, and 5-30 contacts with events around T and its
period boundaries) is written as raw CSVs and config seeds into a fresh
temporary directory and project copy, loaded with ``load_raw.load`` (nothing
may be rejected: the data is valid) and built with ``conftest.quick_build`` at
T = ``conftest.E2E_AS_OF``. The published marts (schema ``main``) must then
satisfy, for every model and entity:

a. 0 <= score, fit_score, engagement_score <= max_score, rounded to 2 decimals;
b. the contributions, summed per group, capped at the group's max_points (no
   lower bound), summed per dimension and overall, clamped to [0, max_score]
   and rounded, give fit_score, engagement_score and score (to 0.011);
c. the (model, contact) keys of lead_scores and the (model, company) keys of
   account_scores are exactly the applicable entities, computed here from the
   generated raw rows (created_at <= T; include/exclude lists as of T), once each;
d. each tier is the one with the largest min_score <= the rounded value (null
   when none applies) and is_qualified = score >= qualified_threshold;
e. every contribution names a configured scoring rule of its model and group,
   of an entity that is scored, with points != 0 and hits >= 1, once.

The expectations are computed from the generated rows, not from the
warehouse (nor from the reference scorer). Shrinking is off (each step would
cost a dbt build) and generation is derandomized, so CI is reproducible.
LEADSCORE_PROPERTY_EXAMPLES (default 5) sets the number of generated examples;
LEADSCORE_PROPERTY_KEEP=1 keeps each example's directory (its path is noted).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import duckdb
import load_raw
import pytest
from conftest import E2E_AS_OF, copy_project, quick_build, read_table
from hypothesis import HealthCheck, Phase, example, given, note, settings
from property_strategies import Case, T, blank_rule, cases
from random_cases import write_config_dir, write_raw_dir
from reference_scorer import CONFIG_COLUMNS, CONTACT_COLUMNS

EXAMPLES = int(os.environ.get("LEADSCORE_PROPERTY_EXAMPLES", "5"))
# A build per example: make test-all.
pytestmark = pytest.mark.slow
KEEP = bool(os.environ.get("LEADSCORE_PROPERTY_KEEP"))
TOLERANCE = 0.011
DIMENSIONS = ("score", "fit", "engagement")
SCORE_COLUMNS = {"score": "score", "fit": "fit_score", "engagement": "engagement_score"}
TIER_COLUMNS = {"score": "tier", "fit": "fit_tier", "engagement": "engagement_tier"}
US = timedelta(microseconds=1)
DAY = timedelta(days=1)


# --------------------------------------------------------------------------- config, parsed
def _text(value: str | None) -> str | None:
    """A config or raw text cell as staging reads it: trimmed (spaces), empty -> None."""
    if value is None:
        return None
    text = str(value).strip(" ")
    return text or None


def _lists(value: str | None) -> set[str]:
    return {key for alt in (value or "").split("|") if (key := alt.strip(" ").lower())}


@dataclass
class ModelSpec:
    model_id: str
    scope: str
    max_score: float
    threshold: float
    include: set[str]
    exclude: set[str]
    groups: dict[str, tuple[str, float]] = field(default_factory=dict)  # dimension, max_points
    rules: dict[str, tuple[str | None, str]] = field(default_factory=dict)  # group, rule_type
    tiers: dict[str, list[tuple[float, str]]] = field(default_factory=dict)  # min_score, tier


def parse_config(config: dict[str, list[dict[str, str | None]]]) -> dict[str, ModelSpec]:
    specs: dict[str, ModelSpec] = {}
    for row in config["scoring_models"]:
        model_id = _text(row["model_id"])
        assert model_id is not None
        max_score = _text(row["max_score"])
        specs[model_id] = ModelSpec(
            model_id=model_id,
            scope=(_text(row["scope"]) or "").lower(),
            max_score=100.0 if max_score is None else float(max_score),
            threshold=float(_text(row["qualified_threshold"]) or "nan"),
            include=_lists(row["include_list"]),
            exclude=_lists(row["exclude_list"]),
        )
    for row in config["scoring_groups"]:
        spec = specs[_text(row["model_id"]) or ""]
        group_id = _text(row["group_id"]) or ""
        dimension = (_text(row["dimension"]) or "").lower()
        spec.groups[group_id] = (dimension, float(_text(row["max_points"]) or "nan"))
    for row in config["scoring_rules"]:
        spec = specs[_text(row["model_id"]) or ""]
        rule_type = (_text(row["rule_type"]) or "").lower()
        spec.rules[_text(row["rule_id"]) or ""] = (_text(row["group_id"]), rule_type)
    for row in config["score_tiers"]:
        spec = specs[_text(row["model_id"]) or ""]
        dimension = (_text(row["dimension"]) or "").lower()
        tier = _text(row["tier"]) or ""
        spec.tiers.setdefault(dimension, []).append((float(row["min_score"] or "nan"), tier))
    return specs


# --------------------------------------------------------------------------- expectations
def round2(value: float) -> float:
    """Half away from zero, 2 decimals (docs/semantics.md, Rounding)."""
    return float(Decimal(repr(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def clamp(value: float, high: float) -> float:
    return min(max(value, 0.0), high)


def members_at_t(raw: dict[str, list[dict[str, Any]]]) -> set[tuple[str, str]]:
    """(list key, contact_id) of every membership in force at T."""
    return {
        ((_text(row["list_name"]) or "").lower(), _text(row["contact_id"]) or "")
        for row in raw.get("list_memberships", [])
        if row.get("added_at") is None or row["added_at"] <= T
    }


def applicable_contacts(
    raw: dict[str, list[dict[str, Any]]], spec: ModelSpec
) -> dict[str, str | None]:
    """contact_id -> company_id of the model's applicable contacts at T."""
    members = members_at_t(raw)
    applicable: dict[str, str | None] = {}
    for row in raw["contacts"]:
        contact_id = _text(row["contact_id"])
        if contact_id is None or row["created_at"] > T:
            continue
        if spec.include and not any((name, contact_id) in members for name in spec.include):
            continue
        if any((name, contact_id) in members for name in spec.exclude):
            continue
        applicable[contact_id] = _text(row["company_id"])
    return applicable


def expected_entities(raw: dict[str, list[dict[str, Any]]], spec: ModelSpec) -> set[str]:
    contacts = applicable_contacts(raw, spec)
    if spec.scope == "contact":
        return set(contacts)
    return {company for company in contacts.values() if company is not None}


def expected_tier(spec: ModelSpec, dimension: str, value: float) -> str | None:
    applying = [
        (minimum, tier) for minimum, tier in spec.tiers.get(dimension, []) if minimum <= value
    ]
    return max(applying)[1] if applying else None


# --------------------------------------------------------------------------- checks
Marts = dict[str, list[dict[str, Any]]]


def scored_rows(marts: Marts, spec: ModelSpec) -> tuple[str, str, list[dict[str, Any]]]:
    """(table, key column, rows of the model) of the model's score table."""
    table, key = (
        ("lead_scores", "contact_id")
        if spec.scope == "contact"
        else ("account_scores", "company_id")
    )
    return table, key, [row for row in marts[table] if row["model_id"] == spec.model_id]


def check_bounds(spec: ModelSpec, marts: Marts) -> list[str]:
    """a. Every score within [0, max_score] and rounded to 2 decimals."""
    table, key, rows = scored_rows(marts, spec)
    problems = []
    for row in rows:
        for column in SCORE_COLUMNS.values():
            value = row[column]
            where = f"{table} {spec.model_id}/{row[key]}: {column} = {value!r}"
            if value is None or not 0 <= value <= spec.max_score:
                problems.append(f"{where} outside [0, {spec.max_score}]")
            elif abs(value * 100 - round(value * 100)) > 1e-6:
                problems.append(f"{where} not rounded to 2 decimals")
        if row["scored_at"] != E2E_AS_OF:
            problems.append(f"{table} {spec.model_id}/{row[key]}: scored_at {row['scored_at']}")
    return problems


def contribution_entity(row: dict[str, Any], spec: ModelSpec) -> str | None:
    return row["contact_id"] if spec.scope == "contact" else row["company_id"]


def expected_scores(spec: ModelSpec, contributions: list[dict[str, Any]]) -> dict[str, dict]:
    """entity -> {score, fit, engagement, groups}: the contributions re-added (b)."""
    sums: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for row in contributions:
        sums[contribution_entity(row, spec) or ""][row["group_id"]] += row["points"]
    result: dict[str, dict] = {}
    for entity, groups in sums.items():
        capped = {
            group: min(points, spec.groups[group][1]) if group in spec.groups else points
            for group, points in groups.items()
        }
        by_dimension = {
            dimension: sum(
                p for g, p in capped.items() if spec.groups.get(g, ("",))[0] == dimension
            )
            for dimension in ("fit", "engagement")
        }
        result[entity] = {
            "score": round2(clamp(sum(capped.values()), spec.max_score)),
            "fit": round2(clamp(by_dimension["fit"], spec.max_score)),
            "engagement": round2(clamp(by_dimension["engagement"], spec.max_score)),
            "groups": dict(capped),
        }
    return result


def check_reconstruction(spec: ModelSpec, marts: Marts) -> list[str]:
    """b. Contributions, capped per group, summed, clamped and rounded = the scores."""
    table, key, rows = scored_rows(marts, spec)
    contributions = [r for r in marts["lead_score_contributions"] if r["model_id"] == spec.model_id]
    expected = expected_scores(spec, contributions)
    problems = []
    for row in rows:
        wanted = expected.get(row[key], {"score": 0.0, "fit": 0.0, "engagement": 0.0, "groups": {}})
        for dimension, column in SCORE_COLUMNS.items():
            if abs(row[column] - wanted[dimension]) > TOLERANCE:
                problems.append(
                    f"{table} {spec.model_id}/{row[key]}: {column} = {row[column]}, but the "
                    f"contributions give {wanted[dimension]} (capped groups {wanted['groups']}, "
                    f"max_score {spec.max_score})"
                )
    return problems


def check_entities(
    spec: ModelSpec, marts: Marts, raw: dict[str, list[dict[str, Any]]]
) -> list[str]:
    """c. The scored entities are exactly the applicable ones, each once."""
    table, key, rows = scored_rows(marts, spec)
    keys = Counter(row[key] for row in rows)
    expected = expected_entities(raw, spec)
    problems = [
        f"{table} {spec.model_id}/{entity}: {count} rows"
        for entity, count in keys.items()
        if count > 1
    ]
    if missing := sorted(expected - set(keys)):
        problems.append(f"{table} {spec.model_id}: applicable entities not scored: {missing}")
    if extra := sorted(set(keys) - expected, key=str):
        problems.append(f"{table} {spec.model_id}: entities scored but not applicable: {extra}")
    return problems


def check_tiers(spec: ModelSpec, marts: Marts) -> list[str]:
    """d. Tiers from the rounded values; is_qualified = score >= qualified_threshold."""
    table, key, rows = scored_rows(marts, spec)
    problems = []
    for row in rows:
        for dimension in DIMENSIONS:
            value, tier = row[SCORE_COLUMNS[dimension]], row[TIER_COLUMNS[dimension]]
            wanted = expected_tier(spec, dimension, value)
            if tier != wanted:
                problems.append(
                    f"{table} {spec.model_id}/{row[key]}: {TIER_COLUMNS[dimension]} = {tier!r} "
                    f"for {value}, expected {wanted!r} (tiers {spec.tiers.get(dimension, [])})"
                )
        if row["is_qualified"] is not (row["score"] >= spec.threshold):
            problems.append(
                f"{table} {spec.model_id}/{row[key]}: is_qualified = {row['is_qualified']} for "
                f"score {row['score']}, qualified_threshold {spec.threshold}"
            )
    return problems


def check_contributions(spec: ModelSpec, marts: Marts) -> list[str]:
    """e. Contributions of configured scoring rules, of scored entities, non-zero, hits >= 1."""
    table, key, rows = scored_rows(marts, spec)
    scored = {row[key] for row in rows}
    contributions = [r for r in marts["lead_score_contributions"] if r["model_id"] == spec.model_id]
    problems = []
    seen: Counter = Counter()
    for row in contributions:
        entity = contribution_entity(row, spec)
        where = f"contribution {spec.model_id}/{entity}/{row['rule_id']}"
        seen[(entity, row["rule_id"])] += 1
        configured = spec.rules.get(row["rule_id"])
        if configured is None:
            problems.append(f"{where}: rule not configured for the model")
        elif configured[1] == "reset":
            problems.append(f"{where}: a reset rule contributes {row['points']}")
        elif configured[0] != row["group_id"]:
            problems.append(f"{where}: group {row['group_id']!r}, configured {configured[0]!r}")
        if not row["points"]:
            problems.append(f"{where}: points {row['points']!r}")
        if row["hits"] is None or row["hits"] < 1:
            problems.append(f"{where}: hits {row['hits']!r}")
        if entity not in scored:
            problems.append(f"{where}: entity not in {table}")
        if spec.scope == "company" and row["contact_id"] is not None:
            problems.append(f"{where}: contact_id {row['contact_id']!r} in a company model")
    problems.extend(
        f"contribution {spec.model_id}/{entity}/{rule}: {count} rows"
        for (entity, rule), count in seen.items()
        if count > 1
    )
    return problems


def check_invariants(case: Case, marts: Marts) -> list[str]:
    specs = parse_config(case.config)
    problems = []
    for name in ("lead_score_contributions",):
        unknown = {row["model_id"] for row in marts[name]} - set(specs)
        problems.extend(f"{name}: unknown model {model}" for model in sorted(unknown))
    for spec in specs.values():
        problems.extend(check_bounds(spec, marts))
        problems.extend(check_reconstruction(spec, marts))
        problems.extend(check_entities(spec, marts, case.raw))
        problems.extend(check_tiers(spec, marts))
        problems.extend(check_contributions(spec, marts))
    return problems


# --------------------------------------------------------------------------- explicit examples
def _rule(model_id: str, rule_id: str, **values: str) -> dict[str, str | None]:
    row = blank_rule(model_id, rule_id)
    row["description"] = rule_id
    row.update(values)
    return row


def _contact(contact_id: str, created_at: Any, company_id: str | None = None, **extra: Any) -> dict:
    row = dict.fromkeys(CONTACT_COLUMNS)
    row.update(contact_id=contact_id, created_at=created_at, company_id=company_id, **extra)
    return row


def _events(*specs: tuple[str, str, Any, str | None]) -> list[dict]:
    return [
        {
            "event_id": f"x{i:03d}",
            "contact_id": contact,
            "event_type": event_type,
            "occurred_at": moment,
            "url": url,
            "detail": None,
        }
        for i, (contact, event_type, moment, url) in enumerate(specs, start=1)
    ]


def _empty_config() -> dict[str, list[dict[str, str | None]]]:
    return {name: [] for name in CONFIG_COLUMNS}


def lists_and_caps_case() -> Case:
    """Entities at the edges of T and of the lists, caps above and below zero.

    A company model with an include list of two lists (other spellings in the
    data), an exclude list joined 1 us after T (not yet in force) or before
    it, contacts created at T and 1 us after, a company without a row, a
    contact without company; a fit group pushed above its cap and another
    below zero; a contact model over the same contacts; and a model whose
    include list nobody is in at T (its only member joins 1 us after T).
    """
    config = _empty_config()
    config["scoring_models"] = [
        {
            "model_id": "accounts",
            "description": None,
            "scope": "Company",
            "max_score": "50",
            "qualified_threshold": "20",
            "include_list": " Webinar_Leads | trade_show",
            "exclude_list": "customers",
        },
        {
            "model_id": "leads",
            "description": "leads",
            "scope": "contact",
            "max_score": None,
            "qualified_threshold": "0",
            "include_list": None,
            "exclude_list": "competitors|customers",
        },
        {
            "model_id": "nobody",
            "description": "nobody",
            "scope": "contact",
            "max_score": "200",
            "qualified_threshold": "250",
            "include_list": "trade_show",
            "exclude_list": None,
        },
    ]
    config["scoring_groups"] = [
        {"model_id": "accounts", "group_id": "firm", "dimension": "fit", "max_points": "10"},
        {"model_id": "accounts", "group_id": "people", "dimension": "FIT", "max_points": "5"},
        {"model_id": "accounts", "group_id": "web", "dimension": "engagement", "max_points": "5"},
        {"model_id": "leads", "group_id": "all", "dimension": "engagement", "max_points": "12.5"},
        {"model_id": "nobody", "group_id": "g", "dimension": "fit", "max_points": "1"},
    ]
    config["scoring_rules"] = [
        _rule(
            "accounts",
            "industry",
            group_id="firm",
            rule_type="attribute",
            field="company.industry",
            operator="in",
            value="software|retail",
            points="15",
        ),
        _rule(
            "accounts",
            "no_cto",
            group_id="people",
            rule_type="attribute",
            field="contact.job_title",
            operator="contains",
            value="cto",
            points="-20",
        ),
        _rule(
            "accounts",
            "views",
            group_id="web",
            rule_type="event",
            event_type="page_view",
            max_count="1",
            points="10",
        ),
        _rule(
            "accounts",
            "idle",
            group_id=" web ",
            rule_type="inactivity",
            within_days="15",
            max_count="2",
            points="-5",
        ),
        _rule(
            "leads",
            "views",
            group_id="all",
            rule_type="event",
            event_type="Page_View",
            field="event.url",
            operator="contains",
            value="pricing",
            points="5",
        ),
        _rule(
            "leads",
            "often",
            group_id="all",
            rule_type="frequency",
            event_type="page_view",
            min_events="2",
            within_days="5",
            points="2.5",
        ),
        _rule(
            "leads",
            "zero",
            group_id="all",
            rule_type="attribute",
            field="contact.country",
            operator="is_not_set",
            points="0",
        ),
        _rule(
            "nobody",
            "any",
            group_id="g",
            rule_type="attribute",
            field="contact.nope",
            operator="is_not_set",
            points="1",
        ),
    ]
    config["score_tiers"] = [
        {"model_id": "accounts", "dimension": "score", "tier": "low", "min_score": "0"},
        {"model_id": "accounts", "dimension": "score", "tier": "high", "min_score": "10"},
        {"model_id": "accounts", "dimension": "engagement", "tier": "B", "min_score": "-5"},
        {"model_id": "leads", "dimension": "fit", "tier": "none yet", "min_score": "0.01"},
    ]
    raw: dict[str, list[dict[str, Any]]] = {
        "companies": [
            {
                "company_id": "k1",
                "name": "Acme",
                "domain": None,
                "industry": "Software",
                "employee_count": 200,
                "annual_revenue": 12.5,
                "country": "US",
            },
            {
                "company_id": " k2",
                "name": None,
                "domain": None,
                "industry": " retail ",
                "employee_count": None,
                "annual_revenue": None,
                "country": None,
            },
        ],
        "contacts": [
            _contact("c01", T, "k1", job_title="CTO"),
            _contact("c02", T + US, "k2"),
            _contact("c03", T - DAY * 40, "k2", country="de"),
            _contact("c04", T - DAY * 40, " k1 "),
            _contact("c05", T - DAY * 400, "k9"),
            _contact("c06", T - DAY * 15, None),
            _contact("c07", T - DAY * 30, "k1"),
            _contact(" c08 ", T - US, "k2"),
        ],
        "list_memberships": [
            {"list_name": "webinar_leads", "contact_id": "c01", "added_at": T},
            {"list_name": "WEBINAR_LEADS ", "contact_id": "c02", "added_at": None},
            {"list_name": "trade_show", "contact_id": "c03", "added_at": T + US},
            {"list_name": "Webinar_Leads", "contact_id": "c03", "added_at": T - US},
            {"list_name": "webinar_leads", "contact_id": "c04", "added_at": None},
            {"list_name": "customers", "contact_id": "c04", "added_at": T + US},
            {"list_name": "webinar_leads", "contact_id": "c05", "added_at": T - DAY},
            {"list_name": " customers", "contact_id": "c05", "added_at": T - DAY},
            {"list_name": "Trade_Show", "contact_id": "c06", "added_at": T + DAY},
            {"list_name": "competitors", "contact_id": "c07", "added_at": None},
            {"list_name": "webinar_leads", "contact_id": "c08", "added_at": T},
            {"list_name": "trade_show", "contact_id": "c99", "added_at": None},
        ],
        "events": _events(
            ("c01", "page_view", T, "/pricing"),
            ("c01", "page_view", T - DAY * 5, "/pricing"),
            ("c01", "page_view", T - DAY * 5 + US, "https://acme.io/Pricing"),
            ("c03", "page_view", T + US, "/pricing"),
            ("c04", "page_view", T - DAY * 30, None),
            ("c04", "email_open", T - DAY * 15 + US, None),
            ("c08", "page_view", T - US, "/pricing"),
            ("c99", "page_view", T - DAY, "/pricing"),
        ),
        "deals": [],
        "contact_properties": [],
        "company_properties": [],
    }
    return Case(config=config, raw=raw)


def time_edges_case() -> Case:
    """Decay, windows, resets, frequency and inactivity exactly on their boundaries.

    Step and exponential decay (a factor above 1 too, a warning) at exactly 1
    and 2 decay periods and 1 us either side, a window ending exactly at an
    event, max_count 1 among equal times, a reset at the same instant as a
    hit and one after T (does not exist yet), inactivity exactly at whole
    idle periods, a frequency rule exactly at its within_days, negative
    engagement below zero, fit and score tiers with a tier above max_score.
    """
    config = _empty_config()
    config["scoring_models"] = [
        {
            "model_id": "edges",
            "description": "edges",
            "scope": "contact",
            "max_score": "50",
            "qualified_threshold": "12.5",
            "include_list": None,
            "exclude_list": None,
        },
        {
            "model_id": "pooled",
            "description": "pooled",
            "scope": "company",
            "max_score": "100",
            "qualified_threshold": "5",
            "include_list": None,
            "exclude_list": None,
        },
    ]
    for model_id in ("edges", "pooled"):
        config["scoring_groups"] += [
            {"model_id": model_id, "group_id": "e", "dimension": "engagement", "max_points": "20"},
            {"model_id": model_id, "group_id": "f", "dimension": "fit", "max_points": "25"},
        ]
        config["scoring_rules"] += [
            _rule(
                model_id,
                "step",
                group_id="e",
                rule_type="event",
                event_type="download",
                decay="step",
                decay_days="7",
                decay_factor="0.5",
                points="10",
            ),
            _rule(
                model_id,
                "expo",
                group_id="e",
                rule_type="event",
                event_type="download",
                decay="Exponential",
                decay_days="7",
                decay_factor="1.25",
                window_days="14",
                max_count="1",
                points="-3",
            ),
            _rule(
                model_id,
                "freq",
                group_id="f",
                rule_type="frequency",
                event_type="email_open",
                min_events="2",
                within_days="2",
                points="25",
            ),
            _rule(
                model_id,
                "idle",
                group_id="f",
                rule_type="inactivity",
                event_type="email_open",
                within_days="0.5",
                points="-1",
            ),
            _rule(
                model_id,
                "reset",
                group_id=None,
                rule_type="reset",
                event_type="unsubscribe",
                points=None,
            ),
        ]
        config["score_tiers"] += [
            {"model_id": model_id, "dimension": "score", "tier": "0", "min_score": "0"},
            {"model_id": model_id, "dimension": "score", "tier": "1", "min_score": "12.5"},
            {"model_id": model_id, "dimension": "score", "tier": "2", "min_score": "150"},
            {"model_id": model_id, "dimension": "fit", "tier": "A", "min_score": "20"},
        ]
    week = DAY * 7
    raw: dict[str, list[dict[str, Any]]] = {
        "companies": [],
        "contacts": [
            _contact("c01", T - DAY * 100, "k1"),
            _contact("c02", T - DAY * 100, "k1"),
            _contact("c03", T - DAY * 3, "k2"),
            _contact("c04", T, "k2"),
            _contact("c05", T - DAY * 700, None),
        ],
        "list_memberships": [],
        "events": _events(
            ("c01", "download", T - week, None),
            ("c01", "download", T - week + US, None),
            ("c01", "download", T - week * 2, None),
            ("c01", "download", T - week * 2 - US, None),
            ("c01", "email_open", T - DAY * 2, None),
            ("c01", "email_open", T - DAY * 2 + US, None),
            ("c02", "download", T - DAY, None),
            ("c02", "unsubscribe", T - DAY, None),
            ("c02", "download", T - DAY - US, None),
            ("c02", "email_open", T - DAY, None),
            ("c02", "email_open", T, None),
            ("c02", "unsubscribe", T + US, None),
            ("c03", "download", T - DAY * 14, None),
            ("c03", "email_open", T - DAY * 3, None),
            ("c04", "download", T + DAY, None),
            ("c05", "email_open", T - DAY * 600, None),
        ),
        "deals": [],
        "contact_properties": [],
        "company_properties": [],
    }
    return Case(config=config, raw=raw)


# --------------------------------------------------------------------------- the property
def run_case(case: Case, root: Path) -> list[str]:
    """Write, load and build the case under root; the invariants it violates."""
    data_dir = write_raw_dir(case.raw, root / "raw")
    project = copy_project(root / "project")
    write_config_dir(case.config, project / "seeds")
    database = root / "case.duckdb"
    counts = load_raw.load(data_dir, database)
    rejected = {table: c["rejected"] for table, c in counts.items() if c["rejected"]}
    assert not rejected, f"the loader rejected generated rows: {rejected}"
    run = quick_build(project, database)
    assert run.success, f"dbt build failed on a valid case:\n{run.text()[-8000:]}"
    with duckdb.connect(str(database), read_only=True) as con:
        errors = con.execute(
            "select config_file, model_id, item_id, problem from main.int_config_errors "
            "where severity = 'error'"
        ).fetchall()
    assert not errors, f"the generated config is invalid: {errors}"
    marts = {
        name: read_table(database, name)
        for name in ("lead_scores", "account_scores", "lead_score_contributions")
    }
    scored = sum(len(marts[name]) for name in ("lead_scores", "account_scores"))
    note(f"{scored} scored entities, {len(marts['lead_score_contributions'])} contributions")
    return check_invariants(case, marts)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=cases())
@example(case=lists_and_caps_case())
@example(case=time_edges_case())
def test_random_valid_cases_keep_scoring_invariants(case: Case) -> None:
    note(case.summary())
    root = Path(tempfile.mkdtemp(prefix="leadscore-property-"))
    try:
        if KEEP:
            note(f"example directory: {root}")
        problems = run_case(case, root)
        assert not problems, f"{len(problems)} invariant violations:\n" + "\n".join(problems[:40])
    finally:
        if not KEEP:
            shutil.rmtree(root, ignore_errors=True)
