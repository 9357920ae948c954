"""Rich progress bars, one look for every long step (explore, masking, training, building data)."""

from __future__ import annotations

from fastk.common.distributed import launched


def progress_bar(enabled: bool = True):
    """A ``rich.progress.Progress`` (use as a context manager); ``enabled=False`` draws nothing, and
    neither do the ranks other than 0 under ``torchrun`` (one bar per step, not one per process)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    enabled = enabled and launched().is_main

    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        disable=not enabled,
        transient=False,
    )
