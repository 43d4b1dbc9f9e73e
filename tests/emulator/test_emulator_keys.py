"""The virtual card's keys: queries, VERIFY, PIN changes, quirks, face-auth, sessions.

Each test is a card conversation: ``>`` a command, ``<`` the expected answer (``*``
stands for any non-empty data before the status word).
"""

from __future__ import annotations

from typing import Any

import pytest

from apdu import ApduChannel, CommandAPDU
from jpki.card import MyNumberCard
from jpki.emulator import CardState, EmulatorTransport, VirtualCard
from jpki.emulator.statefile import parse as parse_state
from jpki.info import read_info
from jpki.keystatus import KeyState
from jpki.retries import read_retries

from .conversation import CARDINFO, COMMON, JPKI, JUKI, SURFACE, h, talk

PIN_1234 = "04 31 32 33 34"
PIN_9999 = "04 39 39 39 39"
SIGN_ABC123 = "06 41 42 43 31 32 33"


def make(**doc: Any) -> VirtualCard:
    card = VirtualCard(parse_state(doc))
    card.power_on()
    return card


@pytest.fixture
def card() -> VirtualCard:
    return make()


# -- the real trace -----------------------------------------------------------


def test_opensc_pr959_trace(card: VirtualCard) -> None:
    """docs/card.md §5: after a correct VERIFY the query still answers 63C3."""
    talk(
        card,
        f"""
        > 00 A4 04 0C 0A {JPKI}
        < 90 00
        > 00 A4 02 0C 02 00 18
        < 90 00
        > 00 20 00 80 04 31 32 33 34
        < 90 00
        > 00 20 00 80
        < 63 C3
        """,
    )


# -- queries --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("aid", "p2", "answer"),
    [
        (JPKI, "9B", "63 C5"),  # ① sign
        (JPKI, "98", "63 C3"),  # ② auth
        (JUKI, "9C", "63 C3"),  # ③ 住基AP
        (COMMON, "9C", "63 C3"),  # ③ 共通カードAP
        (CARDINFO, "91", "63 C3"),  # ④
        (CARDINFO, "94", "63 CA"),  # 照合番号A: max unknown, emulator uses 10
        (CARDINFO, "95", "63 CA"),  # 照合番号B: 10 per myna-card
        (CARDINFO, "92", "63 C0"),  # 0012: blocked on every card examined
        (SURFACE, "93", "63 CA"),
        (SURFACE, "92", "63 CA"),
        (SURFACE, "91", "63 CA"),
    ],
)
def test_query_of_every_key_on_a_fresh_card(
    card: VirtualCard, aid: str, p2: str, answer: str
) -> None:
    talk(card, f"> 00 A4 04 0C 0A {aid}\n< 90 00\n> 00 20 00 {p2}\n< {answer}")


def test_query_by_select_ef_and_by_sfi_agree(card: VirtualCard) -> None:
    talk(
        card,
        f"""
        > 00 A4 04 0C 0A {JPKI}
        < 90 00
        > 00 A4 02 0C 02 00 1B
        < 90 00
        > 00 20 00 80
        < 63 C5
        > 00 20 00 9B
        < 63 C5
        """,
    )


@pytest.mark.parametrize(
    ("setup", "command", "answer"),
    [
        ("", "00 20 00 80", "69 86"),  # no application, no EF
        (f"00 A4 04 0C 0A {JPKI}", "00 20 00 80", "69 86"),  # no current EF
        (f"00 A4 04 0C 0A {JPKI}", "00 20 00 91", "6A 88"),  # no key 0011 in JPKI
        (f"00 A4 04 0C 0A {JPKI}", "00 20 00 8A", "6A 88"),  # 000A is a data EF
        ("", "00 20 00 98", "6A 88"),  # no application
        (f"00 A4 04 0C 0A {JPKI}", "00 20 00 00", "6A 86"),
        (f"00 A4 04 0C 0A {JPKI}", "00 20 00 9F", "6A 86"),
        (f"00 A4 04 0C 0A {JPKI}", "00 20 01 98", "6A 86"),
    ],
)
def test_verify_without_a_key(card: VirtualCard, setup: str, command: str, answer: str) -> None:
    if setup:
        talk(card, f"> {setup}\n< 90 00")
    talk(card, f"> {command}\n< {answer}")


