"""Quality gates for the dbt project itself (README, "Project checks").

Reads dbt's `manifest.json` and `catalog.json` (written by `dbt docs
generate` after a build) and fails, listing every finding, unless:

- every model, seed and source table has a description, and every column the
  warehouse actually holds is documented (and every documented column exists);
- every model has a primary-key test: `unique` on a column or
  `unique_combination_of_columns`;
- names follow the house layers: `models/staging/<source>/stg_<source>__*`
  (views, or incremental where volume demands; the only models that read a
  `source()`), `models/intermediate/int_*`
  (never reading a mart), `models/marts/*` (tables or incremental, no `stg_`
  or `int_` prefix), each folder's models described in its
  `_<folder>__models.yml`; boolean columns start with `is_` or `has_` and
  timestamp columns end in `_at`, unless the column's yml declares
  `config: {meta: {naming_exception: <why>}}` (printed with the result); a
  staging model may be a table when its yml declares
  `config: {meta: {materialization_exception: <why>}}` (printed too).

Hub packages (dbt-project-evaluator) are unreachable, hence this script.
Usage: `python scripts/check_project.py [--target-dir target]`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

PRIMARY_KEY_TESTS = ("unique", "unique_combination_of_columns")
LAYERS = ("staging", "intermediate", "marts")
BOOLEAN_PREFIXES = ("is_", "has_")
TIMESTAMP_TYPES = ("timestamp", "timestamp with time zone", "timestamptz", "timestamp_ntz")


@dataclass(frozen=True)
class Finding:
    node: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.node}: [{self.rule}] {self.message}"


def load(target_dir: Path) -> tuple[dict, dict]:
    """The manifest and catalog of `target_dir`, or a SystemExit saying what is missing."""
    documents = []
    for name, command in (("manifest.json", "dbt parse"), ("catalog.json", "dbt docs generate")):
        path = target_dir / name
        if not path.is_file():
            raise SystemExit(f"{path} not found: run `{command}` first")
        documents.append(json.loads(path.read_text()))
    return documents[0], documents[1]


def own_nodes(manifest: dict, resource_type: str) -> dict[str, dict]:
    project = manifest["metadata"].get("project_name")
    return {
        unique_id: node
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] == resource_type and node.get("package_name", project) == project
    }


def described(text: str | None) -> bool:
    return bool(text and text.strip())


def check_documentation(label: str, node: dict, catalog_entry: dict | None) -> Iterable[Finding]:
    if not described(node.get("description")):
        yield Finding(label, "documented", "has no description")
    declared = {name.lower(): column for name, column in node.get("columns", {}).items()}
    for name, column in declared.items():
        if not described(column.get("description")):
            yield Finding(label, "documented", f"column {name} has no description")
    if catalog_entry is None:
        yield Finding(
            label, "documented", "is not in the catalog: build it, then dbt docs generate"
        )
        return
    actual = {name.lower() for name in catalog_entry["columns"]}
    for name in sorted(actual - declared.keys()):
        yield Finding(label, "documented", f"column {name} is in the warehouse but not documented")
    for name in sorted(declared.keys() - actual):
        yield Finding(label, "documented", f"documented column {name} does not exist")


def primary_key_tests(manifest: dict) -> dict[str, list[str]]:
    """Model unique_id -> the names of its primary-key tests."""
    found: dict[str, list[str]] = {}
    for node in own_nodes(manifest, "test").values():
        test_name = (node.get("test_metadata") or {}).get("name")
        attached = node.get("attached_node")
        if test_name in PRIMARY_KEY_TESTS and attached:
            found.setdefault(attached, []).append(node["name"])
    return found


def layer_of(node: dict) -> tuple[str | None, list[str]]:
    """The model's layer (first folder under models/) and the folders below it."""
    parts = Path(node["original_file_path"]).parts
    folders = list(parts[1:-1]) if parts and parts[0] == "models" else list(parts[:-1])
    if not folders or folders[0] not in LAYERS:
        return None, folders
    return folders[0], folders[1:]


def check_layer(
    unique_id: str, node: dict, models: dict[str, dict], sources: dict[str, dict]
) -> Iterable[Finding]:
    name, label = node["name"], node["name"]
    layer, subfolders = layer_of(node)
    materialized = node["config"].get("materialized")
    upstream = node["depends_on"]["nodes"]
    if layer is None:
        yield Finding(label, "layers", f"{node['original_file_path']} is not under {LAYERS}")
        return
    if layer == "staging":
        if len(subfolders) != 1:
            yield Finding(label, "layers", "staging models live in models/staging/<source>/")
            return
        source = subfolders[0]
        if not name.startswith(f"stg_{source}__"):
            yield Finding(label, "layers", f"staging model names start with stg_{source}__")
        if materialized not in ("view", "incremental") and not materialization_exception(node):
            yield Finding(
                label, "layers", f"staging models are views (or incremental), not {materialized}"
            )
        for parent in upstream:
            if parent in models and layer_of(models[parent])[0] != "staging":
                yield Finding(label, "layers", f"a staging model reads {models[parent]['name']}")
    else:
        for parent in upstream:
            if parent in sources:
                yield Finding(label, "layers", "only staging models read a source()")
    if layer == "intermediate":
        if not name.startswith("int_"):
            yield Finding(label, "layers", "intermediate model names start with int_")
        for parent in upstream:
            if parent in models and layer_of(models[parent])[0] == "marts":
                yield Finding(label, "layers", f"an intermediate model reads the mart {parent}")
    if layer == "marts":
        if name.startswith(("stg_", "int_")):
            yield Finding(label, "layers", "mart names carry no stg_ or int_ prefix")
        if materialized not in ("table", "incremental"):
            yield Finding(label, "layers", f"marts are tables or incremental, not {materialized}")
    # One yml per folder, named for it: models/staging/crm/_crm__models.yml,
    # models/marts/_marts__models.yml, models/marts/reports/_reports__models.yml.
    folder = subfolders[-1] if subfolders else layer
    expected_yml = f"_{folder}__models.yml"
    patch = node.get("patch_path") or ""
    patch_file = Path(patch.split("://", 1)[-1])
    model_folder = Path(node["original_file_path"]).parent
    if patch_file.name != expected_yml or patch_file.parent != model_folder:
        yield Finding(
            label, "layers", f"described in {patch or 'no yml'}, not {model_folder / expected_yml}"
        )


