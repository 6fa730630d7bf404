#!/usr/bin/env python3
"""Load raw CRM exports (CSV or Parquet) into the DuckDB `raw` schema.

    python scripts/load_raw.py --input DIR [--database PATH] [--schema raw]

For each table of the contract (spec section 1: contacts, companies, events,
deals, list_memberships) the loader reads `DIR/<table>.csv` or
`DIR/<table>.parquet`, validates columns and values in SQL (DuckDB does the
reading and the parsing, so the work scales with the engine, not with Python)
and replaces `<schema>.<table>` in one transaction. Rows it cannot load go to
`<schema>.load_rejects` with the reason; nothing is dropped silently.

Choices (where the brief leaves room):
- CSV dialect is fixed: comma, `"` quote, `""` escape, UTF-8, header row.
  Lines DuckDB cannot split into the header's columns (too many or too few
  fields, unterminated quote, invalid UTF-8) are rejected as
  `malformed CSV row`; their row_number is the file line minus one (exact
  unless the file has blank lines or quoted line breaks before them).
- A row with several problems is rejected once, with every reason joined by
  `; `. Duplicate keys are decided among the rows that are otherwise valid,
  so every `duplicate key` reject names a key that was loaded.
- Which row of a repeated key is loaded: the first in file order, except in
  list_memberships (see below); the others go to the rejects as
  `duplicate key ...`.
- list_memberships has an optional `added_at` (timestamp, UTC; parsed like
  every timestamp): when the contact joined the list. Null (column absent or
  value empty) means "member all along". A member at score time T is a
  contact with a row whose added_at is null or <= T, so for a repeated
  (list_name, contact_id) the loader keeps the row that makes it a member
  earliest: a null added_at first, else the earliest added_at, ties broken
  by file order. The loaded row then answers "member at T?" exactly as all
  the file's rows of that key would together. (The key is compared after
  trimming, case-sensitively, as for every key: `L1` and `l1` are two rows,
  and the scoring side treats them as one list by the "any row" rule.)
- Integer columns accept integral decimal numerals (`250`, `250.0`, `2.5e2`);
  `1.5` is rejected. Numbers reject `nan`, `inf`, thousands separators and
  values outside the double range.
- "Empty" means null or only spaces (SQL `trim`, as staging does).
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE = Path("output") / "leadscore.duckdb"
DATABASE_ENV_VAR = "LEADSCORE_DUCKDB_PATH"
REJECTS_TABLE = "load_rejects"
REJECT_COLUMNS = (
    ("table_name", "VARCHAR"),
    ("source_file", "VARCHAR"),
    ("row_number", "BIGINT"),
    ("reason", "VARCHAR"),
    ("record", "VARCHAR"),
)
EXIT_INPUT_ERROR = 2
EXIT_FAILURE = 1

SQL_TYPES = {
    "key": "VARCHAR",
    "text": "VARCHAR",
    "timestamp": "TIMESTAMP",
    "bigint": "BIGINT",
    "double": "DOUBLE",
    "boolean": "BOOLEAN",
}
TRUE_WORDS = ("true", "1", "yes", "t", "y")
FALSE_WORDS = ("false", "0", "no", "f", "n")
# Applied to upper(trim(value)): ISO-8601 date, optional time (`T` or space),
# optional fraction and offset (`Z`, `+HH:MM`, `+HHMM`, `+HH`).
TIMESTAMP_PATTERN = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?)?"
)
NUMBER_PATTERN = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?"
INTEGER_PATTERN = r"[+-]?[0-9]+"
SCHEMA_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
MAX_VALUE_IN_REASON = 100
TOP_REASONS = 5


class LoadError(Exception):
    """Bad input (missing column, ambiguous files): nothing was written."""


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # a key of SQL_TYPES


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[Column, ...]
    required_columns: tuple[str, ...]
    required_values: tuple[str, ...] = ()
    properties_table: str | None = None
    # A timestamp column deciding which row of a repeated key is kept: the one
    # with a null value, else the earliest (ties: file order). None: file order.
    keep_earliest: str | None = None

    @property
    def key(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns if column.kind == "key")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)


def _columns(*pairs: tuple[str, str]) -> tuple[Column, ...]:
    return tuple(Column(name, kind) for name, kind in pairs)


TABLES: tuple[TableSpec, ...] = (
    TableSpec(
        name="contacts",
        columns=_columns(
            ("contact_id", "key"),
            ("email", "text"),
            ("first_name", "text"),
            ("last_name", "text"),
            ("job_title", "text"),
            ("phone", "text"),
            ("country", "text"),
            ("company_id", "text"),
            ("lead_source", "text"),
            ("lifecycle_stage", "text"),
            ("owner_id", "text"),
            ("created_at", "timestamp"),
        ),
        required_columns=("contact_id", "email", "created_at"),
        required_values=("created_at",),
        properties_table="contact_properties",
    ),
    TableSpec(
        name="companies",
        columns=_columns(
            ("company_id", "key"),
            ("name", "text"),
            ("domain", "text"),
            ("industry", "text"),
            ("employee_count", "bigint"),
            ("annual_revenue", "double"),
            ("country", "text"),
        ),
        required_columns=("company_id",),
        properties_table="company_properties",
    ),
    TableSpec(
        name="events",
        columns=_columns(
            ("event_id", "key"),
            ("contact_id", "text"),
            ("event_type", "text"),
            ("occurred_at", "timestamp"),
            ("url", "text"),
            ("detail", "text"),
        ),
        required_columns=("event_id", "contact_id", "event_type", "occurred_at"),
        required_values=("contact_id", "event_type", "occurred_at"),
    ),
    TableSpec(
        name="deals",
        columns=_columns(
            ("deal_id", "key"),
            ("company_id", "text"),
            ("contact_id", "text"),
            ("created_at", "timestamp"),
            ("closed_at", "timestamp"),
            ("stage", "text"),
            ("amount", "double"),
            ("is_won", "boolean"),
        ),
        required_columns=("deal_id", "company_id", "is_won"),
    ),
    TableSpec(
        name="list_memberships",
        columns=_columns(("list_name", "key"), ("contact_id", "key"), ("added_at", "timestamp")),
        required_columns=("list_name", "contact_id"),
        required_values=("list_name", "contact_id"),
        keep_earliest="added_at",
    ),
)


@dataclass
class Source:
    """One input file and how its columns map to the table's columns."""

    spec: TableSpec
    path: Path
    fmt: str  # "csv" or "parquet"
    raw_headers: list[str]
    headers: list[str] = field(default_factory=list)  # trimmed, lowercased

    @property
    def file_name(self) -> str:
        return self.path.name

    def position(self, column: str) -> int | None:
        return self.headers.index(column) if column in self.headers else None

    def raw_expr(self, column: str) -> str:
        """SQL for the column's raw text (null when the file lacks the column)."""
        position = self.position(column)
        return "CAST(NULL AS VARCHAR)" if position is None else raw_col(position)

    def extra_positions(self) -> list[int]:
        known = set(self.spec.column_names)
        return [i for i, name in enumerate(self.headers) if name and name not in known]

    def record_keys(self) -> list[str]:
        return [name or f"column_{i + 1}" for i, name in enumerate(self.headers)]


