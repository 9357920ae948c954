"""Report sections for the checks of the ranking (sanity, stability, faithfulness) and for speed.

Each function takes the ``report.json`` dict (and the run folder, for figures) and returns an HTML
fragment; an absent part gives an empty string, so reports of older runs still render.
"""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import Any

from fastk.explain import face_heat
from fastk.report.stability_html import stability_section
from fastk.report.style import figure_html
from fastk.trust.check_subset import makeup_line
from fastk.trust.sanity import models_line

e = html.escape


def _f(value: Any, fmt: str = "{:.2f}") -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return fmt.format(value)


def images_line(result: dict[str, Any]) -> str:
    """The check's images in one line (:func:`fastk.trust.check_subset.makeup_line`); empty for older runs."""

    subset = result.get("subset")
    return f"<p class='muted'>Images of this check: {e(makeup_line(subset))}.</p>" if subset else ""


def on_face(importance: dict[str, Any], grid: dict[str, Any] | None = None,
            baseline: dict[str, Any] | None = None) -> str:
    """Share of the CAM heat on the face per real/attack type, beside the face's share of the pixels; when
    the run has a stability grid, the ratio over its seeds, CAM methods and detectors; and, when the sanity
    check ran, the trained models' ratio beside the same architecture's with random weights."""
    groups = importance.get("on_face") or {}
    if not groups and not grid:
        return ""
    rows = "".join(
        f"<tr><td>{e(name)}</td><td>{_f(g['heat_share'], '{:.0%}')}</td><td>{_f(g['pixel_share'], '{:.0%}')}</td>"
        f"<td>{_f(face_heat.ratio(g))}</td><td>{g['n']}</td></tr>"
        for name, g in groups.items())
    own = ("<table><thead><tr><th>images</th><th>heat on the face</th><th>face pixels</th><th>ratio</th><th>n</th>"
           "</tr></thead><tbody>" + rows + "</tbody></table>") if groups else ""
    return ("<h3>Is the explanation on the face?</h3>"
            "<p>Share of each map's heat inside the face (the convex hull of the 68 landmarks, eyebrows to chin), "
            "beside the share of the image the face covers. A heat share well below the pixel share (ratio under 1) "
            "means the model explains its decision with what surrounds the face (background, hair, a screen's "
            "bezel), and an area ranking of it says little about faces."
            + (" The run's model, as explored above:" if groups else "") + "</p>" + own + _on_face_grid(grid or {})
            + _on_face_baseline(baseline or {}))


def _on_face_baseline(baseline: dict[str, Any]) -> str:
    """Trained vs random weights (``sanity.json`` ``on_face``): the ratio a model gets without learning."""
    trained, random = baseline.get("trained") or {}, baseline.get("random") or {}
    if not random:
        return ""

    def cell(g: dict[str, Any] | None) -> str:
        return f"<b>{_f(g['median'])}</b> ({_f(g['min'])} - {_f(g['max'])}), {g['n']}" if g else "-"

    rows = "".join(f"<tr><td>{e(name)}</td><td>{cell(trained.get(name))}</td><td>{cell(random.get(name))}</td></tr>"
                   for name in dict.fromkeys([*trained, *random]))
    return ("<p>The ratio is not zero-based: the CAM's grid and padding and where the face sits in the crop move "
            "it for a model that learned nothing. The sanity check's images, explored by the trained models and "
            "by the same architecture with random weights: only a trained ratio above the random one is the "
            "model's own look at the face.</p>"
            "<table><thead><tr><th>images</th><th>trained: median (range), models</th>"
            "<th>random weights: median (range), draws</th></tr></thead><tbody>" + rows + "</tbody></table>")


def _on_face_grid(grid: dict[str, Any]) -> str:
    """The heat-to-pixel ratio over the stability grid's cells (``stability.json`` ``on_face``) as a table."""
    if not grid:
        return ""
    rows = "".join(
        f"<tr><td>{e(target)}</td><td>{e(name)}</td><td><b>{_f(g['median'])}</b> ({_f(g['min'])} - {_f(g['max'])})</td>"
        f"<td>{g['cells']}</td><td>{e(', '.join(f'{c} {v:.2f}' for c, v in g['by_cam'].items()))}</td></tr>"
        for target, groups in grid.items() for name, g in groups.items())
    return ("<p>One model's ratio is noise: the same recipe trained with other seeds puts its heat elsewhere. "
            "Over the stability grid's cells (every training seed, CAM method and detector, on its images), "
            "the ratio per CAM target:</p>"
            "<table><thead><tr><th>target</th><th>images</th><th>ratio: median (range)</th><th>cells</th>"
            "<th>median per CAM method</th></tr></thead><tbody>" + rows + "</tbody></table>")


