"""scripts/check_project.py: each quality gate fails for the fault it names.

A small synthetic manifest and catalog (the shapes dbt 1.11 writes) pass;
each test breaks one thing and expects exactly that finding. The last test
runs the script on the real project: the shared build's manifest and the
catalog `dbt docs generate` reads from its warehouse.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import check_project
import pytest
from conftest import BuiltProject, build_args, run_dbt

PROJECT = "leadscore"


def model(path: str, columns: dict[str, str], materialized: str, depends_on: list[str]) -> dict:
    name = Path(path).stem
    folder = Path(path).parent
    yml = f"_{folder.name}__models.yml"
    return {
        "resource_type": "model",
        "package_name": PROJECT,
        "name": name,
        "original_file_path": path,
        "patch_path": f"{PROJECT}://{folder / yml}",
        "description": f"The {name} model.",
        "columns": {
            column: {"name": column, "description": f"The {column}.", "meta": {}, "config": {}}
            for column in columns
        },
        "config": {"materialized": materialized},
        "depends_on": {"nodes": depends_on},
    }


def catalog_entry(columns: dict[str, str]) -> dict:
    return {
        "columns": {
            name: {"name": name, "type": data_type, "index": index}
            for index, (name, data_type) in enumerate(columns.items(), start=1)
        }
    }


def pk_test(model_id: str, test_name: str = "unique") -> dict:
    return {
        "resource_type": "test",
        "package_name": PROJECT,
        "name": f"{test_name}_{model_id.rsplit('.', 1)[-1]}",
        "test_metadata": {"name": test_name},
        "attached_node": model_id,
    }


SOURCE = "source.leadscore.crm.contacts"
STAGING = "model.leadscore.stg_crm__contacts"
INTERMEDIATE = "model.leadscore.int_contact_points"
MART = "model.leadscore.lead_scores"
FLAT_STAGING = "models/staging/stg_crm__contacts.sql"
NESTED_MART = "models/marts/sales/lead_scores.sql"
COLUMNS = {
    STAGING: {"contact_id": "VARCHAR", "created_at": "TIMESTAMP", "is_customer": "BOOLEAN"},
    INTERMEDIATE: {"contact_id": "VARCHAR", "points": "DOUBLE"},
    MART: {"contact_id": "VARCHAR", "score": "DOUBLE", "scored_at": "TIMESTAMP"},
}


@pytest.fixture
def project() -> tuple[dict, dict]:
    manifest = {
        "metadata": {"project_name": PROJECT},
        "nodes": {
            STAGING: model(
                "models/staging/crm/stg_crm__contacts.sql", COLUMNS[STAGING], "view", [SOURCE]
            ),
            INTERMEDIATE: model(
                "models/intermediate/int_contact_points.sql", COLUMNS[INTERMEDIATE], "view",
                [STAGING],
            ),
            MART: model("models/marts/lead_scores.sql", COLUMNS[MART], "table", [INTERMEDIATE]),
            "test.a": pk_test(STAGING),
            "test.b": pk_test(INTERMEDIATE, "unique_combination_of_columns"),
            "test.c": pk_test(MART),
        },
        "sources": {
            SOURCE: {
                "resource_type": "source",
                "package_name": PROJECT,
                "source_name": "crm",
                "name": "contacts",
                "description": "Raw contacts.",
                "columns": {"contact_id": {"name": "contact_id", "description": "Key."}},
            }
        },
    }  # fmt: skip
    catalog = {
        "nodes": {unique_id: catalog_entry(columns) for unique_id, columns in COLUMNS.items()},
        "sources": {SOURCE: catalog_entry({"contact_id": "VARCHAR"})},
    }
    return manifest, catalog


def rename_column(catalog: dict, unique_id: str, old: str, new: str) -> None:
    """The warehouse column `old` of `unique_id` is called `new` (type kept)."""
    column = catalog["nodes"][unique_id]["columns"].pop(old)
    catalog["nodes"][unique_id]["columns"][new] = {**column, "name": new}


def findings(manifest: dict, catalog: dict) -> list[str]:
    return [str(finding) for finding in check_project.check(manifest, catalog)]


def test_a_conforming_project_passes(project) -> None:
    assert findings(*project) == []


@pytest.mark.parametrize(
    ("break_it", "expected"),
    [
        (lambda m, c: m["nodes"][MART].update(description=" "),
         "lead_scores: [documented] has no description"),
        (lambda m, c: m["nodes"][MART]["columns"]["score"].update(description=""),
         "lead_scores: [documented] column score has no description"),
        (lambda m, c: m["nodes"][MART]["columns"].pop("score"),
         "lead_scores: [documented] column score is in the warehouse but not documented"),
        (lambda m, c: c["nodes"][MART]["columns"].pop("score"),
         "lead_scores: [documented] documented column score does not exist"),
        (lambda m, c: c["nodes"].pop(MART),
         "lead_scores: [documented] is not in the catalog: build it, then dbt docs generate"),
        (lambda m, c: m["sources"][SOURCE].update(description=None),
         "source crm.contacts: [documented] has no description"),
        (lambda m, c: m["nodes"].pop("test.c"),
         "lead_scores: [primary key] no unique or unique_combination_of_columns test"),
        (lambda m, c: m["nodes"]["test.c"].update(test_metadata={"name": "not_null"}),
         "lead_scores: [primary key] no unique or unique_combination_of_columns test"),
        (lambda m, c: m["nodes"][STAGING].update(original_file_path=FLAT_STAGING),
         "stg_crm__contacts: [layers] staging models live in models/staging/<source>/"),
        (lambda m, c: m["nodes"][STAGING].update(name="crm_contacts"),
         "crm_contacts: [layers] staging model names start with stg_crm__"),
        (lambda m, c: m["nodes"][STAGING]["config"].update(materialized="table"),
         "stg_crm__contacts: [layers] staging models are views (or incremental), not table"),
        (lambda m, c: m["nodes"][STAGING]["depends_on"]["nodes"].append(INTERMEDIATE),
         "stg_crm__contacts: [layers] a staging model reads int_contact_points"),
        (lambda m, c: m["nodes"][MART]["depends_on"]["nodes"].append(SOURCE),
         "lead_scores: [layers] only staging models read a source()"),
        (lambda m, c: m["nodes"][INTERMEDIATE].update(name="contact_points"),
         "contact_points: [layers] intermediate model names start with int_"),
        (lambda m, c: m["nodes"][INTERMEDIATE]["depends_on"]["nodes"].append(MART),
         f"int_contact_points: [layers] an intermediate model reads the mart {MART}"),
        (lambda m, c: m["nodes"][MART].update(name="int_lead_scores"),
         "int_lead_scores: [layers] mart names carry no stg_ or int_ prefix"),
        (lambda m, c: m["nodes"][MART]["config"].update(materialized="view"),
         "lead_scores: [layers] marts are tables or incremental, not view"),
        (lambda m, c: m["nodes"][MART].update(original_file_path="scores/lead_scores.sql"),
         "lead_scores: [layers] scores/lead_scores.sql is not under "
         "('staging', 'intermediate', 'marts')"),
        (lambda m, c: m["nodes"][MART].update(original_file_path=NESTED_MART),
         "lead_scores: [layers] described in leadscore://models/marts/_marts__models.yml, "
         "not models/marts/sales/_sales__models.yml"),
        (lambda m, c: m["nodes"][MART].update(patch_path="leadscore://models/marts/schema.yml"),
         "lead_scores: [layers] described in leadscore://models/marts/schema.yml, "
         "not models/marts/_marts__models.yml"),
        (lambda m, c: rename_column(c, STAGING, "is_customer", "customer"),
         "stg_crm__contacts: [naming] boolean column customer should start with is_ or has_"),
        (lambda m, c: rename_column(c, MART, "scored_at", "scored"),
         "lead_scores: [naming] timestamp column scored should end in _at"),
        (lambda m, c: c["nodes"][MART]["columns"]["scored_at"].update(type="DATE"),
         "lead_scores: [naming] scored_at ends in _at but is date, not a timestamp"),
    ],
)  # fmt: skip
def test_each_fault_is_found(project, break_it, expected: str) -> None:
    manifest, catalog = copy.deepcopy(project)
    break_it(manifest, catalog)
    assert expected in findings(manifest, catalog)


def test_a_declared_naming_exception_is_allowed_and_printed(project, tmp_path, capsys) -> None:
    manifest, catalog = project
    rename_column(catalog, MART, "scored_at", "scored")
    manifest["nodes"][MART]["columns"]["scored"] = {
        "name": "scored",
        "description": "When.",
        "config": {"meta": {"naming_exception": "a released column"}},
    }
    manifest["nodes"][MART]["columns"].pop("scored_at")
    assert findings(manifest, catalog) == []
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    (tmp_path / "catalog.json").write_text(json.dumps(catalog))
    assert check_project.main(["--target-dir", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "naming exception: lead_scores.scored: a released column" in printed
    assert "project checks passed: 3 models" in printed


def test_a_declared_materialization_exception_is_allowed_and_printed(
    project, tmp_path, capsys
) -> None:
    manifest, catalog = project
    manifest["nodes"][STAGING]["config"].update(materialized="table")
    assert findings(manifest, catalog) != []
    manifest["nodes"][STAGING]["config"]["meta"] = {"materialization_exception": "read thrice"}
    assert findings(manifest, catalog) == []
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    (tmp_path / "catalog.json").write_text(json.dumps(catalog))
    assert check_project.main(["--target-dir", str(tmp_path)]) == 0
    assert "materialization exception: stg_crm__contacts: read thrice" in capsys.readouterr().out


def test_findings_fail_the_command_listing_each(project, tmp_path, capsys) -> None:
    manifest, catalog = project
    manifest["nodes"].pop("test.c")
    manifest["nodes"][MART]["columns"]["score"]["description"] = ""
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    (tmp_path / "catalog.json").write_text(json.dumps(catalog))
    assert check_project.main(["--target-dir", str(tmp_path)]) == 1
    printed = capsys.readouterr().err
    assert "project checks: 2 finding(s) in 3 models" in printed
    assert "lead_scores: [primary key]" in printed


def test_a_missing_catalog_says_what_to_run(tmp_path) -> None:
    (tmp_path / "manifest.json").write_text("{}")
    with pytest.raises(SystemExit, match="run `dbt docs generate` first"):
        check_project.main(["--target-dir", str(tmp_path)])


def test_the_shipped_project_passes_every_gate(default_build: BuiltProject, capsys) -> None:
    """The project as it is, built: every model, seed and source documented and checked."""
    assert default_build.run.success, default_build.run.text()
    # The catalog of the shared build's warehouse (its manifest is already there).
    run = run_dbt(
        default_build.project,
        default_build.database,
        ["docs", "generate", "--no-compile", *build_args()[1:]],
    )
    assert run.success, run.text()
    target = default_build.project / "target"
    assert check_project.main(["--target-dir", str(target)]) == 0, capsys.readouterr().out
    assert "project checks passed" in capsys.readouterr().out