def test_verify_on_a_data_ef_6981(card: VirtualCard) -> None:
    talk(
        card,
        f"""
        > 00 A4 04 0C 0A {JPKI}
        < 90 00
        > 00 A4 02 0C 02 00 0A
        < 90 00
        > 00 20 00 80
        < 69 81
        > 00 20 00 80 {PIN_1234}
        < 69 81
        """,
    )


# -- wrong, right, blocked --------------------------------------------------------


def test_wrong_pins_count_down_then_block(card: VirtualCard) -> None:
    talk(
        card,
        f"""
        > 00 A4 04 0C 0A {JPKI}
        < 90 00
        > 00 A4 02 0C 02 00 18
        < 90 00
        > 00 20 00 80 {PIN_9999}
        < 63 C2
        > 00 20 00 80
        < 63 C2
        > 00 20 00 80 {PIN_9999}
        < 63 C1
        > 00 20 00 80 {PIN_9999}
        < 63 C0
        > 00 20 00 80
        < 63 C0
        > 00 20 00 80 {PIN_9999}
        < 69 84
        > 00 20 00 80 {PIN_1234}
        < 69 84
        > 00 20 00 80
        < 63 C0
        """,
    )
    assert card.state.pins["auth"].remaining == 0


def test_right_pin_resets_the_counter(card: VirtualCard) -> None:
    talk(
        card,
        f"""
        > 00 A4 04 0C 0A {JPKI}
        < 90 00
        > 00 20 00 9B 06 41 42 43 31 32 34
        < 63 C4
        > 00 20 00 9B 06 61 62 63 31 32 33
        < 63 C3
        > 00 20 00 9B {SIGN_ABC123}
        < 90 00
        > 00 20 00 9B
        < 63 C5
        """,
    )
    assert card.state.pins["sign"].remaining == 5


def test_a_wrong_length_counts_as_a_wrong_attempt(card: VirtualCard) -> None:
    talk(card, f"> 00 A4 04 0C 0A {JPKI}\n< 90 00\n> 00 20 00 98 02 31 32\n< 63 C2")


def test_the_blocked_key_0012_answers_6984_to_attempts(card: VirtualCard) -> None:
    talk(
        card,
        f"""
        > 00 A4 04 0C 0A {CARDINFO}
        < 90 00
        > 00 20 00 92
        < 63 C0
        > 00 20 00 92 04 30 30 30 30
        < 69 84
        """,
    )


def test_counters_persist_in_the_state_across_power_cycles() -> None:
    state = CardState()
    card = VirtualCard(state)
    card.power_on()
    talk(card, f"> 00 A4 04 0C 0A {JPKI}\n< 90 00\n> 00 20 00 98 {PIN_9999}\n< 63 C2")
    card.power_on()
    again = VirtualCard(state)
    again.power_on()
    talk(again, f"> 00 A4 04 0C 0A {JPKI}\n< 90 00\n> 00 20 00 98\n< 63 C2")


# -- changing PINs ----------------------------------------------------------------


def test_change_reference_data_needs_verify(card: VirtualCard) -> None:
    talk(
        card,
        f"""
        > 00 A4 04 0C 0A {JPKI}
        < 90 00
        > 00 A4 02 0C 02 00 18
        < 90 00
        > 00 24 01 80 {PIN_9999}
        < 69 82
        > 00 20 00 80 {PIN_1234}
        < 90 00
        > 00 24 01 80 03 31 32 33
        < 6A 80
        > 00 24 01 80 04 31 32 33 41
        < 6A 80
        > 00 24 01 80 {PIN_9999}
        < 90 00
        > 00 20 00 80 {PIN_1234}
        < 63 C2
        > 00 20 00 80 {PIN_9999}
        < 90 00
        """,
    )
    assert card.state.pins["auth"].value == "9999"


