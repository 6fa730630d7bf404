"""Shared fixtures for the end-to-end tests: project copies, dbt runs, table reads."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import msgpack
import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from project_copy import copy_project  # noqa: E402  (re-exported for the tests)

CONFIG_SEEDS = ["scoring_models", "scoring_groups", "scoring_rules", "score_tiers"]
E2E_AS_OF = datetime(2026, 6, 30, 18, 0, 0)
E2E_END = "2026-06-30"


@dataclass
class DbtRun:
    """Outcome of one dbt invocation: success flag and every node's status and message."""

    success: bool
    messages: list[str]
    statuses: dict[str, str]
    exception: BaseException | None

    def text(self) -> str:
        return "\n".join(self.messages) + (f"\n{self.exception}" if self.exception else "")


# dbt's parse of the project (target/partial_parse.msgpack), shared between project
# copies: dbt reuses a saved parse when the command-line vars, the target, the
# profile's connection settings and dbt_project.yml are the same, and re-parses
# only the files whose contents differ (a copy with edited seeds or models
# re-parses those). A fresh copy would otherwise parse all ~460 nodes again
# (about 10 s instead of 4). The DuckDB path is a connection setting, so dbt runs
# in the database's folder with the path relative (dbt_cwd, dbt_env): builds of
# databases with the same file name share a parse. Set by the session fixture below.
PARSE_CACHE: Path | None = None
PARSE_FILE = Path("target") / "partial_parse.msgpack"


def parse_key(database: Path, args: list[str]) -> str:
    """What decides whether a saved parse is reusable: vars, target, database file name."""
    options = {"database": database.name}
    for flag in ("--vars", "--target"):
        if flag in args and args.index(flag) + 1 < len(args):
            options[flag] = args[args.index(flag) + 1]
    return hashlib.sha256(json.dumps(options, sort_keys=True).encode()).hexdigest()[:16]


def moved(value: object, old_root: str, new_root: str) -> object:
    """`value` (a decoded saved parse) with the project root paths moved to new_root."""
    if isinstance(value, str):
        if value == old_root or value.startswith(old_root + "/"):
            return new_root + value[len(old_root) :]
        return value
    if isinstance(value, dict):
        return {key: moved(item, old_root, new_root) for key, item in value.items()}
    if isinstance(value, list):
        return [moved(item, old_root, new_root) for item in value]
    return value


def reuse_parse(project_dir: Path, database: Path, args: list[str]) -> None:
    """Give a project copy without a parse of its own the shared one for these args.

    A saved parse holds the absolute root of the project it was made in (each
    file's project_root, each seed's root_path: dbt-duckdb loads a seed from
    there), so those paths are moved to this copy; nothing else names it.
    """
    if PARSE_CACHE is None or (project_dir / PARSE_FILE).exists():
        return
    cached = PARSE_CACHE / parse_key(database, args)
    if cached.exists():
        saved = json.loads(cached.with_suffix(".json").read_text())
        state = msgpack.unpackb(cached.read_bytes(), raw=False, strict_map_key=False)
        state = moved(state, saved["project_root"], str(project_dir))
        (project_dir / PARSE_FILE).parent.mkdir(parents=True, exist_ok=True)
        (project_dir / PARSE_FILE).write_bytes(msgpack.packb(state, use_bin_type=True))


def share_parse(project_dir: Path, database: Path, args: list[str]) -> None:
    """Keep the copy's parse for later copies run with the same args (first one wins)."""
    if PARSE_CACHE is None or not (project_dir / PARSE_FILE).exists():
        return
    cached = PARSE_CACHE / parse_key(database, args)
    if not cached.exists():
        shutil.copyfile(project_dir / PARSE_FILE, cached)
        cached.with_suffix(".json").write_text(json.dumps({"project_root": str(project_dir)}))


@pytest.fixture(scope="session", autouse=True)
def parse_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    global PARSE_CACHE
    PARSE_CACHE = tmp_path_factory.mktemp("parse_cache")
    return PARSE_CACHE


def dbt_command(project_dir: Path, database: Path, args: list[str]) -> list[str]:
    """The dbt CLI command line for a project copy (its own target and log paths) and
    a DuckDB file; run it with cwd=dbt_cwd(database) and env=dbt_env(database).

    Also gives the copy the session's saved parse for these args (reuse_parse).
    """
    reuse_parse(project_dir, database, args)
    return [
        str(Path(sys.executable).parent / "dbt"),
        *args,
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        str(project_dir),
        "--target-path",
        str(project_dir / "target"),
        "--log-path",
        str(project_dir / "logs"),
    ]


def dbt_cwd(database: Path) -> Path:
    """Where dbt runs: the database's folder (the profile's path is relative to it)."""
    return database.parent


def dbt_env(database: Path) -> dict[str, str]:
    """The environment of a dbt run on the DuckDB target against `database` (from dbt_cwd)."""
    return {**os.environ, "LEADSCORE_DUCKDB_PATH": database.name, "LEADSCORE_TARGET": "duckdb"}


def node_statuses(project_dir: Path) -> tuple[dict[str, str], list[str]]:
    """Status and messages of every node of the project copy's last run_results.json."""
    statuses: dict[str, str] = {}
    messages: list[str] = []
    results_file = project_dir / "target" / "run_results.json"
    if results_file.exists():
        for node_result in json.loads(results_file.read_text())["results"]:
            unique_id = node_result["unique_id"]
            kind, _, name = unique_id.split(".", 2)
            if kind == "exposure":
                continue  # declared consumers, nothing to run: always "no-op"
            # A versioned model (lead_scores.v1) goes by its name.
            name = name.split(".")[0] if kind == "model" else unique_id
            statuses[name] = node_result["status"]
            if node_result.get("message"):
                messages.append(f"{name}: {node_result['message']}")
    return statuses, messages


