"""The stability result as HTML: a fragment a report embeds (:func:`stability_section`) and the
standalone ``stability.html`` that ``fastk stability`` writes. Figures are embedded as data URIs, so
both are self-contained; the fragment uses the report's CSS classes (``figs``, ``note``, ``muted``)."""

from __future__ import annotations

import html
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fastk.report.style import CSS, figure_html

CAPTIONS = {
    "rank_heatmap": "P(rank = r) for each area over the grid's cells and the image resamples; the dashed line "
                    "is the top k. A stable ranking is a diagonal of dark cells.",
    "agreement_heatmap": "Agreement between every pair of cells (Spearman over all areas; top-k feature "
                         "agreement, Krishna et al. 2022). Green = the cells rank the areas alike.",
    "variance_bar": "Share of each area's rank variance that comes from each factor (main effects); images = "
                    "bootstrap resamples of the images; interactions = what the main effects leave.",
}


def _f(v: Any, fmt: str = "{:.2f}") -> str:
    return "-" if v is None else fmt.format(v)


def stability_section(result: Mapping[str, Any], out_dir: str | Path, *, heading: str = "h2",
                      source_prefix: str = "") -> str:
    """An HTML fragment (no ``<html>``) describing ``result``; figures are read from ``out_dir`` (and
    named ``source_prefix + file`` in their ``data-source``, e.g. ``stability/`` inside a run report)."""
    e, out, k = html.escape, Path(out_dir), result["k"]
    v = result["verdict"]
    grid = result["grid"]
    parts = [f"<{heading}>How stable is the area ranking?</{heading}>"]
    dims = "; ".join(f"{e(f)}: {e(', '.join(map(str, levels)))}" for f, levels in grid.items())
    parts.append(f"<p>{len(result['cells'])} explorations (cells), one per combination of {dims}; "
                 f"{result['n_images']} images, {result['n_boot']} bootstrap resamples of the images per cell.</p>")
    parts.append(f"<div class='note'><b>Verdict:</b> {e(v['text'])} (with image resamples: "
                 f"{v['share_with_image_resamples']:.0%}). Stable top-{k}: <b>{e(', '.join(result['stable_top_k']))}</b>.</div>")
    rows = "".join(
        f"<tr><td>{e(a)}</td><td>{_f(r['mean_rank'], '{:.1f}')}</td><td>{_f(r['rank_ci95'][0], '{:.0f}')} - "
        f"{_f(r['rank_ci95'][1], '{:.0f}')}</td><td>{_f(r['p_top_k'])}</td><td>{_f(r['p_top_k_cells'])}</td></tr>"
        for a in result["areas_by_stability"] for r in [result["rank"][a]])
    parts.append(f"<table><thead><tr><th>area</th><th>mean rank</th><th>rank 95% range</th><th>P(top {k})</th>"
                 f"<th>P(top {k}), cells only</th></tr></thead><tbody>{rows}</tbody></table>")
    shares = result["variance"]["shares"]
    parts.append("<p>Rank variance from: " + ", ".join(
        f"{e(f)} {s:.0%}" for f, s in sorted(shares.items(), key=lambda kv: -(kv[1] or 0)) if s is not None)
        + f". <span class='muted'>{e(result['variance']['definition'])}.</span></p>")
    summ = result["agreement"]["summary"]
    if summ.get("spearman"):
        by = result["agreement"].get("by_factor", {})
        per = "; ".join(f"cells differing only in {e(f)}: {_f(b['spearman'])}" for f, b in by.items())
        parts.append(f"<p>Agreement between cells: Spearman mean {_f(summ['spearman']['mean'])} "
                     f"(min {_f(summ['spearman']['min'])}); top-{k} feature agreement mean "
                     f"{_f(summ['feature_agreement']['mean'])}, rank agreement {_f(summ['rank_agreement']['mean'])}, "
                     f"sign agreement over all areas (above/below the median area) "
                     f"{_f(summ['sign_agreement_all']['mean'])}. {per}.</p>")
    planted = result.get("planted")
    if planted:
        rows = "".join(f"<tr><td>{e(c)}</td><td>{p['cells']}</td><td>{_f(p['share_of_cells'])}</td>"
                       f"<td>{_f(p['p_all_on_top'])}</td></tr>" for c, p in planted["by_cam"].items())
        parts.append(f"<p><b>Planted cue</b> ({e(', '.join(planted['areas']))}): {e(planted['rule'])}. "
                     f"Recovered by: {e(', '.join(planted['recovered_by']) or 'none')}.</p>")
        parts.append("<table><thead><tr><th>CAM method</th><th>cells</th><th>cells with the planted areas on top</th>"
                     f"<th>P(all on top), with resamples</th></tr></thead><tbody>{rows}</tbody></table>")
    figs = "".join(figure_html(out, rel, CAPTIONS.get(name, name), source_prefix)
                   for name, rel in (result.get("figures") or {}).items())
    if figs:
        parts.append(f"<div class='figs'>{figs}</div>")
    return "".join(parts)


def write_stability_html(result: Mapping[str, Any], out_dir: str | Path) -> Path:
    """``out_dir/stability.html``: the section as a page of its own, in the report's style."""
    out = Path(out_dir)
    page = (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>fastk stability</title>"
            f"<style>{CSS}</style></head><body><h1>fastk stability</h1>{stability_section(result, out)}"
            "<p class='muted'>Everything on this page is also in <code>stability.json</code>.</p></body></html>")
    path = out / "stability.html"
    path.write_text(page)
    return path
