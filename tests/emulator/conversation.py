"""Card conversations for the virtual card's tests.

A script is ``>`` command / ``<`` answer lines in hex (``*`` stands for any
non-empty data before the status word).
"""

from __future__ import annotations

from jpki.emulator import VirtualCard

JPKI = "D3 92 F0 00 26 01 00 00 00 01"
CARDINFO = "D3 92 10 00 31 00 01 01 04 08"
SURFACE = "D3 92 10 00 31 00 01 01 04 02"
JUKI = "D3 92 10 00 31 00 01 01 04 01"
COMMON = "D3 92 10 00 31 00 01 01 01 00"


def h(text: str) -> bytes:
    return bytes.fromhex(text)


def talk(card: VirtualCard, script: str) -> list[bytes]:
    """Play ``> command`` / ``< answer`` lines; return the data of each answer."""
    out: list[bytes] = []
    command: bytes | None = None
    for line in script.strip().splitlines():
        line = line.strip()
        if line.startswith(">"):
            command = h(line[1:])
        elif line.startswith("<"):
            assert command is not None
            got = card.process(command)
            want = line[1:].strip()
            if want.startswith("*"):
                assert len(got) > 2 and got[-2:] == h(want[1:]), f"{command.hex()} -> {got.hex()}"
            else:
                assert got == h(want), f"{command.hex()}: {got.hex().upper()} != {want}"
            out.append(got[:-2])
            command = None
    return out
