#!/usr/bin/env python3
"""Load raw CRM exports (CSV or Parquet) into the DuckDB `raw` schema.

    python scripts/load_raw.py --input DIR [--database PATH] [--schema raw]
                               [--append events] [--future-tolerance-minutes 60]
                               [--target postgres|spark]

For each table of the contract (spec section 1: contacts, companies, events,
deals, list_memberships) the loader reads `DIR/<table>.csv`,
`DIR/<table>.parquet` or a directory `DIR/<table>/` of part files, validates
columns and values in SQL (DuckDB does the reading and the parsing, so the
work scales with the engine, not with Python) and replaces `<schema>.<table>`
in one transaction (with `--append events`, appends to `<schema>.events`).
Rows it cannot load go to `<schema>.load_rejects` with the reason and its
category (the reason without the detail, for counting); nothing is dropped
silently: for every table, rows read = loaded + rejected (printed).

Partitioned inputs: `DIR/<table>/` holds part files, all `*.csv` or all
`*.parquet`, every one with the same header (same names in the same order).
Entries whose name starts with `.` or `_` (`_SUCCESS`, `.crc` files) are
skipped; anything else in the directory is an error, as are a directory
without parts, mixed formats, differing headers and having both
`DIR/<table>.<fmt>` and `DIR/<table>/`. The parts are read together as one
file: in the order of their sorted names (plain string order: `part-10` sorts
before `part-2`, so zero-pad the numbers), each in file order. That order
decides which row of a repeated key is loaded; row numbers in load_rejects
count across the parts in that order and their source_file is the directory
(a malformed CSV row's reason names its part and line). Parquet parts may
differ in column types (read with union_by_name; every value goes through the
same text parsing).

loaded_at: `<schema>.events` has a column `loaded_at` (TIMESTAMP, UTC), the
instant of the load that wrote the row; load_rejects has one too, telling
which load rejected the row. Every row written by one load gets the same
value: the load's start time, raised if needed to 1 microsecond past the
greatest loaded_at already in events or load_rejects, so successive loads get
strictly increasing values even if the clock goes back. The loader owns the
column: a `loaded_at` column in the events input is an extra column, ignored
with the usual warning. Rows stored by an older loader (a database whose
events or load_rejects lacks the column) get `1970-01-01 00:00:00` ("before
loaded_at existed") when their table is kept or appended to; the column is
added then. A replaced table simply gets the new value. Likewise, a
load_rejects stored before the `category` column existed gets it, null for
its earlier rows.

--append events: the events input is validated exactly as in a replacing
load (same rejects; a key repeated within the input keeps its first valid
row) and the accepted rows are appended to `<schema>.events`, in the same
transaction that replaces the other tables. A row whose event_id is already
in the table is appended too: it is a re-delivered event, raw keeps every
version and staging keeps the latest occurred_at per event_id. The load's
events rejects are added to load_rejects next to the earlier ones (their
loaded_at tells the loads apart). The existing table must have the loader's
columns (else load without --append to replace it); if it does not exist,
--append is a plain load. Only events can be appended.

Choices (where the brief leaves room):
- CSV dialect is fixed: comma, `"` quote, `""` escape, UTF-8, header row.
  A UTF-8 byte-order mark is dropped (single files and every part). Line
  endings may be LF, CRLF or CR; quoted values may hold line breaks. Empty
  lines are skipped, not counted as rows (a line of spaces is a row). Lines
  DuckDB cannot split into the header's columns (too many or too few fields,
  an unterminated quote, a line over 2,000,000 bytes) are rejected as
  `malformed CSV row`, lines with bytes that are not UTF-8 as `invalid UTF-8`
  (and the table's summary prints a hint to convert the file). Their
  row_number is DuckDB's line number minus one: a quoted line break does not
  count, an empty line before them does. A quote that is never closed takes
  the rest of the file into one malformed row; one closed on a later line
  takes the lines between into a value (caught by the length limit when long).
- Header-level problems are a LoadError naming the file, before anything is
  written: an empty (0-byte) file, a first line without column names, a
  header that is not valid UTF-8 (or a UTF-16 file) or not valid CSV, a
  missing required column, a repeated column.
- A row with several problems is rejected once, with every reason joined by
  `; ` (and the categories likewise). Duplicate keys are decided among the
  rows that are otherwise valid, so every `duplicate key` reject names a key
  that was loaded.
- Which row of a repeated key is loaded: the first in file order, except in
  list_memberships (see below); the others go to the rejects as
  `duplicate key <key> (identical)` when every column equals the loaded
  row's (spec columns as typed values, so `2024-01-01` equals
  `2024-01-01T00:00:00Z` and keys compare trimmed; extra columns as raw
  text; null equals null), else `duplicate key <key> (conflicting)`. The
  reason names the loaded row: `duplicate key contact_id=c1 (conflicting):
  differs from row 3, which was loaded (the first row in file order wins)`.
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
- Timestamps: ISO-8601 (see TIMESTAMP_PATTERN), trimmed, any case
  (`2024-01-01t10:00:00z`), converted to UTC; impossible dates (2024-02-30)
  are `unparseable timestamp <column>`. Values before 1900-01-01 00:00:00
  UTC are placeholders (0001-01-01, Excel's 1899-12-30): `impossible
  timestamp <column>`. Values after the load's start (the instant loaded_at
  starts from) plus `--future-tolerance-minutes` (default 60, for clock
  skew) are `future timestamp <column>` for events.occurred_at,
  contacts.created_at, deals.created_at and list_memberships.added_at.
  deals.closed_at may lie in the future for an open or lost deal (CRMs such
  as HubSpot export the expected close date there); a won deal closed in the
  future is rejected as `won deal closed in the future`.
- Length limits (characters): a key longer than MAX_KEY_LENGTH (255) after
  trimming is `key too long <column>`; any other text value (spec text
  columns, custom properties of contacts and companies) longer than
  MAX_TEXT_LENGTH (10,000) is `value too long <column>`. The reason gives
  the length, not the value. Text with a NUL character is `NUL character
  <column>` (PostgreSQL text cannot hold one).
- Integer columns accept integral decimal numerals (`250`, `250.0`, `2.5e2`);
  `1.5` is rejected. Numbers reject `nan`, `inf`, thousands separators and
  values outside the double range. Negative numbers are numbers (staging
  decides what a negative employee count means), as an email without `@` is
  text.
- "Empty" means null or only spaces (SQL `trim`, as staging does). Keys are
  stored trimmed, other text as given; booleans accept true/false, 1/0,
  yes/no, t/f, y/n in any case, padded.
- References are not enforced: a row whose contact_id or company_id names
  no row of the referenced table (events, deals and list_memberships ->
  contacts; contacts and deals -> companies; deals.company_id empty too) is
  kept, since its contact or company may come with a later export and the
  scoring ignores it until then. After the write the loader counts them per
  table and column, against the tables as stored (values trimmed, exactly
  as stored keys are; an appended table counts this load's rows), prints a
  notice and returns the counts (`orphans`).
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
from duckdb_settings import duckdb_config

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE = Path("output") / "leadscore.duckdb"
DATABASE_ENV_VAR = "LEADSCORE_DUCKDB_PATH"
REJECTS_TABLE = "load_rejects"
LOAD_TIME_COLUMN = "loaded_at"
REJECT_COLUMNS = (
    ("table_name", "VARCHAR"),
    ("source_file", "VARCHAR"),
    ("row_number", "BIGINT"),
    ("reason", "VARCHAR"),
    ("record", "VARCHAR"),
    (LOAD_TIME_COLUMN, "TIMESTAMP"),
    # The reason without its detail (`duplicate key contact_id (identical)`), for
    # counting; null for rows rejected by a loader older than the column.
    ("category", "VARCHAR"),
)
# loaded_at of rows stored before the column existed (older databases).
BEFORE_LOAD_TIMES = datetime(1970, 1, 1)
LOAD_TIME_STEP = timedelta(microseconds=1)
APPENDABLE_TABLES = ("events",)
PART_FORMATS = ("csv", "parquet")
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
# Longest accepted key (after trim) and other text value, in characters.
MAX_KEY_LENGTH = 255
MAX_TEXT_LENGTH = 10_000
# Timestamps before this instant (UTC) are placeholders (0001-01-01, Excel's
# 1899-12-30), not times: rejected as `impossible timestamp`.
EARLIEST_TIMESTAMP = datetime(1900, 1, 1)
# Timestamps later than the load's start plus this many minutes are rejected
# as `future timestamp` (clock skew between the CRM and the loader is allowed).
DEFAULT_FUTURE_TOLERANCE_MINUTES = 60
MALFORMED_ROW = "malformed CSV row"
INVALID_UTF8 = "invalid UTF-8"
WON_CLOSED_IN_FUTURE = "won deal closed in the future"
ENCODING_HINT = (
    "hint: the file is not UTF-8; convert it, e.g. "
    "iconv -f WINDOWS-1252 -t UTF-8 {name} > utf8/{name} (if the export is Windows-1252)"
)
# What the rows of one loaded table came to: read, loaded, rejected,
# properties (contacts, companies), total (appended), orphans (references).
Counts = dict[str, Any]


class LoadError(Exception):
    """Bad input (missing column, ambiguous files): nothing was written."""


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # a key of SQL_TYPES


@dataclass(frozen=True)
class Reference:
    """A column naming a row of another table: not enforced, counted after the load."""

    column: str
    table: str  # the table whose (first) key column it names
    effect: str  # what becomes of the rows kept, for the notice
    empty_unresolved: bool = False  # an empty value counts too (the contract requires one)


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
    # Whether the stored table has LOAD_TIME_COLUMN (set by the loader, not read).
    has_load_time: bool = False
    # Timestamp columns that may lie after the load time (an expected close date).
    future_allowed: tuple[str, ...] = ()
    # (boolean, timestamp): a row whose boolean is true must not have the
    # timestamp after the load time (a won deal closes in the past).
    past_when_true: tuple[str, str] | None = None
    references: tuple[Reference, ...] = ()

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
        references=(
            Reference(
                "company_id",
                "companies",
                "scored with empty company fields until the company is loaded",
            ),
        ),
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
        has_load_time=True,
        references=(Reference("contact_id", "contacts", "scored once the contact is loaded"),),
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
        # An open or lost deal's closed_at may be the expected close date (HubSpot).
        future_allowed=("closed_at",),
        past_when_true=("is_won", "closed_at"),
        references=(
            Reference(
                "company_id",
                "companies",
                "credited through contact_id or the contacts' company_id as usual",
                empty_unresolved=True,
            ),
            Reference("contact_id", "contacts", "credited once the contact is loaded"),
        ),
    ),
    TableSpec(
        name="list_memberships",
        columns=_columns(("list_name", "key"), ("contact_id", "key"), ("added_at", "timestamp")),
        required_columns=("list_name", "contact_id"),
        required_values=("list_name", "contact_id"),
        keep_earliest="added_at",
        references=(Reference("contact_id", "contacts", "they count once the contact is loaded"),),
    ),
)


@dataclass
class Source:
    """One input (a file or a directory of parts) and how its columns map to the table's."""

    spec: TableSpec
    path: Path  # the file, or the directory of parts
    fmt: str  # "csv" or "parquet"
    raw_headers: list[str]
    headers: list[str] = field(default_factory=list)  # trimmed, lowercased
    parts: list[Path] = field(default_factory=list)  # the files read, in order (partitioned)

    @property
    def partitioned(self) -> bool:
        return bool(self.parts)

    @property
    def file_name(self) -> str:
        return f"{self.path.name}/" if self.partitioned else self.path.name

    def files_sql(self) -> str:
        """The file (or list of part files) for read_csv / read_parquet."""
        if not self.partitioned:
            return literal(str(self.path))
        return "[" + ", ".join(literal(str(part)) for part in self.parts) + "]"

    def position(self, column: str) -> int | None:
        return self.headers.index(column) if column in self.headers else None

    def raw_expr(self, column: str) -> str:
        """SQL for the column's raw text (null when the file lacks the column)."""
        position = self.position(column)
        return "CAST(NULL AS VARCHAR)" if position is None else raw_col(position)

    def extra_positions(self) -> list[int]:
        known = set(self.spec.column_names)
        return [i for i, name in enumerate(self.headers) if name and name not in known]

    def property_positions(self) -> list[int]:
        """The extra columns kept as custom properties (contacts and companies)."""
        return self.extra_positions() if self.spec.properties_table else []

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


