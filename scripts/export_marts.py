#!/usr/bin/env python3
"""Export the published marts to a read-only serving copy that BI tools open.

    python scripts/export_marts.py [--database PATH] [--output PATH]
                                   [--format duckdb|parquet] [--schema main]

DuckDB lets one process open a database file for writing, and not while any
other process has it open, even read-only: a dashboard holding the build's
file open makes the next `dbt build` fail at once (and a dashboard cannot
open the file while dbt runs). So serve a copy (README, "Serving BI"):
after each `dbt build`, this script copies the marts of the latest
publication (the `leadscore_publications` table the build writes) into a new
file and swaps it in with an atomic rename:

- `--format duckdb` (default): `<output>` is a DuckDB file, default
  `output/serving/leadscore.duckdb`. A reader that has the previous copy
  open keeps reading it, unchanged, until it reconnects; a new reader gets
  the new copy. The build never waits for readers, and readers never see a
  half-written copy.
- `--format parquet`: `<output>` is a directory holding versions
  `v<published_at>/<mart>.parquet` and a symbolic link `current` that is
  switched atomically to the newest; readers query
  `<output>/current/<mart>.parquet`. The two newest versions are kept, so a
  reader in the middle of the previous one can finish it.

The build database is opened read-only; if dbt is still writing it, the
script stops with an error and leaves the serving copy as it was. Exit
status: 0 exported, 1 nothing exported (the reason is printed).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
from pathlib import Path

import duckdb

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE = REPO_ROOT / "output" / "leadscore.duckdb"
DATABASE_ENV_VAR = "LEADSCORE_DUCKDB_PATH"
DEFAULT_OUTPUT = {
    "duckdb": REPO_ROOT / "output" / "serving" / "leadscore.duckdb",
    "parquet": REPO_ROOT / "output" / "serving" / "parquet",
}
PUBLICATIONS = "leadscore_publications"
CURRENT_LINK = "current"
KEEP_VERSIONS = 2
NAME_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ExportError(Exception):
    """Nothing was exported; the message says why."""


def ident(name: str) -> str:
    if not NAME_PATTERN.fullmatch(name):
        raise ExportError(f"unexpected table or schema name {name!r}")
    return f'"{name}"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def latest_publication(con: duckdb.DuckDBPyConnection, schema: str) -> tuple[str, list[str]]:
    """(published_at as text, mart names) of the newest publication in `build`."""
    found = con.execute(
        "select count(*) from information_schema.tables "
        "where table_catalog = 'build' and table_schema = ? and table_name = ?",
        [schema, PUBLICATIONS],
    ).fetchone()
    if not found or not found[0]:
        raise ExportError(
            f"no {schema}.{PUBLICATIONS} in the build database: no dbt build has published "
            "marts yet (run `dbt build` first)"
        )
    row = con.execute(
        f"select strftime(published_at, '%Y%m%dT%H%M%S%f'), marts "
        f"from build.{ident(schema)}.{PUBLICATIONS} "
        "order by published_at desc, invocation_id desc limit 1"
    ).fetchone()
    if row is None:
        raise ExportError(f"{schema}.{PUBLICATIONS} is empty: nothing has been published yet")
    return str(row[0]), [name for name in str(row[1]).split(",") if name]


def attach_build(con: duckdb.DuckDBPyConnection, database: Path) -> None:
    if not database.exists():
        raise ExportError(f"build database {database} does not exist")
    try:
        con.execute(f"attach {literal(str(database))} as build (read_only)")
    except duckdb.IOException as exc:
        raise ExportError(
            f"cannot open {database} read-only ({exc}); a dbt build is probably still "
            "writing it: run the export after the build finishes"
        ) from exc


def fsync_path(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def export_duckdb(database: Path, output: Path, schema: str) -> tuple[str, list[str]]:
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = output.with_name(f".{output.name}.tmp-{os.getpid()}")
    staging.unlink(missing_ok=True)
    try:
        with duckdb.connect(str(staging)) as con:
            attach_build(con, database)
            published_at, marts = latest_publication(con, schema)
            for name in [*marts, PUBLICATIONS]:
                print(f"  {name}", flush=True)
                con.execute(
                    f"create table main.{ident(name)} as "
                    f"select * from build.{ident(schema)}.{ident(name)}"
                )
            con.execute("detach build")
            con.execute("checkpoint")
        fsync_path(staging)
        os.replace(staging, output)  # atomic: readers see the old copy or the new one
        fsync_path(output.parent)
    finally:
        staging.unlink(missing_ok=True)
        Path(f"{staging}.wal").unlink(missing_ok=True)
    return published_at, marts


def export_parquet(database: Path, output: Path, schema: str) -> tuple[str, list[str]]:
    output.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as con:
        attach_build(con, database)
        published_at, marts = latest_publication(con, schema)
        version = output / f"v{published_at}"
        staging = output / f".v{published_at}.tmp-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        try:
            for name in [*marts, PUBLICATIONS]:
                print(f"  {name}", flush=True)
                con.execute(
                    f"copy (select * from build.{ident(schema)}.{ident(name)}) "
                    f"to {literal(str(staging / f'{name}.parquet'))} (format parquet)"
                )
            if version.exists():
                shutil.rmtree(staging)  # this publication was exported already
            else:
                os.replace(staging, version)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    link = output / CURRENT_LINK
    next_link = output / f".{CURRENT_LINK}.tmp-{os.getpid()}"
    next_link.unlink(missing_ok=True)
    next_link.symlink_to(version.name, target_is_directory=True)
    os.replace(next_link, link)  # atomic switch of `current`
    fsync_path(output)
    versions = sorted(path for path in output.glob("v*") if path.is_dir())
    for old in versions[:-KEEP_VERSIONS]:
        shutil.rmtree(old)
    return published_at, marts


def export(database: Path, output: Path, fmt: str, schema: str = "main") -> tuple[str, list[str]]:
    """Export the latest publication; returns (its published_at stamp, the marts)."""
    ident(schema)
    if fmt == "duckdb":
        return export_duckdb(database, output, schema)
    if fmt == "parquet":
        return export_parquet(database, output, schema)
    raise ExportError(f"unknown format {fmt!r} (use duckdb or parquet)")


def resolve_database(database: str | None) -> Path:
    if database:
        return Path(database)
    from_env = os.environ.get(DATABASE_ENV_VAR, "").strip()
    return Path(from_env) if from_env else DEFAULT_DATABASE


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Copy the published marts into a serving copy (DuckDB file or Parquet) "
        "that BI tools read while the next build runs.",
        epilog="Run it after every successful `dbt build`; see README, 'Serving BI'.",
    )
    parser.add_argument(
        "--database",
        default=None,
        help=f"build database (default: ${DATABASE_ENV_VAR}, else output/leadscore.duckdb)",
    )
    parser.add_argument("--output", type=Path, default=None, help="serving copy to (re)write")
    parser.add_argument("--format", choices=("duckdb", "parquet"), default="duckdb")
    parser.add_argument("--schema", default="main", help="published schema (default: main)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    database = resolve_database(args.database)
    output = args.output or DEFAULT_OUTPUT[args.format]
    print(f"exporting the published marts of {database} to {output} ({args.format})")
    try:
        published_at, marts = export(database, output, args.format, args.schema)
    except (ExportError, duckdb.Error, OSError) as exc:
        print(f"error: {exc}; the serving copy is unchanged", file=sys.stderr)
        return 1
    print(f"exported {len(marts)} marts of the publication {published_at} to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
