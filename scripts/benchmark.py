#!/usr/bin/env python3
"""Benchmark leadscore on generated data of a given size (docs/performance.md).

    python scripts/benchmark.py --size 10M [--repeats 3] [--steps full,daily,...]
        [--engine duckdb|postgres|spark] [--output-dir output/bench/<size>]
        [--end 2026-06-30] [--regenerate]

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
memory is its own: `peak MB` is the child's max RSS (ru_maxrss from wait4,
which also covers descendants the child waited for), `tree MB` the peak of
the summed RSS of the child and all its descendants, sampled every 0.5 s
from /proc. They differ on Spark, whose JVM is a child of the dbt process
that dbt never waits for (it exits when dbt closes its stdin): there only
`tree MB` includes the JVM. DuckDB settings come from the environment, as in
profiles.yml (LEADSCORE_DUCKDB_THREADS, _MEMORY_LIMIT, _TEMP_DIR,
_PRESERVE_INSERTION_ORDER); the floor query uses the same ones.

--engine postgres|spark runs the same steps on that target of profiles.yml
(README, "Other engines"; `make engines-setup` installs the adapters):
- the data is generated, split and loaded into the benchmark's DuckDB file as
  on DuckDB, then copied to the engine (`copy_raw.py --target <engine>`, the
  raw schema `raw`), timed as step copy;
- every dbt step runs with `--target <engine>`. PostgreSQL needs a running
  server and the connection variables of profiles.yml (LEADSCORE_PG_PASSWORD
  at least; `scripts/local_postgres.sh start` starts a local one); its models
  go to schema LEADSCORE_PG_SCHEMA, here `leadscore_bench` unless set, so the
  demo's `analytics` stays. Spark runs in the dbt process (session), its
  warehouse and metastore under LEADSCORE_SPARK_DIR, here
  `<output-dir>/spark` unless set;
- daily: today's batch is appended in DuckDB (daily_load) and copied again
  (daily_copy), then `dbt build` at T + 1 day. It runs once whatever
  --repeats says: restoring the state after `full` would mean restoring the
  engine's incremental tables too, not just the raw copy;
- floor and limit are DuckDB queries on the DuckDB file: skipped;
- peak memory: on Spark use `tree MB` (the JVM); on PostgreSQL both figures
  are the dbt client's alone, the server's processes are not its children.
The output directory defaults to output/bench/<size>-<engine>.

Writes `<output-dir>/benchmark.json` (the engine, every run, the medians, the
ratios, and the slowest dbt nodes of each step from target/run_results.json),
keeps each step's whole run_results.json beside it as run_results_<step>.json
(every node's time: the per-node profile) and prints a table. --keep-state
keeps the DuckDB state after `full` (after_full.duckdb), and --reuse-load
starts a later run from it instead of loading the history again.
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
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from importlib import metadata
from pathlib import Path

import duckdb
from duckdb_settings import duckdb_config
from engines import ProfileError, load_target

REPO_ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RAW_TABLES = ("contacts", "companies", "deals", "list_memberships")
LATE_SHARE_PERCENT = 1  # of the previous day's events, delivered with today's batch
HISTORY_DATES = 52
HISTORY_STEP_DAYS = 7
ENGINES = ("duckdb", "postgres", "spark")
# The schema of the models on PostgreSQL unless LEADSCORE_PG_SCHEMA is set.
POSTGRES_SCHEMA = "leadscore_bench"
SAMPLE_SECONDS = 0.5
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


@dataclass
class Run:
    step: str
    seconds: float
    peak_rss_mb: float
    # Peak of the summed RSS of the process and its descendants (sampled).
    tree_rss_mb: float = 0.0


def log(message: str) -> None:
    print(f"[benchmark {datetime.now():%H:%M:%S}] {message}", flush=True)


def duckdb_settings() -> dict[str, str]:
    """The DuckDB settings of profiles.yml, with the same environment overrides."""
    return duckdb_config()


def process_tree(root: int) -> list[int]:
    """`root` and its living descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The parent pid is the second field after the command's closing bracket.
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(stat.parent.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, ()))
    return tree


def tree_rss_kb(pids: Sequence[int]) -> int:
    """The summed resident memory of `pids` now, in kilobytes."""
    total = 0
    for pid in pids:
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_KB
        except (OSError, IndexError, ValueError):
            continue
    return total