# --------------------------------------------------------------------------- SQL helpers


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def raw_col(position: int) -> str:
    return f"c{position}"


def typed_col(column: str) -> str:
    return ident(f"t_{column}")


def temp_name(kind: str, table: str) -> str:
    return f"_load_raw_{kind}_{table}"


def is_blank(expr: str) -> str:
    return f"nullif(trim({expr}), '') IS NULL"


def typed_expr(column: Column, raw: str) -> str:
    """SQL turning the raw text `raw` into the column's type (null when unparseable)."""
    value = f"trim({raw})"
    if column.kind == "key":
        return value
    if column.kind == "text":
        return raw
    if column.kind == "timestamp":
        upper = f"upper({value})"
        return (
            f"CASE WHEN regexp_full_match({upper}, {literal(TIMESTAMP_PATTERN)}) "
            f"THEN timezone('UTC', try_cast({upper} AS TIMESTAMPTZ)) END"
        )
    if column.kind == "double":
        number = f"try_cast({value} AS DOUBLE)"
        return (
            f"CASE WHEN regexp_full_match({value}, {literal(NUMBER_PATTERN)}) "
            f"AND NOT isinf({number}) THEN {number} END"
        )
    if column.kind == "bigint":
        number = f"try_cast({value} AS DOUBLE)"
        return (
            f"CASE WHEN regexp_full_match({value}, {literal(INTEGER_PATTERN)}) "
            f"THEN try_cast({value} AS BIGINT) "
            f"WHEN regexp_full_match({value}, {literal(NUMBER_PATTERN)}) "
            f"AND {number} = trunc({number}) AND abs({number}) < 9.2e18 "
            f"THEN CAST({number} AS BIGINT) END"
        )
    if column.kind == "boolean":
        words = f"lower({value})"
        true_list = ", ".join(literal(word) for word in TRUE_WORDS)
        false_list = ", ".join(literal(word) for word in FALSE_WORDS)
        return (
            f"CASE WHEN {words} IN ({true_list}) THEN true "
            f"WHEN {words} IN ({false_list}) THEN false END"
        )
    raise ValueError(f"unknown column kind {column.kind!r}")


