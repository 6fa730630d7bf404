"""Random valid scoring configurations and edge-heavy raw data, for property tests.

Everything is driven by a ``random.Random`` so a seed reproduces a case:

- ``random_config(rng)``: the four config seeds as rows of text (``None`` for an
  empty cell), always valid (see ``config_problems``).
- ``random_raw(rng, as_of, config)``: typed raw rows (``datetime``, ``int``,
  ``float``, ``bool``, ``str`` or ``None``) aimed at the edges of ``config``:
  events exactly on decay-step, window and idle-period boundaries (and one
  microsecond either side), padded and mixed-case text, ``|`` alternatives,
  numbers stored as text, negative counts and amounts, invalid emails, null
  and empty values, contacts created and events
  occurring after T, duplicate event ids, companies without a row, custom
  properties and list memberships (joined all along, before T, exactly at T,
  1 us after T or later; some lists joined twice under two spellings of the
  name, at different times).
- ``random_case(seed)``: ``(raw, config, free_email_domains, as_of)``.
- ``write_config_dir`` / ``write_raw_dir``: CSV files a loader following the spec
  reads back to the same data (raw custom properties become extra columns).
"""

from __future__ import annotations

import csv
import random
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

from reference_scorer import (
    COMPANY_COLUMNS,
    CONFIG_COLUMNS,
    CONTACT_COLUMNS,
    DEAL_COLUMNS,
    EVENT_COLUMNS,
    LIST_MEMBERSHIP_COLUMNS,
    NUMERIC_OPERATORS,
    OPERATORS,
    STRING_OPERATORS,
    parse_number,
)

FREE_EMAIL_DOMAINS = {"gmail.com", "yahoo.com", "hotmail.com", "gmx.de", "proton.me"}
BUSINESS_DOMAINS = ["acme.io", "globex.com", "initech.de", "umbrella.co.uk"]

EVENT_TYPES = [
    "page_view",
    "email_open",
    "email_click",
    "email_bounce",
    "form_submit",
    "download",
    "webinar_attend",
    "demo_request",
    "trial_signup",
    "contact_sales",
    "unsubscribe",
    "support_ticket",
]
URLS = [
    "https://acme.io/pricing",
    "https://acme.io/Pricing?utm_medium=cpc",
    "/careers/jobs",
    "/docs/getting-started",
    "/DOCS/api",
    "/blog/ai",
    "/insights/retail",
    "https://acme.io/",
    " /pricing ",
    None,
    "",
    "   ",
]
DETAILS = [
    "Product Catalog 2025",
    "Support Request",
    "support",
    "Newsletter",
    "Pricing Calculator",
    "Dashboard Templates",
    "Analytics Webinar",
    "Insights Trial",
    " insights demo ",
    None,
    "",
    "  ",
]
EVENT_CONDITION_VALUES = {
    "event.url": ["/pricing", "utm_medium=cpc", "/careers", "/docs/", "/insights", "https://"],
    "event.detail": [
        "support",
        "product catalog",
        "newsletter",
        "pricing calculator",
        "dashboard template",
        "analytics",
        "insights",
        "webinar",
    ],
}
LIST_NAMES = ["customers", "competitors", "webinar_leads", "trade_show"]

