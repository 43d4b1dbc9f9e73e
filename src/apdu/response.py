"""Response APDUs: data and status word."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import EncodingError


@dataclass(frozen=True)
class ResponseAPDU:
    """A card's answer: response data and the two status bytes."""

    data: bytes
    sw: int

    @classmethod
    def parse(cls, raw: bytes) -> ResponseAPDU:
        raw = bytes(raw)
        if len(raw) < 2:
            raise EncodingError(f"response APDU too short: {len(raw)} bytes")
        return cls(raw[:-2], int.from_bytes(raw[-2:], "big"))

    def to_bytes(self) -> bytes:
        return self.data + self.sw.to_bytes(2, "big")

    @property
    def sw1(self) -> int:
        return self.sw >> 8

    @property
    def sw2(self) -> int:
        return self.sw & 0xFF

    @property
    def ok(self) -> bool:
        return self.sw == 0x9000

    @property
    def retries_left(self) -> int | None:
        """``x`` of a ``63Cx`` status word, else ``None``."""
        return self.sw & 0x0F if self.sw & 0xFFF0 == 0x63C0 else None

    @property
    def more_available(self) -> int | None:
        """Bytes still available after ``61xx`` (``00`` means 256), else ``None``."""
        return (self.sw2 or 256) if self.sw1 == 0x61 else None

    @property
    def correct_le(self) -> int | None:
        """The Le the card asks for with ``6Cxx`` (``00`` means 256), else ``None``."""
        return (self.sw2 or 256) if self.sw1 == 0x6C else None

    @property
    def sw_hex(self) -> str:
        return f"{self.sw:04X}"

    def __repr__(self) -> str:
        return f"ResponseAPDU(data={self.data.hex().upper()}, sw={self.sw:04X})"
