"""Governance and the semantic layer (README, "Governance", "Metrics for BI").

The manifest of the default build shows the spec's marts public with enforced
contracts, every other model protected in the owned group, the exposures and
the metrics BI users ask for; a broken metric fails `dbt parse`, and a mart
whose column type drifts from its contract fails the build.
"""

from __future__ import annotations

import json

import pytest
from compare_engines import MARTS
from conftest import E2E_AS_OF, BuiltProject, run_dbt

SPEC_CONTRACTS = ("lead_scores", "account_scores", "lead_score_contributions")
METRICS = {
    "qualified_leads": {"model_id", "tier", "owner_id"},
    "average_score": {"model_id", "tier", "owner_id"},
    "conversion_rate": {"model_id", "tier"},
    "newly_qualified_leads": {"model_id", "owner_id"},
}


@pytest.fixture(scope="module")
def manifest(default_build: BuiltProject) -> dict:
    return json.loads((default_build.project / "target" / "manifest.json").read_text())


def models(manifest: dict) -> dict[str, dict]:
    return {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}


def test_marts_are_public_and_the_rest_protected_in_an_owned_group(manifest: dict) -> None:
    group = manifest["groups"]["group.leadscore.lead_scoring"]
    assert group["owner"]["name"] and group["owner"]["email"]
    for name, node in models(manifest).items():
        assert node["group"] == "lead_scoring", name
        is_mart = node["original_file_path"].startswith("models/marts/")
        assert node["access"] == ("public" if is_mart else "protected"), name
    assert set(MARTS) <= {n for n, node in models(manifest).items() if node["access"] == "public"}


def test_the_spec_marts_have_enforced_contracts_with_every_type(manifest: dict) -> None:
    for name in SPEC_CONTRACTS:
        node = models(manifest)[name]
        assert node["config"]["contract"]["enforced"], name
        untyped = [c for c, column in node["columns"].items() if not column.get("data_type")]
        assert not untyped, f"{name}: columns without data_type: {untyped}"


def test_the_score_tables_are_versioned_and_keep_their_names(manifest: dict) -> None:
    for name in ("lead_scores", "account_scores"):
        node = models(manifest)[name]
        assert node["version"] == node["latest_version"] == 1, name
        assert node["alias"] == name, f"{name}: BI queries the unversioned name"


def test_exposures_declare_the_dashboard_the_crm_feed_and_the_backtest(manifest: dict) -> None:
    exposures = {e["name"]: e for e in manifest["exposures"].values()}
    assert {e["type"] for e in exposures.values()} == {"dashboard", "application", "analysis"}
    public = {uid for uid, n in manifest["nodes"].items() if n.get("access") == "public"}
    for name, exposure in exposures.items():
        assert exposure["owner"]["email"], name
        assert exposure["depends_on"]["nodes"], name
        assert set(exposure["depends_on"]["nodes"]) <= public, f"{name} reads a non-public model"


def test_the_metrics_bi_asks_for_exist_with_their_dimensions(default_build) -> None:
    semantic = json.loads((default_build.project / "target" / "semantic_manifest.json").read_text())
    metrics = {m["name"]: m for m in semantic["metrics"]}
    dimensions: dict[str, set[str]] = {}
    for model in semantic["semantic_models"]:
        names = {d["name"] for d in model["dimensions"]}
        for measure in model["measures"]:
            dimensions[measure["name"]] = names
    for name, needed in METRICS.items():
        assert name in metrics, name
        params = metrics[name]["type_params"]
        measures = (
            [params["measure"]["name"]]
            if params.get("measure")
            else [
                metrics[part["name"]]["type_params"]["measure"]["name"]
                for part in (params["numerator"], params["denominator"])
            ]
        )
        for measure in measures:
            assert needed <= dimensions[measure], f"{name}: missing {needed - dimensions[measure]}"
    assert semantic["project_configuration"]["time_spines"], "no time spine"


def test_a_metric_on_an_unknown_measure_fails_dbt_parse(workspace) -> None:
    project, database = workspace
    semantic = project / "models" / "marts" / "_marts__semantic.yml"
    semantic.write_text(
        semantic.read_text().replace("measure: qualified_lead_count", "measure: qualified_leeds")
    )
    run = run_dbt(project, database, ["parse"])
    assert not run.success
    assert "qualified_leeds" in run.text()


def test_a_column_type_that_breaks_the_contract_fails_the_build(workspace) -> None:
    project, database = workspace
    model = project / "models" / "marts" / "lead_score_contributions.sql"
    text = model.read_text()
    assert "        hits,\n        points\n    from rule_hits" in text
    model.write_text(
        text.replace(
            "        hits,\n        points\n    from rule_hits",
            "        cast(hits as varchar) as hits,\n        points\n    from rule_hits",
        )
    )
    stamp = E2E_AS_OF.strftime("%Y-%m-%dT%H:%M:%SZ")
    run = run_dbt(
        project,
        database,
        ["build", "--select", "lead_score_contributions", "--vars", f"{{as_of: '{stamp}'}}"],
    )
    assert not run.success
    assert "enforced contract" in run.text()
    assert "hits" in run.text()
