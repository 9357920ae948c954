"""FAS backbones: the base class plugins subclass, and the :class:`CamTarget` a backbone hands a CAM method
(*what* is explained and *where* belong to the backbone, not to the CAM method).

A backbone is a light adapter around a torch model: it builds the model, turns images into the
tensors the model wants, turns outputs into a spoof probability, and names its CAM targets. Keeping
the adapter separate from the ``nn.Module`` lets fastk list and configure backbones without importing
torch, and lets one checkpoint format (:mod:`fastk.model.checkpoints`) serve every backbone.

Label convention everywhere in fastk: 0 = real (bona fide), 1 = spoof (attack).
"""

from __future__ import annotations

import abc
import inspect
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import numpy as np

from fastk.errors import FastkError, UnknownPluginError
from fastk.plugin._spec import format_value, spec_arg_names
from fastk.plugin.registry import Plugin

if TYPE_CHECKING:  # pragma: no cover
    import torch

LABELS = ("real", "spoof")
_B = TypeVar("_B", bound="Backbone")


@dataclass(frozen=True)
class CamTarget:
    """What a CAM explains: ``model(x)[:, output_index]`` at ``target_layers``.

    ``model`` must return a ``(batch, outputs)`` tensor (a backbone wraps multi-output models).
    """

    name: str
    description: str
    model: Any  # torch.nn.Module
    target_layers: list
    layer_name: str
    output_index: int
    #: True when ``model(x)`` is exactly the backbone's :meth:`~fastk.model.backbones.Backbone.logits`, so the
    #: outputs of a CAM pass also give the spoof probability (no second forward pass; not in :meth:`record`:
    #: it changes no number).
    gives_logits: bool = False

    def record(self) -> dict[str, Any]:
        """What goes into every result file next to the maps."""
        return {
            "target": self.name,
            "target_description": self.description,
            "target_layer": self.layer_name,
            "output_index": self.output_index,
        }


