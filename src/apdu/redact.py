"""Hiding secret data fields of command APDUs, for recordings, traces and errors.

A data field is replaced by ``XX`` per byte (so the length stays visible) when the
caller marks the command secret, and, as a second line of defence, whatever the
caller says, for the instructions that carry reference data (PINs):

- VERIFY (INS ``20``/``21``), CHANGE REFERENCE DATA (``24``/``25``) and RESET
  RETRY COUNTER (``2C``/``2D``) in any class (ISO/IEC 7816-4);
- CHANGE KEY (INS ``32``) in a proprietary class (CLA ``80``-``FF``, JICSAP).

A command that cannot be parsed is redacted after its 4-byte header whenever the
rule applies, so a malformed command never leaks its data.
"""

from __future__ import annotations

from .command import CommandAPDU
from .errors import EncodingError

#: What a placeholder byte looks like in hex text.
PLACEHOLDER = "XX"

#: Instructions whose data field is always hidden, in any class.
SECRET_INS = frozenset({0x20, 0x21, 0x24, 0x25, 0x2C, 0x2D})
#: Instructions whose data field is hidden in a proprietary class (CLA bit 8 set).
SECRET_PROPRIETARY_INS = frozenset({0x32})

#: Plain-language list of what recordings and traces hide (a recording's header).
REDACTED: tuple[str, ...] = (
    "data field of VERIFY commands (INS 20/21): PINs and passwords",
    "data field of CHANGE REFERENCE DATA commands (INS 24/25): old and new PINs",
    "data field of RESET RETRY COUNTER commands (INS 2C/2D)",
    "data field of proprietary CHANGE KEY commands (CLA 80-FF, INS 32): new PINs",
    "data field of every command the tool marks as secret",
    "response data the tool marks as personal (the sign certificate: name, address)",
)


def is_secret(raw: bytes, secret: bool = False) -> bool:
    """Whether the data field of the encoded command ``raw`` must be hidden."""
    if secret:
        return True
    if len(raw) < 2:
        return False
    cla, ins = raw[0], raw[1]
    return ins in SECRET_INS or (cla & 0x80 != 0 and ins in SECRET_PROPRIETARY_INS)


def hidden_span(raw: bytes, secret: bool = False) -> tuple[int, int] | None:
    """``(start, end)`` of the bytes of ``raw`` to hide, or ``None`` when none are."""
    raw = bytes(raw)
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


def matches(recorded_hex: str, actual: bytes) -> bool:
    """Whether ``actual`` equals the recorded command, ``XX`` matching any byte."""
    return pattern_matches(parse_pattern(recorded_hex), bytes(actual))


def hidden_response(response: bytes) -> str:
    """A response whose data is personal: ``XX`` per data byte, then the status word."""
    response = bytes(response)
    if len(response) < 2:
        return response.hex().upper()
    return PLACEHOLDER * (len(response) - 2) + response[-2:].hex().upper()
