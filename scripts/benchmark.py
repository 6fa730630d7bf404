#!/usr/bin/env python3
"""Benchmark leadscore on generated data of a given size (docs/performance.md).

    python scripts/benchmark.py --size 10M [--repeats 3] [--steps full,daily,...]
        [--output-dir output/bench/<size>] [--end 2026-06-30] [--regenerate]

--size is the number of events (10M, 100M, 500k, ...): the generator makes
size / 100 contacts with --activity 5.3, about 100 events each (--contacts
and --activity set them directly).

Steps, each timed with the peak memory (max RSS) of its process:
- generate: `generate_data.py` through --end (reused when already there);
- split: the events before --end are the history; the events of --end, plus
  1% of the previous day's held back as late arrivals, are "today's" batch;
- load: `load_raw.py` loads the history (contacts, companies, deals, lists and
  the history's events);
- full: `dbt build --full-refresh` at T = --end 00:00 UTC (score time T only).
  Every build step leaves out the unit tests (`--exclude-resource-type
  unit_test`), as a production run does: they test the SQL on fixed inputs,
  not the data;
- unit: the unit tests alone (`dbt test --select test_type:unit`), after full;
- daily: on a copy of the state after `full`, `load_raw.py --append events`
  adds today's batch (timed apart as daily_load) and `dbt build` scores
  T + 1 day: the incremental models process the new and late events only;
- forward: `dbt build` at T + 2 days with no new events;
- history: `dbt build` at T + 2 days with 52 weekly history snapshots
  (lead_score_history), compared with `forward` (one score time) and `full`;
- default: `dbt build` at T + 2 days with the project's default grids (29
  daily history snapshots and 13 backtest cutoffs, every 30 days): what a
  plain `dbt build` costs;
- backtest: `dbt build` at T + 2 days with the 13 monthly backtest cutoffs
  alone (history off);
- floor: one DuckDB query that scans the raw events once, matches them to the
  event and frequency rules of the seed (type and url/detail condition) and
  sums the rules' points per contact: the least work any correct
  implementation must do. Every other figure is also given as a ratio to it,
  so results compare across machines;
- limit: the physical limit, a smaller query than the floor: one scan of the
  raw events, one equality join to 8 event rules (the seed's first 8 event
  types, its points, exponential decay halving every 30 days, events at or
  before T only), one sum per contact. No condition, window, cap or reset:
  what the machine does at best for this data, printed beside the floor.
Each measured step runs `--repeats` times; the table shows medians. dbt runs
as a child process (the dbt CLI of this virtualenv), so each run's peak
memory is its own. DuckDB settings come from the environment, as in
profiles.yml (LEADSCORE_DUCKDB_THREADS, _MEMORY_LIMIT, _TEMP_DIR,
_PRESERVE_INSERTION_ORDER); the floor query uses the same ones.

Writes `<output-dir>/benchmark.json` (every run, the medians, the ratios, and
the slowest dbt nodes of the last full build from target/run_results.json) and
prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
from duckdb_settings import duckdb_config

REPO_ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RAW_TABLES = ("contacts", "companies", "deals", "list_memberships")
LATE_SHARE_PERCENT = 1  # of the previous day's events, delivered with today's batch
HISTORY_DATES = 52
HISTORY_STEP_DAYS = 7


@dataclass
class Run:
    step: str
    seconds: float
    peak_rss_mb: float


def log(message: str) -> None:
    print(f"[benchmark {datetime.now():%H:%M:%S}] {message}", flush=True)


def duckdb_settings() -> dict[str, str]:
    """The DuckDB settings of profiles.yml, with the same environment overrides."""
    return duckdb_config()


def measure(step: str, command: Sequence[str], log_path: Path, env: dict[str, str]) -> Run:
    """Run `command`, its output to `log_path`; its wall time and peak RSS.

    Every finished run is also appended to `runs.jsonl` beside the log, so a
    long benchmark that is interrupted keeps what it measured.
    """
    with log_path.open("a") as out:
        out.write(f"\n$ {' '.join(command)}\n")
        out.flush()
        began = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - began
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{step} failed (exit {process.returncode}); see {log_path}")
    # ru_maxrss is in kilobytes on Linux.
    run = Run(step, round(seconds, 2), round(usage.ru_maxrss / 1024, 1))
    with (log_path.parent / "runs.jsonl").open("a") as runs:
        runs.write(json.dumps(asdict(run)) + "\n")
    return run


def ts(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def tables_in(directory: Path, table: str) -> str:
    """The read_parquet argument for a generated table (one file or parts)."""
    single = directory / f"{table}.parquet"
    return str(single) if single.exists() else str(directory / table / "*.parquet")


def split_events(data_dir: Path, base_dir: Path, day_dir: Path, end: date) -> dict[str, int]:
    """History events (before `end`) and today's batch (`end`, plus late ones)."""
    for directory in (base_dir, day_dir):
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
    for table in RAW_TABLES:
        source = data_dir / f"{table}.parquet"
        target = base_dir / f"{table}.parquet"
        if source.exists():
            target.symlink_to(source.resolve())
        else:
            (base_dir / table).symlink_to((data_dir / table).resolve(), target_is_directory=True)
    today = f"timestamp '{end.isoformat()} 00:00:00'"
    yesterday = f"timestamp '{(end - timedelta(days=1)).isoformat()} 00:00:00'"
    late = (
        f"(occurred_at >= {yesterday} and occurred_at < {today} "
        f"and hash(event_id) % 100 < {LATE_SHARE_PERCENT})"
    )
    events = f"read_parquet('{tables_in(data_dir, 'events')}')"
    con = duckdb.connect(config=duckdb_settings())
    con.execute("set TimeZone = 'UTC'")
    con.execute(
        f"copy (select * from {events} where occurred_at < {today} and not {late}) "
        f"to '{base_dir / 'events.parquet'}' (format parquet)"
    )
    con.execute(
        f"copy (select * from {events} where occurred_at >= {today} or {late}) "
        f"to '{day_dir / 'events.parquet'}' (format parquet)"
    )
    counts = {
        name: con.execute(f"select count(*) from read_parquet('{path}')").fetchone()[0]
        for name, path in (
            ("history_events", base_dir / "events.parquet"),
            ("today_events", day_dir / "events.parquet"),
        )
    }
    counts["late_events"] = con.execute(
        f"select count(*) from read_parquet('{day_dir / 'events.parquet'}') "
        f"where occurred_at < {today}"
    ).fetchone()[0]
    con.close()
    return counts