def column_checks(spec: TableSpec, column: Column, raw: str) -> list[tuple[str, str, str]]:
    """(condition, category, reason) SQL triples that reject a row for one column."""
    checks: list[tuple[str, str, str]] = []
    if column.kind == "key":
        category = literal(f"empty key {column.name}")
        checks.append((is_blank(raw), category, category))
    elif column.name in spec.required_values:
        category = literal(f"empty required value {column.name}")
        checks.append((is_blank(raw), category, category))
    if column.kind in ("timestamp", "bigint", "double", "boolean"):
        noun = "number" if column.kind in ("bigint", "double") else column.kind
        category = literal(f"unparseable {noun} {column.name}")
        condition = f"NOT ({is_blank(raw)}) AND {typed_col(column.name)} IS NULL"
        reason = f"{category} || ': ''' || left({raw}, {MAX_VALUE_IN_REASON}) || ''''"
        checks.append((condition, category, reason))
    return checks


def list_of_hits(items: Iterable[tuple[str, str]]) -> str:
    cases = [f"CASE WHEN {condition} THEN {value} END" for condition, value in items]
    if not cases:
        return "[]::VARCHAR[]"
    return f"list_filter([{', '.join(cases)}], lambda x: x IS NOT NULL)"


def duplicate_reason(spec: TableSpec) -> tuple[str, str]:
    """(category, reason) SQL for a duplicate key, e.g. `duplicate key contact_id=c1`."""
    category = literal("duplicate key " + ", ".join(spec.key))
    parts = [f"{literal(name + '=')} || {typed_col(name)}" for name in spec.key]
    reason = literal("duplicate key ") + " || " + " || ', ' || ".join(parts)
    return category, reason


# --------------------------------------------------------------------------- inspection


def resolve_database(database: str | None) -> Path:
    if database:
        return Path(database)
    from_env = os.environ.get(DATABASE_ENV_VAR, "").strip()
    if from_env:
        return Path(from_env)
    return REPO_ROOT / DEFAULT_DATABASE


def find_source_file(input_dir: Path, spec: TableSpec) -> tuple[Path, str] | None:
    found = [
        (input_dir / f"{spec.name}.{fmt}", fmt)
        for fmt in ("csv", "parquet")
        if (input_dir / f"{spec.name}.{fmt}").is_file()
    ]
    if len(found) > 1:
        raise LoadError(
            f"{spec.name}: both {spec.name}.csv and {spec.name}.parquet exist in "
            f"{input_dir}; keep only one"
        )
    return found[0] if found else None


def read_csv_header(path: Path) -> list[str]:
    # Only the header record is parsed here; data rows are read by DuckDB.
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        return next(csv.reader(handle, delimiter=",", quotechar='"', doublequote=True), [])


def read_parquet_header(path: Path) -> list[str]:
    with duckdb.connect() as con:
        rows = con.execute(f"DESCRIBE SELECT * FROM read_parquet({literal(str(path))})").fetchall()
    return [row[0] for row in rows]


def inspect_source(input_dir: Path, spec: TableSpec) -> Source | None:
    found = find_source_file(input_dir, spec)
    if found is None:
        return None
    path, fmt = found
    raw_headers = read_csv_header(path) if fmt == "csv" else read_parquet_header(path)
    source = Source(spec=spec, path=path.resolve(), fmt=fmt, raw_headers=raw_headers)
    source.headers = [name.strip().lower() for name in raw_headers]
    return source


