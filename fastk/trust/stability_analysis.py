"""How stable is the area ranking over a grid of explorations: the ``stability.json`` result.

:func:`run_stability` is the whole job (grid + analysis + ``stability.json`` + figures); the pieces
are public so a pipeline or a notebook can call them apart: :func:`fastk.trust.stability_grid.run_grid`
makes the cells, :func:`analyse` turns cells into the result, :func:`write_stability` writes it.

The uncertainty covers two sources at once: the grid's factors (model/seed, CAM method, detector,
CAM target), one cell per combination, and the images, by bootstrap resamples of each cell's
per-image rows (the same resamples in every cell).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from fastk.common.jsonsafe import jsonable, write_json
from fastk.errors import ConfigError
from fastk.explain import face_heat
from fastk.explain import ranking_stats as rs
from fastk.trust.check_subset import stratified_subset
from fastk.trust.stability_figures import write_figures
from fastk.trust.stability_grid import FACTORS, Cell, StabilityConfig, cell_areas, run_grid

if TYPE_CHECKING:  # pragma: no cover
    from fastk.explain.selection import AreaSelector

STABILITY_JSON = "stability.json"
MAX_SETS = 50  # top-k sets listed in stability.json (those the cells came out with are always listed)


def analyse(cells: Sequence[Cell], areas: Sequence[str], *, k: int = 4, n_boot: int = 200, seed: int = 0,
            planted: Sequence[str] | None = None) -> dict[str, Any]:
    """The stability result (what ``stability.json`` holds) from finished cells."""
    if not cells:
        raise ConfigError("stability: no finished cell to analyse")
    areas = list(areas)
    if not 1 <= k < len(areas):
        raise ConfigError(f"stability.k: must be between 1 and {len(areas) - 1} (there are {len(areas)} areas), not {k}")
    images, x = _per_image_scores(cells, areas)
    with np.errstate(invalid="ignore"), rs._no_warnings():
        point = np.nanmean(x, axis=1)  # cells x areas: each cell's area importance
    idx = rs.bootstrap_indices(len(images), n_boot, seed)
    boot_ranks = np.stack([rs.ranks(rs.bootstrap_means(xc, idx)) for xc in x])  # cells, n_boot, areas
    point_ranks = rs.ranks(point)
    rank, order = _rank_entry(boot_ranks, point_ranks, areas, k)
    levels = {f: [getattr(c, f) for c in cells] for f in FACTORS}
    grid = {f: sorted(set(v), key=v.index) for f, v in levels.items()}
    verdict = rs.verdict(point, areas, k)
    tops = boot_ranks <= k
    verdict["share_with_image_resamples"] = float(np.mean(
        [[{areas[i] for i in np.flatnonzero(t)} == set(verdict["set"]) for t in cell] for cell in tops]))
    result = {
        "version": 1,
        "areas": areas,
        "k": k,
        "n_boot": n_boot,
        "seed": seed,
        "n_images": len(images),
        "grid": grid,
        "cells": [_cell_summary(c, point[i], point_ranks[i], k, areas) for i, c in enumerate(cells)],
        "areas_by_stability": [areas[i] for i in order],
        "rank": rank,
        "p_top_k_by": {f: {lv: dict(zip(areas, rs.p_top_k(boot_ranks[np.asarray(levels[f]) == lv], k).tolist()))
                           for lv in grid[f]} for f in FACTORS},
        "agreement": _agreement_summary(rs.agreement_matrices(point, k), cells),
        "variance": _variance_entry(rs.variance_shares(boot_ranks, levels), areas),
        "verdict": verdict,
        "stable_top_k": [areas[i] for i in order[:k]],
        "top_k_sets": _top_k_sets(tops, point_ranks, k, areas),
        "on_face": face_heat.over_cells(cells),
    }
    if planted:
        result["planted"] = planted_recovery(boot_ranks, point_ranks, areas, levels["cam"], planted)
    return result


def _per_image_scores(cells: Sequence[Cell], areas: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """The images any cell scored, and a cells x images x areas array (NaN where a cell lacks an image),
    so every cell is resampled over the same images."""
    images = sorted({p for c in cells for p in c.per_image})
    nan_row = np.full(len(areas), np.nan)
    return images, np.stack([np.stack([c.per_image.get(p, nan_row) for p in images]) for c in cells])


def _rank_entry(boot_ranks: np.ndarray, point_ranks: np.ndarray, areas: Sequence[str],
                k: int) -> tuple[dict[str, Any], list[int]]:
    """Each area's rank distribution, mean rank with its 95% interval and P(in top k), over cells alone and
    cells x image resamples; and the area indices from the most to the least stable in the top k."""
    p_rank = rs.rank_distribution(boot_ranks)
    p_rank_cells = rs.rank_distribution(point_ranks)
    p_top = rs.p_top_k(boot_ranks, k)
    p_top_cells = rs.p_top_k(point_ranks, k)
    mean_rank = boot_ranks.reshape(-1, len(areas)).mean(axis=0)
    lo, hi = np.percentile(boot_ranks.reshape(-1, len(areas)), [2.5, 97.5], axis=0)
    rank = {a: {"p_rank": p_rank[i].tolist(), "p_rank_cells": p_rank_cells[i].tolist(),
                "mean_rank": float(mean_rank[i]), "rank_ci95": [float(lo[i]), float(hi[i])],
                "p_top_k": float(p_top[i]), "p_top_k_cells": float(p_top_cells[i])}
            for i, a in enumerate(areas)}
    return rank, sorted(range(len(areas)), key=lambda i: (-p_top[i], mean_rank[i], areas[i]))


def _variance_entry(variance: Mapping[str, Any], areas: Sequence[str]) -> dict[str, Any]:
    """:func:`fastk.explain.ranking_stats.variance_shares` per area name, with its definition."""
    return {"shares": variance["pooled"],
            "by_area": dict(zip(areas, variance["by_area"])),
            "rank_variance": dict(zip(areas, variance["total_variance"])),
            "definition": "share of the total variance of the areas' ranks over cells x image resamples: "
                          "images = mean within-cell variance (bootstrap); each factor = variance of its "
                          "level means (main effect); interactions = the rest of the between-cell variance"}


def _top_k_sets(tops: np.ndarray, point_ranks: np.ndarray, k: int, areas: Sequence[str]) -> list[dict[str, Any]]:
    """The most frequent top-k sets over cells x image resamples (``MAX_SETS`` of them) plus every set a cell
    came out with, most frequent first, with their shares."""
    n_cells = len(point_ranks)
    set_counts = Counter(tuple(np.flatnonzero(t)) for cell in tops for t in cell)
    cell_sets = Counter(tuple(sorted(c)) for c in (np.flatnonzero(r <= k) for r in point_ranks))
    listed = sorted(set(set_counts.most_common(MAX_SETS)) | {(s, set_counts.get(s, 0)) for s in cell_sets},
                    key=lambda kv: -kv[1])
    return [{"set": [areas[i] for i in st], "share_of_cells": cell_sets.get(st, 0) / n_cells,
             "share_with_image_resamples": n / tops.shape[0] / tops.shape[1]} for st, n in listed]


def planted_recovery(boot_ranks: np.ndarray, point_ranks: np.ndarray, areas: Sequence[str], cams: Sequence[str],
                     planted: Sequence[str]) -> dict[str, Any]:
    """Per CAM method: how often all planted areas are the top ``len(planted)`` (cells, and cells x resamples)."""
    unknown = [a for a in planted if a not in areas]
    if unknown:
        raise ConfigError(f"stability.planted: unknown area(s) {', '.join(unknown)}; known: {', '.join(areas)}")
    m = len(planted)
    cols = [list(areas).index(a) for a in planted]
    cam_of = np.asarray(cams)
    by_cam: dict[str, dict[str, Any]] = {}
    for cam in sorted(set(cam_of.tolist()), key=list(cam_of).index):
        sel = cam_of == cam
        on_top_cells = (point_ranks[sel][:, cols] <= m).all(axis=1)
        on_top_boot = (boot_ranks[sel][:, :, cols] <= m).all(axis=2)
        by_cam[cam] = {"cells": int(sel.sum()), "share_of_cells": float(on_top_cells.mean()),
                       "p_all_on_top": float(on_top_boot.mean()),
                       "p_each_on_top": {a: float((boot_ranks[sel][:, :, c] <= m).mean()) for a, c in zip(planted, cols)}}
    return {"areas": list(planted), "top": m, "by_cam": by_cam,
            "recovered_by": [c for c, v in by_cam.items() if v["p_all_on_top"] >= 0.9],
            "rule": f"a method recovers the cue when all {m} planted areas are the top {m} in >= 90% of its "
                    "cells x image resamples"}


def _cell_summary(c: Cell, importance: np.ndarray, rank: np.ndarray, k: int, areas: Sequence[str]) -> dict[str, Any]:
    return {"name": c.name, **c.levels(), "dir": f"cells/{c.dir.name}", "images_used": len(c.per_image),
            "images_skipped": c.skipped, "importance": dict(zip(areas, importance.tolist())),
            "ranking": [areas[i] for i in np.argsort(rank)], "top_k": sorted(areas[i] for i in np.flatnonzero(rank <= k))}


def _agreement_summary(matrices: Mapping[str, np.ndarray], cells: Sequence[Cell]) -> dict[str, Any]:
    """Matrices, their off-diagonal mean/min, and the mean over pairs of cells differing in one factor only."""
    n = len(cells)
    iu = np.triu_indices(n, 1)
    summary = {m: {"mean": float(np.nanmean(v[iu])), "min": float(np.nanmin(v[iu]))} if n > 1 else {}
               for m, v in matrices.items()}
    by_factor = {}
    for f in FACTORS:
        pairs = [(i, j) for i, j in zip(*iu) if _differ_only_in(cells[i], cells[j], f)]
        if pairs:
            by_factor[f] = {"pairs": len(pairs), **{m: float(np.nanmean([v[i, j] for i, j in pairs]))
                                                    for m, v in matrices.items()}}
    return {"metrics": list(matrices), "cells": [c.name for c in cells],
            "matrices": {m: v.tolist() for m, v in matrices.items()}, "summary": summary,
            "by_factor": by_factor}


def _differ_only_in(a: Cell, b: Cell, factor: str) -> bool:
    la, lb = a.levels(), b.levels()
    return la[factor] != lb[factor] and all(la[f] == lb[f] for f in FACTORS if f != factor)


def run_stability(
    checkpoints: Mapping[str, str | Path],
    samples,
    out_dir: str | Path,
    config: StabilityConfig | Mapping[str, Any] | None = None,
    *,
    cache=None,
    device: str | None = None,
    show_progress: bool = True,
    figures: bool = True,
    where: str = "stability",
    one_class: bool = False,
) -> dict[str, Any]:
    """Grid + analysis + ``out_dir/stability.json`` + figures; returns the result (resumable).

    The images and ``where``/``one_class`` as in :func:`~fastk.trust.stability_grid.run_grid`; which images,
    and their make-up, are under ``subset``."""
    cfg = StabilityConfig.coerce(config)
    samples, subset = stratified_subset(samples, cfg.max_images, cfg.seed, where=where, one_class=one_class)
    cells = run_grid(checkpoints, samples, out_dir, cfg, cache=cache, device=device, show_progress=show_progress,
                     where=where, one_class=one_class)  # draws the same images again: all of them
    result = analyse(cells, cell_areas(cells[0]), k=cfg.k, n_boot=cfg.n_boot, seed=cfg.seed, planted=cfg.planted)
    result["subset"] = subset
    result["config"] = {k: v for k, v in vars(cfg).items()}
    result["checkpoints"] = {label: str(p) for label, p in checkpoints.items()}
    result["slow_cams"] = cells[0].slow_cams
    if cache is not None:
        result["landmark_cache"] = {"hits": cache.hits, "misses": cache.misses}
    return write_stability(result, out_dir, figures=figures)


def write_stability(result: dict[str, Any], out_dir: str | Path, *, figures: bool = True) -> dict[str, Any]:
    """Write the figures (names recorded in ``result['figures']``, relative to ``out_dir``) and strict JSON."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if figures:

        result["figures"] = write_figures(result, out)
    clean = jsonable(result)
    write_json(out / STABILITY_JSON, clean, indent=1)
    return clean


