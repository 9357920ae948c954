"""Evaluation steps: test metrics and storage per model, speed (FLOPs + interleaved timing), the report."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from fastk.common.jsonsafe import jsonable, write_json
from fastk.data.images import read_rgb
from fastk.face.masking import encoded_bytes
from fastk.model.training.evaluate import evaluate_checkpoint
from fastk.report.html import render_html
from fastk.run.pipeline.mask_steps import recipe
from fastk.run.pipeline.report_step import build_report
from fastk.run.pipeline.steps import Step, train_step
from fastk.run.runs import Layout
from fastk.run.speed import Timed, pick_batch, speed_report
from fastk.trust.mask_swap import swap_test


def steps(p) -> list[Step]:
    models_ = Layout.checkpoint("*")
    return [Step("evaluate", lambda: evaluate(p), reads=(Layout.split, Layout.split_of("*"), models_)),
            Step("speed", lambda: speed(p), reads=(models_,)),
            Step("report", lambda: report(p), writes=(Layout.report_json, Layout.report_html, Layout.figures))]


def models(p) -> list[str]:
    return ["full", *p.config.retrain.variants]


def _trained(p, name: str) -> dict[str, Any]:
    return p.run.result(train_step(name))


def _test(p, name: str) -> list:
    return p.splits(None if name == "full" else name)["test"]


def evaluate(p) -> dict[str, Any]:
    """Every model on the same test subjects, at its own validation threshold, with errors by group."""

    out = {}
    groups = [k for k in p.config.explore.group_by if k not in ("label", "attack_type")]
    for name in models(p):
        trained, test = _trained(p, name), _test(p, name)
        metrics = evaluate_checkpoint(p.run.checkpoint(train_step(name)), test, threshold=trained["threshold"],
                                      device=p.device, group_by=groups)  # faces were checked at the data step
        out[name] = {"metrics": metrics, "n_test": len(test), **storage(p, test)}
        if name != "full":
            out[name]["mask_use"] = mask_use(p, name)
    return jsonable(out)


def mask_use(p, variant: str) -> dict[str, Any]:
    """The mask audit's use test (:func:`fastk.trust.mask_swap.swap_test`) of a variant's model on the test images."""

    r = recipe(p, variant)
    if r.alignment is not None:  # every image carries the same mask: decided without loading the model
        return swap_test(None, None, [], r, None)
    backbone, model, _ = p.load_model(train_step(variant))
    return swap_test(backbone, model, p.splits()["test"], r, p.detector(), seed=p.config.seed, device=p.device)


def storage(p, test: list) -> dict[str, Any]:
    """Bytes per stored test image (JPEG at the configured quality, and PNG), measured alike for every model."""

    images = [read_rgb(s.path) for s in test[:64]]
    sizes = [encoded_bytes(im, p.config.retrain.jpeg_quality) for im in images]
    return {"jpeg_bytes_mean": float(np.mean([s[0] for s in sizes])),
            "png_bytes_mean": float(np.mean([s[1] for s in sizes])),
            "stored_image_side": int(np.mean([max(im.shape[:2]) for im in images]))}


def speed(p) -> dict[str, Any]:
    """FLOPs per image and interleaved timings of every model (fastk.run.speed): figures that survive load."""

    timed = {}
    for name in models(p):
        backbone, model, _ = p.load_model(train_step(name))
        batch = pick_batch(_test(p, name), 16)
        timed[name] = Timed(backbone, model, [read_rgb(s.path) for s in batch], [s.label for s in batch])
    return jsonable(speed_report(timed, reference="full"))


def report(p) -> dict[str, Any]:
    data = jsonable(build_report(p))
    write_json(p.run.report_json, data, indent=2)
    render_html(json.loads(p.run.report_json.read_text()), p.root)
    return {"report": p.run.rel(p.run.report_html)}
