"""The mask audit's use test: does a retrained variant read its masks' outline? Swap masks and see.

Each test image is masked again with another image's mask (moved to its size): one of the opposite
label, one of the same label, and one fixed mask for all (the mean landmark layout's). The model's
AUC with its own masks, with each swap and with the fixed mask are compared. A model that judges the
kept face content loses about as much to an opposite-label swap as to a same-label one (both move the
areas a little); a model that reads the outline loses more to the opposite-label swap, because the
outline it sees now belongs to the other class. The decision is a paired bootstrap over the test
images (:func:`fastk.trust.paired_auc.auc_difference`): the model uses the outline when the same-label
swap's AUC exceeds the opposite-label swap's with the 95% interval above 0.

Issue 26 measured both outcomes: on the demo the outline carried the label and was used; on about a
thousand real recaptures the outline carried some label (AUC 0.75) but a swap cost no more than a
same-label one (0.006 against 0.010). So the test runs on every variant of every run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from fastk.face.landmark_cache import LandmarkCache, read_and_detect
from fastk.face.masking import black_out, crop_to_roi
from fastk.model.training.evaluate import score_images
from fastk.trust.paired_auc import auc_difference


def swap_test(backbone, model, samples: Sequence[Any], recipe, detector, cache=None, *, seed: int = 0,
              device: str = "cpu", n_boot: int = 2000) -> dict[str, Any]:
    """Scores of the variant's ``model`` on the source ``samples`` (unmasked test images) masked by
    ``recipe`` (:class:`fastk.face.masked_dataset.MaskRecipe`) with their own, swapped and fixed masks."""
    if recipe.alignment is not None:
        return {"applies": False, "why": "every image of the variant carries the same mask (aligned framing): "
                                         "a swap changes no pixel"}

    cache = cache or LandmarkCache()
    faces = [(s, read_and_detect(cache, detector, s.path)) for s in samples if s.label in (0, 1)]
    usable = [(s.label, found[0], found[1].points68) for s, found in faces
              if not isinstance(found, str) and found[1].points68 is not None]
    y = np.array([u[0] for u in usable])
    if len(set(y.tolist())) < 2:
        return {"applies": False, "why": "the test images do not hold both real and attack faces"}
    images, points = [u[1] for u in usable], [np.asarray(u[2]) for u in usable]
    rng = np.random.default_rng([seed, 27])
    partner = {"opposite": [int(rng.choice(np.flatnonzero(y != y[i]))) for i in range(len(y))],
               "same": [_same(rng, y, i) for i in range(len(y))]}
    relative = np.mean([p / [im.shape[1], im.shape[0]] for p, im in zip(points, images)], axis=0)
    layouts = {"own": [_rel(p, im) for p, im in zip(points, images)],
               "opposite": [_rel(points[j], images[j]) for j in partner["opposite"]],
               "same": [_rel(points[j], images[j]) for j in partner["same"]],
               "fixed": [relative] * len(images)}
    scores = {name: _scores(backbone, model, [_masked(im, rel, recipe) for im, rel in zip(images, rel_pts)], device)
              for name, rel_pts in layouts.items()}
    return _verdict(y, scores, n_boot, seed)


def _same(rng: np.random.Generator, y: np.ndarray, i: int) -> int:
    others = np.flatnonzero((y == y[i]) & (np.arange(len(y)) != i))
    return int(rng.choice(others)) if len(others) else i


def _rel(points: np.ndarray, image: np.ndarray) -> np.ndarray:
    """Landmarks as shares of the image's width and height (so a mask moves to another image's size)."""
    return np.asarray(points, dtype=np.float64) / [image.shape[1], image.shape[0]]


def _masked(image: np.ndarray, relative: np.ndarray, recipe) -> np.ndarray:
    h, w = image.shape[:2]
    area_set = recipe.area_set
    keep = area_set.union(area_set.masks(relative * [w, h], image.shape), list(recipe.keep))
    return black_out(image, keep) if recipe.mode == "blackout" else crop_to_roi(image, keep, size=recipe.size)


def _scores(backbone, model, images: list[np.ndarray], device: str) -> np.ndarray:
    return score_images(backbone, model, images, device=device)


def _verdict(y: np.ndarray, scores: dict[str, np.ndarray], n_boot: int, seed: int) -> dict[str, Any]:
    from sklearn.metrics import roc_auc_score

    aucs = {name: float(roc_auc_score(y, s)) for name, s in scores.items()}
    diff = auc_difference(y, [scores["same"]], scores["opposite"], n_boot=n_boot, seed=seed)
    uses = bool(np.isfinite(diff["ci"][0]) and diff["ci"][0] > 0)
    return {"applies": True, "n_real": int((y == 0).sum()), "n_attack": int((y == 1).sum()), "auc": aucs,
            "drop": {name: aucs["own"] - v for name, v in aucs.items() if name != "own"},
            "same_minus_opposite": diff, "uses_outline": uses}


def use_warning(name: str, test: dict[str, Any] | None) -> str | None:
    """One line when the swap test says the variant's model reads its masks' outline, else None."""
    if not test or not test.get("applies") or not test.get("uses_outline"):
        return None
    a, d = test["auc"], test["same_minus_opposite"]
    return (f"variant {name!r} reads its masks' outline: with masks swapped between real and attack images its "
            f"test AUC falls to {a['opposite']:.3f} (own masks {a['own']:.3f}, same-label swap {a['same']:.3f}; "
            f"difference {d['difference']:.3f}, 95% CI {d['ci'][0]:.3f}-{d['ci'][1]:.3f}).")
