"""The retries algorithm against a scripted card: exact APDUs, fallbacks, unknowns."""

from __future__ import annotations

import pytest

from apdu import FunctionTransport
from jpki import profile
from jpki.card import MyNumberCard
from jpki.errors import NotMyNumberCardError
from jpki.keystatus import KeyState
from jpki.profile import Token
from jpki.retries import read_retries

TOKEN = b"JPKIAPICCTOKEN2".ljust(32, b" ")


class ScriptedCard:
    """A card answering from a small model; records every APDU in hex."""

    def __init__(
        self,
        counts: dict[tuple[str, int], int | str],
        *,
        sfi: bool = True,
        apps: tuple[str, ...] = tuple(a.id for a in profile.APPLICATIONS),
    ) -> None:
        self.counts = counts
        self.sfi = sfi
        self.apps = apps
        self.app: str | None = None
        self.ef: int | None = None
        self.sent: list[str] = []

    def answer_key(self, fid: int) -> bytes:
        value = self.counts.get((self.app or "", fid))
        if value is None:
            return bytes.fromhex("6A82")
        if isinstance(value, str):
            return bytes.fromhex(value)
        return bytes([0x63, 0xC0 | value])

    def __call__(self, apdu: bytes) -> bytes:
        self.sent.append(apdu.hex().upper())
        ins, p1, p2 = apdu[1], apdu[2], apdu[3]
        assert not (ins == 0x20 and len(apdu) > 4), "VERIFY with data sent"
        if ins == 0xA4 and p1 == 0x04:
            for app in profile.APPLICATIONS:
                if apdu[5:] == app.aid and app.id in self.apps:
                    self.app, self.ef = app.id, None
                    return b"\x90\x00"
            return bytes.fromhex("6A82")
        if ins == 0xA4 and p1 == 0x02:
            self.ef = int.from_bytes(apdu[5:7], "big")
            return b"\x90\x00"
        if ins == 0x20:
            if p2 == 0x80:
                return self.answer_key(self.ef or 0)
            if not self.sfi:
                return bytes.fromhex("6A86")
            return self.answer_key(p2 & 0x1F)
        if ins == 0xB0:
            if p1 & 0x80 and not self.sfi:
                return bytes.fromhex("6A86")
            fid = p1 & 0x1F if p1 & 0x80 else self.ef
            if fid == 0x06 and self.app == "jpki":
                return TOKEN + b"\x90\x00"
            return bytes.fromhex("6A82")
        return bytes.fromhex("6D00")


FULL = {
    ("jpki", 0x1B): 5,
    ("jpki", 0x18): 3,
    ("cardinfo", 0x11): 3,
    ("cardinfo", 0x14): 10,
    ("cardinfo", 0x15): 10,
    ("surface", 0x13): 10,
    ("surface", 0x12): 10,
    ("juki", 0x1C): 3,
    ("common", 0x1C): 3,
}


def test_full_set_takes_fifteen_apdus_in_this_order() -> None:
    card = ScriptedCard(dict(FULL))
    report = read_retries(MyNumberCard(FunctionTransport(card)))
    aid = {a.id: a.aid.hex().upper() for a in profile.APPLICATIONS}
    assert card.sent == [
        "00A4040C0A" + aid["jpki"],
        "00B0860020",
        "0020009B",
        "00200098",
        "00A4040C0A" + aid["cardinfo"],
        "00200091",
        "00200094",
        "00200095",
        "00A4040C0A" + aid["surface"],
        "00200093",
        "00200092",
        "00A4040C0A" + aid["juki"],
        "0020009C",
        "00A4040C0A" + aid["common"],
        "0020009C",
    ]
    assert report.apdus == 15
    assert report.token is Token.CARD
    assert [p.remaining for p in report.pins] == [5, 3, 3, 3, 10, 10, 10, 10]
    assert all(p.state is KeyState.USABLE for p in report.pins)


def test_card_without_short_ef_form_falls_back_and_stays_there() -> None:
    card = ScriptedCard(dict(FULL), sfi=False)
    report = read_retries(MyNumberCard(FunctionTransport(card)))
    assert [p.remaining for p in report.pins] == [5, 3, 3, 3, 10, 10, 10, 10]
    # The token read pays for the rejected short form (read by SFI refused, the file
    # there by SELECT EF); every key then goes straight to SELECT EF.
    direct = [a for a in card.sent if a.startswith("002000") and a != "00200080"]
    assert direct == []
    assert card.sent.count("00200080") == 9
    # token: rejected SFI read + SELECT EF + READ BINARY
    assert report.apdus == 5 + 3 + 9 * 2