# Rule field -> text alternatives / numbers its rules use.
TEXT_FIELD_VALUES: dict[str, list[str]] = {
    "contact.job_title": ["cto", "vp", "head of", "analyst", "engineer", "student", "director"],
    "contact.country": ["us", "de", "fr", "gb", "br", "in", "ca"],
    "contact.lead_source": ["web", "paid ads", "event", "referral"],
    "contact.lifecycle_stage": ["lead", "mql", "sql", "customer", "subscriber"],
    "contact.email": ["@gmail.com", "acme", "bob", "@"],
    "contact.email_domain": ["gmail.com", "acme.io", "yahoo.com", "globex.com", "initech.de"],
    "contact.is_free_email": ["true", "false"],
    "contact.phone": ["+1", "555", "0049"],
    "contact.owner_id": ["o1", "o2", "o3"],
    "contact.first_name": ["ann", "bob", "émile"],
    "contact.company_id": ["k1", "k2", "k3", "k9"],
    "contact.newsletter_opt_in": ["yes", "no"],
    "contact.score_hint": ["42", "1000000", "abc", "nan"],
    "company.name": ["acme", "globex", "initech"],
    "company.domain": ["acme.io", ".com", "globex"],
    "company.industry": ["software", "financial services", "retail", "healthcare", "media"],
    "company.country": ["us", "de", "fr", "gb", "br"],
    "company.tech_stack": ["snowflake", "bigquery", "redshift", "none"],
    "company.employee_count": ["200", "250", "5000", "12"],
    "company.annual_revenue": ["1000000", "12.5", "999.5"],
    "company.seats": ["10", "100", "7"],
}
NUMERIC_FIELD_VALUES: dict[str, list[str]] = {
    "company.employee_count": ["0", "10", "12", "200", "250", "250.0", "1e3", "5000", "5001"],
    "company.annual_revenue": ["0", "12.5", "999.5", "1e6", "1000000", "2500000.75", "-5"],
    "company.seats": ["7", "10", "100", "1e2", "-1"],
    "contact.score_hint": ["-12", "0", "3.5", "42", "1e6", "1000000"],
    "contact.phone": ["0", "555"],
    "company.industry": ["1"],
}
ATTRIBUTE_FIELDS = sorted(set(TEXT_FIELD_VALUES) | set(NUMERIC_FIELD_VALUES) | {"contact.nope"})

POINTS = ["10", "5", "-5", "-10", "2.5", "1", "15", "-2.5", "0.5", "20", "3", "40"]
MAX_POINTS = ["5", "10", "20", "25", "50", "60", "12.5", "100"]
DAY_CHOICES = ["1", "2", "3", "5", "7", "10", "14", "15", "30", "60", "90", "182", "0.5"]
DECAY_FACTORS = ["0.5", "1", "0.75", "0.25", "0.8"]  # step values stay free of .xx5 ties
TIER_NAMES = ["low", "medium", "high", "hot", "A", "B", "C", "1", "2", "3"]
TIER_MINIMA = ["0", "10", "20", "25", "40", "50.5", "60", "75", "80"]


# --------------------------------------------------------------------------- #
# Small helpers
# --------------------------------------------------------------------------- #
def vary(rng: random.Random, text: str) -> str:
    """The same text in another case and/or with space padding."""
    choice = rng.randrange(6)
    if choice == 1:
        text = text.upper()
    elif choice == 2:
        text = text.title()
    elif choice == 3:
        text = "".join(c.upper() if rng.random() < 0.5 else c for c in text)
    if rng.random() < 0.3:
        text = " " * rng.randint(1, 2) + text + " " * rng.randint(0, 2)
    return text


def pad(rng: random.Random, text: str) -> str:
    """The same id, sometimes padded with spaces (ids keep their case)."""
    return rng.choice([text, text, text, f" {text}", f"{text}  ", f" {text} "])


def _maybe(rng: random.Random, probability: float, value: Any) -> Any:
    return value if rng.random() < probability else None


def _alternatives(rng: random.Random, options: Sequence[str], most: int = 3) -> str:
    picked = rng.sample(list(options), k=min(len(options), rng.randint(1, most)))
    if rng.random() < 0.2:
        picked.append("zz-unmatched")
    rng.shuffle(picked)
    separator = rng.choice(["|", "|", " | ", "| "])
    return separator.join(vary(rng, alt) for alt in picked)


def _days(text: str) -> Fraction:
    return Fraction(text)


# --------------------------------------------------------------------------- #
# Configuration
# --------------------------------------------------------------------------- #
def _blank_rule(model_id: str, rule_id: str) -> dict[str, str | None]:
    row: dict[str, str | None] = dict.fromkeys(CONFIG_COLUMNS["scoring_rules"])
    row.update(model_id=model_id, rule_id=rule_id)
    return row


def _condition(rng: random.Random, row: dict[str, str | None], probability: float) -> None:
    """An optional event.url / event.detail condition."""
    if rng.random() >= probability:
        return
    name = rng.choice(["event.url", "event.detail"])
    row["field"] = vary(rng, name) if rng.random() < 0.3 else name
    operator = rng.choice([*STRING_OPERATORS, "contains", "contains", "is_set", "is_not_set"])
    row["operator"] = operator
    if operator not in ("is_set", "is_not_set"):
        row["value"] = _alternatives(rng, EVENT_CONDITION_VALUES[name])


