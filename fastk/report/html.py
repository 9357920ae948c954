"""The run report: ``report.json`` (everything, machine-readable) rendered as a self-contained
``report.html`` (figures embedded as data URIs, no network needed to view it).

``fastk report RUN_DIR`` re-renders the HTML from the JSON, so the page can change without rerunning
anything.
"""

from __future__ import annotations

import base64
import html
import json
import math
from pathlib import Path
from typing import Any

import fastk.report.mask_audit_html as mask_audit_html
import fastk.report.sections as sections
from fastk.errors import ConfigError
from fastk.report.style import CSS
from fastk.trust.audit_classifier import LEAK_AUC

COMPARISON_COLUMNS = [
    ("precision", "P", "{:.3f}"),
    ("recall", "R", "{:.3f}"),
    ("f1", "F1", "{:.3f}"),
    ("apcer", "APCER", "{:.3f}"),
    ("bpcer", "BPCER", "{:.3f}"),
    ("acer", "ACER", "{:.3f}"),
    ("auc", "AUC", "{:.3f}"),
]
EFFICIENCY_COLUMNS = [
    ("seconds_per_epoch", "s / epoch", "{:.1f}"),
    ("inference_ms_per_image", "inference ms / image", "{:.2f}"),
    ("input_size", "input px", "{}"),
    ("pixels_kept", "pixels kept", "{:.1%}"),
    ("jpeg_bytes_mean", "JPEG bytes / image", "{:,.0f}"),
    ("png_bytes_mean", "PNG bytes / image", "{:,.0f}"),
]


def _img(run_dir: Path, rel: str, alt: str, width: int | None = None) -> str:
    p = run_dir / rel
    if not p.is_file():
        raise ConfigError(f"{p}: figure named in report.json is missing")
    mime = "image/png" if p.suffix.lower() == ".png" else "image/jpeg"
    data = base64.b64encode(p.read_bytes()).decode()
    w = f' width="{width}"' if width else ""
    return f'<img src="data:{mime};base64,{data}" alt="{html.escape(alt)}" data-source="{html.escape(rel)}"{w}>'


def _fmt(value: Any, fmt: str) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    try:
        return fmt.format(value)
    except (ValueError, TypeError):
        return html.escape(str(value))


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(report: dict[str, Any], run_dir: str | Path) -> Path:
    """Write ``run_dir/report.html`` from a report dict; returns its path."""
    run = Path(run_dir)
    figs = report.get("figures", {})
    parts = [_header(report), _data_section(report.get("dataset", {})),
             _importance_section(report["importance"], figs, run, (report.get("stability") or {}).get("on_face"),
                                 (report.get("sanity") or {}).get("on_face")),
             sections.sanity(report, run), sections.stability(report, run), _overlays(figs, run),
             sections.faithfulness(report, run), _retraining_section(report), mask_audit_html.mask_audit(report),
             sections.speed(report),
             _errors_tables(report.get("models", {})), _plugins_and_machine(report),
             "<p class='muted'>Everything on this page is also in <code>report.json</code>.</p></body></html>"]
    out = run / "report.html"
    out.write_text("".join(parts))
    return out


def _header(report: dict[str, Any]) -> str:
    """The page head, title, what made the run, warnings about its models and the dataset's notes (shown
    before anything else)."""
    e = html.escape
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>fastk report: {e(report['name'])}</title>"
             f"<style>{CSS}</style></head><body>",
             f"<h1>fastk report: {e(report['name'])}</h1>",
             f"<p class='muted'>fastk {e(report.get('fastk_version', '?'))}, {e(report.get('created', ''))}. "
             f"Command: <code>{e(report.get('command', ''))}</code></p>"]
    if report.get("finding"):
        parts.append(f"<p class='finding'><b>Finding:</b> {e(report['finding'])}</p>")
    parts += [f"<div class='note warn'><b>Warning:</b> {e(w)}</div>" for w in report.get("warnings", [])]
    parts += [f"<div class='note'>{e(note)}</div>" for note in report.get("notes", [])]
    return "".join(parts)


