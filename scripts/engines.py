"""The engines of profiles.yml: rendered targets, connections, table reads.

Scripts that talk to an engine themselves (copying the raw tables into
PostgreSQL or Spark, comparing the marts across engines) read their
connection settings from the same target as `dbt build`, so there is one
place to configure an engine: profiles.yml and the environment variables it
names.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import duckdb
import jinja2
import yaml

PROFILE_NAME = "leadscore"
TARGET_ENV_VAR = "LEADSCORE_TARGET"
REPO = Path(__file__).resolve().parent.parent


class ProfileError(Exception):
    """A target is missing, a variable it needs is not set, or its adapter is not installed."""


def _env_var(name: str, default: str | None = None) -> str:
    if name in os.environ:
        return os.environ[name]
    if default is not None:
        return default
    raise ProfileError(f"profiles.yml needs the environment variable {name}, which is not set")


def _render(value: Any, env: jinja2.Environment) -> Any:
    if isinstance(value, dict):
        return {key: _render(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [_render(item, env) for item in value]
    if isinstance(value, str) and "{{" in value:
        return env.from_string(value).render()
    return value


def profiles_path() -> Path:
    """profiles.yml in $DBT_PROFILES_DIR, else the repo's."""
    directory = os.environ.get("DBT_PROFILES_DIR")
    return Path(directory) / "profiles.yml" if directory else REPO / "profiles.yml"


def target_name(name: str | None = None) -> str:
    """The target to use: `name`, else $LEADSCORE_TARGET, else the profile's default."""
    if name:
        return name
    profile = yaml.safe_load(profiles_path().read_text(encoding="utf-8"))[PROFILE_NAME]
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    env.globals["env_var"] = _env_var
    return str(_render(profile["target"], env))


def load_target(name: str) -> dict[str, Any]:
    """The rendered settings of target `name` of the leadscore profile."""
    path = profiles_path()
    profile = yaml.safe_load(path.read_text(encoding="utf-8"))[PROFILE_NAME]
    outputs = profile.get("outputs", {})
    if name not in outputs:
        raise ProfileError(f"{path} has no target {name!r} (targets: {', '.join(sorted(outputs))})")
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    env.globals["env_var"] = _env_var
    return _render(outputs[name], env)


def postgres_connection(settings: dict[str, Any]) -> Any:
    """A psycopg2 connection for a rendered postgres target."""
    try:
        import psycopg2
    except ImportError as exc:
        raise ProfileError("psycopg2 is missing: pip install '.[postgres]'") from exc
    return psycopg2.connect(
        host=settings["host"],
        port=int(settings.get("port", 5432)),
        user=settings["user"],
        password=settings.get("password") or settings.get("pass"),
        dbname=settings.get("dbname") or settings.get("database"),
        sslmode=settings.get("sslmode", "prefer"),
    )


def spark_session(settings: dict[str, Any]) -> Any:
    """The local SparkSession of a rendered spark target (`method: session`)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise ProfileError("pyspark is missing: pip install '.[spark]'") from exc
    if settings.get("method") != "session":
        raise ProfileError(
            "only a local Spark session (method: session) can be opened from a script; "
            "on a cluster, use its own tools"
        )
    # pyspark hands timestamps to Python in the process's time zone: make it UTC
    # like the session's, so a TIMESTAMP reads back as the naive UTC value.
    os.environ["TZ"] = "UTC"
    time.tzset()
    builder = SparkSession.builder.enableHiveSupport()
    for key, value in (settings.get("server_side_parameters") or {}).items():
        builder = builder.config(str(key), str(value))
    # As dbt-spark's session connection does.
    builder = builder.config("spark.sql.ansi.enabled", "false")
    return builder.getOrCreate()


def target_schema(settings: dict[str, Any]) -> str:
    """The schema dbt builds the models in for a rendered target."""
    return str(settings.get("schema", "main"))


def fetch_table(
    name: str, settings: dict[str, Any], table: str, schema: str | None = None
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """(column names, rows) of `schema.table` (default: the target's schema) on target `name`.

    A duckdb target is opened read-only at its path. Column names are lower case.
    """
    schema = schema or target_schema(settings)
    engine = settings.get("type")
    if engine == "duckdb":
        with duckdb.connect(str(settings["path"]), read_only=True) as con:
            cursor = con.execute(f'select * from "{schema}"."{table}"')
            columns = [column[0].lower() for column in cursor.description]
            return columns, cursor.fetchall()
    if engine == "postgres":
        connection = postgres_connection(settings)
        try:
            with connection.cursor() as cursor:
                cursor.execute(f'select * from "{schema}"."{table}"')
                columns = [column[0].lower() for column in cursor.description]
                return columns, cursor.fetchall()
        finally:
            connection.close()
    if engine == "spark":
        frame = spark_session(settings).table(f"`{schema}`.`{table}`")
        columns = [column.lower() for column in frame.columns]
        return columns, [tuple(row) for row in frame.collect()]
    raise ProfileError(f"target {name!r} has type {engine!r}; expected duckdb, postgres or spark")
