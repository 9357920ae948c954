"""Figures of a stability result: where each area's rank falls, how much cells agree, and which
factor the rank variance comes from (matplotlib's object API, no pyplot; PNG)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from fastk.explain.figures import new_figure

FIGURES = {"rank_heatmap": "stability_ranks.png", "agreement_heatmap": "stability_agreement.png",
           "variance_bar": "stability_variance.png"}
#: Factor colours, the same in every figure.
FACTOR_COLOURS = {"images": "#9e9e9e", "model": "#d9534f", "cam": "#5bc0de", "detector": "#5cb85c",
                  "target": "#f0ad4e", "interactions": "#6f42c1"}


def _save(fig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    return path


def rank_heatmap(result: Mapping[str, Any], path: str | Path) -> Path:
    """P(rank = r) per area (rows, most stable on top) with P(in top k) written on the right."""
    areas = result["areas_by_stability"]
    k = result["k"]
    p = np.array([result["rank"][a]["p_rank"] for a in areas])
    n = p.shape[1]
    fig, ax = new_figure(figsize=(7.2, 0.42 * len(areas) + 1.6))
    im = ax.imshow(p, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    for (i, j), v in np.ndenumerate(p):
        if v >= 0.05:
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7, color="white" if v > 0.55 else "#222")
    ax.axvline(k - 0.5, color="#d9534f", lw=1.5, ls="--")
    ax.set_xticks(range(n), [str(r) for r in range(1, n + 1)])
    ax.set_yticks(range(len(areas)), [f"{a}  (P top-{k} {result['rank'][a]['p_top_k']:.2f})" for a in areas],
                  fontsize=8)
    ax.set_xlabel(f"rank (1 = most important); dashed line: top {k}")
    cells = len(result["cells"])
    ax.set_title(f"P(rank = r) over {cells} cells x {result['n_boot']} image resamples", fontsize=10)
    fig.colorbar(im, ax=ax, fraction=0.035, pad=0.02)
    fig.tight_layout()
    return _save(fig, Path(path))


def agreement_heatmap(result: Mapping[str, Any], path: str | Path,
                      metrics: tuple[str, ...] = ("spearman", "feature_agreement")) -> Path:
    """Pairwise agreement between cells, one panel per metric (Spearman in [-1, 1], the rest in [0, 1])."""
    ag = result["agreement"]
    names = ag["cells"]
    n = len(names)
    fig, axes = new_figure(1, len(metrics), figsize=(5.6 * len(metrics), 6.0))
    for ax, m in zip(np.atleast_1d(axes), metrics):
        v = np.array(ag["matrices"][m], dtype=float)
        lo = -1 if m in ("spearman", "kendall") else 0
        im = ax.imshow(v, cmap="RdYlGn", vmin=lo, vmax=1)
        label = m.replace("_", " ") + (f" (top {result['k']})" if "agreement" in m and m != "sign_agreement_all" else "")
        mean = ag["summary"].get(m, {}).get("mean")
        ax.set_title(f"{label}; mean {mean:.2f}" if mean is not None else label, fontsize=9)
        if n <= 30:
            ax.set_xticks(range(n), names, rotation=90, fontsize=5)
            ax.set_yticks(range(n), names, fontsize=5)
        else:
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_xlabel(f"{n} cells, in the order of stability.json", fontsize=8)
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.02)
    fig.tight_layout()
    return _save(fig, Path(path))


def variance_bar(result: Mapping[str, Any], path: str | Path) -> Path:
    """Stacked bars: share of each area's rank variance per factor; the top bar pools all areas."""
    var = result["variance"]
    areas = result["areas_by_stability"]
    rows = [("all areas", var["shares"])] + [(a, var["by_area"][a]) for a in areas]
    factors = [f for f in FACTOR_COLOURS if f in var["shares"]]
    fig, ax = new_figure(figsize=(7.2, 0.36 * len(rows) + 1.8))
    y = np.arange(len(rows))[::-1]
    left = np.zeros(len(rows))
    for f in factors:
        w = np.array([np.nan_to_num(r.get(f) or 0.0) for _, r in rows])
        ax.barh(y, w, left=left, color=FACTOR_COLOURS[f], label=f, edgecolor="white", lw=0.5)
        left += w
    ax.set_yticks(y, [name for name, _ in rows], fontsize=8)
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of the rank variance")
    ax.set_title("Where the rank variance comes from (main effects; images = bootstrap)", fontsize=10)
    ax.legend(ncol=len(factors), fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.18), frameon=False)
    fig.tight_layout()
    return _save(fig, Path(path))


def write_figures(result: Mapping[str, Any], out_dir: str | Path) -> dict[str, str]:
    """Every stability figure into ``out_dir``; ``{figure: file name relative to out_dir}``."""
    out = Path(out_dir)
    rank_heatmap(result, out / FIGURES["rank_heatmap"])
    variance_bar(result, out / FIGURES["variance_bar"])
    made = {"rank_heatmap": FIGURES["rank_heatmap"], "variance_bar": FIGURES["variance_bar"]}
    if len(result["cells"]) > 1:
        agreement_heatmap(result, out / FIGURES["agreement_heatmap"])
        made["agreement_heatmap"] = FIGURES["agreement_heatmap"]
    return made