def _attribute_value(rng: random.Random, name: str, operator: str) -> str | None:
    if operator in ("is_set", "is_not_set"):
        return None
    numbers = NUMERIC_FIELD_VALUES.get(name, ["0", "1", "42"])
    if operator == "between":
        low, high = sorted(
            rng.sample(numbers, 2) if len(numbers) > 1 else numbers * 2,
            key=lambda n: parse_number(n),
        )
        if rng.random() < 0.15:
            high = low
        return rng.choice(["{}|{}", " {} | {} ", "{} |{}"]).format(low, high)
    if operator in NUMERIC_OPERATORS:
        return rng.choice(numbers)
    if name in NUMERIC_FIELD_VALUES and rng.random() < 0.4:
        return _alternatives(rng, numbers)
    return _alternatives(rng, TEXT_FIELD_VALUES.get(name, ["x"]))


def random_config(rng: random.Random) -> dict[str, list[dict[str, str | None]]]:
    """A random VALID configuration (four seeds of text rows)."""
    config: dict[str, list[dict[str, str | None]]] = {name: [] for name in CONFIG_COLUMNS}
    scopes = ["contact", "company"] + [rng.choice(["contact", "company"])] * rng.randint(0, 1)
    for index, scope in enumerate(scopes, start=1):
        model_id = f"{'lead' if scope == 'contact' else 'acct'}_{index}"
        config["scoring_models"].append(
            {
                "model_id": model_id,
                "description": rng.choice([None, f"Model {index}, random", 'A "quoted" one']),
                "scope": scope,
                "max_score": rng.choice(["100", None, "50", "80.5", "30", "100"]),
                "qualified_threshold": rng.choice(["0", "20", "35.5", "50", "80", "100"]),
                "include_list": _maybe(rng, 0.3, _alternatives(rng, LIST_NAMES[2:], 2)),
                "exclude_list": _maybe(rng, 0.5, _alternatives(rng, LIST_NAMES, 2)),
            }
        )
        groups = []
        for g in range(1, rng.randint(1, 4) + 1):
            group = {
                "model_id": model_id,
                "group_id": f"g{g}",
                "dimension": rng.choice(["fit", "engagement"]),
                "max_points": rng.choice(MAX_POINTS),
            }
            groups.append(group)
            config["scoring_groups"].append(group)
        types = ["attribute"] * 3 + ["event"] * 4 + ["frequency"] * 2 + ["inactivity", "reset"]
        for r in range(1, rng.randint(3, 12) + 1):
            config["scoring_rules"].append(
                _random_rule(rng, model_id, f"r{r}", rng.choice(types), groups)
            )
        for dimension in ("score", "fit", "engagement"):
            if rng.random() < 0.15:
                continue  # no tiers for this dimension: the tier column is null
            minima = rng.sample(TIER_MINIMA, rng.randint(1, 4))
            if "0" not in minima and rng.random() < 0.6:
                minima[0] = "0"  # usually a floor tier, sometimes a null tier below the lowest
            names = rng.sample(TIER_NAMES, len(minima))
            for minimum, name in zip(minima, names, strict=True):
                config["score_tiers"].append(
                    {
                        "model_id": model_id,
                        "dimension": dimension,
                        "tier": name,
                        "min_score": minimum,
                    }
                )
    return config


