"""Hiding secret data fields of command APDUs, for recordings, traces and errors.

A data field is replaced by ``XX`` per byte (so the length stays visible) when the
caller marks the command secret, and, as a second line of defence, whatever the
caller says, for the instructions that carry reference data (PINs), as
:func:`apdu.command.is_secret` (the rule :class:`~apdu.command.CommandAPDU`'s ``repr``
follows too) says:

- VERIFY (INS ``20``/``21``), CHANGE REFERENCE DATA (``24``/``25``) and RESET
  RETRY COUNTER (``2C``/``2D``) in any class (ISO/IEC 7816-4);
- CHANGE KEY (INS ``32``) in a proprietary class (CLA ``80``-``FF``, JICSAP).

A command that cannot be parsed is redacted after its 4-byte header whenever the
rule applies, so a malformed command never leaks its data.

Response data is hidden the same way, ``XX`` per byte, where it is personal: when
the caller marks it (``transmit(..., personal=True)``), and where a card's
rule (:class:`PersonalRule`) says so of the file being read. A
:class:`ResponseRedactor` follows SELECT, READ BINARY, READ RECORD and GET RESPONSE
to tell the rule which file (and where in it) each response comes from. The status
word is never hidden. A replay gives :data:`FILLER` for each hidden byte.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from .command import CommandAPDU, is_secret
from .errors import EncodingError
from .ins import INS
from .status import SW

#: What a placeholder byte looks like in hex text.
PLACEHOLDER = "XX"
#: The byte a replay gives for each response byte a recording hid: ``2A`` (``*``),
#: which no DER certificate starts with.
FILLER = 0x2A

#: Plain-language list of the command data recordings and traces always hide.
REDACTED_COMMANDS: tuple[str, ...] = (
    "data field of VERIFY commands (INS 20/21): PINs and passwords",
    "data field of CHANGE REFERENCE DATA commands (INS 24/25): old and new PINs",
    "data field of RESET RETRY COUNTER commands (INS 2C/2D)",
    "data field of proprietary CHANGE KEY commands (CLA 80-FF, INS 32): new PINs",
    "data field of every command the tool marks as secret",
)
#: What a recording says of the response data it hides.
HIDDEN_RESPONSES = (
    "response data the tool marks as personal, written as XX per byte (a replay gives 2A for each)"
)


def hidden_span(raw: bytes, secret: bool = False) -> tuple[int, int] | None:
    """``(start, end)`` of the bytes of ``raw`` to hide, or ``None`` when none are."""
    if not is_secret(raw, secret):
        return None
    try:
        start, end = CommandAPDU.data_span(raw)
    except EncodingError:
        start, end = min(4, len(raw)), len(raw)
    return (start, end) if end > start else None


def redact_command(raw: bytes, secret: bool = False) -> tuple[str, bool]:
    """Upper-case hex of ``raw`` with secret data as ``XX``; and whether anything was hidden."""
    raw = bytes(raw)
    span = hidden_span(raw, secret)
    if span is None:
        return raw.hex().upper(), False
    start, end = span
    text = raw[:start].hex().upper() + PLACEHOLDER * (end - start) + raw[end:].hex().upper()
    return text, True


def parse_pattern(text: str) -> tuple[int | None, ...]:
    """Bytes of a recorded hex command; ``None`` for each ``XX`` placeholder.

    Raises :class:`EncodingError` unless ``text`` is pairs of hex digits or ``XX``
    (either case, no separators).
    """
    if not isinstance(text, str) or len(text) % 2:
        raise EncodingError("hex text must have an even number of digits")
    out: list[int | None] = []
    for i in range(0, len(text), 2):
        pair = text[i : i + 2]
        if pair.upper() == PLACEHOLDER:
            out.append(None)
        elif all(c in "0123456789abcdefABCDEF" for c in pair):
            out.append(int(pair, 16))
        else:
            raise EncodingError(f"not a hex byte at position {i}: {pair!r}")
    return tuple(out)


def pattern_matches(pattern: tuple[int | None, ...], actual: bytes) -> bool:
    """Whether ``actual`` has the pattern's length and bytes (``None`` matches any byte)."""
    return len(pattern) == len(actual) and all(
        p is None or p == a for p, a in zip(pattern, actual, strict=True)
    )


#: ``(start, end)`` of bytes of a response's data, ``end`` excluded.
Span = tuple[int, int]


def all_data(response: bytes) -> tuple[Span, ...]:
    """The span of all the data of ``response`` (none when it has no data)."""
    n = len(response) - 2
    return ((0, n),) if n > 0 else ()


def clean_spans(spans: Sequence[Span], length: int) -> tuple[Span, ...]:
    """``spans`` cut to ``length`` bytes, sorted, overlapping ones merged, empty dropped."""
    out: list[Span] = []
    for start, end in sorted((max(0, s), min(length, e)) for s, e in spans):
        if end <= start:
            continue
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return tuple(out)


def hide_response(response: bytes, spans: Sequence[Span] = ()) -> str:
    """Upper-case hex of ``response`` with the data bytes of ``spans`` as ``XX``; the
    status word is always shown."""
    response = bytes(response)
    if len(response) < 2:
        return response.hex().upper()
    data = response[:-2]
    out: list[str] = []
    at = 0
    for start, end in clean_spans(spans, len(data)):
        out.append(data[at:start].hex().upper() + PLACEHOLDER * (end - start))
        at = end
    return "".join(out) + data[at:].hex().upper() + response[-2:].hex().upper()


