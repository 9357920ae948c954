"""Turn results into strict JSON: NaN and infinities become null, numpy values plain numbers, paths text.

Why: ``json.dumps`` writes a bare ``NaN`` by default, which most JSON readers (browsers, ``jq``,
other languages) refuse. Every JSON file fastk writes goes through :func:`dumps`, which fails loudly
(``allow_nan=False``) if anything non-finite slipped past :func:`jsonable`.
"""

from __future__ import annotations

import json
import math
from pathlib import PurePath
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


def dumps(x: Any, **kwargs: Any) -> str:
    """Strict JSON text of ``x`` (through :func:`jsonable`; never a bare NaN or Infinity)."""
    return json.dumps(jsonable(x), allow_nan=False, **kwargs)
