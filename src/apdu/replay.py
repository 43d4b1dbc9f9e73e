"""Replaying a recorded session file: a mock reader that answers from the file.

Each command sent must equal the next recorded one (``XX`` placeholders match
any byte); the answer is the recorded response. The file is checked completely
when it is opened, so a corrupted file fails before the first exchange.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from typing import Any

from .errors import (
    EncodingError,
    ReplayLeftoverError,
    ReplayMismatchError,
    SessionFileError,
    TransportError,
)
from .recording import SESSION_FORMAT, SESSION_VERSION
from .redact import PLACEHOLDER, parse_pattern, pattern_matches, redact_command
from .transport import BaseTransport


@dataclass(frozen=True)
class _Exchange:
    command: str
    pattern: tuple[int | None, ...]
    response: bytes


class ReplayTransport(BaseTransport):
    """A transport that plays back the session file ``path``.

    Raises :class:`SessionFileError` when the file is missing or invalid.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._header, self._exchanges = _load(self.path)
        self._name = self._header["reader"]
        self._atr = bytes.fromhex(self._header["atr"])
        self._next = 0
        self._closed = False

    @property
    def header(self) -> dict[str, Any]:
        """The session file's header line."""
        return dict(self._header)

    @property
    def total(self) -> int:
        """Number of recorded exchanges."""
        return len(self._exchanges)

    @property
    def remaining(self) -> int:
        """Number of recorded exchanges not replayed yet."""
        return len(self._exchanges) - self._next

    def transmit(self, apdu: bytes, *, secret: bool = False) -> bytes:
        if self._closed:
            raise TransportError("the session replay is closed")
        actual = bytes(apdu)
        index = self._next
        if index >= len(self._exchanges):
            raise ReplayMismatchError(index, None, redact_command(actual, secret)[0])
        exchange = self._exchanges[index]
        if not pattern_matches(exchange.pattern, actual):
            shown = _mask_like(redact_command(actual, secret)[0], exchange.pattern)
            raise ReplayMismatchError(index, exchange.command, shown)
        self._next += 1
        return exchange.response

    def close(self, strict: bool = True) -> None:
        """End the replay; with ``strict``, raise :class:`ReplayLeftoverError` if exchanges
        are left. A second call does nothing."""
        if self._closed:
            return
        self._closed = True
        if strict and self.remaining:
            raise ReplayLeftoverError(self._next, len(self._exchanges))

    def __exit__(self, *exc: object) -> None:
        # Left-over exchanges matter only when the block itself succeeded.
        self.close(strict=not exc or exc[0] is None)


def _mask_like(text: str, pattern: tuple[int | None, ...]) -> str:
    """Hide the bytes of ``text`` that the recorded pattern hides (the secret flag may
    be missing on the replay side)."""
    pairs = [text[i : i + 2] for i in range(0, len(text), 2)]
    for i, p in enumerate(pattern[: len(pairs)]):
        if p is None:
            pairs[i] = PLACEHOLDER
    return "".join(pairs)


_HEADER_TYPES: dict[str, tuple[type, ...]] = {
    "tool": (str,),
    "created": (str,),
    "reader": (str,),
    "atr": (str,),
    "redacted": (list,),
    "origin": (str, type(None)),
}


def _load(path: str) -> tuple[dict[str, Any], list[_Exchange]]:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise SessionFileError(path, None, "no such file") from None
    except OSError as exc:
        raise SessionFileError(path, None, f"cannot read: {exc.strerror}") from exc
    if not data:
        raise SessionFileError(path, None, "empty file")
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    header: dict[str, Any] = {}
    exchanges: list[_Exchange] = []
    for number, raw in enumerate(lines, start=1):
        try:
            obj = _json_object(raw)
            if number == 1:
                header = _check_header(obj)
            else:
                exchanges.append(_check_exchange(obj, number - 2))
        except _LineError as exc:
            raise SessionFileError(path, number, exc.reason) from None
    return header, exchanges


class _LineError(Exception):
    """One line of the session file is invalid."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _LineError("not UTF-8 text") from None
    if not text.strip():
        raise _LineError("empty line")
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _LineError(f"not valid JSON ({exc.msg}, column {exc.colno})") from None
    if not isinstance(obj, dict):
        raise _LineError("not a JSON object")
    return obj


def _check_header(obj: dict[str, Any]) -> dict[str, Any]:
    if "format" not in obj:
        if "i" in obj:
            raise _LineError("no header: the first line must be the session header")
        raise _LineError("missing key 'format'")
    if obj["format"] != SESSION_FORMAT:
        raise _LineError(f"format is {obj['format']!r}, expected {SESSION_FORMAT!r}")
    if "version" not in obj:
        raise _LineError("missing key 'version'")
    version = obj["version"]
    if not _is_int(version):
        raise _LineError("'version' must be an integer")
    if version != SESSION_VERSION:
        raise _LineError(
            f"unsupported version {version} (this tool reads version {SESSION_VERSION})"
        )
    for key, types in _HEADER_TYPES.items():
        if key not in obj:
            raise _LineError(f"missing key {key!r}")
        if not isinstance(obj[key], types):
            raise _LineError(f"{key!r} has the wrong type")
    if not all(isinstance(item, str) for item in obj["redacted"]):
        raise _LineError("'redacted' must be a list of strings")
    try:
        bytes.fromhex(_strict_hex(obj["atr"]))
    except ValueError:
        raise _LineError("'atr' is not hex") from None
    return obj


def _check_exchange(obj: dict[str, Any], index: int) -> _Exchange:
    for key in ("i", "command", "response"):
        if key not in obj:
            raise _LineError(f"missing key {key!r}")
    if not _is_int(obj["i"]):
        raise _LineError("'i' must be an integer")
    if obj["i"] != index:
        raise _LineError(f"exchange index {obj['i']}, expected {index}")
    command, response = obj["command"], obj["response"]
    if not isinstance(command, str):
        raise _LineError("'command' must be a string")
    if not isinstance(response, str):
        raise _LineError("'response' must be a string")
    try:
        pattern = parse_pattern(command)
    except EncodingError as exc:
        raise _LineError(f"'command' is not hex: {exc}") from None
    if len(pattern) < 4:
        raise _LineError("'command' is shorter than a 4-byte header")
    try:
        data = bytes.fromhex(_strict_hex(response))
    except ValueError:
        raise _LineError("'response' is not hex") from None
    if len(data) < 2:
        raise _LineError("'response' is shorter than a status word")
    if "ms" in obj:
        ms = obj["ms"]
        if not isinstance(ms, int | float) or isinstance(ms, bool) or not math.isfinite(ms):
            raise _LineError("'ms' must be a number")
    return _Exchange(command.upper(), pattern, data)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _strict_hex(text: str) -> str:
    """``text`` if it is only hex digits in pairs, else :class:`ValueError`."""
    if len(text) % 2 or not all(c in "0123456789abcdefABCDEF" for c in text):
        raise ValueError(text)
    return text