@dataclass(frozen=True)
class TimeBounds:
    """Timestamps accepted by a load: from EARLIEST_TIMESTAMP to its start plus a tolerance."""

    started: datetime  # the load's start (UTC, naive), as utc_now() gave it
    tolerance_minutes: int = DEFAULT_FUTURE_TOLERANCE_MINUTES

    @property
    def latest(self) -> datetime:
        return self.started + timedelta(minutes=self.tolerance_minutes)

    def after_text(self) -> str:
        return (
            f" is after the load time {self.started:%Y-%m-%d %H:%M:%S} UTC "
            f"(tolerance {self.tolerance_minutes} min)"
        )


def quoted_value(raw: str) -> str:
    """SQL: the raw value in quotes, cut to MAX_VALUE_IN_REASON characters."""
    return "'''' || left(" + raw + f", {MAX_VALUE_IN_REASON}) || ''''"


def length_check(name: str, raw: str, is_key: bool) -> tuple[str, str, str]:
    """(condition, category, reason) rejecting a key or text value that is too long."""
    if is_key:
        value, limit, noun = f"trim({raw})", MAX_KEY_LENGTH, "key"
    else:
        value, limit, noun = raw, MAX_TEXT_LENGTH, "value"
    category = literal(f"{noun} too long {name}")
    reason = f"{category} || ': ' || length({value}) || {literal(f' characters (limit {limit})')}"
    return f"length({value}) > {limit}", category, reason


