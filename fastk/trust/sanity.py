"""Sanity checks for explanations (Adebayo et al. 2018, "Sanity checks for saliency maps"), as
distributions rather than one draw: an explanation that barely changes when the model's weights are
replaced by random ones explains the image or the architecture, not what the model learned.

* **Model randomisation**: the area importance of the trained model against that of the same
  architecture freshly initialised, ``draws`` times with seeds ``seed, seed + 1, ...`` (same CAM method,
  target, landmarks, images). One random initialisation can agree with the trained ranking by chance
  (the demo saw Spearman 0.81 on one machine and 0.18 on another), so the verdict is read from the
  distribution of Spearman rho over the draws: **passes** when its upper quartile is below 0.5,
  **fails** when its median is at or above 0.5, **borderline** in between (reported as not passing).
* **Across training seeds** (``other_models``): one trained model is one draw of its recipe, and which
  one a machine trains depends on its float arithmetic (the demo's seed-0 model failed with 2 threads,
  median 0.67, and passed with 1, 0.17). With several models of one recipe the verdict is the recipe's:
  each model's median over the *same* random draws, then the same quartile rule over those medians
  (the model is the unit of replication); every model's own verdict is kept beside it.
* **Cascading randomisation**: the trained weights re-initialised block by block from the output side
  (one more block each step, weights from the first random draw), the ranking's agreement with the
  trained one after each step: a faithful explanation loses the ranking as soon as the top blocks go.
* **Label randomisation** (optional, costly: :func:`label_randomisation_check`): the same recipe trained
  on shuffled labels; a ranking that survives it does not come from the real/spoof labels.
"""

from __future__ import annotations

import copy
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from fastk.data.datasets import Sample
from fastk.errors import ConfigError
from fastk.explain import face_heat
from fastk.explain.explore import ExploreSettings, explore, read_area_rows
from fastk.explain.importance import importance_vector, rank_agreement
from fastk.model.checkpoints import load_checkpoint
from fastk.model.training.trainer import TrainConfig, train
from fastk.trust.check_subset import stratified_subset

DRAWS = 5
RULE = ("passes when the upper quartile of Spearman rho between the trained and the randomly initialised "
        "model's area importance, over the draws, is below 0.5; fails when its median is 0.5 or more; "
        "borderline otherwise")
RECIPE_RULE = ("over the trained models of one recipe (training seeds): each model's median Spearman rho over "
               "the same random draws; passes when the upper quartile of those medians is below 0.5, fails when "
               "their median is 0.5 or more, borderline otherwise")


def verdict(spearman: list[float]) -> str:
    """``passes`` / ``borderline`` / ``fails`` from the Spearman values of the random draws (see :data:`RULE`)."""
    v = np.array([x for x in spearman if x is not None and np.isfinite(x)], dtype=float)
    if not len(v):
        return "borderline"
    if np.quantile(v, 0.75) < 0.5:
        return "passes"
    return "fails" if np.median(v) >= 0.5 else "borderline"


def recipe_verdict(models: Mapping[str, Mapping[str, Any]]) -> str:
    """The verdict over several trained models of one recipe (see :data:`RECIPE_RULE`); one model: its own."""
    if len(models) == 1:
        return str(next(iter(models.values()))["verdict"])
    return verdict([m["spearman"]["median"] for m in models.values()])


def models_line(models: Mapping[str, Mapping[str, Any]]) -> str:
    """``seed0 fails (median 0.67), seed1 passes (0.15), ...``: each trained model's own verdict."""
    parts = [f"{n} {m['verdict']} ({'median ' if i == 0 else ''}{m['spearman']['median']:.2f})"
             for i, (n, m) in enumerate(models.items())]
    return ", ".join(parts)