def test_change_sign_password_checks_its_format(card: VirtualCard) -> None:
    new = b"XYZ789".hex()
    talk(
        card,
        f"""
        > 00 A4 04 0C 0A {JPKI}
        < 90 00
        > 00 A4 02 0C 02 00 1B
        < 90 00
        > 00 20 00 80 {SIGN_ABC123}
        < 90 00
        > 00 24 01 80 06 {b"xyz789".hex()}
        < 6A 80
        > 00 24 01 80 06 {b"ABCDEF".hex()}
        < 6A 80
        > 00 24 01 80 05 {b"AB123".hex()}
        < 6A 80
        > 00 24 01 80 06 {new}
        < 90 00
        """,
    )
    assert card.state.pins["sign"].value == "XYZ789"


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        (f"00 24 00 80 {PIN_9999}", "6A 86"),  # P1 00: old and new, not supported
        ("00 24 01 80", "67 00"),  # no new value
        (f"80 32 00 80 {PIN_9999}", "69 85"),  # JICSAP CHANGE KEY on ②
    ],
)
def test_change_errors_on_the_auth_key(card: VirtualCard, command: str, answer: str) -> None:
    talk(
        card,
        f"""
        > 00 A4 04 0C 0A {JPKI}
        < 90 00
        > 00 A4 02 0C 02 00 18
        < 90 00
        > 00 20 00 80 {PIN_1234}
        < 90 00
        > {command}
        < {answer}
        """,
    )


def test_change_on_a_blocked_key_6984() -> None:
    card = make(pins={"auth": {"remaining": 0}})
    talk(card, f"> 00 A4 04 0C 0A {JPKI}\n< 90 00\n> 00 24 01 98 {PIN_9999}\n< 69 84")


@pytest.mark.parametrize("aid", [JUKI, COMMON])
def test_jicsap_change_key_for_the_two_juki_keys(card: VirtualCard, aid: str) -> None:
    talk(
        card,
        f"""
        > 00 A4 04 0C 0A {aid}
        < 90 00
        > 00 A4 02 0C 02 00 1C
        < 90 00
        > 80 32 00 80 {PIN_9999}
        < 69 82
        > 00 20 00 80 {PIN_1234}
        < 90 00
        > 00 24 01 80 {PIN_9999}
        < 69 85
        > 80 32 01 80 {PIN_9999}
        < 6A 86
        > 80 32 00 80 03 39 39 39
        < 6A 80
        > 80 32 00 80 {PIN_9999}
        < 90 00
        """,
    )
    changed = "juki" if aid == JUKI else "juki-common"
    other = "juki-common" if aid == JUKI else "juki"
    assert card.state.pins[changed].value == "9999"
    assert card.state.pins[other].value == "1234"  # separate keys, changed separately


def test_keys_without_a_change_command_6985(card: VirtualCard) -> None:
    a = "0C " + b"123456789011".hex()
    talk(
        card,
        f"""
        > 00 A4 04 0C 0A {CARDINFO}
        < 90 00
        > 00 20 00 94 {a}
        < 90 00
        > 00 24 01 94 {a}
        < 69 85
        """,
    )


ISD = "07 A0 00 00 01 51 00 00"
#: ① verified: the first byte of the sign certificate (30); not: 6982.
READ_SIGN = "> 00 B0 81 00 01\n< {}"
VERIFY_SIGN = f"> 00 20 00 9B {SIGN_ABC123}\n< 90 00"


def sign_readable(card: VirtualCard) -> bool:
    """Whether the sign certificate can be read after selecting JPKI (① verified)."""
    channel = ApduChannel(EmulatorTransport(card))
    assert channel.send(CommandAPDU(0, 0xA4, 4, 0x0C, h(JPKI))).ok
    return channel.send(CommandAPDU(0, 0xB0, 0x81, 0, le=1)).ok


def test_the_security_state_survives_what_the_reports_say_it_survives(card: VirtualCard) -> None:
    """A warm reset, a second program connecting and a re-SELECT of the same application
    keep ① verified (myna-card, measured on a card; myna-sign); only removing power
    and selecting another application (the ISD included) clear it."""
    talk(card, f"> 00 A4 04 0C 0A {JPKI}\n< 90 00\n{VERIFY_SIGN}\n> 00 A4 04 0C 0A {JPKI}\n< 90 00")
    talk(card, READ_SIGN.format("30 90 00"))
    card.warm_reset()
    assert card.selected_app is None and sign_readable(card)
    assert sign_readable(card)  # a second program connecting does not touch the power
    talk(card, f"> 00 A4 04 0C 0A {CARDINFO}\n< 90 00")
    assert not sign_readable(card)  # another application was selected
    talk(card, f"{VERIFY_SIGN}\n> 00 A4 04 0C {ISD}\n< 90 00\n> 00 A4 02 0C 02 00 01\n< 6A 82")
    assert not sign_readable(card)  # the ISD answers 9000, holds no file, and clears it
    talk(card, VERIFY_SIGN)
    card.power_off()
    card.power_on()
    assert not sign_readable(card) and card.verified == frozenset()


