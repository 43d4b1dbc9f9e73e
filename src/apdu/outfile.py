"""Where a file may be written, and writing it: one rule for every file a program writes.

:func:`check` decides, before anything is sent to a card:

- ``""`` is refused (``empty-name``); with ``streams``, ``-`` and ``/dev/stdout``
  mean standard output, which is written in place.
- A symbolic link is followed: the file it names is written and the link stays a
  link. A link to nothing is refused (``dangling-link``).
- With ``streams`` (exports, recordings) a character device or a FIFO is opened and
  written in place. Anything else that is not a regular file is refused
  (``not-regular``, with its ``kind``: a folder, a device, a FIFO, a socket); state
  files take no streams, so for them a device or a FIFO is refused too.
- An existing regular file is refused (``exists``) unless ``overwrite``; a read-only
  one (no write bit, or no access) is refused even then (``read-only``).
- A new file needs a folder that exists and can be written (``no-folder``).

A file that then cannot be written (a full disk) is ``cannot-write``, with the
``errno`` and ``strerror`` of the system's error. Every refusal and failure is an
:class:`OutputError` naming the path as the user gave it.

Whole files (:func:`write_whole`) are written to a temporary file beside the
target and renamed over it, so a reader sees the old file or the new one; line
files (:func:`open_lines`) are written in place, and :func:`open_lines` says what to
remove if they cannot be.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
import tempfile
from dataclasses import dataclass
from typing import IO, Any, Literal

from .errors import ApduError
from .jsonfile import file_type

#: Why a file cannot be written (:attr:`OutputError.code`).
OutputReason = Literal[
    "empty-name",
    "exists",
    "read-only",
    "not-regular",
    "dangling-link",
    "no-folder",
    "cannot-write",
]

#: The name of standard output, as ``-o -`` gives it.
STDOUT = "-"


class OutputError(ApduError):
    """``path`` (as the user gave it) cannot be written: ``code`` and its ``params``
    (``kind`` for ``not-regular``; ``errno`` and ``strerror`` for ``cannot-write``)."""

    def __init__(self, path: str, code: OutputReason, **params: Any) -> None:
        super().__init__(f"{path}: {code}")
        self.path = path
        self.code: OutputReason = code
        self.params = params


def cannot_write(path: str, exc: OSError) -> OutputError:
    return OutputError(path, "cannot-write", errno=exc.errno, strerror=exc.strerror or str(exc))


@dataclass(frozen=True)
class Target:
    """Where :func:`check` found a file may be written."""

    #: What to open: :data:`STDOUT`, or the file itself (a link's final target).
    path: str
    #: Written in place: standard output, a character device or a FIFO.
    stream: bool = False
    #: An existing regular file, which the write replaces.
    replaces: bool = False


def check(path: str | os.PathLike[str], *, streams: bool, overwrite: bool) -> Target:
    """Where ``path`` may be written, by the rule above; :class:`OutputError` if nowhere."""
    name = os.fspath(path)
    if name == "":
        raise OutputError(name, "empty-name")
    if streams and _is_stdout(name):
        return Target(STDOUT, stream=True)
    try:
        mode = os.stat(name).st_mode  # through links, /dev/fd/N included
    except FileNotFoundError:
        if os.path.islink(name):
            raise OutputError(name, "dangling-link") from None
        real = os.path.realpath(name)
        if not _folder_takes(real):
            raise OutputError(name, "no-folder") from None
        return Target(real)
    except OSError as exc:
        raise cannot_write(name, exc) from None
    if streams and (stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)):
        return Target(name, stream=True)  # opened by its own name: >(...) works too
    if not stat.S_ISREG(mode):
        raise OutputError(name, "not-regular", kind=file_type(mode))
    if not overwrite:
        raise OutputError(name, "exists")
    real = os.path.realpath(name)
    if not mode & 0o222 or not os.access(real, os.W_OK):
        raise OutputError(name, "read-only")
    if not _folder_takes(real):  # the new file is renamed over it there
        raise OutputError(name, "no-folder")
    return Target(real, replaces=True)


def same_target(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Whether ``a`` and ``b`` name one place to write (standard output, or one file
    through links): two writers there would mix their bytes."""
    a, b = os.fspath(a), os.fspath(b)
    if _is_stdout(a) or _is_stdout(b):
        return _is_stdout(a) and _is_stdout(b)
    return os.path.realpath(a) == os.path.realpath(b)