def randomisation_check(samples: list[Sample], backbone, model, settings: ExploreSettings | None = None, *,
                        seed: int = 1234, out_dir: str | Path | None = None, k: int = 4, draws: int = DRAWS,
                        cascading: bool = True, max_blocks: int = 6, name: str = "model",
                        other_models: Mapping[str, Any] | None = None, max_images: int | None = None,
                        subset_seed: int = 0, where: str = "sanity") -> dict[str, Any]:
    """Area importance of ``model`` vs ``draws`` random initialisations, and the cascading curve.

    Keys kept from the one-draw version: ``passes``, ``agreement`` (now the *median* over draws of
    Spearman, Kendall and top-k Jaccard), ``mean_abs_area_score_change`` (mean over draws), ``method``,
    ``images``, ``trained``, ``randomised`` (now the mean importance over draws), ``rule``. New: ``verdict``,
    ``draws``, ``spearman`` (median, quartiles, min, max), ``cascading``, ``on_face`` (the heat-on-face ratio
    of the trained models and of the random draws, :func:`fastk.explain.face_heat.ratio_spread`), ``models`` (each trained model's
    own verdict and Spearman spread, ``model`` under ``name`` first). ``other_models`` (name -> model of
    the same architecture, e.g. other training seeds) are compared with the same random draws, and then
    ``verdict``/``passes``/``rule`` are the recipe's (:func:`recipe_verdict`); the other keys stay ``model``'s.
    The images: at most ``max_images`` of ``samples``, label-balanced and drawn with ``subset_seed``
    (:func:`fastk.trust.check_subset.stratified_subset`; recorded under ``subset``); one class is refused,
    naming ``where``: a ranking of live faces alone cannot say what the model uses to tell an attack.
    """

    if draws < 1:
        raise ConfigError(f"sanity: draws must be at least 1, got {draws}")
    s = settings or ExploreSettings(overlays=0)
    samples, subset = stratified_subset(samples, max_images, subset_seed, where=where)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(out_dir) if out_dir else Path(tmp)
        trained = explore(samples, backbone, model, root / "trained", s, show_progress=False, figures=False)
        a = importance_vector(trained.importance)
        areas = list(a)
        randoms, first_random = _random_draws(samples, backbone, next(model.parameters()).device, s, root, areas,
                                              seed=seed, draws=draws)
        rows_a = _rows(root / "trained" / "per_image.csv", areas)
        results = _against_random(a, rows_a, randoms, k)
        models = {name: _model_summary(results), **_other_models(samples, backbone, other_models or {}, s, root,
                                                                 areas, randoms, k)}
        casc = _cascade(samples, backbone, model, first_random, s, root, a, k, max_blocks) if cascading else None
        trained_dirs = [root / "trained", *(root / f"trained-{n}" for n in other_models or {})]
        heat = {"trained": face_heat.ratio_spread(trained_dirs),
                "random": face_heat.ratio_spread([root / f"randomised-{i}" for i in range(draws)])}
    rho = [r["spearman"] for r in results]
    agreement = {key: float(np.nanmedian([r[key] for r in results])) for key in ("spearman", "kendall", f"top{k}_jaccard")}
    change = float(np.nanmean([r["mean_abs_area_score_change"] for r in results]))
    v = recipe_verdict(models)
    return {
        "method": f"{s.cam} on {trained.summary['cam_target']['target']}, {s.landmarks} areas",
        "images": len(rows_a),
        "k": k,
        "trained": a,
        "randomised": {x: float(np.mean([imp[x] for _, imp, _ in randoms])) for x in areas},
        "agreement": agreement,
        "spearman": _spread(rho),
        "draws": results,
        "mean_abs_area_score_change": change,
        "ranking_changed": v == "passes",
        "scores_changed": bool(change > 0.1),
        "verdict": v,
        "passes": v == "passes",
        "rule": RULE if len(models) == 1 else RECIPE_RULE,
        "models": models, "cascading": casc, "on_face": heat, "subset": subset,
    }


def _random_draws(samples, backbone, device, s: ExploreSettings, root: Path, areas: list[str], *, seed: int,
                  draws: int) -> tuple[list[tuple[int, dict[str, float], dict[str, np.ndarray]]], Any]:
    """``[(seed, importance, per-image rows)]`` of ``draws`` fresh initialisations, and the first model."""
    import torch

    randoms, first = [], None
    for i in range(draws):
        torch.manual_seed(seed + i)
        random_model = backbone.build().to(device).eval()
        first = first if first is not None else random_model
        folder = root / f"randomised-{i}"
        res = explore(samples, backbone, random_model, folder, s, show_progress=False, figures=False)
        randoms.append((seed + i, importance_vector(res.importance), _rows(folder / "per_image.csv", areas)))
    return randoms, first


def _other_models(samples, backbone, others: Mapping[str, Any], s: ExploreSettings, root: Path, areas: list[str],
                  randoms, k: int) -> dict[str, dict[str, Any]]:
    """Each other trained model of the recipe explored and compared with the same random draws."""
    out = {}
    for other_name, other in others.items():
        folder = root / f"trained-{other_name}"
        res = explore(samples, backbone, other, folder, s, show_progress=False, figures=False)
        out[other_name] = _model_summary(_against_random(importance_vector(res.importance),
                                                         _rows(folder / "per_image.csv", areas), randoms, k))
    return out


def _against_random(a: dict[str, float], rows_a: dict[str, np.ndarray], randoms, k: int) -> list[dict[str, Any]]:
    """One trained model's agreement with each random draw ``(seed, importance, rows)``."""
    return [{"seed": seed, "importance": b, **rank_agreement(a, b, k=k), "mean_abs_area_score_change": _change(rows_a, rows_b)}
            for seed, b, rows_b in randoms]


def _model_summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    rho = [r["spearman"] for r in results]
    return {"verdict": verdict(rho), "spearman": _spread(rho), "rho": rho}


def _spread(v: list[float]) -> dict[str, float]:
    x = np.array(v, dtype=float)
    q1, med, q3 = np.nanquantile(x, [0.25, 0.5, 0.75])
    return {"n": len(x), "median": float(med), "q1": float(q1), "q3": float(q3),
            "min": float(np.nanmin(x)), "max": float(np.nanmax(x))}


