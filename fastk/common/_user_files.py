"""Reading the text files users write (run configs, area sets, CSV manifests): one-line errors, never a
silent surprise.

Why not ``read_text()`` and ``yaml.safe_load``: a manifest saved as Latin-1 (Excel's default on
Windows) raised ``UnicodeDecodeError`` with a traceback; a key given twice in YAML (two ``train:``
blocks) kept the last one without a word, so half a configuration was ignored; and a document nested
thousands of levels deep overflowed PyYAML's recursive composer (``RecursionError``). Here each is a
:class:`~fastk.errors.ConfigError` naming the file, the line and the cause.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from fastk.errors import ConfigError

#: Deeper YAML nesting is refused (fastk's files nest 3 levels; PyYAML recurses once per level).
MAX_DEPTH = 100


def read_utf8(path: Path) -> str:
    """The file's text (a UTF-8 byte-order mark dropped), or one line naming the first byte that is not UTF-8."""
    try:
        data = path.read_bytes()
    except OSError as err:
        raise ConfigError(f"{path}: cannot be read ({err.strerror or err})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[:err.start].count(b"\n") + 1
        raise ConfigError(f"{path}: line {line}: not UTF-8 text (byte 0x{data[err.start]:02x}); save the file as "
                          "UTF-8") from None


class _Refused(yaml.MarkedYAMLError):
    """What :class:`_StrictLoader` refuses; a YAML error, so the caller's one handler reports it."""


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing duplicate mapping keys and nesting deeper than :data:`MAX_DEPTH`."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Refused(problem=f"nested more than {MAX_DEPTH} levels deep",
                               problem_mark=self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            first: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":  # "<<: *base" overrides by design
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    seen = key in first  # equal keys (1 and 1.0 too) would share one dict entry
                except TypeError:  # an unhashable key: the base class says so
                    continue
                if seen:
                    raise _Refused(problem=f"duplicate key {key!r} (first given on line {first[key]}); "
                                           "give each key once", problem_mark=key_node.start_mark)
                first[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def load_yaml_text(text: str, source: str) -> Any:
    """Parse YAML safely (see the module doc); errors are one :class:`ConfigError` line naming ``source``."""
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except _Refused as err:
        mark = err.problem_mark
        raise ConfigError(f"{source}: line {mark.line + 1 if mark else '?'}: {err.problem}") from None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"{source}: not valid YAML ({err.problem or err.context}{where})") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"{source}: not valid YAML ({str(err).splitlines()[0] if str(err) else err!r})") from None
    except RecursionError:  # a structure deep in ways the depth check does not see
        raise ConfigError(f"{source}: not valid YAML (nested too deeply)") from None


def load_yaml_file(path: Path) -> Any:
    """:func:`read_utf8` then :func:`load_yaml_text`, naming the file."""
    return load_yaml_text(read_utf8(path), str(path))