def _random_rule(
    rng: random.Random, model_id: str, rule_id: str, rule_type: str, groups: list[dict]
) -> dict[str, str | None]:
    row = _blank_rule(model_id, rule_id)
    row["rule_type"] = rule_type
    row["description"] = rng.choice([None, f"{rule_type} rule {rule_id}", "with, comma"])
    row["group_id"] = rng.choice(groups)["group_id"]
    row["points"] = rng.choice(POINTS)
    event_type = rng.choice(EVENT_TYPES)
    if rule_type == "attribute":
        name = rng.choice(ATTRIBUTE_FIELDS)
        numeric = name in NUMERIC_FIELD_VALUES
        operators = list(OPERATORS) + (list(NUMERIC_OPERATORS) if numeric else [])
        operator = rng.choice(operators)
        row["field"] = vary(rng, name) if rng.random() < 0.3 else name
        row["operator"] = operator
        row["value"] = _attribute_value(rng, name, operator)
    elif rule_type == "event":
        row["event_type"] = vary(rng, event_type) if rng.random() < 0.2 else event_type
        _condition(rng, row, 0.4)
        row["max_count"] = rng.choice([None, None, "1", "1", "2", "3"])
        row["window_days"] = _maybe(rng, 0.35, rng.choice(DAY_CHOICES))
        decay = rng.choice(["none", None, "exponential", "step", "step"])
        row["decay"] = decay
        if decay in ("exponential", "step"):
            row["decay_days"] = rng.choice(DAY_CHOICES)
            row["decay_factor"] = rng.choice(DECAY_FACTORS)
    elif rule_type == "frequency":
        row["event_type"] = vary(rng, event_type) if rng.random() < 0.2 else event_type
        _condition(rng, row, 0.3)
        row["min_events"] = rng.choice(["1", "2", "3", "5"])
        row["within_days"] = rng.choice(DAY_CHOICES)
    elif rule_type == "inactivity":
        row["event_type"] = _maybe(rng, 0.4, event_type)
        _condition(rng, row, 0.2)
        row["points"] = rng.choice(["-5", "-2.5", "-1", "3"])
        row["max_count"] = rng.choice([None, "1", "2", "6"])
        row["within_days"] = rng.choice(DAY_CHOICES)
    else:  # reset
        row["event_type"] = rng.choice(["unsubscribe", "support_ticket", "form_submit"])
        _condition(rng, row, 0.3)
        row["points"] = None
        row["group_id"] = _maybe(rng, 0.3, row["group_id"])
    return row


def config_problems(config: dict[str, list[dict[str, str | None]]]) -> list[str]:
    """Why a configuration is not valid (empty when it is)."""
    problems: list[str] = []

    def number(value: str | None) -> Fraction | None:
        parsed = parse_number(value)
        return None if parsed is None else Fraction(parsed)

    models = {row["model_id"]: row for row in config["scoring_models"]}
    for row in config["scoring_models"]:
        if row["scope"] not in ("contact", "company"):
            problems.append(f"model {row['model_id']}: scope")
        if number(row["qualified_threshold"]) is None:
            problems.append(f"model {row['model_id']}: qualified_threshold")
        if row["max_score"] is not None and not (number(row["max_score"]) or 0) > 0:
            problems.append(f"model {row['model_id']}: max_score")
    groups = {(row["model_id"], row["group_id"]) for row in config["scoring_groups"]}
    for row in config["scoring_groups"]:
        if row["model_id"] not in models or row["dimension"] not in ("fit", "engagement"):
            problems.append(f"group {row['group_id']}: model or dimension")
        if not (number(row["max_points"]) or 0) > 0:
            problems.append(f"group {row['group_id']}: max_points")
    for row in config["scoring_rules"]:
        problems.extend(
            f"rule {row['model_id']}.{row['rule_id']}: {p}"
            for p in _rule_problems(row, groups, number)
        )
    tiers: dict[tuple, list[Fraction | None]] = {}
    for row in config["score_tiers"]:
        tiers.setdefault((row["model_id"], row["dimension"]), []).append(number(row["min_score"]))
        if row["dimension"] not in ("score", "fit", "engagement"):
            problems.append(f"tier {row['tier']}: dimension")
    for key, minima in tiers.items():
        if None in minima or len(set(minima)) != len(minima):
            problems.append(f"tiers {key}: min_score")
    return problems