def load_stability(path: str | Path) -> dict[str, Any]:
    """A ``stability.json`` (or the folder holding one), with a one-line error for anything else."""
    p = Path(path)
    if p.is_dir():
        p = p / STABILITY_JSON
    try:
        data = json.loads(p.read_text())
        data["rank"], data["verdict"]  # noqa: B018 - the keys every reader needs
    except FileNotFoundError:
        raise ConfigError(f"{p}: no {STABILITY_JSON} found") from None
    except (ValueError, KeyError, TypeError):
        raise ConfigError(f"{p}: not a {STABILITY_JSON} written by fastk") from None
    return data


def p_set(result: Mapping[str, Any], keep: Sequence[str]) -> dict[str, Any]:
    """How often exactly the areas ``keep`` were the top-k set (k = ``len(keep)`` must be the result's k):
    ``{"share_of_cells", "share_with_image_resamples"}``; what a run reports as P(selected set).
    A set too rare to be listed has a resample share below the rarest listed one (given as ``below``)."""
    if len(keep) != result["k"]:
        raise ConfigError(f"stability: the result is about top-{result['k']} sets, not sets of {len(keep)} areas")
    want = sorted(keep)
    sets = result["top_k_sets"]
    for entry in sets:
        if sorted(entry["set"]) == want:
            return {"share_of_cells": entry["share_of_cells"],
                    "share_with_image_resamples": entry["share_with_image_resamples"]}
    return {"share_of_cells": 0.0, "share_with_image_resamples": None,
            "below": min((e["share_with_image_resamples"] for e in sets), default=0.0)}


