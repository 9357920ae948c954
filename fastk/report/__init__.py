"""Layer 9, the run report as HTML: a ``report.json`` dict (gathered from a run folder by
:mod:`fastk.run.pipeline.report_step`) rendered as a self-contained ``report.html``, with its sections,
the one-sentence finding and the warnings about the models. Imports the layers below; never
:mod:`fastk.run` or :mod:`fastk.cli`."""

from fastk.report.html import render_html, rerender

__all__ = ["render_html", "rerender"]
