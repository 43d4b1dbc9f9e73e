"""``change-pin`` and ``verify-pin`` end to end: subprocess → pyscard → pcscd → vpcd →
virtual card, answers piped on standard input; the card's state is checked afterwards."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest

from cli_runner import Run, jpkitool
from jpki.emulator import CardState, VirtualCard, build_state

pytestmark = pytest.mark.pcscd


class CountingCard(VirtualCard):
    """The virtual card, keeping every APDU that reached it."""

    def __init__(self, state: CardState) -> None:
        super().__init__(state)
        self.seen: list[bytes] = []

    def process(self, apdu: bytes) -> bytes:
        self.seen.append(bytes(apdu))
        return super().process(apdu)

    def pin_data_seen(self) -> list[bytes]:
        """Commands that carried a PIN (VERIFY with data, CHANGE)."""
        return [a for a in self.seen if a[1] in (0x20, 0x24, 0x32) and len(a) > 4]


Serve = Callable[..., str]


@pytest.fixture
def served(serve_card: Serve) -> Callable[..., tuple[str, CountingCard]]:
    def serve(**changes: Any) -> tuple[str, CountingCard]:
        card = CountingCard(build_state(**changes))
        return serve_card(card), card

    return serve


def lines(*values: str) -> str:
    return "".join(v + "\n" for v in values)


def tool(reader: str, env: dict[str, str], *args: str, answers: tuple[str, ...] = ()) -> Run:
    return jpkitool("--reader", reader, *args, env=env, input=lines(*answers))


def test_change_auth_in_three_ways(served: Any, pcsc_env: dict[str, str]) -> None:
    reader, card = served()
    pins = card.state.pins
    ja = tool(reader, pcsc_env, "--lang", "ja", "change-pin", "2", answers=("1234", "5039", "5039"))
    assert ja.code == 0, ja.err
    assert "② 利用者証明用電子証明書の暗証番号: 変更しました。残り回数: 3/3。" in ja.out
    assert (pins["auth"].value, pins["auth"].remaining) == ("5039", 3)
    en = tool(reader, pcsc_env, "--lang", "en", "change-pin", "auth",
              answers=("5039", "7046", "7046"))  # fmt: skip
    assert en.code == 0 and "changed. Tries left: 3/3." in en.out
    js = tool(reader, pcsc_env, "--json", "change-pin", "2", answers=("7046", "8264", "8264"))
    assert js.code == 0 and js.json["changed"] == ["auth"] and js.json["apdus"] == 11
    assert pins["auth"].value == "8264"
    # The new PIN verifies, the old one does not (and that costs one try).
    assert tool(reader, pcsc_env, "verify-pin", "2", answers=("8264",)).code == 0
    old = tool(reader, pcsc_env, "--lang", "en", "verify-pin", "2", answers=("7046",))
    assert old.code == 3 and pins["auth"].remaining == 2


def test_change_with_the_verified_query_9000_quirk(served: Any, pcsc_env: dict[str, str]) -> None:
    reader, card = served(quirks={"verified_query_9000": True})
    js = tool(reader, pcsc_env, "--json", "change-pin", "2", answers=("1234", "5039", "5039"))
    assert js.code == 0, js.out + js.err
    assert js.json["pins"][0]["keys"][0]["after"]["sw"] == "9000"
    assert card.state.pins["auth"].value == "5039"


def test_change_juki_and_sign_in_lower_case(served: Any, pcsc_env: dict[str, str]) -> None:
    reader, card = served()
    pins = card.state.pins
    r = tool(reader, pcsc_env, "--lang", "en", "change-pin", "3", "--experimental",
             answers=("1234", "5039", "5039"))  # fmt: skip
    assert r.code == 0, r.err
    assert pins["juki"].value == pins["juki-common"].value == "5039"
    assert sum(1 for a in card.seen if a[:2] == b"\x80\x32") == 2
    s = tool(reader, pcsc_env, "change-pin", "sign", answers=("abc123", "k7q2m9x", "k7q2m9x"))
    assert s.code == 0, s.err
    assert pins["sign"].value == "K7Q2M9X"


def test_wrong_current_pin_spends_exactly_one_try(served: Any, pcsc_env: dict[str, str]) -> None:
    reader, card = served()
    left = card.state.pins["auth"]
    en = tool(reader, pcsc_env, "--lang", "en", "change-pin", "2", answers=("9999", "5039", "5039"))
    assert en.code == 3 and "wrong PIN; tries left: 2" in en.err
    assert left.remaining == 2 and len(card.pin_data_seen()) == 1
    ja = tool(reader, pcsc_env, "--lang", "ja", "change-pin", "2", answers=("9999", "5039", "5039"))
    assert ja.code == 3 and "暗証番号が違います。残り 1 回です。" in ja.err
    assert left.remaining == 1 and left.value == "1234"


@pytest.mark.parametrize(
    ("kind", "current", "new"),
    [
        ("2", "1234", "12a4"),
        ("2", "1234", "12345"),
        ("2", "1234", "1111"),
        ("2", "1234", "1234"),
        ("1", "ABC123", "abcdef"),
        ("1", "ABC123", "ABC123"),
        ("3", "1234", "5039"),  # ③ without --experimental: refused before the prompts
    ],
)
def test_malformed_or_weak_new_pin_sends_nothing(
    served: Any, pcsc_env: dict[str, str], kind: str, current: str, new: str
) -> None:
    """Only the counters shown before asking are read (③ without --experimental: not
    even those); no PIN reaches the card."""
    reader, card = served()
    r = tool(reader, pcsc_env, "--lang", "en", "-v", "change-pin", kind,
             answers=(current, new, new))  # fmt: skip
    assert r.code == 2
    assert card.pin_data_seen() == []
    assert all(a[1] in (0xA4, 0xB0, 0x20) and len(a) <= 15 for a in card.seen)
    if kind == "3":
        assert card.seen == []


def test_last_try_is_refused_without_force(served: Any, pcsc_env: dict[str, str]) -> None:
    reader, card = served(remaining={"auth": 1})
    for lang, words in (("en", "ONE try left"), ("ja", "残り1回")):
        r = tool(reader, pcsc_env, "--lang", lang, "change-pin", "2",
                 answers=("1234", "5039", "5039"))  # fmt: skip
        assert r.code == 8 and words in r.err
    js = tool(reader, pcsc_env, "--json", "verify-pin", "2", answers=("1234",))
    assert js.code == 8 and js.json["error"]["code"] == "refused"
    assert card.pin_data_seen() == [] and card.state.pins["auth"].remaining == 1


def test_partial_change_and_key_finishes_it(served: Any, pcsc_env: dict[str, str]) -> None:
    reader, card = served()
    pins = card.state.pins
    pins["juki"].value = "4321"  # ③'s second key, after the 共通カードAP's
    r = tool(reader, pcsc_env, "--json", "change-pin", "2", "3", "4", "--same-current",
             "--experimental", answers=("1234", "5039", "5039"))  # fmt: skip
    assert r.code == 3
    assert r.json["changed"] == ["auth"] and r.json["not_changed"] == ["juki", "cardinfo"]
    juki = r.json["pins"][1]["keys"]
    assert [(k["id"], k["outcome"]) for k in juki] == [
        ("juki-common", "changed"),
        ("juki", "wrong"),
    ]
    en = tool(reader, pcsc_env, "--lang", "en", "change-pin", "3", "--key", "juki",
              "--experimental", answers=("4321", "5039", "5039"))  # fmt: skip
    assert en.code == 0, en.err
    assert pins["juki"].value == pins["juki-common"].value == "5039"
    assert pins["cardinfo"].value == "1234"


WATCHER = """
import sys
from smartcard.System import readers
from smartcard.scard import SCARD_LEAVE_CARD
from smartcard.Exceptions import CardConnectionException

