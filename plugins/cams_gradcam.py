"""Every CAM method of the ``grad-cam`` package (pytorch-grad-cam), as fastk CAM methods.

The list is read from the installed package, not kept by hand: every ``BaseCAM`` subclass it exports,
and the wrappers that take a ``base_method`` (FinerCAM, ...), become one fastk method each, named
after the class in lower case with ``PlusPlus`` written ``++`` (``GradCAMPlusPlus`` -> ``gradcam++``).
A grad-cam release that adds a method adds it to fastk too.

Every method is also reachable as ``gradcam-lib:<name>`` (grad-cam's own code, whatever else is
registered). ScoreCAM and AblationCAM are *only* reachable that way: their plain names belong to the
fast exact versions in plugins/cams_fast.py (the registry allows one class per name, and ``:`` in a
name is the argument separator, so grad-cam's originals live behind one ``gradcam-lib`` entry).
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import io
from typing import Any, ClassVar

import numpy as np

import fastk
from fastk.errors import UnknownPluginError
from fastk.explain.cam import CamMethod, CamTarget, eval_mode

#: Methods that run one forward pass per channel of the target layer (minutes on a CPU).
_FORWARD_PER_CHANNEL = {"ScoreCAM", "AblationCAM"}
#: Methods that use no gradients.
_ACTIVATION_ONLY = {"EigenCAM", "KPCA_CAM", "SegEigenCAM", "FEM", "RandomCAM"}
#: Not explanations of the model (a sanity-check baseline) or not repeatable.
_NONDETERMINISTIC = {"RandomCAM"}
#: Faster exact versions registered under these names by plugins/cams_fast.py.
_REPLACED = {"ScoreCAM", "AblationCAM"}
#: Exported but not per-image CAM methods with the common interface.
_NOT_METHODS = {"DeepFeatureFactorization", "GuidedBackpropReLUModel", "AblationLayer"}


def method_name(cls_name: str) -> str:
    return cls_name.lower().replace("plusplus", "++")


class GradCamLibraryMethod(CamMethod):
    """Runs one grad-cam class; subclasses (made below) only set ``cam_class``."""

    cam_class: ClassVar[type]
    #: Skip the backward pass where the gradient is a constant (plugins/_gradcam_closed_form.py);
    #: ``gradcam-lib:<name>`` instances set it False: grad-cam's own code, always.
    closed_form: bool = True
    #: ``closed-form`` or ``grad-cam``: what the last call did (for tests and benchmarks).
    last_path: str = ""

    def _compute(self, target: CamTarget, inputs) -> np.ndarray:
        return self._run(target, inputs)[0]

    def compute_outputs(self, target: CamTarget, inputs) -> tuple[np.ndarray, Any]:
        """Methods with grad-cam's own forward pass (:meth:`shares_gradient_pass`) ran ``target.model``
        once on the batch as it is; grad-cam keeps that pass's outputs (``BaseCAM.outputs``)."""
        from fastk.explain.cam import normalise_maps

        maps, outputs = self._run(target, inputs)
        return normalise_maps(maps), outputs if self.shares_gradient_pass() else None

    def _run(self, target: CamTarget, inputs) -> tuple[np.ndarray, Any]:
        from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

        if self.closed_form and self.shares_gradient_pass():
            from ._gradcam_closed_form import closed_form_maps

            found = closed_form_maps([self.cam_class], target, inputs)
            self.last_path = "closed-form" if found is not None else "grad-cam"
            if found is not None:
                return found[0][0], found[1]

        device = next(target.model.parameters()).device
        targets = [ClassifierOutputTarget(target.output_index)] * len(inputs)
        with eval_mode(target.model):
            cam = self.cam_class(model=target.model, target_layers=target.target_layers)
            if hasattr(cam, "batch_size"):
                cam.batch_size = self.batch_size
            try:
                # grad-cam draws tqdm bars on stderr for ScoreCAM/AblationCAM; fastk shows its own progress.
                with contextlib.redirect_stderr(io.StringIO()):
                    maps = cam(input_tensor=inputs.to(device), targets=targets)
                outputs = getattr(cam, "outputs", None)
                return maps, None if outputs is None else outputs.detach()
            finally:
                _release(cam)

    @classmethod
    def shares_gradient_pass(cls) -> bool:
        """True when the method's map is a function of one forward/backward pass's activations and
        gradients at the target layers (grad-cam's ``BaseCAM.forward`` unchanged, no input gradient):
        then several such methods can be computed from one pass (:meth:`compute_with`)."""
        from pytorch_grad_cam.base_cam import BaseCAM

        cam_class = cls.cam_class
        if cls.cost != "gradient" or not issubclass(cam_class, BaseCAM):
            return False
        inherited = all(getattr(cam_class, n) is getattr(BaseCAM, n)
                        for n in ("forward", "__call__", "compute_cam_per_layer", "aggregate_multi_layers"))
        return inherited

    def compute_with(self, others, target: CamTarget, inputs) -> list[np.ndarray]:
        """Every method that :meth:`shares_gradient_pass` gets its map from one forward and backward
        pass (the first such method's hooks), the others are computed alone; equal to computing each."""
        from fastk.explain.cam import normalise_maps

        methods = [self, *others]
        shared = [m for m in methods if isinstance(m, GradCamLibraryMethod) and m.shares_gradient_pass()]
        if len(shared) < 2:
            return super().compute_with(others, target, inputs)
        found = None
        if all(m.closed_form for m in shared):
            from ._gradcam_closed_form import closed_form_maps

            found = closed_form_maps([m.cam_class for m in shared], target, inputs)
        passes = found[0] if found is not None else _one_pass_maps([m.cam_class for m in shared], target, inputs)
        maps = dict(zip(map(id, shared), passes))
        return [normalise_maps(maps[id(m)]) if id(m) in maps else m.compute(target, inputs) for m in methods]


