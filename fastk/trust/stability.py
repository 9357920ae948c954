"""How stable is an area ranking? Compare explorations made with other CAM methods, seeds or
landmark detectors (the paper's future work; Krishna et al. 2022 on explanation disagreement).

Each input is an ``area_importance.json`` (from ``fastk explore`` or a run's ``explore/`` folder).
For every pair: Spearman rho, Kendall tau and top-k Jaccard of the 10-area importance vectors, and
Krishna et al.'s (2022) top-k feature, rank and sign agreement (:func:`fastk.explain.ranking_stats.agreement`).
To *make* the explorations and measure stability over a whole grid (seeds, CAM methods, detectors,
targets, image resamples), use ``fastk stability`` (:mod:`fastk.trust.stability_analysis`).
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np

from fastk.errors import ConfigError
from fastk.explain.importance import importance_vector, rank_agreement
from fastk.explain.ranking_stats import agreement


def load_importance(path: str | Path) -> tuple[str, dict[str, float], dict[str, Any]]:
    """``(label, {area: importance}, settings)`` from an area_importance.json or a folder holding one."""
    p = Path(path)
    if p.is_dir():
        p = p / "area_importance.json" if (p / "area_importance.json").exists() else p / "explore" / "area_importance.json"
    if not p.is_file():
        raise ConfigError(f"{path}: no area_importance.json found")
    try:
        data = json.loads(p.read_text())
        vec = importance_vector(data["overall"])
    except (ValueError, KeyError, TypeError):
        raise ConfigError(f"{p}: not an area_importance.json written by fastk") from None
    s = data.get("settings", {})
    label = f"{s.get('cam', '?')}/{s.get('landmarks', '?')}/seed{s.get('seed', '?')}"
    return label, vec, s


def compare(paths: list[str | Path], *, k: int = 4) -> dict[str, Any]:
    """Pairwise agreement between two or more explorations."""
    if len(paths) < 2:
        raise ConfigError("compare needs at least two explorations")
    loaded = [load_importance(p) for p in paths]
    labels = [f"{i}:{lbl}" for i, (lbl, _, _) in enumerate(loaded)]
    pairs = []
    for (i, a), (j, b) in itertools.combinations(enumerate(loaded), 2):
        common = sorted(set(a[1]) & set(b[1]))
        krishna = agreement(np.array([a[1][x] for x in common]), np.array([b[1][x] for x in common]), k)
        pairs.append({"a": labels[i], "b": labels[j], **rank_agreement(a[1], b[1], k=k),
                      **{m: v for m, v in krishna.items() if m not in ("spearman", "kendall")}})
    rankings = {labels[i]: sorted(v, key=lambda x: -v[x]) for i, (_, v, _) in enumerate(loaded)}
    return {"sources": {labels[i]: str(p) for i, p in enumerate(paths)}, "k": k, "pairs": pairs, "rankings": rankings}