def sanity(report: dict[str, Any], run: Path) -> str:
    s = report.get("sanity")
    if not s:
        return ""
    spread = s.get("spearman") or {}
    verdict = s.get("verdict") or ("passes" if s.get("passes") else "fails")
    draws = len(s.get("draws") or []) or 1
    models = s.get("models") or {}
    first = f"the first trained model's ({e(next(iter(models)))})" if len(models) > 1 else "the trained model's"
    out = ["<h3>Sanity check: does the ranking depend on what the model learned?</h3>",
           f"<p>The same exploration with the architecture's weights freshly initialised (model randomisation, "
           f"Adebayo et al. 2018), {draws} random draws on {s['images']} images: Spearman agreement with {first} "
           f"ranking median {_f(spread.get('median', s['agreement']['spearman']))} (range "
           f"{_f(spread.get('min'))} to {_f(spread.get('max'))}); per-image area scores move by "
           f"{_f(s['mean_abs_area_score_change'], '{:.3f}')} on average.</p>"]
    if len(models) > 1:
        out.append(f"<p>Over the {len(models)} trained models of the recipe (training seeds), each against the same "
                   "random draws: " + e(models_line(models)) + ". Which of them a machine trains depends on its "
                   "float arithmetic, so one model's verdict is not the recipe's; the cascading figure is the first "
                   "model's.</p>")
    out += [f"<p>Verdict: <b>{e(verdict.upper())}</b> ({e(s['rule'])}). A failing check means the ranking "
            "reflects the architecture and face geometry more than the learned model: do not let it alone "
            "decide which areas to keep.</p>", images_line(s)]
    casc = s.get("cascading")
    if casc:
        out.append(f"<div class='figs'>{figure_html(run, s.get('figure'), 'Cascading randomisation: agreement with the trained ranking as blocks are re-initialised from the output side')}</div>")
    return "".join(out)


def stability(report: dict[str, Any], run: Path) -> str:
    result = report.get("stability")
    if not result:
        return ""

    sel = report.get("selection", {})
    p = sel.get("p_selected_set")
    line = ""
    if p:
        line = (f"<p>The selected set ({e(', '.join(sel.get('keep', [])))}) was the top-{result['k']} set in "
                f"<b>{_f(p.get('share_of_cells'), '{:.0%}')}</b> of the cells"
                + (f" and {_f(p.get('share_with_image_resamples'), '{:.0%}')} of cells x image resamples" if
                   p.get("share_with_image_resamples") is not None else "") + ".</p>")
    return (stability_section(result, run / "stability", heading="h3", source_prefix="stability/") + line
            + images_line(result))


def faithfulness(report: dict[str, Any], run: Path) -> str:
    f = report.get("faithfulness")
    if not f:
        return ""
    rows = []
    for method, m in f["methods"].items():
        sel, rnd = m["selected"], m["random"]
        rows.append(f"<tr><td>{e(method)}</td><td>{_f(m['base'].get('auc'), '{:.3f}')}</td>"
                    f"<td>{_f(sel['auc_drop'], '{:.3f}')}</td><td>{_f(rnd['auc_drop']['mean'], '{:.3f}')} +- "
                    f"{_f(rnd['auc_drop']['sd'], '{:.3f}')}</td><td>{_f(rnd['p_auc_drop'])}</td>"
                    f"<td>{_f(sel['spoof_drop'], '{:.3f}')}</td><td>{'yes' if m['beats_random'] else 'no'}</td></tr>")
    figs = "".join(figure_html(run, rel, cap) for rel, cap in (
        ("faithfulness/faithfulness_curves.png", "Deletion and insertion curves in ranking order, with random orders"),
        ("faithfulness/faithfulness_areas.png", "Drop of the spoof score when each area alone is removed")))
    return ("<h3>Faithfulness: do the top areas carry the model's decision?</h3>"
            f"<p>Each area, and the selected set, removed from the {f['images']} explored images at the model's input "
            "(no retraining) and the images scored again, compared with random area sets of the same pixel count. "
            f"<b>{e(f['headline'])}</b>.</p>"
            "<table><thead><tr><th>removal</th><th>AUC before</th><th>AUC drop (selected)</th>"
            "<th>AUC drop (random sets)</th><th>share of random sets dropping as much</th>"
            "<th>attack score drop (selected)</th><th>beats random</th></tr></thead><tbody>" + "".join(rows)
            + f"</tbody></table><p class='muted'>{e(f['rule'])}</p>{images_line(f)}<div class='figs'>{figs}</div>")


def speed(report: dict[str, Any]) -> str:
    s = report.get("speed")
    if not s:
        return ""
    rows = []
    for name, m in s["models"].items():
        rows.append(f"<tr><td>{e(name)}</td><td>{m['input_size']}</td>"
                    f"<td>{_f(m['inference_flops_per_image'] / 1e9, '{:.3f}')}</td>"
                    f"<td>{_f(m['inference_flops_vs_reference'], '{:.2f}')}</td>"
                    f"<td>{_f(m['inference_ms_per_image'])} ({_f(m['inference_ms_spread'][0])}-{_f(m['inference_ms_spread'][1])})</td>"
                    f"<td>{_f(m['inference_time_vs_reference'], '{:.2f}')}</td>"
                    f"<td>{_f(m['train_step_flops_vs_reference'], '{:.2f}')}</td>"
                    f"<td>{_f(m['train_step_time_vs_reference'], '{:.2f}')}</td></tr>")
    return ("<h3>Speed</h3><p>Compute per image as FLOPs (machine-independent) and as time measured in short "
            f"interleaved rounds on this machine (load average {e(str(s.get('load_average')))}, "
            f"timed on {s.get('timing_threads', s.get('threads'))} torch thread(s); the run itself used "
            f"{s.get('run_torch_threads', s.get('torch_threads'))}). {e(s['method'])}. Ratios are relative to the full model; "
            "the s/epoch column above is the wall time of this run's trainings and moves with machine load.</p>"
            "<table><thead><tr><th>model</th><th>input px</th><th>inference GFLOPs</th><th>FLOPs vs full</th>"
            "<th>inference ms / image (IQR)</th><th>time vs full</th><th>training-step FLOPs vs full</th>"
            "<th>training-step time vs full</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>")