def header_errors(source: Source) -> list[str]:
    errors: list[str] = []
    seen: set[str] = set()
    for name in source.headers:
        if name and name in seen:
            errors.append(f"{source.file_name}: duplicate column {name!r} (after trim/lowercase)")
        seen.add(name)
    for column in source.spec.required_columns:
        if column not in seen:
            errors.append(f"{source.file_name}: missing required column {column!r}")
    return errors


def inspect_inputs(input_dir: Path) -> tuple[list[Source], list[TableSpec]]:
    """Find and check every input file; raise LoadError before anything is written."""
    if not input_dir.is_dir():
        raise LoadError(f"input directory {input_dir} does not exist")
    sources: list[Source] = []
    absent: list[TableSpec] = []
    errors: list[str] = []
    for spec in TABLES:
        try:
            source = inspect_source(input_dir, spec)
        except (LoadError, duckdb.Error) as exc:
            errors.append(str(exc))
            continue
        if source is None:
            absent.append(spec)
            continue
        errors.extend(header_errors(source))
        sources.append(source)
    if errors:
        raise LoadError("; ".join(errors))
    return sources, absent


def print_column_notices(source: Source) -> None:
    spec = source.spec
    missing = [name for name in spec.column_names if source.position(name) is None]
    if missing:
        print(f"  notice: {source.file_name} has no column(s) {', '.join(missing)}; loaded as null")
    blank = [str(i + 1) for i, name in enumerate(source.headers) if not name]
    if blank:
        print(
            f"  warning: {source.file_name}: column(s) {', '.join(blank)} have no header; ignored"
        )
    extras = [source.headers[i] for i in source.extra_positions()]
    if extras and spec.properties_table:
        print(f"  custom properties -> {spec.properties_table}: {', '.join(extras)}")
    elif extras:
        print(f"  warning: {source.file_name}: extra column(s) ignored: {', '.join(extras)}")


# --------------------------------------------------------------------------- staging


def stage_csv(con: duckdb.DuckDBPyConnection, source: Source) -> None:
    table = source.spec.name
    columns = ", ".join(f"{literal(raw_col(i))}: 'VARCHAR'" for i in range(len(source.headers)))
    rejects = temp_name("csvrejects", table)
    options = ", ".join(
        [
            f"columns = {{{columns}}}",
            "header = true",
            "auto_detect = false",
            "delim = ','",
            "quote = '\"'",
            "escape = '\"'",
            "allow_quoted_nulls = false",
            "store_rejects = true",
            f"rejects_table = {literal(rejects)}",
            f"rejects_scan = {literal(temp_name('csvscans', table))}",
        ]
    )
    con.execute(
        f"CREATE TEMP TABLE {temp_name('src', table)} AS "
        f"SELECT * FROM read_csv({literal(str(source.path))}, {options})"
    )
    # One row per malformed line; `line` counts the header as line 1.
    con.execute(
        f"""
        CREATE TEMP TABLE {temp_name("bad", table)} AS
        SELECT
            line - 1 AS row_number,
            'malformed CSV row (line ' || line || '): '
                || arg_min(error_message, byte_position) AS reason,
            'malformed CSV row' AS category,
            json_object('csv_line', trim(arg_min(csv_line, byte_position), e'\\r\\n')) AS record
        FROM {rejects}
        GROUP BY line
        """
    )


def stage_parquet(con: duckdb.DuckDBPyConnection, source: Source) -> None:
    table = source.spec.name
    selects = ", ".join(
        f"CAST({ident(name)} AS VARCHAR) AS {raw_col(i)}"
        for i, name in enumerate(source.raw_headers)
    )
    con.execute(
        f"CREATE TEMP TABLE {temp_name('src', table)} AS "
        f"SELECT {selects} FROM read_parquet({literal(str(source.path))})"
    )
    con.execute(
        f"CREATE TEMP TABLE {temp_name('bad', table)} "
        "(row_number BIGINT, reason VARCHAR, category VARCHAR, record VARCHAR)"
    )