# --------------------------------------------------------------------------- floor

FLOOR_SQL = """
with
rules as (
    select
        lower(trim(event_type)) as event_type,
        lower(trim(field)) as field,
        lower(trim(operator)) as operator,
        lower(trim(value)) as value,
        cast(points as double) as points,
        row_number() over () as rule_key
    from read_csv('{rules_csv}', header = true, all_varchar = true)
    where lower(trim(rule_type)) in ('event', 'frequency') and points is not null
),
alternatives as (
    select rule_key, trim(unnest(string_split(value, '|'))) as alternative
    from rules
    where operator is not null
),
matches as (
    select events.event_id, events.contact_id, rules.rule_key, rules.points, rules.operator,
           lower(case rules.field when 'event.url' then events.url
                                  when 'event.detail' then events.detail end) as subject
    from raw.events as events
    inner join rules on lower(trim(events.event_type)) = rules.event_type
),
conditional as (
    select matches.event_id, matches.contact_id, matches.rule_key, matches.points
    from matches
    inner join alternatives on matches.rule_key = alternatives.rule_key
    where case matches.operator
        when 'contains' then contains(matches.subject, alternatives.alternative)
        when 'starts_with' then starts_with(matches.subject, alternatives.alternative)
        when 'ends_with' then ends_with(matches.subject, alternatives.alternative)
        else matches.subject = alternatives.alternative
    end
),
hits as (
    select contact_id, points from matches where operator is null
    union all
    -- an event matching several alternatives of a rule hits it once
    select contact_id, any_value(points)
    from conditional
    group by event_id, contact_id, rule_key
)
select contact_id, sum(points) as points
from hits
group by contact_id
"""


