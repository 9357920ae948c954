"""Writing result files so that a failure names the file: a full disk or a read-only folder is the
user's to fix, and "No space left on device" alone does not say where."""

from __future__ import annotations

from pathlib import Path


def write_text(path: str | Path, text: str) -> Path:
    """``Path(path).write_text(text)``; an ``OSError`` raised while writing carries ``path`` as its filename."""
    p = Path(path)
    try:
        p.write_text(text)
    except OSError as err:
        if err.filename is None:
            raise OSError(err.errno, err.strerror or str(err), str(p)) from None
        raise
    return p
