"""Errors a user can cause and fix.

Every exception here is printed by the CLI as one line (no traceback): the message must name the
file or plugin name involved and the cause. Programming errors stay ordinary exceptions.
"""

from __future__ import annotations

from collections.abc import Sequence


class FastkError(Exception):
    """Base class for user-facing errors; ``str(err)`` is the one line the CLI prints."""


class UnknownPluginError(FastkError, KeyError):
    """A name that no installed plugin registered."""

    def __init__(self, kind: str, name: str, known: list[str]):
        self.kind, self.name, self.known = kind, name, known
        listing = ", ".join(known) if known else "(none installed)"
        super().__init__(f"unknown {kind} {name!r}; known: {listing}")

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return self.args[0]


class DuplicatePluginError(FastkError):
    """Two plugins registered the same name for the same kind."""


class ImageReadError(FastkError):
    """An image file that cannot be used (missing, unreadable, not an image, wrong depth)."""


class CheckpointError(FastkError):
    """A checkpoint file that is missing, truncated, or made for something else."""


class ConfigError(FastkError):
    """A configuration or area-definition file that is malformed."""

    #: One line per problem when a whole configuration was checked at once (:mod:`fastk.run.config`), else empty.
    problems: Sequence[str] = ()
