"""The cross-engine comparison (scripts/compare_engines.py) and profile rendering (engines.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from compare_engines import compare_table, normalise
from engines import ProfileError, load_target

COLUMNS = ["model_id", "contact_id", "score", "tier", "scored_at"]
AT = datetime(2026, 6, 30, 18, 0)
ROWS = [
    ("platform", "c1", 81.25, "hot", AT),
    ("platform", "c2", 12.0, "cold", AT),
    ("insights", "c1", None, None, AT),
]


def compare(other_rows, other_columns=COLUMNS, tolerance=0.01):
    return compare_table(
        "lead_scores", (COLUMNS, ROWS), "postgres", (other_columns, other_rows), tolerance
    )


def test_identical_tables_are_equal_in_any_row_and_column_order() -> None:
    reordered_columns = ["tier", "scored_at", "contact_id", "model_id", "score"]
    rows = [(r[3], r[4], r[1], r[0], r[2]) for r in reversed(ROWS)]
    result = compare(rows, reordered_columns)
    assert result.equal, result.problems
    assert (result.base_rows, result.target_rows) == (3, 3)


def test_numbers_within_the_tolerance_agree_and_beyond_it_do_not() -> None:
    close = [("platform", "c1", 81.255, "hot", AT), *ROWS[1:]]
    assert compare(close).equal
    far = [("platform", "c1", 81.27, "hot", AT), *ROWS[1:]]
    result = compare(far)
    assert not result.equal
    assert "score 81.25 vs 81.27" in result.problems[0]
    assert result.max_difference == pytest.approx(0.02)


def test_a_missing_or_extra_row_is_reported() -> None:
    assert not compare(ROWS[:2]).equal
    assert not compare([*ROWS, ("platform", "c3", 1.0, "cold", AT)]).equal


def test_a_different_text_value_or_timestamp_is_a_different_row() -> None:
    assert not compare([("platform", "c1", 81.25, "warm", AT), *ROWS[1:]]).equal
    later = datetime(2026, 6, 30, 18, 0, 1)
    assert not compare([("platform", "c1", 81.25, "hot", later), *ROWS[1:]]).equal


def test_null_against_a_number_is_a_difference() -> None:
    result = compare([*ROWS[:2], ("insights", "c1", 0.0, None, AT)])
    assert not result.equal
    assert "None vs 0.0" in result.problems[0]


def test_different_columns_are_reported() -> None:
    result = compare([r[:4] for r in ROWS], COLUMNS[:4])
    assert not result.equal
    assert "missing ['scored_at']" in result.problems[0]


def test_driver_types_are_normalised() -> None:
    assert normalise(Decimal("1.50")) == 1.5
    assert normalise(datetime(2026, 6, 30, 20, 0, tzinfo=UTC)) == datetime(2026, 6, 30, 20, 0)


def test_profile_targets_render_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADSCORE_PG_PASSWORD", "s3cret")
    monkeypatch.setenv("LEADSCORE_PG_SCHEMA", "scores")
    monkeypatch.delenv("LEADSCORE_PG_HOST", raising=False)
    postgres = load_target("postgres")
    assert postgres["password"] == "s3cret"
    assert postgres["schema"] == "scores"
    assert postgres["host"] == "127.0.0.1"
    monkeypatch.setenv("LEADSCORE_SPARK_DIR", "/tmp/sparkdir")
    spark = load_target("spark")
    assert spark["server_side_parameters"]["spark.sql.warehouse.dir"] == "/tmp/sparkdir/warehouse"
    assert spark["server_side_parameters"]["spark.sql.session.timeZone"] == "UTC"


def test_a_missing_password_or_target_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEADSCORE_PG_PASSWORD", raising=False)
    with pytest.raises(ProfileError, match="LEADSCORE_PG_PASSWORD"):
        load_target("postgres")
    with pytest.raises(ProfileError, match="no target 'oracle'"):
        load_target("oracle")
