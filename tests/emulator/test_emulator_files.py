"""The virtual card's applications and files: SELECT, READ BINARY, READ RECORD, classes.

Each test is a card conversation: ``>`` a command, ``<`` the expected answer (``*``
stands for any non-empty data before the status word).
"""

from __future__ import annotations

import pytest

from jpki import profile
from jpki.emulator import CardState, VirtualCard, files
from jpki.emulator.statefile import parse as parse_state

from .conversation import CARDINFO, COMMON, JPKI, JUKI, SURFACE, h, talk


@pytest.fixture
def card() -> VirtualCard:
    c = VirtualCard(CardState())
    c.power_on()
    return c


# -- SELECT -------------------------------------------------------------------


@pytest.mark.parametrize("aid", [JPKI, CARDINFO, SURFACE, JUKI, COMMON])
def test_select_each_application_by_full_aid(card: VirtualCard, aid: str) -> None:
    talk(card, f"> 00 A4 04 0C 0A {aid}\n< 90 00")


def test_select_unknown_aid_6a82_keeps_the_current_application(card: VirtualCard) -> None:
    talk(
        card,
        f"""
        > 00 A4 04 0C 0A {JPKI}
        < 90 00
        > 00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 09
        < 6A 82
        > 00 A4 02 0C 02 00 18
        < 90 00
        """,
    )


def test_prefix_of_five_bytes_selects_the_application(card: VirtualCard) -> None:
    talk(
        card,
        """
        > 00 A4 04 0C 05 D3 92 F0 00 26
        < 90 00
        > 00 A4 02 0C 02 00 18
        < 90 00
        """,
    )
    assert card.selected_app is not None and card.selected_app.id == "jpki"


def test_shared_prefix_selects_the_first_application_in_profile_order(card: VirtualCard) -> None:
    talk(card, "> 00 A4 04 0C 08 D3 92 10 00 31 00 01 01\n< 90 00")
    assert card.selected_app is not None and card.selected_app.id == "cardinfo"


def test_prefix_shorter_than_five_bytes_is_not_found(card: VirtualCard) -> None:
    talk(card, "> 00 A4 04 0C 04 D3 92 F0 00\n< 6A 82")


def test_select_p2_00_answers_without_fci(card: VirtualCard) -> None:
    talk(card, f"> 00 A4 04 00 0A {JPKI}\n< 90 00")


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        (f"00 A4 09 0C 0A {JPKI}", "6A 86"),  # P1=09 (opensc PR #801: fails on real cards)
        (f"00 A4 04 04 0A {JPKI}", "6A 86"),  # FCP requested
        ("00 A4 04 0C", "67 00"),  # no DF name
        ("00 A4 04 0C 11 " + "D3" * 17, "67 00"),  # longer than 16 bytes
        ("00 A4 02 0C 01 18", "67 00"),  # FID of one byte
    ],
)
def test_select_bad_parameters(card: VirtualCard, command: str, answer: str) -> None:
    talk(card, f"> {command}\n< {answer}")


def test_select_ef_without_application_6a82(card: VirtualCard) -> None:
    talk(card, "> 00 A4 02 0C 02 00 0A\n< 6A 82")


def test_select_ef_unknown_and_of_another_application(card: VirtualCard) -> None:
    talk(
        card,
        f"""
        > 00 A4 04 0C 0A {JPKI}
        < 90 00
        > 00 A4 02 0C 02 00 1E
        < 6A 82
        > 00 A4 02 0C 02 00 11
        < 6A 82
        > 00 A4 02 0C 02 00 17
        < 6A 82
        """,
    )


def test_select_application_clears_the_current_ef(card: VirtualCard) -> None:
    talk(
        card,
        f"""
        > 00 A4 04 0C 0A {JPKI}
        < 90 00
        > 00 A4 02 0C 02 00 0B
        < 90 00
        > 00 B0 00 00 02
        < 30 82 90 00
        > 00 A4 04 0C 0A {JPKI}
        < 90 00
        > 00 B0 00 00 02
        < 69 86
        """,
    )


# -- READ BINARY --------------------------------------------------------------


