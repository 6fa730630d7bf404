"""leadscore: one command for the whole workflow (README, "The leadscore command").

    ./leadscore <command> [options]        (or: .venv/bin/python scripts/leadscore.py ...)

Each command is one of the project's scripts; `./leadscore <command> --help`
shows that command's own options. `score` runs `dbt build` in-process
(dbtRunner) on this project, then prints the summary and, on DuckDB, writes
the serving copy BI tools open.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATABASE = Path("output/leadscore.duckdb")
SERVING_DATABASE = Path("output/serving/leadscore.duckdb")


@dataclass(frozen=True)
class Command:
    name: str
    summary: str
    run: Callable[[list[str]], int]


def delegate(module: str) -> Callable[[list[str]], int]:
    """The main(argv) of scripts/<module>.py, imported only when the command runs."""

    def run(argv: list[str]) -> int:
        loaded = __import__(module)
        return int(loaded.main(argv) or 0)

    return run


def score_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="leadscore score",
        description="Build and test every model (dbt build) on the loaded raw data, publish the "
        "marts when everything passed, print the summary and write the serving copy.",
    )
    parser.add_argument(
        "--database",
        type=Path,
        default=DEFAULT_DATABASE,
        help=f"the DuckDB file holding raw data and scores ({DEFAULT_DATABASE})",
    )
    parser.add_argument("--as-of", help="score time T, ISO-8601 UTC (default: now)")
    parser.add_argument(
        "--target",
        default="duckdb",
        help="profiles.yml target: duckdb (default), postgres or spark",
    )
    parser.add_argument(
        "--vars", default="{}", help="more dbt vars as YAML/JSON, e.g. '{personal_data: hash}'"
    )
    parser.add_argument("--select", nargs="+", help="build only these nodes (does not publish)")
    parser.add_argument(
        "--serving",
        type=Path,
        default=SERVING_DATABASE,
        help=f"serving copy written after a DuckDB build ({SERVING_DATABASE})",
    )
    parser.add_argument("--no-serving", action="store_true", help="do not write the serving copy")
    parser.add_argument(
        "--project-dir", type=Path, default=REPO, help="the dbt project (default: this repository)"
    )
    return parser


def dbt_vars(as_of: str | None, extra: str) -> str:
    import yaml

    try:
        values = yaml.safe_load(extra) or {}
    except yaml.YAMLError as error:
        raise SystemExit(f"leadscore score: --vars is not YAML: {error}") from None
    if not isinstance(values, dict):
        raise SystemExit(
            "leadscore score: --vars must be a mapping, e.g. '{history_enabled: false}'"
        )
    if as_of:
        values["as_of"] = as_of
    return json.dumps(values)


def score(argv: list[str]) -> int:
    args = score_parser().parse_args(argv)
    database = args.database.resolve()
    if args.target == "duckdb" and not database.exists():
        print(
            f"leadscore score: {database} does not exist: run `./leadscore generate` and "
            "`./leadscore load` first (or `make demo`)",
            file=sys.stderr,
        )
        return 2
    os.environ["LEADSCORE_DUCKDB_PATH"] = str(database)
    project = args.project_dir.resolve()
    os.environ.setdefault("DBT_PROFILES_DIR", str(project))
    from dbt.cli.main import dbtRunner

    # A production run: the unit tests check the SQL, not the data (make test runs them).
    shown = ["build", "--exclude-resource-type", "unit_test", "--target", args.target]
    shown += ["--vars", dbt_vars(args.as_of, args.vars)]
    if args.select:
        shown += ["--select", *args.select]
    command = [*shown, "--project-dir", str(project)]
    print(f"leadscore score: dbt {' '.join(shown)}", flush=True)
    began = time.perf_counter()
    previous = Path.cwd()
    os.chdir(project)  # profiles.yml's relative paths (temp directory) are the project's
    try:
        result = dbtRunner().invoke(command)
    finally:
        os.chdir(previous)
    seconds = time.perf_counter() - began
    if not result.success:
        print(
            f"leadscore score: dbt build failed after {seconds:.0f} s; the published marts "
            "are unchanged (see the errors above)",
            file=sys.stderr,
        )
        return 1
    print(f"leadscore score: dbt build passed in {seconds:.0f} s", flush=True)
    if args.target == "duckdb":
        release_duckdb()
    status = run_script("summary", "--database", str(database), "--target", args.target)
    if status == 0 and args.target == "duckdb" and not args.no_serving and not args.select:
        status = run_script(
            "export_marts", "--database", str(database), "--output", str(args.serving)
        )
    return status


def release_duckdb() -> None:
    """Close the DuckDB file dbt-duckdb keeps open after a build (its keep_open default),
    so the summary and the export can open it read-only."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with contextlib.suppress(Exception):  # no environment: nothing is open
        DuckDBConnectionManager.env().close()
    DuckDBConnectionManager.close_all_connections()


