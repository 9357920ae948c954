"""Running under ``torchrun``: which process this is, and the few collectives fastk's sharded steps use.

Why this shape: ``torchrun --nproc-per-node N -m fastk ...`` starts N copies of the same command and
tells each its place through the environment (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``,
``MASTER_ADDR``/``MASTER_PORT``). fastk reads that here and nowhere else; without those variables
:func:`world` is a one-process world and every helper below is a no-op, so single-process code paths
stay exactly what they were. The process group is torch.distributed's own: ``gloo`` on CPUs, ``nccl``
when every process has a GPU (each takes ``cuda:LOCAL_RANK``).

Rules the sharded steps follow (so N processes give the one-process result):

* **Rank 0 owns the files.** Only it takes a folder's lock and writes checkpoints, CSV rows, figures
  and reports; other ranks compute and hand their results to it.
* **Work is split in whole batches, in order.** Batch ``b`` of the one-process run goes to rank
  ``b % N`` unchanged, and rank 0 writes the gathered results in batch order; so per-image results are
  the ones a single process computes (the same images in the same batch), not merely close to them.
* **Decisions are made once.** What to resume and whether the folder may be resumed are decided by
  rank 0 (:func:`decided_by_main`) and sent to the others; an error there reaches every rank as the same
  one-line error, instead of leaving the other ranks waiting.

The collectives use Python objects (``all_gather_object``): the payloads are per-image rows and a few
images for overlays, not tensors, and they keep the code free of shape bookkeeping.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from fastk.common.devices import default_device
from fastk.errors import ConfigError, FastkError

T = TypeVar("T")

#: How long a rank waits for the others at a collective. Rank 0 alone runs the steps that are not
#: sharded (the report, the statistics); the others wait for it, which on a real dataset takes longer
#: than torch's 30-minute default.
TIMEOUT = datetime.timedelta(hours=12)


@dataclass(frozen=True)
class World:
    """This process's place among the processes torchrun started (``size`` 1 without torchrun)."""

    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        """Whether this process writes the files (rank 0)."""
        return self.rank == 0

    @property
    def sharded(self) -> bool:
        return self.size > 1

    def shard(self, items: list[T]) -> list[T]:
        """This rank's items of ``items``: every ``size``-th one from ``rank`` (the batch-to-rank rule)."""
        return items[self.rank :: self.size]

    def rounds(self, n: int) -> int:
        """How many rounds of one item per rank cover ``n`` items (every rank runs the same number)."""
        return -(-n // self.size)


_WORLD: World | None = None


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"environment variable {name}={value!r} is not an integer (set by torchrun?)") from None


_ALONE = World()
_alone_depth = 0


@contextmanager
def alone() -> Iterator[None]:
    """Inside this block the process acts as a one-process world (no collectives).

    For the steps rank 0 runs by itself while the other ranks wait (the report, sanity's explorations):
    code they call that would otherwise shard (``explore``) must not wait for ranks that are not there.
    """
    global _alone_depth
    _alone_depth += 1
    try:
        yield
    finally:
        _alone_depth -= 1


def launched() -> World:
    """This process's place as torchrun's environment gives it, without joining the process group:
    for what must be decided before torch loads (the CLI's output, progress bars)."""
    return World(_env_int("RANK", 0), _env_int("WORLD_SIZE", 1), _env_int("LOCAL_RANK", 0))


def world() -> World:
    """The world of this process, joining torchrun's process group on the first call (a one-process
    world inside :func:`alone`)."""
    global _WORLD
    if _alone_depth:
        return _ALONE
    if _WORLD is None:
        _WORLD = launched()
        if _WORLD.sharded:
            _join(_WORLD)
    return _WORLD


def _join(w: World) -> None:
    import torch
    import torch.distributed as dist

    if dist.is_initialized():
        return
    if torch.cuda.is_available() and torch.cuda.device_count() > w.local_rank:
        torch.cuda.set_device(w.local_rank)
        backend = "nccl"
    else:
        backend = "gloo"
    dist.init_process_group(backend, timeout=TIMEOUT)


def device(requested: str | None = None) -> str:
    """Where this rank's model runs: ``requested`` if given, else its own GPU, else the CPU."""

    chosen = default_device(requested)
    w = world()
    if chosen == "cuda" and w.sharded:
        return f"cuda:{w.local_rank}"
    return chosen


def all_gather(obj: Any) -> list[Any]:
    """Every rank's ``obj``, in rank order, on every rank (``[obj]`` in a one-process world)."""
    w = world()
    if not w.sharded:
        return [obj]
    import torch.distributed as dist

    out: list[Any] = [None] * w.size
    dist.all_gather_object(out, obj)
    return out


def broadcast(obj: Any = None) -> Any:
    """Rank 0's ``obj`` on every rank (what other ranks pass is ignored)."""
    w = world()
    if not w.sharded:
        return obj
    import torch.distributed as dist

    box = [obj if w.is_main else None]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def decided_by_main(decide: Callable[[], T]) -> T:
    """Run ``decide`` on rank 0 only and return its value on every rank; a fastk error raised there is
    raised on every rank (same class, same one line), so no rank is left waiting for the others."""
    w = world()
    if not w.sharded:
        return decide()
    outcome: tuple[str, Any] = ("ok", None)
    failure: FastkError | None = None
    if w.is_main:
        try:
            outcome = ("ok", decide())
        except FastkError as err:
            failure, outcome = err, ("error", (type(err), str(err)))
    outcome = broadcast(outcome)
    if failure is not None:
        raise failure
    if outcome[0] == "error":
        cls, message = outcome[1]
        echoed = cls(message)
        echoed.told_by_main = True  # the CLI prints it on rank 0 only
        raise echoed
    return outcome[1]


@contextmanager
def main_holds(make: Callable[[], AbstractContextManager[Any]]) -> Iterator[None]:
    """Enter ``make()`` (a folder lock) on rank 0 only, for the whole block; if rank 0 cannot (the folder
    is locked by another run), every rank raises its error."""
    w = world()
    if not w.sharded:
        with make():
            yield
        return
    with ExitStack() as stack:
        decided_by_main(lambda: stack.enter_context(make()) and None)
        yield