def test_read_binary_by_offset_short_and_extended(card: VirtualCard) -> None:
    head, full, tail, whole = talk(
        card,
        f"""
        > 00 A4 04 0C 0A {JPKI}
        < 90 00
        > 00 A4 02 0C 02 00 0A
        < 90 00
        > 00 B0 00 00 04
        < * 90 00
        > 00 B0 00 00 00
        < * 90 00
        > 00 B0 07 F0 00
        < * 90 00
        > 00 B0 00 00 00 00 00
        < * 90 00
        """,
    )[2:]
    assert head[:2] == h("30 82")
    assert len(full) == 256 and full[:4] == head
    assert tail == bytes(16)  # Le 256 at 07F0: the 16 bytes that remain, 9000
    assert len(whole) == 2048 and whole[:256] == full
    der_len = int.from_bytes(head[2:4], "big") + 4
    assert whole[der_len:] == bytes(2048 - der_len)  # filler after the DER object


def test_read_binary_extended_le_of_a_given_length(card: VirtualCard) -> None:
    (data,) = talk(
        card,
        f"""
        > 00 A4 04 0C 0A {JPKI}
        < 90 00
        > 00 A4 02 0C 02 00 0A
        < 90 00
        > 00 B0 00 10 00 03 00
        < * 90 00
        """,
    )[2:]
    assert len(data) == 0x300


def test_read_binary_at_or_past_the_end_6b00(card: VirtualCard) -> None:
    talk(
        card,
        f"""
        > 00 A4 04 0C 0A {JPKI}
        < 90 00
        > 00 A4 02 0C 02 00 08
        < 90 00
        > 00 B0 00 02 01
        < 00 90 00
        > 00 B0 00 03 01
        < 6B 00
        > 00 B0 7F FF 01
        < 6B 00
        """,
    )


def test_read_binary_by_sfi_without_select_ef(card: VirtualCard) -> None:
    talk(
        card,
        f"""
        > 00 A4 04 0C 0A {JPKI}
        < 90 00
        > 00 B0 88 00 03
        < 8F 8F 00 90 00
        > 00 B0 88 01 02
        < 8F 00 90 00
        > 00 B0 8B 00 02
        < 30 82 90 00
        > 00 B0 00 00 01
        < 30 90 00
        """,
    )


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        ("00 B0 9E 00 01", "6A 82"),  # no EF 001E in JPKI
        ("00 B0 A8 00 01", "6A 86"),  # P1 bits 7-6 not 00
        ("00 B0 80 00 01", "6A 86"),  # SFI 0
        ("00 B0 9F 00 01", "6A 86"),  # SFI 1F
        ("00 B0 88 00", "67 00"),  # no Le
        ("00 B0 98 00 01", "69 81"),  # a key EF by SFI
    ],
)
def test_read_binary_sfi_errors(card: VirtualCard, command: str, answer: str) -> None:
    talk(card, f"> 00 A4 04 0C 0A {JPKI}\n< 90 00\n> {command}\n< {answer}")


def test_read_binary_without_current_ef_and_on_a_key(card: VirtualCard) -> None:
    talk(
        card,
        f"""
        > 00 B0 00 00 01
        < 69 86
        > 00 A4 04 0C 0A {JPKI}
        < 90 00
        > 00 B0 00 00 01
        < 69 86
        > 00 A4 02 0C 02 00 18
        < 90 00
        > 00 B0 00 00 01
        < 69 81
        """,
    )


def test_token_info_label_then_filler(card: VirtualCard) -> None:
    (label, filler) = talk(
        card,
        f"""
        > 00 A4 04 0C 0A {JPKI}
        < 90 00
        > 00 B0 86 00 20
        < * 90 00
        > 00 B0 00 20 00
        < * 90 00
        > 00 B0 00 40 01
        < 6B 00
        """,
    )[1:3]
    assert label == b"JPKIAPICCTOKEN2".ljust(32, b" ")
    assert filler == bytes(32)


# -- READ RECORD --------------------------------------------------------------


def test_common_card_record(card: VirtualCard) -> None:
    (record,) = talk(
        card,
        f"""
        > 00 A4 04 0C 0A {COMMON}
        < 90 00
        > 00 B2 01 0C 00
        < * 90 00
        """,
    )[1:]
    assert record == b"\x01\x1c" + b"123456789012345" + b"13101" + b"20340410"


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        ("00 B2 02 0C 00", "6A 83"),  # no record 2
        ("00 B2 00 0C 00", "6A 83"),
        ("00 B2 01 0C 10", "6C 1E"),  # Le shorter than the 30-byte record
        ("00 B2 01 0D 00", "6A 86"),  # P2 low bits not 100
        ("00 B2 01 14 00", "6A 82"),  # SFI 2: no such EF
        ("00 B2 01 E4 00", "69 81"),  # SFI 1C: the ③ key
        ("00 B2 01 04 00", "69 86"),  # current EF, none selected
        ("00 B0 81 00 01", "69 81"),  # READ BINARY on the record EF
    ],
)
def test_read_record_errors(card: VirtualCard, command: str, answer: str) -> None:
    talk(card, f"> 00 A4 04 0C 0A {COMMON}\n< 90 00\n> {command}\n< {answer}")


