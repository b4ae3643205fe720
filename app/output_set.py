"""The outputs of one video as one unit: written into a staging folder, swapped in only when all succeeded.

``with OutputSet(folder, inputs) as staging:`` gives an empty folder ``.<name>.partial-<pid>`` beside ``folder``;
whatever is written into it (MP4, GIF, npz, any export) becomes ``folder`` when the block ends without an error:
the previous set is renamed aside, the new one renamed in, the previous one removed. On any exception, including
Ctrl-C and the CLI's ``Terminated``, the staging folder is removed. So ``folder`` always holds either the previous
complete set or the new one, never a mix. The swap itself runs with SIGINT/SIGTERM/SIGHUP held back, so a signal
cannot stop it half way; a run killed outright (SIGKILL) leaves its hidden staging folder, which the next run for
the same folder removes.

A folder is replaced only if it is absent, empty or marked as an earlier set (``MARKER``), and only if no input
lies inside it (compared by device and inode, so links and bind mounts count): a user's own folder or video is
never deleted.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
import threading
from pathlib import Path
from typing import Iterable, Iterator

from app.errors import OutputError

MARKER = ".video3d-output"
_MARKER_TEXT = "Written by run_demo.py. This folder is replaced as a whole when its video is processed again.\n"
_HELD_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


def check_output_root(root: Path) -> None:
    """Raise ``OutputError`` unless output sets can be made in ``root`` (the ``--output`` folder): it is a folder,
    or the nearest existing folder above it is, and a folder can be created there. Creates nothing that stays."""
    existing = root
    while not os.path.lexists(existing) and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise OutputError(f"--output {root}: {existing} exists and is not a folder")
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".video3d-probe-", dir=existing))
    except OSError as error:
        raise OutputError(f"--output {root}: cannot write in {existing} ({error.strerror})") from None


def _identity(path: Path) -> tuple[int, int]:
    status = path.stat()
    return status.st_dev, status.st_ino


def check_replaceable(folder: Path, inputs: Iterable[Path] = ()) -> None:
    """Raise ``OutputError`` unless ``folder`` may be replaced by a new output set: absent, empty or an earlier
    set, and holding none of ``inputs``."""
    if not os.path.lexists(folder):
        return
    if folder.is_symlink() or not folder.is_dir():
        raise OutputError(f"{folder} exists and is not a folder; move it away or choose another --output")
    protected = {_identity(Path(path)): Path(path) for path in inputs}
    for parent, folders, files in os.walk(folder):
        for name in folders + files:
            status = os.lstat(os.path.join(parent, name))
            if (status.st_dev, status.st_ino) in protected:
                raise OutputError(f"{protected[status.st_dev, status.st_ino]} is inside the output folder "
                                  f"{folder}, which would be replaced: choose another --output")
    if not (folder / MARKER).is_file() and any(folder.iterdir()):
        raise OutputError(f"{folder} holds files that run_demo.py did not write (no {MARKER} marker); "
                          "move them away or choose another --output")


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Hold SIGINT/SIGTERM/SIGHUP during the block; one that arrives is delivered when it ends."""
    if threading.current_thread() is not threading.main_thread():  # only the main thread gets signals
        yield
        return
    received: list[int] = []
    previous = {number: signal.getsignal(number) for number in _HELD_SIGNALS}
    held = [number for number, handler in previous.items() if handler is not None]  # None: set outside Python
    for number in held:
        signal.signal(number, lambda signum, frame: received.append(signum))
    try:
        yield
    finally:
        for number in held:
            signal.signal(number, previous[number])
        if received:
            signal.raise_signal(received[0])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class OutputSet:
    """``with OutputSet(folder, inputs) as staging:`` write files into ``staging``; see the module docstring.

    inputs: the files this set is made from; the swap refuses a ``folder`` that holds one of them.
    """

    def __init__(self, folder: str | os.PathLike, inputs: Iterable[str | os.PathLike] = ()):
        self.folder = Path(folder)
        self.inputs = [Path(path) for path in inputs]
        self.staging = self.folder.with_name(f".{self.folder.name}.partial-{os.getpid()}")
        self._previous = self.folder.with_name(f".{self.folder.name}.old-{os.getpid()}")

    def _remove_stale(self) -> None:
        """Leftovers of runs killed outright: their staging folders, and a swap cut between its two renames."""
        for kind in ("partial", "old"):
            prefix = f".{self.folder.name}.{kind}-"
            for path in self.folder.parent.glob(f"{prefix}*"):
                pid = path.name[len(prefix):]
                if not pid.isdigit() or _alive(int(pid)):
                    continue
                if kind == "old" and not os.path.lexists(self.folder):
                    path.rename(self.folder)
                else:
                    shutil.rmtree(path, ignore_errors=True)

    def __enter__(self) -> Path:
        self.folder.parent.mkdir(parents=True, exist_ok=True)
        with signals_held():
            self._remove_stale()
            check_replaceable(self.folder, self.inputs)
            try:
                self.staging.mkdir()
                (self.staging / MARKER).write_text(_MARKER_TEXT)
            except OSError as error:
                shutil.rmtree(self.staging, ignore_errors=True)
                raise OutputError(f"cannot create {self.staging} ({error.strerror})") from None
        return self.staging

    def __exit__(self, exc_type, exc, traceback) -> None:
        with signals_held():
            if exc_type is not None:
                shutil.rmtree(self.staging, ignore_errors=True)
                return
            try:
                check_replaceable(self.folder, self.inputs)  # the folder may have changed during the run
                if os.path.lexists(self.folder):
                    os.rename(self.folder, self._previous)
                os.rename(self.staging, self.folder)
            except (OSError, OutputError) as error:
                shutil.rmtree(self.staging, ignore_errors=True)
                if os.path.lexists(self._previous) and not os.path.lexists(self.folder):
                    os.rename(self._previous, self.folder)
                if isinstance(error, OutputError):
                    raise
                raise OutputError(f"cannot move the outputs into {self.folder} ({error.strerror})") from None
            shutil.rmtree(self._previous, ignore_errors=True)