class TreeSampler(threading.Thread):
    """Samples the summed RSS of a process tree until stopped; remembers the peak.

    A child's ru_maxrss misses descendants it does not wait for, such as the
    Spark JVM of a dbt process in session mode.
    """

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.peak_kb = 0
        self.pids: set[int] = set()
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            tree = process_tree(self.root)
            self.pids.update(tree[1:])
            self.peak_kb = max(self.peak_kb, tree_rss_kb(tree))
            self.stopped.wait(SAMPLE_SECONDS)


def wait_for_exit(pids: set[int], timeout: float = 60.0) -> None:
    """Wait until the processes `pids` are gone (a JVM left behind by its parent)."""
    deadline = time.monotonic() + timeout
    alive = sorted(pids)
    while alive:
        if time.monotonic() > deadline:
            log(f"  processes {alive} still running {timeout:.0f} s after their parent exited")
            return
        time.sleep(SAMPLE_SECONDS)
        alive = [pid for pid in alive if Path(f"/proc/{pid}").exists()]


def measure(step: str, command: Sequence[str], log_path: Path, env: dict[str, str]) -> Run:
    """Run `command`, its output to `log_path`; its wall time and peak RSS.

    Every finished run is also appended to `runs.jsonl` beside the log, so a
    long benchmark that is interrupted keeps what it measured. Descendants
    that outlive the command (Spark's JVM shutting down) are waited for, so
    the next step neither overlaps with them nor finds the metastore locked.
    """
    with log_path.open("a") as out:
        out.write(f"\n$ {' '.join(command)}\n")
        out.flush()
        began = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
        sampler = TreeSampler(process.pid)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - began
        sampler.stopped.set()
        sampler.join()
    wait_for_exit(sampler.pids)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{step} failed (exit {process.returncode}); see {log_path}")
    # ru_maxrss is in kilobytes on Linux.
    run = Run(
        step,
        round(seconds, 2),
        round(usage.ru_maxrss / 1024, 1),
        round(max(sampler.peak_kb, usage.ru_maxrss) / 1024, 1),
    )
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


def dbt_command(target_path: Path, engine: str, *args: str) -> list[str]:
    """A dbt command on the profiles.yml target named like the engine."""
    return [
        str(BIN / "dbt"), *args, "--target", engine, "--target-path", str(target_path), "--quiet",
    ]  # fmt: skip


# Every build step runs what a production run runs: `dbt build` without the
# unit tests, as dbt recommends (they test the SQL on fixed inputs, not the
# data; README "Daily runs"). The unit step times them on their own.
BUILD = ("build", "--exclude-resource-type", "unit_test")


def dbt_vars(as_of: str, **extra: object) -> str:
    values: dict[str, object] = {"as_of": as_of, "history_enabled": False}
    values["backtest_enabled"] = False
    values.update(extra)
    return json.dumps(values)


def slowest_nodes(run_results: Path, top: int = 12, step: str = "") -> list[dict[str, object]]:
    """The `top` slowest nodes of a dbt run; with `step`, the whole run_results.json is kept
    beside benchmark.json as run_results_<step>.json, for a per-node profile."""
    if step:
        shutil.copyfile(run_results, run_results.parent.parent / f"run_results_{step}.json")
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
        round(max(r.tree_rss_mb for r in chosen), 1),
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
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default="duckdb",
        help="the profiles.yml target to build on (default duckdb); floor and limit are "
        "DuckDB-only",
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=None,
        help="default output/bench/<size>, or output/bench/<size>-<engine> for postgres, spark",
    )
    parser.add_argument(
        "--regenerate", action="store_true", help="generate the data even if it exists"
    )
    parser.add_argument(
        "--reuse-load",
        action="store_true",
        help="DuckDB: start from the output dir's after_full.duckdb (kept by --keep-state) "
        "instead of loading the history again: its raw tables are the history; full rebuilds "
        "the models",
    )
    parser.add_argument(
        "--keep-state",
        action="store_true",
        help="keep after_full.duckdb (the state after the full build) to repeat steps by hand",
    )
    return parser


