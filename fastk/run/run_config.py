"""The run configuration as typed, frozen dataclasses: one per section of the YAML file.

Why: the steps of ``fastk run`` read ``config.train.epochs`` rather than ``cfg["train"]["epochs"]``,
so a misspelt key is an AttributeError at the line that has it (and a type checker sees it), not a
KeyError an hour into a run. The defaults live here, on the fields (or on the library dataclass a
section feeds: :class:`~fastk.trust.stability_config.StabilityConfig`, :class:`~fastk.trust.faithfulness_settings.FaithfulnessSettings`,
:class:`~fastk.model.train_settings.TrainConfig`); :data:`fastk.run.config.DEFAULTS` is derived from them.

A :class:`RunConfig` is built once, by :meth:`RunConfig.from_dict`, from the merged dict that
:func:`fastk.run.config.resolve` (or ``validate``) has checked; :meth:`RunConfig.to_dict` gives that dict
back exactly (what the run folder's ``config.json`` and ``report.json`` hold). Lists are tuples here,
so a section cannot be changed by a step that happens to hold it.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from fastk import defaults
from fastk.explain.explore_settings import ExploreSettings
from fastk.model.train_settings import TrainConfig
from fastk.trust.faithfulness_settings import FaithfulnessSettings
from fastk.trust.stability_config import StabilityConfig

VARIANTS = ("selected", "complement", "crop")
#: ``masking``: ``aligned`` (every face warped onto one template; one mask for every image of a variant)
#: or ``landmark`` (the paper's recipe: images as given, each masked by its own landmarks). Why the
#: default is aligned: per-image masks let the outline tell the label (fastk.trust.mask_audit).
MASKINGS = ("aligned", "landmark")


def _default(cls: type, name: str) -> Any:
    """The default of field ``name`` of dataclass ``cls`` (lists as tuples), so it is written once."""
    f = next(f for f in fields(cls) if f.name == name)
    value = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
    return tuple(value) if isinstance(value, list) else value


def _section(cls: type, data: Mapping[str, Any]) -> Any:
    """``cls`` from one section of the merged dict: lists become tuples, mappings are copied."""
    values = {k: tuple(v) if isinstance(v, list) else copy.deepcopy(v) for k, v in data.items()}
    return cls(**values)


def _plain(section: Any) -> dict[str, Any]:
    """A section as it is in the merged dict (tuples back to lists), in field order."""
    out = {}
    for f in fields(section):
        value = getattr(section, f.name)
        out[f.name] = list(value) if isinstance(value, tuple) else copy.deepcopy(value)
    return out


@dataclass(frozen=True)
class DatasetSection:
    name: str = defaults.DATASET
    path: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)

    def plugin_kwargs(self) -> dict[str, Any]:
        """The keywords the dataset plugin is created with (``path`` is its ``root``)."""
        return {**self.options, **({"root": self.path} if self.path else {})}


@dataclass(frozen=True)
class SplitSection:
    ratios: tuple[float, ...] = (0.6, 0.2, 0.2)  # train, val, test
    stratify: bool = True
    protocol: str | None = None  # a protocol plugin NAME[:ARG] (fixed benchmark lists); None: split by subject
    protocol_options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BackboneSection:
    name: str = "lgsc"
    input_size: int = 112
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ExploreSection:
    """The run's exploration: :class:`~fastk.explain.explore.ExploreSettings`' defaults, except more overlays."""

    landmarks: str = _default(ExploreSettings, "landmarks")
    cam: str = _default(ExploreSettings, "cam")
    cam_target: str | None = _default(ExploreSettings, "cam_target")
    target_layer: str | None = _default(ExploreSettings, "target_layer")
    areas: str = _default(ExploreSettings, "areas")
    split: str = "val"  # which split the importance is measured on ("on" would be YAML for True)
    batch_size: int = _default(ExploreSettings, "batch_size")
    overlays: int = 24  # the report shows overlays per group; `fastk explore` alone defaults to fewer
    n_boot: int = _default(ExploreSettings, "n_boot")
    group_by: tuple[str, ...] = _default(ExploreSettings, "group_by")  # any sample metadata key works too


@dataclass(frozen=True)
class SanitySection:
    """Model-randomisation sanity check as a distribution (fastk.trust.sanity): random draws, cascading curve."""

    draws: int = 5
    cascading: bool = True
    max_images: int | None = 64


@dataclass(frozen=True)
class StabilitySection:
    """Ranking stability (fastk.trust.stability_grid): the full model retrained with ``seeds`` seeds (seed,
    seed+1, ...), each explored with every CAM method x detector x target. The grid's own keys take
    their defaults from :class:`StabilityConfig`, which :meth:`grid` builds."""

    enabled: bool = True
    seeds: int = 3
    cams: tuple[str, ...] | None = _default(StabilityConfig, "cams")
    slow_cams: str = _default(StabilityConfig, "slow_cams")
    slow_cam_seconds: float = _default(StabilityConfig, "slow_cam_seconds")
    detectors: tuple[str, ...] = _default(StabilityConfig, "detectors")
    targets: tuple[str, ...] | None = _default(StabilityConfig, "targets")
    k: int | None = None  # the selector's k, else 4
    n_boot: int = _default(StabilityConfig, "n_boot")
    max_images: int | None = _default(StabilityConfig, "max_images")

    def grid(self, *, k: int, seed: int, planted: list[str] | None, areas: str, batch_size: int) -> StabilityConfig:
        """The grid's configuration, with what the run decides (k, seed, planted areas, area set)."""
        def listed(v: tuple[str, ...] | None) -> list[str] | None:
            return None if v is None else list(v)

        return StabilityConfig(cams=listed(self.cams), slow_cams=self.slow_cams, slow_cam_seconds=self.slow_cam_seconds,
                               detectors=list(self.detectors), targets=listed(self.targets), k=k, n_boot=self.n_boot,
                               seed=seed, max_images=self.max_images, planted=planted, areas=areas,
                               batch_size=batch_size)