conn = next(r for r in readers() if str(r) == sys.argv[1]).createConnection()
conn.connect(disposition=SCARD_LEAVE_CARD)
print("ready", flush=True)
for line in sys.stdin:
    if line.strip() == "verify":  # the control: verify ① and leave it verified
        conn.transmit(list(bytes.fromhex("00A4040C0AD392F000260100000001")))
        conn.transmit([0x00, 0x20, 0x00, 0x9B, 0x06, *b"ABC123"])
    note = ""
    try:
        data, sw1, sw2 = conn.transmit([0x00, 0xB0, 0x81, 0x00, 0x10])  # EF 0001 by SFI
    except CardConnectionException:  # SCARD_W_RESET_CARD: someone reset the card
        note = "reset "
        conn.reconnect(disposition=SCARD_LEAVE_CARD)
        data, sw1, sw2 = conn.transmit([0x00, 0xB0, 0x81, 0x00, 0x10])
    print(f"{note}{sw1:02X}{sw2:02X}", flush=True)
conn.disconnect()
"""


class Watcher:
    """Another program sharing the reader the whole time (so pcscd keeps the card
    powered): reads the sign certificate, which needs ① verified, without a PIN."""

    def __init__(self, reader: str, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", WATCHER, reader],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
        )  # fmt: skip
        assert self.proc.stdout is not None and self.proc.stdout.readline().strip() == "ready"

    def read(self, verify_first: bool = False) -> str:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("verify\n" if verify_first else "read\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(30)


def test_a_read_only_command_leaves_a_verified_card_as_it_was(
    served: Any, pcsc_env: dict[str, str]
) -> None:
    """Controls for the other program test below: a card verified and left so (LEAVE_CARD)
    stays verified, and a command that sends no PIN does not touch its power."""
    reader, _card = served()
    watcher = Watcher(reader, {**pcsc_env})
    try:
        assert watcher.read() == "6A82"  # no application selected yet
        assert watcher.read(verify_first=True) == "9000"
        assert watcher.read() == "9000"
        watcher.read(verify_first=True)
        assert tool(reader, pcsc_env, "retries").code == 0
        assert watcher.read() != "reset 6A82"
    finally:
        watcher.close()


def hex_forms(value: str) -> list[str]:
    raw = value.encode()
    return [value, raw.hex(), raw.hex().upper(), " ".join(f"{b:02X}" for b in raw)]


def test_no_pin_byte_in_any_output(served: Any, pcsc_env: dict[str, str], tmp_path: Any) -> None:
    reader, card = served()
    card.state.pins["auth"].value = "8264"
    card.state.pins["sign"].value = "Q8W2E6"
    secrets = ["8264", "7049", "9517", "Q8W2E6"]
    runs: list[tuple[Run, str]] = []
    for n, (args, answers) in enumerate(
        [
            (("change-pin", "2"), ("8264", "7049", "7049")),
            (("verify-pin", "2"), ("9517",)),
            (("verify-pin", "2"), ("7049",)),
            (("verify-pin", "1"), ("q8w2e6",)),
        ]
    ):
        for fmt in ((), ("--json",)):
            record = tmp_path / f"s{n}{len(fmt)}.jsonl"
            r = tool(reader, pcsc_env, *fmt, "-v", "--record", str(record), *args,
                     answers=answers)  # fmt: skip
            runs.append((r, record.read_text("utf-8")))
    for r, recorded in runs:
        assert r.code in (0, 3, 8), r.err
        text = r.out + r.err + recorded
        leaked = [form for value in secrets for form in hex_forms(value) if form in text]
        assert leaked == [], leaked


# -- the next program finds the card unverified ----------------------------------------

#: A second PC/SC program, connected (shared) before jpkitool runs and held throughout:
#: pcscd powers an idle card down, so one that connects only afterwards proves nothing.
#: On "go" it takes note of the reset jpkitool's power cycle caused, then tries to read
#: one byte of a file the PIN guards and prints the status word.
OTHER_PROGRAM = """
import sys
from smartcard import scard as sc

