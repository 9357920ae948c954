"""Turn results into strict JSON: NaN and infinities become null, numpy values plain numbers, paths text.

Why: ``json.dumps`` writes a bare ``NaN`` by default, which most JSON readers (browsers, ``jq``,
other languages) refuse. Every JSON file fastk writes goes through :func:`write_json` and every JSON
text it prints through :func:`dumps`, which fails loudly (``allow_nan=False``) if anything non-finite
slipped past :func:`jsonable`.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import secrets
from collections.abc import Callable
from pathlib import Path, PurePath
from typing import Any

import numpy as np


def jsonable(x: Any) -> Any:
    """``x`` with every value JSON can hold portably (non-finite floats become ``None``)."""
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in (sorted(x, key=str) if isinstance(x, (set, frozenset)) else x)]
    if isinstance(x, np.ndarray):
        return jsonable(x.tolist())
    if isinstance(x, (np.floating, np.integer, np.bool_)):
        return jsonable(x.item())
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, PurePath):
        return str(x)
    return x


def dumps(x: Any, *, default: Callable[[Any], Any] | None = None, **kwargs: Any) -> str:
    """Strict JSON text of ``x`` (through :func:`jsonable`; never a bare NaN or Infinity).

    ``default`` converts what JSON cannot hold, as in :func:`json.dumps`; what it returns passes
    through :func:`jsonable` too, so ``default=float`` on a NaN tensor gives null, not an error.
    """
    strict_default = None if default is None else (lambda o: jsonable(default(o)))
    return json.dumps(jsonable(x), allow_nan=False, default=strict_default, **kwargs)


def write_json(path: str | Path, x: Any, **kwargs: Any) -> Path:
    """Write ``x`` to ``path`` as strict JSON (:func:`dumps`, which takes ``kwargs``), atomically.

    The text goes to a temporary file beside ``path`` (a name no other process, thread or machine on a
    shared disk picks), which then replaces ``path``: a reader, another worker or a run killed halfway
    sees the old file or the new one, never half of one. An ``OSError`` names ``path`` (a full disk
    or a read-only folder is the user's to fix, and "No space left on device" alone does not say
    where) and leaves no temporary file behind.
    """
    p = Path(path)
    text = dumps(x, **kwargs)
    tmp = p.with_name(f"{p.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")  # NAME.*: listings that skip a name skip its temp
    try:
        with open(tmp, "x", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, p)
    except BaseException as err:  # an interrupt too: no temporary file is left behind
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        if isinstance(err, OSError):
            raise OSError(err.errno, err.strerror or str(err), str(p)) from err
        raise
    return p
