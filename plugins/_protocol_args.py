"""The ``N,fold=K`` argument of protocols that are numbered and folded (``oulu-npu``, ``siw``).

Why shared: ``oulu-npu:3,fold=2`` and ``siw:2,fold=3`` are read by one rule, so both accept the same
forms (``3,fold=2``, ``3,2``, ``protocol=3,fold=2``) and refuse the same mistakes in the same words.
"""

from __future__ import annotations

from typing import Any

from fastk.errors import ConfigError


def parse_number_and_fold(name: str, arg: str, examples: str) -> dict[str, int]:
    """``"3,fold=2"`` / ``"3,2"`` / ``"protocol=3,fold=2"`` -> ``{"protocol": 3, "fold": 2}``.

    ``name`` is the protocol's (``oulu-npu``), ``examples`` what the error shows
    (``"oulu-npu:1 or oulu-npu:3,fold=2"``).
    """
    out: dict[str, int] = {}
    for i, item in enumerate(p.strip() for p in arg.split(",")):
        key, sep, value = item.partition("=")
        key, value = (key.strip(), value.strip()) if sep else (("protocol", "fold")[min(i, 1)], item)
        if key not in ("protocol", "fold") or key in out or not value.isdigit():
            raise ConfigError(f"protocol '{name}:{arg}': expected a protocol number and a fold, e.g. {examples}")
        out[key] = int(value)
    return out


def spec_options(name: str, arg: str, options: dict[str, Any], examples: str) -> dict[str, Any]:
    """The keyword arguments of ``NAME:ARG`` with ``options``: the parsed number and fold beside the
    other options; a number or fold given both after ':' and as an option is refused."""
    parsed = parse_number_and_fold(name, arg, examples)
    twice = sorted(set(parsed) & {k for k, v in options.items() if v is not None})
    if twice:
        raise ConfigError(f"protocol '{name}:{arg}': {twice[0]} is given twice (after ':' and as an option)")
    return {**options, **parsed}