def test_read_record_of_current_ef_and_on_a_transparent_ef(card: VirtualCard) -> None:
    talk(
        card,
        f"""
        > 00 A4 04 0C 0A {COMMON}
        < 90 00
        > 00 A4 02 0C 02 00 01
        < 90 00
        > 00 B2 01 04 1E
        < * 90 00
        > 00 A4 04 0C 0A {JPKI}
        < 90 00
        > 00 B2 01 5C 00
        < 69 81
        """,
    )


# -- classes, instructions, lengths ---------------------------------------------


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        (f"01 A4 04 0C 0A {JPKI}", "68 81"),
        (f"03 A4 04 0C 0A {JPKI}", "68 81"),
        (f"40 A4 04 0C 0A {JPKI}", "68 81"),
        ("81 32 00 80 04 31 32 33 34", "68 81"),
        (f"0C A4 04 0C 0A {JPKI}", "6E 00"),
        (f"10 A4 04 0C 0A {JPKI}", "6E 00"),
        (f"80 A4 04 0C 0A {JPKI}", "6E 00"),
        ("FF CA 00 00 00", "6E 00"),
        ("00 32 00 80 04 31 32 33 34", "6D 00"),
        ("00 CA 01 01 00", "6D 00"),
        ("00 88 00 00 04 01 02 03 04 00", "6D 00"),
        ("00 A4 04 0C 05 D3", "67 00"),  # Lc larger than the data
        ("00 A4 04", "67 00"),
        ("", "67 00"),
    ],
)
def test_classes_instructions_lengths(card: VirtualCard, command: str, answer: str) -> None:
    assert card.process(h(command)) == h(answer)


# -- what a card holds, by token ------------------------------------------------


@pytest.mark.parametrize(
    ("token", "label"),
    [
        ("card", "JPKIAPICCTOKEN2"),
        ("android", "JPKIAPGPSETOKEN"),
        ("iphone", "JPKIAPIOSTOKEN"),
        ("juki-card", "JPKIAPICCTOKEN"),
    ],
)
def test_token_label_per_token(token: str, label: str) -> None:
    card = VirtualCard(parse_state({"token": token}))
    (data,) = talk(card, f"> 00 A4 04 0C 0A {JPKI}\n< 90 00\n> 00 B0 86 00 20\n< * 90 00")[1:]
    assert data == label.encode().ljust(32, b" ")


def test_old_juki_card_has_only_the_jpki_application() -> None:
    card = VirtualCard(parse_state({"token": "juki-card"}))
    talk(
        card,
        f"""
        > 00 A4 04 0C 0A {CARDINFO}
        < 6A 82
        > 00 A4 04 0C 0A {COMMON}
        < 6A 82
        > 00 A4 04 0C 0A {JPKI}
        < 90 00
        """,
    )


def test_card_without_the_jpki_application() -> None:
    state = parse_state({"applications": ["cardinfo", "surface", "juki", "common"]})
    talk(
        VirtualCard(state),
        f"""
        > 00 A4 04 0C 0A {JPKI}
        < 6A 82
        > 00 A4 04 0C 05 D3 92 F0 00 26
        < 6A 82
        > 00 A4 04 0C 0A {CARDINFO}
        < 90 00
        """,
    )


def test_no_sign_certificate() -> None:
    card = VirtualCard(parse_state({"sign_certificate": False}))
    talk(
        card,
        f"""
        > 00 A4 04 0C 0A {JPKI}
        < 90 00
        > 00 B0 88 00 03
        < 00 8F 00 90 00
        > 00 A4 02 0C 02 00 01
        < 6A 82
        > 00 A4 02 0C 02 00 02
        < 6A 82
        > 00 B0 81 00 04
        < 6A 82
        > 00 20 00 9B
        < 6A 88
        > 00 20 00 9B 06 41 42 43 31 32 33
        < 6A 88
        > 00 20 00 98
        < 63 C3
        """,
    )


def test_sign_certificate_needs_the_sign_password(card: VirtualCard) -> None:
    talk(
        card,
        f"""
        > 00 A4 04 0C 0A {JPKI}
        < 90 00
        > 00 B0 81 00 04
        < 69 82
        > 00 A4 02 0C 02 00 02
        < 90 00
        > 00 B0 00 00 02
        < 30 82 90 00
        > 00 20 00 9B 06 41 42 43 31 32 33
        < 90 00
        > 00 B0 81 00 02
        < 30 82 90 00
        """,
    )
    card.power_off()
    card.power_on()
    talk(card, f"> 00 A4 04 0C 0A {JPKI}\n< 90 00\n> 00 B0 81 00 02\n< 69 82")


