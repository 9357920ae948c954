"""Explanation steps: explore, sanity, stability, select, faithfulness.

Why this order: the selection may use the stability result (``stable-top-k``) or per-image rows
(``significant``), so stability comes before it; faithfulness tests the *selected* set against the
model, so it comes after it.
"""

from __future__ import annotations

import json
from typing import Any

from fastk.common.distributed import world
from fastk.common.jsonsafe import jsonable, write_json
from fastk.errors import ConfigError
from fastk.explain.explore import explore as run_explore
from fastk.explain.explore import read_area_rows
from fastk.explain.importance import asymmetry_index, importance_vector
from fastk.face.areas import AreaSet
from fastk.face.landmark_cache import LandmarkCache
from fastk.model.checkpoints import load_checkpoint
from fastk.plugin.plugins import create
from fastk.run.pipeline.steps import Step
from fastk.run.runs import Layout
from fastk.run.stability_inputs import run_dataset_planted
from fastk.trust.faithfulness import FaithfulnessSettings
from fastk.trust.faithfulness import faithfulness as run_faithfulness
from fastk.trust.faithfulness_figures import cascading_figure
from fastk.trust.sanity import randomisation_check
from fastk.trust.stability_analysis import load_stability, p_set, run_stability, select_areas, verdict_k


def steps(p) -> list[Step]:
    full = Layout.checkpoint("full")
    out = [Step("explore", lambda: explore(p), reads=(Layout.split, full), writes=(Layout.explore,), sharded=True),
           Step("sanity", lambda: sanity(p), reads=(Layout.checkpoint("full*"),), writes=(Layout.sanity,))]
    if p.stability_on():
        out.append(Step("stability", lambda: stability(p), reads=(Layout.split, Layout.checkpoint("full*")),
                        writes=(Layout.stability,)))
    out.append(Step("select", lambda: select(p), reads=(Layout.area_importance, Layout.stability_json)))
    if p.config.faithfulness.enabled:
        out.append(Step("faithfulness", lambda: faithfulness(p), reads=(full,), writes=(Layout.faithfulness,)))
    return out


def _explored(p) -> list:
    return p.splits()[p.config.explore.split]


def _where(p, check: str) -> str:
    """How a check's refusal names its images: ``sanity: split 'val' of runs/demo``."""
    return f"{check}: split {p.config.explore.split!r} of {p.root}"


def explore(p) -> dict[str, Any]:
    ex = p.config.explore
    backbone, model, _ = p.load_model()
    result = run_explore(_explored(p), backbone, model, p.run.explore_dir, p.explore_settings(),
                         show_progress=p.show_progress)
    if not world().is_main:  # under torchrun: rank 0 writes the rest
        return {}
    names = AreaSet.load(ex.areas).names
    asym = asymmetry_index(read_area_rows(p.run.per_image_file, names), names, n_boot=ex.n_boot, seed=p.config.seed)
    write_json(p.run.asymmetry_file, asym, indent=2)
    return {"ranking": result.summary["ranking"], "images_used": result.processed,
            "images_skipped": len(result.skipped), "asymmetry": asym["index"]}


def _full_models(p) -> dict[str, Any]:
    """``seedN -> checkpoint`` of the full model and of the extra seeds the stability step trains."""
    return {f"seed{p.run.result(s)['seed']}": p.checkpoint(s) for s in ["train_full", *p.seed_steps()]}


def sanity(p) -> dict[str, Any]:
    """Model (several draws) and cascading randomisation of the ranking (fastk.trust.sanity), decided over every
    trained seed of the recipe: which seed's model a machine trains depends on its float arithmetic."""

    sc = p.config.sanity
    (name, _), *others = _full_models(p).items()
    backbone, model, _ = p.load_model()
    other_models = {n: load_checkpoint(c, device=p.device)[1] for n, c in others}
    result = jsonable(randomisation_check(_explored(p), backbone, model, p.explore_settings(n_boot=100, overlays=0),
                                          seed=p.config.seed + 1, draws=sc.draws, cascading=sc.cascading,
                                          out_dir=p.run.sanity_dir, name=name, other_models=other_models,
                                          max_images=sc.max_images, subset_seed=p.config.seed,
                                          where=_where(p, "sanity")))
    if result.get("cascading"):
        cascading_figure(result, p.run.at(Layout.sanity_cascading))
        result["figure"] = Layout.sanity_cascading
    write_json(p.run.sanity_file, result, indent=2)
    return result


def selection_k(p) -> int:
    """The top-k the stability result counts: ``stability.k``, else what the selector declares
    (:func:`fastk.trust.stability_analysis.verdict_k`; never an attribute read by name), else 4."""

    return verdict_k(create("selector", p.config.select), p.config.stability.k)


def stability(p) -> dict[str, Any]:
    """Every full model (the seeds) x CAM methods x detectors x targets on the explored split."""

    ex = p.config.explore
    checkpoints = _full_models(p)
    grid = p.config.stability.grid(k=selection_k(p), seed=p.config.seed, planted=run_dataset_planted(p.root),
                                   areas=ex.areas, batch_size=ex.batch_size)
    result = run_stability(checkpoints, _explored(p), p.run.stability_dir, grid, cache=LandmarkCache(),
                           device=p.device, show_progress=p.show_progress, where=_where(p, "stability"))
    return {"verdict": result["verdict"], "k": result["k"], "stable_top_k": result["stable_top_k"],
            "cells": len(result["cells"]), "grid": result["grid"], "variance": result["variance"]["shares"],
            "planted": result.get("planted")}


def select(p) -> dict[str, Any]:
    summary = json.loads(p.run.area_importance_file.read_text())["overall"]
    names = AreaSet.load(p.config.explore.areas).names
    stab = load_stability(p.run.stability_dir) if p.stability_on() else None
    selector = create("selector", p.config.select)
    out = select_areas(selector, importance=importance_vector(summary), stability=stab, areas=names,
                       rows=read_area_rows(p.run.per_image_file, names))
    if "complement" in p.config.retrain.variants and not out["complement"]:
        raise ConfigError(f"select: {selector.describe()} kept every area, so there is no complement to retrain; "
                          "choose a stricter selector or drop 'complement' from retrain.variants")
    if stab is not None and len(out["keep"]) == stab["k"]:
        out["p_selected_set"] = p_set(stab, out["keep"])
    return jsonable(out)


def faithfulness(p) -> dict[str, Any]:
    """Remove the areas from the explored images (no retraining): does the ranking carry the decision?"""

    fc, ex = p.config.faithfulness, p.config.explore
    backbone, model, _ = p.load_model()
    settings = FaithfulnessSettings(landmarks=ex.landmarks, areas=ex.areas, methods=tuple(fc.methods),
                                    n_random=fc.n_random, seed=p.config.seed)
    ranking = p.run.result("explore")["ranking"]
    result = run_faithfulness(_explored(p), backbone, model, ranking, selected=p.run.result("select")["keep"],
                              settings=settings, cache=LandmarkCache(), out_dir=p.run.faithfulness_dir,
                              show_progress=p.show_progress, max_images=fc.max_images,
                              where=_where(p, "faithfulness"))
    methods = {m: {"selected": r["selected"], "random_auc_drop": r["random"]["auc_drop"],
                   "p_auc_drop": r["random"]["p_auc_drop"], "beats_random": r["beats_random"]}
               for m, r in result["methods"].items()}
    return {"headline": result["headline"], "images": result["images"], "selected": result["selected"],
            "selected_pixel_fraction": result["selected_pixel_fraction"], "methods": methods, "rule": result["rule"]}
