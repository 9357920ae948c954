"""What a training takes and gives: :class:`TrainConfig` (the recipe) and :class:`TrainResult`. Types only,
and outside :mod:`fastk.model.training` (whose ``__init__`` imports the trainer), so the trainer's helpers
(:mod:`fastk.model.training._setup`) and the run configuration read them without importing the trainer."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from fastk.errors import ConfigError


@dataclass
class TrainConfig:
    epochs: int = 10
    batch_size: int = 32
    lr: float = 1e-3
    weight_decay: float = 5e-4
    warmup_epochs: float = 1.0
    patience: int = 4  # epochs without a better validation score (``select_on``) before stopping
    min_epochs: int = 3
    seed: int = 0
    deterministic: bool = True
    augment: bool = True
    #: Spread of the per-image colour augmentation (channel gains and a gamma, see
    #: :func:`fastk.model.training.augment.augment`); 0: none.
    colour: float = 0.0
    #: Train on random ``patch`` x ``patch`` windows of the images (decoded at the backbone's input size),
    #: validate and score whole images fully convolutionally (patch-based FAS, Atoum et al. 2017); None: whole images.
    patch: int | None = None
    bn_momentum: float | None = 0.3  # few steps on small data: let BatchNorm statistics settle
    eval_batch_size: int = 64
    data: Literal["auto", "memory", "stream"] = "auto"  # stream: decode batches on the fly (fastk.model.training._data)
    workers: int = 0  # DataLoader worker processes when streaming (0: decode in the training process)
    precision: Literal["auto", "fp32", "bf16"] = "auto"  # auto: bf16 autocast on a CUDA GPU, fp32 on the CPU
    #: Which validation score picks the kept epoch: ``acer`` (lowest, AUC breaks ties) or ``auc`` (highest,
    #: ACER breaks ties). Why auc: on a few hundred validation images ACER at the EER threshold moves in
    #: steps and kept an epoch-1 model of AUC 0.62 while AUC rose to 0.73 (docs/training.md).
    select_on: Literal["acer", "auc"] = "acer"

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(d) - known)
        if unknown:
            raise ConfigError(f"unknown training option(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return cls(**d)


@dataclass
class TrainResult:
    checkpoint: str
    threshold: float
    best_epoch: int
    val_metrics: dict[str, Any]
    epoch_seconds: list[float]
    history: list[dict[str, Any]] = field(default_factory=list)
    stopped_early: bool = False
    images_per_second: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
