"""The bad-input corpus: tests/python/bad_inputs/<case>/ holds the exports of one
class of bad input and expected.json what the loader must make of them.

expected.json:
- `what`: the bad input, in words (the README table repeats it).
- `load_time` (optional, default LOAD_TIME): the load's start, "YYYY-MM-DD HH:MM:SS" UTC.
- `tables`: per loaded table `read`, `loaded`, `rejected`, `rejects` (every
  reject as [row_number, category]) and optionally `orphans` ({column: rows
  kept whose reference does not resolve}).
- `reasons` (optional): [table, row_number, text the reason contains].
- `stored` (optional): [{"sql": ..., "rows": [...]}]: rows of the raw schema
  after the load (timestamps as "YYYY-MM-DD HH:MM:SS[.ffffff]").
- `output` (optional): texts the loader's summary prints.
- `error` (instead of `tables`): the input is unusable; load() raises a
  LoadError containing this text and writes nothing.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import load_raw
import pytest

CORPUS = Path(__file__).resolve().parent / "bad_inputs"
CASES = sorted(path.name for path in CORPUS.iterdir() if (path / "expected.json").is_file())
LOAD_TIME = "2026-06-01 12:00:00"
ROW_COUNTS = ("read", "loaded", "rejected")


def expected_of(case: str) -> dict[str, Any]:
    return json.loads((CORPUS / case / "expected.json").read_text(encoding="utf-8"))


def plain(value: object) -> object:
    """A stored value as expected.json writes it."""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, tuple):
        return [plain(item) for item in value]
    return value


def test_every_case_folder_has_an_expected_json_and_a_readme_row() -> None:
    folders = sorted(path.name for path in CORPUS.iterdir() if path.is_dir())
    assert folders == CASES
    assert len(CASES) >= 20
    readme = (CORPUS / "README.md").read_text(encoding="utf-8")
    for case in CASES:
        assert f"`{case}`" in readme, f"{case} is missing from bad_inputs/README.md"


@pytest.mark.parametrize("case", CASES)
def test_bad_input_case(
    case: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    expected = expected_of(case)
    started = datetime.fromisoformat(expected.get("load_time", LOAD_TIME))
    monkeypatch.setattr(load_raw, "utc_now", lambda: started)
    database = tmp_path / "corpus.duckdb"

    if "error" in expected:
        with pytest.raises(load_raw.LoadError) as caught:
            load_raw.load(CORPUS / case, database)
        assert expected["error"] in str(caught.value)
        assert not database.exists(), "a LoadError must come before anything is written"
        return

    counts = load_raw.load(CORPUS / case, database)
    out = capsys.readouterr().out
    tables = expected["tables"]
    assert sorted(counts) == sorted(tables), "every loaded table is described"
    with duckdb.connect(str(database), read_only=True) as con:
        for table, want in tables.items():
            got = counts[table]
            assert {k: got[k] for k in ROW_COUNTS} == {k: want[k] for k in ROW_COUNTS}, table
            assert got["loaded"] + got["rejected"] == got["read"], table
            (stored,) = con.execute(f"SELECT count(*) FROM raw.{table}").fetchone()
            assert stored == want["loaded"], f"{table}: rows stored"
            rejects = con.execute(
                "SELECT row_number, category, reason FROM raw.load_rejects "
                "WHERE table_name = ? ORDER BY row_number",
                [table],
            ).fetchall()
            assert len(rejects) == want["rejected"], f"{table}: rows in load_rejects"
            assert [[n, category] for n, category, _ in rejects] == want["rejects"], table
            for n, category, reason in rejects:
                assert category and reason, f"{table} row {n}: empty category or reason"
            if "orphans" in want:
                assert got["orphans"] == want["orphans"], f"{table}: orphans"
        reasons = dict(
            ((table, n), reason)
            for table, n, reason in con.execute(
                "SELECT table_name, row_number, reason FROM raw.load_rejects"
            ).fetchall()
        )
        for table, n, text in expected.get("reasons", []):
            assert text in reasons[(table, n)], f"{table} row {n}"
        for check in expected.get("stored", []):
            rows = [plain(row) for row in con.execute(check["sql"]).fetchall()]
            assert rows == check["rows"], check["sql"]
    for text in expected.get("output", []):
        assert text in out
