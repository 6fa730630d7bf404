"""Private copies of the dbt project for tests that edit its config (seeds)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROJECT_ITEMS = [
    "dbt_project.yml",
    "profiles.yml",
    ".dbtignore",
    "models",
    "macros",
    "seeds",
    "tests/dbt",
]


def copy_project(destination: Path) -> Path:
    """Copy the dbt project (models, macros, seeds, tests, configs) into destination."""
    destination.mkdir(parents=True, exist_ok=True)
    for item in PROJECT_ITEMS:
        source = REPO / item
        target = destination / item
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination


def append_rule(project: Path, **values: str) -> None:
    """Append one row (columns by name, the rest empty) to the copy's scoring_rules.csv."""
    path = project / "seeds" / "scoring_rules.csv"
    with path.open(newline="") as handle:
        fields = next(csv.reader(handle))
    with path.open("a", newline="") as handle:
        csv.DictWriter(handle, fieldnames=fields).writerow(values)
