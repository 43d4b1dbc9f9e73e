"""Command APDUs (ISO/IEC 7816-4 §5.1): cases 1-4, short and extended."""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import EncodingError

#: Largest Lc / Ne of a short APDU.
SHORT_MAX = 256
#: Largest Lc / Ne of an extended APDU.
EXTENDED_MAX = 65536

#: Instructions whose data field is always hidden, in any class.
SECRET_INS = frozenset({0x20, 0x21, 0x24, 0x25, 0x2C, 0x2D})
#: Instructions whose data field is hidden in a proprietary class (CLA bit 8 set).
SECRET_PROPRIETARY_INS = frozenset({0x32})


def is_secret(raw: bytes, secret: bool = False) -> bool:
    """Whether the data field of the encoded command ``raw`` must be hidden."""
    if secret:
        return True
    if len(raw) < 2:
        return False
    cla, ins = raw[0], raw[1]
    return ins in SECRET_INS or (cla & 0x80 != 0 and ins in SECRET_PROPRIETARY_INS)


@dataclass(frozen=True)
class CommandAPDU:
    """One command to the card.

    ``le`` is Ne, the number of bytes expected: ``None`` for no Le field, 1-65536
    otherwise (256 encodes as ``00`` short, 65536 as ``0000`` extended).
    ``secret`` marks the data field as a secret (a PIN): recorders and traces
    never show it, and ``repr`` hides it.
    """

    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    le: int | None = None
    secret: bool = False
    extended: bool | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        for name in ("cla", "ins", "p1", "p2"):
            value = getattr(self, name)
            if not isinstance(value, int) or not 0 <= value <= 0xFF:
                raise EncodingError(f"{name.upper()} must be a byte, got {value!r}")
        if not isinstance(self.data, bytes | bytearray):
            raise EncodingError("data must be bytes")
        object.__setattr__(self, "data", bytes(self.data))
        if len(self.data) > EXTENDED_MAX - 1:
            raise EncodingError(f"data too long: {len(self.data)} bytes (at most 65535)")
        if self.le is not None and (
            not isinstance(self.le, int)
            or isinstance(self.le, bool)
            or not 1 <= self.le <= EXTENDED_MAX
        ):
            raise EncodingError(f"invalid Le {self.le!r}: must be 1..65536 or None")
        if self.extended is False and (
            len(self.data) > SHORT_MAX - 1 or (self.le is not None and self.le > SHORT_MAX)
        ):
            raise EncodingError("command does not fit a short APDU")

    @property
    def is_extended(self) -> bool:
        """Whether this command is encoded with extended length fields."""
        if self.extended is not None:
            return self.extended
        return len(self.data) > SHORT_MAX - 1 or (self.le is not None and self.le > SHORT_MAX)

    def to_bytes(self) -> bytes:
        """Encode as sent to the card."""
        out = bytearray((self.cla, self.ins, self.p1, self.p2))
        ext = self.is_extended
        if self.data:
            if ext:
                out += b"\x00" + len(self.data).to_bytes(2, "big")
            else:
                out.append(len(self.data))
            out += self.data
        if self.le is not None:
            if ext:
                le = 0 if self.le == EXTENDED_MAX else self.le
                out += (b"" if self.data else b"\x00") + le.to_bytes(2, "big")
            else:
                out.append(0 if self.le == SHORT_MAX else self.le)
        return bytes(out)

    def __bytes__(self) -> bytes:
        return self.to_bytes()

    def with_le(self, le: int) -> CommandAPDU:
        """The same command with another Le."""
        return CommandAPDU(self.cla, self.ins, self.p1, self.p2, self.data, le, self.secret)

    @property
    def header(self) -> bytes:
        return bytes((self.cla, self.ins, self.p1, self.p2))

    def __repr__(self) -> str:
        """Header, Le and data; the data hidden by :func:`is_secret`'s rule (a VERIFY
        built without the secret flag still carries a PIN)."""
        hide = is_secret(self.header, self.secret)
        data = f"<{len(self.data)} secret bytes>" if hide else self.data.hex().upper()
        return (
            f"CommandAPDU({self.header.hex().upper()}, data={data}, le={self.le}"
            f"{', secret' if self.secret else ''})"
        )

    @classmethod
    def parse(cls, raw: bytes) -> CommandAPDU:
        """Decode a command APDU, inverse of :meth:`to_bytes`."""
        cla, ins, p1, p2, data, le, _span, ext = _split(raw)
        return cls(cla, ins, p1, p2, data, le, extended=ext)

    @classmethod
    def data_span(cls, raw: bytes) -> tuple[int, int]:
        """``(start, end)`` of the data field inside an encoded command (empty when none)."""
        return _split(raw)[6]


def _split(
    raw: bytes,
) -> tuple[int, int, int, int, bytes, int | None, tuple[int, int], bool]:
    """Split an encoded command into header, data, Ne and the data field's span."""
    raw = bytes(raw)
    n = len(raw)
    if n < 4:
        raise EncodingError(f"command APDU too short: {n} bytes")
    cla, ins, p1, p2 = raw[:4]
    body = raw[4:]
    b = len(body)
    if b == 0:
        return cla, ins, p1, p2, b"", None, (4, 4), False
    if b == 1:
        return cla, ins, p1, p2, b"", body[0] or SHORT_MAX, (4, 4), False
    if body[0] != 0:
        lc = body[0]
        if b == 1 + lc:
            return cla, ins, p1, p2, body[1:], None, (5, 5 + lc), False
        if b == 2 + lc:
            return cla, ins, p1, p2, body[1 : 1 + lc], body[-1] or SHORT_MAX, (5, 5 + lc), False
        raise EncodingError(f"Lc {lc} does not match a body of {b} bytes")
    # extended: body starts with 00
    if b == 3:
        le = int.from_bytes(body[1:3], "big") or EXTENDED_MAX
        return cla, ins, p1, p2, b"", le, (4, 4), True
    if b < 3:
        raise EncodingError(f"malformed extended length in a body of {b} bytes")
    lc = int.from_bytes(body[1:3], "big")
    if lc == 0:
        raise EncodingError("extended Lc of zero")
    if b == 3 + lc:
        return cla, ins, p1, p2, body[3:], None, (7, 7 + lc), True
    if b == 5 + lc:
        le = int.from_bytes(body[-2:], "big") or EXTENDED_MAX
        return cla, ins, p1, p2, body[3 : 3 + lc], le, (7, 7 + lc), True
    raise EncodingError(f"extended Lc {lc} does not match a body of {b} bytes")
