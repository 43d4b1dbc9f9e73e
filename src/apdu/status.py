"""ISO/IEC 7816-4 status words and their meanings, for messages."""

from __future__ import annotations

from enum import IntEnum

#: Exact status words.
STATUS_WORDS: dict[int, str] = {
    0x9000: "normal processing",
    0x6200: "warning: no information given, non-volatile memory unchanged",
    0x6281: "warning: part of returned data may be corrupted",
    0x6282: "warning: end of file reached before reading Le bytes",
    0x6283: "warning: selected file deactivated",
    0x6284: "warning: file control information not formatted",
    0x6300: "warning: verification failed (no retry counter)",
    0x6381: "warning: file filled up by the last write",
    0x6400: "execution error: non-volatile memory unchanged",
    0x6581: "execution error: memory failure",
    0x6700: "wrong length",
    0x6800: "functions in CLA not supported",
    0x6881: "logical channel not supported",
    0x6882: "secure messaging not supported",
    0x6883: "last command of the chain expected",
    0x6884: "command chaining not supported",
    0x6900: "command not allowed",
    0x6981: "command incompatible with file structure",
    0x6982: "security status not satisfied",
    0x6983: "authentication method blocked",
    0x6984: "reference data not usable (blocked)",
    0x6985: "conditions of use not satisfied",
    0x6986: "command not allowed (no current EF)",
    0x6987: "expected secure messaging data objects missing",
    0x6988: "incorrect secure messaging data objects",
    0x6A80: "incorrect parameters in the data field",
    0x6A81: "function not supported",
    0x6A82: "file or application not found",
    0x6A83: "record not found",
    0x6A84: "not enough memory space in the file",
    0x6A85: "Nc inconsistent with TLV structure",
    0x6A86: "incorrect parameters P1-P2",
    0x6A87: "Nc inconsistent with parameters P1-P2",
    0x6A88: "referenced data or reference data not found",
    0x6A89: "file already exists",
    0x6A8A: "DF name already exists",
    0x6B00: "wrong parameters P1-P2 (offset outside the file)",
    0x6D00: "instruction code not supported or invalid",
    0x6E00: "class not supported",
    0x6F00: "no precise diagnosis",
}

#: Status words known by their first byte (or first 12 bits), with a format for the
#: rest; a ``|`` separates the singular form (n = 1) from the plural.
_PATTERNS: tuple[tuple[int, int, str], ...] = (
    (0xFFF0, 0x63C0, "verification failed, {n} try left|verification failed, {n} tries left"),
    (
        0xFF00,
        0x6100,
        "{n} more byte available (GET RESPONSE)|{n} more bytes available (GET RESPONSE)",
    ),
    (0xFF00, 0x6C00, "wrong Le, {n} byte available|wrong Le, {n} bytes available"),
    (0xFF00, 0x6200, "warning, non-volatile memory unchanged"),
    (0xFF00, 0x6300, "warning, non-volatile memory changed"),
    (0xFF00, 0x6400, "execution error, non-volatile memory unchanged"),
    (0xFF00, 0x6500, "execution error, non-volatile memory changed"),
    (0xFF00, 0x6600, "security-related issue"),
    (0xFF00, 0x6800, "functions in CLA not supported"),
    (0xFF00, 0x6900, "command not allowed"),
    (0xFF00, 0x6A00, "wrong parameters P1-P2"),
)


class SW(IntEnum):
    """Status words by name (ISO/IEC 7816-4), as the card logic uses them."""

    OK = 0x9000
    BYTES_REMAINING = 0x6100  # 61xx: xx more bytes for GET RESPONSE (00: 256)
    END_OF_FILE = 0x6282  # fewer bytes than Le: the end of the file came first
    VERIFY_FAILED_NO_COUNTER = 0x6300
    VERIFY_FAILED = 0x63C0  # 63Cx: x tries left
    WRONG_LENGTH = 0x6700
    LOGICAL_CHANNEL_NOT_SUPPORTED = 0x6881
    INCOMPATIBLE_FILE_STRUCTURE = 0x6981
    SECURITY_STATUS_NOT_SATISFIED = 0x6982
    AUTH_METHOD_BLOCKED = 0x6983
    REFERENCE_DATA_NOT_USABLE = 0x6984
    CONDITIONS_NOT_SATISFIED = 0x6985
    NO_CURRENT_EF = 0x6986
    INCORRECT_DATA = 0x6A80
    FILE_NOT_FOUND = 0x6A82
    RECORD_NOT_FOUND = 0x6A83
    INCORRECT_P1P2 = 0x6A86
    REFERENCE_DATA_NOT_FOUND = 0x6A88
    OFFSET_OUTSIDE_FILE = 0x6B00
    WRONG_LE = 0x6C00  # 6Cxx: wrong Le, xx bytes available
    INS_NOT_SUPPORTED = 0x6D00
    CLA_NOT_SUPPORTED = 0x6E00
    NO_PRECISE_DIAGNOSIS = 0x6F00


def describe(sw: int) -> str:
    """A short English description of a status word (``"unknown status"`` if none fits)."""
    if sw in STATUS_WORDS:
        return STATUS_WORDS[sw]
    for mask, value, text in _PATTERNS:
        if sw & mask == value:
            n = sw & (0x0F if mask == 0xFFF0 else 0xFF)
            if value in (0x6100, 0x6C00) and n == 0:
                n = 256
            singular, _, plural = text.partition("|")
            return (singular if n == 1 or not plural else plural).format(n=n)
    return "unknown status"