def benchmark(args: argparse.Namespace) -> dict[str, object]:
    size = args.size or 10_000_000
    if args.contacts is None:
        args.contacts = max(1, size // 100)
    label = size_label(size) if args.size or args.contacts == size // 100 else str(args.contacts)
    engine = args.engine
    on_duckdb = engine == "duckdb"
    if not on_duckdb:
        label = f"{label}-{engine}"
    out = (args.output_dir or REPO_ROOT / "output" / "bench" / label).resolve()
    out.mkdir(parents=True, exist_ok=True)
    steps = set(args.steps.split(","))
    if not on_duckdb and steps & {"floor", "limit"}:
        log(f"floor and limit are DuckDB queries: skipped on {engine}")
        steps -= {"floor", "limit"}
    log_path = out / "benchmark.log"
    target = out / "target"
    db, base_db = out / "work.duckdb", out / "after_full.duckdb"
    os.environ["DBT_PROFILES_DIR"] = str(REPO_ROOT)
    if engine == "postgres":
        os.environ.setdefault("LEADSCORE_PG_SCHEMA", POSTGRES_SCHEMA)
    if engine == "spark":
        os.environ.setdefault("LEADSCORE_SPARK_DIR", str(out / "spark"))
    try:
        # Fails now, not after the data is generated, when a variable is missing.
        settings = load_target(engine)
    except ProfileError as error:
        raise RuntimeError(str(error)) from error
    env = dict(os.environ, LEADSCORE_DUCKDB_PATH=str(db))
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

    if args.reuse_load and base_db.exists():
        log(f"reusing the history loaded in {base_db}")
        shutil.copyfile(base_db, db)
    else:
        log("loading the history")
        db.unlink(missing_ok=True)
        runs.append(
            measure("load", [py, str(scripts / "load_raw.py"), "--input", str(out / "base"),
                             "--database", str(db)], log_path, env)
        )  # fmt: skip
    # dbt and copy_raw.py run here: profiles.yml's relative paths are the repo's.
    os.chdir(REPO_ROOT)
    copy_raw = [py, str(scripts / "copy_raw.py"), "--target", engine, "--database", str(db)]
    if not on_duckdb:
        log(f"copying the raw tables to {engine}")
        runs.append(measure("copy", copy_raw, log_path, env))
        log(f"  {runs[-1].seconds} s, {runs[-1].tree_rss_mb} MB")

    grid_steps = ("history", "default", "backtest")
    nodes: list[dict[str, object]] = []
    if {"full", "unit", "daily", "forward", *grid_steps} & steps:
        for i in range(args.repeats if "full" in steps else 1):
            log(f"full build {i + 1}")
            runs.append(
                measure("full", dbt_command(target, engine, *BUILD, "--full-refresh", "--vars",
                                            dbt_vars(ts(t0))), log_path, env)
            )  # fmt: skip
            log(f"  {runs[-1].seconds} s, {mb(runs[-1])}")
        nodes = slowest_nodes(target / "run_results.json", step="full")
        if on_duckdb:
            shutil.copyfile(db, base_db)
    if "unit" in steps:
        for i in range(args.repeats):
            log(f"unit tests {i + 1}")
            runs.append(
                measure("unit", dbt_command(target, engine, "test", "--select",
                                            "test_type:unit", "--vars", dbt_vars(ts(t0))),
                        log_path, env)
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
    forward_nodes: list[dict[str, object]] = []
    if "daily" in steps or "forward" in steps or any(step in steps for step in grid_steps):
        daily_repeats = args.repeats if "daily" in steps else 1
        if not on_duckdb and daily_repeats > 1:
            log(f"daily runs once on {engine}: its state after full cannot be restored")
            daily_repeats = 1
        for i in range(daily_repeats):
            if on_duckdb:
                shutil.copyfile(base_db, db)
            log(f"daily run {i + 1}: append today's events, then build at {plus1}")
            runs.append(
                measure("daily_load", [py, str(scripts / "load_raw.py"), "--input",
                                       str(out / "today"), "--database", str(db),
                                       "--append", "events"], log_path, env)
            )  # fmt: skip
            loaded = f"load {runs[-1].seconds} s"
            if not on_duckdb:
                runs.append(measure("daily_copy", copy_raw, log_path, env))
                loaded += f", copy {runs[-1].seconds} s"
            runs.append(
                measure("daily", dbt_command(target, engine, *BUILD, "--vars", dbt_vars(plus1)),
                        log_path, env)
            )  # fmt: skip
            log(f"  {loaded}; build {runs[-1].seconds} s, {mb(runs[-1])}")
        daily_nodes = slowest_nodes(target / "run_results.json", step="daily")
    if "forward" in steps:
        for i in range(args.repeats):
            log(f"as_of forward {i + 1}: build at {plus2}, no new events")
            runs.append(
                measure("forward", dbt_command(target, engine, *BUILD, "--vars",
                                               dbt_vars(plus2)), log_path, env)
            )  # fmt: skip
            log(f"  {runs[-1].seconds} s, {mb(runs[-1])}")
        forward_nodes = slowest_nodes(target / "run_results.json", step="forward")
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
                measure("history", dbt_command(target, engine, *BUILD, "--vars", history),
                        log_path, env)
            )  # fmt: skip
            log(f"  {runs[-1].seconds} s, {mb(runs[-1])}")
        history_nodes = slowest_nodes(target / "run_results.json", step="history")
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
            runs.append(
                measure(step, dbt_command(target, engine, *BUILD, "--vars", grid), log_path, env)
            )
            log(f"  {runs[-1].seconds} s, {mb(runs[-1])}")
        grid_nodes[step] = slowest_nodes(target / "run_results.json", step=step)

    medians = {step: median(runs, step) for step in dict.fromkeys(r.step for r in runs)}
    figures = {step: asdict(run) for step, run in medians.items() if run is not None}
    floor, full = medians.get("floor"), medians.get("full")
    ratios: dict[str, float] = {}
    if floor:
        for step, run in medians.items():
            if run and step not in ("generate", "load", "daily_load", "copy", "daily_copy"):
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
        "engine": engine,
        "target": {
            key: value for key, value in settings.items() if key not in ("password", "pass")
        },
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
            "adapter": adapter_version(engine),
        },
        "medians": figures,
        "ratios": ratios,
        "runs": [asdict(r) for r in runs],
        "slowest_nodes_full": nodes,
        "slowest_nodes_daily": daily_nodes,
        "slowest_nodes_forward": forward_nodes,
        "slowest_nodes_history": history_nodes,
        **{f"slowest_nodes_{step}": nodes for step, nodes in grid_nodes.items()},
    }
    (out / "benchmark.json").write_text(json.dumps(result, indent=2) + "\n")
    print_table(result, out / "benchmark.json")
    if not args.keep_state:
        base_db.unlink(missing_ok=True)
    return result


