"""ISO/IEC 7816-4 instruction bytes (INS) by name."""

from __future__ import annotations

from enum import IntEnum


class INS(IntEnum):
    """Interindustry instructions (ISO/IEC 7816-4, CLA ``00``)."""

    VERIFY = 0x20
    CHANGE_REFERENCE_DATA = 0x24
    SELECT = 0xA4
    READ_BINARY = 0xB0
    READ_RECORD = 0xB2
    GET_RESPONSE = 0xC0
