"""BI readers and builds at the same time (README, "Serving BI").

DuckDB lets one process write a database file, and not while another process
has it open: a reader holding the build database makes `dbt build` fail at
once with a lock error, touching nothing, and a reader cannot open it while
dbt writes. The serving copy written by scripts/export_marts.py is swapped in
atomically, so its readers keep reading the previous copy while the next
build runs and publishes.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import export_marts
import pytest
from conftest import dbt_command, dbt_cwd, dbt_env, quick_build, quick_build_args
from test_reliability_publication import published, reweight_pricing_visits

READER = """
import json, sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
for command in sys.stdin:
    if command.strip() == "read":
        rows = con.execute(
            "select model_id, contact_id, score from lead_scores order by all"
        ).fetchall()
        print(json.dumps([list(map(str, row)) for row in rows]), flush=True)
    else:
        break
"""


class Reader:
    """A BI client in its own process, holding one read-only connection open."""

    def __init__(self, database: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", READER, str(database)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def read(self) -> list[list[str]]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write("read\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line, f"the reader died: {self.process.stderr.read() if self.process.stderr else ''}"
        return json.loads(line)

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("quit\n")
        self.process.stdin.close()
        self.process.wait(timeout=30)


@contextmanager
def reader(database: Path) -> Iterator[Reader]:
    client = Reader(database)
    try:
        yield client
    finally:
        client.close()


def scores(database: Path) -> list[list[str]]:
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute(
            "select model_id, contact_id, score from lead_scores order by all"
        ).fetchall()
    return [list(map(str, row)) for row in rows]


@pytest.mark.slow
def test_a_reader_of_the_build_database_fails_the_build_cleanly(workspace) -> None:
    project, database = workspace
    before = published(database)
    reweight_pricing_visits(project)
    with reader(database) as client:
        seen = client.read()
        run = quick_build(project, database)
        assert not run.success
        assert "Could not set lock on file" in run.text()
        assert client.read() == seen  # the reader is not disturbed
    assert published(database) == before  # nothing was touched
    run = quick_build(project, database)  # and once the reader has gone, the build works
    assert run.success, run.text()
    assert published(database) != before


@pytest.mark.slow
def test_a_reader_cannot_open_the_build_database_while_dbt_writes(workspace) -> None:
    project, database = workspace
    process = subprocess.Popen(
        dbt_command(project, database, quick_build_args()),
        cwd=dbt_cwd(database),
        env={**dbt_env(database), "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if "START sql table model main_build.lead_scores" in line:
            break
    with pytest.raises(duckdb.IOException, match="Could not set lock on file"):
        duckdb.connect(str(database), read_only=True)
    output = process.stdout.read()
    assert process.wait() == 0, output
    assert "Completed successfully" in output


def test_serving_copy_readers_keep_their_data_while_the_next_build_publishes(
    workspace, tmp_path: Path
) -> None:
    project, database = workspace
    serving = tmp_path / "serving" / "leadscore.duckdb"
    export_marts.export(database, serving, "duckdb")
    first = scores(serving)
    assert first == scores(database)

    reweight_pricing_visits(project)
    with reader(serving) as client:
        assert client.read() == first
        run = quick_build(project, database)  # the build does not wait for the reader
        assert run.success, run.text()
        export_marts.export(database, serving, "duckdb")  # nor does the export
        assert client.read() == first  # its open copy is the previous one, whole
        second = scores(serving)  # a new connection reads the new copy
    assert second == scores(database) != first
    assert not list(serving.parent.glob(".*tmp*")), "the export left temporary files"


@pytest.mark.slow
def test_parquet_serving_switches_versions_atomically(workspace, tmp_path: Path) -> None:
    project, database = workspace
    output = tmp_path / "parquet"
    stamps = []
    reweight_pricing_visits(project)
    for round_number in range(3):
        if round_number:
            time.sleep(0.01)
            assert quick_build(project, database).success
        stamp, marts = export_marts.export(database, output, "parquet")
        stamps.append(stamp)
        current = (output / "current").resolve()
        assert current.name == f"v{stamp}"
        assert {path.stem for path in current.glob("*.parquet")} == {
            *marts,
            "leadscore_publications",
        }
        with duckdb.connect() as con:
            rows = con.execute(
                f"select model_id, contact_id, score from '{current}/lead_scores.parquet' "
                "order by all"
            ).fetchall()
        assert [list(map(str, row)) for row in rows] == scores(database)
    assert len(set(stamps)) == 3, "each build's publication is a new version"
    assert sorted(path.name for path in output.glob("v*")) == [f"v{s}" for s in stamps[-2:]]


WRITER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
"""


def test_export_refuses_while_the_build_database_is_being_written(workspace, tmp_path) -> None:
    _, database = workspace
    serving = tmp_path / "serving.duckdb"
    export_marts.export(database, serving, "duckdb")
    before = scores(serving)
    # Another process holds the build database for writing, as a running dbt build does.
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(database)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
        with pytest.raises(export_marts.ExportError, match="still writing it"):
            export_marts.export(database, serving, "duckdb")
        assert export_marts.main(["--database", str(database), "--output", str(serving)]) == 1
    finally:
        writer.communicate("done\n", timeout=30)
    assert scores(serving) == before
    assert not list(serving.parent.glob(".*tmp*")), "the failed export left temporary files"
