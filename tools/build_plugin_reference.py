"""Write docs/plugin-reference.md from the base classes' docstrings (``--check``: fail if it is stale).

Why generated: the reference must say exactly what the code offers, and it is checked by a test
(tests/test_plugin_api.py), so a changed docstring or a new member shows up here or fails the suite.
One section per plugin kind, in the order of ``fastk.plugin.plugins.KINDS`` (derived from the hookspecs, so a
new kind appears without touching this script). Per base class:

* class attributes, with their defaults and the ``#:`` comment above each;
* what a subclass **must** override (its abstract methods: a class without them is refused when registered);
* the pipeline it **provides** (methods that call those) and what it **may** override (the rest);
* options (the ``__init__`` keywords; ``plugin_options``), then the value types and helpers its module
  defines (``Candidate``, ``Sample``, ``ranked()``, ...) and a few shared helpers (``mean_face()``).

Run: ``.venv/bin/python tools/build_plugin_reference.py`` from the repository root.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import re
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "plugin-reference.md"
#: Helpers outside the base modules that plugins of every kind use (module, names).
SHARED = [("fastk.explain.figures", ["mean_face"]), ("fastk.data.images", ["read_rgb", "to_rgb8", "write_image"]),
          ("fastk.errors", ["FastkError", "ConfigError", "ImageReadError"])]


def _doc(obj: object) -> str:
    doc = inspect.cleandoc(obj.__doc__) if getattr(obj, "__doc__", None) else ""
    if inspect.isclass(obj) and dataclasses.is_dataclass(obj) and doc.startswith(f"{obj.__name__}("):
        return ""  # the signature dataclasses writes when there is no docstring
    return doc


def _indent(text: str) -> str:
    return textwrap.indent(text, "  ") if text else "  *(no docstring)*"


def _attribute_comments(cls: type) -> dict[str, str]:
    """``#:`` comments above class-level assignments (Sphinx's convention), by attribute name."""
    lines, _ = inspect.getsourcelines(cls)
    out, pending = {}, []
    for line in lines[1:]:
        text = line.strip()
        if text.startswith("#:"):
            pending.append(text[2:].strip())
            continue
        head = text.split("=")[0].split(":")[0].strip()
        if pending and head.isidentifier() and (":" in text or "=" in text):
            out[head] = " ".join(pending)
        pending = []
    return out


def _class_attributes(cls: type) -> list[tuple[str, str, str]]:
    """The base class's own annotated attributes, then those it inherits from fastk's ``Plugin`` root."""
    rows: list[tuple[str, str, str]] = []
    for klass in [c for c in cls.__mro__ if c.__module__.startswith("fastk.")]:
        notes = _attribute_comments(klass)
        for name in vars(klass).get("__annotations__", {}):
            if name.startswith("_") or name not in vars(klass) or any(r[0] == name for r in rows):
                continue
            rows.append((name, repr(vars(klass)[name]), notes.get(name, "")))
    return rows


def _abstract(fn: object) -> bool:
    """What a subclass must override: the base class's abstract methods (registration refuses a class without)."""
    return bool(getattr(fn, "__isabstractmethod__", False))


def _calls(fn: object, names: set[str]) -> bool:
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError):
        return False
    return any(isinstance(n, ast.Attribute) and n.attr in names and isinstance(n.value, ast.Name)
               and n.value.id in ("self", "cls") for n in ast.walk(tree))


def _function(member: object) -> object:
    return member.fget if isinstance(member, property) else getattr(member, "__func__", member)


def _signature(name: str, member: object) -> str:
    fn = _function(member)
    if isinstance(member, property):
        return f"{name}  (property)"
    sig = str(inspect.signature(fn)).replace("'", "")
    prefix = "classmethod " if isinstance(member, classmethod) else ""
    return f"{prefix}{name}{sig}"


def _methods(cls: type) -> dict[str, object]:
    return {n: m for n, m in vars(cls).items() if callable(_function(m)) and not isinstance(m, type)
            and (not n.startswith("__") or n == "__init__")}


def _member_list(cls: type, names: list[str]) -> list[str]:
    methods = _methods(cls)
    return [f"- `{_signature(n, methods[n])}`\n\n{_indent(_doc(_function(methods[n])))}\n" for n in names]


