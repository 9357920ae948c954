"""Where a CAM target layer sits in its model, learnt by watching one forward pass (for the fast CAMs).

Why watch instead of reading the code: fastk's models are timm networks, LGSC's wrapper around two of
them, or a plugin's own module; none of them can be traced symbolically in general (LGSC's decoder
compares shapes). Hooks on every module of one real forward pass show what runs before the target
layer, what runs after it and in what order. From that, :func:`plan_layer` decides two things:

* **closed form**: is everything after the layer only global average pooling, flatten, dropout and one
  ``Linear`` (a timm ResNet head, LGSC's auxiliary classifier)? Then the score is linear in each
  channel's mean and the effect of changing a channel needs no forward pass. Checked by structure
  *and* numerically (the linear layer sees the layer's spatial means; output = its output; two
  ablations predicted exactly), so a head with a hidden functional op falls back.
* **replay**: which modules (outermost first) run only before the layer starts? Their
  outputs are recorded once per image and replayed (repeated to the batch of ablated copies) while only
  the part above the layer is recomputed. Checked by replaying two unchanged copies against the
  original output; if that fails, nothing is replayed (the whole model runs, as grad-cam does).
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import torch

#: Leaf modules allowed between the target layer and the linear layer of a closed-form head.
_HEAD_LEAVES = {"AdaptiveAvgPool2d", "FastAdaptiveAvgPool", "Flatten", "Identity", "Dropout", "Dropout1d",
                "Dropout2d", "AlphaDropout", "Linear"}


@dataclass
class _Call:
    pre: int
    post: int = -1
    nbytes: int = 0
    stubbable: bool = False


@dataclass
class LayerPlan:
    """What the fast CAMs know about one (model, target layer) pair; holds no tensors."""

    layer_name: str
    #: Names of the modules whose recorded outputs are replayed instead of recomputed.
    stubs: list[str]
    #: Bytes of module outputs per copy above the layer (replay) and for the whole model.
    bytes_above: int
    bytes_model: int
    #: The head's linear layer when the closed form holds, else None.
    linear: Any = None
    checks: dict[str, Any] = field(default_factory=dict)


def _nbytes(obj: Any) -> int:
    if isinstance(obj, torch.Tensor):
        return obj.numel() * obj.element_size()
    if isinstance(obj, (list, tuple)):
        return sum(_nbytes(o) for o in obj)
    if isinstance(obj, dict):
        return sum(_nbytes(o) for o in obj.values())
    return 0


def _batched(obj: Any, batch: int) -> bool:
    """A tensor (or list/tuple/dict of tensors) whose first dimension is the batch: replayable."""
    if isinstance(obj, torch.Tensor):
        return obj.ndim > 0 and obj.shape[0] == batch
    if isinstance(obj, (list, tuple)) and obj:
        return all(_batched(o, batch) for o in obj)
    if isinstance(obj, dict) and obj:
        return all(_batched(o, batch) for o in obj.values())
    return False


def _pick(obj: Any, b: int, n: int) -> Any:
    """Image ``b`` of a recorded output, repeated ``n`` times (fresh memory: later ops may work in place)."""
    if isinstance(obj, torch.Tensor):
        return obj[b:b + 1].repeat(n, *([1] * (obj.ndim - 1)))
    if isinstance(obj, (list, tuple)):
        return type(obj)(_pick(o, b, n) for o in obj)
    return {k: _pick(v, b, n) for k, v in obj.items()}


def _clone(obj: Any) -> Any:
    if isinstance(obj, torch.Tensor):
        return obj.clone()
    if isinstance(obj, (list, tuple)):
        return type(obj)(_clone(o) for o in obj)
    return {k: _clone(v) for k, v in obj.items()}


def _inside(name: str, root: str) -> bool:
    return root == "" or name == root or name.startswith(root + ".")


def trace(model: torch.nn.Module, x1: torch.Tensor, keep: str) -> tuple[dict[str, list[_Call]], dict[str, Any], Any]:
    """Every module's calls (event order, output size) in one forward pass, each Linear's input and
    output, the output of module ``keep`` (under key ``"kept"``) and the model's output."""
    calls: dict[str, list[_Call]] = {}
    linear_io: dict[str, list[tuple[torch.Tensor, torch.Tensor]]] = {}
    counter = iter(range(1 << 62))
    handles = []

    def pre(name):
        def hook(_m, _args):
            calls.setdefault(name, []).append(_Call(next(counter)))
        return hook

    def post(name, is_linear):
        def hook(_m, args, out):
            call = next(c for c in reversed(calls[name]) if c.post < 0)
            call.post, call.nbytes, call.stubbable = next(counter), _nbytes(out), _batched(out, len(x1))
            if is_linear and args and isinstance(args[0], torch.Tensor):
                linear_io.setdefault(name, []).append((args[0].clone(), out.clone()))
            if name == keep:
                linear_io["kept"] = _clone(out)
        return hook

    for name, mod in model.named_modules():
        handles.append(mod.register_forward_pre_hook(pre(name)))
        handles.append(mod.register_forward_hook(post(name, isinstance(mod, torch.nn.Linear))))
    try:
        out = model(x1)
    finally:
        for h in handles:
            h.remove()
    return calls, linear_io, out


