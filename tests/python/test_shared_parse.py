"""conftest's shared dbt parse: reused only where dbt would reuse it, moved to the copy.

A saved parse names the project folder it was made in (each seed's root_path,
from which dbt-duckdb loads the seed); a copy that reuses it unmoved reads
another copy's seeds.
"""

from __future__ import annotations

from pathlib import Path

import conftest
import msgpack
import pytest


def saved_parse(root: Path) -> dict:
    return {
        "nodes": {"seed.leadscore.scoring_rules": {"root_path": str(root), "name": "x"}},
        "files": {"leadscore://seeds/a.csv": {"path": {"project_root": str(root)}}},
        "macros": [str(root) + "_other/macros", str(root / "macros")],
    }


def write_parse(project: Path, state: dict) -> None:
    (project / conftest.PARSE_FILE).parent.mkdir(parents=True)
    (project / conftest.PARSE_FILE).write_bytes(msgpack.packb(state, use_bin_type=True))


def read_parse(project: Path) -> dict:
    return msgpack.unpackb((project / conftest.PARSE_FILE).read_bytes(), raw=False)


def test_a_shared_parse_is_moved_to_the_copy_that_reuses_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(conftest, "PARSE_CACHE", tmp_path / "cache")
    (tmp_path / "cache").mkdir()
    first, second = tmp_path / "first", tmp_path / "second"
    database = tmp_path / "leadscore.duckdb"
    args = ["build", "--vars", '{"as_of": "2026-06-30"}']
    write_parse(first, saved_parse(first))

    conftest.share_parse(first, database, args)
    conftest.reuse_parse(second, database, args)

    state = read_parse(second)
    assert state["nodes"]["seed.leadscore.scoring_rules"]["root_path"] == str(second)
    assert state["files"]["leadscore://seeds/a.csv"]["path"]["project_root"] == str(second)
    # Only the folder itself and paths under it move, not a longer name.
    assert state["macros"] == [str(first) + "_other/macros", str(second / "macros")]


@pytest.mark.parametrize(
    ("database_name", "args"),
    [
        ("other.duckdb", ["build", "--vars", '{"as_of": "2026-06-30"}']),
        ("leadscore.duckdb", ["build", "--vars", '{"as_of": "2026-07-01"}']),
        ("leadscore.duckdb", ["build", "--vars", '{"as_of": "2026-06-30"}', "--target", "x"]),
    ],
)
def test_a_parse_is_not_reused_with_other_vars_target_or_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_name: str, args: list[str]
) -> None:
    monkeypatch.setattr(conftest, "PARSE_CACHE", tmp_path / "cache")
    (tmp_path / "cache").mkdir()
    first, second = tmp_path / "first", tmp_path / "second"
    write_parse(first, saved_parse(first))
    shared_args = ["build", "--vars", '{"as_of": "2026-06-30"}']
    conftest.share_parse(first, tmp_path / "leadscore.duckdb", shared_args)
    conftest.reuse_parse(second, tmp_path / database_name, args)
    assert not (second / conftest.PARSE_FILE).exists()


def test_a_copy_keeps_its_own_parse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(conftest, "PARSE_CACHE", tmp_path / "cache")
    (tmp_path / "cache").mkdir()
    first, second = tmp_path / "first", tmp_path / "second"
    database, args = tmp_path / "leadscore.duckdb", ["build"]
    write_parse(first, saved_parse(first))
    write_parse(second, {"own": True})
    conftest.share_parse(first, database, args)
    conftest.reuse_parse(second, database, args)
    assert read_parse(second) == {"own": True}
