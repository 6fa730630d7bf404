"""Independent pure-Python reference implementation of the lead-scoring contract.

Follows the scoring contract (README) and ``docs/semantics.md``
(decisions where the contract is silent). It is a test oracle: written without
looking at the dbt SQL, standard library only, optimised for readability.

Entry points:

- ``score(raw, config, free_email_domains, as_of)`` -> ``{"lead_scores": [...],
  "account_scores": [...], "lead_score_contributions": [...]}``
- ``read_config_dir(path)``: the four config seeds as CSV (all values text, empty -> None).
- ``read_free_email_domains(path)``: the ``free_email_domains`` seed as a set.
- ``read_raw_from_duckdb(db_path, schema="raw")``: the raw tables of a DuckDB file.

Numeric conventions of this oracle (decisions recorded in the report of the
session that wrote it):

- Time comparisons (window, frequency look-back, step and inactivity periods) use
  exact rational arithmetic on the age in microseconds.
- Points are floats; sums use ``math.fsum`` (order independent); exponential decay
  uses ``age_days = total microseconds / 86400e6`` as a float.
- Rounding converts the float with ``repr`` (its shortest decimal form) to
  ``Decimal`` and rounds half away from zero to 2 decimals.
"""

from __future__ import annotations

import csv
import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any

MICROS_PER_DAY = 86_400_000_000

CONTACT_COLUMNS = (
    "contact_id",
    "email",
    "first_name",
    "last_name",
    "job_title",
    "phone",
    "country",
    "company_id",
    "lead_source",
    "lifecycle_stage",
    "owner_id",
    "created_at",
)
COMPANY_COLUMNS = (
    "company_id",
    "name",
    "domain",
    "industry",
    "employee_count",
    "annual_revenue",
    "country",
)
EVENT_COLUMNS = ("event_id", "contact_id", "event_type", "occurred_at", "url", "detail")
DEAL_COLUMNS = (
    "deal_id",
    "company_id",
    "contact_id",
    "created_at",
    "closed_at",
    "stage",
    "amount",
    "is_won",
)
LIST_MEMBERSHIP_COLUMNS = ("list_name", "contact_id", "added_at")
CONTACT_PROPERTY_COLUMNS = ("contact_id", "property", "value")
COMPANY_PROPERTY_COLUMNS = ("company_id", "property", "value")

RAW_TABLES = {
    "contacts": CONTACT_COLUMNS,
    "companies": COMPANY_COLUMNS,
    "events": EVENT_COLUMNS,
    "deals": DEAL_COLUMNS,
    "list_memberships": LIST_MEMBERSHIP_COLUMNS,
    "contact_properties": CONTACT_PROPERTY_COLUMNS,
    "company_properties": COMPANY_PROPERTY_COLUMNS,
}

CONFIG_COLUMNS = {
    "scoring_models": (
        "model_id",
        "description",
        "scope",
        "max_score",
        "qualified_threshold",
        "include_list",
        "exclude_list",
    ),
    "scoring_groups": ("model_id", "group_id", "dimension", "max_points"),
    "scoring_rules": (
        "model_id",
        "rule_id",
        "group_id",
        "description",
        "rule_type",
        "field",
        "event_type",
        "operator",
        "value",
        "points",
        "max_count",
        "window_days",
        "decay",
        "decay_days",
        "decay_factor",
        "min_events",
        "within_days",
    ),
    "score_tiers": ("model_id", "dimension", "tier", "min_score"),
}

LEAD_SCORE_COLUMNS = (
    "model_id",
    "contact_id",
    "company_id",
    "owner_id",
    "score",
    "fit_score",
    "engagement_score",
    "tier",
    "fit_tier",
    "engagement_tier",
    "is_qualified",
    "scored_at",
)
ACCOUNT_SCORE_COLUMNS = (
    "model_id",
    "company_id",
    "score",
    "fit_score",
    "engagement_score",
    "tier",
    "fit_tier",
    "engagement_tier",
    "is_qualified",
    "scored_at",
)
CONTRIBUTION_COLUMNS = (
    "model_id",
    "contact_id",
    "company_id",
    "group_id",
    "rule_id",
    "hits",
    "points",
)