reader, aid, p1 = sys.argv[1], bytes.fromhex(sys.argv[2]), int(sys.argv[3], 16)
_, ctx = sc.SCardEstablishContext(sc.SCARD_SCOPE_USER)
rv, card, proto = sc.SCardConnect(ctx, reader, sc.SCARD_SHARE_SHARED, sc.SCARD_PROTOCOL_T1)
assert rv == sc.SCARD_S_SUCCESS, hex(rv)
print("ready", flush=True)
sys.stdin.readline()
select = [0x00, 0xA4, 0x04, 0x0C, len(aid), *aid]
rv, answer = sc.SCardTransmit(card, proto, select)
if rv == sc.SCARD_W_RESET_CARD:
    print("reset", flush=True)
    rv, proto = sc.SCardReconnect(card, sc.SCARD_SHARE_SHARED, sc.SCARD_PROTOCOL_T1,
                                  sc.SCARD_LEAVE_CARD)
    rv, answer = sc.SCardTransmit(card, proto, select)
assert rv == sc.SCARD_S_SUCCESS and answer[-2:] == [0x90, 0x00], (hex(rv), answer)
rv, answer = sc.SCardTransmit(card, proto, [0x00, 0xB0, p1, 0x00, 0x01])
print(bytes(answer[-2:]).hex().upper(), flush=True)
sc.SCardDisconnect(card, sc.SCARD_LEAVE_CARD)
"""


@pytest.mark.parametrize(
    ("args", "answers", "file"),
    [
        (("verify-pin", "1"), ("ABC123",), "sign"),
        (("verify-pin", "4"), ("1234",), "cardinfo"),
        (("change-pin", "1"), ("ABC123", "K7M2Q9", "K7M2Q9"), "sign"),
    ],
    ids=["verify-pin-1", "verify-pin-4", "change-pin-1"],
)
def test_another_program_connected_throughout_finds_the_card_unverified(
    served: Any, pcsc_env: dict[str, str], args: tuple[str, ...], answers: tuple[str, ...],
    file: str,
) -> None:  # fmt: skip
    """Before: the ending was a warm reset, which leaves such a card verified, and this
    other program read the sign certificate without ①."""
    from jpki import profile

    guarded = profile.PROOF_FILES[file]
    reader, card = served()
    other = subprocess.Popen(
        [sys.executable, "-c", OTHER_PROGRAM, reader, guarded.app.aid.hex(),
         f"{0x80 | guarded.fid:02X}"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=pcsc_env,
    )  # fmt: skip
    try:
        assert other.stdout is not None and other.stdin is not None
        assert other.stdout.readline().strip() == "ready"
        r = tool(reader, pcsc_env, "--json", *args, answers=answers)
        assert r.code == 0, r.err
        assert r.json["card_left"] == "proven-clear"
        other.stdin.write("go\n")
        other.stdin.flush()
        out, err = other.communicate(timeout=60)
    finally:
        other.kill()
    said = out.split()
    assert other.returncode == 0, err
    assert said == ["reset", "6982"], (said, err)  # the power cycle reached it; no key open
    assert card.verified == frozenset()
