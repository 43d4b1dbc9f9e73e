"""Replaying a recorded session file (:mod:`apdu.recording`): a mock reader that
answers from the file.

Each command sent must equal the next recorded one (``XX`` placeholders match any
byte), and each reset (:meth:`apdu.BaseTransport.power_cycle`) the next ``power``
line of its kind (``"cycle"``, or ``"reset"`` for a warm one). The answer is the
recorded response, or the recorded fault (:data:`apdu.errors.FAULTS`) raised again;
response bytes the recording hid as personal (``XX``) are answered as
:data:`apdu.redact.FILLER` each (``2A``, ``*``): same length, no personal value.
The file, a regular file of at most :data:`MAX_SESSION_BYTES` (a leading UTF-8 byte
order mark ignored), is checked completely when it is opened, so a corrupted file
fails before the first exchange.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import jsonfile
from .errors import (
    FAULTS,
    EncodingError,
    Fault,
    ReplayLeftoverError,
    ReplayMismatchError,
    SessionFileError,
    TransportError,
)
from .jsonfields import choice, in_range, like, typed
from .jsonfile import FileFault
from .recording import SESSION_FORMAT, SESSION_VERSION
from .redact import PLACEHOLDER, parse_pattern, parse_response, pattern_matches, redact_command
from .transport import BaseTransport

#: Largest session file read (a recording of one command is at most some 100 KB).
MAX_SESSION_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class _Exchange:
    command: str
    pattern: tuple[int | None, ...]
    response: bytes
    fault: Fault | None = None
    #: The fault's PC/SC return code and timeout, as recorded.
    code: int | None = None
    timeout: float | None = None
    #: A power cycle or a warm reset (``"cycle"``, ``"reset"``), not a command.
    power: str | None = None


#: A power line's ``power`` value -> how a replay names it where a command was
#: recorded, or the reverse.
POWER_NAMES = {"cycle": "power cycle", "reset": "warm reset"}


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
    def remaining(self) -> int:
        """Number of recorded exchanges not replayed yet."""
        return len(self._exchanges) - self._next

    def transmit(self, apdu: bytes, *, secret: bool = False, personal: bool = False) -> bytes:
        if self._closed:
            raise TransportError("the session replay is closed")
        actual = bytes(apdu)
        index = self._next
        if index >= len(self._exchanges):
            raise ReplayMismatchError(index, None, redact_command(actual, secret)[0])
        exchange = self._exchanges[index]
        if exchange.power or not pattern_matches(exchange.pattern, actual):
            shown = _mask_like(redact_command(actual, secret)[0], exchange.pattern)
            raise ReplayMismatchError(index, _expected(exchange), shown)
        self._next += 1
        _raise_fault(exchange, index)
        return exchange.response

    def power_cycle(self, *, warm: bool = False) -> None:
        power = "reset" if warm else "cycle"
        if self._closed:
            raise TransportError("the session replay is closed")
        index = self._next
        if index >= len(self._exchanges) or self._exchanges[index].power != power:
            expected = _expected(self._exchanges[index]) if index < len(self._exchanges) else None
            raise ReplayMismatchError(index, expected, POWER_NAMES[power])
        self._next += 1
        _raise_fault(self._exchanges[index], index)

    def close(self, strict: bool = True, *, unpower: bool = False) -> None:
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


def _expected(exchange: _Exchange) -> str:
    return POWER_NAMES[exchange.power] if exchange.power else exchange.command


def _raise_fault(exchange: _Exchange, index: int) -> None:
    if exchange.fault is not None:
        raise FAULTS[exchange.fault](
            f"exchange {index}: recorded fault {exchange.fault}",
            code=exchange.code,
            timeout=exchange.timeout,
        )


def _mask_like(text: str, pattern: tuple[int | None, ...]) -> str:
    """Hide the bytes of ``text`` that the recorded pattern hides (the secret flag may
    be missing on the replay side)."""
    pairs = [text[i : i + 2] for i in range(0, len(text), 2)]
    for i, p in enumerate(pattern[: len(pairs)]):
        if p is None:
            pairs[i] = PLACEHOLDER
    return "".join(pairs)


#: The header's fields and their types (``origin`` may be null too).
_HEADER_TYPES: dict[str, type] = {
    "tool": str,
    "created": str,
    "reader": str,
    "atr": str,
    "redacted": list,
    "origin": str,
}


#: An example of each hex field, for a ``like`` fault.
_EXAMPLES = {"atr": "3BE000FF8131FE4514", "command": "00A4040C", "response": "9000"}
#: Bounds of the numbers a line may hold: PC/SC return code, seconds, milliseconds.
_CODE_MAX, _TIMEOUT_MAX, _MS_MAX = 0xFFFFFFFF, 86_400, 86_400_000


def _load(path: str) -> tuple[dict[str, Any], list[_Exchange]]:
    try:
        text = jsonfile.decode(jsonfile.read_regular(path, MAX_SESSION_BYTES))
    except FileFault as exc:
        raise exc.at(SessionFileError, path) from None
    if not text:
        raise SessionFileError("", "empty", path=path)
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    header: dict[str, Any] = {}
    exchanges: list[_Exchange] = []
    for number, line in enumerate(lines, start=1):
        try:
            if not line.strip():
                raise FileFault("", "empty")
            obj = typed(jsonfile.loads(line), "", dict)
            if number == 1:
                header = _check_header(obj)
            else:
                exchanges.append(_check_exchange(obj, number - 2))
        except FileFault as exc:
            raise exc.at(SessionFileError, path, number) from None
    return header, exchanges


def _require(obj: dict[str, Any], *keys: str) -> None:
    for key in keys:
        if key not in obj:
            raise FileFault(key, "missing")


def _hex(obj: dict[str, Any], key: str, parse: Callable[[str], tuple[Any, int]], least: int) -> Any:
    """``obj[key]`` parsed by ``parse`` (value, length in bytes), at least ``least``
    bytes long, else a ``like`` fault."""
    try:
        value, length = parse(typed(obj[key], key, str))
    except (EncodingError, ValueError):
        length = -1
    if length < least:
        raise FileFault(key, "like", example=_EXAMPLES[key])
    return value


def _number(obj: dict[str, Any], key: str, high: int, whole: bool = False) -> None:
    if key in obj:
        in_range(0, high, whole)(obj[key], key)


def _check_header(obj: dict[str, Any]) -> dict[str, Any]:
    for key, value in (("format", SESSION_FORMAT), ("version", SESSION_VERSION)):
        _require(obj, key)
        choice([value])(obj[key], key)
    _require(obj, *_HEADER_TYPES)
    for key, wanted in _HEADER_TYPES.items():
        if obj[key] is not None or key != "origin":
            typed(obj[key], key, wanted)
    for i, item in enumerate(obj["redacted"]):
        typed(item, f"redacted[{i}]", str)
    like(r"(?:[0-9A-Fa-f]{2})*", _EXAMPLES["atr"])(obj["atr"], "atr")
    return obj


def _check_index(obj: dict[str, Any], index: int) -> None:
    _require(obj, "i")
    choice([index])(obj["i"], "i")


def _check_fault(obj: dict[str, Any]) -> tuple[Fault | None, int | None, float | None]:
    """A line's ``fault``, with its optional ``code`` (a PC/SC return code) and
    ``timeout`` (seconds) as a recording writes them; ``ms`` checked too."""
    fault: Fault | None = choice(FAULTS)(obj["fault"], "fault") if "fault" in obj else None
    _number(obj, "ms", _MS_MAX)
    if fault is None:
        return None, None, None
    _number(obj, "code", _CODE_MAX, whole=True)
    _number(obj, "timeout", _TIMEOUT_MAX)
    return fault, obj.get("code"), obj.get("timeout")


def _check_exchange(obj: dict[str, Any], index: int) -> _Exchange:
    if "power" in obj:
        return _check_power(obj, index)
    _check_index(obj, index)
    _require(obj, "command", "fault" if "fault" in obj else "response")
    pattern = _hex(obj, "command", lambda text: (p := parse_pattern(text), len(p)), 4)
    if "fault" in obj and "response" in obj:
        raise FileFault("response", "unknown")
    fault, code, timeout = _check_fault(obj)
    if fault is not None:
        data = b""
    else:  # hex, or XX where the recording hid personal data (not in the status word)
        data = _hex(obj, "response", lambda text: (r := parse_response(text), len(r)), 2)
    return _Exchange(obj["command"].upper(), pattern, data, fault, code, timeout)


def _check_power(obj: dict[str, Any], index: int) -> _Exchange:
    """A ``{"i": N, "power": "cycle"|"reset"}`` line (``fault``, ``ms`` as on an exchange)."""
    _check_index(obj, index)
    choice(POWER_NAMES)(obj["power"], "power")
    for key in ("command", "response"):
        if key in obj:
            raise FileFault(key, "unknown")
    fault, code, timeout = _check_fault(obj)
    power = obj["power"]
    return _Exchange(POWER_NAMES[power], (), b"", fault, code, timeout, power=power)