def nul_check(name: str, raw: str) -> tuple[str, str, str]:
    """(condition, category, reason) rejecting text with a NUL character.

    DuckDB stores it, but PostgreSQL text cannot hold one (so --target postgres
    would fail after the load) and no CRM value legitimately contains it.
    """
    category = literal(f"NUL character {name}")
    return f"contains({raw}, chr(0))", category, category


def timestamp_checks(
    spec: TableSpec, column: Column, raw: str, bounds: TimeBounds
) -> list[tuple[str, str, str]]:
    """Checks of a parsed timestamp: not before 1900, not after the load (with exceptions)."""
    typed = typed_col(column.name)
    category = literal(f"impossible timestamp {column.name}")
    earliest = f"{EARLIEST_TIMESTAMP:%Y-%m-%d %H:%M:%S}"
    checks = [
        (
            f"{typed} < {timestamp_sql(EARLIEST_TIMESTAMP)}",
            category,
            f"{category} || ': ' || {quoted_value(raw)} || "
            + literal(f" is before {earliest} UTC"),
        )
    ]
    latest = timestamp_sql(bounds.latest)
    if column.name not in spec.future_allowed:
        category = literal(f"future timestamp {column.name}")
        reason = f"{category} || ': ' || {quoted_value(raw)} || {literal(bounds.after_text())}"
        checks.append((f"{typed} > {latest}", category, reason))
    if spec.past_when_true and spec.past_when_true[1] == column.name:
        flag = spec.past_when_true[0]
        category = literal(WON_CLOSED_IN_FUTURE)
        reason = (
            f"{category} || {literal(': ' + column.name + ' ')} || {quoted_value(raw)} || "
            + literal(bounds.after_text())
        )
        checks.append((f"{typed_col(flag)} AND {typed} > {latest}", category, reason))
    return checks


def column_checks(
    spec: TableSpec, column: Column, raw: str, bounds: TimeBounds
) -> list[tuple[str, str, str]]:
    """(condition, category, reason) SQL triples that reject a row for one column."""
    checks: list[tuple[str, str, str]] = []
    if column.kind == "key":
        category = literal(f"empty key {column.name}")
        checks.append((is_blank(raw), category, category))
    elif column.name in spec.required_values:
        category = literal(f"empty required value {column.name}")
        checks.append((is_blank(raw), category, category))
    if column.kind in ("key", "text"):
        checks.append(length_check(column.name, raw, is_key=column.kind == "key"))
        checks.append(nul_check(column.name, raw))
    if column.kind in ("timestamp", "bigint", "double", "boolean"):
        noun = "number" if column.kind in ("bigint", "double") else column.kind
        category = literal(f"unparseable {noun} {column.name}")
        condition = f"NOT ({is_blank(raw)}) AND {typed_col(column.name)} IS NULL"
        reason = f"{category} || ': ' || {quoted_value(raw)}"
        checks.append((condition, category, reason))
    if column.kind == "timestamp":
        checks.extend(timestamp_checks(spec, column, raw, bounds))
    return checks


def source_checks(source: Source, bounds: TimeBounds) -> list[tuple[str, str, str]]:
    """Every check of a row of `source`: its spec columns, then its custom properties."""
    spec = source.spec
    checks = [
        check
        for column in spec.columns
        for check in column_checks(spec, column, source.raw_expr(column.name), bounds)
    ]
    for position in source.property_positions():
        checks.append(length_check(source.headers[position], raw_col(position), is_key=False))
        checks.append(nul_check(source.headers[position], raw_col(position)))
    return checks


def list_of_hits(items: Iterable[tuple[str, str]]) -> str:
    cases = [f"CASE WHEN {condition} THEN {value} END" for condition, value in items]
    if not cases:
        return "[]::VARCHAR[]"
    return f"list_filter([{', '.join(cases)}], lambda x: x IS NOT NULL)"


def duplicate_reason(spec: TableSpec) -> tuple[str, str]:
    """(category, reason) SQL for a repeated key, given `identical` and `winner_row`.

    E.g. `duplicate key contact_id=c1 (conflicting): differs from row 3, which
    was loaded (the first row in file order wins)`.
    """
    base = "duplicate key " + ", ".join(spec.key)
    category = (
        f"CASE WHEN identical THEN {literal(base + ' (identical)')} "
        f"ELSE {literal(base + ' (conflicting)')} END"
    )
    values = " || ', ' || ".join(f"{literal(name + '=')} || {typed_col(name)}" for name in spec.key)
    rule = (
        f"the earliest {spec.keep_earliest} wins"
        if spec.keep_earliest
        else "the first row in file order wins"
    )
    reason = (
        f"'duplicate key ' || {values} || CASE WHEN identical "
        "THEN ' (identical): same values as row ' || winner_row || ', which was loaded' "
        "ELSE ' (conflicting): differs from row ' || winner_row || "
        f"{literal(f', which was loaded ({rule})')} END"
    )
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


def undecodable(text: str) -> int | None:
    """The first byte that was not valid UTF-8 (kept by `surrogateescape`), if any."""
    for char in text:
        if "\udc80" <= char <= "\udcff":
            return ord(char) - 0xDC00
    return None


