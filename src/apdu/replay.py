"""Replaying a recorded session file: a mock reader that answers from the file.

Each command sent must equal the next recorded one (``XX`` placeholders match
any byte); the answer is the recorded response, or, on a line with ``fault``, the
transport error the recording met (:data:`apdu.errors.FAULTS`). A power cycle
(:meth:`apdu.BaseTransport.power_cycle`) must meet a ``"power": "cycle"`` line, in
its place among the exchanges, and a warm reset (:meth:`apdu.BaseTransport.warm_reset`)
a ``"power": "reset"`` line. Response bytes the
recording hid as personal (``XX``) are answered as :data:`apdu.redact.FILLER` each
(``2A``, ``*``): same length, so the exchange goes on, but no personal value. The
file is checked completely when it is opened, so a corrupted file fails before the first exchange.
It must be a regular file of at most :data:`MAX_SESSION_BYTES`; a leading UTF-8 byte
order mark is ignored.
"""

from __future__ import annotations

import os
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
from .recording import SESSION_FORMAT, SESSION_VERSION
from .redact import PLACEHOLDER, parse_pattern, parse_response, pattern_matches, redact_command
from .transport import BaseTransport, finite_number

#: Largest session file read (a recording of one command is at most some 100 KB).
MAX_SESSION_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class _Exchange:
    command: str
    pattern: tuple[int | None, ...]
    response: bytes
    fault: Fault | None = None
    #: Bytes of the response the recording hid (answered as filler).
    hidden: int = 0
    #: The fault's PC/SC return code and timeout as recorded (``code``, ``timeout``).
    details: tuple[tuple[str, int | float], ...] = ()
    #: A power cycle or a warm reset (``"cycle"``, ``"reset"``), not a command.
    power: str | None = None


#: How a replay names a power cycle where a command was recorded, or the reverse.
POWER_CYCLE = "power cycle"
#: How a replay names a warm reset likewise.
WARM_RESET = "warm reset"
#: A power line's ``power`` value -> its name.
POWER_NAMES = {"cycle": POWER_CYCLE, "reset": WARM_RESET}


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
    def hidden(self) -> int:
        """Number of response bytes the recording hid as personal (replayed as filler)."""
        return sum(e.hidden for e in self._exchanges)

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
        if exchange.power or not pattern_matches(exchange.pattern, actual):
            shown = _mask_like(redact_command(actual, secret)[0], exchange.pattern)
            raise ReplayMismatchError(index, _expected(exchange), shown)
        self._next += 1
        _raise_fault(exchange, index)
        return exchange.response

    def power_cycle(self) -> None:
        self._power("cycle")
        self.unpower_pending = False

    def warm_reset(self) -> None:
        self._power("reset")

    def _power(self, kind: str) -> None:
        if self._closed:
            raise TransportError("the session replay is closed")
        index = self._next
        if index >= len(self._exchanges) or self._exchanges[index].power != kind:
            expected = _expected(self._exchanges[index]) if index < len(self._exchanges) else None
            raise ReplayMismatchError(index, expected, POWER_NAMES[kind])
        self._next += 1
        _raise_fault(self._exchanges[index], index)

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


def _expected(exchange: _Exchange) -> str:
    return POWER_NAMES[exchange.power] if exchange.power else exchange.command


def _raise_fault(exchange: _Exchange, index: int) -> None:
    if exchange.fault is not None:
        err = FAULTS[exchange.fault](f"exchange {index}: recorded fault {exchange.fault}")
        for name, value in exchange.details:
            setattr(err, name, value)
        raise err


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
        data = jsonfile.read_regular(path, MAX_SESSION_BYTES)
    except FileNotFoundError:
        raise SessionFileError(path, None, "not-found") from None
    except OSError as exc:
        strerror = exc.strerror or str(exc)
        raise SessionFileError(
            path, None, "cannot-read", errno=exc.errno, strerror=strerror
        ) from exc
    except jsonfile.FileProblem as exc:
        raise SessionFileError(path, None, exc.code, **exc.params) from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SessionFileError(path, None, "utf16")
    data = data.removeprefix(jsonfile.BOM)
    if not data:
        raise SessionFileError(path, None, "empty-file")
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
            raise SessionFileError(path, number, exc.code, **exc.params) from None
    return header, exchanges