STRING_OPERATORS = (
    "equals",
    "not_equals",
    "in",
    "not_in",
    "contains",
    "not_contains",
    "starts_with",
    "ends_with",
)
NUMERIC_OPERATORS = ("gt", "gte", "lt", "lte", "between")
SET_OPERATORS = ("is_set", "is_not_set")
OPERATORS = STRING_OPERATORS + NUMERIC_OPERATORS + SET_OPERATORS
RULE_TYPES = ("attribute", "event", "frequency", "inactivity", "reset")
DECAYS = ("none", "exponential", "step")

# A decimal numeral: -12, 3.5, 1e6 (not nan, inf, 1,000, 0x10).
_NUMERAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


# --------------------------------------------------------------------------- #
# Value helpers
# --------------------------------------------------------------------------- #
def _text(value: Any) -> str | None:
    """A value rendered as text per semantics.md (trimmed; empty -> None)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            return None
        if value == value.to_integral_value():
            return str(int(value))
        return format(value.normalize(), "f")
    if isinstance(value, datetime):
        return _naive_utc(value).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d 00:00:00")
    text = str(value).strip()
    return text or None


def _clean(value: Any) -> str | None:
    """Trimmed text, None when empty (raw and config text columns)."""
    return _text(value)


def _lower(value: Any) -> str | None:
    text = _text(value)
    return None if text is None else text.lower()


def parse_number(text: str | None) -> Decimal | None:
    """The number a text denotes, only when it is a decimal numeral."""
    if text is None:
        return None
    text = text.strip()
    if not _NUMERAL.fullmatch(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the regex admits only numerals
        return None


def _naive_utc(value: datetime) -> datetime:
    if value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def _age_us(as_of: datetime, at: datetime) -> int:
    return (as_of - at) // timedelta(microseconds=1)


def _split_alternatives(value: Any) -> list[str]:
    """``a|b`` -> ['a', 'b']: trimmed, lowercased, empty alternatives dropped."""
    text = _text(value)
    if text is None:
        return []
    return [alt.strip().lower() for alt in text.split("|") if alt.strip()]


def _config_number(value: Any) -> Fraction | None:
    number = parse_number(_clean(value))
    return None if number is None else Fraction(number)


def _config_int(value: Any) -> int | None:
    number = _config_number(value)
    return None if number is None else math.floor(number)


def round2(value: float) -> Decimal:
    """Round half away from zero to 2 decimals (via the float's shortest repr)."""
    return Decimal(repr(float(value))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# --------------------------------------------------------------------------- #
# Operators
# --------------------------------------------------------------------------- #
def _text_equal(value: str, alternative: str) -> bool:
    if value == alternative:
        return True
    left, right = parse_number(value), parse_number(alternative)
    return left is not None and right is not None and left == right


def matches(operator: str | None, value: Any, rule_value: Any) -> bool:
    """Does ``value operator rule_value`` hold? ``value`` is any raw value."""
    op = _lower(operator)
    text = _lower(value)
    if op == "is_not_set":
        return text is None
    if text is None:
        return False
    if op == "is_set":
        return True
    alternatives = _split_alternatives(rule_value)
    if op in ("equals", "in"):
        return any(_text_equal(text, alt) for alt in alternatives)
    if op in ("not_equals", "not_in"):
        return not any(_text_equal(text, alt) for alt in alternatives)
    if op == "contains":
        return any(alt in text for alt in alternatives)
    if op == "not_contains":
        return not any(alt in text for alt in alternatives)
    if op == "starts_with":
        return any(text.startswith(alt) for alt in alternatives)
    if op == "ends_with":
        return any(text.endswith(alt) for alt in alternatives)
    if op in NUMERIC_OPERATORS:
        number = parse_number(text)
        if number is None:
            return False
        bounds = [parse_number(alt) for alt in alternatives]
        if any(bound is None for bound in bounds):
            return False
        if op == "between":
            if len(bounds) != 2:
                return False
            low, high = bounds
            return low <= number <= high
        if len(bounds) != 1:
            return False
        (bound,) = bounds
        if op == "gt":
            return number > bound
        if op == "gte":
            return number >= bound
        if op == "lt":
            return number < bound
        return number <= bound
    return False


# --------------------------------------------------------------------------- #
# Normalised data
# --------------------------------------------------------------------------- #
@dataclass
class Contact:
    contact_id: str
    company_id: str | None
    owner_id: str | None
    created_at: datetime
    fields: dict[str, str | None]  # lowercase column name -> text
    lists: set[str] = field(default_factory=set)


@dataclass
class Event:
    event_id: str
    contact_id: str | None
    event_type: str | None
    occurred_at: datetime
    url: str | None
    detail: str | None
    age_us: int

    def field_value(self, name: str | None) -> str | None:
        if name == "event.url":
            return self.url
        if name == "event.detail":
            return self.detail
        if name == "event.event_type":
            return self.event_type
        if name == "event.event_id":
            return self.event_id
        return None


@dataclass
class Rule:
    model_id: str
    rule_id: str
    group_id: str | None
    rule_type: str | None
    field: str | None
    event_type: str | None
    operator: str | None
    value: str | None
    points: float
    max_count: int | None
    window_days: Fraction | None
    decay: str
    decay_days: Fraction | None
    decay_factor: float | None
    min_events: int | None
    within_days: Fraction | None

    def event_matches(self, event: Event) -> bool:
        """Event type (any when empty) plus the optional ``event.*`` condition."""
        if self.event_type is not None and event.event_type != self.event_type:
            return False
        if self.field is None:
            return True
        return matches(self.operator, event.field_value(self.field), self.value)

    def multiplier(self, event: Event) -> float:
        if self.decay == "exponential" and self.decay_days and self.decay_factor is not None:
            age_days = event.age_us / 86400e6
            return self.decay_factor ** (age_days / float(self.decay_days))
        if self.decay == "step" and self.decay_days and self.decay_factor is not None:
            periods = math.floor(Fraction(event.age_us, MICROS_PER_DAY) / self.decay_days)
            return self.decay_factor**periods
        return 1.0


def _days_to_us(days: Fraction) -> Fraction:
    return days * MICROS_PER_DAY


def _normalise_contacts(
    raw: dict[str, list[dict]], free_domains: set[str], as_of: datetime
) -> dict[str, Contact]:
    properties: dict[str, dict[str, str | None]] = defaultdict(dict)
    for row in raw.get("contact_properties") or []:
        contact_id, name = _clean(row.get("contact_id")), _lower(row.get("property"))
        if contact_id is None or name is None:
            continue
        value = _clean(row.get("value"))
        if value is not None or name not in properties[contact_id]:
            properties[contact_id][name] = value

    # A membership exists at T when its added_at is null (member all along) or
    # <= T. Rows are looked at one by one, so a (list, contact) repeated with
    # several added_at values is a member at T when any of its rows is.
    memberships: dict[str, set[str]] = defaultdict(set)
    for row in raw.get("list_memberships") or []:
        contact_id, list_name = _clean(row.get("contact_id")), _lower(row.get("list_name"))
        added_at = row.get("added_at")
        if added_at is not None and _naive_utc(added_at) > as_of:
            continue  # not a member yet at T
        if contact_id is not None and list_name is not None:
            memberships[contact_id].add(list_name)

    contacts: dict[str, Contact] = {}
    seen: set[str] = set()
    for row in raw.get("contacts") or []:
        contact_id = _clean(row.get("contact_id"))
        created_at = row.get("created_at")
        if contact_id is None or created_at is None or contact_id in seen:
            continue  # a duplicate contact_id: the first row wins
        seen.add(contact_id)
        created_at = _naive_utc(created_at)
        if created_at > as_of:
            continue  # contacts created after T do not exist
        fields: dict[str, str | None] = dict(properties.get(contact_id, {}))
        for column in CONTACT_COLUMNS:
            fields[column] = _text(row.get(column))
        email = _lower(row.get("email"))
        # An address needs exactly one @ with text on both sides; else it is none.
        if email is not None and not (
            email.count("@") == 1 and all(part.strip() for part in email.split("@"))
        ):
            email = None
        fields["email"] = email
        domain = None
        if email is not None:
            domain = email.split("@", 1)[1].strip() or None
        fields["email_domain"] = domain
        fields["is_free_email"] = None if domain is None else str(domain in free_domains).lower()
        contacts[contact_id] = Contact(
            contact_id=contact_id,
            company_id=fields["company_id"],
            owner_id=fields["owner_id"],
            created_at=created_at,
            fields=fields,
            lists=memberships.get(contact_id, set()),
        )
    return contacts


def _normalise_companies(raw: dict[str, list[dict]]) -> dict[str, dict[str, str | None]]:
    """company_id -> {field: text}; ids with only properties get those properties."""
    companies: dict[str, dict[str, str | None]] = {}
    for row in raw.get("companies") or []:
        company_id = _clean(row.get("company_id"))
        if company_id is None or company_id in companies:
            continue
        companies[company_id] = {
            column: None
            if column in NON_NEGATIVE_COLUMNS and _negative(row.get(column))
            else _text(row.get(column))
            for column in COMPANY_COLUMNS
        }
    properties: dict[str, dict[str, str | None]] = defaultdict(dict)
    for row in raw.get("company_properties") or []:
        company_id, name = _clean(row.get("company_id")), _lower(row.get("property"))
        if company_id is None or name is None:
            continue
        value = _clean(row.get("value"))
        if value is not None or name not in properties[company_id]:
            properties[company_id][name] = value
    result: dict[str, dict[str, str | None]] = {}
    for company_id in set(companies) | set(properties):
        merged = dict(properties.get(company_id, {}))
        merged.update(companies.get(company_id, {}))  # standard columns win
        result[company_id] = merged
    return result


NON_NEGATIVE_COLUMNS = ("employee_count", "annual_revenue")


def _negative(value: object) -> bool:
    """A negative count or amount (staging treats it as unknown)."""
    return isinstance(value, int | float) and value < 0


def _null_key(value: str | None) -> tuple[int, str]:
    return (0, "") if value is None else (1, value)


def _normalise_events(raw: dict[str, list[dict]], as_of: datetime) -> dict[str, list[Event]]:
    """contact_id -> its events at T, after the duplicate-event_id rule."""
    best: dict[str, Event] = {}
    for row in raw.get("events") or []:
        event_id, occurred_at = _clean(row.get("event_id")), row.get("occurred_at")
        if event_id is None or occurred_at is None:
            continue
        occurred_at = _naive_utc(occurred_at)
        event = Event(
            event_id=event_id,
            contact_id=_clean(row.get("contact_id")),
            event_type=_lower(row.get("event_type")),
            occurred_at=occurred_at,
            url=_clean(row.get("url")),
            detail=_clean(row.get("detail")),
            age_us=_age_us(as_of, occurred_at),
        )
        current = best.get(event_id)
        if current is None or _event_rank(event) > _event_rank(current):
            best[event_id] = event
    by_contact: dict[str, list[Event]] = defaultdict(list)
    for event in best.values():
        # Deduplicate first, then apply T: an event exists when its winning row is <= T.
        if event.contact_id is not None and event.occurred_at <= as_of:
            by_contact[event.contact_id].append(event)
    return by_contact


def _event_rank(event: Event) -> tuple:
    return (
        event.occurred_at,
        _null_key(event.event_type),
        _null_key(event.url),
        _null_key(event.detail),
    )


# --------------------------------------------------------------------------- #
# Configuration
# --------------------------------------------------------------------------- #
@dataclass
class Model:
    model_id: str
    scope: str
    max_score: float
    qualified_threshold: Decimal | None
    include_lists: list[str]
    exclude_lists: list[str]
    groups: dict[str, tuple[str, float]] = field(default_factory=dict)  # id -> (dim, cap)
    rules: list[Rule] = field(default_factory=list)
    tiers: dict[str, list[tuple[Decimal, str]]] = field(default_factory=dict)


def _parse_rule(row: dict) -> Rule:
    decay = _lower(row.get("decay")) or "none"
    factor = _config_number(row.get("decay_factor"))
    points = _config_number(row.get("points"))
    return Rule(
        model_id=_clean(row.get("model_id")) or "",
        rule_id=_clean(row.get("rule_id")) or "",
        group_id=_clean(row.get("group_id")),
        rule_type=_lower(row.get("rule_type")),
        field=_lower(row.get("field")),
        event_type=_lower(row.get("event_type")),
        operator=_lower(row.get("operator")),
        value=_clean(row.get("value")),
        points=0.0 if points is None else float(points),
        max_count=_config_int(row.get("max_count")),
        window_days=_config_number(row.get("window_days")),
        decay=decay,
        decay_days=_config_number(row.get("decay_days")),
        decay_factor=None if factor is None else float(factor),
        min_events=_config_int(row.get("min_events")),
        within_days=_config_number(row.get("within_days")),
    )


def parse_config(config: dict[str, list[dict]]) -> list[Model]:
    models: dict[str, Model] = {}
    for row in config.get("scoring_models") or []:
        model_id = _clean(row.get("model_id"))
        scope = _lower(row.get("scope"))
        if model_id is None or scope not in ("contact", "company") or model_id in models:
            continue
        max_score = _config_number(row.get("max_score"))
        threshold = parse_number(_clean(row.get("qualified_threshold")))
        models[model_id] = Model(
            model_id=model_id,
            scope=scope,
            max_score=100.0 if max_score is None else float(max_score),
            qualified_threshold=threshold,
            include_lists=_split_alternatives(row.get("include_list")),
            exclude_lists=_split_alternatives(row.get("exclude_list")),
        )
    for row in config.get("scoring_groups") or []:
        model = models.get(_clean(row.get("model_id")) or "")
        group_id = _clean(row.get("group_id"))
        dimension = _lower(row.get("dimension"))
        cap = _config_number(row.get("max_points"))
        if model is None or group_id is None or dimension not in ("fit", "engagement"):
            continue
        model.groups[group_id] = (dimension, math.inf if cap is None else float(cap))
    for row in config.get("scoring_rules") or []:
        rule = _parse_rule(row)
        model = models.get(rule.model_id)
        if model is None or rule.rule_type not in RULE_TYPES:
            continue
        model.rules.append(rule)
    for row in config.get("score_tiers") or []:
        model = models.get(_clean(row.get("model_id")) or "")
        dimension = _lower(row.get("dimension"))
        min_score = parse_number(_clean(row.get("min_score")))
        tier = _clean(row.get("tier"))
        if model is None or min_score is None or dimension not in ("score", "fit", "engagement"):
            continue
        model.tiers.setdefault(dimension, []).append((min_score, tier))
    return list(models.values())


# --------------------------------------------------------------------------- #
# Scoring
# --------------------------------------------------------------------------- #
@dataclass
class Entity:
    contact_id: str | None
    company_id: str | None
    owner_id: str | None
    contacts: list[Contact]
    company_fields: dict[str, str | None]
    events: list[Event]
    created_at: datetime  # a company's: its earliest applicable contact's
    as_of: datetime


def _attribute_hit(rule: Rule, entity: Entity) -> bool:
    name = rule.field or ""
    if name.startswith("contact."):
        column = name[len("contact.") :]
        return any(
            matches(rule.operator, contact.fields.get(column), rule.value)
            for contact in entity.contacts
        )
    if name.startswith("company."):
        column = name[len("company.") :]
        return matches(rule.operator, entity.company_fields.get(column), rule.value)
    return matches(rule.operator, None, rule.value)


def evaluate_rule(rule: Rule, entity: Entity, reset_at: datetime | None) -> tuple[int, float]:
    """(hits, points) of one non-reset rule for one entity."""
    if rule.rule_type == "attribute":
        return (1, rule.points) if _attribute_hit(rule, entity) else (0, 0.0)

    if rule.rule_type == "event":
        hits = [
            event
            for event in entity.events
            if rule.event_matches(event)
            and (reset_at is None or event.occurred_at >= reset_at)
            and (rule.window_days is None or event.age_us < _days_to_us(rule.window_days))
        ]
        hits.sort(key=lambda event: (event.occurred_at, event.event_id), reverse=True)
        if rule.max_count is not None:
            hits = hits[: max(rule.max_count, 0)]
        return len(hits), math.fsum(rule.points * rule.multiplier(event) for event in hits)

    if rule.rule_type == "frequency":
        if rule.within_days is None or rule.min_events is None:
            return 0, 0.0
        count = sum(
            1
            for event in entity.events
            if rule.event_matches(event)
            and (reset_at is None or event.occurred_at >= reset_at)
            and event.age_us < _days_to_us(rule.within_days)
        )
        return (1, rule.points) if count >= rule.min_events else (0, 0.0)

    if rule.rule_type == "inactivity":
        if not rule.within_days or rule.within_days <= 0:
            return 0, 0.0
        ages = [event.age_us for event in entity.events if rule.event_matches(event)]
        idle_us = min(ages) if ages else None
        if idle_us is None:
            # No matching event: the age of the entity's creation.
            idle_us = _age_us(entity.as_of, entity.created_at)
        periods = math.floor(Fraction(idle_us) / _days_to_us(rule.within_days))
        if rule.max_count is not None:
            periods = min(periods, rule.max_count)
        return periods, rule.points * periods

    return 0, 0.0


def _tier(model: Model, dimension: str, value: Decimal) -> str | None:
    best: tuple[Decimal, str | None] | None = None
    for min_score, name in model.tiers.get(dimension, []):
        if min_score <= value and (best is None or min_score > best[0]):
            best = (min_score, name)
    return None if best is None else best[1]


def _clamp(value: float, upper: float) -> float:
    return max(0.0, min(value, upper))


def _entities(
    model: Model,
    as_of: datetime,
    contacts: dict[str, Contact],
    companies: dict[str, dict[str, str | None]],
    events: dict[str, list[Event]],
) -> list[Entity]:
    def applicable(contact: Contact) -> bool:
        if model.include_lists and not contact.lists.intersection(model.include_lists):
            return False
        return not contact.lists.intersection(model.exclude_lists)

    members = [contact for contact in contacts.values() if applicable(contact)]
    entities: list[Entity] = []
    if model.scope == "contact":
        for contact in members:
            entities.append(
                Entity(
                    contact_id=contact.contact_id,
                    company_id=contact.company_id,
                    owner_id=contact.owner_id,
                    contacts=[contact],
                    company_fields=(
                        companies.get(contact.company_id, {}) if contact.company_id else {}
                    ),
                    events=list(events.get(contact.contact_id, [])),
                    created_at=contact.created_at,
                    as_of=as_of,
                )
            )
        return entities
    by_company: dict[str, list[Contact]] = defaultdict(list)
    for contact in members:
        if contact.company_id is not None:
            by_company[contact.company_id].append(contact)
    for company_id, company_contacts in by_company.items():
        entities.append(
            Entity(
                contact_id=None,
                company_id=company_id,
                owner_id=None,
                contacts=company_contacts,
                company_fields=companies.get(company_id, {}),
                events=[e for c in company_contacts for e in events.get(c.contact_id, [])],
                created_at=min(contact.created_at for contact in company_contacts),
                as_of=as_of,
            )
        )
    return entities


def score(
    raw: dict[str, list[dict]],
    config: dict[str, list[dict]],
    free_email_domains: set[str],
    as_of: datetime,
) -> dict[str, list[dict]]:
    """Score every model of ``config`` on ``raw`` at time ``as_of`` (naive UTC)."""
    as_of = _naive_utc(as_of)
    free = {d for d in (_lower(domain) for domain in free_email_domains) if d}
    contacts = _normalise_contacts(raw, free, as_of)
    companies = _normalise_companies(raw)
    events = _normalise_events(raw, as_of)

    lead_scores: list[dict] = []
    account_scores: list[dict] = []
    contributions: list[dict] = []

    for model in parse_config(config):
        reset_rules = [rule for rule in model.rules if rule.rule_type == "reset"]
        scoring_rules = [
            rule
            for rule in model.rules
            if rule.rule_type != "reset" and rule.group_id in model.groups
        ]
        for entity in _entities(model, as_of, contacts, companies, events):
            reset_times = [
                event.occurred_at
                for event in entity.events
                if any(rule.event_matches(event) for rule in reset_rules)
            ]
            reset_at = max(reset_times) if reset_times else None

            group_points: dict[str, list[float]] = defaultdict(list)
            for rule in scoring_rules:
                hits, points = evaluate_rule(rule, entity, reset_at)
                group_points[rule.group_id].append(points)
                if points != 0:
                    contributions.append(
                        {
                            "model_id": model.model_id,
                            "contact_id": entity.contact_id,
                            "company_id": entity.company_id,
                            "group_id": rule.group_id,
                            "rule_id": rule.rule_id,
                            "hits": hits,
                            "points": points,
                        }
                    )

            capped: dict[str, float] = {
                group_id: min(math.fsum(group_points.get(group_id, [])), cap)
                for group_id, (_dimension, cap) in model.groups.items()
            }
            fit_raw = math.fsum(v for g, v in capped.items() if model.groups[g][0] == "fit")
            engagement_raw = math.fsum(
                v for g, v in capped.items() if model.groups[g][0] == "engagement"
            )
            total_raw = math.fsum(capped.values())
            total = round2(_clamp(total_raw, model.max_score))
            fit = round2(_clamp(fit_raw, model.max_score))
            engagement = round2(_clamp(engagement_raw, model.max_score))

            row: dict[str, Any] = {"model_id": model.model_id}
            if model.scope == "contact":
                row["contact_id"] = entity.contact_id
                row["company_id"] = entity.company_id
                row["owner_id"] = entity.owner_id
            else:
                row["company_id"] = entity.company_id
            row.update(
                {
                    "score": float(total),
                    "fit_score": float(fit),
                    "engagement_score": float(engagement),
                    "tier": _tier(model, "score", total),
                    "fit_tier": _tier(model, "fit", fit),
                    "engagement_tier": _tier(model, "engagement", engagement),
                    "is_qualified": (
                        None
                        if model.qualified_threshold is None
                        else total >= model.qualified_threshold
                    ),
                    "scored_at": as_of,
                }
            )
            (lead_scores if model.scope == "contact" else account_scores).append(row)

    lead_scores.sort(key=lambda r: (r["model_id"], r["contact_id"]))
    account_scores.sort(key=lambda r: (r["model_id"], r["company_id"]))
    contributions.sort(
        key=lambda r: (
            r["model_id"],
            r["contact_id"] or "",
            r["company_id"] or "",
            r["group_id"] or "",
            r["rule_id"],
        )
    )
    return {
        "lead_scores": lead_scores,
        "account_scores": account_scores,
        "lead_score_contributions": contributions,
    }


# --------------------------------------------------------------------------- #
# I/O helpers
# --------------------------------------------------------------------------- #
def read_config_dir(path: str | Path) -> dict[str, list[dict]]:
    """The four config seeds of a folder, as text (empty cells -> None)."""
    folder = Path(path)
    config: dict[str, list[dict]] = {}
    for name, columns in CONFIG_COLUMNS.items():
        with (folder / f"{name}.csv").open(newline="", encoding="utf-8") as handle:
            rows = []
            for record in csv.DictReader(handle):
                rows.append({c: (record.get(c) if record.get(c) != "" else None) for c in columns})
            config[name] = rows
    return config


def read_free_email_domains(path: str | Path) -> set[str]:
    """The ``domain`` column of a free_email_domains CSV."""
    with Path(path).open(newline="", encoding="utf-8") as handle:
        return {
            row["domain"].strip().lower()
            for row in csv.DictReader(handle)
            if row.get("domain") and row["domain"].strip()
        }


def read_raw_from_duckdb(db_path: str | Path, schema: str = "raw") -> dict[str, list[dict]]:
    """The raw tables of a DuckDB file (missing tables -> empty lists; spec
    columns a table lacks, e.g. ``list_memberships.added_at`` in a database
    loaded before that column existed -> None)."""
    import duckdb  # only this helper needs it

    raw: dict[str, list[dict]] = {table: [] for table in RAW_TABLES}
    connection = duckdb.connect(str(db_path), read_only=True)
    try:
        present = {
            name
            for (name,) in connection.execute(
                "select table_name from information_schema.tables where table_schema = ?",
                [schema],
            ).fetchall()
        }
        for table in RAW_TABLES:
            if table not in present:
                continue
            quoted_schema = '"' + schema.replace('"', '""') + '"'
            cursor = connection.execute(f'select * from {quoted_schema}."{table}"')
            names = [description[0] for description in cursor.description]
            missing = dict.fromkeys(c for c in RAW_TABLES[table] if c not in names)
            raw[table] = [
                missing
                | {name: _from_duckdb(value) for name, value in zip(names, record, strict=True)}
                for record in cursor.fetchall()
            ]
    finally:
        connection.close()
    return raw


def _from_duckdb(value: Any) -> Any:
    if isinstance(value, datetime):
        return _naive_utc(value)
    if isinstance(value, Decimal):
        return float(value)
    return value


def rows_by_key(rows: Iterable[dict], *key: str) -> dict[tuple, dict]:
    """Index output rows by key columns (handy for comparisons in tests)."""
    return {tuple(row[k] for k in key): row for row in rows}