def read_csv_header(path: Path, label: str) -> list[str]:
    """The header record of a CSV file; a UTF-8 byte-order mark is dropped.

    Only the header is parsed here (DuckDB reads the data rows, so a bad byte
    in a data row is that row's problem). LoadError, naming the file as
    `label`, for an empty file, a first line that is empty, a header that is
    not valid UTF-8 and a header that is not valid CSV.
    """
    if path.stat().st_size == 0:
        raise LoadError(f"{label}: empty file (0 bytes): no header line")
    with path.open("rb") as handle:
        start = handle.read(4)
    if start.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise LoadError(
            f"{label}: the file is UTF-16 (byte-order mark {start[:2].hex(' ')}), not UTF-8; "
            "convert it, e.g. iconv -f UTF-16 -t UTF-8"
        )
    # surrogateescape never fails: undecodable bytes of the header are found below.
    with path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
        reader = csv.reader(handle, delimiter=",", quotechar='"', doublequote=True, strict=True)
        try:
            header = next(reader, [])
        except csv.Error as exc:
            raise LoadError(f"{label}: the header line is not valid CSV ({exc})") from None
    bad = next((b for b in map(undecodable, header) if b is not None), None)
    if bad is not None:
        raise LoadError(
            f"{label}: the header is not valid UTF-8 (byte 0x{bad:02x}); convert the file, "
            "e.g. iconv -f WINDOWS-1252 -t UTF-8 (use the export's real encoding)"
        )
    if not any(name.strip() for name in header):
        raise LoadError(f"{label}: no header line (the first line holds no column names)")
    return header


def read_parquet_header(path: Path) -> list[str]:
    with duckdb.connect() as con:
        rows = con.execute(f"DESCRIBE SELECT * FROM read_parquet({literal(str(path))})").fetchall()
    return [row[0] for row in rows]


def read_header(path: Path, fmt: str, label: str) -> list[str]:
    return read_csv_header(path, label) if fmt == "csv" else read_parquet_header(path)


def find_parts(directory: Path) -> tuple[list[Path], str]:
    """The part files of a partitioned input, sorted by name, and their format."""
    label = f"{directory.name}/"
    parts: list[Path] = []
    unexpected: list[str] = []
    for entry in sorted(directory.iterdir(), key=lambda entry: entry.name):
        if entry.name.startswith((".", "_")):
            continue  # _SUCCESS, .crc and other bookkeeping files of the writer
        if entry.is_file() and entry.suffix[1:] in PART_FORMATS:
            parts.append(entry)
        else:
            unexpected.append(entry.name)
    if unexpected:
        raise LoadError(
            f"{label}: unexpected entries {', '.join(unexpected)} in {directory} "
            "(parts must be *.csv or *.parquet files)"
        )
    if not parts:
        raise LoadError(f"{label}: no *.csv or *.parquet parts in {directory}")
    formats = sorted({part.suffix[1:] for part in parts})
    if len(formats) > 1:
        raise LoadError(
            f"{label}: parts of mixed formats ({' and '.join(formats)}) in {directory}; "
            "use one format per directory"
        )
    return parts, formats[0]


def inspect_source(input_dir: Path, spec: TableSpec) -> Source | None:
    found = find_source_file(input_dir, spec)
    directory = input_dir / spec.name
    if directory.is_dir():
        if found is not None:
            raise LoadError(
                f"{spec.name}: both {found[0].name} and {spec.name}/ exist in {input_dir}; "
                "keep only one"
            )
        parts, fmt = find_parts(directory)
        raw_headers = read_header(parts[0], fmt, f"{spec.name}/{parts[0].name}")
        for part in parts[1:]:
            header = read_header(part, fmt, f"{spec.name}/{part.name}")
            if header != raw_headers:
                raise LoadError(
                    f"{spec.name}/{part.name}: header ({', '.join(header)}) differs from "
                    f"that of {spec.name}/{parts[0].name} ({', '.join(raw_headers)}); "
                    "every part needs the same header"
                )
        source = Source(
            spec=spec,
            path=directory.resolve(),
            fmt=fmt,
            raw_headers=raw_headers,
            parts=[part.resolve() for part in parts],
        )
    elif found is None:
        return None
    else:
        path, fmt = found
        raw_headers = read_header(path, fmt, path.name)
        source = Source(spec=spec, path=path.resolve(), fmt=fmt, raw_headers=raw_headers)
    source.headers = [name.strip().lower() for name in source.raw_headers]
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
    part = ", file_index AS part" if source.partitioned else ""
    con.execute(
        f"CREATE TEMP TABLE {temp_name('src', table)} AS "
        f"SELECT *{part} FROM read_csv({source.files_sql()}, {options})"
    )
    if source.partitioned:
        stage_malformed_part_rows(con, source)
        return
    # One row per malformed line; `line` counts the header as line 1.
    con.execute(
        f"""
        CREATE TEMP TABLE {temp_name("bad", table)} AS
        WITH lines AS ({malformed_lines_sql(rejects, "line")})
        SELECT line - 1 AS row_number, {malformed_row_sql("'line ' || line")}
        FROM lines
        """
    )


def malformed_lines_sql(rejects: str, group_by: str) -> str:
    """SQL: one row per line DuckDB could not read, from its rejects table.

    A line can have several errors: the message is the first one's (by byte
    position); the line is not valid UTF-8 when any error says so, since a bad
    byte can also shift the fields.
    """
    return f"""
        SELECT
            {group_by},
            arg_min(error_message, byte_position) AS message,
            arg_min(csv_line, byte_position) AS csv_line,
            bool_or(error_type = 'INVALID ENCODING') AS invalid_utf8,
            min(column_idx) FILTER (WHERE error_type = 'INVALID ENCODING') AS invalid_field
        FROM {rejects}
        GROUP BY {group_by}"""


def malformed_row_sql(location: str) -> str:
    """SQL select items reason, category, record of a malformed line (`lines` columns).

    `location` is SQL text naming the line, e.g. `'line ' || line`.
    """
    utf8_detail = (
        "' holds bytes that are not valid UTF-8 (the file is in another encoding, or corrupt)'"
    )
    return f"""
        CASE
            WHEN invalid_utf8 THEN {literal(INVALID_UTF8 + " (")} || {location} || '): '
                || coalesce('field ' || invalid_field, 'the row') || {utf8_detail}
            ELSE {literal(MALFORMED_ROW + " (")} || {location} || '): ' || message
        END AS reason,
        CASE WHEN invalid_utf8 THEN {literal(INVALID_UTF8)} ELSE {literal(MALFORMED_ROW)} END
            AS category,
        json_object('csv_line', trim(csv_line, e'\\r\\n')) AS record"""