def p_in_top(result: Mapping[str, Any], k: int, *, over: str = "cells_and_images") -> dict[str, float]:
    """``{area: P(area in the top k)}`` for any ``k``, from the stored rank distribution.

    ``over="cells"`` uses the cells' own rankings only; the default also counts image resamples.
    This mapping is what a selector ranks by to choose from the stability result.
    """
    key = {"cells_and_images": "p_rank", "cells": "p_rank_cells"}[over]
    return {a: float(sum(v[key][:k])) for a, v in result["rank"].items()}


def select_areas(selector: AreaSelector, *, importance: Mapping[str, float] | None = None, rows=None, areas=None,
                 stability: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Run any selector with what it chooses from (:meth:`AreaSelector.chooses_from`): a stability
    result (``select_from_stability``), per-image rows (``select_from_rows``) or, for the others and
    when that input is missing, the importance mapping. Returns ``{selector, keep, complement, input}``
    (what a pipeline records)."""
    order = list(importance or (stability or {}).get("areas_by_stability") or areas or [])
    wants = selector.chooses_from()
    if wants == "stability" and stability is not None:
        keep, used = selector.select_from_stability(stability), "stability"
        order = stability["areas_by_stability"]
    elif wants == "rows" and rows is not None:
        keep, used = selector.select_from_rows(rows, areas), "per-image rows"
    elif importance is not None:
        keep, used = selector.select(importance), "importance"
    else:
        needs = {"stability": "a stability result", "rows": "per-image rows"}.get(wants, "area importances")
        raise ConfigError(f"selector {selector.describe()!r}: needs {needs}")
    return {"selector": selector.describe(), "keep": keep, "complement": [a for a in order if a not in keep],
            "input": used}


def verdict_k(selector: AreaSelector, configured: int | None = None) -> int:
    """The top-k a stability verdict counts: ``configured`` (``stability.k``), else the selector's own
    :meth:`~fastk.explain.selection.AreaSelector.verdict_k`, else 4. Never a selector attribute read by name: a
    third-party selector's ``k`` may count something else (pairs of areas)."""
    if configured:
        return int(configured)
    return int(selector.verdict_k() or 4)
