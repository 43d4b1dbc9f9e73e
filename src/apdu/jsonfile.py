"""Reading the small JSON files a user hands to a program (session files, say), and
what can be wrong with them.

:func:`read_regular` refuses, without blocking, anything but a regular file (a FIFO,
a device, a folder) and a file above a size limit, before reading it.
:func:`decode` drops a leading UTF-8 byte order mark (Windows Notepad writes one)
and refuses any other encoding. :func:`loads` refuses a key given twice in one
object, and nesting or a number beyond what Python parses, as invalid JSON at the
place. Each refusal is a :class:`FileFault`: the file, the line, the field and one
of a few :data:`PROBLEMS`, the same for every file a user gives.
"""

from __future__ import annotations

import json
import os
import re
import stat
import sys
from typing import Any, Literal, TypeVar

#: A UTF-8 byte order mark.
BOM = b"\xef\xbb\xbf"

#: Types of non-regular file (:func:`file_type`).
FileType = Literal["directory", "fifo", "device", "socket", "other"]

#: What is wrong with a file or one of its fields (:attr:`FileFault.code`).
Problem = Literal[
    "missing", "unknown", "twice", "type", "whole", "number", "choice", "like", "empty",
    "after", "certificate", "pin", "json", "utf8", "size", "not-file", "os",
]  # fmt: skip

#: English text of each problem, formatted with the fault's parameters (lists joined).
#: ``type``'s ``shape`` is a JSON form (:data:`SHAPES`); ``pin``'s ``rule`` a PIN format
#: id; ``os``: ``errno`` and the system's ``strerror``.
PROBLEMS: dict[str, str] = {
    "missing": "missing",
    "unknown": "unknown field",
    "twice": "given twice",
    "type": "must be of the form {shape}",
    "whole": "must be a whole number from {low} to {high}",
    "number": "must be a number from {low} to {high}",
    "choice": "must be one of {choices}",
    "like": "must be written like {example}",
    "empty": "must not be empty",
    "after": "must be after {other}",
    "certificate": "not a certificate (a PEM or DER file, or base64 DER)",
    "pin": "does not fit the key's format ({rule})",
    "json": "not valid JSON at column {column}",
    "utf8": "not UTF-8 text: save it as UTF-8",
    "size": "larger than {limit:,} bytes",
    "not-file": "not a regular file",
    "os": "{strerror}",
}

#: The JSON form of each type a field may need (``type``'s ``shape``).
SHAPES: dict[type, str] = {dict: "{…}", list: "[…]", str: '"…"', bool: "true/false"}


def english(template: str, params: dict[str, Any]) -> str:
    """``template`` formatted with ``params``, lists and tuples joined with commas."""
    values = {
        name: ", ".join(map(str, value)) if isinstance(value, list | tuple) else value
        for name, value in params.items()
    }
    return template.format(**values)


class FileFault(Exception):
    """A file a user gave is refused: ``path`` (None until known), ``line`` (1-based,
    when one line is at fault), ``field`` (dotted, empty for the file as a whole) and
    the problem: ``code`` (:data:`Problem`) with its ``params``; ``reason`` says it in
    English. ``str()`` is ``path:line: field: reason``."""

    def __init__(
        self,
        field: str,
        code: str,
        *,
        path: str | os.PathLike[str] | None = None,
        line: int | None = None,
        **params: Any,
    ) -> None:
        if code not in PROBLEMS:
            raise ValueError(f"unknown file problem {code!r}")
        self.field, self.code, self.params, self.line = field, code, params, line
        self.path = os.fspath(path) if path is not None else None
        self.reason = english(PROBLEMS[code], params)
        place = f"{self.path}:{line}" if self.path is not None and line is not None else self.path
        super().__init__(": ".join(part for part in (place, field, self.reason) if part))

    def at(self, cls: type[F], path: str | os.PathLike[str] | None, line: int | None = None) -> F:
        """The same fault as a ``cls`` in the file ``path`` (at ``line`` if given)."""
        line = self.line if line is None else line
        return cls(self.field, self.code, path=path, line=line, **self.params)


F = TypeVar("F", bound=FileFault)


def os_fault(exc: OSError | ValueError) -> FileFault:
    """A file that cannot be opened or read (a ValueError: a NUL in its name)."""
    errno = getattr(exc, "errno", None)
    return FileFault("", "os", errno=errno, strerror=getattr(exc, "strerror", None) or str(exc))


def type_fault(field: str, wanted: type) -> FileFault:
    return FileFault(field, "type", shape=SHAPES[wanted])


def file_type(mode: int) -> FileType:
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
    :class:`FileFault` (``not-file``, ``size``, ``os``), with ``path``.
    """
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_NOCTTY", 0))
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the name
        raise os_fault(exc).at(FileFault, path) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise FileFault("", "not-file", path=path, kind=file_type(info.st_mode))
        if info.st_size > limit:
            raise FileFault("", "size", path=path, limit=limit)
        size, chunks = 0, list[bytes]()
        while size <= limit and (chunk := os.read(fd, limit + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise os_fault(exc).at(FileFault, path) from None
    finally:
        os.close(fd)
    if size > limit:  # it grew after fstat
        raise FileFault("", "size", path=path, limit=limit)
    return b"".join(chunks)


def decode(data: bytes) -> str:
    """``data`` as UTF-8 text, a leading byte order mark dropped."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16
        raise FileFault("", "utf8", line=1)
    data = data.removeprefix(BOM)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileFault("", "utf8", line=data.count(b"\n", 0, exc.start) + 1) from None


class _Duplicate(Exception):
    pass


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Duplicate(key)
        out[key] = value
    return out


def _json_fault(text: str, index: int) -> FileFault:
    start = text.rfind("\n", 0, index) + 1
    return FileFault("", "json", line=text.count("\n", 0, index) + 1, column=index - start + 1)


def _too_deep(text: str) -> int:
    """Where ``text`` is nested deeper than half the recursion limit (strings skipped)."""
    depth, inside, escaped = 0, False, False
    for i, c in enumerate(text):
        if inside:
            inside, escaped = (escaped or c != '"'), (not escaped and c == "\\")
        elif c == '"':
            inside = True
        elif c in "[{":
            depth += 1
            if depth > sys.getrecursionlimit() // 2:
                return i
        elif c in "]}":
            depth -= 1
    return 0


def loads(text: str) -> Any:
    """Parse JSON ``text``; a key twice in one object (``twice``, the key as field),
    invalid JSON, nesting deeper than Python's recursion allows or an integer longer
    than ``int()`` converts (``json`` at the place) are :class:`FileFault`."""
    try:
        return json.loads(text, object_pairs_hook=_unique)
    except _Duplicate as exc:
        raise FileFault(str(exc.args[0]), "twice") from None
    except json.JSONDecodeError as exc:
        raise _json_fault(text, exc.pos) from None
    except RecursionError:
        raise _json_fault(text, _too_deep(text)) from None
    except ValueError:  # an integer with more digits than int() converts
        digits = re.search(rf"\d{{{sys.get_int_max_str_digits() + 1},}}", text)
        raise _json_fault(text, digits.start() if digits else 0) from None
