"""The run report: :mod:`fastk.report.build` gathers ``report.json`` from a run folder,
:mod:`fastk.report.html` renders it as a self-contained ``report.html``."""

from fastk.report.html import render_html, rerender

__all__ = ["render_html", "rerender"]
