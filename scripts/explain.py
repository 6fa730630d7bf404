"""Explain one lead's (or account's) score, rule by rule, with the decay arithmetic.

    python scripts/explain.py --contact c000150 [--model platform] [--database FILE]
    python scripts/explain.py --company co00025 --model platform_accounts

Reads the DuckDB file dbt built, read-only, after the build: the scores of the
last build (`<schema>_build`, the tables `dbt build` publishes), and the
intermediate models behind them in `<schema>` (rule points, capped groups,
every counted event with its age and decay multiplier). For each group it
prints the rules that hit, what each rule looked at (the attribute's value,
the events and their decay: points x factor^(age / days)), the group's cap,
and then re-adds everything the way the model does, so the explanation can
be checked against the score: a mismatch is reported (exit status 1).
"""

from __future__ import annotations

import argparse
import math
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

DEFAULT_DATABASE = Path("output/leadscore.duckdb")
TOLERANCE = 0.005  # scores are rounded to 2 decimals


class ExplainError(Exception):
    """The entity, model or database cannot be explained (the message says why)."""


@dataclass(frozen=True)
class Target:
    scope: str  # contact or company
    entity_id: str


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def number(value: float | None) -> str:
    """Points as people write them: 10, -2.5, 7.94."""
    if value is None:
        return "-"
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def signed(value: float) -> str:
    return ("+" if value > 0 else "") + number(value)


def decay_formula(rule: dict[str, Any], age_days: float) -> tuple[str, float]:
    """The decay of one hit as text and its multiplier, from the rule's settings."""
    kind = rule["decay"] or "none"
    if kind == "none" or not rule["decay_days"]:
        return "no decay", 1.0
    factor, days = rule["decay_factor"], rule["decay_days"]
    if kind == "exponential":
        return f"{number(factor)}^({age_days:.2f}/{number(days)})", factor ** (age_days / days)
    periods = math.floor(age_days / days)
    return f"{number(factor)}^floor({age_days:.2f}/{number(days)})", factor**periods


def condition_text(rule: dict[str, Any]) -> str:
    parts = []
    if rule["event_type"]:
        parts.append(f"event {rule['event_type']}")
    if rule["field"]:
        parts.append(
            f"{rule['field']} {rule['operator']} {rule['rule_value']!r}"
            if rule["rule_value"] is not None
            else f"{rule['field']} {rule['operator']}"
        )
    return ", ".join(parts) or "any event"


def current_score_time(con: duckdb.DuckDBPyConnection, schema: str) -> Any:
    found = con.execute(
        f"select scored_at from {schema}.int_score_times where is_current"
    ).fetchall()
    if not found:
        raise ExplainError(f"{schema}.int_score_times has no current score time: run dbt build")
    return found[0][0]


def find_score(
    con: duckdb.DuckDBPyConnection, marts: str, target: Target, model_id: str | None
) -> dict[str, Any]:
    table, key = (
        ("lead_scores", "contact_id")
        if target.scope == "contact"
        else ("account_scores", "company_id")
    )
    found = rows(
        con, f"select * from {marts}.{table} where {key} = ? order by model_id", [target.entity_id]
    )
    if not found:
        raise ExplainError(
            f"{target.scope} {target.entity_id!r} has no score in {marts}.{table}: it is unknown, "
            "not applicable to any model (include/exclude lists), or the build has not run"
        )
    models = [row["model_id"] for row in found]
    if model_id is None:
        if len(found) > 1:
            raise ExplainError(
                f"{target.scope} {target.entity_id!r} is scored by {len(found)} models "
                f"({', '.join(models)}): choose one with --model"
            )
        return found[0]
    for row in found:
        if row["model_id"] == model_id:
            return row
    raise ExplainError(
        f"{target.scope} {target.entity_id!r} is not scored by model {model_id!r}; "
        f"it is scored by {', '.join(models)}"
    )


