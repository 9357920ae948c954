"""What a pipeline step is: a name, the work, and the run-folder files it reads and writes; and the names
the step modules share (the manifest's training steps, the aligned copies' folder). A leaf: the loop
(:mod:`fastk.run.pipeline.core`) imports the step modules, and they import this, never the loop."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Step:
    """One manifest step of ``fastk run``.

    ``reads`` and ``writes`` are paths relative to the run folder (globs allowed); they document the
    data flow between steps (``fastk run`` lists them in the manifest) and let a reader of the run
    folder find which step made a file. ``sharded``: under ``torchrun`` every rank runs the step and
    shares its work (training, exploration, masking; see :mod:`fastk.common.distributed`); the other steps run
    on rank 0 while the other ranks wait.
    """

    name: str
    run: Callable[[], Any]
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()
    sharded: bool = False


#: The aligned copies' folder name below ``masked/`` (``masking: aligned``).
ALIGNED = "aligned"


def train_step(model: str) -> str:
    """The manifest step that trains ``model`` (``full`` or a retrain variant)."""
    return f"train_{model}"
