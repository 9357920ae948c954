"""Rich progress bars, one look for every long step (explore, masking, training, building data)."""

from __future__ import annotations


def progress_bar(enabled: bool = True):
    """A ``rich.progress.Progress`` (use as a context manager); ``enabled=False`` draws nothing."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        disable=not enabled,
        transient=False,
    )
