"""fastk: face anti-spoofing with explainable, area-aware efficiency.

Public API for plugin authors and notebook users (kept light: importing fastk does not import torch;
the names below load on first use). Everything a plugin needs is here, so a plugin imports ``fastk``
only::

    import fastk
    fastk.hookimpl                       # decorate plugin hook implementations with this
    fastk.LandmarkDetector, fastk.CamMethod, fastk.Backbone, fastk.AreaSelector, fastk.Dataset,
    fastk.Protocol                       # the base class of each plugin kind (abstract: see fastk.Plugin)
    fastk.Sample, fastk.Candidate, fastk.CamTarget, ...   # the values they take and return
    fastk.REAL, fastk.SPOOF              # label values (0, 1; fastk.UNKNOWN is -1)
    fastk.ConfigError, fastk.FastkError  # errors the CLI prints as one line (no traceback)
    fastk.eval_mode(model), fastk.ranked(importance)       # helpers CAM methods and selectors use
    fastk.get_registry("cam").names()    # what is installed, per kind
    fastk.create("landmarks", "dlib")    # instantiate a plugin class by name (typed per kind)
    fastk.provenance("cam", "gradcam++") # which plugin, distribution and version provide a name

Testing a plugin (its commands too): :mod:`fastk.testing`. What each base class provides:
docs/plugin-reference.md.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Literal, overload

import pluggy

from fastk import _moved
from fastk._version import __version__

hookimpl = pluggy.HookimplMarker("fastk")

_moved.install()  # old import paths (before the layered tree) still work for one release, with a warning

if TYPE_CHECKING:  # pragma: no cover - the lazy names below, for type checkers
    from fastk.data.datasets import REAL, SPOOF, UNKNOWN, Dataset, Sample
    from fastk.data.protocols import Protocol, ProtocolSplit
    from fastk.errors import ConfigError, FastkError
    from fastk.explain.cam import CamMethod, eval_mode
    from fastk.explain.selection import AreaSelector, ranked
    from fastk.face.landmarks import Candidate, Face, LandmarkDetector, NoFace
    from fastk.model.backbones import Backbone, CamTarget
    from fastk.plugin.plugins import provenance
    from fastk.plugin.registry import Plugin, Registry

#: Name -> "module:attribute", imported on first access (PEP 562), so ``import fastk`` stays cheap.
_LAZY = {
    "LandmarkDetector": "fastk.face.landmarks:LandmarkDetector",
    "Face": "fastk.face.landmarks:Face",
    "NoFace": "fastk.face.landmarks:NoFace",
    "Candidate": "fastk.face.landmarks:Candidate",
    "CamMethod": "fastk.explain.cam:CamMethod",
    "CamTarget": "fastk.model.backbones:CamTarget",
    "Backbone": "fastk.model.backbones:Backbone",
    "AreaSelector": "fastk.explain.selection:AreaSelector",
    "Dataset": "fastk.data.datasets:Dataset",
    "Sample": "fastk.data.datasets:Sample",
    "Protocol": "fastk.data.protocols:Protocol",
    "ProtocolSplit": "fastk.data.protocols:ProtocolSplit",
    "Registry": "fastk.plugin.registry:Registry",
    "Plugin": "fastk.plugin.registry:Plugin",
    "REAL": "fastk.data.datasets:REAL",
    "SPOOF": "fastk.data.datasets:SPOOF",
    "UNKNOWN": "fastk.data.datasets:UNKNOWN",
    "ConfigError": "fastk.errors:ConfigError",
    "FastkError": "fastk.errors:FastkError",
    "eval_mode": "fastk.explain.cam:eval_mode",
    "ranked": "fastk.explain.selection:ranked",
    "provenance": "fastk.plugin.plugins:provenance",
}


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'fastk' has no attribute {name!r}")
    module, _, attr = target.partition(":")
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


@overload
def get_registry(kind: Literal["landmarks"]) -> Registry[LandmarkDetector]: ...
@overload
def get_registry(kind: Literal["cam"]) -> Registry[CamMethod]: ...
@overload
def get_registry(kind: Literal["backbone"]) -> Registry[Backbone]: ...
@overload
def get_registry(kind: Literal["selector"]) -> Registry[AreaSelector]: ...
@overload
def get_registry(kind: Literal["dataset"]) -> Registry[Dataset]: ...
@overload
def get_registry(kind: Literal["protocol"]) -> Registry[Protocol]: ...
@overload
def get_registry(kind: str) -> Registry[Any]: ...
def get_registry(kind: str) -> Registry[Any]:
    """The registry of one plugin kind: ``landmarks``, ``cam``, ``backbone``, ``selector``, ``dataset``,
    ``protocol``."""
    from fastk.plugin.plugins import get_registry as _get

    return _get(kind)


@overload
def create(kind: Literal["landmarks"], spec: str, /, **kwargs: Any) -> LandmarkDetector: ...
@overload
def create(kind: Literal["cam"], spec: str, /, **kwargs: Any) -> CamMethod: ...
@overload
def create(kind: Literal["backbone"], spec: str, /, **kwargs: Any) -> Backbone: ...
@overload
def create(kind: Literal["selector"], spec: str, /, **kwargs: Any) -> AreaSelector: ...
@overload
def create(kind: Literal["dataset"], spec: str, /, **kwargs: Any) -> Dataset: ...
@overload
def create(kind: Literal["protocol"], spec: str, /, **kwargs: Any) -> Protocol: ...
@overload
def create(kind: str, spec: str, /, **kwargs: Any) -> Any: ...
def create(kind: str, spec: str, /, **kwargs: Any) -> Any:
    """Instantiate the plugin class registered as ``spec`` (``"dlib"``, ``"top-k:4"``, ``"timm:resnet18"``).

    Keyword options are checked against what the class declares before it is built. A kind added
    later works without an overload here (it is typed ``Any``).
    """
    return get_registry(kind).create(spec, **kwargs)


def list_names(kind: str, pattern: str | None = None) -> list[str]:
    """Registered names of one kind, optionally filtered with a wildcard (``"*cam*"``)."""
    return get_registry(kind).names(pattern)


__all__ = [  # noqa: RUF022 - grouped: functions, then the lazily imported names
    "__version__", "hookimpl", "get_registry", "create", "list_names",
    "LandmarkDetector", "Face", "NoFace", "Candidate", "CamMethod", "CamTarget", "Backbone", "AreaSelector",
    "Dataset", "Sample", "Protocol", "ProtocolSplit", "Registry", "Plugin",
    "REAL", "SPOOF", "UNKNOWN", "ConfigError", "FastkError", "eval_mode", "ranked", "provenance",
]