def cascade_blocks(model, input_size: int, *, max_blocks: int = 6) -> list[tuple[str, list[str]]]:
    """``[(block name, [module names])]``, output side first: the modules holding parameters in the order
    a forward pass runs them, grouped by their ancestor at the shallowest depth that gives at least
    ``max_blocks`` groups; the last ``max_blocks - 1`` groups are blocks of their own, the rest one block."""
    import torch

    order: list[str] = []
    hooks = []
    for name, m in model.named_modules():
        if name and any(True for _ in m.parameters(recurse=False)):
            hooks.append(m.register_forward_hook(lambda mod, i, o, n=name: order.append(n) if n not in order else None))
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(torch.zeros(1, 3, input_size, input_size, device=next(model.parameters()).device))
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    depth_max = max(n.count(".") + 1 for n in order)
    for depth in range(1, depth_max + 1):
        groups: list[tuple[str, list[str]]] = []
        for n in order:
            key = ".".join(n.split(".")[:depth])
            if groups and groups[-1][0] == key:
                groups[-1][1].append(n)
            else:
                groups.append((key, [n]))
        if len(groups) >= max_blocks:
            break
    groups.reverse()
    if len(groups) <= max_blocks:
        return groups
    head, rest = groups[: max_blocks - 1], groups[max_blocks - 1 :]
    label = f"the rest ({rest[0][0]} ... {rest[-1][0]})" if len(rest) > 1 else rest[0][0]
    return [*head, (label, [n for _, names in rest for n in names])]


def _cascade(samples, backbone, model, random_model, s: ExploreSettings, root: Path, a: dict[str, float],
             k: int, max_blocks: int) -> dict[str, Any]:
    blocks = cascade_blocks(model, backbone.input_size, max_blocks=max_blocks)
    current = copy.deepcopy(model).eval()
    steps: list[dict[str, Any]] = []
    for j, (name, modules) in enumerate(blocks):
        for m in modules:
            current.get_submodule(m).load_state_dict(random_model.get_submodule(m).state_dict())
        res = explore(samples, backbone, current, root / f"cascade-{j}", s, show_progress=False, figures=False)
        b = importance_vector(res.importance)
        steps.append({"block": name, "modules": modules, "importance": b, **rank_agreement(a, b, k=k)})
    lost = next((i for i, st in enumerate(steps) if st["spearman"] < 0.5), None)
    return {"blocks": [b for b, _ in blocks], "steps": steps, "ranking_lost_at": lost,
            "definition": "blocks re-initialised cumulatively from the output side with the first random draw's "
                          "weights; agreement of the area importance with the trained model's after each step"}


def label_randomisation_check(train_samples: list[Sample], val_samples: list[Sample], samples: list[Sample],
                              backbone, trained_importance: dict[str, float], out_dir: str | Path, *,
                              settings: ExploreSettings | None = None, train_config=None, seed: int = 0,
                              k: int = 4, show_progress: bool = False) -> dict[str, Any]:
    """Train the same recipe on shuffled labels (train and validation), explore ``samples`` with it, and
    compare with ``trained_importance``; passes when Spearman rho < 0.5. Costs one training run."""
    import dataclasses

    rng = np.random.default_rng([seed, 5])
    shuffled = []
    for part in (train_samples, val_samples):
        labels = rng.permutation([x.label for x in part])
        shuffled.append([dataclasses.replace(x, label=int(y)) for x, y in zip(part, labels)])
    cfg = train_config or TrainConfig(epochs=5)
    cfg = dataclasses.replace(cfg, patience=cfg.epochs)
    out = Path(out_dir)
    result = train(shuffled[0], shuffled[1], backbone, out / "model", cfg, show_progress=show_progress)
    bb, model, _ = load_checkpoint(result.checkpoint)
    s = settings or ExploreSettings(overlays=0)
    res = explore(samples, bb, model, out / "explore", s, show_progress=False, figures=False)
    b = importance_vector(res.importance)
    ag = rank_agreement(trained_importance, b, k=k)
    return {"importance": b, "agreement": ag, "passes": bool(ag["spearman"] < 0.5), "epochs": cfg.epochs,
            "best_epoch": result.best_epoch, "val_auc_shuffled": result.val_metrics.get("auc"),
            "rule": "passes when Spearman rho with the trained model's importance is below 0.5"}


def _change(rows_a: dict[str, np.ndarray], rows_b: dict[str, np.ndarray]) -> float:
    common = sorted(set(rows_a) & set(rows_b))
    return float(np.mean([np.abs(rows_a[p] - rows_b[p]).mean() for p in common])) if common else float("nan")


def _rows(path: Path, areas: list[str]) -> dict[str, np.ndarray]:
    """Per-image area scores of an exploration, by image path."""
    return {r["path"]: np.array([r[a] for a in areas]) for r in read_area_rows(path, areas)}