def _rule_problems(row: dict, groups: set[tuple], number) -> list[str]:
    problems = []
    rule_type, operator, value = row["rule_type"], row["operator"], row["value"]
    if rule_type not in ("attribute", "event", "frequency", "inactivity", "reset"):
        return ["rule_type"]
    if rule_type == "reset":
        if row["points"] is not None:
            problems.append("reset with points")
    elif (row["model_id"], row["group_id"]) not in groups:
        problems.append("group")
    elif number(row["points"]) is None:
        problems.append("points")
    if row["field"] is not None or rule_type == "attribute":
        if operator not in OPERATORS:
            problems.append("operator")
        elif operator in ("is_set", "is_not_set"):
            pass
        elif operator == "between":
            parts = (value or "").split("|")
            bounds = [number(p.strip()) for p in parts]
            if len(parts) != 2 or None in bounds or bounds[0] > bounds[1]:
                problems.append("between value")
        elif operator in NUMERIC_OPERATORS:
            if number((value or "").strip()) is None:
                problems.append("numeric value")
        elif not value or any(not alt.strip() for alt in value.split("|")):
            problems.append("alternatives")
    if (
        rule_type != "attribute"
        and row["field"] is not None
        and row["field"].strip().lower() not in ("event.url", "event.detail")
    ):
        problems.append("event condition field")
    if rule_type in ("event", "frequency", "reset") and not (row["event_type"] or "").strip():
        problems.append("event_type")
    if rule_type == "event":
        if row["decay"] not in (None, "none", "exponential", "step"):
            problems.append("decay")
        if row["decay"] in ("exponential", "step"):
            factor = number(row["decay_factor"])
            if not (number(row["decay_days"]) or 0) > 0 or factor is None or not 0 < factor <= 1:
                problems.append("decay_days/decay_factor")
        if row["window_days"] is not None and not (number(row["window_days"]) or 0) > 0:
            problems.append("window_days")
    if rule_type == "frequency" and (
        not (number(row["min_events"]) or 0) >= 1 or not (number(row["within_days"]) or 0) > 0
    ):
        problems.append("min_events/within_days")
    if rule_type == "inactivity" and not (number(row["within_days"]) or 0) > 0:
        problems.append("within_days")
    if row["max_count"] is not None and not (number(row["max_count"]) or 0) >= 1:
        problems.append("max_count")
    return problems


# --------------------------------------------------------------------------- #
# Raw data
# --------------------------------------------------------------------------- #
def random_as_of(rng: random.Random) -> datetime:
    return rng.choice(
        [
            datetime(2025, 6, 30),
            datetime(2025, 6, 30, 12, 30, 15),
            datetime(2024, 2, 29, 23, 59, 59, 999_999),
            datetime(2026, 1, 1, 0, 0, 0, 500_000),
        ]
    )


def _config_days(config: dict | None) -> list[Fraction]:
    days: set[Fraction] = set()
    for row in (config or {}).get("scoring_rules", []):
        for column in ("window_days", "decay_days", "within_days"):
            if row.get(column):
                days.add(_days(row[column]))
    return sorted(days) or [Fraction(7), Fraction(30)]


def _config_event_types(config: dict | None) -> list[str]:
    types = {
        row["event_type"].strip().lower()
        for row in (config or {}).get("scoring_rules", [])
        if row.get("event_type")
    }
    return sorted(types) or EVENT_TYPES


def _edge_age(rng: random.Random, days: list[Fraction]) -> timedelta:
    """k whole periods of a configured day count, exactly or 1 us / 1 s either side."""
    period = rng.choice(days)
    k = rng.choice([0, 1, 1, 2, 3])
    micros = period * k * 86_400_000_000
    delta = rng.choice([0, 0, 0, 1, -1, 1_000_000])
    return timedelta(microseconds=int(micros) + delta)


def _occurred_at(rng: random.Random, as_of: datetime, days: list[Fraction]) -> datetime:
    roll = rng.random()
    if roll < 0.5:
        return as_of - _edge_age(rng, days)
    if roll < 0.6:
        return as_of + timedelta(days=rng.randint(0, 20), microseconds=rng.randint(1, 10**6))
    if roll < 0.65:
        return as_of
    return as_of - timedelta(days=rng.uniform(0, 400))


def _added_at(rng: random.Random, as_of: datetime, days: list[Fraction]) -> datetime | None:
    """When a contact joined a list: None (all along), at, just around or well
    before or after T."""
    roll = rng.random()
    if roll < 0.3:
        return None
    if roll < 0.45:
        return as_of
    if roll < 0.6:
        return as_of + timedelta(microseconds=rng.choice([1, -1, 10**6, -(10**6)]))
    if roll < 0.75:
        return as_of + timedelta(days=rng.uniform(0, 300))
    if roll < 0.85:
        return as_of - _edge_age(rng, days)
    return as_of - timedelta(days=rng.uniform(0, 500))


def _other_spelling(rng: random.Random, list_name: str) -> str:
    """The same list under a name that is another key for a loader (case differs)."""
    name = list_name.strip()
    other = name.upper() if name != name.upper() else name.lower()
    return rng.choice([other, f" {other}", f"{other} "])


