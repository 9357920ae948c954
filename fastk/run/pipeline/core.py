"""The :class:`Pipeline`: what every step shares (config, run folder, helpers) and the loop itself.

Paths in the manifest and the run's split files are relative to the run folder (or absolute when
outside it), so ``fastk run --resume`` works from any working directory; a lock file keeps a second
``fastk run`` out of the folder while one runs. Images where the landmark detector finds no face are
dropped *before* the split, so all models see the same images (the paper compared only images where
dlib found a face); how many is reported.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import fastk.run.pipeline.data_step as data_step
import fastk.run.pipeline.evaluate_steps as evaluate_steps
import fastk.run.pipeline.explain_steps as explain_steps
import fastk.run.pipeline.mask_steps as mask_steps
import fastk.run.pipeline.train_steps as train_steps
from fastk.common.distributed import alone, decided_by_main, device, main_holds, world
from fastk.common.jsonsafe import write_json
from fastk.common.locks import FolderLock
from fastk.data.datasets import Sample
from fastk.errors import ConfigError
from fastk.explain.explore_settings import ExploreSettings
from fastk.face.alignment import Alignment
from fastk.model.checkpoints import load_checkpoint
from fastk.plugin.plugins import create, get_registry
from fastk.run.config import DEFAULTS, before_keys
from fastk.run.pipeline.samples_io import read_split_file
from fastk.run.pipeline.steps import ALIGNED, Step, train_step
from fastk.run.run_config import VARIANTS, RunConfig
from fastk.run.runs import RunFolder

__all__ = ["ALIGNED", "VARIANTS", "Pipeline", "train_step"]


def _with_defaults(saved: Any, defaults: Mapping[str, Any], top: bool = True) -> Any:
    """A saved ``config.json`` with the keys added to fastk since it was written at their defaults (at
    what runs did before them, :data:`fastk.run.config.BEFORE_KEY`), so a run folder from before a new key
    (``split.protocol``) still resumes when the key keeps its default."""
    if not isinstance(saved, dict):
        return saved
    out = dict(saved)
    if top:
        defaults = {**defaults, **before_keys(saved)}
    for key, default in defaults.items():
        if key not in out:
            out[key] = json.loads(json.dumps(default))
        elif isinstance(default, dict) and default:  # a section; free-form mappings ({}) stay as saved
            out[key] = _with_defaults(out[key], default, top=False)
    return out


class Pipeline:
    """One run: ``Pipeline(config, run_dir).run_all()``; :meth:`steps` lists the manifest steps.

    ``config`` is a :class:`RunConfig`, or the checked merged dict (``fastk.run.config.resolve()``, a saved
    ``config.json``) it is built from, once. Steps read ``p.config``; ``p.cfg`` is the merged dict as
    saved in ``config.json`` (and copied into ``report.json``).
    """

    def __init__(self, config: RunConfig | Mapping[str, Any], run_dir: str | Path, *, console=None,
                 command: str = ""):
        self.config = config if isinstance(config, RunConfig) else RunConfig.from_dict(config)
        self.cfg: dict[str, Any] = self.config.to_dict()
        self.run = RunFolder(run_dir)
        self.root = self.run.root
        self.console = console
        self.command = command

        decided_by_main(self._check_config)  # under torchrun rank 0 checks and writes config.json

    # -- configuration --------------------------------------------------------------------------
    def _check_config(self) -> None:
        """The run folder keeps the settings it was started with; plugin names fail now, not in an hour."""
        saved = self.run.config_file
        if saved.exists():
            old = _with_defaults(json.loads(saved.read_text()), DEFAULTS)
            if old != json.loads(json.dumps(self.cfg)):
                changed = sorted(k for k in set(old) | set(self.cfg) if old.get(k) != self.cfg.get(k))
                raise ConfigError(
                    f"{self.root}: was started with other settings ({', '.join(changed)}); resume it with "
                    f"`fastk run --resume {self.root}` or choose a new --name"
                )
        else:
            write_json(saved, self.cfg, indent=2)
        c = self.config
        get_registry("landmarks").get(c.explore.landmarks)
        get_registry("cam").get(c.explore.cam)
        get_registry("backbone").get(c.backbone.name)
        get_registry("dataset").get(c.dataset.name)
        create("selector", c.select)
        for v in c.retrain.variants:
            if v not in VARIANTS:
                raise ConfigError(f"unknown retrain variant {v!r}; known: {', '.join(VARIANTS)}")

    # -- what steps share -----------------------------------------------------------------------
    @property
    def device(self) -> str:
        """The run's device for this process (under torchrun with GPUs, each rank its own)."""

        return device(self.config.device)

    @property
    def show_progress(self) -> bool:
        return self.console is not None

    def log(self, msg: str) -> None:
        if self.console is not None:
            self.console.print(msg)

    def backbone(self, input_size: int | None = None):
        b = self.config.backbone
        return create("backbone", b.name, input_size=input_size or b.input_size, **b.options)

    def explore_settings(self, **overrides: Any):
        """The run's exploration settings (config ``explore`` section), with ``overrides``."""

        ex = self.config.explore
        settings = {"landmarks": ex.landmarks, "cam": ex.cam, "cam_target": ex.cam_target,
                    "target_layer": ex.target_layer, "areas": ex.areas, "batch_size": ex.batch_size,
                    "n_boot": ex.n_boot, "seed": self.config.seed, "overlays": ex.overlays,
                    "group_by": list(ex.group_by)}
        return ExploreSettings(**{**settings, **overrides})

    def detector(self):
        return create("landmarks", self.config.explore.landmarks)

    @property
    def aligned(self) -> bool:
        """Whether the run aligns every face onto the template (``masking: aligned``)."""
        return self.config.masking == "aligned"

    def alignment(self):
        """The run's :class:`fastk.face.alignment.Alignment` (at the backbone's input size), or None."""

        return Alignment(self.config.backbone.input_size) if self.aligned else None

    def splits(self, variant: str | None = None) -> dict[str, list[Sample]]:
        """The images the models see: the run's subject split (``split.json``; its aligned copies,
        ``masked/aligned``, when the run aligns), or a masked dataset's (``masked/VARIANT``)."""
        return read_split_file(self.run.split_file(variant or (ALIGNED if self.aligned else None)))

    def source_splits(self) -> dict[str, list[Sample]]:
        """The split of the dataset's own images, as the data step wrote it."""
        return read_split_file(self.run.split_file())

    def checkpoint(self, step: str) -> Path:
        """The checkpoint a finished training step recorded."""
        return self.run.checkpoint(step)

    def load_model(self, step: str = "train_full"):
        return load_checkpoint(self.checkpoint(step), device=self.device)

    def stability_on(self) -> bool:
        return self.config.stability.enabled

    def seed_steps(self) -> list[str]:
        """Training steps of the extra seeds the stability step compares (none when it is off)."""
        if not self.stability_on():
            return []
        return [f"train_full_seed{self.config.seed + i}" for i in range(1, self.config.stability.seeds)]

    # -- the loop -------------------------------------------------------------------------------
    def steps(self) -> list[Step]:
        variants = self.config.retrain.variants
        out = [data_step.step(self), *([mask_steps.align_step(self)] if self.aligned else [])]
        out += [*train_steps.full_steps(self), *explain_steps.steps(self)]
        out += [mask_steps.step(self, v) for v in variants]
        out += [train_steps.variant_step(self, v) for v in variants]
        out += evaluate_steps.steps(self)
        return out

    def run_all(self) -> Path:
        """Every step not yet done, holding the run folder's lock (a second writer is refused at once)."""

        steps = self.steps()
        with main_holds(lambda: FolderLock(self.root, self.command or "fastk run")):
            for i, step in enumerate(steps, 1):
                self.log(f"[bold cyan]step {i}/{len(steps)}: {step.name}[/]")
                if world().sharded:
                    self._run_among_ranks(step)
                else:
                    self.run.step(step.name, step.run, on_skip=lambda n: self.log(f"  already done, kept ({n})"))
        return self.run.report_html

    def _run_among_ranks(self, step: Step) -> None:
        """Under torchrun: rank 0 decides whether the step is done and records it in the manifest; a
        sharded step runs on every rank, any other on rank 0 while the others wait for it."""

        main = world().is_main
        done = decided_by_main(lambda: self.run.done(step.name))  # rank 0 has saved the manifest by now
        if not main:
            self.run.reload()
        if done:
            self.log(f"  already done, kept ({step.name})")
        elif step.sharded and main:
            self.run.step(step.name, step.run)
        elif step.sharded:
            step.run()
        else:
            decided_by_main(lambda: self._step_alone(step))

    def _step_alone(self, step: Step) -> None:
        """Run and record ``step`` on rank 0 as a one-process world: nothing inside waits for the other ranks."""

        with alone():
            self.run.step(step.name, step.run)