def numbered_rows_sql(source: Source) -> str:
    """Rows of the source table with their 1-based data row number in file order.

    Good rows are numbered by insertion order (rowid) and shifted past the
    row numbers taken by malformed CSV rows.
    """
    table = source.spec.name
    raw_columns = ", ".join(raw_col(i) for i in range(len(source.headers)))
    return f"""
        good AS (SELECT rowid + 1 AS good_rank, {raw_columns} FROM {temp_name("src", table)}),
        bad_steps AS (
            SELECT row_number - position AS step, max(position) AS position
            FROM (
                SELECT row_number, row_number() OVER (ORDER BY row_number) AS position
                FROM {temp_name("bad", table)}
            )
            GROUP BY step
        ),
        numbered AS (
            SELECT good.good_rank + coalesce(bad_steps.position, 0) AS row_number, good.*
            FROM good ASOF LEFT JOIN bad_steps ON good.good_rank > bad_steps.step
        )"""


def stage_parsed(con: duckdb.DuckDBPyConnection, source: Source) -> None:
    """Typed columns plus `reason`/`category` (null for rows to load)."""
    spec = source.spec
    raws = {column.name: source.raw_expr(column.name) for column in spec.columns}
    typed = ", ".join(
        f"{typed_expr(column, raws[column.name])} AS {typed_col(column.name)}"
        for column in spec.columns
    )
    checks = [check for c in spec.columns for check in column_checks(spec, c, raws[c.name])]
    reasons = list_of_hits((condition, reason) for condition, _, reason in checks)
    categories = list_of_hits((condition, category) for condition, category, _ in checks)
    keys = ", ".join(typed_col(name) for name in spec.key)
    preference = "row_number"
    if spec.keep_earliest:
        preference = f"{typed_col(spec.keep_earliest)} ASC NULLS FIRST, row_number"
    dup_category, dup_reason = duplicate_reason(spec)
    con.execute(
        f"""
        CREATE TEMP TABLE {temp_name("parsed", spec.name)} AS
        WITH {numbered_rows_sql(source)},
        typed AS (SELECT numbered.*, {typed} FROM numbered),
        checked AS (
            SELECT typed.*, {reasons} AS reasons, {categories} AS categories FROM typed
        ),
        ranked AS (
            SELECT
                checked.*,
                row_number() OVER (
                    PARTITION BY len(reasons) = 0, {keys} ORDER BY {preference}
                ) AS key_rank
            FROM checked
        )
        SELECT
            * EXCLUDE (good_rank, reasons, categories, key_rank),
            CASE
                WHEN len(reasons) > 0 THEN array_to_string(reasons, '; ')
                WHEN key_rank > 1 THEN {dup_reason}
            END AS reason,
            CASE
                WHEN len(reasons) > 0 THEN array_to_string(categories, '; ')
                WHEN key_rank > 1 THEN {dup_category}
            END AS category
        FROM ranked
        """
    )
    con.execute(f"DROP TABLE {temp_name('src', spec.name)}")


def stage_outputs(con: duckdb.DuckDBPyConnection, source: Source) -> None:
    """Temp tables holding exactly what the transaction will write."""
    spec = source.spec
    parsed = temp_name("parsed", spec.name)
    columns = ", ".join(
        f"{typed_col(column.name)} AS {ident(column.name)}" for column in spec.columns
    )
    con.execute(
        f"CREATE TEMP TABLE {temp_name('ok', spec.name)} AS "
        f"SELECT {columns} FROM {parsed} WHERE reason IS NULL ORDER BY row_number"
    )
    record = ", ".join(
        f"{literal(key)}, {raw_col(i)}" for i, key in enumerate(source.record_keys())
    )
    con.execute(
        f"""
        CREATE TEMP TABLE {temp_name("rejects", spec.name)} AS
        SELECT row_number, reason, category, record FROM (
            SELECT row_number, reason, category, json_object({record}) AS record
            FROM {parsed} WHERE reason IS NOT NULL
            UNION ALL
            SELECT row_number, reason, category, record FROM {temp_name("bad", spec.name)}
        )
        ORDER BY row_number
        """
    )
    if spec.properties_table:
        stage_properties(con, source)
    con.execute(f"DROP TABLE {parsed}")


