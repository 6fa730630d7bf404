"""Names dbt turns into relations fit PostgreSQL's 63-character identifiers.

A unit test's name is its temporary table's name on PostgreSQL; a longer one
fails only in `make test-engines`, minutes in. This catches it in `make test`.
"""

from __future__ import annotations

from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
POSTGRES_MAX_IDENTIFIER = 63


def test_unit_test_and_model_names_fit_postgres_identifiers() -> None:
    names = [path.stem for path in (REPO / "models").rglob("*.sql")]
    for path in (REPO / "models").rglob("*.yml"):
        document = yaml.safe_load(path.read_text()) or {}
        names += [test["name"] for test in document.get("unit_tests") or []]
    assert len(names) > 80, "found too few names: the check would be vacuous"
    too_long = [name for name in names if len(name) > POSTGRES_MAX_IDENTIFIER]
    assert not too_long, f"longer than {POSTGRES_MAX_IDENTIFIER} characters: {too_long}"
