"""One writer per output folder: a lock file that a second writer sees at once, and a crash cannot wedge.

Why: two ``fastk run`` (or ``explore``) into one folder interleave their appends; one dies, the other
finishes with every row counted twice. The exclusion itself is ``filelock.SoftFileLock`` (already a
torch dependency): its marker records pid, host and the process start time, and a marker whose
process is dead on this host is reclaimed, so a SIGKILLed run does not block the folder forever.
Beside it fastk keeps ``.fastk.lock.json`` (command, pid, host, start time) so the refusal can name
the holder, and a writer taking over after a crash can say whose work it continues.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastk.errors import FastkError

if TYPE_CHECKING:  # pragma: no cover
    from filelock import SoftFileLock

LOCK_FILE = ".fastk.lock"
INFO_FILE = ".fastk.lock.json"


class FolderLockedError(FastkError):
    """Another process is writing into the same output folder."""


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


class FolderLock:
    """``with FolderLock(out, "fastk explore"):`` - exclusive use of ``out`` or a one-line refusal.

    ``note`` is set when a stale lock (its process gone) was taken over; it is also written to stderr.
    Locks are per process and not re-entrant across instances: nested writers must use distinct folders.
    """

    def __init__(self, folder: str | Path, command: str = "fastk"):
        self.folder = Path(folder)
        self.command = command
        self.note: str | None = None
        self._lock: SoftFileLock | None = None

    def acquire(self) -> FolderLock:
        from filelock import SoftFileLock, Timeout

        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise FastkError(f"{self.folder}: cannot create output folder ({err.strerror})") from None
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
        self._lock = lock
        if previous and previous.get("pid") != os.getpid():
            self.note = (f"{self.folder}: previous writer {_holder_text(previous)} ended without releasing "
                         "its lock; taking over and resuming its work")
            sys.stderr.write(f"fastk: note: {self.note}\n")
        info = {"command": self.command, "pid": os.getpid(), "host": socket.gethostname(),
                "started": time.strftime("%Y-%m-%d %H:%M:%S")}
        tmp = info_path.with_name(f"{INFO_FILE}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(info))
        tmp.replace(info_path)
        return self

    def release(self) -> None:
        if self._lock is None:
            return
        try:
            (self.folder / INFO_FILE).unlink(missing_ok=True)
        finally:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> FolderLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