def _email(rng: random.Random, index: int) -> str | None:
    local = rng.choice(["ann", "Bob", "c.lee", "dev+test"]) + str(index)
    domain = rng.choice([*sorted(FREE_EMAIL_DOMAINS), *BUSINESS_DOMAINS])
    roll = rng.random()
    if roll < 0.6:
        return vary(rng, f"{local}@{domain}")
    return rng.choice(
        [
            None,
            "",
            "   ",
            local,
            f"{local}@",
            f"{local}@ ",
            f"{local}@x@{domain}",
            f"{local}@ {domain.upper()}",
            f"{local}@{domain} ",
        ]
    )


def random_raw(
    rng: random.Random, as_of: datetime, config: dict | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Typed raw rows aimed at the edges of ``config`` (or of a default set of days)."""
    days = _config_days(config)
    event_types = _config_event_types(config)
    raw: dict[str, list[dict[str, Any]]] = {
        "contacts": [],
        "companies": [],
        "events": [],
        "deals": [],
        "list_memberships": [],
        "contact_properties": [],
        "company_properties": [],
    }

    # Companies: k1..kn, some without a row (still referenced by contacts).
    company_ids = [f"k{i}" for i in range(1, rng.randint(2, 5) + 1)] + ["k9"]
    tech_header = rng.choice(["tech_stack", "Tech_Stack", " TECH_STACK "])
    seats_header = rng.choice(["seats", "Seats"])
    for company_id in company_ids:
        if company_id == "k9" or rng.random() < 0.15:
            continue  # a company without a row
        raw["companies"].append(
            {
                "company_id": pad(rng, company_id),
                "name": rng.choice(["Acme", " globex ", "INITECH", None, ""]),
                "domain": rng.choice(["acme.io", "Globex.com", None]),
                "industry": rng.choice(
                    [
                        "Software",
                        "software ",
                        " Financial Services",
                        "Retail",
                        "healthcare",
                        "Media",
                        "ecommerce",
                        "1",
                        None,
                        "",
                        "  ",
                    ]
                ),
                "employee_count": rng.choice([None, 0, 10, 12, 200, 250, 5000, 5001, 1000, -12]),
                "annual_revenue": rng.choice(
                    [None, 1000000.0, 12.5, 2500000.75, 0.0, -5.0, 999.5, 1e6 + 0.25]
                ),
                "country": rng.choice(["US", " de", "FR", "br", None]),
            }
        )
        if rng.random() < 0.7:
            value = rng.choice(["Snowflake", " bigquery ", "none", "Redshift", "", "  "])
            raw["company_properties"].append(
                {"company_id": company_id, "property": tech_header, "value": value}
            )
        if rng.random() < 0.5:
            value = rng.choice(["10", "1e2", "010", " 7 ", "x", "", "100.0", "-1"])
            raw["company_properties"].append(
                {"company_id": company_id, "property": seats_header, "value": value}
            )

    # Contacts: some created exactly on period boundaries, at T, or after T.
    opt_in_header = rng.choice(["newsletter_opt_in", "Newsletter_Opt_In"])
    hint_header = rng.choice(["score_hint", " Score_Hint "])
    contact_ids = [f"c{i:02d}" for i in range(1, rng.randint(4, 12) + 1)]
    for index, contact_id in enumerate(contact_ids):
        roll = rng.random()
        if roll < 0.4:
            created_at = as_of - _edge_age(rng, days)
        elif roll < 0.5:
            created_at = as_of
        elif roll < 0.6:
            created_at = as_of + timedelta(microseconds=rng.choice([1, 10**6, 86_400 * 10**6]))
        else:
            created_at = as_of - timedelta(days=rng.uniform(0, 500))
        company_id = rng.choice([*company_ids, *company_ids, None, "", "  "])
        if company_id and rng.random() < 0.3:
            company_id = f" {company_id} "
        raw["contacts"].append(
            {
                "contact_id": pad(rng, contact_id),
                "email": _email(rng, index),
                "first_name": rng.choice(["Ann", " bob", "Émile", None]),
                "last_name": rng.choice(["Lee", "Ray", None, ""]),
                "job_title": rng.choice(
                    [
                        "CTO",
                        "VP Engineering",
                        " head of data ",
                        "Data Analyst",
                        "Software Engineer",
                        "Student",
                        "Recruiter",
                        "Director of IT",
                        "intern",
                        None,
                        "",
                        "  ",
                    ]
                ),
                "phone": rng.choice(["+1 555 0100", "0049 30 1234", "555", "", None]),
                "country": rng.choice(["US", "us", " DE ", "FR", "BR", "IN", "gb", None, ""]),
                "company_id": company_id,
                "lead_source": rng.choice(["web", "Paid Ads", " event", "referral", None]),
                "lifecycle_stage": rng.choice(["lead", "MQL", "sql", "customer", None]),
                "owner_id": rng.choice(["o1", "O2", " o3 ", None, ""]),
                "created_at": created_at,
            }
        )
        if rng.random() < 0.6:
            value = rng.choice(["Yes", " yes ", "no", "NO", "", "  "])
            raw["contact_properties"].append(
                {"contact_id": contact_id, "property": opt_in_header, "value": value}
            )
        if rng.random() < 0.6:
            value = rng.choice(
                ["1000000.0", "1e6", " 42 ", "1,000", "nan", "-12", "3.5", "abc", "", "0"]
            )
            raw["contact_properties"].append(
                {"contact_id": contact_id, "property": hint_header, "value": value}
            )
        for list_name in rng.sample(LIST_NAMES, rng.choice([0, 0, 1, 1, 2])):
            raw["list_memberships"].append(
                {"list_name": vary(rng, list_name), "contact_id": pad(rng, contact_id)}
            )

    # Events, including some of unknown contacts and duplicated event ids.
    events = raw["events"]
    for contact_id in [*contact_ids, "c99"]:
        for _ in range(rng.choice([0, 1, 3, 5, 8, 12])):
            event_type = rng.choice(event_types) if rng.random() < 0.75 else rng.choice(EVENT_TYPES)
            events.append(
                {
                    "event_id": f"e{len(events) + 1:04d}",
                    "contact_id": pad(rng, contact_id),
                    "event_type": vary(rng, event_type) if rng.random() < 0.3 else event_type,
                    "occurred_at": _occurred_at(rng, as_of, days),
                    "url": rng.choice(URLS),
                    "detail": rng.choice(DETAILS),
                }
            )
    for original in rng.sample(events, k=min(len(events), rng.randint(0, 3))):
        duplicate = dict(original)
        if rng.random() < 0.5:
            # Same time, another event type: the greatest (lowercased) type wins.
            others = [t for t in EVENT_TYPES if t != original["event_type"].strip().lower()]
            duplicate["event_type"] = rng.choice(others)
        else:
            # Another time on the same side of T: the latest wins.
            shift = timedelta(days=rng.choice([-3, -1, 1, 2]), microseconds=rng.randint(1, 999))
            before = original["occurred_at"] <= as_of
            moved = original["occurred_at"] + shift
            if (moved <= as_of) != before:
                moved = original["occurred_at"] - abs(shift)
            if (moved <= as_of) != before:
                continue  # keep both rows on the same side of T
            duplicate["occurred_at"] = moved
        duplicate["url"] = rng.choice(URLS)
        events.insert(rng.randrange(len(events) + 1), duplicate)
    if events and rng.random() < 0.3:
        events[0]["event_id"] = f" {events[0]['event_id']} "

    for d in range(rng.randint(0, 3)):
        created = as_of - timedelta(days=rng.randint(1, 300))
        raw["deals"].append(
            {
                "deal_id": f"d{d}",
                "company_id": rng.choice(company_ids),
                "contact_id": rng.choice([*contact_ids, None]),
                "created_at": created,
                "closed_at": _maybe(rng, 0.5, created + timedelta(days=10)),
                "stage": rng.choice(["open", "won", "lost"]),
                "amount": rng.choice([None, 5000.0, 12.5]),
                "is_won": rng.choice([True, False, None]),
            }
        )

    # List membership times, drawn last so the rows above do not depend on
    # them. A few memberships get a second row for the same list (another
    # spelling, so another key for the loader) joined at another time: the
    # contact is a member at T when either row says so.
    memberships = raw["list_memberships"]
    for row in memberships:
        row["added_at"] = _added_at(rng, as_of, days)
    for original in rng.sample(memberships, k=min(len(memberships), rng.randint(0, 2))):
        again = {
            "list_name": _other_spelling(rng, original["list_name"]),
            "contact_id": pad(rng, original["contact_id"].strip()),
            "added_at": _added_at(rng, as_of, days),
        }
        memberships.insert(rng.randrange(len(memberships) + 1), again)
    return raw


def random_case(
    seed: int,
) -> tuple[dict[str, list[dict]], dict[str, list[dict]], set[str], datetime]:
    """(raw, config, free_email_domains, as_of) for one seed."""
    rng = random.Random(seed)
    config = random_config(rng)
    as_of = random_as_of(rng)
    raw = random_raw(rng, as_of, config)
    return raw, config, set(FREE_EMAIL_DOMAINS), as_of


# --------------------------------------------------------------------------- #
# Writers
# --------------------------------------------------------------------------- #
def write_config_dir(config: dict[str, list[dict]], path: str | Path) -> Path:
    """The four seeds as CSV (header order of the spec; None -> empty cell)."""
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    for name, columns in CONFIG_COLUMNS.items():
        with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(columns)
            for row in config.get(name, []):
                writer.writerow(["" if row.get(c) is None else row[c] for c in columns])
    return folder


def write_free_email_domains(domains: set[str], path: str | Path) -> Path:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["domain"])
        writer.writerows([domain] for domain in sorted(domains))
    return target


def _csv_field(value: Any) -> str:
    """One CSV cell: None -> empty; text quoted when it needs it (or has padding)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime):
        return value.isoformat() + "Z"
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    if text == "" or text != text.strip() or any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _write_rows(path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        handle.write(",".join(_csv_field(name) for name in header) + "\n")
        for row in rows:
            handle.write(",".join(_csv_field(value) for value in row) + "\n")


def _key(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _null_last(value: Any) -> tuple[int, str]:
    text = None if value is None else str(value).strip() or None
    return (0, "") if text is None else (1, text)


def _events_winner_first(events: list[dict]) -> list[dict]:
    """Rows of one event_id next to each other, the semantics' winner first.

    A loader that keeps the first row of a duplicated key then holds the same
    event as the raw rows' deduplication (latest occurred_at; ties: the greatest
    lowercased event_type, url, detail).
    """
    order: dict[str, list[dict]] = {}
    for row in events:
        order.setdefault(_key(row.get("event_id")), []).append(row)

    def rank(row: dict) -> tuple:
        event_type = row.get("event_type")
        return (
            row["occurred_at"],
            _null_last(None if event_type is None else str(event_type).lower()),
            _null_last(row.get("url")),
            _null_last(row.get("detail")),
        )

    result: list[dict] = []
    for rows in order.values():
        result.extend(sorted(rows, key=rank, reverse=True))
    return result


def write_raw_dir(raw: dict[str, list[dict]], path: str | Path) -> Path:
    """Raw tables as ``<table>.csv``; custom properties as extra columns."""
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    for table, columns, properties, id_column in (
        ("contacts", CONTACT_COLUMNS, "contact_properties", "contact_id"),
        ("companies", COMPANY_COLUMNS, "company_properties", "company_id"),
    ):
        headers: list[str] = []
        values: dict[tuple[str, str], Any] = {}
        for row in raw.get(properties, []):
            if row["property"] not in headers:
                headers.append(row["property"])
            values[(_key(row[id_column]), row["property"])] = row["value"]
        rows = [
            [row.get(c) for c in columns] + [values.get((_key(row[id_column]), h)) for h in headers]
            for row in raw.get(table, [])
        ]
        _write_rows(folder / f"{table}.csv", [*columns, *headers], rows)
    events = _events_winner_first(raw.get("events", []))
    _write_rows(
        folder / "events.csv", EVENT_COLUMNS, [[r.get(c) for c in EVENT_COLUMNS] for r in events]
    )
    for table, columns in (("deals", DEAL_COLUMNS), ("list_memberships", LIST_MEMBERSHIP_COLUMNS)):
        _write_rows(
            folder / f"{table}.csv",
            columns,
            [[r.get(c) for c in columns] for r in raw.get(table, [])],
        )
    return folder
