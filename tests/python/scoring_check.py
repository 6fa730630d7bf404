"""Compare the dbt marts with the independent reference scorer, row for row."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from conftest import read_table
from reference_scorer import read_config_dir, read_raw_from_duckdb, score

TOLERANCE = 0.01
KEYS = {
    "lead_scores": ("model_id", "contact_id"),
    "account_scores": ("model_id", "company_id"),
    "lead_score_contributions": ("model_id", "contact_id", "company_id", "rule_id"),
}
NUMERIC = {"score", "fit_score", "engagement_score", "points"}


def free_email_domains(seeds_dir: Path) -> set[str]:
    lines = (seeds_dir / "free_email_domains.csv").read_text().splitlines()[1:]
    return {line.strip().lower() for line in lines if line.strip()}


def expected_outputs(database: Path, seeds_dir: Path, as_of: datetime) -> dict[str, list[dict]]:
    """What the spec says the marts must contain, from the reference scorer."""
    raw = read_raw_from_duckdb(database)
    config = read_config_dir(seeds_dir)
    return score(raw, config, free_email_domains(seeds_dir), as_of)


def differences(database: Path, expected: dict[str, list[dict]], limit: int = 20) -> list[str]:
    """Every disagreement between the marts in database and expected (empty when equal)."""
    problems: list[str] = []
    for table, key_columns in KEYS.items():
        actual_rows = read_table(database, table)
        actual = {tuple(row[k] for k in key_columns): row for row in actual_rows}
        wanted = {tuple(row[k] for k in key_columns): row for row in expected[table]}
        if len(actual) != len(actual_rows):
            problems.append(f"{table}: duplicate keys in the mart")
        for key in sorted(set(wanted) - set(actual), key=str)[:limit]:
            problems.append(f"{table}: missing row {key}: expected {wanted[key]}")
        for key in sorted(set(actual) - set(wanted), key=str)[:limit]:
            problems.append(f"{table}: unexpected row {key}: {actual[key]}")
        for key in sorted(set(actual) & set(wanted), key=str):
            for column, expected_value in wanted[key].items():
                value = actual[key].get(column)
                if column in NUMERIC and value is not None and expected_value is not None:
                    if abs(float(value) - float(expected_value)) > TOLERANCE:
                        problems.append(
                            f"{table} {key}: {column} = {value}, expected {expected_value}"
                        )
                elif value != expected_value:
                    problems.append(
                        f"{table} {key}: {column} = {value!r}, expected {expected_value!r}"
                    )
    return problems