def test_counts_last_try_and_locked() -> None:
    counts = dict(FULL)
    counts[("jpki", 0x1B)] = 2
    counts[("jpki", 0x18)] = 1
    counts[("cardinfo", 0x11)] = "6984"
    report = read_retries(MyNumberCard(FunctionTransport(ScriptedCard(counts))))
    assert report.pin("sign").remaining == 2
    assert report.pin("auth").state is KeyState.LAST_TRY
    cardinfo = report.pin("cardinfo")
    assert (cardinfo.state, cardinfo.remaining, cardinfo.locked) == (KeyState.LOCKED, 0, True)
    assert report.any_locked


def test_juki_two_keys_show_the_lower_and_say_they_differ() -> None:
    counts = dict(FULL)
    counts[("common", 0x1C)] = 1
    report = read_retries(MyNumberCard(FunctionTransport(ScriptedCard(counts))))
    juki = report.pin("juki")
    assert juki.remaining == 1
    assert juki.state is KeyState.LAST_TRY
    assert juki.keys_differ
    assert [(k.key.id, k.remaining) for k in juki.keys] == [("juki-common", 1), ("juki", 3)]


@pytest.mark.parametrize("sw", ["6A88", "6D00", "6F00", "6700"])
def test_unexpected_answer_is_unknown_with_its_status_word(sw: str) -> None:
    counts = dict(FULL)
    counts[("jpki", 0x18)] = sw
    report = read_retries(MyNumberCard(FunctionTransport(ScriptedCard(counts))))
    auth = report.pin("auth")
    assert auth.state is KeyState.UNKNOWN
    assert auth.remaining is None and auth.locked is None
    assert f"{auth.sw:04X}" == sw
    # the other PINs are unaffected
    assert report.pin("sign").remaining == 5


def test_missing_application_is_unknown_not_a_crash() -> None:
    card = ScriptedCard(dict(FULL), apps=("jpki", "cardinfo", "surface"))
    report = read_retries(MyNumberCard(FunctionTransport(card)))
    juki = report.pin("juki")
    assert juki.state is KeyState.UNKNOWN and juki.sw == 0x6A82


def test_no_jpki_application_is_not_a_my_number_card() -> None:
    card = ScriptedCard(dict(FULL), apps=())
    with pytest.raises(NotMyNumberCardError) as info:
        read_retries(MyNumberCard(FunctionTransport(card)))
    assert info.value.sw == 0x6A82
    assert len(card.sent) == 1


@pytest.mark.parametrize(
    ("pin", "key", "answer", "note"),
    [
        ("auth", ("jpki", 0x18), "9000", "verified"),  # before any VERIFY: not a count
        ("auth", ("jpki", 0x18), "6300", "no-limit-claimed"),  # ② has a limit of 3
        ("auth", ("jpki", 0x18), "63C9", "over-max"),  # more than ② can have
        ("sign", ("jpki", 0x1B), "63C6", "over-max"),  # ① has 5
        ("cardinfo-b", ("cardinfo", 0x15), "63CB", "over-max"),  # B has 10
    ],
)
def test_counts_that_cannot_be_true_are_unknown_never_usable(
    pin: str, key: tuple[str, int], answer: str, note: str
) -> None:
    counts = dict(FULL)
    counts[key] = answer
    report = read_retries(MyNumberCard(FunctionTransport(ScriptedCard(counts))))
    status = report.pin(pin)
    assert status.state is KeyState.UNKNOWN and status.remaining is None
    assert status.locked is None
    assert status.keys[0].note == note


@pytest.mark.parametrize(
    ("pin", "key", "answer", "remaining"),
    [
        ("auth", ("jpki", 0x18), "63C3", 3),  # the maximum itself is trusted
        ("sign", ("jpki", 0x1B), "63C5", 5),
        ("cardinfo-b", ("cardinfo", 0x15), "63CA", 10),
        ("cardinfo-a", ("cardinfo", 0x14), "63CF", 15),  # no known maximum: any count
    ],
)
def test_counts_up_to_the_maximum_are_trusted(
    pin: str, key: tuple[str, int], answer: str, remaining: int
) -> None:
    counts = dict(FULL)
    counts[key] = answer
    report = read_retries(MyNumberCard(FunctionTransport(ScriptedCard(counts))))
    status = report.pin(pin)
    assert status.state is KeyState.USABLE and status.remaining == remaining


def test_no_limit_on_a_key_without_a_known_maximum_is_usable() -> None:
    counts = dict(FULL)
    counts[("surface", 0x13)] = "6300"
    report = read_retries(MyNumberCard(FunctionTransport(ScriptedCard(counts))))
    status = report.pin("surface-a")
    assert status.state is KeyState.USABLE and status.keys[0].note == "no-limit"