def plan_layer(model: torch.nn.Module, layer: torch.nn.Module, x1: torch.Tensor, output_index: int,
               *, closed_form: bool) -> LayerPlan:
    """Decide, for one image ``x1``, what can be skipped when only ``layer``'s output changes."""
    names = {id(m): n for n, m in model.named_modules()}
    if id(layer) not in names:
        raise ValueError("target layer is not a module of the target's model")
    target = names[id(layer)]
    calls, linear_io, out1 = trace(model, x1, target)
    if len(calls.get(target, [])) != 1:  # a layer used twice cannot be replaced by one activation
        return LayerPlan(target, [], 0, sum(c.nbytes for cs in calls.values() for c in cs))
    t0, t1 = calls[target][0].pre, calls[target][0].post
    ancestors = {n for n in calls if n != target and _inside(target, n)}
    modules = dict(model.named_modules())

    def subtree_calls(name):
        return [c for n, cs in calls.items() if _inside(n, name) for c in cs]

    replayable = {n for n in calls
                  if n not in ancestors and not _inside(n, target)
                  and all(c.post < t0 for c in subtree_calls(n)) and all(c.stubbable for c in calls[n])}
    # the outermost ones: a replayed module's inner modules never run
    stubs = [n for n in replayable if not any(_inside(n, p) for p in replayable if p != n)]
    after = [n for n, cs in calls.items()
             if n not in ancestors and not _inside(n, target) and any(c.pre > t1 for c in cs)]
    bytes_above = sum(c.nbytes for n in after for c in calls[n]) + 2 * calls[target][0].nbytes
    bytes_model = sum(c.nbytes for n, cs in calls.items() if n not in ancestors for c in cs)
    plan = LayerPlan(target, stubs, bytes_above, bytes_model)
    if closed_form:
        leaves = [n for n in after if not any(True for _ in modules[n].children())]
        linears = [n for n in leaves if isinstance(modules[n], torch.nn.Linear)]
        structural = (all(type(modules[n]).__name__ in _HEAD_LEAVES for n in leaves) and len(linears) == 1
                      and len(calls[linears[0]]) == 1 and linears[0] in linear_io)
        plan.checks["head_structure"] = structural
        if structural and _head_is_linear(model, layer, modules[linears[0]], x1, out1, linear_io, linears[0],
                                          output_index, plan.checks):
            plan.linear = weakref.ref(modules[linears[0]])
    return plan


def _head_is_linear(model, layer, linear, x1, out1, io, lin_name, idx, checks) -> bool:
    """Numerical side of the closed-form check, on the traced image: the linear layer sees the layer's
    spatial means, the model returns its output, and ablating a channel (to 0 and far below the
    minimum, grad-cam's two values) changes the score exactly as the closed form predicts."""
    a = io["kept"]
    lin_in, lin_out = io[lin_name][0]
    if not isinstance(a, torch.Tensor) or a.ndim != 4 or linear.in_features != a.shape[1]:
        return False
    means = a.mean(dim=(2, 3))
    tol = 1e-4 * max(1.0, float(means.abs().max()))
    checks["linear_sees_means"] = lin_in.shape == (1, a.shape[1]) and bool(torch.allclose(lin_in, means, atol=tol))
    checks["output_is_linear"] = bool(torch.allclose(out1[:, idx], lin_out[:, idx], rtol=1e-5, atol=1e-6))
    if not (checks["linear_sees_means"] and checks["output_is_linear"]):
        return False
    w = linear.weight[idx]
    top = torch.argsort((w * means[0]).abs(), descending=True)[:2]
    values = torch.tensor([0.0, float(a.min()) - 1e7], dtype=a.dtype)
    ablated = a.repeat(4, 1, 1, 1)
    ks = top.repeat(2)
    vs = values.repeat_interleave(2)
    for i, (k, v) in enumerate(zip(ks, vs)):
        ablated[i, k] = v
    with _forwards({layer: lambda *_a, **_k: ablated}):
        got = model(x1.repeat(4, *([1] * (x1.ndim - 1))))[:, idx]
    want = out1[0, idx] - w[ks] * (means[0, ks] - vs)
    scale = torch.maximum(want.abs(), (w[ks] * (means[0, ks] - vs)).abs()).clamp(min=1.0)
    checks["ablations_predicted"] = bool(((got - want).abs() <= 1e-4 * scale).all())
    return checks["ablations_predicted"]