def mb(run: Run) -> str:
    """The peak memory of a run for the log: its own, and its process tree's if larger."""
    if run.tree_rss_mb > run.peak_rss_mb:
        return f"{run.peak_rss_mb} MB (with its children {run.tree_rss_mb} MB)"
    return f"{run.peak_rss_mb} MB"


def adapter_version(engine: str) -> str:
    try:
        return metadata.version(f"dbt-{engine}")
    except metadata.PackageNotFoundError:
        return "not installed"


def print_table(result: dict[str, object], path: Path) -> None:
    medians: dict[str, dict[str, float]] = result["medians"]  # type: ignore[assignment]
    floor = medians.get("floor", {}).get("seconds")
    full = medians.get("full", {}).get("seconds")
    print()
    print(
        f"leadscore benchmark on {result['engine']}: {result['contacts']:,} contacts, "
        f"{result['events']:,} events (after today's batch), median of {result['repeats']}"
    )
    print(f"{'step':<12}{'seconds':>10}{'peak MB':>10}{'tree MB':>10}{'x floor':>10}{'x full':>10}")
    for step, figures in medians.items():
        seconds = figures["seconds"]
        x_floor = f"{seconds / floor:.2f}" if floor and step not in ("generate", "load") else ""
        grid_steps = ("daily", "forward", "history", "default", "backtest")
        x_full = f"{seconds / full:.2f}" if full and step in grid_steps else ""
        print(
            f"{step:<12}{seconds:>10.1f}{figures['peak_rss_mb']:>10.0f}"
            f"{figures['tree_rss_mb']:>10.0f}{x_floor:>10}{x_full:>10}"
        )
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
