"""Reading the small JSON files a user hands to jpkitool (session and state files).

:func:`read_regular` refuses, without blocking, anything but a regular file (a FIFO,
a device, a folder) and a file above a size limit, before reading it.
:func:`decode` drops a leading UTF-8 byte order mark (Windows Notepad writes one)
and refuses UTF-16. :func:`loads` refuses a key given twice in one object and
nesting too deep to parse. Each refusal is a :class:`FileProblem` with a code.
"""

from __future__ import annotations

import json
import os
import stat
from typing import Any, Literal

#: A UTF-8 byte order mark.
BOM = b"\xef\xbb\xbf"

#: Kinds of non-regular file :func:`read_regular` names.
FileKind = Literal["directory", "fifo", "device", "socket", "other"]

#: What is wrong with a JSON text's syntax, from :attr:`json.JSONDecodeError.msg`.
JsonSyntax = Literal[
    "expecting-value",
    "expecting-name",
    "expecting-colon",
    "expecting-comma",
    "unterminated-string",
    "control-character",
    "bad-escape",
    "extra-data",
    "trailing-comma",
    "other",
]

_SYNTAX: tuple[tuple[str, JsonSyntax], ...] = (
    ("Expecting value", "expecting-value"),
    ("Expecting property name", "expecting-name"),
    ("Expecting ':'", "expecting-colon"),
    ("Expecting ','", "expecting-comma"),
    ("Unterminated string", "unterminated-string"),
    ("Invalid control character", "control-character"),
    ("Invalid \\", "bad-escape"),
    ("Extra data", "extra-data"),
    ("Illegal trailing comma", "trailing-comma"),
)


class FileProblem(Exception):
    """Why a file's content is refused: ``code`` and its ``params``.

    Codes: ``not-regular`` (``kind``), ``too-large`` (``size``, ``limit``), ``utf16``,
    ``not-utf8`` (``line``), ``syntax`` (``line``, ``column``, ``problem``, ``detail``:
    json's own English words), ``duplicate-key`` (``key``), ``too-deep``,
    ``number-too-long``.
    """

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code, params)
        self.code = code
        self.params = params


def file_kind(mode: int) -> FileKind:
    """What a non-regular file is, from its ``st_mode``."""
    if stat.S_ISDIR(mode):
        return "directory"
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "other"


def read_regular(path: str | os.PathLike[str], limit: int) -> bytes:
    """The bytes of the regular file ``path`` when it holds at most ``limit`` of them.

    Opened without blocking, so a FIFO is refused rather than waited on. Raises
    :class:`FileProblem` (``not-regular``, ``too-large``) or :class:`OSError`.
    """
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)
    fd = os.open(path, flags | getattr(os, "O_NOCTTY", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise FileProblem("not-regular", kind=file_kind(info.st_mode))
        if info.st_size > limit:
            raise FileProblem("too-large", size=info.st_size, limit=limit)
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, limit + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    if size > limit:  # it grew after fstat
        raise FileProblem("too-large", size=size, limit=limit)
    return b"".join(chunks)


def decode(data: bytes) -> str:
    """``data`` as UTF-8 text, a leading byte order mark dropped."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileProblem("utf16")
    data = data.removeprefix(BOM)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileProblem("not-utf8", line=data.count(b"\n", 0, exc.start) + 1) from None


class _Duplicate(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Duplicate(key)
        out[key] = value
    return out


def syntax_problem(message: str) -> JsonSyntax:
    """The code of a :class:`json.JSONDecodeError` message."""
    for start, code in _SYNTAX:
        if message.startswith(start):
            return code
    return "other"


def loads(text: str) -> Any:
    """Parse JSON ``text``; a key twice in one object or nesting deeper than Python's
    recursion allows is a :class:`FileProblem`, not a silent choice or a crash."""
    try:
        return json.loads(text, object_pairs_hook=_unique)
    except _Duplicate as exc:
        raise FileProblem("duplicate-key", key=exc.key) from None
    except json.JSONDecodeError as exc:
        raise FileProblem(
            "syntax",
            line=exc.lineno,
            column=exc.colno,
            problem=syntax_problem(exc.msg),
            detail=exc.msg,
        ) from None
    except RecursionError:
        raise FileProblem("too-deep") from None
    except ValueError:  # an integer with more digits than int() converts
        raise FileProblem("number-too-long") from None
