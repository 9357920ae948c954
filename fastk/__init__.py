"""fastk: face anti-spoofing with explainable, area-aware efficiency.

Public API for plugin authors and notebook users (kept light: importing fastk does not import torch;
the base classes below load on first use)::

    import fastk
    fastk.hookimpl                       # decorate plugin hook implementations with this
    fastk.AreaSelector, fastk.Dataset    # the base class of each plugin kind (and their value types)
    fastk.Protocol                       # fixed benchmark train/val/test lists (OULU-NPU protocols, ...)
    fastk.get_registry("cam").names()    # what is installed, per kind
    fastk.create("landmarks", "dlib")    # instantiate a plugin class by name (typed per kind)

Testing a plugin: :mod:`fastk.testing`. What each base class provides: docs/plugin-reference.md.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Literal, overload

import pluggy

__version__ = "0.1.0"

hookimpl = pluggy.HookimplMarker("fastk")

if TYPE_CHECKING:  # pragma: no cover - the lazy names below, for type checkers
    from fastk.backbones import Backbone
    from fastk.cam import CamMethod, CamTarget
    from fastk.datasets import Dataset, Sample
    from fastk.landmarks import Candidate, Face, LandmarkDetector, NoFace
    from fastk.protocols import Protocol, ProtocolSplit
    from fastk.registry import Registry
    from fastk.selection import AreaSelector

#: Name -> "module:attribute", imported on first access (PEP 562), so ``import fastk`` stays cheap.
_LAZY = {
    "LandmarkDetector": "fastk.landmarks:LandmarkDetector",
    "Face": "fastk.landmarks:Face",
    "NoFace": "fastk.landmarks:NoFace",
    "Candidate": "fastk.landmarks:Candidate",
    "CamMethod": "fastk.cam:CamMethod",
    "CamTarget": "fastk.cam:CamTarget",
    "Backbone": "fastk.backbones:Backbone",
    "AreaSelector": "fastk.selection:AreaSelector",
    "Dataset": "fastk.datasets:Dataset",
    "Sample": "fastk.datasets:Sample",
    "Protocol": "fastk.protocols:Protocol",
    "ProtocolSplit": "fastk.protocols:ProtocolSplit",
    "Registry": "fastk.registry:Registry",
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
    from fastk.plugins import get_registry as _get

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


__all__ = [  # noqa: RUF022 - grouped: functions, then the lazily imported classes
    "__version__", "hookimpl", "get_registry", "create", "list_names",
    "LandmarkDetector", "Face", "NoFace", "Candidate", "CamMethod", "CamTarget", "Backbone", "AreaSelector",
    "Dataset", "Sample", "Protocol", "ProtocolSplit", "Registry",
]
