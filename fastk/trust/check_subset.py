"""The images a check of the ranking runs on: a seeded, label-balanced, attack-type-stratified subset.

Why: ``max_images`` used to keep the first N images of the split in file order. A CSV or folder
dataset lists every real image first, so on about a thousand real recapture crops the first 48
validation images were all live faces: sanity "passed" (Spearman 0.02), faithfulness had no AUC,
and nothing warned; on 48 label-balanced images the same model failed (0.64). A verdict is about
the images it was computed on, so those images must hold both classes, and the result must say
which images they were.

How :func:`stratified_subset` draws N images:

* **real and attack balanced**: half real, half attacks (the attacks get the odd one); a class with
  fewer images gives all it has and the other fills the rest. Balanced, not proportional to the
  data: the checks ask how the model tells the two classes apart, AUC (faithfulness) is only as
  precise as its smaller class is large, and a ranking read on 90% real faces is a ranking of
  real faces. Proportional would reproduce whatever ratio a dataset happens to have.
* **attack types proportional** within the attacks, every type present while the quota allows (one
  each, largest types first, the rest by largest remainder): the subset's attacks look like the
  data's, and no type is left out by chance.
* **seeded and order-free**: each stratum sorted by path, then permuted with ``seed``; the subset is
  returned sorted by path. The same images in the same order whatever order the dataset lists them
  (a shuffled CSV gives the same verdicts), on every machine.
* images without a label (-1) are left out and counted: a check must know each image's class.

Without ``max_images`` (or with more than there are) every labelled image is used, in path order.
Missing classes are refused in one line (:class:`~fastk.errors.ConfigError`) naming where the
images came from, unless the caller asks for a one-class analysis on purpose (``one_class=True``,
e.g. where a planted attack cue shows up, on attacks only).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from fastk.data.datasets import REAL, SPOOF, Sample
from fastk.errors import ConfigError

RULE = ("seeded draw: half real, half attacks (a short class gives all it has), attack types in proportion "
        "with each present while the quota allows; each stratum sorted by path then permuted with the seed; "
        "the subset in path order; unlabelled images left out")


def stratified_subset(samples: Sequence[Sample], max_images: int | None, seed: int = 0, *, where: str = "images",
                      one_class: bool = False) -> tuple[list[Sample], dict[str, Any]]:
    """``(subset, makeup)``: at most ``max_images`` labelled samples drawn as the module doc says, and
    what :func:`makeup` records about them. ``where`` names the images in a refusal (``split 'val' of
    runs/demo``); ``one_class`` allows an input of one class (never a subset of one class from two)."""
    real = [s for s in samples if s.label == REAL]
    spoof = [s for s in samples if s.label == SPOOF]
    if max_images is not None and max_images < 1:
        raise ConfigError(f"{where}: max_images must be at least 1, not {max_images}")
    if not samples:
        raise ConfigError(f"{where}: no images")
    if not real and not spoof:
        raise ConfigError(f"{where}: none of the {len(samples)} images has a real/spoof label; a check of the "
                          "ranking needs labelled images")
    if not one_class:
        require_both_classes(real, spoof, where)
        if max_images == 1:
            raise ConfigError(f"{where}: max_images 1 cannot hold a real and an attack image; give at least 2")
    n = len(real) + len(spoof) if max_images is None else min(max_images, len(real) + len(spoof))
    n_real = min(len(real), max(n // 2, n - len(spoof)))
    rng = np.random.default_rng(seed)
    attacks: dict[str, list[Sample]] = {}
    for s in spoof:
        attacks.setdefault(_attack(s), []).append(s)
    picked = _draw({"none": real}, n_real, rng) + _draw(attacks, n - n_real, rng)
    subset = sorted(picked, key=_key)
    return subset, makeup(subset, samples, max_images=max_images, seed=seed)


def require_both_classes(real: Sequence[Sample], spoof: Sequence[Sample], where: str) -> None:
    """Refuse, in one line naming ``where``, images that are all real or all attacks."""
    if not spoof or not real:
        have, lack = ("real", "attack") if real else ("attack", "real")
        raise ConfigError(f"{where}: no {lack} images (all {len(real) or len(spoof)} labelled images are {have}); "
                          "a check of the ranking needs real and attack images")


def makeup(subset: Sequence[Sample], samples: Sequence[Sample], *, max_images: int | None = None,
           seed: int | None = None) -> dict[str, Any]:
    """What a check's JSON records about its images: counts per label and attack type (drawn and
    available), how they were drawn, and the paths in the order the check used them."""
    def counts(part: Sequence[Sample]) -> dict[str, Any]:
        return {"real": sum(s.label == REAL for s in part), "spoof": sum(s.label == SPOOF for s in part),
                "attack_types": dict(sorted(Counter(_attack(s) for s in part if s.label == SPOOF).items()))}

    return {"images": len(subset), "of": len(samples), "max_images": max_images, "seed": seed,
            **counts(subset), "available": counts(samples),
            "unlabelled_left_out": sum(s.label not in (REAL, SPOOF) for s in samples), "rule": RULE,
            "paths": [str(s.path) for s in subset]}


def makeup_line(m: Mapping[str, Any]) -> str:
    """``48 of 1012 images (seeded draw, seed 0): 24 real, 24 attacks (print 12, replay 12)``: one line
    for a report or a terminal."""
    kinds = ", ".join(f"{k} {v}" for k, v in (m.get("attack_types") or {}).items())
    drawn = m["images"] < m["of"] - m.get("unlabelled_left_out", 0)
    head = (f"{m['images']} of {m['of']} images (seeded draw, seed {m.get('seed')})" if drawn
            else f"all {m['images']} labelled images")
    tail = f"; {m['unlabelled_left_out']} unlabelled left out" if m.get("unlabelled_left_out") else ""
    attacks = f"{m['spoof']} attack" + ("" if m["spoof"] == 1 else "s")
    return f"{head}: {m['real']} real, {attacks}" + (f" ({kinds})" if kinds else "") + tail


def chosen(samples: Sequence[Sample], m: Mapping[str, Any]) -> list[Sample]:
    """The samples a make-up names, in its order: the images a check used, for a follow-up step."""
    by_path = {str(s.path): s for s in samples}
    return [by_path[p] for p in m["paths"]]


def source_name(check: str, dataset: str, path: object = None, split: str | None = None) -> str:
    """``sanity: dataset csv:labels.csv, split val``: how a command names a check's images in a refusal."""
    return (f"{check}: dataset {dataset}" + (f":{path}" if path is not None else "")
            + (f", split {split}" if split else ""))