def parse_response(text: str) -> bytes:
    """The bytes of a recorded response, :data:`FILLER` for each ``XX`` (data only,
    never the status word).

    Raises :class:`EncodingError` for anything but pairs of hex digits or ``XX``, and for
    ``XX`` in the status word.
    """
    pattern = parse_pattern(text)
    if any(p is None for p in pattern[-2:]):
        raise EncodingError("the status word is not hex")
    return bytes(FILLER if p is None else p for p in pattern)


@dataclass(frozen=True)
class FileRead:
    """Where the data of one read response comes from, as the commands before it show.

    ``aid``: the DF name selected last (``None``: not known: nothing selected by name
    since the connection began, a SELECT that failed, or the MF, a path or a parent
    selected since). The EF: ``fid`` as selected (``00 A4 02 ..``), or ``sfi`` as named
    by a short EF identifier; both ``None`` when not known. ``record``: READ RECORD
    (else READ BINARY). ``offset``: of the first data byte in the file, or in the record
    (``None``: not known, as for the odd instructions ``B1``/``B3``). ``number``: the
    record's number when one record was asked for (``P2`` mode ``100``).
    """

    aid: bytes | None
    fid: int | None
    sfi: int | None
    record: bool
    offset: int | None
    number: int | None = None


class PersonalRule(Protocol):
    """A card's rule of which response bytes are personal data."""

    @property
    def description(self) -> Sequence[str]:
        """What it hides, in plain language (a recording's header)."""
        ...

    def spans(self, read: FileRead, data: bytes) -> Sequence[Span]:
        """The spans of ``data`` (read as ``read`` says) that are personal."""
        ...


#: SELECT by DF name (P1 ``04``), and of an EF under the current DF (P1 ``02``).
_SELECT_BY_NAME = 0x04
_SELECT_EF = 0x02
#: P2 mode of READ RECORD naming one record by its number in P1.
_RECORD_BY_NUMBER = 0x04
#: The short EF identifier ``11111`` is reserved (ISO/IEC 7816-4).
_SFI_RESERVED = 0x1F


def _success(sw: int) -> bool:
    return sw == SW.OK or sw & 0xFF00 in (SW.BYTES_REMAINING, SW.END_OF_FILE & 0xFF00)


class ResponseRedactor:
    """Follows the commands of a session to tell which response bytes ``rule`` calls
    personal (:meth:`hidden`). Only the data of reads (READ BINARY, READ RECORD and the
    GET RESPONSE that continue them) is judged; other answers are never hidden."""

    def __init__(self, rule: PersonalRule) -> None:
        self.rule = rule
        self._aid: bytes | None = None
        self._ef: tuple[int | None, int | None] | None = None
        self._more: FileRead | None = None

    def forget(self) -> None:
        """The card was reset or the exchange broke off: nothing is known selected."""
        self._aid = None
        self._ef = None
        self._more = None

    def hidden(self, command: bytes, response: bytes) -> tuple[Span, ...]:
        """The spans of ``response``'s data to hide, ``command`` having been answered
        with it (every exchange must be shown here, in order)."""
        command, response = bytes(command), bytes(response)
        if len(response) < 2:
            self._more = None
            return ()
        sw = int.from_bytes(response[-2:], "big")
        data = response[:-2]
        read = self._follow(command, sw)
        self._more = None
        if read is not None and sw & 0xFF00 == SW.BYTES_REMAINING:
            offset = None if read.offset is None else read.offset + len(data)
            self._more = replace(read, offset=offset)
        if read is None or not data:
            return ()
        return clean_spans(self.rule.spans(read, data), len(data))

    def _follow(self, command: bytes, sw: int) -> FileRead | None:
        """Update what is selected; the read ``command`` is, if it is one."""
        if len(command) < 4:
            return None
        ins, p1, p2 = command[1], command[2], command[3]
        if ins == INS.GET_RESPONSE:
            return self._more
        if ins == INS.SELECT:
            self._select(command, p1, _success(sw))
            return None
        if ins & 1 and ins - 1 in (INS.READ_BINARY, INS.READ_RECORD):
            # Odd instructions name the file and the offset in ways not followed here.
            return FileRead(self._aid, None, None, ins - 1 == INS.READ_RECORD, None)
        if ins == INS.READ_BINARY:
            if p1 & 0x80:
                return self._by_sfi(p1 & 0x1F, sw, False, p2)
            return self._current(False, ((p1 & 0x7F) << 8) | p2)
        if ins == INS.READ_RECORD:
            number = p1 if p2 & 0x07 == _RECORD_BY_NUMBER and p1 else None
            sfi = p2 >> 3
            if sfi == 0:
                return self._current(True, 0, number)
            return self._by_sfi(None if sfi == _SFI_RESERVED else sfi, sw, True, 0, number)
        return None

    def _current(self, record: bool, offset: int, number: int | None = None) -> FileRead:
        fid, sfi = self._ef if self._ef is not None else (None, None)
        return FileRead(self._aid, fid, sfi, record, offset, number)

    def _by_sfi(
        self, sfi: int | None, sw: int, record: bool, offset: int, number: int | None = None
    ) -> FileRead:
        """A read naming its EF by short identifier, which it makes the current EF."""
        if _success(sw):
            self._ef = (None, sfi) if sfi is not None else None
        return FileRead(self._aid, None, sfi, record, offset, number)

    def _select(self, command: bytes, p1: int, ok: bool) -> None:
        try:
            start, end = CommandAPDU.data_span(command)
        except EncodingError:
            start = end = 0
        data = command[start:end]
        if p1 == _SELECT_BY_NAME:
            self._aid = data if ok and data else None
            self._ef = None
        elif p1 == _SELECT_EF and len(data) == 2:
            self._ef = (int.from_bytes(data, "big"), None) if ok else None
        else:  # the MF, a DF by identifier, a path, the parent: the application is not known
            self._aid = None
            self._ef = None
