"""Old import paths of the modules that moved into the layered tree (issue 28), kept for one release.

Why one table and one finder rather than a shim file per old module: eighty files that only re-export
would hide the layers from a reader of the tree. An import of an old name (``import fastk.explore``,
``from fastk.training import train``) gets the module at its new place (the very same module object,
so classes and module state are shared) and a :class:`DeprecationWarning` naming the new path. The
old paths go in the next release. Code in this repository uses the new paths only.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import warnings
from types import ModuleType

#: Old module name -> new module name.
MOVED: dict[str, str] = {
    "fastk._config_checks": "fastk.run._config_checks",
    "fastk._config_schema": "fastk.run._config_schema",
    "fastk._entry_points": "fastk.plugin._entry_points",
    "fastk._image_header": "fastk.data._image_header",
    "fastk._media": "fastk.demo._media",
    "fastk._options": "fastk.plugin._options",
    "fastk._spec": "fastk.plugin._spec",
    "fastk._user_files": "fastk.common._user_files",
    "fastk.alignment": "fastk.face.alignment",
    "fastk.areas": "fastk.face.areas",
    "fastk.attack_replay": "fastk.demo.attack_replay",
    "fastk.attacks": "fastk.demo.attacks",
    "fastk.audit_classifier": "fastk.trust.audit_classifier",
    "fastk.backbones": "fastk.model.backbones",
    "fastk.bench": "fastk.run.bench",
    "fastk.cam": "fastk.explain.cam",
    "fastk.cam_memo": "fastk.explain.cam_memo",
    "fastk.camera_model": "fastk.demo.camera_model",
    "fastk.check_subset": "fastk.trust.check_subset",
    "fastk.checkpoints": "fastk.model.checkpoints",
    "fastk.config": "fastk.run.config",
    "fastk.datasets": "fastk.data.datasets",
    "fastk.demo.shortcut_audit": "fastk.trust.shortcut_audit",
    "fastk.demo_set": "fastk.demo.demo_set",
    "fastk.demo_set_key": "fastk.demo.demo_set_key",
    "fastk.demo_set_render": "fastk.demo.demo_set_render",
    "fastk.devices": "fastk.common.devices",
    "fastk.distributed": "fastk.common.distributed",
    "fastk.environment": "fastk.common.environment",
    "fastk.explore": "fastk.explain.explore",
    "fastk.explore_files": "fastk.explain.explore_files",
    "fastk.explore_output": "fastk.explain.explore_output",
    "fastk.face_check": "fastk.face.face_check",
    "fastk.face_heat": "fastk.explain.face_heat",
    "fastk.faces": "fastk.data.faces",
    "fastk.faithfulness": "fastk.trust.faithfulness",
    "fastk.faithfulness_figures": "fastk.trust.faithfulness_figures",
    "fastk.fast_inference": "fastk.common.fast_inference",
    "fastk.figures": "fastk.explain.figures",
    "fastk.fingerprint": "fastk.common.fingerprint",
    "fastk.framing": "fastk.face.framing",
    "fastk.images": "fastk.data.images",
    "fastk.importance": "fastk.explain.importance",
    "fastk.imputation": "fastk.trust.imputation",
    "fastk.jsonsafe": "fastk.common.jsonsafe",
    "fastk.landmark_cache": "fastk.face.landmark_cache",
    "fastk.landmarks": "fastk.face.landmarks",
    "fastk.locks": "fastk.common.locks",
    "fastk.mask_audit": "fastk.trust.mask_audit",
    "fastk.mask_swap": "fastk.trust.mask_swap",
    "fastk.masked_dataset": "fastk.face.masked_dataset",
    "fastk.masking": "fastk.face.masking",
    "fastk.model_input": "fastk.face.model_input",
    "fastk.outputs": "fastk.common.outputs",
    "fastk.paired_auc": "fastk.trust.paired_auc",
    "fastk.pipeline": "fastk.run.pipeline",
    "fastk.pipeline.core": "fastk.run.pipeline.core",
    "fastk.pipeline.data_step": "fastk.run.pipeline.data_step",
    "fastk.pipeline.evaluate_steps": "fastk.run.pipeline.evaluate_steps",
    "fastk.pipeline.explain_steps": "fastk.run.pipeline.explain_steps",
    "fastk.pipeline.mask_steps": "fastk.run.pipeline.mask_steps",
    "fastk.pipeline.protocol_split": "fastk.run.pipeline.protocol_split",
    "fastk.pipeline.samples_io": "fastk.run.pipeline.samples_io",
    "fastk.pipeline.steps": "fastk.run.pipeline.steps",
    "fastk.pipeline.train_steps": "fastk.run.pipeline.train_steps",
    "fastk.plugins": "fastk.plugin.plugins",
    "fastk.progress": "fastk.common.progress",
    "fastk.protocols": "fastk.data.protocols",
    "fastk.random_area_sets": "fastk.trust.random_area_sets",
    "fastk.ranking_stats": "fastk.explain.ranking_stats",
    "fastk.registry": "fastk.plugin.registry",
    "fastk.report.build": "fastk.run.pipeline.report_step",
    "fastk.run_config": "fastk.run.run_config",
    "fastk.runs": "fastk.run.runs",
    "fastk.safepaths": "fastk.common.safepaths",
    "fastk.sanity": "fastk.trust.sanity",
    "fastk.selection": "fastk.explain.selection",
    "fastk.shortcut_audit": "fastk.trust.shortcut_audit",
    "fastk.slow_cam_probe": "fastk.trust.slow_cam_probe",
    "fastk.speed": "fastk.run.speed",
    "fastk.stability": "fastk.trust.stability",
    "fastk.stability_analysis": "fastk.trust.stability_analysis",
    "fastk.stability_cells": "fastk.trust.stability_cells",
    "fastk.stability_figures": "fastk.trust.stability_figures",
    "fastk.stability_grid": "fastk.trust.stability_grid",
    "fastk.stability_html": "fastk.report.stability_html",
    "fastk.stability_inputs": "fastk.run.stability_inputs",
    "fastk.threads": "fastk.common.threads",
    "fastk.training": "fastk.model.training",
    "fastk.training._data": "fastk.model.training._data",
    "fastk.training._setup": "fastk.model.training._setup",
    "fastk.training._train_state": "fastk.model.training._train_state",
    "fastk.training.augment": "fastk.model.training.augment",
    "fastk.training.ddp": "fastk.model.training.ddp",
    "fastk.training.evaluate": "fastk.model.training.evaluate",
    "fastk.training.metrics": "fastk.model.training.metrics",
    "fastk.training.onnx_export": "fastk.model.training.onnx_export",
    "fastk.training.splits": "fastk.data.splits",
    "fastk.training.train_fingerprint": "fastk.model.training.train_fingerprint",
    "fastk.training.trainer": "fastk.model.training.trainer",
    "fastk.video_frames": "fastk.data.video_frames",
}


class _OldPaths(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds an old name and loads it as the module at its new place."""

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> importlib.machinery.ModuleSpec | None:
        if fullname not in MOVED:
            return None
        return importlib.machinery.ModuleSpec(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None  # a placeholder; exec_module puts the real module in its place

    def exec_module(self, module: ModuleType) -> None:
        old = module.__name__
        new = MOVED[old]
        warnings.warn(f"{old} moved to {new}; the old path will be removed in the next release",
                      DeprecationWarning, stacklevel=2)  # the importing line (warnings skips importlib's frames)
        sys.modules[old] = importlib.import_module(new)


def install() -> None:
    """Put the finder first on ``sys.meta_path`` (once): an old name must never be found as a file
    below a moved package (``fastk.training.trainer`` would be a second copy of the trainer)."""
    if not any(isinstance(f, _OldPaths) for f in sys.meta_path):
        sys.meta_path.insert(0, _OldPaths())