def _data_section(ds: dict[str, Any]) -> str:
    """The data, its subject split and the images no detector found a face in."""
    e = html.escape
    protocol = ds.get("protocol")
    how = (f"split by subject {e(str(ds.get('split_ratios', '')))} (no subject in two sets)" if not protocol else
           f"split by the protocol <code>{e(str(protocol.get('describe')))}</code>")
    parts = ["<h2>Data and split</h2>",
             f"<p>Dataset <code>{e(str(ds.get('name')))}</code>: {ds.get('n_images', '?')} images of "
             f"{ds.get('n_subjects', '?')} subjects, {how}.</p>"]
    parts += [f"<p class='muted'>{e(note)}</p>" for note in (protocol or {}).get("notes", [])]
    if ds.get("no_face_by_detector"):
        rates = ", ".join(f"{e(k)} {v} ({v / max(1, ds.get('n_images', 1)):.1%})" for k, v in ds["no_face_by_detector"].items())
        parts.append(f"<p>Images with no face found, per landmark detector: {rates}. Those of the detector used "
                     f"({ds.get('n_no_face', 0)}) are left out of every model, so all models see the same images.</p>")
    parts.append(_shortcut_paragraph(ds.get("shortcut_audit")))
    if ds.get("split_counts"):
        keys = sorted({k for c in ds["split_counts"].values() for k in c})
        parts.append(_table(["split", *keys], [[s, *[str(c.get(k, 0)) for k in keys]] for s, c in ds["split_counts"].items()]))
    if ds.get("attribution"):
        parts.append(f"<p class='muted'>{e(ds['attribution'])}</p>")
    return "".join(parts)


def _shortcut_paragraph(parts: dict[str, Any] | None) -> str:
    """The data's shortcut audit in one sentence: what tells real from attack with no face texture."""
    if not parts:
        return ""
    said = "; ".join(f"{html.escape(label)} AUC {p['auc']:.3f} ({p['ci'][0]:.3f}-{p['ci'][1]:.3f})"
                     + (f" <b>above {LEAK_AUC}</b>" if p.get("leak") else "") for label, p in parts.items())
    return ("<p>Shortcut audit (a plain classifier, folds by subject, on what needs no face texture: the files' "
            f"statistics and the face's size and place): {said}. Near 0.5 they carry no label.</p>")


def _importance_section(imp: dict[str, Any], figs: dict[str, Any], run: Path,
                        on_face_grid: dict[str, Any] | None = None,
                        on_face_baseline: dict[str, Any] | None = None) -> str:
    """How the importance was measured, its figures, the ranking with CIs, per-group tables, asymmetry."""
    e = html.escape
    tgt = imp.get("cam_target", {})
    parts = ["<h2>Which face areas the model uses</h2>",
             f"<p>{e(imp.get('cam', ''))} on <b>{e(str(tgt.get('target')))}</b> ({e(str(tgt.get('target_description')))}), "
             f"layer <code>{e(str(tgt.get('target_layer')))}</code>; areas from <code>{e(imp.get('landmarks', ''))}</code> "
             f"landmarks; measured on the {e(imp.get('on', 'validation'))} split ({imp.get('images_used', '?')} images, "
             f"{imp.get('images_skipped', 0)} without a usable face). Importance = mean heat inside the area "
             "(paper, Eq. 2), with a bootstrap 95% CI.</p>",
             "<div class='figs'>"]
    if figs.get("importance_bar"):
        parts.append(f"<figure>{_img(run, figs['importance_bar'], 'area importance bar chart', 520)}"
                     "<figcaption>Area importance, most important on top.</figcaption></figure>")
    if figs.get("face_diagram"):
        parts.append(f"<figure>{_img(run, figs['face_diagram'], 'face diagram coloured by importance', 360)}"
                     "<figcaption>The same values on the mean face; left = image left.</figcaption></figure>")
    parts.append("</div>")
    rows = []
    for area in imp.get("ranking", []):
        v = imp["overall"][area]
        rows.append([e(area), _fmt(v["importance"], "{:.3f}"), f"{_fmt(v['ci_low'], '{:.3f}')} - {_fmt(v['ci_high'], '{:.3f}')}"])
    parts.append(_table(["area", "importance", "95% CI"], rows))
    for key, groups in imp.get("by", {}).items():
        if len(groups) < 2:
            continue
        names = imp.get("ranking", [])
        parts.append(f"<p><b>By {e(key)}</b></p>")
        parts.append(_table(["area", *groups], [[e(a), *[_fmt(groups[g][a]["importance"], "{:.3f}") for g in groups]] for a in names]))
    parts.append(_asymmetry(imp.get("asymmetry") or {}))
    parts.append(sections.on_face(imp, on_face_grid, on_face_baseline))
    return "".join(parts)


def _asymmetry(asym: dict[str, Any]) -> str:
    """The left/right asymmetry index and its pairs (empty when the run measured none)."""
    if asym.get("index") is None:
        return ""
    e = html.escape
    return ("<h3>Left/right asymmetry</h3>"
            f"<p>Asymmetry index {_fmt(asym['index'], '{:+.3f}')} (95% CI {_fmt(asym['ci_low'], '{:+.3f}')} to "
            f"{_fmt(asym['ci_high'], '{:+.3f}')}; {e(asym.get('definition', ''))}). "
            "Far from 0 means the model looks at one side more: in the paper this exposed lighting from one side.</p>"
            + _table(["pair", "index", "95% CI"], [[e(p), _fmt(v["index"], "{:+.3f}"),
                     f"{_fmt(v['ci_low'], '{:+.3f}')} - {_fmt(v['ci_high'], '{:+.3f}')}"] for p, v in asym.get("pairs", {}).items()]))


