"""The data step: read the dataset, check subject ids, drop images without a usable face, split by subject
(or by the run's ``split.protocol``: :mod:`fastk.run.pipeline.protocol_split`)."""

from __future__ import annotations

from typing import Any

import fastk.run.pipeline.protocol_split as protocol_split
from fastk.common.jsonsafe import write_json
from fastk.data.splits import require_subjects, subject_split
from fastk.errors import ConfigError
from fastk.face.face_check import check_faces
from fastk.face.landmark_cache import LandmarkCache
from fastk.plugin.plugins import create
from fastk.run.pipeline.samples_io import absolute, counts, sample_to_json, write_csv
from fastk.run.pipeline.steps import Step
from fastk.run.runs import Layout
from fastk.trust.shortcut_audit import shortcut_audit, summary


def step(p) -> Step:
    return Step("data", lambda: run(p), writes=(Layout.split, Layout.skipped))


def compared_detectors(p) -> list[str]:
    """The detectors whose no-face counts are reported: the run's own and the stability grid's (from
    the config, so the core names no built-in detector)."""
    names = [p.config.explore.landmarks]
    if p.stability_on():
        names += [d for d in p.config.stability.detectors if d not in names]
    return names


def run(p) -> dict[str, Any]:
    dataset = create("dataset", p.config.dataset.name, **p.config.dataset.plugin_kwargs())
    samples = [absolute(s) for s in dataset.samples()]
    require_subjects(samples, dataset.describe())  # before minutes of face finding, with the fix named
    plan = protocol_split.planned(p, dataset, samples)  # so are the protocol's files read and matched
    candidates = samples if plan is None else plan[1].samples()
    cache = LandmarkCache()
    checked = check_faces(candidates, p.detector(), cache, show_progress=p.show_progress)
    usable = [s for s, _ in checked.usable]
    if not usable:
        raise ConfigError(f"dataset {dataset.describe()}: no image with a usable face")
    write_csv(p.run.skipped_file, ["path", "kind", "reason"], checked.skipped)
    # How many images each detector would lose (the paper lost ~20% to dlib); results are cached.
    no_face = {spec: len(check_faces(candidates, create("landmarks", spec), cache).skipped)
               for spec in compared_detectors(p)}
    protocol: dict[str, Any] | None = None
    if plan is None:
        splits = subject_split(usable, ratios=tuple(p.config.split.ratios), seed=p.config.seed,
                               stratify=p.config.split.stratify)
    else:
        splits, protocol = protocol_split.kept(*plan, usable)
        protocol["dataset_images"] = len(samples)  # n_images below counts the lists' images
    out = {name: [sample_to_json(s, p.run) for s in part] for name, part in splits.items()}
    write_json(p.run.split_file(), out, indent=1)
    # What no face pixel is needed for: file statistics and face geometry alone, every labelled dataset.
    labels = {s.label for s in usable}
    audit = summary(shortcut_audit(usable, detector=p.detector(), cache=cache)) if {0, 1} <= labels else None
    return {"dataset": dataset.describe(), "n_images": len(candidates), "n_usable": len(usable),
            "n_no_face": len(checked.skipped), "no_face_by_detector": no_face,
            "n_subjects": len({s.subject for s in usable}),
            "split_counts": {name: counts(part) for name, part in splits.items()},
            "shortcut_audit": audit,
            **({"protocol": protocol} if protocol is not None else {})}