def run_dbt(project_dir: Path, database: Path, args: list[str]) -> DbtRun:
    """Run the dbt CLI on a project copy against a DuckDB file.

    A subprocess, not dbtRunner: dbt-duckdb keeps its connection open in the
    process that ran dbt, and the tests then read the file read-only.
    """
    completed = subprocess.run(
        dbt_command(project_dir, database, args),
        cwd=dbt_cwd(database),
        env=dbt_env(database),
        capture_output=True,
        text=True,
        check=False,
    )
    share_parse(project_dir, database, args)
    statuses, node_messages = node_statuses(project_dir)
    messages = [completed.stdout, completed.stderr, *node_messages]
    return DbtRun(completed.returncode == 0, messages, statuses, None)


def build(project_dir: Path, database: Path, as_of: datetime = E2E_AS_OF) -> DbtRun:
    """The whole `dbt build` with a fixed score time: unit tests, history and backtest grids.

    The shared build (default_build) is this one; tests about scores at T use
    score_build.
    """
    return run_dbt(project_dir, database, build_args(as_of))


def build_args(as_of: datetime = E2E_AS_OF) -> list[str]:
    stamp = as_of.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return ["build", "--vars", f"{{as_of: '{stamp}'}}"]


def score_build_args(as_of: datetime = E2E_AS_OF, *extra: str) -> list[str]:
    """`dbt build` of the scores at `as_of` only: every model and data test, no unit tests
    (the shared build runs them), no history snapshots and no backtest cutoffs."""
    variables = {
        "as_of": as_of.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "history_enabled": False,
        "backtest_enabled": False,
    }
    return [
        "build",
        "--exclude-resource-type",
        "unit_test",
        *extra,
        "--vars",
        json.dumps(variables),
    ]


def score_build(
    project_dir: Path, database: Path, as_of: datetime = E2E_AS_OF, *extra: str
) -> DbtRun:
    return run_dbt(project_dir, database, score_build_args(as_of, *extra))


QUICK_VARS = {
    "as_of": "2026-06-30T18:00:00Z",
    "history_start": "2026-06-27T18:00:00Z",
    "backtest_enabled": False,
}


def quick_build_args(
    *extra: str, variables: dict | None = None, data_tests: bool = True
) -> list[str]:
    """`dbt build` at E2E_AS_OF without unit tests, 4 history snapshots and no backtest.

    For tests about how builds behave (publication, interruptions, repeats,
    privacy) rather than what they compute: every model and data test still
    runs (data_tests=False leaves the data tests out too, for tests about the
    tables a build leaves). `variables` are added to the vars.
    """
    merged = json.dumps({**QUICK_VARS, **(variables or {})})
    excluded = ["unit_test"] if data_tests else ["unit_test", "test"]
    return ["build", "--exclude-resource-type", *excluded, *extra, "--vars", merged]


def quick_build(
    project_dir: Path,
    database: Path,
    *extra: str,
    variables: dict | None = None,
    data_tests: bool = True,
) -> DbtRun:
    args = quick_build_args(*extra, variables=variables, data_tests=data_tests)
    return run_dbt(project_dir, database, args)


def read_table(database: Path, table: str, schema: str = "main") -> list[dict]:
    """All rows of a table as dicts (read-only connection)."""
    with duckdb.connect(str(database), read_only=True) as con:
        cursor = con.execute(f"select * from {schema}.{table}")
        columns = [column[0] for column in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def table_columns(database: Path, table: str, schema: str = "main") -> list[str]:
    with duckdb.connect(str(database), read_only=True) as con:
        cursor = con.execute(f"select * from {schema}.{table} limit 0")
        return [column[0] for column in cursor.description]


def warehouse_snapshot(
    database: Path, schemas: tuple[str, ...] = ("main", "main_build")
) -> dict[str, list[tuple]]:
    """Every table and view of `schemas`: `schema.name` -> its rows, sorted.

    What a BI reader or the next build could see; two builds that should be
    identical must give equal snapshots.
    """
    snapshot: dict[str, list[tuple]] = {}
    with duckdb.connect(str(database), read_only=True) as con:
        names = con.execute(
            "select table_schema, table_name from information_schema.tables "
            f"where table_schema in ({', '.join('?' for _ in schemas)}) order by 1, 2",
            list(schemas),
        ).fetchall()
        for schema, name in names:
            rows = con.execute(f'select * from "{schema}"."{name}"').fetchall()
            snapshot[f"{schema}.{name}"] = sorted(rows, key=repr)
    return snapshot


@dataclass
class BuiltProject:
    project: Path
    database: Path
    data_dir: Path
    run: DbtRun


@pytest.fixture(scope="session")
def default_build(tmp_path_factory: pytest.TempPathFactory) -> BuiltProject:
    """Generated sample data, loaded and scored with the shipped default config."""
    import generate_data
    import load_raw

    root = tmp_path_factory.mktemp("default_build")
    data_dir = root / "data"
    database = root / "leadscore.duckdb"
    generate_data.main(
        ["--output", str(data_dir), "--contacts", "400", "--seed", "11", "--end", E2E_END]
    )
    load_raw.load(data_dir, database)
    project = copy_project(root / "project")
    run = build(project, database)
    return BuiltProject(project, database, data_dir, run)


@pytest.fixture
def workspace(default_build: BuiltProject, tmp_path: Path) -> tuple[Path, Path]:
    """A private copy of the built default project and its database."""
    database = tmp_path / "leadscore.duckdb"
    shutil.copy2(default_build.database, database)
    return copy_project(tmp_path / "project"), database
