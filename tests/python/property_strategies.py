"""Hypothesis strategies: small VALID scoring configurations and raw data around T.

``cases()`` draws a :class:`Case`: the four config seeds (rows of text, ``None``
for an empty cell, as ``random_cases.write_config_dir`` writes them) and the
raw tables (typed rows, as ``random_cases.write_raw_dir`` writes them) for the
fixed score time ``T`` (``conftest.E2E_AS_OF``).

Configurations respect every error check of ``models/intermediate/int_config_errors.sql``
(unique model, group, rule and tier ids; known models and groups; a scope, a
dimension, a number as qualified_threshold, max_score > 0, max_points > 0;
the parameters of each rule type: an attribute field and operator, an event
type for event, frequency and reset rules, an operator with every condition
field, a value of the right form for the operator, max_count a whole number
>= 1, window_days > 0, decay_days > 0 and decay_factor > 0 with a decay,
min_events a whole number >= 1 and within_days > 0; tier min_scores unique per
model and dimension). Warnings are allowed and some are drawn on purpose (a
decay_factor above 1, points on a reset rule, a rule without description, a
qualified_threshold above max_score, vocabulary in another case, padded ids).

Raw data is small (5-30 contacts) and aimed at the configuration: attribute
values from the same pools the rules draw their values from (so rules hit or
miss), events of the configured types at exact multiples of the configured
window, decay and within periods (and 1 us / 1 s either side), at T, just
after T and up to a few days after it, contacts created before, at and after
T, companies without a row, and list memberships with and without added_at
(before, at, 1 us after T), some under another spelling of the list name.
Every timestamp lies between 2024-01-01 and T + 3 days, so the loader rejects
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

from conftest import E2E_AS_OF
from hypothesis import strategies as st
from reference_scorer import CONFIG_COLUMNS, NUMERIC_OPERATORS, STRING_OPERATORS

T = E2E_AS_OF
EARLIEST = datetime(2024, 1, 1)
LATEST = T + timedelta(days=3)
DAY_US = 86_400_000_000

Row = dict[str, Any]
ConfigRows = dict[str, list[dict[str, str | None]]]
RawRows = dict[str, list[Row]]


@dataclass
class Case:
    """One example: config seeds (text cells) and raw tables (typed cells)."""

    config: ConfigRows
    raw: RawRows = field(default_factory=dict)

    def summary(self) -> str:
        lines = []
        for name in ("scoring_models", "scoring_groups", "scoring_rules", "score_tiers"):
            lines.append(f"{name}:")
            lines.extend(f"  {_compact(row)}" for row in self.config.get(name, []))
        for name, rows in self.raw.items():
            lines.append(f"raw {name}: {len(rows)} rows")
        return "\n".join(lines)


def _compact(row: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in row.items() if v is not None)


# --------------------------------------------------------------------------- pools
# Raw values and the rule values drawn from them (lowercased parts hit, "zz" misses).
JOB_TITLES = ["CTO", "VP Engineering", "Data Analyst", "Student", " head of data ", None, ""]
COUNTRIES = ["US", "de", " FR ", "BR", "gb", None]
LEAD_SOURCES = ["web", "Paid Ads", "event", "referral", None]
STAGES = ["lead", "MQL", "sql", "customer", None]
OWNERS = ["o1", "O2", " o3 ", None]
EMAIL_DOMAINS = ["gmail.com", "yahoo.com", "acme.io", "globex.com", "Initech.DE"]
OPT_IN = ["yes", "No", " YES ", ""]
INDUSTRIES = ["Software", "retail ", "Financial Services", "healthcare", "Media", None]
EMPLOYEES = [None, 0, 12, 200, 250, 5000, 5001]
REVENUES = [None, 0.0, 12.5, 999.5, 1_000_000.0, 2_500_000.75]
TECH_STACKS = ["Snowflake", " bigquery ", "none", ""]

TEXT_RULE_VALUES: dict[str, list[str]] = {
    "contact.job_title": ["cto", "vp", "analyst", "head of", "student", "engineer", "zz"],
    "contact.country": ["us", "de", "fr", "br", "gb", "in", "zz"],
    "contact.lead_source": ["web", "paid ads", "event", "referral", "zz"],
    "contact.lifecycle_stage": ["lead", "mql", "sql", "customer", "zz"],
    "contact.owner_id": ["o1", "o2", "o3", "zz"],
    "contact.email": ["@gmail.com", "acme", "ann", "zz"],
    "contact.email_domain": ["gmail.com", "acme.io", "yahoo.com", "initech.de", "zz"],
    "contact.is_free_email": ["true", "false"],
    "contact.newsletter_opt_in": ["yes", "no", "zz"],
    "contact.nope": ["x"],
    "company.name": ["acme", "globex", "zz"],
    "company.industry": ["software", "retail", "financial services", "media", "zz"],
    "company.country": ["us", "de", "fr", "zz"],
    "company.tech_stack": ["snowflake", "bigquery", "none", "zz"],
    "company.employee_count": ["200", "250", "12", "5000"],
    "company.annual_revenue": ["12.5", "1000000", "999.5"],
}
NUMERIC_RULE_VALUES: dict[str, list[str]] = {
    "company.employee_count": ["0", "12", "200", "250", "250.0", "1e3", "5000", "5001"],
    "company.annual_revenue": ["0", "12.5", "999.5", "1e6", "1000000", "2500000.75", "-5"],
    "contact.newsletter_opt_in": ["0", "1"],
}
ATTRIBUTE_FIELDS = sorted(set(TEXT_RULE_VALUES) | set(NUMERIC_RULE_VALUES))
SET_OPERATORS = ["is_set", "is_not_set"]
# Operators comparing with one number (between takes two, drawn on its own).
COMPARISONS = [operator for operator in NUMERIC_OPERATORS if operator != "between"]

EVENT_TYPES = ["page_view", "email_open", "form_submit", "download", "demo_request"]
RESET_TYPES = ["unsubscribe", "support_ticket", "form_submit"]
OTHER_EVENT_TYPES = ["webinar_attend", "email_bounce"]
URLS = ["https://acme.io/pricing", "/Pricing?utm=cpc", "/careers/jobs", "/docs/api", None, ""]
DETAILS = ["Product Catalog", "Support Request", "newsletter", "Pricing Calculator", None, ""]
CONDITION_VALUES = {
    "event.url": ["/pricing", "utm=", "/careers", "/docs", "https://", "zz"],
    "event.detail": ["support", "product catalog", "newsletter", "pricing", "zz"],
}

LIST_NAMES = ["customers", "competitors", "webinar_leads", "trade_show"]
DAY_CHOICES = ["1", "2", "5", "7", "15", "30", "90", "182", "0.5"]
POINTS = ["10", "5", "-5", "-10", "2.5", "-2.5", "1", "15", "20", "40", "0"]
MAX_POINTS = ["5", "10", "12.5", "20", "25", "50", "100"]
DECAY_FACTORS = ["0.5", "0.75", "0.25", "1", "1.25"]  # 1.25: a warning, still valid
TIER_MINIMA = ["-5", "0", "10", "20", "25", "40", "50.5", "75", "80", "100", "150"]
TIER_NAMES = ["low", "medium", "high", "hot", "A", "B", "C", "1", "2", "3", "x y"]


# --------------------------------------------------------------------------- helpers
def spelled(text: str) -> st.SearchStrategy[str]:
    """The same text in another case and/or padded with spaces (trimmed, case-insensitive)."""
    return st.sampled_from(
        [text, text, text.upper(), text.title(), f" {text}", f"{text.upper()}  "]
    )


def padded(identifier: str) -> st.SearchStrategy[str]:
    """An id, sometimes padded with spaces (ids are trimmed, case kept)."""
    return st.sampled_from([identifier, identifier, identifier, f" {identifier}", f"{identifier} "])


def alternatives(options: list[str], most: int = 3) -> st.SearchStrategy[str]:
    """`a|b|c` from options (each alternative non-empty), spelled and spaced at random."""
    return st.builds(
        lambda picked, separator, cased: separator.join(
            value.upper() if upper else value for value, upper in zip(picked, cased, strict=False)
        ),
        st.lists(st.sampled_from(options), min_size=1, max_size=most, unique=True),
        st.sampled_from(["|", "|", " | ", "| "]),
        st.lists(st.booleans(), min_size=most, max_size=most),
    )


def blank_rule(model_id: str, rule_id: str) -> dict[str, str | None]:
    row: dict[str, str | None] = dict.fromkeys(CONFIG_COLUMNS["scoring_rules"])
    row["model_id"] = model_id
    row["rule_id"] = rule_id
    return row


# --------------------------------------------------------------------------- rules
@st.composite
def attribute_parts(draw: st.DrawFn) -> tuple[str, str, str | None]:
    """(field, operator, value) of an attribute rule, valid for the operator."""
    name = draw(st.sampled_from(ATTRIBUTE_FIELDS))
    numeric = name in NUMERIC_RULE_VALUES
    kinds = ["text", "text", "set"] + (["number", "number", "between"] if numeric else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "set":
        return name, draw(st.sampled_from(SET_OPERATORS)), None
    if kind == "number":
        return (
            name,
            draw(st.sampled_from(COMPARISONS)),
            draw(st.sampled_from(NUMERIC_RULE_VALUES[name])),
        )
    if kind == "between":
        numbers = NUMERIC_RULE_VALUES[name]
        low, high = sorted(
            draw(st.lists(st.sampled_from(numbers), min_size=2, max_size=2)), key=float
        )
        separator = draw(st.sampled_from(["|", " | "]))
        return name, "between", f"{low}{separator}{high}"
    operator = draw(st.sampled_from(STRING_OPERATORS))
    return name, operator, draw(alternatives(TEXT_RULE_VALUES[name]))


@st.composite
def event_condition(draw: st.DrawFn, probability_pct: int) -> tuple[str | None, ...]:
    """(field, operator, value) of an optional event.url / event.detail condition."""
    if draw(st.integers(0, 99)) >= probability_pct:
        return None, None, None
    name = draw(st.sampled_from(sorted(CONDITION_VALUES)))
    operator = draw(st.sampled_from([*STRING_OPERATORS, "contains", "contains", *SET_OPERATORS]))
    value = None if operator in SET_OPERATORS else draw(alternatives(CONDITION_VALUES[name], 2))
    return name, operator, value


def vocabulary(word: str) -> st.SearchStrategy[str]:
    """Config vocabulary (rule_type, operator, decay, scope, dimension): any case, padded."""
    return st.sampled_from([word, word, word, word.upper(), f" {word.title()} "])


@st.composite
def rules(draw: st.DrawFn, model_id: str, rule_id: str, groups: list[str]) -> dict:
    """One valid rule of a random type for a model with `groups`."""
    rule_type = draw(
        st.sampled_from(["attribute", "attribute", "event", "event", "event"])
        | st.sampled_from(["frequency", "inactivity", "reset"])
    )
    row = blank_rule(model_id, draw(padded(rule_id)))
    row["rule_type"] = draw(vocabulary(rule_type))
    row["description"] = draw(st.sampled_from([f"{rule_type} {rule_id}", None, "a, b"]))
    row["group_id"] = draw(st.sampled_from(groups).flatmap(padded))
    row["points"] = draw(st.sampled_from(POINTS))
    if rule_type == "attribute":
        name, operator, value = draw(attribute_parts())
        row["field"] = draw(spelled(name))
        row["operator"] = draw(vocabulary(operator))
        row["value"] = value
        return row
    if rule_type == "reset":
        row["event_type"] = draw(st.sampled_from(RESET_TYPES).flatmap(spelled))
        row["points"] = draw(st.sampled_from([None, None, None, "5"]))  # points: a warning
        row["group_id"] = draw(st.none() | st.just(row["group_id"]))
    elif rule_type == "inactivity":
        row["event_type"] = draw(st.none() | st.sampled_from(EVENT_TYPES))
        row["points"] = draw(st.sampled_from(["-5", "-2.5", "-1", "-10", "3"]))
        row["max_count"] = draw(st.sampled_from([None, "1", "2", "6"]))
        row["within_days"] = draw(st.sampled_from(DAY_CHOICES))
    else:
        row["event_type"] = draw(st.sampled_from(EVENT_TYPES).flatmap(spelled))
    if rule_type == "event":
        row["max_count"] = draw(st.sampled_from([None, None, "1", "2", "3"]))
        row["window_days"] = draw(st.none() | st.sampled_from(DAY_CHOICES))
        decay = draw(st.sampled_from([None, "none", "exponential", "step", "step"]))
        row["decay"] = None if decay is None else draw(vocabulary(decay))
        if decay in ("exponential", "step"):
            row["decay_days"] = draw(st.sampled_from(DAY_CHOICES))
            row["decay_factor"] = draw(st.sampled_from(DECAY_FACTORS))
    elif rule_type == "frequency":
        row["min_events"] = draw(st.sampled_from(["1", "2", "3", "4"]))
        row["within_days"] = draw(st.sampled_from(DAY_CHOICES))
    probability = {"event": 40, "frequency": 30, "inactivity": 20, "reset": 30}[rule_type]
    name, operator, value = draw(event_condition(probability))
    row["field"] = None if name is None else draw(spelled(name))
    row["operator"] = None if operator is None else draw(vocabulary(operator))
    row["value"] = value
    return row


# --------------------------------------------------------------------------- configs
@st.composite
def configs(draw: st.DrawFn) -> ConfigRows:
    """1-3 models, each with 1-3 groups, 1-7 rules and 0-4 tiers per dimension."""
    config: ConfigRows = {name: [] for name in CONFIG_COLUMNS}
    scopes = draw(st.lists(st.sampled_from(["contact", "company"]), min_size=1, max_size=3))
    for index, scope in enumerate(scopes, start=1):
        model_id = f"m{index}_{scope}"
        list_filter = st.none() | alternatives(LIST_NAMES, 2)
        config["scoring_models"].append(
            {
                "model_id": draw(padded(model_id)),
                "description": draw(st.sampled_from([f"model {index}", None])),
                "scope": draw(vocabulary(scope)),
                "max_score": draw(st.sampled_from(["50", "100", "200", None, "80.5"])),
                "qualified_threshold": draw(
                    st.sampled_from(["0", "20", "35.5", "50", "80", "100", "250"])
                ),
                "include_list": draw(st.none() | st.none() | list_filter),
                "exclude_list": draw(list_filter),
            }
        )
        group_ids = [f"g{g}" for g in range(1, draw(st.integers(1, 3)) + 1)]
        for group_id in group_ids:
            config["scoring_groups"].append(
                {
                    "model_id": model_id,
                    "group_id": draw(padded(group_id)),
                    "dimension": draw(st.sampled_from(["fit", "engagement"]).flatmap(vocabulary)),
                    "max_points": draw(st.sampled_from(MAX_POINTS)),
                }
            )
        for r in range(1, draw(st.integers(1, 7)) + 1):
            config["scoring_rules"].append(draw(rules(model_id, f"r{r}", group_ids)))
        for dimension in ("score", "fit", "engagement"):
            minima = draw(st.lists(st.sampled_from(TIER_MINIMA), max_size=4, unique=True))
            names = draw(
                st.lists(
                    st.sampled_from(TIER_NAMES),
                    min_size=len(minima),
                    max_size=len(minima),
                    unique=True,
                )
            )
            for minimum, name in zip(minima, names, strict=True):
                config["score_tiers"].append(
                    {
                        "model_id": model_id,
                        "dimension": draw(vocabulary(dimension)),
                        "tier": draw(padded(name)),
                        "min_score": minimum,
                    }
                )
    return config


# --------------------------------------------------------------------------- raw data
def config_days(config: ConfigRows) -> list[Fraction]:
    """Every window, decay and within period of the config (edges of the data)."""
    days = {
        Fraction(row[column])
        for row in config["scoring_rules"]
        for column in ("window_days", "decay_days", "within_days")
        if row.get(column)
    }
    return sorted(days) or [Fraction(7)]


def config_event_types(config: ConfigRows) -> list[str]:
    types = {
        row["event_type"].strip().lower()
        for row in config["scoring_rules"]
        if row.get("event_type")
    }
    return sorted(types | set(OTHER_EVENT_TYPES))


def clamp_time(moment: datetime) -> datetime:
    return min(max(moment, EARLIEST), LATEST)


def timestamps(days: list[Fraction]) -> st.SearchStrategy[datetime]:
    """Around T: k whole periods before it (exactly, 1 us or 1 s either side), at T,
    up to 3 days after it, or anywhere from 2024-01-01 to T."""
    edge = st.builds(
        lambda period, k, delta: clamp_time(
            T - timedelta(microseconds=int(period * k * DAY_US) + delta)
        ),
        st.sampled_from(days),
        st.integers(0, 3),
        st.sampled_from([0, 0, 1, -1, 1_000_000, -1_000_000]),
    )
    span = int((T - EARLIEST).total_seconds())
    anywhere = st.integers(0, span).map(lambda s: T - timedelta(seconds=s))
    after = st.integers(1, 3 * 86_400).map(lambda s: T + timedelta(seconds=s))
    return st.one_of(edge, edge, anywhere, anywhere, st.just(T), after)


def added_ats() -> st.SearchStrategy[datetime | None]:
    """When a contact joined a list: all along (None), before, at or just after T."""
    return st.one_of(
        st.none(),
        st.just(T),
        st.sampled_from([T - timedelta(microseconds=1), T + timedelta(microseconds=1)]),
        st.integers(1, 3 * 86_400).map(lambda s: T + timedelta(seconds=s)),
        st.integers(1, 600 * 86_400).map(lambda s: T - timedelta(seconds=s)),
    )


@st.composite
def emails(draw: st.DrawFn, index: int) -> str | None:
    local = draw(st.sampled_from(["ann", "Bob", "c.lee"])) + str(index)
    domain = draw(st.sampled_from(EMAIL_DOMAINS))
    return draw(st.sampled_from([f"{local}@{domain}"] * 4 + [local, None, f" {local}@{domain} "]))


@st.composite
def raw_data(draw: st.DrawFn, config: ConfigRows) -> RawRows:
    """Raw tables aimed at the edges of `config`."""
    days = config_days(config)
    event_types = config_event_types(config)
    moments = timestamps(days)
    raw: RawRows = {
        "contacts": [],
        "companies": [],
        "events": [],
        "deals": [],
        "list_memberships": [],
        "contact_properties": [],
        "company_properties": [],
    }
    company_ids = [f"k{i}" for i in range(1, draw(st.integers(1, 5)) + 1)]
    for company_id in company_ids:
        if not draw(st.integers(0, 6)):
            continue  # a company without a row, still referenced by contacts
        raw["companies"].append(
            {
                "company_id": draw(padded(company_id)),
                "name": draw(st.sampled_from(["Acme", " globex ", None])),
                "domain": draw(st.sampled_from(["acme.io", None])),
                "industry": draw(st.sampled_from(INDUSTRIES)),
                "employee_count": draw(st.sampled_from(EMPLOYEES)),
                "annual_revenue": draw(st.sampled_from(REVENUES)),
                "country": draw(st.sampled_from(COUNTRIES)),
            }
        )
        if draw(st.booleans()):
            raw["company_properties"].append(
                {
                    "company_id": company_id,
                    "property": "tech_stack",
                    "value": draw(st.sampled_from(TECH_STACKS)),
                }
            )

    contact_ids = [f"c{i:02d}" for i in range(1, draw(st.integers(5, 30)) + 1)]
    company_choices = st.sampled_from([*company_ids, "k9", None, ""]).flatmap(
        lambda c: st.just(c) if not c else padded(c)
    )
    for index, contact_id in enumerate(contact_ids):
        raw["contacts"].append(
            {
                "contact_id": draw(padded(contact_id)),
                "email": draw(emails(index)),
                "first_name": draw(st.sampled_from(["Ann", "Bob", None])),
                "last_name": "Lee",
                "job_title": draw(st.sampled_from(JOB_TITLES)),
                "phone": None,
                "country": draw(st.sampled_from(COUNTRIES)),
                "company_id": draw(company_choices),
                "lead_source": draw(st.sampled_from(LEAD_SOURCES)),
                "lifecycle_stage": draw(st.sampled_from(STAGES)),
                "owner_id": draw(st.sampled_from(OWNERS)),
                "created_at": draw(moments),
            }
        )
        if draw(st.booleans()):
            raw["contact_properties"].append(
                {
                    "contact_id": contact_id,
                    "property": "newsletter_opt_in",
                    "value": draw(st.sampled_from(OPT_IN)),
                }
            )
        lists = draw(st.lists(st.sampled_from(LIST_NAMES), max_size=2, unique=True))
        for list_name in lists:
            spellings = draw(st.lists(spelled(list_name), min_size=1, max_size=2, unique=True))
            # Another spelling is another key for the loader and the same list for scoring.
            keys = {spelling.strip(" ") for spelling in spellings}
            for spelling in spellings:
                if spelling.strip(" ") not in keys:
                    continue
                keys.discard(spelling.strip(" "))
                raw["list_memberships"].append(
                    {
                        "list_name": spelling,
                        "contact_id": draw(padded(contact_id)),
                        "added_at": draw(added_ats()),
                    }
                )

    for contact_id in [*contact_ids, "c99"]:  # c99: events of an unknown contact
        for _ in range(draw(st.integers(0, 6))):
            raw["events"].append(
                {
                    "event_id": f"e{len(raw['events']) + 1:04d}",
                    "contact_id": draw(padded(contact_id)),
                    "event_type": draw(st.sampled_from(event_types).flatmap(spelled)),
                    "occurred_at": draw(moments),
                    "url": draw(st.sampled_from(URLS)),
                    "detail": draw(st.sampled_from(DETAILS)),
                }
            )

    for d in range(draw(st.integers(0, 3))):
        created = T - timedelta(days=draw(st.integers(20, 300)))
        won = draw(st.booleans())
        raw["deals"].append(
            {
                "deal_id": f"d{d}",
                "company_id": draw(st.sampled_from(company_ids)),
                "contact_id": draw(st.none() | st.sampled_from(contact_ids)),
                "created_at": created,
                "closed_at": draw(st.none() | st.just(created + timedelta(days=10))),
                "stage": "won" if won else "open",
                "amount": draw(st.sampled_from([None, 5000.0, 12.5])),
                "is_won": won,
            }
        )
    return raw


@st.composite
def cases(draw: st.DrawFn) -> Case:
    config = draw(configs())
    return Case(config=config, raw=draw(raw_data(config)))