class Backbone(Plugin):
    """Base class of backbone plugins. Subclasses set ``name`` and implement :meth:`build` and
    :meth:`cam_targets`; the rest has working defaults for a two-logit classifier.

    Checkpoints rebuild a backbone from :meth:`config`, which holds every keyword the object was made
    with (its ``__init__``'s named options, given or defaulted, and ``self.options``): a subclass's
    own keywords (``width=8``) are saved without it writing anything.
    """

    #: The name users type (``--backbone lgsc``, ``--backbone timm:resnet18``).
    name: ClassVar[str] = ""
    #: Square input side in pixels when the user gives none.
    default_input_size: ClassVar[int] = 112
    #: The CAM target used when the user names none (a key of :meth:`cam_targets`).
    default_cam_target: ClassVar[str] = "spoof-logit"
    #: Options (``backbone.options``) that reach ``self.options`` beyond the named ``__init__`` keywords
    #: (``{name: type}``), e.g. keywords passed on to a model builder. The named keywords of a subclass's
    #: ``__init__`` are its options already; anything else is refused with the nearest known name, so a
    #: typo cannot fall back to a default silently (see :mod:`fastk.plugin._options`; ``None``: unchecked).
    plugin_options: ClassVar[dict[str, Any] | None] = {}

    def __new__(cls: type[_B], *args: Any, **kwargs: Any) -> _B:
        # The constructor's arguments, whatever the subclass's __init__ does with them: config() saves them.
        obj = super().__new__(cls)
        obj._made_with = (args, kwargs)  # type: ignore[attr-defined]
        return obj

    def __init__(self, *, input_size: int | None = None, **options: Any):
        self.input_size = int(input_size or self.default_input_size)
        self.options = options

    def arguments(self) -> dict[str, Any]:
        """The keywords this object was made with (its class's ``__init__`` options, defaults filled
        in), except ``input_size``; what :meth:`config` saves so a checkpoint rebuilds the same model."""
        args, kwargs = getattr(self, "_made_with", ((), {}))
        try:
            bound = inspect.signature(type(self).__init__).bind(self, *args, **kwargs)
        except TypeError:  # made without calling the class (copy, unpickling): only self.options is known
            return {}
        bound.apply_defaults()
        out: dict[str, Any] = {}
        for name, param in list(bound.signature.parameters.items())[1:]:
            value = bound.arguments.get(name)
            if param.kind is param.VAR_KEYWORD:
                out.update(value or {})
            elif param.kind is not param.VAR_POSITIONAL:
                out[name] = value
        out.pop("input_size", None)
        return {k: list(v) if isinstance(v, tuple) else str(v) if isinstance(v, PurePath) else v
                for k, v in out.items()}

    @property
    def spec(self) -> str:
        """The name that rebuilds this backbone, stored in checkpoints: the name, and the value of its
        ``spec_arg`` option after a colon when it has one (``timm:resnet18``)."""
        names = spec_arg_names(type(self))
        arguments = self.arguments()
        if len(names) == 1 and arguments.get(names[0]) is not None:
            return f"{self.name}:{format_value(arguments[names[0]])}"
        return self.name

    def config(self) -> dict[str, Any]:
        """Everything needed to rebuild the same architecture (JSON-safe): ``spec``, ``input_size`` and
        ``options``, every keyword the object was made with (:meth:`arguments`) and ``self.options``."""
        options = {**self.arguments(), **self.options}
        if ":" in self.spec:  # the spec carries its argument; given twice, a rebuild would be refused
            for name in spec_arg_names(type(self)):
                options.pop(name, None)
        return {"spec": self.spec, "input_size": self.input_size, "options": options}

    # -- what a plugin implements --------------------------------------------------------------
    @abc.abstractmethod
    def build(self) -> torch.nn.Module:
        """A freshly initialised model (no weight downloads)."""

    @abc.abstractmethod
    def cam_targets(self, model: torch.nn.Module) -> dict[str, CamTarget]:
        """The explanations this model offers, by name."""

    # -- defaults for a (batch, 2) logit classifier ---------------------------------------------
    def logits(self, model: torch.nn.Module, inputs: torch.Tensor) -> torch.Tensor:
        """``(batch, 2)`` real/spoof logits."""
        return model(inputs)

    def spoof_probability(self, model: torch.nn.Module, inputs: torch.Tensor) -> torch.Tensor:
        """``(batch,)`` probability of spoof; what metrics threshold and ``fastk predict`` reports."""
        import torch

        return torch.softmax(self.logits(model, inputs), dim=1)[:, 1]

    def probability_from_outputs(self, target: CamTarget, outputs: torch.Tensor) -> torch.Tensor | None:
        """``(batch,)`` spoof probability from the outputs of ``target.model`` (a CAM pass's), or
        ``None`` when they do not give it (then the caller runs :meth:`spoof_probability`).

        Default: the softmax of the outputs when the target says they are :meth:`logits`
        (``gives_logits``) and :meth:`spoof_probability` is the base one (an override may compute it
        from something else, so it is never guessed).
        """
        import torch

        if not target.gives_logits or type(self).spoof_probability is not Backbone.spoof_probability:
            return None
        return torch.softmax(outputs, dim=1)[:, 1]

    def spoof_score(self, model: torch.nn.Module, inputs: torch.Tensor) -> torch.Tensor:
        """``(batch,)`` score that metrics threshold (higher = more likely spoof).

        Default: the spoof probability. LGSC uses its cue map here, as the original does.
        """
        return self.spoof_probability(model, inputs)

    def training_loss(
        self, model: torch.nn.Module, inputs: torch.Tensor, labels: torch.Tensor
    ) -> dict[str, torch.Tensor]:
        """Loss terms for one batch; ``"total"`` is minimised, the others are logged.

        Default: cross-entropy on the two logits. LGSC overrides it with its triplet, regression and
        classification terms.
        """
        import torch

        loss = torch.nn.functional.cross_entropy(self.logits(model, inputs), labels)
        return {"total": loss, "classification": loss}

    def preprocess(self, images: list[np.ndarray]) -> torch.Tensor:
        """RGB uint8 images -> ``(batch, 3, S, S)`` float tensor scaled to [-1, 1].

        The whole image is resized to the square input (faces in FAS datasets come as crops);
        heatmaps are resized back to each image's own size afterwards.
        """
        import cv2
        import torch

        s = self.input_size
        arr = np.stack([cv2.resize(im, (s, s), interpolation=cv2.INTER_AREA) for im in images])
        t = torch.from_numpy(arr).permute(0, 3, 1, 2).float().div_(127.5).sub_(1.0)
        return t.contiguous()

    def cam_target(self, model: torch.nn.Module, name: str | None = None, layer: str | None = None) -> CamTarget:
        """One of :meth:`cam_targets` (default: ``default_cam_target``), optionally at another layer
        (a dotted module name of ``model``, e.g. ``classifier.layer3``)."""
        import dataclasses

        targets = self.cam_targets(model)
        key = name or self.default_cam_target
        if key not in targets:
            raise UnknownPluginError(f"CAM target of backbone {self.spec!r}", key, sorted(targets))
        if layer:
            return dataclasses.replace(targets[key], target_layers=[find_layer(model, layer)], layer_name=layer)
        return targets[key]


def find_layer(model: torch.nn.Module, name: str) -> torch.nn.Module:
    """A sub-module by dotted name, with a one-line error listing a few valid names."""
    try:
        return model.get_submodule(name)
    except AttributeError:
        names = [n for n, _ in model.named_modules() if n][:8]
        raise FastkError(f"no layer {name!r} in the model; e.g. {', '.join(names)} ...") from None


def last_conv_name(model: torch.nn.Module) -> str:
    """Dotted name of the last ``Conv2d`` registered in the model (a generic target-layer guess)."""
    import torch

    names = [n for n, m in model.named_modules() if isinstance(m, torch.nn.Conv2d)]
    if not names:
        raise FastkError("the model has no Conv2d layer; name a --target-layer")
    return names[-1]


def check_timm_model(model_name: str, role: str = "timm model") -> None:
    """An unknown timm architecture name fails when the backbone is configured, not after the data step."""
    import difflib

    import timm

    names = timm.list_models()
    if model_name not in names:
        close = difflib.get_close_matches(model_name, names, n=4, cutoff=0.6)
        close += [n for n in timm.list_models(f"*{model_name.split('_')[0]}*")[:8] if n not in close]
        raise FastkError(f"unknown {role} {model_name!r}; similar: {', '.join(close[:8]) or '-'}")
