"""The report's look, shared by every page and section: the CSS, and figures embedded as data URIs (so a
page is one self-contained file). A leaf of :mod:`fastk.report`: the report, its sections and the
standalone ``stability.html`` all import it, and it imports none of them."""

from __future__ import annotations

import base64
from html import escape as e
from pathlib import Path

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.6em;margin-bottom:.2em} h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.6em 0} td,th{border:1px solid #ddd;padding:.3em .6em;text-align:right}
th{background:#f4f4f4} td:first-child,th:first-child{text-align:left}
.figs{display:flex;flex-wrap:wrap;gap:1em;align-items:flex-start} .figs figure{margin:0}
figcaption{font-size:.85em;color:#555;max-width:360px} .overlays img{width:160px;height:auto;margin:2px}
.note{background:#fff8e1;border-left:4px solid #f0ad4e;padding:.5em 1em;margin:1em 0}
.finding{background:#e8f4fd;border-left:4px solid #2a7ab9;padding:.6em 1em;margin:1em 0;font-size:1.1em}
.warn{background:#fdecea;border-left-color:#d9534f}
.muted{color:#666;font-size:.9em} code{background:#f4f4f4;padding:0 .2em}
"""


def figure_html(folder: Path, rel: str | None, caption: str, prefix: str = "") -> str:
    """A PNG below ``folder`` embedded as a data URI in a captioned ``<figure>`` (empty when missing);
    ``data-source`` names it ``prefix + rel`` (its path from the run folder)."""
    if not rel or not (folder / rel).is_file():
        return ""
    data = base64.b64encode((folder / rel).read_bytes()).decode()
    return (f"<figure><img src='data:image/png;base64,{data}' alt='{e(caption[:60])}' data-source='{e(prefix + rel)}' "
            f"width='520'><figcaption>{e(caption)}</figcaption></figure>")