LIMIT_SQL = """
with
rules as (
    select event_type, max(cast(points as double)) as points
    from read_csv('{rules_csv}', header = true, all_varchar = true)
    where lower(trim(rule_type)) = 'event' and points is not null
    group by event_type
    order by event_type
    limit 8
)
select
    events.contact_id,
    sum(rules.points * pow(0.5, epoch(timestamp '{as_of}' - events.occurred_at) / (30 * 86400.0)))
        as points
from raw.events as events
inner join rules on events.event_type = rules.event_type
where events.occurred_at <= timestamp '{as_of}'
group by events.contact_id
"""


def limit_query(database: Path, rules_csv: Path, as_of: str) -> int:
    """The physical limit: one scan, one join to 8 rules, exponential decay, one sum."""
    con = duckdb.connect(str(database), read_only=True, config=duckdb_settings())
    con.execute("set TimeZone = 'UTC'")
    sql = LIMIT_SQL.format(rules_csv=rules_csv, as_of=as_of)
    con.execute("create temp table limit_points as " + sql)
    (contacts,) = con.execute("select count(*) from limit_points").fetchone()
    con.close()
    return contacts


def floor_query(database: Path, rules_csv: Path) -> int:
    """The floor: scan raw events once, match them to rules, sum points per contact."""
    con = duckdb.connect(str(database), read_only=True, config=duckdb_settings())
    con.execute("set TimeZone = 'UTC'")
    con.execute("create temp table floor_points as " + FLOOR_SQL.format(rules_csv=rules_csv))
    (contacts,) = con.execute("select count(*) from floor_points").fetchone()
    con.close()
    return contacts


# --------------------------------------------------------------------------- steps


def dbt_command(target_path: Path, *args: str) -> list[str]:
    return [str(BIN / "dbt"), *args, "--target-path", str(target_path), "--quiet"]


# Every build step runs what a production run runs: `dbt build` without the
# unit tests, as dbt recommends (they test the SQL on fixed inputs, not the
# data; README "Daily runs"). The unit step times them on their own.
BUILD = ("build", "--exclude-resource-type", "unit_test")


def dbt_vars(as_of: str, **extra: object) -> str:
    values: dict[str, object] = {"as_of": as_of, "history_enabled": False}
    values["backtest_enabled"] = False
    values.update(extra)
    return json.dumps(values)


def slowest_nodes(run_results: Path, top: int = 12) -> list[dict[str, object]]:
    results = json.loads(run_results.read_text())["results"]
    nodes = sorted(results, key=lambda r: r["execution_time"], reverse=True)[:top]
    return [{"node": r["unique_id"], "seconds": round(r["execution_time"], 2)} for r in nodes]


def median(runs: list[Run], step: str) -> Run | None:
    chosen = [r for r in runs if r.step == step]
    if not chosen:
        return None
    return Run(
        step,
        round(statistics.median(r.seconds for r in chosen), 2),
        round(max(r.peak_rss_mb for r in chosen), 1),
    )


def parse_size(text: str) -> int:
    """`10M` -> 10_000_000, `500k` -> 500_000, `2500000` -> 2_500_000."""
    units = {"k": 1_000, "m": 1_000_000, "g": 1_000_000_000}
    cleaned = text.strip().lower()
    try:
        if cleaned and cleaned[-1] in units:
            return round(float(cleaned[:-1]) * units[cleaned[-1]])
        return int(cleaned)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not a size like 10M or 500k: {text!r}") from error


def size_label(events: int) -> str:
    if events % 1_000_000 == 0:
        return f"{events // 1_000_000}M"
    if events % 1_000 == 0:
        return f"{events // 1_000}k"
    return str(events)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command")
    floor = sub.add_parser("floor", help="run the floor query once (used by the benchmark)")
    floor.add_argument("--database", type=Path, required=True)
    floor.add_argument("--rules", type=Path, default=REPO_ROOT / "seeds" / "scoring_rules.csv")
    limit = sub.add_parser("limit", help="run the physical-limit query once (the benchmark)")
    limit.add_argument("--database", type=Path, required=True)
    limit.add_argument("--rules", type=Path, default=REPO_ROOT / "seeds" / "scoring_rules.csv")
    limit.add_argument("--as-of", default="2026-06-30 00:00:00")
    parser.add_argument(
        "--size", type=parse_size, default=None, help="events, e.g. 10M or 100M (default 10M)"
    )
    parser.add_argument("--contacts", type=int, default=None, help="default: size / 100")
    parser.add_argument(
        "--activity",
        type=float,
        default=5.3,
        help="generate_data.py --activity (default 5.3: about 100 events per contact)",
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--end", type=date.fromisoformat, default=date(2026, 6, 30))
    parser.add_argument("--repeats", type=int, default=3, help="runs per measured step")
    parser.add_argument(
        "--steps",
        default="full,unit,daily,forward,history,default,backtest,floor,limit",
        help="comma-separated subset of full,unit,daily,forward,history,default,backtest,"
        "floor,limit",
    )
    parser.add_argument("--output-dir", type=Path, default=None)
    parser.add_argument(
        "--regenerate", action="store_true", help="generate the data even if it exists"
    )
    return parser


def benchmark(args: argparse.Namespace) -> dict[str, object]:
    size = args.size or 10_000_000
    if args.contacts is None:
        args.contacts = max(1, size // 100)
    label = size_label(size) if args.size or args.contacts == size // 100 else str(args.contacts)
    out = (args.output_dir or REPO_ROOT / "output" / "bench" / label).resolve()
    out.mkdir(parents=True, exist_ok=True)
    steps = set(args.steps.split(","))
    log_path = out / "benchmark.log"
    target = out / "target"
    db, base_db = out / "work.duckdb", out / "after_full.duckdb"
    env = dict(os.environ, DBT_PROFILES_DIR=str(REPO_ROOT), LEADSCORE_DUCKDB_PATH=str(db))
    env.setdefault("LEADSCORE_DUCKDB_TEMP_DIR", str(out / "duckdb_tmp"))
    os.environ.setdefault("LEADSCORE_DUCKDB_TEMP_DIR", env["LEADSCORE_DUCKDB_TEMP_DIR"])
    py = sys.executable
    scripts = REPO_ROOT / "scripts"
    runs: list[Run] = []
    data_dir = out / "data"
    t0 = args.end
    plus1, plus2 = ts(t0 + timedelta(days=1)), ts(t0 + timedelta(days=2))

    if args.regenerate or not (data_dir / ".complete").exists():
        shutil.rmtree(data_dir, ignore_errors=True)
        log(f"generating {args.contacts} contacts (activity {args.activity}) into {data_dir}")
        runs.append(
            measure(
                "generate",
                [py, str(scripts / "generate_data.py"), "--output", str(data_dir),
                 "--contacts", str(args.contacts), "--activity", str(args.activity),
                 "--seed", str(args.seed), "--end", (t0).isoformat(), "--format", "parquet"],
                log_path, env,
            )
        )  # fmt: skip
        (data_dir / ".complete").touch()
    log("splitting the events into history and today's batch")
    counts = split_events(data_dir, out / "base", out / "today", t0)
    log(", ".join(f"{k} {v:,}" for k, v in counts.items()))

    log("loading the history")
    db.unlink(missing_ok=True)
    runs.append(
        measure("load", [py, str(scripts / "load_raw.py"), "--input", str(out / "base"),
                         "--database", str(db)], log_path, env)
    )  # fmt: skip

    os.chdir(REPO_ROOT)
    grid_steps = ("history", "default", "backtest")
    nodes: list[dict[str, object]] = []
    if {"full", "unit", "daily", "forward", *grid_steps} & steps:
        for i in range(args.repeats if "full" in steps else 1):
            log(f"full build {i + 1}")
            runs.append(
                measure("full", dbt_command(target, *BUILD, "--full-refresh", "--vars",
                                            dbt_vars(ts(t0))), log_path, env)
            )  # fmt: skip
            log(f"  {runs[-1].seconds} s, {runs[-1].peak_rss_mb} MB")
        nodes = slowest_nodes(target / "run_results.json")
        shutil.copyfile(db, base_db)
    if "unit" in steps:
        for i in range(args.repeats):
            log(f"unit tests {i + 1}")
            runs.append(
                measure("unit", dbt_command(target, "test", "--select", "test_type:unit",
                                            "--vars", dbt_vars(ts(t0))), log_path, env)
            )  # fmt: skip
            log(f"  {runs[-1].seconds} s, {runs[-1].peak_rss_mb} MB")
    if "floor" in steps:
        for i in range(args.repeats):
            log(f"floor query {i + 1}")
            runs.append(
                measure("floor", [py, str(scripts / "benchmark.py"), "floor", "--database",
                                  str(db)], log_path, env)
            )  # fmt: skip
            log(f"  {runs[-1].seconds} s, {runs[-1].peak_rss_mb} MB")
    if "limit" in steps:
        for i in range(args.repeats):
            log(f"physical-limit query {i + 1}")
            runs.append(
                measure("limit", [py, str(scripts / "benchmark.py"), "limit", "--database",
                                  str(db), "--as-of", f"{t0:%Y-%m-%d %H:%M:%S}"], log_path, env)
            )  # fmt: skip
            log(f"  {runs[-1].seconds} s, {runs[-1].peak_rss_mb} MB")
    daily_nodes: list[dict[str, object]] = []
    if "daily" in steps or "forward" in steps or any(step in steps for step in grid_steps):
        for i in range(args.repeats if "daily" in steps else 1):
            shutil.copyfile(base_db, db)
            log(f"daily run {i + 1}: append today's events, then build at {plus1}")
            runs.append(
                measure("daily_load", [py, str(scripts / "load_raw.py"), "--input",
                                       str(out / "today"), "--database", str(db),
                                       "--append", "events"], log_path, env)
            )  # fmt: skip
            runs.append(
                measure("daily", dbt_command(target, *BUILD, "--vars", dbt_vars(plus1)),
                        log_path, env)
            )  # fmt: skip
            log(f"  load {runs[-2].seconds} s; build {runs[-1].seconds} s, "
                f"{runs[-1].peak_rss_mb} MB")  # fmt: skip
        daily_nodes = slowest_nodes(target / "run_results.json")
    if "forward" in steps:
        for i in range(args.repeats):
            log(f"as_of forward {i + 1}: build at {plus2}, no new events")
            runs.append(
                measure("forward", dbt_command(target, *BUILD, "--vars", dbt_vars(plus2)),
                        log_path, env)
            )  # fmt: skip
            log(f"  {runs[-1].seconds} s, {runs[-1].peak_rss_mb} MB")
    history_nodes: list[dict[str, object]] = []
    if "history" in steps:
        start = t0 + timedelta(days=2 - HISTORY_STEP_DAYS * (HISTORY_DATES - 1))
        history = dbt_vars(
            plus2, history_enabled=True, history_start=ts(start), history_end=plus2,
            history_step_days=HISTORY_STEP_DAYS,
        )  # fmt: skip
        for i in range(args.repeats):
            log(f"history {i + 1}: build at {plus2} with {HISTORY_DATES} weekly snapshots")
            runs.append(
                measure("history", dbt_command(target, *BUILD, "--vars", history), log_path, env)
            )
            log(f"  {runs[-1].seconds} s, {runs[-1].peak_rss_mb} MB")
        history_nodes = slowest_nodes(target / "run_results.json")
    grid_nodes: dict[str, list[dict[str, object]]] = {}
    grids = {
        # The project's defaults (dbt_project.yml): what a plain `dbt build` scores.
        "default": json.dumps({"as_of": plus2}),
        "backtest": json.dumps({"as_of": plus2, "history_enabled": False}),
    }
    for step, grid in grids.items():
        if step not in steps:
            continue
        for i in range(args.repeats):
            log(f"{step} {i + 1}: build at {plus2} with vars {grid}")
            runs.append(measure(step, dbt_command(target, *BUILD, "--vars", grid), log_path, env))
            log(f"  {runs[-1].seconds} s, {runs[-1].peak_rss_mb} MB")
        grid_nodes[step] = slowest_nodes(target / "run_results.json")

    medians = {step: median(runs, step) for step in dict.fromkeys(r.step for r in runs)}
    figures = {step: asdict(run) for step, run in medians.items() if run is not None}
    floor, full = medians.get("floor"), medians.get("full")
    ratios: dict[str, float] = {}
    if floor:
        for step, run in medians.items():
            if run and step not in ("generate", "load", "daily_load"):
                ratios[f"{step}/floor"] = round(run.seconds / floor.seconds, 2)
    if full:
        for step in ("daily", "forward", "history", "default", "backtest"):
            if medians.get(step):
                ratios[f"{step}/full"] = round(medians[step].seconds / full.seconds, 2)  # type: ignore[union-attr]
    if medians.get("history") and medians.get("forward"):
        ratios["history/forward"] = round(
            medians["history"].seconds / medians["forward"].seconds,  # type: ignore[union-attr]
            2,
        )
    with duckdb.connect(str(db), read_only=True) as con:
        (events,) = con.execute("select count(*) from raw.events").fetchone()
        (contacts,) = con.execute("select count(*) from raw.contacts").fetchone()
    result = {
        "contacts": contacts,
        "events": events,
        "activity": args.activity,
        "repeats": args.repeats,
        "split": counts,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "duckdb": duckdb.__version__,
            "settings": duckdb_settings(),
        },
        "medians": figures,
        "ratios": ratios,
        "runs": [asdict(r) for r in runs],
        "slowest_nodes_full": nodes,
        "slowest_nodes_daily": daily_nodes,
        "slowest_nodes_history": history_nodes,
        **{f"slowest_nodes_{step}": nodes for step, nodes in grid_nodes.items()},
    }
    (out / "benchmark.json").write_text(json.dumps(result, indent=2) + "\n")
    print_table(result, out / "benchmark.json")
    for path in (base_db,):
        path.unlink(missing_ok=True)
    return result


def print_table(result: dict[str, object], path: Path) -> None:
    medians: dict[str, dict[str, float]] = result["medians"]  # type: ignore[assignment]
    floor = medians.get("floor", {}).get("seconds")
    full = medians.get("full", {}).get("seconds")
    print()
    print(
        f"leadscore benchmark: {result['contacts']:,} contacts, {result['events']:,} events "
        f"(after today's batch), median of {result['repeats']}"
    )
    print(f"{'step':<12}{'seconds':>10}{'peak MB':>10}{'x floor':>10}{'x full':>10}")
    for step, figures in medians.items():
        seconds = figures["seconds"]
        x_floor = f"{seconds / floor:.2f}" if floor and step not in ("generate", "load") else ""
        grid_steps = ("daily", "forward", "history", "default", "backtest")
        x_full = f"{seconds / full:.2f}" if full and step in grid_steps else ""
        print(f"{step:<12}{seconds:>10.1f}{figures['peak_rss_mb']:>10.0f}{x_floor:>10}{x_full:>10}")
    print("slowest nodes of the full build:")
    for node in result["slowest_nodes_full"][:8]:  # type: ignore[index]
        print(f"  {node['seconds']:>8.1f} s  {node['node']}")
    print(f"figures: {path}")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "floor":
        contacts = floor_query(args.database, args.rules)
        print(f"floor: points for {contacts} contacts")
        return 0
    if args.command == "limit":
        contacts = limit_query(args.database, args.rules, args.as_of)
        print(f"limit: points for {contacts} contacts")
        return 0
    try:
        benchmark(args)
    except RuntimeError as error:
        print(f"benchmark: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
