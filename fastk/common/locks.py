"""One writer per output folder: a lock file that a second writer sees at once, and a crash cannot wedge.

Why: two ``fastk run`` (or ``explore``) into one folder interleave their appends; one dies, the other
finishes with every row counted twice. The exclusion itself is ``filelock.SoftFileLock`` (already a
torch dependency): its marker records pid, host and the process start time, and a marker whose
process is dead on this host is reclaimed, so a SIGKILLed run does not block the folder forever.
Beside it fastk keeps ``.fastk.lock.json`` (command, pid, host, start time) so the refusal can name
the holder, and a writer taking over after a crash can say whose work it continues.

A folder also belongs to one command for good: ``.fastk.owner.json`` records the first command that
wrote there (``fastk explore``), and any other command is refused, even after the first has finished.
Commands share file names (``skipped.csv``), so ``fastk evaluate`` into an exploration's folder once
replaced the exploration's list of skipped images. Within one process the lock is re-entrant for the
same command, so a command can hold its folder around library calls that lock it again.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastk.common.jsonsafe import write_json
from fastk.errors import FastkError

if TYPE_CHECKING:  # pragma: no cover
    from filelock import SoftFileLock

LOCK_FILE = ".fastk.lock"
INFO_FILE = ".fastk.lock.json"
OWNER_FILE = ".fastk.owner.json"
_HELD: dict[str, list[Any]] = {}  # folders this process holds: resolved path -> [owner, depth]


class FolderLockedError(FastkError):
    """Another process is writing into the same output folder, or the folder belongs to another command."""


def owner_of(command: str) -> str:
    """The command a folder belongs to: the first two words (``fastk run`` of ``fastk run --resume x``)."""
    return " ".join(command.split()[:2])


def _holder_text(info: dict[str, Any] | None) -> str:
    if not info:
        return "another process"
    return (f"{info.get('command') or 'fastk'} (pid {info.get('pid')} on {info.get('host')}, "
            f"started {info.get('started')})")


def _read_info(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
        return data if isinstance(data, dict) else None
    except (OSError, ValueError):
        return None


def _entries(folder: Path) -> set[str]:
    """Top-level names in ``folder`` other than fastk's lock and owner files."""
    return {name for name in os.listdir(folder) if not name.startswith(LOCK_FILE) and name != OWNER_FILE}


class FolderLock:
    """``with FolderLock(out, "fastk explore"):`` - exclusive use of ``out`` or a one-line refusal.

    ``note`` is set when a stale lock (its process gone) was taken over; it is also written to stderr.
    A folder this process already holds is taken again at once by the same command (the outer holder
    releases it) and refused to another command; another process is refused while it is held.
    """

    def __init__(self, folder: str | Path, command: str = "fastk"):
        self.folder = Path(folder)
        self.command = command
        self.owner = owner_of(command)
        self.note: str | None = None
        self._lock: SoftFileLock | None = None
        self._key: str | None = None
        self._before: set[str] | None = None  # the folder's entries when this lock first claimed it

    def acquire(self) -> FolderLock:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise FastkError(f"{self.folder}: cannot create output folder ({err.strerror})") from None
        key = str(self.folder.resolve())
        held = _HELD.get(key)
        if held is None:
            self._take()
            _HELD[key] = [self.owner, 0]
        elif held[0] != self.owner:
            raise self._owned_by(held[0])
        _HELD[key][1] += 1
        self._key = key
        return self

    def _owned_by(self, owner: str) -> FolderLockedError:
        return FolderLockedError(f"{self.folder}: holds the output of {owner}; {self.owner} does not share an output "
                                 f"folder with another command (their files would mix): use another folder")

    def _claim(self) -> None:
        """Record this command as the folder's owner, or refuse a folder another command wrote."""
        path = self.folder / OWNER_FILE
        recorded = (_read_info(path) or {}).get("command")
        if isinstance(recorded, str) and recorded != self.owner:
            raise self._owned_by(recorded)
        if recorded is None:
            self._before = _entries(self.folder)
            write_json(path, {"command": self.owner, "since": time.strftime("%Y-%m-%d %H:%M:%S")})

    def _unclaim_if_unused(self) -> None:
        """Drop the owner record this lock wrote when nothing was added beside it (a refused command, or
        a source folder checked before any write): a folder only belongs to a command that wrote there."""
        if self._before is not None and _entries(self.folder) == self._before:
            (self.folder / OWNER_FILE).unlink(missing_ok=True)

    def _take(self) -> None:
        """The folder's lock file, then its owner record: one line naming the holder or the owner."""
        from filelock import SoftFileLock, Timeout

        info_path = self.folder / INFO_FILE
        previous = _read_info(info_path)
        lock = SoftFileLock(str(self.folder / LOCK_FILE), timeout=0)
        try:
            lock.acquire()
        except Timeout:
            raise FolderLockedError(
                f"{self.folder}: in use by {_holder_text(_read_info(info_path) or previous)}; wait for it to "
                f"finish or use another folder (if that process is gone, delete {self.folder / LOCK_FILE})"
            ) from None
        except OSError as err:
            raise FastkError(f"{self.folder}: cannot create lock file ({err.strerror})") from None
        try:
            self._claim()
        except BaseException:
            lock.release()
            raise
        self._lock = lock
        if previous and previous.get("pid") != os.getpid():
            self.note = (f"{self.folder}: previous writer {_holder_text(previous)} ended without releasing "
                         "its lock; taking over and resuming its work")
            sys.stderr.write(f"fastk: note: {self.note}\n")
        info = {"command": self.command, "pid": os.getpid(), "host": socket.gethostname(),
                "started": time.strftime("%Y-%m-%d %H:%M:%S")}
        write_json(info_path, info)

    def release(self) -> None:
        if self._key is None:
            return
        key, self._key = self._key, None
        _HELD[key][1] -= 1
        if _HELD[key][1] or self._lock is None:  # an outer holder in this process keeps the folder
            return
        del _HELD[key]
        try:
            (self.folder / INFO_FILE).unlink(missing_ok=True)
            self._unclaim_if_unused()
        finally:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> FolderLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
