"""Print a short summary of the published scores: tiers per model and the top leads.

Reads the DuckDB file read-only, after `dbt build` has finished. With
`--target postgres|spark` it reads the marts from that profiles.yml target
instead (copied into an in-memory DuckDB, where the same queries run).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
from engines import ProfileError, fetch_table, load_target

DEFAULT_DATABASE = Path(os.environ.get("LEADSCORE_DUCKDB_PATH", "output/leadscore.duckdb"))

TIERS_SQL = """
select model_id, 'lead' as scope, coalesce(tier, '(none)') as tier, count(*) as entities,
       sum(case when is_qualified then 1 else 0 end) as qualified, max(scored_at) as scored_at
from {schema}.lead_scores group by all
union all
select model_id, 'account' as scope, coalesce(tier, '(none)') as tier, count(*) as entities,
       sum(case when is_qualified then 1 else 0 end) as qualified, max(scored_at) as scored_at
from {schema}.account_scores group by all
order by model_id, tier
"""

TOP_LEADS_SQL = """
with ranked as (
    select model_id, contact_id, company_id, score, fit_score, engagement_score, tier,
           is_qualified,
           row_number() over (order by score desc, engagement_score desc, model_id, contact_id)
               as score_rank
    from {schema}.lead_scores
),
reasons as (
    select model_id, contact_id, rule_id, points,
           row_number() over (
               partition by model_id, contact_id order by abs(points) desc, rule_id
           ) as reason_rank
    from {schema}.lead_score_contributions
    where contact_id is not null
)
select ranked.model_id, ranked.contact_id, ranked.score, ranked.fit_score,
       ranked.engagement_score, ranked.tier, ranked.is_qualified,
       string_agg(
           reasons.rule_id || ' ' || (case when reasons.points > 0 then '+' else '' end)
           || cast(round(reasons.points, 1) as varchar),
           ', ' order by reasons.reason_rank
       ) as top_reasons
from ranked
left join reasons
    on ranked.model_id = reasons.model_id and ranked.contact_id = reasons.contact_id
    and reasons.reason_rank <= {reasons}
where ranked.score_rank <= {top}
group by all
order by ranked.score desc, ranked.engagement_score desc, ranked.model_id, ranked.contact_id
"""


def print_table(headers: list[str], rows: list[tuple]) -> None:
    """Print rows as a plain aligned text table."""
    cells = [[str(v) if v is not None else "" for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))


ISSUES_SQL = """
select table_name, detected_by, issue, handling, count(*) as row_count
from {schema}.data_quality_issues
group by all
order by table_name, row_count desc, issue, handling
"""

PUBLICATION_SQL = """
select published_at, scored_at from {schema}.leadscore_publications
order by published_at desc limit 1
"""

SUMMARY_TABLES = (
    "lead_scores",
    "account_scores",
    "lead_score_contributions",
    "data_quality_issues",
    "leadscore_publications",
)


def marts_in_memory(target: str) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the marts the summary reads, fetched from `target`."""
    settings = load_target(target)
    con = duckdb.connect()
    for table in SUMMARY_TABLES:
        columns, rows = fetch_table(target, settings, table)
        data = pa.table({name: [row[i] for row in rows] for i, name in enumerate(columns)})
        con.register(f"{table}_arrow", data)
        con.execute(f"create table main.{table} as select * from {table}_arrow")
    return con


def summarize(
    database: Path,
    schema: str = "main",
    top: int = 10,
    reasons: int = 3,
    target: str = "duckdb",
) -> None:
    """Print leads per tier per model and the top leads with their main reasons."""
    if target == "duckdb":
        con = duckdb.connect(str(database), read_only=True)
    else:
        con, schema = marts_in_memory(target), "main"
    with con:
        tiers = con.execute(TIERS_SQL.format(schema=schema)).fetchall()
        top_leads = con.execute(
            TOP_LEADS_SQL.format(schema=schema, top=top, reasons=reasons)
        ).fetchall()
        issues = con.execute(ISSUES_SQL.format(schema=schema)).fetchall()
        publication = con.execute(PUBLICATION_SQL.format(schema=schema)).fetchone()
    scored_at = max((row[5] for row in tiers), default=None)
    published = f", published {publication[0]} (UTC)" if publication else ""
    print(f"\nScores as of {scored_at} (UTC){published}\n")
    print("Entities per tier and model")
    print_table(["model_id", "scope", "tier", "entities", "qualified"], [row[:5] for row in tiers])
    print(f"\nTop {top} leads")
    print_table(
        [
            "model_id",
            "contact_id",
            "score",
            "fit",
            "engagement",
            "tier",
            "qualified",
            "top reasons",
        ],
        top_leads,
    )
    print("\nRaw data issues (main.data_quality_issues)")
    if issues:
        print_table(["table", "found by", "issue", "handling", "rows"], issues)
    else:
        print("  none: every raw row was loaded and staged as it was")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", type=Path, default=DEFAULT_DATABASE)
    parser.add_argument("--schema", default="main", help="schema of the marts")
    parser.add_argument("--top", type=int, default=10, help="number of top leads to list")
    parser.add_argument(
        "--target",
        default="duckdb",
        help="profiles.yml target holding the marts (default duckdb: --database)",
    )
    args = parser.parse_args(argv)
    if args.target == "duckdb" and not args.database.exists():
        print(f"error: database {args.database} does not exist; run `make demo`", file=sys.stderr)
        return 2
    try:
        summarize(args.database, args.schema, args.top, target=args.target)
    except ProfileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