def test_a_sticky_card_keeps_the_verified_state_whatever_happens() -> None:
    card = make(quirks={"sticky_verified": True})
    talk(card, f"> 00 A4 04 0C 0A {JPKI}\n< 90 00\n{VERIFY_SIGN}\n> 00 A4 04 0C {ISD}\n< 90 00")
    card.power_off()
    card.power_on()
    assert sign_readable(card) and card.verified == {"sign"}


def test_quirk_power_up_6f00_answers_the_first_command_after_a_power_cycle() -> None:
    card = make(quirks={"power_up_6f00": True})  # the first power-up does not arm it
    talk(card, f"> 00 A4 04 0C 0A {JPKI}\n< 90 00")
    card.power_off()
    card.power_on()
    talk(card, f"> 00 A4 00 00\n< 6F 00\n> 00 A4 04 0C 0A {JPKI}\n< 90 00")
    plain = make()
    talk(plain, f"> 00 A4 04 0C 0A {JPKI}\n< 90 00")
    plain.power_off()
    plain.power_on()
    talk(plain, f"> 00 A4 04 0C 0A {JPKI}\n< 90 00")


# -- quirks -----------------------------------------------------------------------


def test_quirk_verified_query_9000() -> None:
    card = make(quirks={"verified_query_9000": True})
    talk(
        card,
        f"""
        > 00 A4 04 0C 0A {JPKI}
        < 90 00
        > 00 20 00 98
        < 63 C3
        > 00 20 00 98 {PIN_1234}
        < 90 00
        > 00 20 00 98
        < 90 00
        > 00 20 00 9B
        < 63 C5
        """,
    )


def test_quirk_short_query_9000() -> None:
    """The short query form answers 9000 on every key; the long form counts."""
    card = make(quirks={"short_query_9000": True}, pins={"sign": {"remaining": 2}})
    talk(
        card,
        f"""
        > 00 A4 04 0C 0A {JPKI}
        < 90 00
        > 00 20 00 9B
        < 90 00
        > 00 20 00 98
        < 90 00
        > 00 A4 02 0C 02 00 1B
        < 90 00
        > 00 20 00 80
        < 63 C2
        > 00 A4 02 0C 02 00 18
        < 90 00
        > 00 20 00 80
        < 63 C3
        """,
    )


def test_quirk_blocked_query_6984() -> None:
    card = make(quirks={"blocked_query_6984": True}, pins={"sign": {"remaining": 0}})
    talk(
        card,
        f"""
        > 00 A4 04 0C 0A {JPKI}
        < 90 00
        > 00 20 00 9B
        < 69 84
        > 00 20 00 98
        < 63 C3
        """,
    )


def test_quirk_no_extended() -> None:
    card = make(quirks={"no_extended": True})
    talk(
        card,
        f"""
        > 00 A4 04 0C 0A {JPKI}
        < 90 00
        > 00 B0 8A 00 00 00 00
        < 67 00
        > 00 B0 8A 00 00
        < * 90 00
        """,
    )


def test_quirk_no_sfi() -> None:
    card = make(quirks={"no_sfi": True})
    talk(
        card,
        f"""
        > 00 A4 04 0C 0A {JPKI}
        < 90 00
        > 00 B0 86 00 20
        < 6A 86
        > 00 20 00 98
        < 6A 86
        > 00 24 01 98 {PIN_9999}
        < 6A 86
        > 00 A4 02 0C 02 00 18
        < 90 00
        > 00 20 00 80
        < 63 C3
        > 00 A4 04 0C 0A {COMMON}
        < 90 00
        > 00 B2 01 0C 00
        < * 90 00
        """,
    )


def test_quirk_get_response() -> None:
    card = make(quirks={"get_response": True})
    first, rest = talk(
        card,
        f"""
        > 00 A4 04 0C 0A {JPKI}
        < 90 00
        > 00 B0 86 00 20
        < 61 20
        > 00 C0 00 00 10
        < * 61 10
        > 00 C0 00 00 10
        < * 90 00
        > 00 C0 00 00 10
        < 69 85
        > 00 20 00 98
        < 63 C3
        """,
    )[2:4]
    assert first + rest == b"JPKIAPICCTOKEN2".ljust(32, b" ")


