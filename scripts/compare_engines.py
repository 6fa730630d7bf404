#!/usr/bin/env python3
"""Compare the marts built on several engines, row for row.

    python scripts/compare_engines.py --base duckdb --targets postgres spark
                                      [--tables lead_scores ...] [--tolerance 0.01]

Reads every table from each target of profiles.yml (the schema dbt built it
in; scripts/engines.py) and compares it with the base target's:

- the same columns (names; order may differ) and the same number of rows;
- rows are matched on their exact columns (text, integers, booleans,
  timestamps, nulls); numbers with a fractional part (scores, points,
  probabilities) must agree within --tolerance.

Prints one line per table and target, then the first differences. Exit
status 0 when every table agrees, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from engines import ProfileError, fetch_table, load_target

# The spec's output tables (section 4): scores, explanations, history, backtest.
MARTS = (
    "lead_scores",
    "account_scores",
    "lead_score_contributions",
    "lead_score_rule_hits",
    "lead_score_history",
    "lead_score_changes",
    "backtest_observations",
    "backtest_rule_hits",
)
# The report marts over them (models/marts/reports, README "Reports").
REPORTS = (
    "tier_distribution",
    "scores_by_lifecycle_stage",
    "scores_by_deal_stage",
    "qualified_leads_by_owner",
    "rule_hit_rates",
)
MAX_EXAMPLES = 5


@dataclass
class Comparison:
    table: str
    target: str
    base_rows: int = 0
    target_rows: int = 0
    max_difference: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        return not self.problems


def normalise(value: Any) -> Any:
    """One representation per value across drivers."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def sort_key(values: Iterable[Any]) -> tuple[Any, ...]:
    """Nulls first, then values, comparable across rows of one column."""
    return tuple((0, "") if value is None else (1, value) for value in values)


def numeric_columns(rows_by_engine: Sequence[list[tuple[Any, ...]]], width: int) -> list[bool]:
    """Columns holding a non-integral number on some engine (compared with tolerance)."""
    numeric = [False] * width
    for rows in rows_by_engine:
        for row in rows:
            for index, value in enumerate(row):
                if isinstance(value, float) and not isinstance(value, bool):
                    numeric[index] = True
    return numeric


def compare_rows(
    columns: list[str],
    base_rows: list[tuple[Any, ...]],
    other_rows: list[tuple[Any, ...]],
    tolerance: float,
    result: Comparison,
) -> None:
    numeric = numeric_columns([base_rows, other_rows], len(columns))
    exact = [index for index, is_numeric in enumerate(numeric) if not is_numeric]
    approximate = [index for index, is_numeric in enumerate(numeric) if is_numeric]

    def group(rows: list[tuple[Any, ...]]) -> dict[tuple[Any, ...], list[tuple[Any, ...]]]:
        groups: dict[tuple[Any, ...], list[tuple[Any, ...]]] = defaultdict(list)
        for row in rows:
            key = tuple(row[index] for index in exact)
            groups[key].append(tuple(row[index] for index in approximate))
        for values in groups.values():
            values.sort(key=sort_key)
        return groups

    base_groups, other_groups = group(base_rows), group(other_rows)
    exact_names = [columns[index] for index in exact]
    for key in sorted(set(base_groups) | set(other_groups), key=sort_key):
        base_values = base_groups.get(key, [])
        other_values = other_groups.get(key, [])
        described = ", ".join(
            f"{name}={value!r}" for name, value in zip(exact_names, key, strict=True)
        )
        if len(base_values) != len(other_values):
            result.problems.append(
                f"{len(base_values)} row(s) on the base, {len(other_values)} on {result.target}: "
                f"{described}"
            )
            continue
        for base_value, other_value in zip(base_values, other_values, strict=True):
            for index, (left, right) in enumerate(zip(base_value, other_value, strict=True)):
                name = columns[approximate[index]]
                if left is None or right is None:
                    if left is not right:
                        result.problems.append(f"{name} {left!r} vs {right!r}: {described}")
                    continue
                difference = abs(float(left) - float(right))
                result.max_difference = max(result.max_difference, difference)
                if difference > tolerance + 1e-9:
                    result.problems.append(
                        f"{name} {left!r} vs {right!r} (differs by {difference:.6g}): {described}"
                    )


def read(target: str, settings: dict[str, Any], table: str) -> tuple[list[str], list[tuple]]:
    columns, rows = fetch_table(target, settings, table)
    return columns, [tuple(normalise(value) for value in row) for row in rows]


def compare_table(
    table: str,
    base: tuple[list[str], list[tuple[Any, ...]]],
    target: str,
    other: tuple[list[str], list[tuple[Any, ...]]],
    tolerance: float,
) -> Comparison:
    base_columns, base_rows = base
    other_columns, other_rows = other
    result = Comparison(table, target, len(base_rows), len(other_rows))
    if sorted(base_columns) != sorted(other_columns):
        missing = sorted(set(base_columns) - set(other_columns))
        extra = sorted(set(other_columns) - set(base_columns))
        result.problems.append(f"columns differ: missing {missing}, extra {extra}")
        return result
    order = [other_columns.index(name) for name in base_columns]
    other_rows = [tuple(row[index] for index in order) for row in other_rows]
    compare_rows(base_columns, base_rows, other_rows, tolerance, result)
    return result


def compare_engines(
    base: str, targets: Sequence[str], tables: Sequence[str], tolerance: float
) -> list[Comparison]:
    settings = {name: load_target(name) for name in (base, *targets)}
    results = []
    for table in tables:
        base_table = read(base, settings[base], table)
        for target in targets:
            result = compare_table(
                table, base_table, target, read(target, settings[target], table), tolerance
            )
            status = "equal" if result.equal else f"DIFFERENT ({len(result.problems)} problems)"
            print(
                f"{table:28} {base} {result.base_rows:>7} rows | {target:9} "
                f"{result.target_rows:>7} rows | max |diff| {result.max_difference:.2g} | {status}",
                flush=True,
            )
            for problem in result.problems[:MAX_EXAMPLES]:
                print(f"    {problem}")
            results.append(result)
    return results


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="duckdb", help="target to compare with (default duckdb)")
    parser.add_argument("--targets", nargs="+", required=True, help="targets to check")
    parser.add_argument("--tables", nargs="+", default=list(MARTS), help="tables (default: marts)")
    parser.add_argument(
        "--tolerance", type=float, default=0.01, help="largest numeric difference (default 0.01)"
    )
    parser.add_argument("--output", type=Path, help="write the results as JSON here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        results = compare_engines(args.base, args.targets, args.tables, args.tolerance)
    except ProfileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.output:
        args.output.write_text(
            json.dumps(
                [
                    {
                        "table": r.table,
                        "target": r.target,
                        "base_rows": r.base_rows,
                        "target_rows": r.target_rows,
                        "max_difference": r.max_difference,
                        "problems": r.problems,
                    }
                    for r in results
                ],
                indent=2,
            )
        )
    different = [r for r in results if not r.equal]
    print(
        f"{len(results) - len(different)} of {len(results)} table comparisons equal "
        f"within {args.tolerance}"
    )
    return 1 if different else 0


if __name__ == "__main__":
    sys.exit(main())
