"""DuckDB settings shared by the scripts and profiles.yml (docs/performance.md).

Each setting has the same environment override and default as the duckdb
target of profiles.yml, so a script and `dbt build` run DuckDB alike.
"""

from __future__ import annotations

import os

# setting -> (environment variable, default); keep in step with profiles.yml.
SETTINGS = {
    "threads": ("LEADSCORE_DUCKDB_THREADS", "4"),
    "memory_limit": ("LEADSCORE_DUCKDB_MEMORY_LIMIT", "10GB"),
    "temp_directory": ("LEADSCORE_DUCKDB_TEMP_DIR", "output/duckdb_tmp"),
    "preserve_insertion_order": ("LEADSCORE_DUCKDB_PRESERVE_INSERTION_ORDER", "false"),
    "disabled_optimizers": ("LEADSCORE_DUCKDB_DISABLED_OPTIMIZERS", "build_side_probe_side"),
}


def duckdb_config(**overrides: str) -> dict[str, str]:
    """The settings for `duckdb.connect(config=...)`, from the environment."""
    config = {name: os.environ.get(var, default) for name, (var, default) in SETTINGS.items()}
    config.update(overrides)
    return config