def _base_section(cls: type) -> list[str]:
    out = [_doc(cls), ""]
    attrs = _class_attributes(cls)
    if attrs:
        out += ["**Class attributes** (set them on your subclass)", "", "| attribute | default | meaning |",
                "|---|---|---|"]
        out += [f"| `{n}` | `{_cell(d)}` | {_cell(note)} |" for n, d, note in attrs]
        out.append("")
    methods = {n: m for n, m in _methods(cls).items() if n != "__init__"}
    must = [n for n, m in methods.items() if _abstract(_function(m))]
    runs = [n for n, m in methods.items() if n not in must and _calls(_function(m), set(must))]
    may = [n for n in methods if n not in must and n not in runs and not n.startswith("_")]
    for title, names in (("**A subclass must override**", must),
                         ("**Provided: the pipeline that calls them** (rarely overridden)", runs),
                         ("**Provided, and may be overridden**", may)):
        if names:
            out += [title, "", *_member_list(cls, names)]
    init = vars(cls).get("__init__")
    if init is not None:
        out += ["**Options**: the base `__init__` takes", "", f"```\n{_signature('__init__', init)}\n```", "",
                "A subclass's own `__init__` keywords are its options too (see *Options* above).", ""]
    return out


def _value_section(obj: object, name: str) -> list[str]:
    if inspect.isclass(obj):
        out = [f"#### `{name}`", "", _doc(obj), ""]
        if dataclasses.is_dataclass(obj):
            out += ["| field | type | default |", "|---|---|---|"]
            for f in dataclasses.fields(obj):
                default = repr(f.default) if f.default is not dataclasses.MISSING else (
                    "(factory)" if f.default_factory is not dataclasses.MISSING else "required")
                out.append(f"| `{f.name}` | `{_cell(str(f.type))}` | `{_cell(default)}` |")
            out.append("")
        public = [n for n in _methods(obj) if not n.startswith("_")]
        out += _member_list(obj, public)
        return out
    return [f"#### `{_signature(name, obj)}`", "", _doc(obj), ""]


def _module_extras(module: object, skip: type) -> list[str]:
    out = []
    for name, obj in vars(module).items():
        if name.startswith("_") or obj is skip or getattr(obj, "__module__", None) != module.__name__:
            continue
        if inspect.isclass(obj) or inspect.isfunction(obj):
            out += _value_section(obj, name)
    return out


def _markdown(text: str) -> str:
    """Docstrings use reST roles and double backticks; the page is Markdown."""
    text = re.sub(r":(?:class|meth|func|mod|data|attr|exc):`~?([^`]+)`", r"`\1`", text)
    return re.sub(r"``(.+?)``", r"`\1`", text)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def build() -> str:
    """The whole page, as text."""
    sys.path.insert(0, str(ROOT))
    from fastk import hookspecs
    from fastk.plugin import _options, plugins

    page = [
        "# Plugin reference",
        "",
        "<!-- Generated by tools/build_plugin_reference.py from the base classes' docstrings; do not edit.",
        "     Regenerate: .venv/bin/python tools/build_plugin_reference.py -->",
        "",
        "What each base class gives a plugin, what a subclass must and may override, and the values and",
        "helpers it works with. Every base class and value type is importable from `fastk` itself",
        "(`fastk.Dataset`, `fastk.Candidate`, ...). How to package and test a plugin:",
        "[writing-a-plugin.md](writing-a-plugin.md); the hooks: [plugin_hooks.md](plugin_hooks.md).",
        "",
        "| kind | base class | registration hook |",
        "|---|---|---|",
    ]
    for kind in plugins.KINDS.values():
        page.append(f"| `{kind.name}` | [`fastk.{kind.base.split(':')[1]}`](#{kind.name}) | `{kind.hook}(registry)` |")
    from fastk.plugin.registry import Registry

    page += ["", "## Options", "", _doc(_options), "", "`Registry.create` (what `fastk.create` calls):", "",
             _doc(Registry.create), "", "`Registry.options(spec)`: " + _doc(Registry.options), ""]
    for kind in plugins.KINDS.values():
        cls = kind.base_class()
        module = importlib.import_module(cls.__module__)
        hook = _doc(getattr(hookspecs, kind.hook)).split("\n:param")[0].strip()
        where = f"`fastk.{cls.__name__}` (defined in `{cls.__module__}`), registered from `{kind.hook}(registry)`:"
        page += [f"## {kind.name}", "", where, "", hook, "", f"### `{cls.__name__}`", "", *_base_section(cls)]
        extras = _module_extras(module, cls)
        if extras:
            page += [f"### Also in `{cls.__module__}`", "", *extras]
    page += ["## Shared helpers", ""]
    for module_name, names in SHARED:
        module = importlib.import_module(module_name)
        for name in names:
            page += _value_section(getattr(module, name), f"{module_name}.{name}")
    text = _markdown("\n".join(page))
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.rstrip() + "\n"


def main(argv: list[str]) -> int:
    text = build()
    if "--check" in argv:
        if not OUT.exists() or OUT.read_text() != text:
            print(f"{OUT.relative_to(ROOT)} is stale: run .venv/bin/python tools/build_plugin_reference.py")
            return 1
        return 0
    OUT.write_text(text)
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