def _is_stdout(name: str) -> bool:
    return name == STDOUT or os.path.abspath(name) == "/dev/stdout"


def _folder_takes(path: str) -> bool:
    """Whether the folder of ``path`` exists and a file can be made in it."""
    folder = os.path.dirname(path)
    return os.path.isdir(folder) and os.access(folder, os.W_OK | os.X_OK)


def write_stdout(data: bytes) -> None:
    """``data`` on standard output; a closed or broken one is :class:`OutputError`."""
    try:
        if sys.stdout is None:
            raise OSError(errno.EBADF, os.strerror(errno.EBADF))
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    except OSError as exc:
        raise cannot_write(STDOUT, exc) from exc


def write_whole(
    path: str | os.PathLike[str], data: bytes, *, streams: bool = True, overwrite: bool = False
) -> None:
    """Write ``data`` to ``path`` whole or not at all (a stream: in place).

    A new file is readable by its owner only (``mkstemp``): what is written can hold
    personal data or secrets. A file that is replaced keeps its permission bits.
    """
    name = os.fspath(path)
    target = check(name, streams=streams, overwrite=overwrite)
    if target.path == STDOUT:
        write_stdout(data)
        return
    try:
        if target.stream:
            with open(_open(target.path, os.O_WRONLY | getattr(os, "O_NOCTTY", 0)), "wb") as f:
                f.write(data)
        else:
            _replace(target, data)
    except FileExistsError:  # made by someone else since the check
        raise OutputError(name, "exists") from None
    except OSError as exc:
        raise cannot_write(name, exc) from exc


def _open(path: str, flags: int, mode: int = 0o600) -> int:
    return os.open(path, flags | getattr(os, "O_BINARY", 0), mode)


def _replace(target: Target, data: bytes) -> None:
    """Write ``data`` beside ``target`` and rename it over: whole or not at all."""
    mode = stat.S_IMODE(os.stat(target.path).st_mode) if target.replaces else None
    folder, base = os.path.split(target.path)
    fd, tmp = tempfile.mkstemp(prefix=f".{base}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
            os.replace(tmp, target.path)
        else:  # a new file: never over one made since the check
            _link_new(tmp, target.path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _link_new(tmp: str, path: str) -> None:
    """Give ``tmp`` the name ``path`` only if nothing has it (``FileExistsError``)."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise
    except OSError:  # a file system without hard links: the narrower check
        if os.path.lexists(path):
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), path) from None
        os.replace(tmp, path)
        return
    os.unlink(tmp)


def open_lines(path: str | os.PathLike[str], *, overwrite: bool) -> tuple[IO[str], str | None]:
    """A text file at ``path`` to write lines to (the rule above, with streams), and
    the file to remove if writing them fails (None for a stream). A new file is
    readable by its owner only."""
    name = os.fspath(path)
    target = check(name, streams=True, overwrite=overwrite)
    try:
        if target.path == STDOUT:
            fd = os.dup(1)
        elif target.stream:
            fd = _open(target.path, os.O_WRONLY | getattr(os, "O_NOCTTY", 0))
        elif target.replaces:
            fd = _open(target.path, os.O_WRONLY | os.O_TRUNC)
        else:
            fd = _open(target.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    except FileExistsError:  # made by someone else since the check
        raise OutputError(name, "exists") from None
    except OSError as exc:
        raise cannot_write(name, exc) from exc
    started = None if target.stream else target.path
    return open(fd, "w", encoding="utf-8", newline="\n"), started
