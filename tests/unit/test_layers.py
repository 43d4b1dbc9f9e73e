"""Where knowledge lives: status words by name in the card logic."""

from __future__ import annotations

import re
from pathlib import Path

import apdu
from apdu import SW

SRC = Path(__file__).resolve().parents[2] / "src" / "jpki"
#: The virtual card still spells its answers in hex (issue 9 leaves it for later).
NOT_YET = ("emulator",)


def test_status_words_have_names_equal_to_their_values() -> None:
    assert SW.OK == 0x9000 and SW.REFERENCE_DATA_NOT_FOUND == 0x6A88
    assert apdu.describe(SW.REFERENCE_DATA_NOT_USABLE) == apdu.describe(0x6984)
    assert len({int(s) for s in SW}) == len(SW)


def test_the_card_logic_names_status_words_instead_of_writing_hex() -> None:
    offenders = []
    for path in SRC.rglob("*.py"):
        if any(part in NOT_YET for part in path.relative_to(SRC).parts):
            continue
        for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            if re.search(r"\b0x[69][0-9A-Fa-f]{3}\b", code):
                offenders.append(f"{path.relative_to(SRC)}:{n}: {line.strip()}")
    assert offenders == []