def _overlays(figs: dict[str, Any], run: Path) -> str:
    """A few heatmap overlays per group (empty when the run kept none)."""
    overlays = figs.get("overlays", {})
    if not overlays:
        return ""
    parts = ["<h3>Heatmaps on faces</h3>"]
    for group, files in overlays.items():
        imgs = "".join(_img(run, f, f"{group} overlay") for f in files)
        parts.append(f"<p><b>{html.escape(group)}</b></p><div class='overlays'>{imgs}</div>")
    return "".join(parts)


def _retraining_section(report: dict[str, Any]) -> str:
    """What the selector kept, and every model's accuracy and efficiency side by side."""
    e = html.escape
    sel = report.get("selection", {})
    rows = []
    for name, m in report.get("models", {}).items():
        metrics = m.get("metrics", {})
        rows.append([e(name), *[_fmt(metrics.get(k), f) for k, _, f in COMPARISON_COLUMNS],
                     *[_fmt(m.get(k), f) for k, _, f in EFFICIENCY_COLUMNS]])
    return ("<h2>Retraining on selected areas</h2>"
            f"<p>Selector <code>{e(str(sel.get('selector')))}</code> kept: <b>{e(', '.join(sel.get('keep', [])))}</b>; "
            f"the control keeps the complement: {e(', '.join(sel.get('complement', [])))}. Every model was trained "
            "with the same hyper-parameters and evaluated on the same test subjects; the threshold was chosen on "
            "each model's validation split. Positive class for P/R/F1: spoof.</p>"
            + _table(["model", *[h for _, h, _ in COMPARISON_COLUMNS], *[h for _, h, _ in EFFICIENCY_COLUMNS]], rows))


def _errors_tables(models: dict[str, Any]) -> str:
    """APCER per attack type for every model, and the full model's errors per group (when recorded)."""
    e = html.escape
    parts = []
    apcer_rows = [[e(name), e(attack), _fmt(v, "{:.3f}")] for name, m in models.items()
                  for attack, v in (m.get("metrics", {}).get("apcer_per_attack") or {}).items()]
    if apcer_rows:
        parts.append("<p><b>APCER per attack type</b> (test split)</p>")
        parts.append(_table(["model", "attack type", "APCER"], apcer_rows))
    full_by = models.get("full", {}).get("metrics", {}).get("by", {})
    if full_by:
        parts.append("<p><b>Errors by group</b> (full model, test split, same threshold; small groups are noisy)</p>")
        rows = [[e(key), e(value), str(m["n_real"]), str(m["n_spoof"]), _fmt(m["apcer_all_attacks"], "{:.3f}"),
                 _fmt(m["bpcer"], "{:.3f}")] for key, groups in full_by.items() for value, m in groups.items()]
        parts.append(_table(["group", "value", "real", "spoof", "APCER (all attacks)", "BPCER"], rows))
    return "".join(parts)


def _plugins_and_machine(report: dict[str, Any]) -> str:
    """Which plugin played each role, and the machine the numbers come from."""
    e = html.escape
    parts = ["<h2>Plugins used</h2>",
             _table(["role", "name", "plugin", "class"], [[e(role), e(str(p.get("name"))), e(str(p.get("plugin"))),
                    f"<code>{e(str(p.get('class')))}</code>"] for role, p in report.get("plugins", {}).items()])]
    env = report.get("environment") or {}
    if env:
        parts.append("<h2>Machine</h2>")
        parts.append(f"<p class='muted'>Computed with torch {e(str(env.get('torch')))} on {e(str(env.get('cpu_model')))} "
                     f"({env.get('cpu_count')} CPUs, {env.get('torch_threads')} torch threads, "
                     f"{e(str(env.get('cpu_capability')))}; CUDA {'yes' if env.get('cuda_available') else 'no'}; "
                     f"deterministic algorithms {'on' if env.get('deterministic_algorithms') else 'off'}; load average "
                     f"{e(str(env.get('load_average')))}). Training results differ in their last digits across CPUs; "
                     "compare conclusions, not digits.</p>")
    return "".join(parts)


def rerender(run_dir: str | Path) -> Path:
    """Re-render ``report.html`` from ``report.json`` (``fastk report RUN``)."""
    p = Path(run_dir) / "report.json"
    if not p.is_file():
        raise ConfigError(f"{p}: no report.json in this run folder (has the run finished?)")
    return render_html(json.loads(p.read_text()), run_dir)
