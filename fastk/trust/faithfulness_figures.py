"""Figures of the faithfulness and sanity checks: deletion/insertion curves, per-area drops, the
cascading-randomisation curve. Same look as :mod:`fastk.explain.figures` (matplotlib's object API, no pyplot; ~110 dpi, small notes)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from fastk.common.jsonsafe import write_json
from fastk.explain.figures import new_figure

COLOURS = {"road": "#d9534f", "blackout": "#333333"}


def _save(fig, path: str | Path) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(p)
    return p


def _nan(v) -> np.ndarray:
    return np.array([np.nan if x is None else x for x in v], dtype=float)


def curves_figure(result: Mapping[str, Any], path: str | Path) -> Path:
    """AUC (top) and mean spoof score of attacks (bottom) as areas are deleted / inserted in rank order."""
    fig, axes = new_figure(2, 2, figsize=(9, 6.4), sharex=True)
    n = len(result["ranking"])
    x = np.arange(n + 1)
    for col, kind in enumerate(("deletion", "insertion")):
        for row, key in enumerate(("auc", "spoof_mean")):
            ax = axes[row, col]
            for method, m in result["methods"].items():
                c = COLOURS.get(method, None)
                ax.plot(x, _nan(m[kind][key]), marker="o", ms=3, color=c, label=f"{method}: rank order")
                ro = m.get("random_order", {})
                if kind == "deletion" and ro.get("n"):
                    mean = _nan(ro[key]["mean"])
                    sd = _nan(ro[key]["sd"]) if ro[key]["sd"] else np.zeros_like(mean)
                    ax.plot(x, mean, ls="--", color=c, alpha=0.7, label=f"{method}: random orders ({ro['n']})")
                    ax.fill_between(x, mean - sd, mean + sd, color=c, alpha=0.12)
            ax.set_ylabel("AUC" if key == "auc" else "mean spoof score (attacks)")
            if row == 0:
                ax.set_title(f"{kind}: areas {'removed' if kind == 'deletion' else 'put back'} in ranking order",
                             fontsize=10)
            ax.grid(alpha=0.3)
        axes[1, col].set_xlabel(f"areas {'removed' if kind == 'deletion' else 'restored'}")
    axes[0, 0].legend(fontsize=7)
    fig.text(0.01, 0.01, f"{result['images']} images; ranking: {', '.join(result['ranking'])}", fontsize=7,
             color="#555555")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return _save(fig, path)


def area_drop_chart(result: Mapping[str, Any], path: str | Path) -> Path:
    """Per-area drop of AUC and of the attacks' mean spoof score, with the selected set and random sets."""
    methods = list(result["methods"])
    areas = list(result["ranking"])
    fig, axes = new_figure(1, 2, figsize=(10, 0.36 * len(areas) + 2.4), sharey=True)
    y = np.arange(len(areas))
    h = 0.8 / max(1, len(methods))
    for ax, key, label in ((axes[0], "auc_drop", "AUC drop"), (axes[1], "spoof_drop", "drop of mean spoof score")):
        for j, method in enumerate(methods):
            m = result["methods"][method]
            vals = _nan([m["per_area"][a][key] for a in areas])
            ax.barh(y + j * h - 0.4 + h / 2, np.nan_to_num(vals), height=h, color=COLOURS.get(method),
                    label=f"{method}: one area")
            sel = m["selected"][key]
            r = m["random"][key]
            ax.axvline(np.nan_to_num(sel if sel is not None else np.nan), color=COLOURS.get(method), ls="-", lw=2,
                       alpha=0.6, label=f"{method}: selected set")
            if r["mean"] is not None:
                ax.axvspan((r["mean"] or 0) - (r["sd"] or 0), (r["mean"] or 0) + (r["sd"] or 0),
                           color=COLOURS.get(method), alpha=0.1, label=f"{method}: random sets, mean +- sd")
        ax.axvline(0, color="#999999", lw=0.8)
        lo, hi = ax.get_xlim()
        if hi - lo < 0.02:  # nothing moved: a readable axis instead of 1e-17 ticks
            ax.set_xlim(-0.05, 0.05)
        ax.set_xlabel(label)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(y, [f"{a} ({result['pixel_fraction'][a]:.1%})" for a in areas])
    axes[0].invert_yaxis()
    axes[1].legend(fontsize=7, loc="lower right")
    fig.suptitle("Removing each area (ranking order, top first; share of the input in brackets)", fontsize=10)
    fig.text(0.01, 0.01, result.get("headline", ""), fontsize=6, color="#555555", wrap=True)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return _save(fig, path)


def cascading_figure(sanity: Mapping[str, Any], path: str | Path) -> Path:
    """Spearman of the area ranking with the trained model's as blocks are re-initialised from the top."""
    casc = sanity["cascading"]
    steps = casc["steps"]
    fig, ax = new_figure(figsize=(7, 3.8))
    x = np.arange(len(steps))
    ax.plot(x, _nan([s["spearman"] for s in steps]), marker="o", color="#d9534f", label="Spearman rho")
    ax.plot(x, _nan([s[f"top{sanity['k']}_jaccard"] for s in steps]), marker="s", color="#333333", ls="--",
            label=f"top-{sanity['k']} Jaccard")
    draws = _nan([d["spearman"] for d in sanity.get("draws", [])])
    if len(draws):
        ax.axhspan(np.nanmin(draws), np.nanmax(draws), color="#5bc0de", alpha=0.2,
                   label="fully random weights (range over draws)")
    ax.axhline(0.5, color="#999999", ls=":", lw=1)
    ax.set_xticks(x, [s["block"] for s in steps], rotation=35, ha="right", fontsize=7)
    ax.set_ylim(-1.05, 1.05)
    ax.set_ylabel("agreement with trained ranking")
    ax.set_xlabel("re-initialised down to (output side first, cumulative)")
    ax.set_title("Cascading randomisation (Adebayo et al. 2018)", fontsize=10)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return _save(fig, path)


def write_outputs(result: dict[str, Any], out_dir: str | Path) -> dict[str, Path]:
    """``faithfulness.json``, ``faithfulness_curves.png`` and ``faithfulness_areas.png`` in ``out_dir``."""

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "faithfulness.json"}
    write_json(paths["json"], result, indent=2)
    paths["curves"] = curves_figure(result, out / "faithfulness_curves.png")
    paths["areas"] = area_drop_chart(result, out / "faithfulness_areas.png")
    return paths
