"""End to end: scripts/backtest.py and scripts/tune_weights.py on built warehouses.

- metrics agree with an independent computation on the built tables;
- re-scoring reproduces the warehouse, and a proposed rule set, once adopted and built
  by dbt, scores exactly as the scripts predicted;
- a calibration written by backtest.py becomes conversion_probability in the marts
  (the same build adopts both);
- the scripts take data and configuration that share nothing with the generator's ids,
  models or rules, including hostile names, and the report escapes them.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import backtest
import backtest_data as bd
import duckdb
import load_raw
import numpy as np
import pytest
import tune_weights
from conftest import BuiltProject, copy_project, read_table, run_dbt

TOLERANCE = 0.011


def brute_force_auc(scores: list[float], labels: list[bool]) -> float:
    positives = [s for s, y in zip(scores, labels, strict=True) if y]
    negatives = [s for s, y in zip(scores, labels, strict=True) if not y]
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in positives for n in negatives)
    return wins / (len(positives) * len(negatives))


# The scores at T and the backtest cutoffs, every data test (the shared build ran the
# unit tests; these builds need no history).
BACKTEST_BUILD = [
    "build", "--exclude-resource-type", "unit_test",
    "--vars", "{as_of: '2026-06-30T18:00:00Z', history_enabled: false}",
]  # fmt: skip


@pytest.fixture(scope="module")
def backtest_run(default_build: BuiltProject, tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert default_build.run.success, default_build.run.text()
    output = tmp_path_factory.mktemp("backtest_run")
    code = backtest.main(
        [
            "--database", str(default_build.database),
            "--output-dir", str(output),
            "--rules", f"same={default_build.project / 'seeds' / 'scoring_rules.csv'}",
            "--write-calibration", str(output / "score_calibration.csv"),
            "--bootstrap", "100",
        ]
    )  # fmt: skip
    assert code == 0
    return output


def test_backtest_metrics_agree_with_an_independent_computation(
    default_build: BuiltProject, backtest_run: Path
) -> None:
    report = json.loads((backtest_run / "metrics.json").read_text())
    observations = read_table(default_build.database, "backtest_observations")
    models = {row["model_id"] for row in observations}
    assert set(report["models"]) == models == {"platform", "insights", "platform_accounts"}
    for model_id, entry in report["models"].items():
        rows = [row for row in observations if row["model_id"] == model_id]
        labels = [row["has_converted"] for row in rows]
        scores = [row["score"] for row in rows]
        assert any(labels), f"{model_id}: no conversion, the check would be vacuous"
        current = entry["current"]
        assert current["observations"] == len(rows)
        assert current["conversions"] == sum(labels)
        assert current["auc"] == pytest.approx(brute_force_auc(scores, labels), abs=1e-12)
        low, high = current["auc_ci"]
        assert low <= current["auc"] <= high
        flagged = [s >= entry["qualified_threshold"] for s in scores]
        true_positives = sum(f and y for f, y in zip(flagged, labels, strict=True))
        assert current["at_threshold"]["recall"] == pytest.approx(true_positives / sum(labels))
        # The identical rule set re-scores to the same metrics.
        assert entry["versions"]["same"]["auc"] == pytest.approx(
            entry["versions"]["current"]["auc"]
        )
        assert entry["warnings"] == []


def test_backtest_report_renders_every_chart(backtest_run: Path) -> None:
    html = (backtest_run / "report.html").read_text()
    report = json.loads((backtest_run / "metrics.json").read_text())
    # Per model: 6 charts for the current rules; with versions, 4 comparison charts and one
    # score distribution per version.
    per_model = 6 + 4 + len(report["versions"])
    assert html.count("<svg") == per_model * len(report["models"])
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "<script" not in html


def test_rescoring_reproduces_every_warehouse_score(default_build: BuiltProject) -> None:
    with bd.connect(default_build.database) as con:
        models = bd.read_models(con)
        built = bd.read_built_rules(con)
        data = bd.read_backtest(con, models)
        current = bd.read_current(con, models)
    current_rules = bd.current_rule_set(built)
    for model_id, model_data in data.items():
        assert model_data.size > 0
        assert bd.check_reproduces_warehouse(model_data, built) == 0
        now = current[model_id]
        scores = bd.rescore(
            now.model,
            len(now.entity_id),
            now.hit_entity,
            now.hit_rule,
            now.hit_weight,
            bd.rule_points_of(current_rules, model_id),
            bd.rule_groups_of(built, model_id),
        )
        assert np.max(np.abs(scores.score - now.score)) <= TOLERANCE


@dataclass
class Adopted:
    """A build of the shared sample with the tuner's proposed rules and the backtest's
    calibration adopted as seeds (one build serves both checks)."""

    proposed_file: Path
    database: Path
    before: dict  # the backtest data of the shared build
    built: dict  # its rules
    proposed: bd.RuleSet


@pytest.fixture(scope="module")
def adopted(
    default_build: BuiltProject, backtest_run: Path, tmp_path_factory: pytest.TempPathFactory
) -> Adopted:
    root = tmp_path_factory.mktemp("adopted")
    proposed_file = root / "scoring_rules_proposed.csv"
    code = tune_weights.main(
        [
            "--database", str(default_build.database),
            "--seed-file", str(default_build.project / "seeds" / "scoring_rules.csv"),
            "--output", str(proposed_file),
        ]
    )  # fmt: skip
    assert code == 0
    with bd.connect(default_build.database) as con:
        models = bd.read_models(con)
        built = bd.read_built_rules(con)
        data = bd.read_backtest(con, models)
    proposed = bd.load_rule_set("proposed", proposed_file, built)

    project = copy_project(root / "project")
    shutil.copy(proposed_file, project / "seeds" / "scoring_rules.csv")
    shutil.copy(backtest_run / "score_calibration.csv", project / "seeds" / "score_calibration.csv")
    database = root / "adopted.duckdb"
    shutil.copy(default_build.database, database)
    run = run_dbt(project, database, BACKTEST_BUILD)
    assert run.success, run.text()
    return Adopted(proposed_file, database, data, built, proposed)


def test_proposed_rules_built_by_dbt_score_as_the_scripts_predicted(adopted: Adopted) -> None:
    tuning = json.loads(adopted.proposed_file.with_suffix(".json").read_text())
    assert tuning["holdout_from"]
    changed = [
        k for k, p in adopted.proposed.points.items() if abs(p - adopted.built[k].points) > 1e-9
    ]
    assert changed, "the tuner proposed no change: the check would be vacuous"

    with bd.connect(adopted.database) as con:
        after = bd.read_backtest(con, bd.read_models(con))
    for model_id, model_data in adopted.before.items():
        predicted = bd.rescore_backtest(model_data, adopted.proposed, adopted.built).score
        actual = after[model_id]
        assert list(actual.entity_id) == list(model_data.entity_id)
        assert np.max(np.abs(actual.score - predicted)) <= TOLERANCE, model_id
    movers_file = adopted.proposed_file.with_name(adopted.proposed_file.stem + ".movers.csv")
    movers = list(csv.DictReader(movers_file.open()))
    leads = {
        (r["model_id"], r["contact_id"]): r for r in read_table(adopted.database, "lead_scores")
    }
    for mover in movers:
        key = (mover["model_id"], mover["entity_id"])
        if key in leads:
            assert abs(leads[key]["score"] - float(mover["proposed_score"])) <= TOLERANCE
            assert leads[key]["is_qualified"] == (mover["move"] == "in")


def test_calibration_becomes_conversion_probability_in_the_marts(
    adopted: Adopted, backtest_run: Path
) -> None:
    calibration = list(csv.DictReader((backtest_run / "score_calibration.csv").open()))
    assert {row["model_id"] for row in calibration} == {"platform", "insights", "platform_accounts"}
    report = json.loads((backtest_run / "metrics.json").read_text())
    rows = read_table(adopted.database, "lead_scores") + read_table(
        adopted.database, "account_scores"
    )
    assert rows
    for row in rows:
        entry = report["models"][row["model_id"]]
        expected = backtest.predict_calibration(
            entry["calibration"]["bands"], np.array([row["score"]])
        )[0]
        assert row["conversion_probability"] == pytest.approx(expected, abs=1e-6)
        assert row["conversion_horizon_days"] == 90
        assert row["calibrated_from"] == datetime.fromisoformat(entry["cutoffs"]["from"])
        assert row["calibrated_to"] == datetime.fromisoformat(entry["cutoffs"]["to"])


# --------------------------------------------------------------------------- foreign data

HOSTILE_MODEL = 'm<b>"1"</b>&'
HOSTILE_TIER = "<script>alert(1)</script>"


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def foreign_dataset(directory: Path, seeds: Path) -> None:
    """A CRM that shares nothing with the generator: ids, event types, rules, models."""
    directory.mkdir(parents=True)
    rng = np.random.default_rng(4)
    start = datetime(2024, 12, 1)
    contacts, events, deals = [], [], []
    for i in range(240):
        contact_id = f"Ü-{i:03d} 'lead'"
        engaged = i % 3 == 0
        contacts.append([contact_id, f"p{i}@firm{i % 40}.example", f"ACME/{i % 40}", start])
        for k in range(int(rng.integers(1, 6)) + (8 if engaged else 0)):
            when = start + timedelta(days=float(rng.uniform(0, 540)))
            kind = "Seminar" if engaged and k % 2 else "Visit"
            events.append([f"ev#{i}-{k}", contact_id, kind, when, None, None])
        if engaged and rng.random() < 0.6:
            closed = start + timedelta(days=float(rng.uniform(150, 560)))
            deals.append([f"deal {i}", f"ACME/{i % 40}", contact_id, closed, True])
    write_csv(directory / "contacts.csv", ["contact_id", "email", "company_id", "created_at"],
              [[c[0], c[1], c[2], c[3].isoformat()] for c in contacts])  # fmt: skip
    write_csv(directory / "companies.csv", ["company_id", "industry"],
              [[f"ACME/{k}", "widgets"] for k in range(40)])  # fmt: skip
    write_csv(directory / "events.csv",
              ["event_id", "contact_id", "event_type", "occurred_at", "url", "detail"],
              [[e[0], e[1], e[2], e[3].isoformat(), "", ""] for e in events])  # fmt: skip
    write_csv(directory / "deals.csv",
              ["deal_id", "company_id", "contact_id", "closed_at", "is_won"],
              [[d[0], d[1], d[2], d[3].isoformat(), "true"] for d in deals])  # fmt: skip
    write_csv(directory / "list_memberships.csv", ["list_name", "contact_id"], [])
    write_csv(seeds / "scoring_models.csv",
              ["model_id", "description", "scope", "max_score", "qualified_threshold",
               "include_list", "exclude_list"],
              [[HOSTILE_MODEL, "named to break HTML", "contact", "100", "30", "", ""]])  # fmt: skip
    write_csv(seeds / "scoring_groups.csv", ["model_id", "group_id", "dimension", "max_points"],
              [[HOSTILE_MODEL, "g&1", "engagement", "100"]])  # fmt: skip
    rule_columns = [
        "model_id", "rule_id", "group_id", "description", "rule_type", "field", "event_type",
        "operator", "value", "points", "max_count", "window_days", "decay", "decay_days",
        "decay_factor", "min_events", "within_days",
    ]  # fmt: skip
    write_csv(seeds / "scoring_rules.csv", rule_columns, [
        [HOSTILE_MODEL, "visit <x>", "g&1", "visits", "event", "", "visit", "", "", "5", "5",
         "120", "", "", "", "", ""],
        [HOSTILE_MODEL, "seminar", "g&1", "a candidate at 0 points", "event", "", "seminar", "",
         "", "0", "", "180", "", "", "", "", ""],
    ])  # fmt: skip
    write_csv(seeds / "score_tiers.csv", ["model_id", "dimension", "tier", "min_score"],
              [[HOSTILE_MODEL, "score", HOSTILE_TIER, "0"],
               [HOSTILE_MODEL, "score", "hot", "30"]])  # fmt: skip


@pytest.mark.slow
def test_scripts_take_foreign_data_and_escape_hostile_names(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    foreign_dataset(tmp_path / "data", project / "seeds")
    database = tmp_path / "foreign.duckdb"
    load_raw.load(tmp_path / "data", database)
    run = run_dbt(
        project,
        database,
        [
            "build", "--exclude-resource-type", "unit_test",
            "--vars", "{as_of: '2026-06-30T00:00:00Z', history_enabled: false}",
        ],
    )  # fmt: skip
    assert run.success, run.text()
    output = tmp_path / "out"
    assert backtest.main(["--database", str(database), "--output-dir", str(output),
                          "--current-seed", str(project / "seeds" / "scoring_rules.csv"),
                          "--bootstrap", "50"]) == 0  # fmt: skip
    report = json.loads((output / "metrics.json").read_text())
    entry = report["models"][HOSTILE_MODEL]
    assert entry["current"]["conversions"] > 0
    html = (output / "report.html").read_text()
    assert HOSTILE_TIER not in html
    assert HOSTILE_MODEL not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    proposed = tmp_path / "proposed.csv"
    seed_file = str(project / "seeds" / "scoring_rules.csv")
    assert tune_weights.main(["--database", str(database), "--output", str(proposed),
                              "--seed-file", seed_file]) == 0  # fmt: skip
    tuned = {row["rule_id"]: float(row["points"]) for row in csv.DictReader(proposed.open())}
    assert tuned["seminar"] > 0, "the candidate rule, which predicts conversion, earned no points"
    with duckdb.connect(str(database), read_only=True) as con:
        assert (
            con.execute(
                "select count(*) from main.backtest_rule_hits where rule_id = 'seminar'"
            ).fetchall()[0][0]
            > 0
        )


# --------------------------------------------------------------------------- browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (make browser)")
def test_report_renders_every_chart_in_headless_chromium(
    backtest_run: Path, tmp_path: Path
) -> None:
    from PIL import Image

    page = (backtest_run / "report.html").resolve().as_uri()
    profile = ["--user-data-dir=" + str(tmp_path / "profile")]
    dom = subprocess.run(
        [CHROMIUM, *CHROMIUM_FLAGS, *profile, "--dump-dom", page],
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout  # fmt: skip
    report = json.loads((backtest_run / "metrics.json").read_text())
    charts = (6 + 4 + len(report["versions"])) * len(report["models"])
    assert dom.count("<svg") == charts
    shot = tmp_path / "report.png"
    subprocess.run(
        [CHROMIUM, *CHROMIUM_FLAGS, *profile, f"--screenshot={shot}", "--window-size=1240,2200",
         page],
        capture_output=True, timeout=120, check=True,
    )  # fmt: skip
    image = Image.open(shot).convert("RGB")
    assert image.size == (1240, 2200)
    colours = image.getcolors(maxcolors=1 << 20) or []
    counts = {rgb: n for n, rgb in colours}

    def near(target: tuple[int, int, int]) -> int:
        return sum(
            n
            for rgb, n in counts.items()
            if all(abs(a - b) <= 12 for a, b in zip(rgb, target, strict=True))
        )

    # The first model's six charts draw lines and bars in the palette's blue and orange.
    assert near((0x00, 0x72, 0xB2)) > 5000
    assert near((0xE6, 0x9F, 0x00)) > 2000
