"""A command's output folder, locked and owned for the whole command: ``@locked_output("out", "fastk X")``.

Why a decorator: every command that writes a folder must hold it from its first file to its last (a
second writer, or another command's files in the same folder, would mix or overwrite results; issue
29), and wrapping each command's body by hand re-indents it and is easy to forget.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from fastk.common.distributed import main_holds
from fastk.common.locks import FolderLock


def locked_output(param: str, command: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Hold :class:`fastk.common.locks.FolderLock` on the folder passed as keyword ``param`` (when given) while
    the command runs; under torchrun rank 0 holds it (:func:`fastk.common.distributed.main_holds`)."""

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            folder = kwargs.get(param)
            if folder is None:
                return fn(*args, **kwargs)

            with main_holds(lambda: FolderLock(folder, command)):
                return fn(*args, **kwargs)

        return run

    return wrap