def _attack(s: Sample) -> str:
    return s.attack_type or "unknown"


def _key(s: Sample) -> tuple[str, int, str]:
    return str(s.path), s.label, _attack(s)


def _draw(strata: Mapping[str, list[Sample]], quota: int, rng: np.random.Generator) -> list[Sample]:
    """``quota`` samples from ``strata`` (:func:`_allocate`), each stratum sorted by path then permuted."""
    out: list[Sample] = []
    for name, take in _allocate({k: len(v) for k, v in strata.items()}, quota).items():
        ordered = sorted(strata[name], key=_key)
        out += [ordered[i] for i in rng.permutation(len(ordered))[:take]]
    return out


def _allocate(sizes: Mapping[str, int], n: int) -> dict[str, int]:
    """How many of ``n`` each stratum gives: one each (largest strata first) while ``n`` allows, the rest
    in proportion to what each has left, by largest remainder (ties by name); never more than it has."""
    names = sorted(sizes)
    if n >= sum(sizes.values()):
        return {k: sizes[k] for k in names}
    take = dict.fromkeys(names, 0)
    for k in sorted((k for k in names if sizes[k]), key=lambda k: -sizes[k])[:n]:
        take[k] = 1
    rest, left = n - sum(take.values()), {k: sizes[k] - take[k] for k in names}
    total = sum(left.values())
    exact = {k: rest * left[k] / total if total else 0.0 for k in names}
    for k in names:
        take[k] += int(exact[k])
    short = n - sum(take.values())
    for k in sorted(names, key=lambda k: (-(exact[k] - int(exact[k])), k))[:short]:
        take[k] += 1
    return take
