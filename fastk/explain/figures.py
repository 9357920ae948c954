"""Figures a person would rather look at than read: heatmap overlays and importance bar charts."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from fastk.face.alignment import TEMPLATE_FILE

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure


def new_figure(*grid: int, figsize: tuple[float, float], dpi: int = 110, **kwargs: Any) -> tuple[Figure, Any]:
    """A figure and its axes (``Figure.subplots(*grid, **kwargs)``) from matplotlib's object API.

    Why not pyplot: pyplot is global state (a backend, a list of open figures), and switching it to
    Agg inside a library call changed a notebook user's backend. A ``Figure`` saves itself to a file
    with no backend chosen and nothing to close.
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, dpi=dpi)
    return fig, fig.subplots(*grid, **kwargs)


def overlay(image: np.ndarray, heatmap: np.ndarray, polygons: Mapping[str, np.ndarray] | None = None,
            alpha: float = 0.45) -> np.ndarray:
    """RGB image with a JET-coloured heatmap blended on top and area outlines drawn in white."""
    import cv2

    heat = cv2.applyColorMap((np.clip(heatmap, 0, 1) * 255).astype(np.uint8), cv2.COLORMAP_JET)[:, :, ::-1]
    out = cv2.addWeighted(image, 1 - alpha, heat, alpha, 0)
    for poly in (polygons or {}).values():
        pts = np.round(np.asarray(poly) * 16).astype(np.int32)
        cv2.polylines(out, [pts], True, (255, 255, 255), 1, cv2.LINE_AA, shift=4)
    return out


def draw_areas(image: np.ndarray, polygons: Mapping[str, np.ndarray]) -> np.ndarray:
    """Each area filled in its own colour and labelled: to check landmarks and area definitions."""
    import cv2
    from matplotlib import colormaps

    out = image.copy()
    fill = image.copy()
    cmap = colormaps["tab10"]
    for i, poly in enumerate(polygons.values()):
        colour = tuple(int(255 * c) for c in cmap(i % 10)[:3])
        pts = np.round(np.asarray(poly) * 16).astype(np.int32)
        cv2.fillPoly(fill, [pts], colour, cv2.LINE_AA, shift=4)
    out = cv2.addWeighted(out, 0.5, fill, 0.5, 0)
    scale = max(0.3, out.shape[0] / 1400)
    for name, poly in polygons.items():
        cx, cy = np.asarray(poly).mean(axis=0)
        cv2.putText(out, name, (int(cx) - 20, int(cy)), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1,
                    cv2.LINE_AA)
    return out


def importance_bar_chart(summary: Mapping[str, Mapping[str, float]], path: str | Path, *,
                         title: str = "Area importance", note: str = "") -> Path:
    """Horizontal bars, most important on top, with the bootstrap 95% CI as error bars."""
    areas = sorted(summary, key=lambda a: np.nan_to_num(summary[a]["importance"], nan=-1.0))
    vals = np.array([summary[a]["importance"] for a in areas], dtype=float)
    lo = np.array([summary[a]["ci_low"] for a in areas], dtype=float)
    hi = np.array([summary[a]["ci_high"] for a in areas], dtype=float)
    err = np.nan_to_num(np.vstack([vals - lo, hi - vals]), nan=0.0).clip(min=0)
    fig, ax = new_figure(figsize=(6.4, 0.38 * len(areas) + 1.4))
    ax.barh(areas, np.nan_to_num(vals), xerr=err, color="#d9534f", ecolor="#333333", capsize=3)
    ax.set_xlim(0, 1)
    ax.set_xlabel("mean heat inside the area (0-1), with bootstrap 95% CI")
    ax.set_title(title, fontsize=11)
    if note:
        fig.text(0.01, 0.01, note, fontsize=7, color="#555555")
    fig.tight_layout(rect=(0, 0.04 if note else 0, 1, 1))
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(p)
    return p


def mean_face() -> np.ndarray:
    """The mean dlib-68 shape (eye midpoint at 0, inter-ocular distance 1) shipped with fastk."""
    import yaml

    data = yaml.safe_load(TEMPLATE_FILE.read_text())
    return np.asarray(data["points"], dtype=np.float32)


def face_diagram(importance: Mapping[str, float], area_set, path: str | Path, *, title: str = "") -> Path:
    """The paper's areas drawn on the mean face, each filled by its importance (0-1, same scale)."""
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize
    from matplotlib.patches import Polygon

    pts = mean_face()
    cmap = colormaps["inferno"]
    fig, ax = new_figure(figsize=(4.2, 4.8))
    ax.plot(*pts[0:17].T, color="#999999", lw=1)  # jaw line for orientation
    for name, poly in area_set.polygons(pts).items():
        v = importance.get(name)
        colour = cmap(0.15 + 0.85 * float(v)) if v is not None and np.isfinite(v) else (0.85, 0.85, 0.85, 1)
        ax.add_patch(Polygon(poly, closed=True, facecolor=colour, edgecolor="white", lw=0.8, alpha=0.95))
        cx, cy = poly.mean(axis=0)
        label = f"{v:.2f}" if v is not None and np.isfinite(v) else "-"
        ax.text(cx, cy, label, ha="center", va="center", fontsize=7, color="white" if (v or 0) < 0.6 else "black")
    ax.set_xlim(pts[:, 0].min() - 0.2, pts[:, 0].max() + 0.2)
    ax.set_ylim(pts[:, 1].max() + 0.2, min(pts[:, 1].min(), -0.6) - 0.2)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title or "Area importance on the mean face (image left = left)", fontsize=9)
    sm = ScalarMappable(cmap=cmap, norm=Normalize(0, 1))
    fig.colorbar(sm, ax=ax, fraction=0.04, pad=0.02)
    fig.tight_layout()
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(p)
    return p
