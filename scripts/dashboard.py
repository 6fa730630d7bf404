"""Write the lead scoring dashboard: one self-contained HTML page from the marts.

    python scripts/dashboard.py [--database output/serving/leadscore.duckdb] [--output FILE]

For a marketing or sales reader, per scoring model: how many leads are scored
and qualified, the distribution by tier, the trend of qualified leads over
the score history, the top leads with the rules that give them their points,
which rules fire and how much they weigh, and the latest backtest (how often
leads of each tier converted within the horizon after the latest cutoff).

Reads the published marts (the serving copy by default, or the build file's
`main` schema) read-only. No scripts, fonts or external resources: the file
can be mailed or put on a share. Text from data or configuration is escaped.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import svg_charts as charts
from html_page import card, escape, kpi, page, pct, table

DEFAULT_SERVING = Path("output/serving/leadscore.duckdb")
DEFAULT_BUILD = Path("output/leadscore.duckdb")
DEFAULT_OUTPUT = Path("output/dashboard.html")
# The last column of the top-leads table (the reasons) reads left to right.
EXTRA_CSS = "table.leads td:last-child, table.leads th:last-child { text-align: left; }\n"


class DashboardError(Exception):
    """The marts cannot be read (the message says what to run)."""


def fetch(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> list[dict]:
    cursor = con.execute(sql, list(params))
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def prefix(con: duckdb.DuckDBPyConnection, schema: str) -> str:
    """`schema.` when the marts live there, "" for a serving copy (tables at the top)."""
    tables = {
        (row[0], row[1])
        for row in con.execute(
            "select table_schema, table_name from information_schema.tables"
        ).fetchall()
    }
    if (schema, "lead_scores") in tables:
        return f"{schema}."
    if any(name == "lead_scores" for _, name in tables):
        return ""
    raise DashboardError("no lead_scores table: run `./leadscore score` (or `make demo`) first")


def read_marts(database: Path, schema: str = "main") -> dict[str, Any]:
    """Everything the page shows, per model."""
    if not database.is_file():
        raise DashboardError(f"{database} not found: run `./leadscore score` or `make demo` first")
    with duckdb.connect(str(database), read_only=True) as con:
        p = prefix(con, schema)
        models = fetch(
            con,
            f"select model_id, scope, count(*) as rule_count from {p}rule_hit_rates "
            "group by model_id, scope order by scope desc, model_id",
        )
        data: dict[str, Any] = {"models": models}
        data["tiers"] = fetch(
            con,
            f"select * from {p}tier_distribution where dimension = 'score' "
            "order by model_id, tier_rank nulls last",
        )
        data["totals"] = fetch(
            con,
            f"select model_id, count(*) as entities, sum(case when is_qualified then 1 else 0 end)"
            f" as qualified, avg(score) as average_score, max(scored_at) as scored_at "
            f"from (select model_id, score, is_qualified, scored_at from {p}lead_scores union all "
            f"select model_id, score, is_qualified, scored_at from {p}account_scores) "
            "group by model_id",
        )
        data["newly_qualified"] = fetch(
            con,
            f"select model_id, count(*) as newly_qualified from {p}lead_score_changes "
            "where is_newly_qualified group by model_id",
        )
        data["trend"] = fetch(
            con,
            f"select model_id, snapshot_date, sum(case when is_qualified then 1 else 0 end) "
            f"as qualified from {p}lead_score_history group by model_id, snapshot_date "
            "order by model_id, snapshot_date",
        )
        data["top"] = fetch(
            con,
            f"select * from {p}qualified_leads_by_owner order by model_id, score desc, contact_id",
        )
        data["rules"] = fetch(
            con,
            f"select * from {p}rule_hit_rates "
            "order by model_id, share_of_points desc nulls last, rule_id",
        )
        data["backtest"] = fetch(
            con,
            f"with latest as (select model_id, max(cutoff_at) as cutoff_at "
            f"from {p}backtest_observations group by model_id) "
            "select o.model_id, o.cutoff_at, max(o.outcome_ends_at) as outcome_ends_at, o.tier, "
            "count(*) as leads, sum(case when o.has_converted then 1 else 0 end) as converted "
            f"from {p}backtest_observations as o inner join latest "
            "on o.model_id = latest.model_id and o.cutoff_at = latest.cutoff_at "
            f"left join {p}tier_distribution as t on o.model_id = t.model_id "
            "and t.dimension = 'score' and o.tier = t.tier "
            "group by o.model_id, o.cutoff_at, o.tier "
            "order by o.model_id, max(t.tier_rank) desc nulls first",
        )
    data["database"] = str(database)
    return data


def by_model(rows: Sequence[dict]) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        grouped[row["model_id"]].append(row)
    return grouped


def tier_chart(model_id: str, tiers: Sequence[dict]) -> str:
    ordered = list(reversed(tiers))  # lowest tier first, the row below it before that
    names = [row["tier"] if row["tier"] is not None else "below lowest" for row in ordered]
    return charts.bar_chart(
        names,
        [
            ("entities", [row["entities"] for row in ordered]),
            ("qualified", [row["qualified_entities"] for row in ordered]),
        ],
        title=f"{model_id}: scored by tier",
        y_label="entities",
        x_label="tier (score)",
        value_labels=True,
    )


def trend_chart(model_id: str, trend: Sequence[dict]) -> str:
    if not trend:
        return charts.line_chart(
            [], title=f"{model_id}: qualified over time", x_label="day", y_label="qualified"
        )
    first = trend[0]["snapshot_date"]
    days = [(row["snapshot_date"] - first).days for row in trend]
    return charts.line_chart(
        [charts.Series("qualified", days, [row["qualified"] for row in trend], markers=True)],
        title=f"{model_id}: qualified over time",
        x_label=f"days since {first:%Y-%m-%d} (last: {trend[-1]['snapshot_date']:%Y-%m-%d})",
        y_label="qualified",
        y_range=(0, max(1, *(row["qualified"] for row in trend)) * 1.1),
        y_format="{:.0f}",
    )


def rule_chart(model_id: str, rules: Sequence[dict], top: int = 8) -> str:
    weighed = [row for row in rules if row["share_of_points"]][:top]
    return charts.bar_chart(
        [row["rule_id"] for row in weighed],
        [("share of points", [row["share_of_points"] for row in weighed])],
        title=f"{model_id}: the {len(weighed)} rules that weigh most",
        y_label="share of all points",
        y_format="{:.0%}",
    )


def backtest_chart(model_id: str, backtest: Sequence[dict]) -> str:
    rows = [row for row in backtest if row["leads"]]
    return charts.bar_chart(
        [row["tier"] if row["tier"] is not None else "no tier" for row in rows],
        [("converted", [row["converted"] / row["leads"] for row in rows])],
        title=f"{model_id}: conversion by tier at the latest cutoff",
        y_label="converted within the horizon",
        y_format="{:.0%}",
        value_labels=True,
    )


def reasons(row: dict) -> str:
    parts = [
        f"{row[f'reason_{n}_rule_id']} (+{row[f'reason_{n}_points']:.1f})"
        for n in (1, 2, 3)
        if row[f"reason_{n}_rule_id"] is not None
    ]
    return ", ".join(parts) or "-"


def person(row: dict) -> str:
    name = " ".join(part for part in (row["first_name"], row["last_name"]) if part)
    return name or row["contact_id"]


def model_section(model: dict, data: dict[str, Any], top: int) -> str:
    model_id = model["model_id"]
    totals = next((t for t in data["totals"] if t["model_id"] == model_id), None)
    newly = next(
        (n["newly_qualified"] for n in data["newly_qualified"] if n["model_id"] == model_id), 0
    )
    noun = "leads" if model["scope"] == "contact" else "accounts"
    kpis = ""
    if totals:
        kpis = "".join(
            [
                kpi(f"{totals['entities']:,}", f"{noun} scored"),
                kpi(
                    f"{totals['qualified']:,}",
                    f"qualified ({pct(totals['qualified'] / totals['entities'])})",
                ),
                kpi(f"{newly:,}", "newly qualified since the last snapshot"),
                kpi(f"{totals['average_score']:.1f}", "average score"),
            ]
        )
    tiers = by_model(data["tiers"]).get(model_id, [])
    trend = by_model(data["trend"]).get(model_id, [])
    rules = by_model(data["rules"]).get(model_id, [])
    backtest = by_model(data["backtest"]).get(model_id, [])
    parts = [
        f'<h2 id="{escape(model_id)}">{escape(model_id)} ({escape(model["scope"])} model)</h2>',
        f'<div class="kpis">{kpis}</div>',
        '<div class="grid">'
        + card(tier_chart(model_id, tiers))
        + card(trend_chart(model_id, trend))
        + "</div>",
    ]
    if model["scope"] == "contact":
        leads = by_model(data["top"]).get(model_id, [])[:top]
        parts += [
            f"<h3>Top {len(leads)} qualified leads and why</h3>",
            table(
                ["lead", "company", "owner", "score", "tier", "top reasons (rule, points)"],
                [
                    [
                        person(r),
                        r["company_name"] or "-",
                        r["owner_id"] or "unassigned",
                        f"{r['score']:.1f}",
                        r["tier"] or "-",
                        reasons(r),
                    ]
                    for r in leads
                ],
                css="leads",
            )
            if leads
            else '<p class="note">No qualified leads.</p>',
        ]
    fired = sum(1 for r in rules if r["has_fired"])
    parts += [
        f"<h3>Rules: {fired} of {len(rules)} fire</h3>",
        '<div class="grid">'
        + card(rule_chart(model_id, rules))
        + (card(backtest_chart(model_id, backtest)) if backtest else "")
        + "</div>",
        table(
            ["rule", "type", "points", "hit rate", "hits", "share of points", "fires"],
            [
                [
                    r["rule_id"],
                    r["rule_type"] or "-",
                    f"{r['rule_points'] or 0:g}",
                    pct(r["hit_rate"]),
                    f"{r['hits']:,}",
                    pct(r["share_of_points"]),
                    "yes" if r["has_fired"] else "never",
                ]
                for r in rules
            ],
        ),
    ]
    if backtest:
        leads, converted = sum(r["leads"] for r in backtest), sum(r["converted"] for r in backtest)
        cutoff, until = backtest[0]["cutoff_at"], max(r["outcome_ends_at"] for r in backtest)
        parts.append(
            f'<p class="note">Latest backtest: of {leads:,} {noun} not yet converted at '
            f"{cutoff:%Y-%m-%d}, {converted:,} ({pct(converted / leads)}) converted by "
            f"{until:%Y-%m-%d}. The full report: <code>./leadscore backtest</code>.</p>"
        )
    return "\n".join(parts)


def render(data: dict[str, Any], top: int = 15, generated_at: datetime | None = None) -> str:
    generated_at = generated_at or datetime.now(UTC)
    scored_at = max((t["scored_at"] for t in data["totals"]), default=None)
    stamp = f"{scored_at:%Y-%m-%d %H:%M} UTC" if scored_at else "n/a"
    links = " · ".join(
        f'<a href="#{escape(m["model_id"])}">{escape(m["model_id"])}</a>' for m in data["models"]
    )
    body = [
        "<h1>Lead scores</h1>",
        f'<p class="meta">Scores at {escape(stamp)}'
        f" from {escape(data['database'])}; generated {generated_at:%Y-%m-%d %H:%M} UTC. "
        f"Models: {links}</p>",
        '<p class="note">Every score is explained rule by rule: '
        "<code>./leadscore explain --contact &lt;id&gt; --model &lt;model&gt;</code>.</p>",
    ]
    body += [model_section(model, data, top) for model in data["models"]]
    return page("Lead scores", body, EXTRA_CSS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database",
        type=Path,
        help=f"DuckDB file with the published marts (default: {DEFAULT_SERVING} "
        f"if it exists, else {DEFAULT_BUILD})",
    )
    parser.add_argument("--schema", default="main", help="schema of the marts in a build file")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="HTML file to write")
    parser.add_argument("--top", type=int, default=15, help="top leads listed per model")
    args = parser.parse_args(argv)
    database = args.database or (DEFAULT_SERVING if DEFAULT_SERVING.exists() else DEFAULT_BUILD)
    try:
        data = read_marts(database, args.schema)
    except (DashboardError, duckdb.Error) as error:
        print(f"dashboard: {error}", file=sys.stderr)
        return 2
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(render(data, args.top), encoding="utf-8")
    print(f"dashboard written to {args.output.resolve()} ({len(data['models'])} models)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