def stage_malformed_part_rows(con: duckdb.DuckDBPyConnection, source: Source) -> None:
    """The malformed lines of CSV parts, numbered across the parts in order.

    A line's row number is the rows (loaded or malformed) of the earlier parts
    plus its line in its part minus one. `file_id` of DuckDB's rejects and
    `file_index` of the rows are both the position in the list of parts.
    """
    table = source.spec.name
    names = "[" + ", ".join(literal(part.name) for part in source.parts) + "]"
    con.execute(
        f"""
        CREATE TEMP TABLE {temp_name("bad", table)} AS
        WITH rejects AS (
            SELECT *, CAST(file_id AS BIGINT) AS part FROM {temp_name("csvrejects", table)}
        ),
        lines AS ({malformed_lines_sql("rejects", "part, line")}),
        sizes AS (
            SELECT part, count(*) AS n
            FROM (
                SELECT CAST(part AS BIGINT) AS part FROM {temp_name("src", table)}
                UNION ALL
                SELECT part FROM lines
            )
            GROUP BY part
        ),
        starts AS (
            SELECT part, coalesce(sum(n) OVER (
                ORDER BY part ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
            ), 0) AS start
            FROM sizes
        )
        SELECT
            CAST(starts.start + lines.line - 1 AS BIGINT) AS row_number,
            {malformed_row_sql(f"{names}[lines.part + 1] || ' line ' || lines.line")}
        FROM lines JOIN starts USING (part)
        ORDER BY row_number
        """
    )


def stage_parquet(con: duckdb.DuckDBPyConnection, source: Source) -> None:
    table = source.spec.name
    selects = ", ".join(
        f"CAST({ident(name)} AS VARCHAR) AS {raw_col(i)}"
        for i, name in enumerate(source.raw_headers)
    )
    # Parts may differ in column types: union_by_name reads them all (as text here).
    options = ", union_by_name = true" if source.partitioned else ""
    con.execute(
        f"CREATE TEMP TABLE {temp_name('src', table)} AS "
        f"SELECT {selects} FROM read_parquet({source.files_sql()}{options})"
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


def stage_parsed(con: duckdb.DuckDBPyConnection, source: Source, bounds: TimeBounds) -> None:
    """Typed columns plus `reason`/`category` (null for rows to load)."""
    spec = source.spec
    raws = {column.name: source.raw_expr(column.name) for column in spec.columns}
    typed = ", ".join(
        f"{typed_expr(column, raws[column.name])} AS {typed_col(column.name)}"
        for column in spec.columns
    )
    checks = source_checks(source, bounds)
    reasons = list_of_hits((condition, reason) for condition, _, reason in checks)
    categories = list_of_hits((condition, category) for condition, category, _ in checks)
    keys = ", ".join(typed_col(name) for name in spec.key)
    preference = "row_number"
    if spec.keep_earliest:
        preference = f"{typed_col(spec.keep_earliest)} ASC NULLS FIRST, row_number"
    # A repeated key is identical to the loaded row when every column is: the
    # spec columns as typed, the extra columns as raw text (null-safe).
    compared = [typed_col(c.name) for c in spec.columns]
    compared += [raw_col(i) for i in source.extra_positions()]
    same = " AND ".join(f"repeats.{c} IS NOT DISTINCT FROM winners.{c}" for c in compared)
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
                row_number() OVER keys AS key_rank,
                first_value(row_number) OVER keys AS winner_row
            FROM checked
            WINDOW keys AS (PARTITION BY len(reasons) = 0, {keys} ORDER BY {preference})
        ),
        repeats AS (SELECT * FROM ranked WHERE len(reasons) = 0 AND key_rank > 1),
        winners AS (
            SELECT * FROM ranked
            WHERE key_rank = 1 AND row_number IN (SELECT winner_row FROM repeats)
        ),
        repeat_kinds AS (
            SELECT repeats.row_number, coalesce({same}, false) AS identical
            FROM repeats JOIN winners ON winners.row_number = repeats.winner_row
        )
        SELECT
            ranked.* EXCLUDE (good_rank, reasons, categories, key_rank, winner_row),
            CASE
                WHEN len(reasons) > 0 THEN array_to_string(reasons, '; ')
                WHEN key_rank > 1 THEN {dup_reason}
            END AS reason,
            CASE
                WHEN len(reasons) > 0 THEN array_to_string(categories, '; ')
                WHEN key_rank > 1 THEN {dup_category}
            END AS category
        FROM ranked LEFT JOIN repeat_kinds ON repeat_kinds.row_number = ranked.row_number
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


def stage_source(con: duckdb.DuckDBPyConnection, source: Source, bounds: TimeBounds) -> Counts:
    if source.fmt == "csv":
        stage_csv(con, source)
    else:
        stage_parquet(con, source)
    table = source.spec.name
    read = count_rows(con, temp_name("src", table)) + count_rows(con, temp_name("bad", table))
    stage_parsed(con, source, bounds)
    stage_outputs(con, source)
    counts: Counts = {
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


def table_columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> dict[str, str]:
    """Column name -> type of `schema.table` ({} when it does not exist)."""
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
        [schema, table],
    ).fetchall()
    return {str(name): str(data_type) for name, data_type in rows}


def timestamp_sql(value: datetime) -> str:
    return f"TIMESTAMP {literal(value.isoformat(sep=' '))}"


def empty_table_ddl(schema: str, spec: TableSpec) -> str:
    columns = [f"{ident(column.name)} {SQL_TYPES[column.kind]}" for column in spec.columns]
    if spec.has_load_time:
        columns.append(f"{ident(LOAD_TIME_COLUMN)} TIMESTAMP")
    return f"CREATE TABLE IF NOT EXISTS {ident(schema)}.{ident(spec.name)} ({', '.join(columns)})"


def properties_ddl(schema: str, spec: TableSpec) -> str:
    assert spec.properties_table is not None
    return (
        f"CREATE TABLE IF NOT EXISTS {ident(schema)}.{ident(spec.properties_table)} "
        f"({ident(spec.key[0])} VARCHAR, property VARCHAR, value VARCHAR)"
    )


