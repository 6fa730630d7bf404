#!/usr/bin/env python3
"""Copy the loaded raw tables from the loader's DuckDB file into PostgreSQL or Spark.

    python scripts/copy_raw.py --target postgres|spark [--database PATH] [--schema raw]
                               [--target-schema SCHEMA]

`scripts/load_raw.py` validates the exports and writes the raw schema (and
load_rejects) of a DuckDB file; `load_raw.py --target postgres|spark` runs it
and then this copy, so every engine scores exactly the same accepted rows.
The copy reads the target's connection settings from profiles.yml (the same
target `dbt build --target ...` uses; scripts/engines.py).

- PostgreSQL: every table of the schema is dropped, re-created with the same
  column types and filled with COPY, all in one transaction: a reader sees
  the old tables or the new ones.
- Spark: every table is exported to Parquet (timestamps as UTC instants) and
  written as a Parquet table of the metastore with `saveAsTable`, one table
  after the other (Parquet tables have no multi-table transactions).

Both replace whole tables, loaded_at included, so the incremental models see
the same watermarks as on DuckDB. For data that already lives in the engine,
point the `crm` source at it instead (var `raw_schema`).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
from duckdb_settings import duckdb_config
from engines import ProfileError, load_target, postgres_connection, spark_session

SCHEMA_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_")
TARGET_TYPES = ("postgres", "spark")

# DuckDB column type -> PostgreSQL column type, for the types the loader writes.
POSTGRES_TYPES = {
    "VARCHAR": "text",
    "BIGINT": "bigint",
    "INTEGER": "integer",
    "DOUBLE": "double precision",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
}


class CopyError(Exception):
    """The copy cannot start (unknown target, missing adapter, bad schema)."""


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def raw_tables(con: duckdb.DuckDBPyConnection, schema: str) -> dict[str, list[tuple[str, str]]]:
    """{table: [(column, DuckDB type), ...]} of `schema`, in column order."""
    rows = con.execute(
        """
        select table_name, column_name, data_type
        from information_schema.columns
        where table_schema = ?
        order by table_name, ordinal_position
        """,
        [schema],
    ).fetchall()
    tables: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in rows:
        tables.setdefault(table, []).append((column, data_type))
    if not tables:
        raise CopyError(f"the DuckDB file has no tables in schema {schema!r}: load it first")
    return tables


def postgres_type(table: str, column: str, data_type: str) -> str:
    if data_type not in POSTGRES_TYPES:
        raise CopyError(f"{table}.{column}: no PostgreSQL type for DuckDB type {data_type}")
    return POSTGRES_TYPES[data_type]


def replace_postgres_table(
    cur: Any, schema: str, table: str, columns: list[tuple[str, str]]
) -> None:
    """Empty `schema.table`, or (re-)create it when missing or of another shape.

    A table of the same columns and types is truncated, so the views dbt built
    on it (staging) stay. One of another shape (an older loader's) is dropped
    with its dependent views, which the next `dbt build` re-creates.
    """
    target = f"{quote(schema)}.{quote(table)}"
    wanted = [(column, postgres_type(table, column, data_type)) for column, data_type in columns]
    cur.execute(
        """
        select attribute.attname, format_type(attribute.atttypid, attribute.atttypmod)
        from pg_attribute as attribute
        inner join pg_class as relation on attribute.attrelid = relation.oid
        inner join pg_namespace as namespace on relation.relnamespace = namespace.oid
        where namespace.nspname = %s and relation.relname = %s
            and attribute.attnum > 0 and not attribute.attisdropped
        order by attribute.attnum
        """,
        (schema, table),
    )
    stored = [(column, data_type) for column, data_type in cur.fetchall()]
    canonical = {
        "timestamp": "timestamp without time zone",
        "timestamptz": "timestamp with time zone",
    }
    if stored and stored == [(column, canonical.get(kind, kind)) for column, kind in wanted]:
        cur.execute(f"truncate table {target}")
        return
    if stored:
        print(f"  {schema}.{table}: columns changed; re-created (dependent views too)")
        cur.execute(f"drop table {target} cascade")
    ddl = ", ".join(f"{quote(column)} {kind}" for column, kind in wanted)
    cur.execute(f"create table {target} ({ddl})")


def copy_to_postgres(
    con: duckdb.DuckDBPyConnection,
    schema: str,
    target_schema: str,
    settings: dict[str, Any],
    workdir: Path,
) -> dict[str, int]:
    tables = raw_tables(con, schema)
    counts: dict[str, int] = {}
    pg = postgres_connection(settings)
    try:
        with pg, pg.cursor() as cur:
            cur.execute(f"create schema if not exists {quote(target_schema)}")
            for table, columns in tables.items():
                target = f"{quote(target_schema)}.{quote(table)}"
                replace_postgres_table(cur, target_schema, table, columns)
                # Every value quoted, null unquoted and empty: PostgreSQL's CSV
                # format then tells null from the empty string.
                path = workdir / f"{table}.csv"
                con.execute(
                    f"copy (select * from {quote(schema)}.{quote(table)}) to '{path}' "
                    "(format csv, header true, force_quote *, nullstr '')"
                )
                with path.open("rb") as data:
                    cur.copy_expert(
                        f"copy {target} from stdin with (format csv, header true)", data
                    )
                # Statistics now, not when autovacuum gets to it: the first
                # build's plans depend on them.
                cur.execute(f"analyze {target}")
                cur.execute(f"select count(*) from {target}")
                counts[table] = int(cur.fetchone()[0])
                path.unlink()
                print(f"  {target_schema}.{table}: {counts[table]} rows")
    finally:
        pg.close()
    return counts


def copy_to_spark(
    con: duckdb.DuckDBPyConnection,
    schema: str,
    target_schema: str,
    settings: dict[str, Any],
    workdir: Path,
) -> dict[str, int]:
    tables = raw_tables(con, schema)
    spark = spark_session(settings)
    counts: dict[str, int] = {}
    spark.sql(f"create database if not exists `{target_schema}`")
    for table, columns in tables.items():
        # Timestamps leave DuckDB as UTC instants, which Spark reads as its
        # TIMESTAMP (session time zone UTC), not as TIMESTAMP_NTZ.
        select = ", ".join(
            f"cast({quote(column)} as timestamptz) as {quote(column)}"
            if data_type == "TIMESTAMP"
            else quote(column)
            for column, data_type in columns
        )
        path = workdir / f"{table}.parquet"
        con.execute(
            f"copy (select {select} from {quote(schema)}.{quote(table)}) to '{path}' "
            "(format parquet)"
        )
        frame = spark.read.parquet(str(path.resolve()))
        target = f"`{target_schema}`.`{table}`"
        frame.write.mode("overwrite").format("parquet").saveAsTable(target)
        counts[table] = spark.table(target).count()
        print(f"  {target_schema}.{table}: {counts[table]} rows")
    return counts


def copy_raw(
    database: Path, target: str, schema: str = "raw", target_schema: str | None = None
) -> dict[str, int]:
    """Copy every table of `schema` in the DuckDB `database` into `target_schema` of `target`."""
    target_schema = target_schema or schema
    for name in (schema, target_schema):
        if not name or not set(name) <= SCHEMA_CHARS:
            raise CopyError(f"invalid schema name {name!r} (lower-case letters, digits, _)")
    if not Path(database).exists():
        raise CopyError(f"{database} does not exist: load the raw data first")
    settings = load_target(target)
    engine = settings.get("type")
    if engine not in TARGET_TYPES:
        raise CopyError(
            f"target {target!r} is a {engine} target; copy_raw.py copies to {TARGET_TYPES}"
        )
    started = time.monotonic()
    print(f"copying {database} schema {schema} to {target} ({engine}) schema {target_schema}")
    workdir = Path(tempfile.mkdtemp(prefix="leadscore-copy-"))
    try:
        config = duckdb_config()
        Path(config["temp_directory"]).mkdir(parents=True, exist_ok=True)
        with duckdb.connect(str(database), read_only=True, config=config) as con:
            con.execute("SET TimeZone = 'UTC'")
            copy = copy_to_postgres if engine == "postgres" else copy_to_spark
            counts = copy(con, schema, target_schema, settings, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"copied {len(counts)} table(s) in {time.monotonic() - started:.1f} s")
    return counts


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", required=True, help="profiles.yml target (postgres or spark)")
    parser.add_argument(
        "--database",
        default="output/leadscore.duckdb",
        type=Path,
        help="the loader's DuckDB file (default: output/leadscore.duckdb)",
    )
    parser.add_argument("--schema", default="raw", help="raw schema (default: raw)")
    parser.add_argument(
        "--target-schema",
        help="schema to write on the target (default: --schema); pass it to dbt as var raw_schema",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        copy_raw(args.database, args.target, args.schema, args.target_schema)
    except (CopyError, ProfileError) as exc:
        print(f"error: {exc}; nothing was copied", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
