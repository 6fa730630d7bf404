"""scripts/dashboard.py: the page shows the marts, escapes data and renders in Chromium."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import dashboard
import pytest
from conftest import BuiltProject, read_table
from test_backtest_scripts import CHROMIUM, CHROMIUM_FLAGS


@pytest.fixture(scope="module")
def page(default_build: BuiltProject, tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("dashboard") / "dashboard.html"
    assert dashboard.main(["--database", str(default_build.database), "--output", str(output)]) == 0
    return output


def test_every_model_and_its_numbers_are_on_the_page(default_build, page: Path) -> None:
    text = page.read_text()
    scores = read_table(default_build.database, "lead_scores")
    accounts = read_table(default_build.database, "account_scores")
    for model in {row["model_id"] for row in scores + accounts}:
        rows = [row for row in scores + accounts if row["model_id"] == model]
        assert f'<h2 id="{model}">' in text
        assert f"<b>{len(rows):,}</b>" in text
    top = sorted(
        read_table(default_build.database, "qualified_leads_by_owner"),
        key=lambda r: (r["model_id"], -r["score"], r["contact_id"]),
    )[0]
    assert f"{top['first_name']} {top['last_name']}" in text, "the best lead is not listed"
    assert top["reason_1_rule_id"] in text
    never = [r for r in read_table(default_build.database, "rule_hit_rates") if not r["has_fired"]]
    assert text.count(">never<") == len(never)


def test_text_from_data_is_escaped() -> None:
    hostile = "<script>alert(1)</script>"
    data = {
        "database": "x.duckdb",
        "models": [{"model_id": hostile, "scope": "contact"}],
        "tiers": [],
        "trend": [],
        "backtest": [],
        "newly_qualified": [],
        "totals": [
            {
                "model_id": hostile,
                "entities": 1,
                "qualified": 1,
                "average_score": 90.0,
                "scored_at": datetime(2026, 6, 30, tzinfo=UTC),
            }
        ],
        "top": [
            {
                "model_id": hostile,
                "contact_id": "c1",
                "first_name": hostile,
                "last_name": "",
                "company_name": hostile,
                "owner_id": None,
                "score": 90.0,
                "tier": hostile,
                "reason_1_rule_id": hostile,
                "reason_1_points": 5.0,
                "reason_2_rule_id": None,
                "reason_2_points": None,
                "reason_3_rule_id": None,
                "reason_3_points": None,
            }
        ],
        "rules": [
            {
                "model_id": hostile,
                "rule_id": hostile,
                "rule_type": "event",
                "rule_points": 1,
                "hit_rate": 1.0,
                "hits": 1,
                "share_of_points": 1.0,
                "has_fired": True,
            }
        ],
    }
    text = dashboard.render(data)
    assert "<script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_a_missing_database_says_what_to_run(tmp_path: Path, capsys) -> None:
    status = dashboard.main(
        ["--database", str(tmp_path / "none.duckdb"), "--output", str(tmp_path / "d.html")]
    )
    assert status == 2
    assert "run `./leadscore score` or `make demo` first" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (make browser)")
def test_the_page_renders_every_chart_in_headless_chromium(
    default_build: BuiltProject, page: Path, tmp_path: Path
) -> None:
    from PIL import Image

    profile = ["--user-data-dir=" + str(tmp_path / "profile")]
    dom = subprocess.run(
        [CHROMIUM, *CHROMIUM_FLAGS, *profile, "--dump-dom", page.resolve().as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    models = {r["model_id"] for r in read_table(default_build.database, "rule_hit_rates")}
    with_backtest = {
        r["model_id"] for r in read_table(default_build.database, "backtest_observations")
    }
    # Per model: tiers, trend, rules, and the backtest where there is one.
    assert dom.count("<svg") == 3 * len(models) + len(models & with_backtest)
    assert "no data" not in dom, "a chart had nothing to draw"
    shot = tmp_path / "dashboard.png"
    subprocess.run(
        [
            CHROMIUM,
            *CHROMIUM_FLAGS,
            *profile,
            f"--screenshot={shot}",
            "--window-size=1280,1400",
            page.resolve().as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    image = Image.open(shot).convert("RGB")
    assert image.size == (1280, 1400)
    counts = {rgb: n for n, rgb in image.getcolors(maxcolors=1 << 20) or []}

    def near(target: tuple[int, int, int]) -> int:
        return sum(
            n
            for rgb, n in counts.items()
            if all(abs(a - b) <= 12 for a, b in zip(rgb, target, strict=True))
        )

    # The first model's tier, trend and rule charts are drawn in the palette's blue.
    assert near((0x00, 0x72, 0xB2)) > 5000