@contextlib.contextmanager
def _forwards(replacements: dict[torch.nn.Module, Callable[..., Any]]) -> Iterator[None]:
    """Temporarily replace modules' ``forward`` (hooks still run); always restored."""
    saved = {m: m.__dict__.get("forward") for m in replacements}
    try:
        for m, fn in replacements.items():
            m.forward = fn
        yield
    finally:
        for m, old in saved.items():
            if old is None:
                m.__dict__.pop("forward", None)
            else:
                m.forward = old


class Recording:
    """One forward pass of a batch that keeps the target layer's activations and the replayed outputs."""

    def __init__(self, model: torch.nn.Module, layer: torch.nn.Module, plan: LayerPlan, x: torch.Tensor,
                 *, replay: bool = True):
        self.model, self.layer, self.plan, self.x = model, layer, plan, x
        modules = dict(model.named_modules())
        self.stub_modules = {n: modules[n] for n in plan.stubs} if replay else {}
        self.outputs: dict[str, list[Any]] = {n: [] for n in plan.stubs}
        store: dict[str, Any] = {}
        handles = [layer.register_forward_hook(lambda _m, _a, out: store.__setitem__("a", out.clone()))]
        for n, m in self.stub_modules.items():
            handles.append(m.register_forward_hook(lambda _m, _a, out, n=n: self.outputs[n].append(_clone(out))))
        try:
            self.scores = model(x)
        finally:
            for h in handles:
                h.remove()
        self.activations: torch.Tensor = store["a"]

    def run_above(self, b: int, activations: torch.Tensor, *, replay: bool = True) -> torch.Tensor:
        """Model outputs for image ``b`` with the layer's output replaced by each of ``activations``."""
        n = len(activations)
        stubs = self.stub_modules if replay else {}
        counters = dict.fromkeys(stubs, 0)

        def stub(name):
            def forward(*_args, **_kwargs):
                i = counters[name]
                counters[name] += 1
                return _pick(self.outputs[name][i], b, n)
            return forward

        replacements = {m: stub(n) for n, m in stubs.items()}
        replacements[self.layer] = lambda *_a, **_k: activations
        with _forwards(replacements):
            copies = self.x[b:b + 1].repeat(n, *([1] * (self.x.ndim - 1)))
            return self.model(copies.contiguous(memory_format=torch.channels_last) if copies.ndim == 4 else copies)

    def replay_is_exact(self) -> bool:
        """Two unchanged copies of image 0 replayed give the original output (else replay is not used)."""
        if not self.stub_modules:
            return True
        try:
            out = self.run_above(0, self.activations[:1].repeat(2, 1, 1, 1))
        except Exception:  # noqa: BLE001 - any failure of the replayed graph means: do not replay
            return False
        ref = self.scores[:1].expand_as(out)
        return bool(torch.allclose(out, ref, rtol=1e-4, atol=1e-5 * max(1.0, float(ref.abs().max()))))


_PLANS: dict[tuple, tuple[list, Any, LayerPlan]] = {}


def cached_plan(model: torch.nn.Module, layer: torch.nn.Module, x: torch.Tensor, output_index: int, *,
                closed_form: bool) -> LayerPlan:
    """:func:`plan_layer` once per (model, layer, output, input shape, closed_form), cached weakly; shared
    by the fast AblationCAM/ScoreCAM and the closed-form gradient CAMs.

    A backbone's CAM target model is often a wrapper made afresh per call (LGSC's ``Logits`` around the
    network), so a model is known by its class and its child modules (the same ones: the same function,
    and a plan holds only module names and a weak reference to the head), not by the wrapper object:
    otherwise every call re-traced the model.
    """
    children = list(model.children()) or [model]
    key = (type(model), *map(id, children), id(layer), output_index, tuple(x.shape[1:]), closed_form)
    cached = _PLANS.get(key)
    if cached and all(r() is c for r, c in zip(cached[0], children)) and cached[1]() is layer:
        return cached[2]
    plan = plan_layer(model, layer, x[:1], output_index, closed_form=closed_form)
    for old in [k for k, (refs, layer_ref, _) in _PLANS.items() if layer_ref() is None or any(r() is None for r in refs)]:
        del _PLANS[old]  # plans of models that are gone (a stability grid loads one model per seed)
    _PLANS[key] = ([weakref.ref(c) for c in children], weakref.ref(layer), plan)
    return plan