def test_quirk_get_response_big_answer_and_interruption() -> None:
    card = make(quirks={"get_response": True})
    talk(
        card,
        f"""
        > 00 A4 04 0C 0A {JPKI}
        < 90 00
        > 00 B0 8A 00 00 03 00
        < 61 00
        > 00 C0 00 00 00
        < * 61 00
        > 00 C0 00 00 00
        < * 61 00
        > 00 C0 00 00 00
        < * 90 00
        > 00 B0 8A 00 04
        < 61 04
        > 00 B0 00 00 04
        < 61 04
        > 00 C0 01 00 04
        < 6A 86
        > 00 C0 00 00
        < 67 00
        > 00 C0 00 00 02
        < 30 82 61 02
        > 00 C0 00 00 02
        < * 90 00
        """,
    )


def test_quirk_get_response_through_the_apdu_channel() -> None:
    card = make(quirks={"get_response": True})
    channel = ApduChannel(EmulatorTransport(card))
    assert channel.send(CommandAPDU(0x00, 0xA4, 0x04, 0x0C, h(JPKI))).ok
    resp = channel.send(CommandAPDU(0x00, 0xB0, 0x8A, 0x00, le=65536))
    assert resp.ok and len(resp.data) == 2048


def test_quirk_answer_override() -> None:
    card = make(quirks={"answer_override": {"auth": "6A88", "juki": "6300"}})
    talk(
        card,
        f"""
        > 00 A4 04 0C 0A {JPKI}
        < 90 00
        > 00 20 00 98
        < 6A 88
        > 00 20 00 9B
        < 63 C5
        > 00 20 00 98 {PIN_1234}
        < 90 00
        > 00 A4 04 0C 0A {JUKI}
        < 90 00
        > 00 20 00 9C
        < 63 00
        """,
    )


def test_face_auth_card() -> None:
    card = make(face_auth=True)
    talk(
        card,
        f"""
        > 00 A4 04 0C 0A {JPKI}
        < 90 00
        > 00 20 00 98
        < 6A 88
        > 00 A4 02 0C 02 00 18
        < 90 00
        > 00 20 00 80
        < 6A 88
        > 00 20 00 80 {PIN_1234}
        < 6A 88
        > 00 24 01 80 {PIN_9999}
        < 6A 88
        > 00 20 00 9B
        < 63 C5
        > 00 B0 8A 00 02
        < 30 82 90 00
        > 00 A4 04 0C 0A {CARDINFO}
        < 90 00
        > 00 20 00 91
        < 63 C3
        """,
    )
    assert card.state.pins["auth"].remaining == 3


# -- through the library ------------------------------------------------------------


def _retries(state: CardState) -> dict[str, tuple[int | None, KeyState]]:
    report = read_retries(MyNumberCard(EmulatorTransport(VirtualCard(state))))
    return {p.id: (p.remaining, p.state) for p in report.pins}


def test_read_retries_over_the_emulator() -> None:
    got = _retries(parse_state({"pins": {"sign": {"remaining": 2}, "auth": {"remaining": 1}}}))
    assert got["sign"] == (2, KeyState.USABLE)
    assert got["auth"] == (1, KeyState.LAST_TRY)
    assert got["juki"] == (3, KeyState.USABLE)
    assert got["cardinfo-b"] == (10, KeyState.USABLE)


def test_read_retries_same_with_and_without_sfi() -> None:
    plain = _retries(parse_state({"pins": {"juki-common": {"remaining": 1}}}))
    no_sfi = _retries(
        parse_state({"pins": {"juki-common": {"remaining": 1}}, "quirks": {"no_sfi": True}})
    )
    assert plain == no_sfi and plain["juki"] == (1, KeyState.LAST_TRY)


def test_read_info_over_the_emulator() -> None:
    info = read_info(MyNumberCard(EmulatorTransport(VirtualCard(CardState()))))
    assert info.token.value == "card" and info.sign_certificate is True
    assert all(a.present for a in info.applications)
    assert info.record is not None and info.record.serial == "123456789012345"
    assert info.card_expiry is not None and info.card_expiry.isoformat() == "2034-04-10"