def rejects_ddl(schema: str) -> str:
    columns = ", ".join(f"{name} {sql_type}" for name, sql_type in REJECT_COLUMNS)
    return f"CREATE TABLE IF NOT EXISTS {ident(schema)}.{REJECTS_TABLE} ({columns})"


def next_load_time(con: duckdb.DuckDBPyConnection, schema: str, started: datetime) -> datetime:
    """The loaded_at of this load: its start, but past every loaded_at already stored."""
    latest: datetime | None = None
    tables = [spec.name for spec in TABLES if spec.has_load_time] + [REJECTS_TABLE]
    for table in tables:
        if LOAD_TIME_COLUMN not in table_columns(con, schema, table):
            continue
        column = ident(LOAD_TIME_COLUMN)
        row = con.execute(
            f"SELECT max(CAST({column} AS TIMESTAMP)) FROM {ident(schema)}.{ident(table)}"
        ).fetchone()
        if row and row[0] is not None and (latest is None or row[0] > latest):
            latest = row[0]
    if latest is None or started > latest:
        return started
    return latest + LOAD_TIME_STEP


def add_load_time_column(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> None:
    """Give a table stored by an older loader its loaded_at (BEFORE_LOAD_TIMES)."""
    if LOAD_TIME_COLUMN in table_columns(con, schema, table):
        return
    target = f"{ident(schema)}.{ident(table)}"
    column = ident(LOAD_TIME_COLUMN)
    con.execute(
        f"ALTER TABLE {target} ADD COLUMN {column} TIMESTAMP "
        f"DEFAULT {timestamp_sql(BEFORE_LOAD_TIMES)}"
    )
    con.execute(f"ALTER TABLE {target} ALTER COLUMN {column} DROP DEFAULT")


def output_columns(spec: TableSpec, loaded_at: datetime) -> tuple[list[str], list[str]]:
    """(names, SQL values) of the columns written from the staged rows of `spec`."""
    names = [ident(column.name) for column in spec.columns]
    values = [f"CAST({ident(column.name)} AS {SQL_TYPES[column.kind]})" for column in spec.columns]
    if spec.has_load_time:
        names.append(ident(LOAD_TIME_COLUMN))
        values.append(timestamp_sql(loaded_at))
    return names, values


def replace_table(
    con: duckdb.DuckDBPyConnection, schema: str, spec: TableSpec, loaded_at: datetime
) -> None:
    target = f"{ident(schema)}.{ident(spec.name)}"
    names, values = output_columns(spec, loaded_at)
    casts = ", ".join(f"{value} AS {name}" for name, value in zip(names, values, strict=True))
    con.execute(
        f"CREATE OR REPLACE TABLE {target} AS SELECT {casts} FROM {temp_name('ok', spec.name)}"
    )
    if spec.properties_table:
        con.execute(
            f"CREATE OR REPLACE TABLE {ident(schema)}.{ident(spec.properties_table)} AS "
            f"SELECT * FROM {temp_name('props', spec.name)}"
        )


def append_table(
    con: duckdb.DuckDBPyConnection, schema: str, spec: TableSpec, loaded_at: datetime
) -> int:
    """Append the staged rows to the existing table; returns its row count after."""
    assert spec.properties_table is None, "tables with properties are always replaced"
    target = f"{ident(schema)}.{ident(spec.name)}"
    if spec.has_load_time:
        add_load_time_column(con, schema, spec.name)
    names, values = output_columns(spec, loaded_at)
    con.execute(
        f"INSERT INTO {target} ({', '.join(names)}) "
        f"SELECT {', '.join(values)} FROM {temp_name('ok', spec.name)}"
    )
    return count_rows(con, target)


def replace_rejects(
    con: duckdb.DuckDBPyConnection,
    schema: str,
    sources: list[Source],
    appended: set[str],
    loaded_at: datetime,
) -> None:
    """Rejects of replaced tables are replaced; those of other tables are kept.

    An appended table keeps its earlier rejects and gets this load's next to
    them. Kept rows from before loaded_at existed get BEFORE_LOAD_TIMES.
    """
    target = f"{ident(schema)}.{REJECTS_TABLE}"
    stored = table_columns(con, schema, REJECTS_TABLE)
    kept_columns = []
    for name, sql_type in REJECT_COLUMNS:
        if name in stored:
            kept_columns.append(name)
        elif name == LOAD_TIME_COLUMN:
            kept_columns.append(f"{timestamp_sql(BEFORE_LOAD_TIMES)} AS {name}")
        else:
            kept_columns.append(f"CAST(NULL AS {sql_type}) AS {name}")
    replaced = ", ".join(
        literal(source.spec.name) for source in sources if source.spec.name not in appended
    )
    keep = f" WHERE table_name NOT IN ({replaced})" if replaced else ""
    parts = [f"SELECT {', '.join(kept_columns)} FROM {target}{keep}"]
    parts += [
        f"SELECT {literal(s.spec.name)}, {literal(str(s.path))}, row_number, reason, record, "
        f"{timestamp_sql(loaded_at)}, category FROM {temp_name('rejects', s.spec.name)}"
        for s in sources
    ]
    casts = ", ".join(f"CAST({name} AS {sql_type}) AS {name}" for name, sql_type in REJECT_COLUMNS)
    con.execute(
        f"CREATE OR REPLACE TABLE {target} AS SELECT {casts} FROM ("
        + " UNION ALL ".join(parts)
        + f") AS rejects ORDER BY table_name, {LOAD_TIME_COLUMN}, row_number"
    )


def write_tables(
    con: duckdb.DuckDBPyConnection,
    schema: str,
    sources: list[Source],
    absent: list[TableSpec],
    appending: dict[str, int],
    started: datetime,
) -> datetime:
    """Replace (or append to) the loaded tables and create missing ones, in one transaction.

    `appending`: the tables to append to, with their expected row count after
    the load. Returns the load's loaded_at.
    """
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {ident(schema)}")
        loaded_at = next_load_time(con, schema, started)
        for source in sources:
            spec = source.spec
            if spec.name not in appending:
                replace_table(con, schema, spec, loaded_at)
                continue
            total = append_table(con, schema, spec, loaded_at)
            if total != appending[spec.name]:
                raise RuntimeError(
                    f"{spec.name}: {total} rows after appending, expected "
                    f"{appending[spec.name]}; nothing was written"
                )
        for spec in absent:
            con.execute(empty_table_ddl(schema, spec))
            if spec.has_load_time:
                add_load_time_column(con, schema, spec.name)
            if spec.properties_table:
                con.execute(properties_ddl(schema, spec))
        con.execute(rejects_ddl(schema))
        replace_rejects(con, schema, sources, set(appending), loaded_at)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return loaded_at


# --------------------------------------------------------------------------- reporting


def report_source(
    con: duckdb.DuckDBPyConnection, source: Source, counts: Counts, schema: str = "raw"
) -> None:
    read, loaded, rejected = counts["read"], counts["loaded"], counts["rejected"]
    balanced = loaded + rejected == read
    verdict = "OK" if balanced else "MISMATCH"
    print(
        f"  rows read {read}, loaded {loaded}, rejected {rejected} "
        f"(loaded + rejected == read: {verdict})"
    )
    for category, n in top_reasons(con, source.spec.name):
        print(f"    {n:>10}  {category}")
    rejects = temp_name("rejects", source.spec.name)
    if count_rows(con, f"{rejects} WHERE category = {literal(INVALID_UTF8)}"):
        name = f"{source.file_name}<part>.csv" if source.partitioned else source.file_name
        print("  " + ENCODING_HINT.format(name=name))
    if "properties" in counts:
        print(f"  {source.spec.properties_table}: {counts['properties']} values")
    if "total" in counts:
        print(
            f"  appended to {schema}.{source.spec.name}: {counts['total'] - loaded} rows before "
            f"+ {loaded} loaded = {counts['total']} rows after the load"
        )
    if not balanced:
        raise RuntimeError(
            f"{source.spec.name}: loaded {loaded} + rejected {rejected} != read {read}; "
            "nothing was written"
        )


def count_orphans(con: duckdb.DuckDBPyConnection, schema: str, source: Source) -> dict[str, int]:
    """Rows this load wrote whose references name no row of the stored tables.

    Run after the write, so the referenced tables are what the load left
    (this load's rows, or the kept table). Values compare trimmed, as stored
    keys are. An appended table counts the rows of this load only.
    """
    staged = temp_name("ok", source.spec.name)
    orphans: dict[str, int] = {}
    for reference in source.spec.references:
        target = next(spec for spec in TABLES if spec.name == reference.table)
        value = f"nullif(trim(staged.{ident(reference.column)}), '')"
        missing = (
            f"NOT EXISTS (SELECT 1 FROM {ident(schema)}.{ident(target.name)} AS stored "
            f"WHERE stored.{ident(target.key[0])} = {value})"
        )
        condition = (
            f"{value} IS NULL OR {missing}"
            if reference.empty_unresolved
            else f"{value} IS NOT NULL AND {missing}"
        )
        orphans[reference.column] = count_rows(con, f"{staged} AS staged WHERE {condition}")
    return orphans


def report_orphans(source: Source, orphans: dict[str, int]) -> None:
    spec = source.spec
    for reference in spec.references:
        n = orphans.get(reference.column, 0)
        if not n:
            continue
        empty = " empty or" if reference.empty_unresolved else ""
        print(
            f"{spec.name}: notice: {n} {spec.name} for {reference.column}s{empty} not in "
            f"{reference.table} (kept; {reference.effect})"
        )


def report_absent(
    con: duckdb.DuckDBPyConnection, schema: str, spec: TableSpec, append: set[str] | None = None
) -> None:
    exists = table_columns(con, schema, spec.name)
    action = "keeping the existing table" if exists else "creating it empty"
    if append and spec.name in append:
        action += " (--append: nothing to append)"
    print(f"{spec.name}: notice: no {spec.name}.csv or {spec.name}.parquet; {action}")


# --------------------------------------------------------------------------- entry points


def utc_now() -> datetime:
    """The current time in UTC, naive like every TIMESTAMP of the raw schema."""
    return datetime.now(UTC).replace(tzinfo=None)


def check_append(tables: Iterable[str]) -> set[str]:
    """The tables to append to; LoadError for an unknown or non-appendable table."""
    known = [spec.name for spec in TABLES]
    chosen: set[str] = set()
    for table in tables:
        if table not in known:
            raise LoadError(f"--append {table}: unknown table (tables: {', '.join(known)})")
        if table not in APPENDABLE_TABLES:
            raise LoadError(
                f"--append {table}: only {', '.join(APPENDABLE_TABLES)} can be appended to; "
                f"{table} is always replaced"
            )
        chosen.add(table)
    return chosen


def append_targets(
    con: duckdb.DuckDBPyConnection, schema: str, append: set[str], sources: list[Source]
) -> dict[str, int]:
    """Existing tables this load appends to, with their current row counts.

    A table to append to that does not exist yet is loaded as usual. An
    existing one must have the loader's columns (loaded_at may be missing).
    """
    targets: dict[str, int] = {}
    for source in sources:
        spec = source.spec
        if spec.name not in append:
            continue
        stored = table_columns(con, schema, spec.name)
        if not stored:
            continue
        expected = {column.name: SQL_TYPES[column.kind] for column in spec.columns}
        if spec.has_load_time:
            expected[LOAD_TIME_COLUMN] = "TIMESTAMP"
            stored.setdefault(LOAD_TIME_COLUMN, "TIMESTAMP")
        if stored != expected:
            found = ", ".join(f"{name} {sql_type}" for name, sql_type in stored.items())
            wanted = ", ".join(f"{name} {sql_type}" for name, sql_type in expected.items())
            raise LoadError(
                f"--append {spec.name}: {schema}.{spec.name} has columns ({found}), not the "
                f"loader's ({wanted}); load without --append to replace it"
            )
        targets[spec.name] = count_rows(con, f"{ident(schema)}.{ident(spec.name)}")
    return targets


def load(
    input_dir: Path,
    database: Path,
    schema: str = "raw",
    append: Iterable[str] = (),
    future_tolerance_minutes: int = DEFAULT_FUTURE_TOLERANCE_MINUTES,
) -> dict[str, Counts]:
    """Load every input of `input_dir` into `schema` of the DuckDB `database`.

    Returns per loaded table {read, loaded, rejected} (and `properties` for
    contacts and companies, `total` rows after the load for a table appended
    to, and for tables with references `orphans`: {column: rows kept whose
    value names no row of the referenced table}). `append` names the tables
    to append to instead of replacing (only events). Timestamps later than the
    load's start plus `future_tolerance_minutes` are rejected. Raises
    LoadError, before writing anything, when an input is unusable.
    """
    if not SCHEMA_PATTERN.fullmatch(schema):
        raise LoadError(f"invalid schema name {schema!r}")
    if isinstance(future_tolerance_minutes, bool) or not isinstance(future_tolerance_minutes, int):
        raise LoadError(f"future tolerance must be whole minutes, not {future_tolerance_minutes!r}")
    if future_tolerance_minutes < 0:
        raise LoadError(f"future tolerance must be >= 0 minutes, not {future_tolerance_minutes}")
    append_to = check_append(append)
    started = utc_now()
    bounds = TimeBounds(started, future_tolerance_minutes)
    sources, absent = inspect_inputs(Path(input_dir))
    database = Path(database)
    database.parent.mkdir(parents=True, exist_ok=True)
    results: dict[str, Counts] = {}
    # Threads, memory limit and spill directory as for dbt (profiles.yml); file
    # order matters here (row numbers, first row wins), so insertion order is kept.
    config = duckdb_config(preserve_insertion_order="true")
    Path(config["temp_directory"]).mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(database), config=config) as con:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET enable_progress_bar = false")
        appending = append_targets(con, schema, append_to, sources)
        for source in sources:
            parts = f" ({len(source.parts)} {source.fmt} parts)" if source.partitioned else ""
            print(f"{source.spec.name}: {source.path}{parts}")
            if source.spec.name in append_to and source.spec.name not in appending:
                print(
                    f"  notice: --append {source.spec.name}: {schema}.{source.spec.name} "
                    "does not exist yet; loading it as a new table"
                )
            print_column_notices(source)
            counts = stage_source(con, source, bounds)
            if source.spec.name in appending:
                counts["total"] = appending[source.spec.name] + counts["loaded"]
            results[source.spec.name] = counts
            report_source(con, source, counts, schema)
        for spec in absent:
            report_absent(con, schema, spec, append_to)
        expected_totals = {name: results[name]["total"] for name in appending}
        loaded_at = write_tables(con, schema, sources, absent, expected_totals, started)
        # References are counted against the tables as stored now, this load's rows kept.
        for source in sources:
            if source.spec.references:
                orphans = count_orphans(con, schema, source)
                results[source.spec.name]["orphans"] = orphans
                report_orphans(source, orphans)
    appended = f", appended to {', '.join(sorted(appending))}" if appending else ""
    print(
        f"loaded {len(sources)} table(s) into {database} schema {schema}{appended} "
        f"(loaded_at {loaded_at.isoformat(sep=' ')} UTC)"
    )
    return results