def stage_properties(con: duckdb.DuckDBPyConnection, source: Source) -> None:
    spec = source.spec
    id_column = spec.key[0]
    target = temp_name("props", spec.name)
    extras = source.extra_positions()
    if not extras:
        con.execute(
            f"CREATE TEMP TABLE {target} "
            f"({ident(id_column)} VARCHAR, property VARCHAR, value VARCHAR)"
        )
        return
    items = ", ".join(
        f"{{'position': {i}, 'property': {literal(source.headers[i])}, 'value': {raw_col(i)}}}"
        for i in extras
    )
    con.execute(
        f"""
        CREATE TEMP TABLE {target} AS
        SELECT {ident(id_column)}, item.property AS property, item.value AS value
        FROM (
            SELECT row_number, {typed_col(id_column)} AS {ident(id_column)},
                unnest([{items}]) AS item
            FROM {temp_name("parsed", spec.name)}
            WHERE reason IS NULL
        )
        WHERE nullif(trim(item.value), '') IS NOT NULL
        ORDER BY row_number, item.position
        """
    )


def stage_source(con: duckdb.DuckDBPyConnection, source: Source) -> dict[str, int]:
    if source.fmt == "csv":
        stage_csv(con, source)
    else:
        stage_parquet(con, source)
    table = source.spec.name
    read = count_rows(con, temp_name("src", table)) + count_rows(con, temp_name("bad", table))
    stage_parsed(con, source)
    stage_outputs(con, source)
    counts = {
        "read": read,
        "loaded": count_rows(con, temp_name("ok", table)),
        "rejected": count_rows(con, temp_name("rejects", table)),
    }
    if source.spec.properties_table:
        counts["properties"] = count_rows(con, temp_name("props", table))
    return counts


def count_rows(con: duckdb.DuckDBPyConnection, relation: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {relation}").fetchone()
    return int(row[0]) if row else 0


def top_reasons(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, int]]:
    rows = con.execute(
        f"SELECT category, count(*) AS n FROM {temp_name('rejects', table)} "
        f"GROUP BY category ORDER BY n DESC, category LIMIT {TOP_REASONS}"
    ).fetchall()
    return [(str(category), int(n)) for category, n in rows]


# --------------------------------------------------------------------------- writing


def empty_table_ddl(schema: str, spec: TableSpec) -> str:
    columns = ", ".join(f"{ident(column.name)} {SQL_TYPES[column.kind]}" for column in spec.columns)
    return f"CREATE TABLE IF NOT EXISTS {ident(schema)}.{ident(spec.name)} ({columns})"


def properties_ddl(schema: str, spec: TableSpec) -> str:
    assert spec.properties_table is not None
    return (
        f"CREATE TABLE IF NOT EXISTS {ident(schema)}.{ident(spec.properties_table)} "
        f"({ident(spec.key[0])} VARCHAR, property VARCHAR, value VARCHAR)"
    )


def rejects_ddl(schema: str) -> str:
    columns = ", ".join(f"{name} {sql_type}" for name, sql_type in REJECT_COLUMNS)
    return f"CREATE TABLE IF NOT EXISTS {ident(schema)}.{REJECTS_TABLE} ({columns})"


def replace_table(con: duckdb.DuckDBPyConnection, schema: str, spec: TableSpec) -> None:
    target = f"{ident(schema)}.{ident(spec.name)}"
    casts = ", ".join(
        f"CAST({ident(column.name)} AS {SQL_TYPES[column.kind]}) AS {ident(column.name)}"
        for column in spec.columns
    )
    con.execute(
        f"CREATE OR REPLACE TABLE {target} AS SELECT {casts} FROM {temp_name('ok', spec.name)}"
    )
    if spec.properties_table:
        con.execute(
            f"CREATE OR REPLACE TABLE {ident(schema)}.{ident(spec.properties_table)} AS "
            f"SELECT * FROM {temp_name('props', spec.name)}"
        )


def replace_rejects(con: duckdb.DuckDBPyConnection, schema: str, sources: list[Source]) -> None:
    """Rejects of re-loaded tables are replaced; those of other tables are kept."""
    target = f"{ident(schema)}.{REJECTS_TABLE}"
    names = ", ".join(name for name, _ in REJECT_COLUMNS)
    loaded = ", ".join(literal(source.spec.name) for source in sources)
    keep = f" WHERE table_name NOT IN ({loaded})" if loaded else ""
    parts = [f"SELECT {names} FROM {target}{keep}"]
    parts += [
        f"SELECT {literal(s.spec.name)}, {literal(str(s.path))}, row_number, reason, record "
        f"FROM {temp_name('rejects', s.spec.name)}"
        for s in sources
    ]
    casts = ", ".join(f"CAST({name} AS {sql_type}) AS {name}" for name, sql_type in REJECT_COLUMNS)
    con.execute(
        f"CREATE OR REPLACE TABLE {target} AS SELECT {casts} FROM ("
        + " UNION ALL ".join(parts)
        + ") AS rejects ORDER BY table_name, row_number"
    )