def materialization_exception(node: dict) -> str | None:
    """The reason a model's yml gives for a materialization its layer does not use."""
    meta = {**node.get("meta", {}), **node["config"].get("meta", {})}
    reason = meta.get("materialization_exception")
    return reason if described(reason) else None


def naming_exceptions(node: dict) -> dict[str, str]:
    """Column name -> the reason its yml gives for breaking the naming rules."""
    found = {}
    for name, column in node.get("columns", {}).items():
        meta = {**column.get("meta", {}), **(column.get("config") or {}).get("meta", {})}
        if described(meta.get("naming_exception")):
            found[name.lower()] = meta["naming_exception"]
    return found


def check_column_names(node: dict, catalog_entry: dict | None) -> Iterable[Finding]:
    if catalog_entry is None:
        return
    label, exceptions = node["name"], naming_exceptions(node)
    for column in catalog_entry["columns"].values():
        name, data_type = column["name"].lower(), column["type"].lower()
        if name in exceptions:
            continue
        if data_type == "boolean" and not name.startswith(BOOLEAN_PREFIXES):
            yield Finding(label, "naming", f"boolean column {name} should start with is_ or has_")
        if data_type in TIMESTAMP_TYPES and not name.endswith("_at"):
            yield Finding(label, "naming", f"timestamp column {name} should end in _at")
        if name.endswith("_at") and data_type not in TIMESTAMP_TYPES:
            yield Finding(
                label, "naming", f"{name} ends in _at but is {data_type}, not a timestamp"
            )


def check(manifest: dict, catalog: dict) -> list[Finding]:
    models = own_nodes(manifest, "model")
    seeds = own_nodes(manifest, "seed")
    project = manifest["metadata"].get("project_name")
    sources = {
        unique_id: source
        for unique_id, source in manifest["sources"].items()
        if source.get("package_name", project) == project
    }
    keys = primary_key_tests(manifest)
    findings: list[Finding] = []
    for unique_id, node in sorted(models.items()):
        entry = catalog["nodes"].get(unique_id)
        findings += check_documentation(node["name"], node, entry)
        if unique_id not in keys:
            findings.append(
                Finding(
                    node["name"], "primary key", "no unique or unique_combination_of_columns test"
                )
            )
        findings += check_layer(unique_id, node, models, sources)
        findings += check_column_names(node, entry)
    for unique_id, node in sorted(seeds.items()):
        findings += check_documentation(
            f"seed {node['name']}", node, catalog["nodes"].get(unique_id)
        )
    for unique_id, source in sorted(sources.items()):
        label = f"source {source['source_name']}.{source['name']}"
        # Optional sources (absent until something writes them) are documented, not catalogued.
        entry = catalog["sources"].get(unique_id)
        declared_only = {**source, "columns": source.get("columns", {})}
        if entry is None:
            if not described(source.get("description")):
                findings.append(Finding(label, "documented", "has no description"))
            continue
        findings += check_documentation(label, declared_only, entry)
    return findings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target-dir", type=Path, default=Path("target"),
                        help="dbt's target folder with manifest.json and catalog.json")  # fmt: skip
    args = parser.parse_args(argv)
    manifest, catalog = load(args.target_dir)
    findings = check(manifest, catalog)
    models = len(own_nodes(manifest, "model"))
    columns = sum(len(node["columns"]) for node in catalog["nodes"].values())
    if findings:
        for finding in findings:
            print(finding, file=sys.stderr)
        print(f"project checks: {len(findings)} finding(s) in {models} models", file=sys.stderr)
        return 1
    for node in own_nodes(manifest, "model").values():
        if reason := materialization_exception(node):
            print(f"materialization exception: {node['name']}: {reason}")
        for column, reason in naming_exceptions(node).items():
            print(f"naming exception: {node['name']}.{column}: {reason}")
    print(
        f"project checks passed: {models} models, {len(catalog['nodes']) - models} seeds and "
        f"{len(catalog['sources'])} sources; {columns} columns documented; every model has a "
        "primary-key test and follows the layer naming"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
