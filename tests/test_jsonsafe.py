"""fastk.common.jsonsafe: the one JSON writer (strict JSON, NaN as null, written atomically)."""

import errno
import json
import threading

import numpy as np
import pytest

from fastk.common.jsonsafe import dumps, write_json


def _strict(text: str):
    return json.loads(text, parse_constant=lambda c: pytest.fail(f"bare {c} in JSON"))


def test_non_finite_numbers_numpy_values_and_paths_become_plain_json(tmp_path):
    x = {"nan": float("nan"), "inf": np.float32("inf"), "n": np.int64(3), "a": np.array([0.5, np.nan]),
         "path": tmp_path, 1: {"b"}}
    out = write_json(tmp_path / "x.json", x, indent=2)
    assert _strict(out.read_text()) == {"nan": None, "inf": None, "n": 3, "a": [0.5, None], "path": str(tmp_path),
                                        "1": ["b"]}
    assert out.read_text() == dumps(x, indent=2)


def test_what_default_returns_is_made_strict_too(tmp_path):
    class Tensor:
        def __float__(self):
            return float("nan")

    assert _strict(dumps({"loss": Tensor()}, default=float)) == {"loss": None}


def test_the_file_is_replaced_whole_and_no_temporary_file_is_left(tmp_path):
    """Eight threads rewrite one file: every read sees a whole file, and only that file remains."""
    p = tmp_path / "state.json"
    write_json(p, {"i": -1, "pad": "x" * 100_000})
    seen = []

    def writer(i: int):
        for j in range(20):
            write_json(p, {"i": i * 100 + j, "pad": "x" * 100_000})
            seen.append(json.loads(p.read_text())["i"])

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 160 and [f.name for f in tmp_path.iterdir()] == ["state.json"]


def test_a_failed_write_names_the_file_and_leaves_nothing(tmp_path):
    with pytest.raises(OSError) as err:
        write_json(tmp_path / "missing" / "x.json", {"a": 1})
    assert err.value.errno == errno.ENOENT and err.value.filename == str(tmp_path / "missing" / "x.json")
    with pytest.raises(TypeError):  # not JSON at all: nothing is written
        write_json(tmp_path / "y.json", {"a": object()})
    assert list(tmp_path.iterdir()) == []
