"""Where knowledge lives: status words and instructions by name in the card logic."""

from __future__ import annotations

import re
from pathlib import Path

import apdu
from apdu import INS, SW
from jpki import profile

SRC = Path(__file__).resolve().parents[2] / "src" / "jpki"


def test_status_words_have_names_equal_to_their_values() -> None:
    assert SW.OK == 0x9000 and SW.REFERENCE_DATA_NOT_FOUND == 0x6A88
    assert apdu.describe(SW.REFERENCE_DATA_NOT_USABLE) == apdu.describe(0x6984)
    assert len({int(s) for s in SW}) == len(SW)


def test_the_card_logic_names_status_words_instead_of_writing_hex() -> None:
    offenders = []
    for path in SRC.rglob("*.py"):
        for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            if re.search(r"\b0x[69][0-9A-Fa-f]{3}\b", code):
                offenders.append(f"{path.relative_to(SRC)}:{n}: {line.strip()}")
    assert offenders == []


def _code_lines(root: Path) -> list[tuple[str, str]]:
    """``(place, code)`` of every line under ``root``, comments cut off."""
    return [
        (f"{path.relative_to(SRC)}:{n}", line.split("#", 1)[0])
        for path in sorted(root.rglob("*.py"))
        for n, line in enumerate(path.read_text("utf-8").splitlines(), 1)
    ]


def test_instruction_bytes_have_names_equal_to_their_values() -> None:
    assert (INS.SELECT, INS.READ_BINARY, INS.READ_RECORD) == (0xA4, 0xB0, 0xB2)
    assert (INS.VERIFY, INS.CHANGE_REFERENCE_DATA, INS.GET_RESPONSE) == (0x20, 0x24, 0xC0)
    assert len({int(i) for i in INS}) == len(INS)


def test_the_emulator_takes_aids_file_ids_and_instructions_from_names() -> None:
    aids = [app.aid.hex() for app in profile.APPLICATIONS]
    literal = re.compile(r"\b0x(?:A4|B0|B2|20|24|32|C0|00[0-9A-F]{2})\b", re.IGNORECASE)
    offenders = []
    for place, code in _code_lines(SRC / "emulator"):
        digits = re.sub(r"[^0-9a-f]", "", code.lower())
        if literal.search(code) or any(aid in digits for aid in aids):
            offenders.append(f"{place}: {code.strip()}")
    assert offenders == []


def test_only_the_cli_knows_the_language() -> None:
    """The library returns codes and values; choosing and reading the language, and
    the catalogues, belong to the CLI alone (and the local page, jpki.ui, and the
    wording both share, jpki.words)."""
    offenders = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC)
        if rel.parts[0] in ("cli", "ui", "words") or rel.name == "i18n.py":
            continue
        text = path.read_text("utf-8")
        if re.search(r"\bi18n\b|get_language|set_language", text):
            offenders.append(str(rel))
    assert offenders == []
