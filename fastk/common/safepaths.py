"""Output paths that cannot escape their folder, whatever the data says.

File names, attack types and run names come from datasets and configs that fastk does not control:
a CSV row ``../outside/victim.png`` or an attack type ``x/../../`` must never make fastk write outside
the output folder (or over a source image). Every writer builds its paths through this module:

* :func:`safe_name` turns any text into one harmless file-name component (names that change get a
  short hash of the original, so two different hostile names never collide);
* :func:`child` joins a relative path to a folder and refuses anything that resolves outside it
  (``..``, absolute paths, symlinks leading out);
* :func:`plain_name` checks a name a user typed (a run name) and refuses rather than guesses.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path, PurePath

from fastk.errors import FastkError

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_PLAIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_SUFFIX = re.compile(r"(?<=[^.])\.[A-Za-z0-9]{1,8}$")  # a file type (.jpg, .png) to keep last
MAX_NAME = 96


class UnsafePathError(FastkError):
    """A path built from data or options would land outside its output folder."""


def safe_name(text: object, *, fallback: str = "unnamed") -> str:
    """One file-name component made from ``text``: letters, digits, ``.``, ``_``, ``-`` only.

    Unsafe runs become ``-``, dots cannot form ``..`` or lead the name, ``__`` (fastk's field
    separator in overlay names) is collapsed. When the name had to change, 8 hex digits of the
    original's SHA-1 are added so distinct originals stay distinct: before a file suffix such as
    ``.jpg`` (``my face.jpg`` -> ``my-face-1a2b3c4d.jpg``), so the file still reads as an image.
    """
    original = str(text)
    name = _UNSAFE.sub("-", original)
    name = re.sub(r"\.{2,}", ".", name)
    name = re.sub(r"_{2,}", "_", name)
    name = re.sub(r"-{2,}", "-", name).strip("-.")
    if name != original or len(name) > MAX_NAME:
        suffix = _SUFFIX.search(name)
        stem, ext = (name[:suffix.start()], suffix.group()) if suffix else (name, "")
        name = f"{stem[:MAX_NAME - 9 - len(ext)] or fallback}-{_digest(original)}{ext}"
    return name or fallback


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogateescape")).hexdigest()[:8]


def unique_name(stem: str, suffix: str, key: str, taken: set[str]) -> str:
    """``stem + suffix``, or, when another output took that name already, ``stem-HASH + suffix`` (8 hex
    digits of ``key``, what tells this output apart, e.g. its source path); adds the name to ``taken``.

    Names are compared case-folded, as a case-insensitive file system does: ``x.jpg`` and ``x.png`` both
    drawn as ``x_areas.jpg`` once wrote one file for two images.
    """
    name = f"{stem}{suffix}"
    if name.casefold() in taken:
        name = f"{stem}-{_digest(key)}{suffix}"
    taken.add(name.casefold())
    return name


def within(root: Path, path: Path) -> bool:
    """Whether ``path`` (resolved, symlinks followed) is ``root`` or below it."""
    try:
        Path(path).resolve().relative_to(Path(root).resolve())
        return True
    except ValueError:
        return False


def child(root: str | Path, relative: str | PurePath) -> Path:
    """``root / relative`` if it resolves inside ``root``; else :class:`UnsafePathError`.

    The returned path is ``root / relative`` as given (not resolved), so messages show the path the
    user knows; the check itself follows symlinks of the parts that exist.
    """
    root = Path(root)
    rel = PurePath(relative)
    if rel.is_absolute() or rel.drive or not rel.parts:
        raise UnsafePathError(f"{root}: refusing to write to {str(relative)!r} (not a relative path inside it)")
    target = root / rel
    if ".." in rel.parts or not within(root, target):
        raise UnsafePathError(f"{root}: refusing to write to {str(relative)!r} (it would land outside the folder)")
    return target


def plain_name(name: str, what: str) -> str:
    """``name`` if it is a plain folder name (no ``/``, no ``..``, no leading dot); else one-line error."""
    if not isinstance(name, str) or not _PLAIN.match(name) or ".." in name:
        raise UnsafePathError(
            f"{what} {name!r} must be a plain folder name (letters, digits, '.', '_', '-'; no '/' or '..')"
        )
    return name