HELP_EPILOG = """\
inputs:
  DIR/<table>.csv, DIR/<table>.parquet or DIR/<table>/ (a directory of part
  files, all *.csv or all *.parquet with the same header, read in sorted name
  order; names starting with . or _ are skipped) for the tables contacts,
  companies, events, deals and list_memberships. A missing table keeps its
  stored table (or is created empty).

loaded_at:
  <schema>.events and <schema>.load_rejects get loaded_at (TIMESTAMP, UTC): the
  load's start time, made strictly greater than every loaded_at stored. The
  loader owns it: a loaded_at column of the events input is ignored. Rows of
  an older database without the column get 1970-01-01 when kept or appended to.

validation (rows that fail go to <schema>.load_rejects, with reason and category):
  empty or too long keys (> 255 characters), too long text values (> 10,000),
  unparseable values, timestamps before 1900-01-01 (impossible) or after the
  load's start + --future-tolerance-minutes (future; an open or lost deal's
  closed_at may be in the future, a won deal's may not), duplicate keys
  (identical or conflicting with the loaded row), malformed CSV rows and rows
  with invalid UTF-8. Unresolved references (e.g. events of a contact_id not
  in contacts) are kept and counted in a notice.

--append events:
  validate the events input as usual and append its accepted rows (including
  re-delivered event_ids: raw keeps every version) and its rejects, instead of
  replacing raw.events and its rejects. Plain load when raw.events is missing.

--target postgres|spark:
  after the load, copy the raw schema (every table, load_rejects included)
  from the DuckDB file to that profiles.yml target (scripts/copy_raw.py), so
  `dbt build --target ...` scores exactly the rows validated here.

exit status: 0 loaded, 2 unusable input (nothing written), 1 load failed
(previous tables left intact).
"""