def explain(
    database: Path, target: Target, model_id: str | None = None, schema: str = "main"
) -> tuple[list[str], bool]:
    """The explanation's lines and whether re-adding it reproduces the score."""
    if not database.is_file():
        raise ExplainError(f"{database} not found: run `make demo` or dbt build first")
    marts = f"{schema}_build"
    try:
        con = duckdb.connect(str(database), read_only=True)
    except duckdb.IOException as error:
        raise ExplainError(
            f"cannot open {database} read-only (is dbt writing it?): {error}"
        ) from None
    with con:
        scored_at = current_score_time(con, schema)
        score = find_score(con, marts, target, model_id)
        model_id = score["model_id"]
        params = [scored_at, model_id, target.entity_id]
        model = rows(
            con, f"select * from {schema}.stg_config__scoring_models where model_id = ?", [model_id]
        )[0]
        groups = {
            g["group_id"]: g
            for g in rows(
                con,
                f"select * from {schema}.stg_config__scoring_groups where model_id = ?",
                [model_id],
            )
        }
        rules = {
            r["rule_id"]: r
            for r in rows(
                con,
                f"select * from {schema}.stg_config__scoring_rules where model_id = ?",
                [model_id],
            )
        }
        group_points = rows(
            con,
            f"select * from {schema}.int_group_points where scored_at = ? and model_id = ? "
            "and entity_id = ? order by dimension, group_id",
            params,
        )
        rule_points = rows(
            con,
            f"select * from {schema}.int_rule_points where scored_at = ? and model_id = ? "
            "and entity_id = ? order by abs(points) desc, rule_id",
            params,
        )
        event_hits = rows(
            con,
            f"select * from {schema}.int_event_rule_hits where scored_at = ? "
            "and model_id = ? and entity_id = ? order by rule_id, recency_rank",
            params,
        )
        values = rows(
            con,
            f"select holder_type, holder_id, field_name, field_value "
            f"from {schema}.int_attribute_values where (holder_type = 'contact' and holder_id = ?) "
            "or (holder_type = 'company' and holder_id = ?)",
            [score.get("contact_id"), score.get("company_id")],
        )
        who = describe_entity(con, schema, target, score)
        published = published_score(con, schema, target, model_id)
    return render(
        who=who,
        score=score,
        model=model,
        groups=groups,
        rules=rules,
        group_points=group_points,
        rule_points=rule_points,
        event_hits=event_hits,
        values=values,
        published=published,
        scored_at=scored_at,
    )


def describe_entity(
    con: duckdb.DuckDBPyConnection, schema: str, target: Target, score: dict[str, Any]
) -> str:
    company = rows(
        con,
        f"select company_name, industry, employee_count from "
        f"{schema}.stg_crm__companies where company_id = ?",
        [score.get("company_id")],
    )
    at = f" at {company[0]['company_name']}" if company and company[0]["company_name"] else ""
    if target.scope == "company":
        return f"company {target.entity_id}{at.replace(' at ', ' (', 1) + ')' if at else ''}"
    contact = rows(
        con,
        f"select first_name, last_name, job_title from {schema}.stg_crm__contacts "
        "where contact_id = ?",
        [target.entity_id],
    )
    if not contact:
        return f"contact {target.entity_id}"
    c = contact[0]
    name = " ".join(part for part in (c["first_name"], c["last_name"]) if part)
    title = f", {c['job_title']}" if c["job_title"] else ""
    return f"contact {target.entity_id} ({name or 'no name'}{title}{at})"


def published_score(
    con: duckdb.DuckDBPyConnection, schema: str, target: Target, model_id: str
) -> float | None:
    table, key = (
        ("lead_scores", "contact_id")
        if target.scope == "contact"
        else ("account_scores", "company_id")
    )
    try:
        found = con.execute(
            f"select score from {schema}.{table} where model_id = ? and {key} = ?",
            [model_id, target.entity_id],
        ).fetchall()
    except duckdb.CatalogException:
        return None
    return found[0][0] if found else None


def render(**facts: Any) -> tuple[list[str], bool]:
    score, model, groups, rules = facts["score"], facts["model"], facts["groups"], facts["rules"]
    max_score = model["max_score"]
    lines = [
        f"{facts['who']}, model {model['model_id']}, "
        f"scored at {facts['scored_at']:%Y-%m-%d %H:%M:%S} UTC",
        f"score {number(score['score'])} of {number(max_score)}: tier {score['tier'] or '-'}, "
        + ("qualified" if score["is_qualified"] else "not qualified")
        + f" (threshold {number(model['qualified_threshold'])}); fit {number(score['fit_score'])}"
        f" (tier {score['fit_tier'] or '-'}), engagement {number(score['engagement_score'])}"
        f" (tier {score['engagement_tier'] or '-'})",
    ]
    hits_by_rule = defaultdict(list)
    for hit in facts["event_hits"]:
        hits_by_rule[hit["rule_id"]].append(hit)
    values = {(v["holder_type"], v["field_name"]): v["field_value"] for v in facts["values"]}
    rule_points_by_group = defaultdict(list)
    for rule_point in facts["rule_points"]:
        rule_points_by_group[rule_point["group_id"]].append(rule_point)
    consistent = True
    totals: dict[str, float] = defaultdict(float)
    for group in facts["group_points"]:
        setting = groups.get(group["group_id"], {})
        members = rule_points_by_group.get(group["group_id"], [])
        uncapped = sum(member["points"] for member in members)
        capped = min(uncapped, setting.get("max_points") or math.inf)
        cap_note = (
            f"capped at {number(setting['max_points'])}"
            if capped < uncapped
            else f"cap {number(setting.get('max_points'))}"
        )
        lines += [
            "",
            f"group {group['group_id']} ({group['dimension']}): {number(uncapped)} "
            f"from its rules, {cap_note} -> {number(capped)}",
        ]
        if not math.isclose(capped, group["points"], abs_tol=1e-6):
            consistent = False
            lines.append(f"  ! the model has {number(group['points'])} for this group")
        totals[group["dimension"]] += capped
        totals["score"] += capped
        for member in members:
            lines += explain_rule(
                rules.get(member["rule_id"], {}),
                member,
                hits_by_rule.get(member["rule_id"], []),
                values,
            )
            if member["rule_id"] in hits_by_rule:
                events = sum(hit["points"] for hit in hits_by_rule[member["rule_id"]])
                if not math.isclose(events, member["points"], abs_tol=1e-6):
                    consistent = False
                    lines.append(f"    ! the events add up to {number(events)}")
    lines.append("")
    for label, column in (
        ("fit", "fit_score"),
        ("engagement", "engagement_score"),
        ("score", "score"),
    ):
        clamped = round(min(max(totals[label], 0.0), max_score), 2)
        lines.append(
            f"{label}: groups add up to {number(totals[label])}, clamped to "
            f"[0, {number(max_score)}] -> {number(clamped)}"
        )
        if abs(clamped - score[column]) > TOLERANCE:
            consistent = False
            lines.append(f"  ! the model's {column} is {number(score[column])}")
    lines.append(
        "the explanation re-adds to the score"
        if consistent
        else "the explanation does NOT re-add to the score: rebuild (dbt build)"
    )
    published = facts["published"]
    if published is not None and abs(published - score["score"]) > TOLERANCE:
        lines.append(
            f"note: the published score is {number(published)}: the last build's "
            "scores were not published (a test failed?)"
        )
    return lines, consistent


