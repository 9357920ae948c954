"""Does the area ranking carry the model's decision? Faithfulness per area, without retraining.

A CAM ranking is a claim about the model; this module tests it against the model itself. For each
validation image, fastk removes face areas at the model's input resolution (black-out, or ROAD's
noisy linear imputation that hides the edge: :mod:`fastk.trust.imputation`) and scores the image again with
``backbone.spoof_score``, the score the metrics threshold and AUC is computed on (LGSC: mean |cue|
by default). Measured, for every removal method:

* ``per_area``: each area removed alone: drop of AUC, of the mean spoof score over spoof images and
  over all images (drop = score on the original images minus score after removal);
* ``selected``: the selected set removed together, and ``random``: random *sets of areas* whose pixel
  count (share of the input, averaged over images) is within ``tolerance`` of the selected set's
  (the ``n_random`` closest when fewer are that close), ``n_random`` draws without replacement,
  mean +- sd, the share of random sets that drop AUC at least as much (``p_auc``), and the selected
  set's drop beyond theirs with a paired bootstrap CI over images (``auc_drop_beyond_random``). Random
  sets are made of areas, not free pixel blobs, so both sides remove face parts of the same kind and size;
* ``deletion`` / ``insertion``: areas removed one by one in ranking order (deletion), or all removed and
  put back one by one in ranking order (insertion); ``random_order`` gives deletion in random area
  orders for reference. A faithful ranking makes the deletion curve fall faster than random orders.

Every draw is seeded (``seed``, image index, area set), so two machines draw the same sets and noise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from fastk.common.fast_inference import channels_last, nhwc
from fastk.common.jsonsafe import jsonable
from fastk.common.progress import progress_bar
from fastk.common.threads import ordered_map
from fastk.data.datasets import REAL, SPOOF, Sample
from fastk.data.images import read_rgb
from fastk.errors import ConfigError, FastkError
from fastk.face.areas import AreaSet
from fastk.face.landmark_cache import LandmarkCache, read_and_detect
from fastk.model.training.metrics import auc
from fastk.plugin.plugins import create
from fastk.trust.check_subset import require_both_classes, stratified_subset
from fastk.trust.faithfulness_figures import write_outputs
from fastk.trust.faithfulness_settings import FaithfulnessSettings, Prepared
from fastk.trust.imputation import DESCRIPTIONS, REMOVALS
from fastk.trust.paired_auc import auc_difference
from fastk.trust.random_area_sets import pixel_fractions, random_sets

SCORE = "backbone.spoof_score (the score metrics and AUC use; LGSC: mean |cue| unless score=classifier)"


def prepare(samples: Sequence[Sample], backbone, settings: FaithfulnessSettings | None = None, *,
            points: Mapping[str, np.ndarray] | None = None, cache: LandmarkCache | None = None) -> Prepared:
    """Landmarks (``points``: path -> dlib-68 points, else the detector through the cache) and area masks."""
    import cv2

    s = settings or FaithfulnessSettings()
    area_set = AreaSet.load(s.areas)
    detector = create("landmarks", s.landmarks) if points is None else None
    cache = cache or LandmarkCache()
    side = backbone.input_size
    kept, images, masks, skipped = [], [], [], []
    for smp in samples:
        if points is not None:
            p68 = points.get(str(smp.path))
            if p68 is None:
                skipped.append((str(smp.path), "no landmarks given"))
                continue
            try:
                img = read_rgb(smp.path)
            except FastkError as err:
                skipped.append((str(smp.path), str(err)))
                continue
        else:
            assert detector is not None  # made above whenever no points are given
            found = read_and_detect(cache, detector, smp.path, label=s.landmarks)
            if isinstance(found, str):
                skipped.append((str(smp.path), found))
                continue
            img, face = found
            p68 = face.points68
        full = area_set.masks(np.asarray(p68), img.shape)
        small = [cv2.resize(full[a].astype(np.float32), (side, side), interpolation=cv2.INTER_AREA) >= 0.5
                 for a in area_set.names]
        kept.append(smp)
        images.append(cv2.resize(img, (side, side), interpolation=cv2.INTER_AREA))
        masks.append(np.stack(small))
    if not kept:
        raise FastkError(f"faithfulness: no image had a usable face ({len(skipped)} skipped)")
    return Prepared(kept, images, np.stack(masks), area_set.names, skipped)


class _Scorer:
    """Spoof scores of the images with a set of areas removed; each (method, set) computed once."""

    def __init__(self, data: Prepared, backbone, model, s: FaithfulnessSettings, progress=None, task=None):
        self.data, self.backbone, self.model, self.s = data, backbone, model.eval(), s
        self.device = next(model.parameters()).device
        self.memo: dict[tuple[str, int], np.ndarray] = {}
        self.progress, self.task = progress, task

    def bits(self, areas: Sequence[str]) -> int:
        return sum(1 << self.data.areas.index(a) for a in areas)

    def scores(self, method: str, areas: Sequence[str]) -> np.ndarray:
        import torch

        key = (method, self.bits(areas))
        if key not in self.memo:
            sel = [self.data.areas.index(a) for a in areas]
            remove = REMOVALS[method]
            options = {"noise": self.s.noise} if method == "road" else {}
            # On worker threads (ROAD's sparse solves release the GIL), seeded by image and set: same pixels.
            def removed(i: int) -> np.ndarray:
                mask = self.data.masks[i, sel].any(axis=0)
                return remove(self.data.images[i], mask, np.random.default_rng([self.s.seed, i, key[1]]), **options)

            out = []
            for start in range(0, len(self.data.images), self.s.batch_size):
                rows = range(start, min(start + self.s.batch_size, len(self.data.images)))
                batch = list(ordered_map(removed, rows)) if sel else [self.data.images[i] for i in rows]
                with torch.inference_mode():
                    x = nhwc(self.backbone.preprocess(batch).to(self.device))
                    out.append(self.backbone.spoof_score(self.model, x).float().cpu().numpy())
            self.memo[key] = np.concatenate(out).astype(np.float64)
            if self.progress is not None:
                self.progress.advance(self.task)
        return self.memo[key]

    def measure(self, method: str, areas: Sequence[str]) -> dict[str, float]:
        s, y = self.scores(method, areas), self.data.labels
        return {"auc": auc(y, s), "spoof_mean": _mean(s[y == 1]), "all_mean": _mean(s)}


def _of(samples: Sequence[Sample], label: int) -> list[Sample]:
    return [x for x in samples if x.label == label]


def _mean(x: np.ndarray) -> float:
    return float(np.mean(x)) if len(x) else float("nan")


def _drops(base: dict[str, float], now: dict[str, float]) -> dict[str, float]:
    return {**now, "auc_drop": base["auc"] - now["auc"], "spoof_drop": base["spoof_mean"] - now["spoof_mean"],
            "all_drop": base["all_mean"] - now["all_mean"]}


def faithfulness(samples: Sequence[Sample], backbone, model, ranking: Sequence[str], *,
                 selected: Sequence[str] | None = None, settings: FaithfulnessSettings | None = None,
                 points: Mapping[str, np.ndarray] | None = None, cache: LandmarkCache | None = None,
                 prepared: Prepared | None = None, out_dir: str | Path | None = None, show_progress: bool = False,
                 max_images: int | None = None, where: str = "faithfulness") -> dict[str, Any]:
    """Every faithfulness measure of ``ranking`` for ``model`` on ``samples`` (JSON-safe dict).

    ``ranking`` lists the areas most important first (an exploration's ``ranking``); ``selected``
    defaults to its top ``settings.k``. With ``out_dir``, writes ``faithfulness.json`` and the figures.
    The images: at most ``max_images``, label-balanced, drawn with ``settings.seed``
    (:func:`fastk.trust.check_subset.stratified_subset`, recorded under ``subset``); images of one class (also
    after faceless ones are skipped) are refused naming ``where``: AUC needs both classes.
    """
    s = settings or FaithfulnessSettings()
    unknown = [m for m in s.methods if m not in REMOVALS]
    if unknown:
        raise ConfigError(f"faithfulness: unknown removal method {unknown[0]!r}; known: {', '.join(REMOVALS)}")
    samples, subset = stratified_subset(prepared.samples if prepared else samples, max_images, s.seed, where=where)
    data = prepared or prepare(samples, backbone, s, points=points, cache=cache)
    require_both_classes(_of(data.samples, REAL), _of(data.samples, SPOOF), f"{where} (images with a face)")
    ranking = list(ranking)
    missing = [a for a in ranking if a not in data.areas]
    if missing or not ranking:
        raise ConfigError(f"faithfulness: ranking names unknown area(s) {missing}; known: {', '.join(data.areas)}")
    ranking += [a for a in data.areas if a not in ranking]  # unranked areas go last
    selected = list(selected) if selected is not None else ranking[: s.k]
    bad = [a for a in selected if a not in data.areas]
    if bad or not selected:
        raise ConfigError(f"faithfulness: selected area(s) {bad or '(none)'} not in the area set {data.areas}")
    fractions = pixel_fractions(data)
    draws = random_sets(data, selected, fractions, s)
    rng = np.random.default_rng([s.seed, 7])
    orders = [list(rng.permutation(ranking)) for _ in range(s.random_orders)]
    n = len(ranking)
    result: dict[str, Any] = {
        "score": SCORE, "images": len(data.samples), "n_real": int((data.labels == 0).sum()),
        "n_spoof": int((data.labels == 1).sum()), "skipped": [list(x) for x in data.skipped],
        "input_size": backbone.input_size, "ranking": ranking, "selected": selected,
        "pixel_fraction": {a: float(fractions[1 << i]) for i, a in enumerate(data.areas)},
        "selected_pixel_fraction": float(fractions[sum(1 << data.areas.index(a) for a in selected)]),
        "settings": asdict(s), "methods": {}, "subset": subset,
    }
    with progress_bar(show_progress) as progress, channels_last(model):  # exact, ~1.3x faster convolutions
        per_method = 1 + n + 1 + len(draws) + 2 * (n - 1) + 1 + len(orders) * (n - 1)
        task = progress.add_task("faithfulness", total=per_method * len(s.methods))
        scorer = _Scorer(data, backbone, model, s, progress, task)
        for method in s.methods:
            result["methods"][method] = _one_method(scorer, method, ranking, selected, draws, orders, fractions)
            progress.update(task, completed=len(scorer.memo))
        progress.update(task, total=len(scorer.memo), completed=len(scorer.memo))
    primary = result["methods"][s.methods[0]]
    result["headline"] = headline(selected, result["selected_pixel_fraction"], primary, s.methods[0])
    result["rule"] = RULE
    result = jsonable(result)
    if out_dir is not None:

        write_outputs(result, out_dir)
    return result


def _one_method(sc: _Scorer, method: str, ranking: list[str], selected: list[str], draws: list[list[str]],
                orders: list[list[str]], fractions: np.ndarray) -> dict[str, Any]:
    base = sc.measure(method, [])
    per_area = {a: {**_drops(base, sc.measure(method, [a])), "pixel_fraction": float(fractions[1 << i])}
                for i, a in enumerate(sc.data.areas)}
    sel = _drops(base, sc.measure(method, selected))
    rand = [{"areas": d, "pixel_fraction": float(fractions[sc.bits(d)]), **_drops(base, sc.measure(method, d))}
            for d in draws]
    summary: dict[str, Any] = {}
    for key in ("auc_drop", "spoof_drop", "all_drop"):
        v = np.array([r[key] for r in rand], dtype=float)
        ok = v[np.isfinite(v)]  # AUC is undefined when the images hold one class only
        summary[key] = {"mean": float(ok.mean()) if len(ok) else float("nan"),
                        "sd": float(ok.std(ddof=1)) if len(ok) > 1 else float("nan")}
        summary[f"p_{key}"] = float((1 + np.sum(v >= sel[key])) / (1 + len(v)))
    # the selected set's AUC drop beyond the random sets', with its image-resampling CI (fastk.trust.paired_auc)
    beyond = auc_difference(sc.data.labels, [sc.scores(method, d) for d in draws], sc.scores(method, selected),
                            seed=sc.s.seed)
    summary["auc_drop_beyond_random"] = beyond
    curve = lambda sets: _curve([sc.measure(method, x) for x in sets])
    k_steps = range(len(ranking) + 1)
    deletion = curve([ranking[:k] for k in k_steps])
    insertion = curve([ranking[k:] for k in k_steps])
    random_curves = [curve([o[:k] for k in k_steps]) for o in orders]
    rand_order = {}
    for key in ("auc", "spoof_mean", "all_mean"):
        m = np.array([c[key] for c in random_curves], dtype=float).reshape(len(orders), len(k_steps))
        rand_order[key] = {"mean": m.mean(axis=0).tolist() if len(orders) else [],
                           "sd": m.std(axis=0, ddof=1).tolist() if len(orders) > 1 else []}
    return {
        "removal": DESCRIPTIONS[method], "base": base, "per_area": per_area, "selected": sel,
        "random": {"n": len(rand), "draws": rand, **summary},
        "deletion": {**deletion, "removed": [ranking[:k] for k in k_steps]},
        "insertion": {**insertion, "removed": [ranking[k:] for k in k_steps]},
        "random_order": {"n": len(orders), "orders": orders, **rand_order},
        "beats_random": bool(sel["auc_drop"] > summary["auc_drop"]["mean"] + 2 * np.nan_to_num(summary["auc_drop"]["sd"])
                             and summary["p_auc_drop"] <= 0.1 and beyond["ci"][0] > 0),
    }


def _curve(points: list[dict[str, float]]) -> dict[str, list[float]]:
    return {key: [p[key] for p in points] for key in ("auc", "spoof_mean", "all_mean")}


RULE = ("beats_random: the selected set's AUC drop exceeds the random sets' mean + 2 sd, at most 10% of "
        "random sets drop AUC as much, and the 95% CI of the difference over image resamples excludes 0")


def headline(selected: list[str], frac: float, m: dict[str, Any], method: str) -> str:
    r, sel = m["random"], m["selected"]
    if not np.isfinite(sel["auc_drop"]):
        auc_part = "leaves AUC undefined (the images hold one class only)"
    else:
        b = r.get("auc_drop_beyond_random") or {"difference": float("nan"), "ci": [float("nan")] * 2}
        auc_part = (f"drops AUC by {sel['auc_drop']:.3f} with {DESCRIPTIONS[method]} (random sets of equal size: "
                    f"{r['auc_drop']['mean']:.3f} +- {r['auc_drop']['sd']:.3f}, {r['n']} draws; beyond them "
                    f"{b['difference']:+.3f}, 95% CI {b['ci'][0]:+.3f} to {b['ci'][1]:+.3f} over image resamples)")
    return (f"removing the selected areas ({', '.join(selected)}; {frac:.1%} of the input) {auc_part}; mean spoof "
            f"score of attacks drops by {sel['spoof_drop']:.3f} (random: {r['spoof_drop']['mean']:.3f} +- "
            f"{r['spoof_drop']['sd']:.3f})")
