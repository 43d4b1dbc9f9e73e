"""``retries [PINS]...`` and ``read_retries(card, pins=...)``: only the counters asked for
(issue 10, part 2), counted APDU by APDU on the virtual card."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import jpki
from apdu import BaseTransport
from cli_runner import jpkitool_inprocess as run
from jpki import profile
from jpki.cli.failures import Exit
from jpki.emulator import EmulatorTransport, VirtualCard, build_state
from jpki.errors import PinRequestError
from jpki.retries import Code, guidance, named_pins, read_retries


class Counting(EmulatorTransport):
    """The in-process virtual card, keeping every command APDU sent to it."""

    def __init__(self, card: VirtualCard) -> None:
        super().__init__(card)
        self.sent: list[bytes] = []

    def transmit(self, apdu: bytes, *, secret: bool = False, personal: bool = False) -> bytes:
        self.sent.append(apdu)
        return super().transmit(apdu, secret=secret)


def read(pins: Any = None, **changes: Any) -> tuple[jpki.RetriesReport, list[bytes]]:
    transport = Counting(VirtualCard(build_state(**changes)))
    with jpki.open_transport(transport) as card:
        report = read_retries(card) if pins is None else read_retries(card, pins)
    assert report.apdus == len(transport.sent)
    return report, transport.sent


# -- APDU counts -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pins", "ids", "apdus", "no_sfi_apdus"),
    [
        # all nine counters: five SELECT AP, the token label, nine queries
        (None, [p.id for p in profile.PINS], 15, 26),
        # ① ②: SELECT JPKI, the token label, two queries
        (["1", "2"], ["sign", "auth"], 4, 8),
        (["①"], ["sign"], 3, 6),
        # ③ is two keys in two applications: SELECT JUKI + query, SELECT COMMON + query
        (["juki"], ["juki"], 6, 10),
        (["4"], ["cardinfo"], 4, 7),
        (["1", "2", "3", "4"], ["sign", "auth", "juki", "cardinfo"], 10, 17),
    ],
)
def test_only_the_named_counters_are_read(
    pins: list[str] | None, ids: list[str], apdus: int, no_sfi_apdus: int
) -> None:
    report, sent = read(pins)
    assert [p.id for p in report.pins] == ids
    assert len(sent) == apdus
    # No SFI (the short-EF forms refused): the token read learns it, and each key then
    # costs SELECT EF + VERIFY; the refused READ BINARY by SFI is paid once.
    report, sent = read(pins, quirks={"no_sfi": True})
    assert [p.id for p in report.pins] == ids
    assert len(sent) == no_sfi_apdus
    assert sum(1 for a in sent if a[1] == 0xB0 and a[2] & 0x80) == 1


def test_one_and_two_are_select_label_and_two_queries() -> None:
    _, sent = read(["1", "2"])
    jpki_aid = profile.JPKI.aid
    assert sent[0][:4] == bytes.fromhex("00A4040C") and sent[0][5:] == jpki_aid
    assert sent[1][:3] == bytes.fromhex("00B086")  # EF 0006 by SFI: the token label
    queries = [(a[1], a[3]) for a in sent[2:]]
    assert queries == [(0x20, profile.SIGN.slots[0].sfi_p2), (0x20, profile.AUTH.slots[0].sfi_p2)]
    assert all(len(a) == 4 for a in sent[2:])  # VERIFY without data


def test_with_get_response_each_answer_with_data_costs_one_more() -> None:
    _, sent = read(["1", "2"], quirks={"get_response": True})
    assert len(sent) == 5  # the token label comes as 61xx + GET RESPONSE


# -- the library ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("names", "ids"),
    [
        (["2", "1"], ["sign", "auth"]),  # in the card's order, whatever the order asked
        (["auth", "2", "②", "AUTH"], ["auth"]),  # once each
        ("juki", ["juki"]),  # one name alone
        ([profile.CARDINFO_PIN, "cardinfo-a"], ["cardinfo", "cardinfo-a"]),
        (["surface-b", "④"], ["cardinfo", "surface-b"]),
    ],
)
def test_pins_are_named_by_id_number_or_circled_number(names: Any, ids: list[str]) -> None:
    assert [p.id for p in named_pins(names)] == ids


@pytest.mark.parametrize("names", [["5"], ["1234"], ["sign", "⑤"], [""], ["juki-common"]])
def test_a_name_that_is_no_pin_is_refused_before_the_card(names: list[str]) -> None:
    with pytest.raises(PinRequestError) as err:
        read(names)
    assert err.value.reason == "unknown-pin"


def test_no_name_at_all_is_refused() -> None:
    with pytest.raises(PinRequestError) as err:
        named_pins([])
    assert err.value.reason == "no-pin"
    assert named_pins(None) == profile.PINS


def test_locked_and_guidance_consider_the_named_pins_alone() -> None:
    report, _ = read(["1", "2"], remaining={"cardinfo": 0})
    assert not report.any_locked and guidance(report) == ()
    report, _ = read(["4"], remaining={"cardinfo": 0})
    assert report.any_locked
    # ① locked, ② not read: the kiosk route (which needs ② working) is not offered.
    report, _ = read(["1"], remaining={"sign": 0})
    assert [a.code for a in guidance(report)] == [
        Code.LOCKED,
        Code.OFFICE,
        Code.GUARDIAN,
        Code.HELPLINE,
    ]
    report, _ = read(["1", "2"], remaining={"sign": 0})
    assert Code.KIOSK_SIGN in [a.code for a in guidance(report)]


# -- the command ---------------------------------------------------------------------


def _state(tmp_path: Path, doc: dict[str, Any]) -> str:
    path = tmp_path / "state.json"
    path.write_text(json.dumps(doc), "utf-8")
    return str(path)


def test_retries_1_2_json_has_the_same_shape_with_fewer_entries() -> None:
    full = run("--json", "--emulator", "retries").json
    some = run("--json", "--emulator", "retries", "1", "②").json
    assert some.keys() == full.keys()
    assert [p["id"] for p in some["pins"]] == ["sign", "auth"]
    assert some["pins"] == full["pins"][:2]
    juki = run("--json", "--emulator", "retries", "3").json["pins"]
    assert juki == [p for p in full["pins"] if p["id"] == "juki"]
    assert "keys" in juki[0] and "keys_differ" in juki[0]


def test_retries_1_2_sends_four_apdus() -> None:
    r = run("--lang", "ja", "--emulator", "-v", "retries", "1", "2")
    assert r.code == Exit.OK
    assert [line for line in r.err.splitlines() if line.startswith("> ")] == [
        "> 00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01",
        "> 00 B0 86 00 20",
        "> 00 20 00 9B",
        "> 00 20 00 98",
    ]
    full = run("--lang", "ja", "--emulator", "retries")
    assert "照合番号" in full.out and "照合番号" not in r.out  # the check numbers: unnamed only


def test_the_exit_status_counts_the_named_pins_only(tmp_path: Path) -> None:
    state = _state(tmp_path, {"pins": {"cardinfo": {"remaining": 0}}})
    assert run("--emulator", "--emulator-state", state, "retries").code == Exit.LOCKED
    assert run("--emulator", "--emulator-state", state, "retries", "1", "2").code == Exit.OK
    assert run("--emulator", "--emulator-state", state, "retries", "4").code == Exit.LOCKED
    assert run("--emulator", "--emulator-state", state, "retries", "cardinfo").code == Exit.LOCKED


@pytest.mark.parametrize("word", ["1234", "ABC123", "5", "cardinfo-a", "⑤"])
def test_a_word_that_is_no_pin_kind_is_a_usage_error_never_echoed(word: str) -> None:
    for as_json in (False, True):
        args = ["--json"] if as_json else []
        r = run(*args, "--lang", "en", "--emulator", "-v", "retries", "1", word)
        assert r.code == Exit.USAGE
        assert word not in r.out and word not in r.err
        assert not [line for line in r.err.splitlines() if line.startswith("> ")]  # no card
        if as_json:
            assert r.json["error"]["code"] == "usage"
        else:
            assert "not a PIN kind" in r.err


def test_the_same_kind_type_serves_the_pin_commands() -> None:
    from jpki.cli.commands import pins, retries
    from jpki.cli.pinname import PinNameType

    types = {
        type(p.type)
        for command in (retries.command, pins.verify_command, pins.change_command)
        for p in command.params
        if p.name in ("pins", "kind", "kinds")
    }
    assert types == {PinNameType}
    r = run("--emulator", "verify-pin", "②", input="1234\n")
    assert r.code == Exit.OK, r.err


def test_the_transport_api_is_unchanged_for_callers_without_pins() -> None:
    transport: BaseTransport = EmulatorTransport(VirtualCard(build_state()))
    with jpki.open_transport(transport) as card:
        assert read_retries(card).apdus == 15