@dataclass(frozen=True)
class FaithfulnessSection:
    """Does the ranking carry the model's decision (fastk.trust.faithfulness): area removal vs random sets."""

    enabled: bool = True
    methods: tuple[str, ...] = _default(FaithfulnessSettings, "methods")
    n_random: int = _default(FaithfulnessSettings, "n_random")
    max_images: int | None = None


@dataclass(frozen=True)
class RetrainSection:
    variants: tuple[str, ...] = VARIANTS
    crop_size: int | None = None  # null: the full model's pixel density
    jpeg_quality: int = 90


@dataclass(frozen=True)
class RunConfig:
    """One ``fastk run``'s settings; field order is the order of ``config.json``'s keys."""

    name: str = "run"
    seed: int = 0
    device: str | None = None  # cpu / cuda / cuda:N / mps; default: cuda when present
    dataset: DatasetSection = field(default_factory=DatasetSection)
    split: SplitSection = field(default_factory=SplitSection)
    backbone: BackboneSection = field(default_factory=BackboneSection)
    masking: str = MASKINGS[0]
    train_options: Mapping[str, Any] = field(default_factory=dict)  # the ``train:`` keys given (free-form)
    explore: ExploreSection = field(default_factory=ExploreSection)
    sanity: SanitySection = field(default_factory=SanitySection)
    stability: StabilitySection = field(default_factory=StabilitySection)
    select: str = "top-k:4"
    faithfulness: FaithfulnessSection = field(default_factory=FaithfulnessSection)
    retrain: RetrainSection = field(default_factory=RetrainSection)
    #: The trainer's recipe, built once: :class:`TrainConfig`'s defaults, the run's seed, then ``train:``.
    train: TrainConfig = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "train", TrainConfig(**{"seed": self.seed, **self.train_options}))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunConfig:
        """From the merged dict :func:`fastk.run.config.resolve` checked (missing keys take defaults)."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            key = _KEYS.get(f.name, f.name)
            if f.init and key in data:
                sub = _SECTIONS.get(f.name)
                values[f.name] = _section(sub, data[key]) if sub else copy.deepcopy(data[key])
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """The merged dict this was built from (``config.json``): plain lists and mappings."""
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.init:
                value = getattr(self, f.name)
                plain = _plain(value) if f.name in _SECTIONS else copy.deepcopy(value)
                out[_KEYS.get(f.name, f.name)] = dict(plain) if isinstance(plain, Mapping) else plain
        return out


_SECTIONS: dict[str, type] = {"dataset": DatasetSection, "split": SplitSection, "backbone": BackboneSection,
                              "explore": ExploreSection, "sanity": SanitySection, "stability": StabilitySection,
                              "faithfulness": FaithfulnessSection, "retrain": RetrainSection}
_KEYS = {"train_options": "train"}  # field name -> key in the merged dict