def tolerance_minutes(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of minutes: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0: {text}")
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Load CRM exports (CSV or Parquet) into the raw schema of DuckDB.",
        epilog=HELP_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--input",
        required=True,
        type=Path,
        help="directory with <table>.csv, <table>.parquet or <table>/ (part files)",
    )
    parser.add_argument(
        "--database",
        default=None,
        help=f"DuckDB file (default: ${DATABASE_ENV_VAR}, else {DEFAULT_DATABASE} in the repo)",
    )
    parser.add_argument("--schema", default="raw", help="target schema (default: raw)")
    parser.add_argument(
        "--append",
        action="append",
        default=[],
        metavar="TABLE",
        help="append the table's accepted rows instead of replacing it (repeatable; only events)",
    )
    parser.add_argument(
        "--future-tolerance-minutes",
        type=tolerance_minutes,
        default=DEFAULT_FUTURE_TOLERANCE_MINUTES,
        metavar="N",
        help="reject timestamps later than the load's start plus N minutes "
        f"(default: {DEFAULT_FUTURE_TOLERANCE_MINUTES}; a won deal's closed_at too, "
        "an open or lost deal's closed_at may lie in the future)",
    )
    parser.add_argument(
        "--target",
        default="duckdb",
        help="profiles.yml target to score on: duckdb (default) or postgres/spark, which get "
        "a copy of the loaded raw schema",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    database = resolve_database(args.database)
    try:
        load(
            args.input,
            database,
            args.schema,
            append=args.append,
            future_tolerance_minutes=args.future_tolerance_minutes,
        )
    except LoadError as exc:
        print(f"error: {exc}; nothing was loaded", file=sys.stderr)
        return EXIT_INPUT_ERROR
    except (duckdb.Error, RuntimeError, OSError) as exc:
        print(f"error: load failed, previous tables left intact: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    if args.target != "duckdb":
        from copy_raw import CopyError, copy_raw
        from engines import ProfileError

        try:
            copy_raw(database, args.target, args.schema)
        except (CopyError, ProfileError) as exc:
            print(f"error: loaded into {database}, but not copied: {exc}", file=sys.stderr)
            return EXIT_FAILURE
    return 0


if __name__ == "__main__":
    sys.exit(main())
