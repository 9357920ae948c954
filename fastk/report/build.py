"""Gather ``report.json`` from a finished run folder: metrics, importances with CIs, efficiency
figures, selection, plugins used, and the figures (bar chart, face diagram, overlays per group)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

import fastk
from fastk.areas import AreaSet
from fastk.environment import environment_record
from fastk.faces import ATTRIBUTION
from fastk.figures import face_diagram
from fastk.registry import split_spec


def _provenance(kind: str, spec: str) -> dict[str, str]:
    entry = fastk.get_registry(kind).entry(spec)
    return {"name": spec, "plugin": entry.plugin, "class": f"{entry.cls.__module__}.{entry.cls.__qualname__}"}


def build_report(pipeline) -> dict[str, Any]:
    run, root, cfg = pipeline.run, pipeline.root, pipeline.cfg
    data = run.result("data")
    explore = json.loads((root / "explore" / "area_importance.json").read_text())
    asym = json.loads((root / "explore" / "asymmetry.json").read_text())
    areas = AreaSet.load(cfg["explore"]["areas"])
    overall = explore["overall"]
    face_diagram({a: v["importance"] for a, v in overall.items()}, areas, root / "figures" / "face_diagram.png",
                 title=f"{cfg['explore']['cam']} area importance ({cfg['explore']['landmarks']} areas)")
    overlays: dict[str, list[str]] = {}
    for f in sorted((root / "explore" / "overlays").glob("*.jpg")):
        group = f.name.split("__")[0]
        if len(overlays.setdefault(group, [])) < 6:
            overlays[group].append(str(f.relative_to(root)))

    evaluation = run.result("evaluate")
    models: dict[str, Any] = {}
    for name, ev in evaluation.items():
        trained = run.result("train_full" if name == "full" else f"train_{name}")
        epoch_seconds = trained.get("epoch_seconds") or []
        entry = {
            "metrics": ev["metrics"],
            "n_test": ev["n_test"],
            "threshold": trained.get("threshold"),
            "epochs_run": len(epoch_seconds),
            "seconds_per_epoch": float(np.mean(epoch_seconds)) if epoch_seconds else None,
            "inference_ms_per_image": ev.get("inference_ms_per_image"),
            "input_size": ev.get("input_size"),
            "jpeg_bytes_mean": ev.get("jpeg_bytes_mean"),
            "png_bytes_mean": ev.get("png_bytes_mean"),
            "pixels_kept": 1.0 if name == "full" else run.result(f"mask_{name}").get("mean_pixels_kept"),
            "checkpoint": trained.get("checkpoint"),
        }
        models[name] = entry

    ex = cfg["explore"]
    return {
        "name": cfg["name"],
        "fastk_version": fastk.__version__,
        "created": run.manifest["steps"]["report"].get("started"),
        "command": pipeline.command,
        "environment": environment_record(),
        "config": cfg,
        "plugins": {
            "dataset": _provenance("dataset", cfg["dataset"]["name"]),
            "backbone": _provenance("backbone", cfg["backbone"]["name"]),
            "landmarks": _provenance("landmarks", ex["landmarks"]),
            "cam": _provenance("cam", ex["cam"]),
            "selector": _provenance("selector", cfg["select"]),
        },
        "dataset": {
            "name": data["dataset"],
            "n_images": data["n_images"],
            "n_usable": data["n_usable"],
            "n_no_face": data["n_no_face"],
            "no_face_by_detector": data.get("no_face_by_detector", {}),
            "n_subjects": data["n_subjects"],
            "split_ratios": cfg["split"]["ratios"],
            "split_counts": data["split_counts"],
            "attribution": ATTRIBUTION if split_spec(cfg["dataset"]["name"])[0] in ("demo", "faces") else None,
        },
        "importance": {
            "overall": overall,
            "by": explore.get("by", {}),
            "ranking": explore["ranking"],
            "cam": ex["cam"],
            "landmarks": ex["landmarks"],
            "on": ex["split"],
            "cam_target": explore["cam_target"],
            "images_used": explore["images_used"],
            "images_skipped": explore["images_skipped"],
            "asymmetry": asym,
        },
        "selection": run.result("select"),
        "sanity": run.result("sanity"),
        "models": models,
        "figures": {
            "importance_bar": "explore/importance.png",
            "face_diagram": "figures/face_diagram.png",
            "overlays": overlays,
        },
        "steps_seconds": {k: v.get("seconds") for k, v in run.manifest["steps"].items()},
        "notes": _notes(cfg),
    }


def _notes(cfg: dict[str, Any]) -> list[str]:
    notes = []
    if split_spec(cfg["dataset"]["name"])[0] == "demo":
        notes.append(
            "Demo data: real, consented studio face photos with SIMULATED presentation attacks (print, "
            "print with flattened features, screen replay). Simulated attacks on studio photos are far easier "
            "to detect than real ones: these figures show the method working, not how well a model detects "
            "real attacks."
        )
    return notes
