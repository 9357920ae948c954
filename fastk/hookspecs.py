"""The plugin contract: every hook fastk calls (and the marker naming each plugin kind), nothing else.

A plugin is a module (or object) with functions decorated by :data:`fastk.hookimpl` whose names match
the hooks below. It is found through the ``fastk`` entry-point group, the same way for fastk's own
built-in plugins (``plugins/`` in the repository, importable as ``fastk_plugins``) and for third
parties::

    # pyproject.toml of a third-party package
    [project.entry-points.fastk]
    my_plugin = "my_package.fastk_plugin"

    # my_package/fastk_plugin.py
    import fastk

    @fastk.hookimpl
    def fastk_register_area_selectors(registry):
        registry.add(MySelector)

There is one registration hook per plugin kind, marked with :func:`registration` (the kind's name and
base class). That marker is all :mod:`fastk.plugin.plugins` needs: ``KINDS``, ``fastk list KIND``,
``fastk.create(KIND, ...)`` and the plugin reference page (``tools/build_plugin_reference.py``) all
derive from it, so a new plugin kind is one hook here plus its base class in its own module.
Each registration hook receives a :class:`fastk.plugin.registry.Registry`
and calls ``registry.add(cls)`` for every class it provides; the class's ``name`` attribute is the
name users type (``--cam gradcam++``). Classes must subclass the kind's base class (named under each
hook) and implement the methods it marks abstract (a class that lacks one is refused when it is
registered, naming the method). Names must be unique across all installed plugins; a duplicate stops
loading with an error that names both classes. ``NAME:ARG`` works for every kind: the class's
``spec_arg`` names the option the text after the colon fills (:mod:`fastk.plugin._spec`).

fastk calls hooks with keyword arguments only, so a hook may gain parameters later without breaking
existing plugins (pluggy passes each implementation only the arguments it names).

This module must stay importable without torch: ``fastk --help`` and ``fastk plugins`` load it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import pluggy

if TYPE_CHECKING:  # pragma: no cover
    import click

    from fastk.plugin.registry import Registry

hookspec = pluggy.HookspecMarker("fastk")

F = TypeVar("F", bound=Callable[..., Any])


def registration(kind: str, base: str) -> Callable[[F], F]:
    """Mark a hookspec as the registration hook of plugin kind ``kind``.

    ``base`` is the kind's base class as ``"module:Class"``, imported only when the kind is first
    used (so this module stays free of torch). The function is then an ordinary pluggy hookspec.
    """

    def mark(fn: F) -> F:
        fn.fastk_kind = kind  # type: ignore[attr-defined]
        fn.fastk_base = base  # type: ignore[attr-defined]
        return hookspec(fn)

    return mark


@registration("landmarks", "fastk.face.landmarks:LandmarkDetector")
def fastk_register_landmark_detectors(registry: Registry) -> None:
    """Register face landmark detectors (subclasses of :class:`fastk.face.landmarks.LandmarkDetector`).

    A detector finds the largest face in an RGB image and returns its landmarks in its own
    ``scheme`` (``"dlib68"``, ``"mediapipe478"``, ...) plus, when it can, the same face in the
    dlib-68 layout that face areas are defined in. Built in: ``dlib`` (default), ``mediapipe``,
    ``fallback:dlib,mediapipe``. Set the class attribute ``thread_safe = True`` only when one object
    may detect in several threads at once (no per-call state shared between calls); fastk then finds
    the faces of a batch on worker threads. It is inherited: a subclass of a thread-safe detector that
    adds such state must set it back to False.

    :param registry: the landmark-detector registry; call ``registry.add(DetectorClass)``.
    """


@registration("cam", "fastk.explain.cam:CamMethod")
def fastk_register_cam_methods(registry: Registry) -> None:
    """Register class-activation-map methods (subclasses of :class:`fastk.explain.cam.CamMethod`).

    A CAM method turns a model, a batch of input tensors, target layers and per-image targets into
    heatmaps in [0, 1] at input size. Built in: every method of the ``grad-cam`` package
    (``gradcam++`` default, ``gradcam``, ``layercam``, ...), fast exact ``scorecam`` and ``ablationcam``
    (same maps as grad-cam's, closed form at a pooling + linear head) with ``scorecam:top=N`` as a
    named approximation, and grad-cam's own code for any method as ``gradcam-lib:<method>``.

    :param registry: the CAM-method registry; call ``registry.add(CamMethodClass)``.
    """


@registration("backbone", "fastk.model.backbones:Backbone")
def fastk_register_backbones(registry: Registry) -> None:
    """Register face anti-spoofing backbones (subclasses of :class:`fastk.model.backbones.Backbone`).

    A backbone builds the torch model, turns images into input tensors, scores images as spoof, and
    names its CAM targets (which output is explained, and at which layer). Built in: ``timm:<model>``
    (any timm classifier) and ``lgsc`` (the default).

    :param registry: the backbone registry; call ``registry.add(BackboneClass)``.
    """


@registration("selector", "fastk.explain.selection:AreaSelector")
def fastk_register_area_selectors(registry: Registry) -> None:
    """Register area-selection strategies (subclasses of :class:`fastk.explain.selection.AreaSelector`).

    A selector turns ``{area: importance}`` into the list of areas to keep. Built in: ``top-k``,
    ``bottom-k``, ``threshold``, ``cumulative``, ``list``.

    :param registry: the selector registry; call ``registry.add(SelectorClass)``.
    """


@registration("dataset", "fastk.data.datasets:Dataset")
def fastk_register_datasets(registry: Registry) -> None:
    """Register dataset readers (subclasses of :class:`fastk.data.datasets.Dataset`).

    A dataset yields :class:`fastk.data.datasets.Sample` records (image path, label, subject, attack type,
    lighting, free metadata). Built in: ``folder`` (``real/`` and ``spoof/<attack_type>/`` trees),
    ``csv``, ``aihub``, ``oulu`` and ``siw`` (videos, a few frames each, read on demand through virtual
    image paths: :mod:`fastk.data.video_frames`), ``celeba-spoof``, ``faces`` (the shared real photographs)
    and ``demo`` (real faces with simulated attacks).

    :param registry: the dataset registry; call ``registry.add(DatasetClass)``.
    """


@registration("protocol", "fastk.data.protocols:Protocol")
def fastk_register_protocols(registry: Registry) -> None:
    """Register evaluation protocols (subclasses of :class:`fastk.data.protocols.Protocol`).

    A protocol turns a dataset's samples into a benchmark's fixed ``train``/``val``/``test`` lists
    (``val`` is the benchmarks' *dev* set), used instead of the random subject split when a run config
    sets ``split.protocol``. Built in: ``oulu-npu`` (OULU-NPU protocols 1-4 from the official protocol
    files; ``oulu-npu:3,fold=2``), ``cross-dataset`` (train on the run's dataset, test on another:
    ``cross-dataset:oulu:/data/oulu``), ``celeba-spoof`` (CelebA-Spoof's intra-dataset test) and
    ``siw`` (SiW protocols 1-3 over its Train/Test folders; ``siw:2,fold=3``).

    :param registry: the protocol registry; call ``registry.add(ProtocolClass)``.
    """


@hookspec
def fastk_register_commands(cli: click.Group) -> None:
    """Add commands to the ``fastk`` command-line tool.

    Keep heavy imports (torch) inside the command body so ``fastk --help`` stays fast.

    :param cli: the top-level click group; call ``cli.add_command(cmd)`` or use ``@cli.command()``.
    """