def explain_rule(
    rule: dict[str, Any], points: dict[str, Any], hits: list[dict[str, Any]], values: dict
) -> list[str]:
    rule_type = rule.get("rule_type") or "?"
    head = (
        f"  {points['rule_id']} ({rule_type}, {signed(rule.get('points') or 0)}"
        f"{' per hit' if rule_type == 'event' else ''}): {signed(points['points'])}"
    )
    description = f"    {rule['description']}" if rule.get("description") else None
    lines = [head] + ([description] if description else [])
    if rule_type == "attribute":
        holder = rule.get("field_entity")
        key = (holder, rule.get("field_name"))
        seen = (
            f"{rule.get('field')} is {values[key]!r}"
            if key in values
            else "it holds for one of the company's contacts"
            if holder == "contact"
            else f"{rule.get('field')} is empty"
        )
        lines.append(f"    {condition_text(rule)}: {seen}")
    elif rule_type == "frequency":
        lines.append(
            f"    at least {number(rule.get('min_events'))} x {condition_text(rule)} "
            f"within {number(rule.get('within_days'))} days"
        )
    elif rule_type == "inactivity":
        lines.append(
            f"    {number(points['hit_weight'])} idle period(s) of "
            f"{number(rule.get('within_days'))} days (at most "
            f"{number(rule.get('max_count'))}) x {number(rule.get('points'))}"
        )
    elif rule_type == "event":
        window = f", within {number(rule['window_days'])} days" if rule.get("window_days") else ""
        most = f", the {number(rule['max_count'])} most recent" if rule.get("max_count") else ""
        lines.append(f"    {condition_text(rule)}{window}{most}: {len(hits)} hit(s)")
        for hit in hits:
            formula, multiplier = decay_formula(rule, hit["age_days"])
            check = (
                ""
                if math.isclose(multiplier, hit["decay_multiplier"], rel_tol=1e-9, abs_tol=1e-12)
                else (f"  ! the model used {hit['decay_multiplier']:.6g}")
            )
            arithmetic = f"{number(rule.get('points'))} x {formula}"
            if formula != "no decay":
                arithmetic += f" = {number(rule.get('points'))} x {multiplier:.4g}"
            lines.append(
                f"      {hit['event_id']} {hit['occurred_at']:%Y-%m-%d %H:%M}, "
                f"{hit['age_days']:.2f} days old: {arithmetic} = {number(hit['points'])}{check}"
            )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Explain a lead's or account's score rule by rule, with the decay arithmetic.",
        epilog="Example: python scripts/explain.py --contact c000150 --model platform",
    )
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--contact", help="the contact_id to explain (contact models)")
    who.add_argument("--company", help="the company_id to explain (company models)")
    parser.add_argument("--model", help="the scoring model (needed when several score it)")
    parser.add_argument(
        "--database",
        type=Path,
        default=DEFAULT_DATABASE,
        help=f"the DuckDB file dbt built (default: {DEFAULT_DATABASE})",
    )
    parser.add_argument("--schema", default="main", help="dbt's target schema (default: main)")
    args = parser.parse_args(argv)
    target = Target("contact", args.contact) if args.contact else Target("company", args.company)
    try:
        lines, consistent = explain(args.database, target, args.model, args.schema)
    except ExplainError as error:
        print(f"explain: {error}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0 if consistent else 1


if __name__ == "__main__":
    sys.exit(main())
