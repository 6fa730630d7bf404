"""Pieces shared by the self-contained HTML pages (backtest report, dashboard).

Inline CSS only: no scripts, no fonts, no external resources. Every text
that comes from configuration or data goes through `escape` (or is
XML-escaped by svg_charts).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

CSS = """
body { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif;
       margin: 0 auto; max-width: 1180px; padding: 24px; color: #222; background: #fff; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 36px 0 8px; padding-top: 12px; border-top: 2px solid #0072B2; }
h3 { font-size: 16px; margin: 22px 0 8px; }
p.meta, p.note { color: #555; font-size: 13px; margin: 4px 0; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(360px, 1fr)); gap: 16px; }
.card { border: 1px solid #e3e3e3; border-radius: 6px; padding: 8px; background: #fafafa; }
table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
th, td { border-bottom: 1px solid #e3e3e3; padding: 4px 10px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #f2f2f2; }
.kpis { display: flex; flex-wrap: wrap; gap: 12px; margin: 8px 0 4px; }
.kpi { border: 1px solid #e3e3e3; border-radius: 6px; padding: 8px 12px; min-width: 130px; }
.kpi b { display: block; font-size: 20px; }
.kpi span { color: #555; font-size: 12px; }
.warn { color: #8a4b00; background: #fff4e0; padding: 6px 10px; border-radius: 4px; }
.up { color: #006b3c; } .down { color: #a32020; }
table.weights td:last-child, table.weights th:last-child { text-align: left; }
"""


def escape(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def pct(value: float | None, digits: int = 1) -> str:
    """A share as a percentage ("n/a" when undefined); shared with the scripts' summaries."""
    return "n/a" if value is None else f"{100 * value:.{digits}f}%"


def num(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def table(
    header: Sequence[str], rows: Sequence[Sequence[str]], raw: bool = False, css: str = ""
) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{cell if raw else escape(cell)}</td>" for cell in row) + "</tr>"
        for row in rows
    )
    css_class = f' class="{escape(css)}"' if css else ""
    return f"<table{css_class}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def card(svg: str) -> str:
    return f'<div class="card">{svg}</div>'


def kpi(value: str, label: str) -> str:
    return f'<div class="kpi"><b>{escape(value)}</b><span>{escape(label)}</span></div>'


def page(title: str, body: Sequence[str], extra_css: str = "") -> str:
    """A complete HTML document: the title, the shared CSS (and extra_css), the body's parts."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title>"
        f"<style>{CSS}{extra_css}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )
