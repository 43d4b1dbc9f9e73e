"""Recordings and traces keep no personal data by default: ``info``, ``cert show sign``
and a read of the 券面事項入力補助AP run in process on the virtual card, looked for
the card's serial number and municipality code, the My Number, the holder's name and
address and the sign certificate's subject, in every form (text, hex, spaced hex).
``--record-personal`` keeps them; a default recording still replays (``info`` shows
the card's expiry) and says where a command needs what it hid."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from asn1crypto import x509

from apdu.replay import ReplayTransport
from cli_runner import jpkitool_inprocess as run
from jpki import open_transport, profile
from jpki.card import MyNumberCard
from jpki.cli.failures import Exit
from jpki.emulator import build_state
from jpki.emulator.certs import certificates
from jpki.emulator.session import open_virtual_card
from jpki.session import SessionSpec, open_session

SESSIONS = Path(__file__).resolve().parent.parent / "fixtures" / "sessions"
NOW = ["--now", "2026-11-25T03:00:00Z"]
STATE = build_state()
SIGN_PIN, CARDINFO_PIN = "ABC123", "1234"  # the virtual card's defaults


def forms(value: str | bytes) -> list[str]:
    raw = value.encode() if isinstance(value, str) else value
    out = [raw.hex(), raw.hex().upper(), " ".join(f"{b:02X}" for b in raw)]
    return out + ([value] if isinstance(value, str) else [])


def sign_subject() -> bytes:
    cert = x509.Certificate.load(certificates(STATE).sign)
    return bytes(cert["tbs_certificate"]["subject"].dump())


#: What the virtual card holds that is personal, by what it is.
PERSONAL: dict[str, list[str]] = {
    "serial": forms(STATE.serial),
    "municipality": forms(STATE.municipality)[:3],  # "13101" may be in any hex text
    "my number": forms(STATE.my_number),
    "name": forms(STATE.holder.name),
    "address": forms(STATE.holder.address),
    "sign subject": forms(sign_subject()),
}


def leaks(text: str, which: list[str]) -> list[str]:
    return [f"{what}: {form}" for what in which for form in PERSONAL[what] if form in text]


def kept(recording: str, which: list[str]) -> bool:
    """Whether the recording holds each of ``which`` as upper-case hex."""
    return all(PERSONAL[what][1] in recording for what in which)


def recorded(path: Path) -> tuple[dict[str, object], str]:
    text = path.read_text("utf-8")
    return json.loads(text.splitlines()[0]), text


INFO = ["serial", "municipality"]
SIGN = ["name", "address", "sign subject"]
CARDINFO = ["my number", "name", "address"]


# -- info ---------------------------------------------------------------------------------


def test_info_recording_and_trace_hold_no_serial_or_municipality(tmp_path: Path) -> None:
    path = tmp_path / "info.jsonl"
    r = run("--lang", "en", "-v", "--record", str(path), "--emulator", *NOW, "info")
    assert r.code == 0, r.err
    header, text = recorded(path)
    assert leaks(text, INFO) == [] and leaks(r.err, INFO) == []
    assert header["personal"] is False
    assert "011C" + "XX" * 20 + "3230333430343130" in text  # the expiry is kept
    assert "01 1C " + "XX " * 20 + "32 30 33 34 30 34 31 30 90 00" in r.err


def test_a_default_info_recording_replays_with_the_expiry(tmp_path: Path) -> None:
    path = tmp_path / "info.jsonl"
    live = run("--json", "--record", str(path), "--emulator", *NOW, "info")
    replayed = run("--json", "--replay", str(path), *NOW, "info")
    assert replayed.code == 0, replayed.err
    assert replayed.json["card_expiry"] == "2034-04-10"
    assert {**replayed.json, "reader": None} == {**live.json, "reader": None}
    text = run("--lang", "en", "--replay", str(path), *NOW, "info")
    assert "Card expiry: 2034-04-10" in text.out


def test_record_personal_keeps_the_record(tmp_path: Path) -> None:
    path = tmp_path / "info.jsonl"
    r = run("-v", "--record", str(path), "--record-personal", "--emulator", *NOW, "info")
    assert r.code == 0, r.err
    header, text = recorded(path)
    assert header["personal"] is True
    assert kept(text, INFO)
    assert leaks(r.err, INFO) == []  # the trace hides them all the same


# -- cert show sign ----------------------------------------------------------------------------


def record_sign(tmp_path: Path, *extra: str) -> tuple[Path, str]:
    path = tmp_path / "sign.jsonl"
    r = run("--lang", "en", "-v", "--record", str(path), *extra, "--emulator", *NOW,
            "cert", "show", "sign", input=SIGN_PIN + "\n")  # fmt: skip
    assert r.code == 0, r.err
    return path, r.err


def test_cert_show_sign_leaves_no_personal_byte(tmp_path: Path) -> None:
    path, trace = record_sign(tmp_path)
    header, text = recorded(path)
    assert leaks(text, SIGN + INFO) == [] and leaks(trace, SIGN) == []
    assert header["personal"] is False
    assert "bytes of personal data hidden" in trace


def test_replaying_a_default_sign_recording_says_the_recording_hid_it(tmp_path: Path) -> None:
    path, _ = record_sign(tmp_path)
    for lang, words in (("en", "without --record-personal"), ("ja", "--record-personal なし")):
        r = run("--lang", lang, "--replay", str(path), *NOW, "cert", "show", "sign",
                input="ZZZ999\n")  # fmt: skip
        assert r.code == Exit.ERROR and words in r.err and r.out == ""
    js = run("--json", "--replay", str(path), *NOW, "cert", "show", "sign", input="ZZZ999\n")
    assert js.json["error"]["code"] == "certificate"


def test_record_personal_keeps_the_sign_certificate(tmp_path: Path) -> None:
    path, trace = record_sign(tmp_path, "--record-personal")
    header, text = recorded(path)
    assert header["personal"] is True
    assert kept(text, ["sign subject"])  # the certificate, in the clear
    assert leaks(trace, SIGN) == []
    r = run("--json", "--replay", str(path), *NOW, "cert", "show", "sign", "--show-personal",
            input="ZZZ999\n")  # fmt: skip
    assert r.code == 0, r.err
    assert r.json["personal"]["name"] == STATE.holder.name


# -- a read of the 券面事項入力補助AP ------------------------------------------------------------


def read_cardinfo(card: MyNumberCard) -> tuple[bytes, bytes]:
    """EF 0001 (My Number) and 0002 (name, address, ...) of the 券面事項入力補助AP after ④."""
    with card.transaction():
        permit = card.permit(card.query_key(profile.CARDINFO_SLOT))
        assert card.verify(permit, CARDINFO_PIN.encode()).ok
        number = card.read_small(profile.CARDINFO, profile.CARDINFO_MYNUMBER.fid, 256)
        attrs = card.read_small(profile.CARDINFO, profile.CARDINFO_ATTRS.fid, 256)
    assert number.ok and attrs.ok
    return number.data, attrs.data


@pytest.mark.parametrize("keep", [False, True], ids=["default", "record-personal"])
def test_a_cardinfo_read_is_hidden_unless_record_personal(tmp_path: Path, keep: bool) -> None:
    path, trace = tmp_path / "cardinfo.jsonl", io.StringIO()
    spec = SessionSpec(emulator=build_state(), record=path, record_personal=keep, trace=trace)
    with open_session(spec, open_virtual_card) as transport:
        number, attrs = read_cardinfo(MyNumberCard(transport))
    assert STATE.my_number.encode() in number  # the library got the data itself
    assert STATE.holder.name.encode() in attrs
    header, text = recorded(path)
    assert header["personal"] is keep
    assert leaks(trace.getvalue(), CARDINFO) == []
    if keep:
        assert kept(text, CARDINFO)
        return
    assert leaks(text, CARDINFO) == []
    with open_transport(ReplayTransport(path)) as card:
        replayed = read_cardinfo(card)
    assert replayed == (b"*" * len(number), b"*" * len(attrs))  # same length, filler


# -- the recorded fixtures ---------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(SESSIONS.glob("*.jsonl")), ids=lambda p: p.stem)
def test_the_fixture_sessions_hold_no_personal_data(path: Path) -> None:
    header, text = recorded(path)
    assert header["personal"] is False
    assert leaks(text, INFO + SIGN + CARDINFO) == []
