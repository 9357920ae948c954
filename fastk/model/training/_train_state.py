"""The resumable training state (``training_state.pt``): written after every epoch, read on resume.

Why a module of its own: the trainer's epoch loop writes and resumes it, and the fingerprint check
(:mod:`fastk.model.training.train_fingerprint`) reads it; a torn, foreign or mismatched file must fail with
one line naming the file, never with a torch traceback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastk.errors import CheckpointError
from fastk.model.checkpoints import save_torch

if TYPE_CHECKING:  # pragma: no cover
    import torch

    from fastk.model.backbones import Backbone


def no_best() -> dict[str, Any]:
    """The best epoch before any epoch ran: the first validation result beats it."""
    return {"acer": float("inf"), "auc": -1.0, "epoch": -1, "threshold": 0.5, "metrics": {}}


def save_state(path: Path, model: torch.nn.Module, opt: torch.optim.Optimizer,
               sched: torch.optim.lr_scheduler.LRScheduler, epoch: int, history: list[dict[str, Any]],
               best: dict[str, Any], fingerprint: dict[str, Any]) -> None:
    """Everything the next epoch needs, written atomically (a full disk: one line naming the file)."""

    save_torch({"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                "epoch": epoch, "history": json.dumps(history, default=float), "best": json.dumps(best, default=float),
                "fingerprint": json.dumps(fingerprint)}, path)


def load_state(path: Path) -> dict[str, Any]:
    """The state as written by :func:`save_state`; :class:`CheckpointError` for anything else."""
    import torch

    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # a torn file from a kill during the save is replaced atomically, but be safe
        raise CheckpointError(f"{path}: unreadable training state ({str(err).splitlines()[0][:120]})") from None
    if not isinstance(state, dict):
        raise CheckpointError(f"{path}: not a fastk training state; delete it to start fresh")
    return state


def resume(path: Path, backbone: Backbone, model: torch.nn.Module, opt: torch.optim.Optimizer,
           sched: torch.optim.lr_scheduler.LRScheduler) -> tuple[list[dict[str, Any]], dict[str, Any], int]:
    """Load the state at ``path`` (when there is one) into model, optimiser and scheduler; returns the
    history, the best epoch so far and the epoch to start at (a fresh start without a state)."""
    if not path.exists():
        return [], no_best(), 0
    state = load_state(path)
    try:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        return json.loads(state["history"]), json.loads(state["best"]), int(state["epoch"]) + 1
    except KeyError as err:
        raise CheckpointError(f"{path}: training state has no {err.args[0]!r}; delete it to start fresh") from None
    except (RuntimeError, ValueError, TypeError) as err:
        first = str(err).strip().splitlines()[0][:160] if str(err).strip() else type(err).__name__
        raise CheckpointError(f"{path}: training state does not fit backbone {backbone.spec!r} ({first}); "
                              "use a new --out folder or delete it") from None