def test_smartphone_token_auth_certificate_needs_the_auth_pin() -> None:
    card = VirtualCard(parse_state({"token": "android"}))
    talk(
        card,
        f"""
        > 00 A4 04 0C 0A {JPKI}
        < 90 00
        > 00 B0 8A 00 02
        < 69 82
        > 00 20 00 98 04 31 32 33 34
        < 90 00
        > 00 B0 8A 00 02
        < 30 82 90 00
        """,
    )


def _tlvs(data: bytes) -> dict[bytes, bytes]:
    """Two-byte tags, one-byte lengths (enough for the default holder)."""
    out, i = {}, 0
    while i < len(data):
        tag, n = data[i : i + 2], data[i + 2]
        out[tag] = data[i + 3 : i + 3 + n]
        i += 3 + n
    return out


def test_cardinfo_files_need_a_key(card: VirtualCard) -> None:
    talk(
        card,
        f"""
        > 00 A4 04 0C 0A {CARDINFO}
        < 90 00
        > 00 B0 81 00 00
        < 69 82
        > 00 B0 82 00 00
        < 69 82
        > 00 20 00 94 0C 31 32 33 34 35 36 37 38 39 30 31 31
        < 90 00
        > 00 B0 81 00 00
        < FF 10 0C 31 32 33 34 35 36 37 38 39 30 31 31 90 00
        > 00 B0 82 00 00
        < 69 82
        > 00 20 00 95 0E 36 30 30 34 31 30 32 30 33 34 35 36 37 38
        < 90 00
        > 00 B0 82 00 00
        < * 90 00
        """,
    )
    attrs = talk(card, "> 00 B0 82 00 00\n< * 90 00")[0]
    assert attrs[:2] == h("FF 20") and attrs[2] == len(attrs) - 3
    fields = _tlvs(attrs[3:])
    assert fields[h("DF 22")].decode() == "架空 花子"
    assert fields[h("DF 23")].decode() == "東京都千代田区架空町一丁目２番３号"
    assert fields[h("DF 24")] == b"19850410"
    assert fields[h("DF 25")] == b"2"
    offsets = fields[h("DF 21")]
    starts = [int.from_bytes(offsets[i : i + 2], "big") for i in range(0, 8, 2)]
    assert [attrs[s : s + 2] for s in starts] == [h("DF 22"), h("DF 23"), h("DF 24"), h("DF 25")]


def test_cardinfo_pin_opens_both_files(card: VirtualCard) -> None:
    talk(
        card,
        f"""
        > 00 A4 04 0C 0A {CARDINFO}
        < 90 00
        > 00 A4 02 0C 02 00 11
        < 90 00
        > 00 20 00 80 04 31 32 33 34
        < 90 00
        > 00 B0 81 00 03
        < FF 10 0C 90 00
        > 00 B0 82 00 02
        < FF 20 90 00
        """,
    )


def test_tlv_lengths_take_one_to_three_bytes() -> None:
    assert files.tlv(h("DF 22"), b"a" * 0x7F)[:3] == h("DF 22 7F")
    assert files.tlv(h("DF 22"), b"a" * 0x80)[:4] == h("DF 22 81 80")
    assert files.tlv(h("DF 22"), b"a" * 0x100)[:5] == h("DF 22 82 01 00")


@pytest.mark.parametrize(("address_len", "header"), [(1, 3), (40, 4), (90, 5)])
def test_attribute_offsets_point_at_their_tlvs(address_len: int, header: int) -> None:
    state = parse_state({"holder": {"address": "あ" * address_len}})
    attrs = files.ef_image(profile.CARDINFO_ATTRS, state)
    assert attrs[:2] == h("FF 20") and attrs[header : header + 3] == h("DF 21 08")
    assert int.from_bytes(attrs[3:header] or attrs[2:3], "big") == len(attrs) - header
    offsets = attrs[header + 3 : header + 11]
    starts = [int.from_bytes(offsets[i : i + 2], "big") for i in range(0, 8, 2)]
    assert [attrs[s : s + 2] for s in starts] == [h("DF 22"), h("DF 23"), h("DF 24"), h("DF 25")]
    assert attrs[starts[2] :] == h("DF 24 08") + b"19850410" + h("DF 25 01") + b"2"
