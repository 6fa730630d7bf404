"""Privacy and secrets (README, "Privacy and access").

- No credentials are committed: every password or token in profiles.yml comes
  from the environment without a default, and no tracked file holds a key.
- `--vars '{personal_data: exclude}'` keeps every contact's email, names and
  phone out of every published mart; `hash` replaces them with md5 hashes.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
from pathlib import Path

import duckdb
import pytest
import yaml
from conftest import REPO, quick_build, run_dbt
from test_reliability_publication import MARTS

SECRET_PATTERNS = {
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "AWS access key": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}\b"),
    "Databricks token": re.compile(r"\bdapi[0-9a-f]{32}\b"),
    "password in a URL": re.compile(r"://[^/\s:@]+:[^/\s@]{3,}@"),
}
SECRET_KEYS = ("password", "pass", "token", "secret", "private_key", "keyfile_json")
INVALID_EMAIL = "jane.doe.at.example.com"


def tracked_files() -> list[Path]:
    names = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    return [REPO / name for name in names]


def test_no_secrets_in_tracked_files() -> None:
    found = []
    for path in tracked_files():
        if path.suffix in (".png", ".parquet", ".duckdb") or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        found += [f"{path.name}: {kind}" for kind, pattern in SECRET_PATTERNS.items()
                  if pattern.search(text)]  # fmt: skip
    assert not found, found


def secret_settings(node: object, path: str = "") -> list[tuple[str, str]]:
    """(path, value) of every credential-like setting in a parsed profiles.yml."""
    found: list[tuple[str, str]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if str(key).lower() in SECRET_KEYS:
                found.append((f"{path}.{key}", str(value)))
            found += secret_settings(value, f"{path}.{key}")
    return found


def test_profile_credentials_come_from_the_environment_without_defaults() -> None:
    profiles = yaml.safe_load((REPO / "profiles.yml").read_text())
    settings = secret_settings(profiles)
    assert settings, "no credential settings found: the check would be vacuous"
    env_only = re.compile(r"^\{\{\s*env_var\('[A-Z0-9_]+'\)\s*\}\}$")
    literal = [f"{where} = {value!r}" for where, value in settings if not env_only.match(value)]
    assert not literal, f"credentials must be env_var('NAME') without a default: {literal}"
    # The commented targets (thrift, Databricks) too.
    commented = [
        line.strip()
        for line in (REPO / "profiles.yml").read_text().splitlines()
        if re.match(r"\s*#\s*(token|password):", line)
    ]
    assert all("env_var(" in line for line in commented), commented


@pytest.fixture
def workspace_with_invalid_email(workspace: tuple[Path, Path]) -> tuple[Path, Path]:
    """The built default project with one contact's email made invalid (a reported value)."""
    project, database = workspace
    with duckdb.connect(str(database)) as con:
        con.execute(
            "update raw.contacts set email = ? where contact_id = "
            "(select min(contact_id) from raw.contacts)",
            [INVALID_EMAIL],
        )
    return project, database


def personal_values(database: Path) -> set[str]:
    """Every email, first and last name and phone of raw.contacts (4+ characters)."""
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute(
            "select email, first_name, last_name, phone from raw.contacts"
        ).fetchall()
    values = {str(value).strip() for row in rows for value in row if value is not None}
    return {value for value in values if len(value) >= 4}


def text_values(database: Path, schema: str) -> dict[str, set[str]]:
    """table -> every text value of its text columns, for the tables of `schema`."""
    values: dict[str, set[str]] = {}
    with duckdb.connect(str(database), read_only=True) as con:
        columns = con.execute(
            "select table_name, column_name from information_schema.columns "
            "where table_schema = ? and data_type = 'VARCHAR'",
            [schema],
        ).fetchall()
        for table, column in columns:
            found = con.execute(
                f'select distinct "{column}" from "{schema}"."{table}" where "{column}" is not null'
            ).fetchall()
            values.setdefault(table, set()).update(str(row[0]) for row in found)
    return values


PUBLISHED_MARTS = (*MARTS, "leadscore_publications")


@pytest.mark.slow
def test_personal_data_is_shown_by_default_hashed_or_excluded(
    workspace_with_invalid_email,
) -> None:
    project, database = workspace_with_invalid_email
    personal = personal_values(database)
    assert INVALID_EMAIL in personal

    run = quick_build(project, database)  # the default: include
    assert run.success, run.text()
    shown = text_values(database, "main")
    assert INVALID_EMAIL in shown["data_quality_issues"], "the check could not see the value"
    assert shown["qualified_leads_by_owner"] & personal, "the sales lists show no names"

    run = run_dbt(
        project,
        database,
        ["build", "--select", "data_quality_issues", "--vars", "{personal_data: hash}"],
    )
    assert run.success, run.text()
    hashed = text_values(database, "main_build")["data_quality_issues"]
    assert hashlib.md5(INVALID_EMAIL.encode()).hexdigest() in hashed
    assert INVALID_EMAIL not in hashed

    run = quick_build(project, database, variables={"personal_data": "exclude"})
    assert run.success, run.text()
    published = text_values(database, "main")
    assert set(PUBLISHED_MARTS) <= set(published)
    leaks = {
        table: sorted(values & personal)[:5]
        for table, values in published.items()
        if table in PUBLISHED_MARTS and values & personal
    }
    assert not leaks, f"personal data in published marts: {leaks}"


def test_an_unknown_personal_data_mode_is_a_clear_error(workspace) -> None:
    project, database = workspace
    run = run_dbt(
        project, database, ["compile", "--select", "data_quality_issues", "--vars",
                            "{personal_data: redact}"]
    )  # fmt: skip
    assert not run.success
    assert "var 'personal_data' = 'redact' is unknown; use include, hash or exclude" in run.text()
