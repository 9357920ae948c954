"""docs/guarantees.md cites only tests that exist: a renamed or deleted test must update the page."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_cited_test_exists():
    doc = (ROOT / "docs" / "guarantees.md").read_text()
    cited = 0
    for line in doc.splitlines():
        current = None
        for m in re.finditer(r"`(tests/[\w/]+\.py)(?:::(\w+\*?))?`|`(test_\w+\*?)`", line):
            path, name, bare = m.groups()
            if path:
                assert (ROOT / path).is_file(), path
                current = path
            test = name or bare
            if test:
                assert current, f"{test} is cited without its file on the same line"
                source = (ROOT / current).read_text()
                assert f"def {test.rstrip('*')}" in source, f"{current} has no test {test}"
                cited += 1
    assert cited >= 25