def _one_pass_maps(cam_classes: list[type], target: CamTarget, inputs) -> list[np.ndarray]:
    """grad-cam maps of each class; those whose instances use plain detached gradients of the target
    layers (not ShapleyCAM's second derivatives) reuse the first such instance's forward/backward pass."""
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    device = next(target.model.parameters()).device
    x = inputs.to(device)
    targets = [ClassifierOutputTarget(target.output_index)] * len(inputs)
    with eval_mode(target.model):
        cams = [c(model=target.model, target_layers=target.target_layers) for c in cam_classes]
        plain = lambda cam: cam.detach and cam.uses_gradients and not cam.compute_input_gradient  # noqa: E731
        donor = None
        out = []
        try:
            for cam in cams:
                if donor is None or not plain(cam):
                    out.append(cam(input_tensor=x, targets=targets))
                    donor = cam if donor is None and plain(cam) else donor
                    continue
                cam.activations_and_grads.release()
                cam.activations_and_grads = donor.activations_and_grads  # the pass already made
                out.append(cam.aggregate_multi_layers(cam.compute_cam_per_layer(x, targets, False)))
            return out
        finally:
            for cam in cams:
                _release(cam)


def _release(cam) -> None:
    """Remove the forward hooks (wrappers such as RefineCAM keep them on an inner ``base_cam``)."""
    for owner in (cam, getattr(cam, "base_cam", None)):
        hooks = getattr(owner, "activations_and_grads", None)
        if hooks is not None:
            hooks.release()


@functools.cache
def discover() -> tuple[type[GradCamLibraryMethod], ...]:
    """One fastk class per grad-cam method found in the installed package (made once per process)."""
    import pytorch_grad_cam
    from pytorch_grad_cam.base_cam import BaseCAM

    found = []
    for cls_name, obj in sorted(vars(pytorch_grad_cam).items()):
        if not inspect.isclass(obj) or cls_name in _NOT_METHODS:
            continue
        is_wrapper = "base_method" in inspect.signature(obj.__init__).parameters
        if not (issubclass(obj, BaseCAM) or is_wrapper):
            continue
        cost = (
            "forward-per-channel"
            if cls_name in _FORWARD_PER_CHANNEL
            else "activation" if cls_name in _ACTIVATION_ONLY else "gradient"
        )
        attrs = {
            "name": method_name(cls_name),
            "cam_class": obj,
            "cost": cost,
            "deterministic": cls_name not in _NONDETERMINISTIC,
            "__doc__": f"grad-cam's {cls_name}.",
            "__module__": __name__,
        }
        found.append(type(f"GradCam_{cls_name}", (GradCamLibraryMethod,), attrs))
    return tuple(found)


class GradCamLibrary(GradCamLibraryMethod):
    """grad-cam's own code for any of its methods: gradcam-lib:ablationcam, gradcam-lib:scorecam, ...

    Making one gives an object of the named method's own class (``gradcam-lib:scorecam`` is grad-cam's
    ScoreCAM, not fastk's fast one), always run through grad-cam's code (no closed form).
    """

    name = "gradcam-lib"
    cost = "per method"
    spec_arg = "method"
    spec_help = "a grad-cam method name, e.g. gradcam-lib:scorecam"
    #: The method's name (what follows ``gradcam-lib:``); ``batch_size`` is every CAM method's.
    plugin_options: ClassVar[dict[str, Any]] = {"method": str}

    def __new__(cls, method: str | None = None, **kwargs: Any) -> Any:
        methods = {c.name: c for c in discover()}
        if method is None:
            raise UnknownPluginError("cam", "gradcam-lib (name a method: gradcam-lib:scorecam)", _library_names())
        if method not in methods:
            raise UnknownPluginError("cam", f"gradcam-lib:{method}", _library_names())
        chosen = methods[method](**kwargs)  # not a GradCamLibrary, so Python runs no __init__ of this class
        chosen.closed_form = False
        return chosen


def _library_names() -> list[str]:
    return [f"gradcam-lib:{c.name}" for c in discover()]


@fastk.hookimpl
def fastk_register_cam_methods(registry):
    for cls in discover():
        if cls.cam_class.__name__ not in _REPLACED:
            registry.add(cls)
    registry.add(GradCamLibrary)
