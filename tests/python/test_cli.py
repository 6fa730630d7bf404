"""The leadscore command (README, "The leadscore command"): a newcomer's first run.

Runs `./leadscore` as a user would, in a subprocess: generate, load, score
(dbt build through dbtRunner, on a copy of the project), explain one lead,
and report (the dashboard); plus the help and the errors a newcomer meets.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import E2E_END, REPO
from project_copy import copy_project

CLI = [sys.executable, str(REPO / "scripts" / "leadscore.py")]


def leadscore(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DBT_", "LEADSCORE_"))
    }
    return subprocess.run(
        [*CLI, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900
    )


def test_help_lists_every_command_and_a_first_run(tmp_path: Path) -> None:
    shown = leadscore("--help", cwd=tmp_path)
    assert shown.returncode == 0
    for command in ("generate", "load", "score", "explain", "report", "backtest", "tune"):
        assert re.search(rf"^  {command} +\S", shown.stdout, re.MULTILINE), command
    assert "./leadscore explain --contact" in shown.stdout
    own = leadscore("explain", "--help", cwd=tmp_path)
    assert own.returncode == 0 and own.stdout.startswith("usage: leadscore explain")


def test_an_unknown_command_or_a_missing_database_is_a_clear_error(tmp_path: Path) -> None:
    unknown = leadscore("scroe", cwd=tmp_path)
    assert unknown.returncode == 2
    assert "unknown command 'scroe'; commands: generate, load, score" in unknown.stderr
    missing = leadscore("score", "--database", str(tmp_path / "none.duckdb"), cwd=tmp_path)
    assert missing.returncode == 2
    assert "does not exist: run `./leadscore generate` and `./leadscore load` first" in (
        missing.stderr
    )


def test_a_first_run_reaches_the_dashboard_and_an_explanation(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    database = tmp_path / "leadscore.duckdb"
    steps = [
        (
            "generate",
            "--output",
            str(tmp_path / "sample"),
            "--contacts",
            "150",
            "--seed",
            "3",
            "--end",
            E2E_END,
        ),
        ("load", "--input", str(tmp_path / "sample"), "--database", str(database)),
        (
            "score",
            "--database",
            str(database),
            "--project-dir",
            str(project),
            "--as-of",
            f"{E2E_END}T18:00:00Z",
            "--serving",
            str(tmp_path / "serving.duckdb"),
        ),
    ]
    for step in steps:
        done = leadscore(*step, cwd=tmp_path)
        assert done.returncode == 0, f"{step[0]}: {done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert "dbt build passed" in done.stdout
    # A production build: data tests, not the unit tests (make test runs those).
    assert "leadscore score: dbt build --exclude-resource-type unit_test" in done.stdout
    finished = re.search(r"Finished running .*", done.stdout)
    assert finished and "data tests" in finished[0], done.stdout[-2000:]
    assert "unit test" not in finished[0], finished[0]
    assert (tmp_path / "serving.duckdb").is_file()
    top = re.search(r"^(\w+) +(c\d{6}) ", done.stdout.split("Top 10 leads", 1)[-1], re.MULTILINE)
    assert top, f"the summary lists no top lead:\n{done.stdout[-2000:]}"
    explained = leadscore(
        "explain", "--contact", top[2], "--model", top[1], "--database", str(database), cwd=tmp_path
    )
    assert explained.returncode == 0, explained.stderr
    assert "the explanation re-adds to the score" in explained.stdout
    report = leadscore(
        "report",
        "--database",
        str(tmp_path / "serving.duckdb"),
        "--output",
        str(tmp_path / "dashboard.html"),
        cwd=tmp_path,
    )
    assert report.returncode == 0, report.stderr
    assert "<h1>Lead scores</h1>" in (tmp_path / "dashboard.html").read_text()