def run_script(module: str, *argv: str) -> int:
    """scripts/<module>.py with argv in a child process of this Python; its exit status."""
    return subprocess.run(
        [sys.executable, str(REPO / "scripts" / f"{module}.py"), *argv]
    ).returncode


COMMANDS = (
    Command(
        "generate",
        "make a synthetic CRM export (contacts, companies, events, deals, lists)",
        delegate("generate_data"),
    ),
    Command(
        "load",
        "validate raw CSV/Parquet exports into DuckDB; bad rows go to load_rejects",
        delegate("load_raw"),
    ),
    Command("score", "dbt build: score, test and publish every mart, then summarise", score),
    Command(
        "explain",
        "why a lead or account has its score, rule by rule, with the decay math",
        delegate("explain"),
    ),
    Command(
        "report",
        "write the dashboard: one self-contained HTML page from the marts",
        delegate("dashboard"),
    ),
    Command(
        "backtest", "backtest rule sets against won deals; writes report.html", delegate("backtest")
    ),
    Command(
        "tune",
        "learn better rule weights from outcomes; writes a proposed scoring_rules.csv",
        delegate("tune_weights"),
    ),
    Command(
        "summary",
        "print tiers, top leads and raw data issues of a built warehouse",
        delegate("summary"),
    ),
    Command(
        "export",
        "copy the published marts to a read-only serving copy (DuckDB or Parquet)",
        delegate("export_marts"),
    ),
)

EPILOG = """\
A first run, from a fresh clone (after `make setup`):
  ./leadscore generate --output output/sample --contacts 500
  ./leadscore load --input output/sample --database output/leadscore.duckdb
  ./leadscore score
  ./leadscore explain --contact <a contact_id of the top leads> --model platform
  ./leadscore report                 # then open output/dashboard.html
Your own data: export the CRM tables as CSV (README, "Point it at your own data") and
start at `load`. `./leadscore <command> --help` explains each command's options."""


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    commands = {command.name: command for command in COMMANDS}
    width = max(len(name) for name in commands)
    listing = "\n".join(f"  {c.name.ljust(width)}  {c.summary}" for c in COMMANDS)
    parser = argparse.ArgumentParser(
        prog="leadscore",
        description="Transparent, backtestable lead scoring in your own warehouse.\n\n"
        f"commands:\n{listing}",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        usage="leadscore <command> [options]",
    )
    parser.add_argument("command", nargs="?", help=argparse.SUPPRESS)
    if not argv or argv[0] in ("-h", "--help"):
        parser.print_help()
        return 0
    name, rest = argv[0], argv[1:]
    if name not in commands:
        parser.print_usage(sys.stderr)
        print(
            f"leadscore: unknown command {name!r}; commands: {', '.join(commands)}", file=sys.stderr
        )
        return 2
    sys.path.insert(0, str(REPO / "scripts"))
    sys.argv = [f"leadscore {name}", *rest]  # the command's --help and errors name it so
    return commands[name].run(rest)


if __name__ == "__main__":
    sys.exit(main())
