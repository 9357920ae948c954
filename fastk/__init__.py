"""fastk: face anti-spoofing with explainable, area-aware efficiency.

Public API (kept light: importing fastk does not import torch)::

    import fastk
    fastk.hookimpl                      # decorate plugin hook implementations with this
    fastk.get_registry("cam").names()   # what is installed, per kind
    fastk.create("landmarks", "dlib")   # instantiate a plugin class by name
"""

from __future__ import annotations

from typing import Any

import pluggy

__version__ = "0.1.0"

hookimpl = pluggy.HookimplMarker("fastk")


def get_registry(kind: str):
    """The registry of one plugin kind: ``landmarks``, ``cam``, ``backbone``, ``selector``, ``dataset``."""
    from fastk.plugins import get_registry as _get

    return _get(kind)


def create(kind: str, spec: str, **kwargs: Any):
    """Instantiate the plugin class registered as ``spec`` (``"dlib"``, ``"top-k:4"``, ``"timm:resnet18"``)."""
    return get_registry(kind).create(spec, **kwargs)


def list_names(kind: str, pattern: str | None = None) -> list[str]:
    """Registered names of one kind, optionally filtered with a wildcard (``"*cam*"``)."""
    return get_registry(kind).names(pattern)


__all__ = ["__version__", "hookimpl", "get_registry", "create", "list_names"]