class _LineError(Exception):
    """One line of the session file is invalid: a :data:`apdu.errors.SessionReason`."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _LineError("not-utf8") from None
    if not text.strip():
        raise _LineError("empty-line")
    try:
        obj = jsonfile.loads(text)
    except jsonfile.FileProblem as exc:
        if exc.code == "syntax":
            params = exc.params
            raise _LineError(
                "bad-json",
                problem=params["problem"],
                detail=params["detail"],
                column=params["column"],
            ) from None
        raise _LineError(exc.code, **exc.params) from None
    if not isinstance(obj, dict):
        raise _LineError("not-object")
    return obj


def _check_header(obj: dict[str, Any]) -> dict[str, Any]:
    if "format" not in obj:
        if "i" in obj:
            raise _LineError("no-header")
        raise _LineError("missing-key", key="format")
    if obj["format"] != SESSION_FORMAT:
        raise _LineError("bad-format", value=obj["format"], expected=SESSION_FORMAT)
    if "version" not in obj:
        raise _LineError("missing-key", key="version")
    version = obj["version"]
    if not _is_int(version):
        raise _LineError("not-int", key="version")
    if version != SESSION_VERSION:
        raise _LineError("bad-version", version=version, supported=SESSION_VERSION)
    for key, types in _HEADER_TYPES.items():
        if key not in obj:
            raise _LineError("missing-key", key=key)
        if not isinstance(obj[key], types):
            raise _LineError("wrong-type", key=key)
    if not all(isinstance(item, str) for item in obj["redacted"]):
        raise _LineError("redacted-not-strings")
    try:
        bytes.fromhex(_strict_hex(obj["atr"]))
    except ValueError:
        raise _LineError("not-hex", key="atr") from None
    return obj


def _check_exchange(obj: dict[str, Any], index: int) -> _Exchange:
    if "power" in obj:
        return _check_power(obj, index)
    fault = obj.get("fault")
    for key in ("i", "command", "fault" if "fault" in obj else "response"):
        if key not in obj:
            raise _LineError("missing-key", key=key)
    if not _is_int(obj["i"]):
        raise _LineError("not-int", key="i")
    if obj["i"] != index:
        raise _LineError("bad-index", index=obj["i"], expected=index)
    command = obj["command"]
    if not isinstance(command, str):
        raise _LineError("not-string", key="command")
    try:
        pattern = parse_pattern(command)
    except EncodingError:
        raise _LineError("not-hex", key="command") from None
    if len(pattern) < 4:
        raise _LineError("command-too-short")
    if "fault" in obj:
        if "response" in obj:
            raise _LineError("response-and-fault")
        if not isinstance(fault, str) or fault not in FAULTS:
            raise _LineError("bad-fault", value=fault, known=tuple(FAULTS))
        data = b""
        hidden = 0
        details = _fault_details(obj)
    else:
        response = obj["response"]
        if not isinstance(response, str):
            raise _LineError("not-string", key="response")
        try:  # hex, or XX where the recording hid personal data (not in the status word)
            data, hidden = parse_response(response)
        except EncodingError:
            raise _LineError("not-hex", key="response") from None
        if len(data) < 2:
            raise _LineError("response-too-short")
        details = ()
    if "ms" in obj and not finite_number(obj["ms"]):
        raise _LineError("not-number", key="ms")
    return _Exchange(command.upper(), pattern, data, fault, hidden, details)


def _check_power(obj: dict[str, Any], index: int) -> _Exchange:
    """A ``{"i": N, "power": "cycle"|"reset"}`` line (``fault``, ``ms`` as on an exchange)."""
    if "i" not in obj:
        raise _LineError("missing-key", key="i")
    if not _is_int(obj["i"]):
        raise _LineError("not-int", key="i")
    if obj["i"] != index:
        raise _LineError("bad-index", index=obj["i"], expected=index)
    if obj["power"] not in POWER_NAMES or "command" in obj or "response" in obj:
        raise _LineError("bad-power")
    fault = obj.get("fault")
    if "fault" in obj and (not isinstance(fault, str) or fault not in FAULTS):
        raise _LineError("bad-fault", value=fault, known=tuple(FAULTS))
    if "ms" in obj and not finite_number(obj["ms"]):
        raise _LineError("not-number", key="ms")
    details = _fault_details(obj) if fault is not None else ()
    kind = obj["power"]
    return _Exchange(POWER_NAMES[kind], (), b"", fault, 0, details, power=kind)


def _fault_details(obj: dict[str, Any]) -> tuple[tuple[str, int | float], ...]:
    """A fault line's optional ``code`` (a PC/SC return code) and ``timeout``
    (seconds, positive), as :func:`apdu.recording.fault_details` wrote them."""
    details: list[tuple[str, int | float]] = []
    if "code" in obj:
        code = obj["code"]
        if not _is_int(code) or not 0 <= code <= 0xFFFFFFFF:
            raise _LineError("not-int", key="code")
        details.append(("code", code))
    if "timeout" in obj:
        timeout = obj["timeout"]
        if not finite_number(timeout) or timeout <= 0:
            raise _LineError("not-number", key="timeout")
        details.append(("timeout", timeout))
    return tuple(details)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _strict_hex(text: str) -> str:
    """``text`` if it is only hex digits in pairs, else :class:`ValueError`."""
    if len(text) % 2 or not all(c in "0123456789abcdefABCDEF" for c in text):
        raise ValueError(text)
    return text
