"""The ``fastk`` command-line tool: a click group, one module per command, plus plugins' commands.

Commands are thin: parse options, call the library, print with rich. Heavy imports (torch) happen
inside command bodies so ``fastk --help`` stays fast. A :class:`fastk.errors.FastkError` (a user error:
bad file, unknown plugin name, ...) is printed as one line and exits with status 2, no traceback.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import TYPE_CHECKING, NoReturn

import click

from fastk import __version__
from fastk.cli._common import console
from fastk.common.distributed import launched
from fastk.common.environment import configure_threads
from fastk.errors import FastkError
from fastk.plugin.plugins import plugin_system

if TYPE_CHECKING:  # pragma: no cover
    from fastk.plugin.plugins import PluginSystem


def os_error_line(err: OSError) -> str:
    """One line for a failed file operation: the path(s) and the system's cause (disk full, read-only...)."""
    paths = " -> ".join(str(p) for p in (err.filename, err.filename2) if p is not None)
    cause = err.strerror or str(err) or type(err).__name__
    return f"{paths}: {cause}" if paths else cause


def print_error(message: str) -> None:
    """``fastk: error: MESSAGE`` on stderr, one such line per problem the message lists (a config with
    three bad keys gives three lines); the text is plain (a ``[x]`` in a file name stays)."""
    from rich.console import Console
    from rich.text import Text

    console = Console(stderr=True, highlight=False, soft_wrap=True)
    for problem in [p for p in str(message).splitlines() if p.strip()] or [""]:
        line = Text("fastk: error: ", style="bold red")
        line.append(problem)
        console.print(line)


class FastkGroup(click.Group):
    """Turns user errors into one line instead of a traceback.

    User errors are :class:`FastkError` (bad file, unknown plugin name, ...) and operating-system
    failures on the user's files (``OSError``: read-only folder, full disk, permission denied), which
    the user fixes, not the code. Work already written stays: every long step writes as it goes.
    """

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except BrokenPipeError:  # the reader went away (`fastk list | head -1`): not an error of the user's
            closed_pipe_exit()
        except FastkError as err:
            if not getattr(err, "told_by_main", False):  # under torchrun, rank 0 prints what all ranks raised
                print_error(str(err))
            sys.exit(2)
        except OSError as err:
            print_error(os_error_line(err))
            sys.exit(2)
        except KeyboardInterrupt:
            print_error(f"interrupted; {RESUME_HINTS.get(ctx.invoked_subcommand or '', NO_RESUME)}")
            sys.exit(130)


def closed_pipe_exit() -> NoReturn:
    """Stop quietly, as Unix tools do, when whoever reads our output has closed the pipe: no message
    (``fastk list | head -1`` printed "fastk: error: Broken pipe"), exit status 141 (128 + SIGPIPE), and
    stdout pointed at /dev/null so Python's own flush at exit cannot complain either."""
    with contextlib.suppress(OSError, ValueError):  # stdout may be a closed or fd-less stream already
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    sys.exit(141)


#: What Ctrl-C leaves and how each resumable command goes on (a hint naming `fastk run --resume` after
#: `fastk train` sent users to a command that cannot resume a training folder).
RESUME_HINTS = {
    "run": "finished steps are kept; the run resumes with `fastk run --resume FOLDER`",
    "train": "finished epochs are kept; the same `fastk train` command (same --out) resumes the training",
    "explore": "explored images are kept; the same `fastk explore` command (same --out) goes on from there",
}
NO_RESUME = "files written so far are kept; this command does not resume, run it again"


#: The commands that share their work among torchrun's processes (fastk.common.distributed); any other
#: command started by torchrun would run N times over into the same files, so it is refused.
TORCHRUN_COMMANDS = ("run", "train", "explore", "mask")


@click.group(cls=FastkGroup)
@click.version_option(__version__, prog_name="fastk")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Face anti-spoofing with explainable, area-aware efficiency.

    Explore which face areas an FAS model relies on (landmarks + CAM + area importance), keep only
    those areas, and retrain. Every part is a plugin: see `fastk plugins` and `fastk list KIND`.
    """

    name = ctx.invoked_subcommand
    if launched().sharded and name not in TORCHRUN_COMMANDS:
        raise FastkError(f"fastk {name} does not share its work among torchrun's processes; run it in one "
                         f"process (under torchrun: fastk {', '.join(TORCHRUN_COMMANDS)})")


def _add_core_commands(group: click.Group) -> None:
    """Every ``fastk/cli/*_cmd.py`` module contributes its ``command`` (one module per command)."""
    import importlib
    import pkgutil

    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.endswith("_cmd"):
            group.add_command(importlib.import_module(f"fastk.cli.{info.name}").command)


_add_core_commands(cli)


def make_cli(system: PluginSystem | None = None) -> click.Group:
    """The whole ``fastk`` command group as a user's shell runs it: fastk's own commands plus those the
    plugins of ``system`` add (default: the process-wide plugin system). A new group each call, so a
    test can build one per plugin system (``fastk.testing.cli``); :data:`cli` holds fastk's own only."""

    group = FastkGroup("fastk", commands=dict(cli.commands), params=list(cli.params), callback=cli.callback,
                       help=cli.help)
    (system or plugin_system()).pm.hook.fastk_register_commands(cli=group)
    return group


def main() -> None:
    """Console-script entry point: threading defaults (before torch loads), plugins' commands, then run."""

    configure_threads()
    try:
        if not launched().is_main:  # under torchrun: one process prints, the others work quietly

            console.quiet = True
        group = make_cli()
    except FastkError as err:  # a plugin that fails to load, a RANK that is not a number
        print_error(str(err))
        sys.exit(2)
    try:
        group(prog_name="fastk")
    finally:  # output still buffered when the command ends is written here, to a reader that may be gone
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            closed_pipe_exit()