def write_tables(
    con: duckdb.DuckDBPyConnection, schema: str, sources: list[Source], absent: list[TableSpec]
) -> None:
    """Replace the loaded tables and create missing ones, all in one transaction."""
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {ident(schema)}")
        for source in sources:
            replace_table(con, schema, source.spec)
        for spec in absent:
            con.execute(empty_table_ddl(schema, spec))
            if spec.properties_table:
                con.execute(properties_ddl(schema, spec))
        con.execute(rejects_ddl(schema))
        replace_rejects(con, schema, sources)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


# --------------------------------------------------------------------------- reporting


def report_source(con: duckdb.DuckDBPyConnection, source: Source, counts: dict[str, int]) -> None:
    read, loaded, rejected = counts["read"], counts["loaded"], counts["rejected"]
    balanced = loaded + rejected == read
    verdict = "OK" if balanced else "MISMATCH"
    print(
        f"  rows read {read}, loaded {loaded}, rejected {rejected} "
        f"(loaded + rejected == read: {verdict})"
    )
    for category, n in top_reasons(con, source.spec.name):
        print(f"    {n:>10}  {category}")
    if "properties" in counts:
        print(f"  {source.spec.properties_table}: {counts['properties']} values")
    if not balanced:
        raise RuntimeError(
            f"{source.spec.name}: loaded {loaded} + rejected {rejected} != read {read}; "
            "nothing was written"
        )


def report_absent(con: duckdb.DuckDBPyConnection, schema: str, spec: TableSpec) -> None:
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [schema, spec.name],
    ).fetchone()
    action = "keeping the existing table" if exists and exists[0] else "creating it empty"
    print(f"{spec.name}: notice: no {spec.name}.csv or {spec.name}.parquet; {action}")


# --------------------------------------------------------------------------- entry points


def load(input_dir: Path, database: Path, schema: str = "raw") -> dict[str, dict[str, int]]:
    """Load every input file of `input_dir` into `schema` of the DuckDB `database`.

    Returns per loaded table {read, loaded, rejected} (and `properties` for
    contacts and companies). Raises LoadError, before writing anything, when
    an input is unusable.
    """
    if not SCHEMA_PATTERN.fullmatch(schema):
        raise LoadError(f"invalid schema name {schema!r}")
    sources, absent = inspect_inputs(Path(input_dir))
    database = Path(database)
    database.parent.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict[str, int]] = {}
    with duckdb.connect(str(database)) as con:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET preserve_insertion_order = true")
        con.execute("SET enable_progress_bar = false")
        for source in sources:
            print(f"{source.spec.name}: {source.path}")
            print_column_notices(source)
            results[source.spec.name] = stage_source(con, source)
            report_source(con, source, results[source.spec.name])
        for spec in absent:
            report_absent(con, schema, spec)
        write_tables(con, schema, sources, absent)
    print(f"loaded {len(sources)} table(s) into {database} schema {schema}")
    return results


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Load CRM exports (CSV or Parquet) into the raw schema of DuckDB."
    )
    parser.add_argument(
        "--input", required=True, type=Path, help="directory with <table>.csv/.parquet"
    )
    parser.add_argument(
        "--database",
        default=None,
        help=f"DuckDB file (default: ${DATABASE_ENV_VAR}, else {DEFAULT_DATABASE} in the repo)",
    )
    parser.add_argument("--schema", default="raw", help="target schema (default: raw)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    database = resolve_database(args.database)
    try:
        load(args.input, database, args.schema)
    except LoadError as exc:
        print(f"error: {exc}; nothing was loaded", file=sys.stderr)
        return EXIT_INPUT_ERROR
    except (duckdb.Error, RuntimeError, OSError) as exc:
        print(f"error: load failed, previous tables left intact: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    return 0


if __name__ == "__main__":
    sys.exit(main())
