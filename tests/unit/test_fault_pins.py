"""change-pin and verify-pin broken off at every APDU, in process on the virtual card:
what the result and the error line say of each key is checked against the card.

Every position, three faults (card removed, no answer, pcscd stopped), the card
having carried the command out or not, for one key, ③'s two keys and three PINs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import apdu
from apdu import FunctionTransport
from cli_runner import jpkitool_inprocess as run
from jpki import change_pin, verify_pin
from jpki.card import MyNumberCard
from jpki.cli.failures import Exit
from jpki.emulator import VirtualCard, build_state
from jpki.i18n import get_language, set_language
from jpki.pinresult import Outcome, PinCommandResult
from jpki.words.pins import fault_note

OLD, NEW = "1234", "5039"
MAX = {"auth": 3, "juki": 3, "juki-common": 3, "cardinfo": 3}


def stopped() -> apdu.ServiceUnavailableError:
    return apdu.ServiceStoppedError("pcscd stopped", code=0x8010001E)


def no_answer() -> apdu.CardUnresponsiveError:
    return apdu.CardUnresponsiveError("no answer", timeout=20.0)


FAULTS = {
    "removed": lambda: apdu.CardRemovedError("pulled out"),
    "no-answer": no_answer,
    "pcscd-stopped": stopped,
}
#: (operation, PINs): what is run at every position.
RUNS = [
    ("change", ("auth",)),
    ("change", ("juki",)),
    ("change", ("auth", "juki", "cardinfo")),
    ("verify", ("auth",)),
    ("verify", ("juki",)),
]


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    before = get_language()
    set_language("en")
    yield
    set_language(before)


class Broken:
    """The virtual card behind a transport that fails at APDU ``at`` (after the card
    carried it out, when ``answered``)."""

    def __init__(self, at: int = 0, fault: str = "removed", answered: bool = False) -> None:
        self.state = build_state()
        self.card = VirtualCard(self.state)
        self.card.power_on()
        self.at, self.fault, self.answered = at, fault, answered
        self.count = 0
        self.session = MyNumberCard(FunctionTransport(self._send))

    def _send(self, command: bytes) -> bytes:
        self.count += 1
        if self.count == self.at:
            if self.answered:
                self.card.process(command)
            raise FAULTS[self.fault]()
        return self.card.process(command)

    def run(self, operation: str, pins: tuple[str, ...]) -> PinCommandResult | None:
        """The result, or the one attached to the fault (None: it came before any key)."""
        try:
            if operation == "change":
                return change_pin(self.session, list(pins), OLD, NEW, experimental=True)
            return verify_pin(self.session, pins[0], OLD)
        except apdu.TransportError as exc:
            result = getattr(exc, "result", None)
            assert result is None or isinstance(result, PinCommandResult)
            return result


def apdus(operation: str, pins: tuple[str, ...]) -> int:
    broken = Broken()
    assert broken.run(operation, pins) is not None
    return broken.count


CASES = [
    (operation, pins, k, fault, answered)
    for operation, pins in RUNS
    for k in range(1, apdus(operation, pins) + 1)
    for fault in FAULTS
    for answered in (False, True)
]


@pytest.mark.parametrize(("operation", "pins", "k", "fault", "answered"), CASES)
def test_what_is_said_is_what_the_card_holds(
    operation: str, pins: tuple[str, ...], k: int, fault: str, answered: bool
) -> None:
    broken = Broken(k, fault, answered)
    result = broken.run(operation, pins)
    keys = {key.key.id: key for p in (result.pins if result else ()) for key in p.keys}
    cards = broken.state.pins
    note = fault_note(operation, result)
    if result is None or not result.pin_sent:
        assert note.startswith("No PIN was sent")
    elif result.interrupted:
        assert "is not known" in note and "run jpkitool " in note
    else:
        assert note.startswith("Only what is shown as")
    for key_id, held in cards.items():
        if key_id not in MAX:
            continue
        key = keys.get(key_id)
        outcome = key.outcome if key is not None else Outcome.NOT_TRIED
        where = (key_id, outcome, key.interrupted_at if key else None)
        if outcome is Outcome.NOT_TRIED:
            assert (held.value, held.remaining) == (OLD, MAX[key_id]), where
        elif outcome in (Outcome.CHANGED, Outcome.VERIFIED):
            changed = outcome is Outcome.CHANGED
            assert (held.value, held.remaining) == (NEW if changed else OLD, 3), where
            if key is not None and key.after is None:  # only its count read again failed
                assert k == broken.count, where
        else:
            assert outcome is Outcome.INTERRUPTED and key is not None, where
            assert held.remaining == 3, where  # the right PIN, even when the card got it
            if key.interrupted_at == "verify" or not answered:
                assert held.value == OLD, where  # CHANGE never sent, or never got
            else:
                assert key.interrupted_at == "change" and held.value == NEW, where
    if result is not None:
        # Only the key at the fault can be unknown; nothing after it was tried.
        assert len(result.interrupted) <= 1


# -- the command line ----------------------------------------------------------------------


def card(tmp_path: Path) -> list[str]:
    path = tmp_path / "card.json"
    path.write_text(json.dumps({"pins": {}}), "utf-8")
    return ["--emulator", "--emulator-state", str(path)]


def held(tmp_path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((tmp_path / "card.json").read_text("utf-8"))
    return doc["pins"]


def break_at(
    monkeypatch: pytest.MonkeyPatch, k: int, fault: str, answered: bool = False
) -> list[VirtualCard]:
    """The virtual card raises ``fault`` at its ``k``-th command (after answering it,
    with ``answered``); the cards that processed commands are returned."""
    real = VirtualCard.process
    count = {"n": 0}
    cards: list[VirtualCard] = []

    def process(self: VirtualCard, command: bytes) -> bytes:
        if self not in cards:
            cards.append(self)
        count["n"] += 1
        if count["n"] == k:
            if answered:
                real(self, command)
            raise FAULTS[fault]()
        return real(self, command)

    monkeypatch.setattr(VirtualCard, "process", process)
    return cards


def test_the_second_key_of_3_broken_off_during_its_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """③: 共通カードAP changed, the 住基AP change sent and unanswered: both said."""
    # SELECT JPKI, token, 2 counters (each with its SELECT AP), then per key
    # SELECT AP, SELECT EF, VERIFY, CHANGE, SELECT EF, VERIFY new, counter, after the
    # 6 that read the counters before asking: the second CHANGE is APDU 23.
    break_at(monkeypatch, 23, "removed", answered=True)
    r = run("--lang", "en", *card(tmp_path), "change-pin", "3", "--experimental",
            input="1234\n5039\n5039\n")  # fmt: skip
    assert r.code == Exit.NO_CARD, r.err
    out = r.out.splitlines()
    assert out[0] == "③ resident-registry PIN: changed on 共通カードAP."
    assert "broke off at 住基AP during the change" in out[1]
    (error,) = [line for line in r.err.splitlines() if line.startswith("jpkitool:")]
    assert "Whether ③ resident-registry PIN (住基AP) was changed is not known" in error
    assert "jpkitool retries 3, then jpkitool verify-pin 3" in error
    pins = held(tmp_path)
    assert pins["juki"]["value"] == pins["juki-common"]["value"] == NEW


@pytest.mark.parametrize(
    ("k", "pin_sent", "outcome", "interrupted_at"),
    # 1-3 read the count before asking; 4-6 again in the transaction that spends
    [(6, False, None, None), (7, False, "not-tried", None), (8, True, "interrupted", "verify"),
     (9, True, "interrupted", "change"), (10, True, "changed", None),
     (11, True, "changed", "confirm")],
)  # fmt: skip
def test_json_says_whether_the_pin_was_sent(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    k: int,
    pin_sent: bool,
    outcome: str | None,
    interrupted_at: str | None,
) -> None:
    break_at(monkeypatch, k, "no-answer")
    r = run("--json", *card(tmp_path), "change-pin", "2", input="1234\n5039\n5039\n")
    assert r.code == Exit.ERROR
    doc = r.json
    assert doc["error"]["code"] == "card-unresponsive"
    assert doc["error"]["pin_sent"] is pin_sent
    if outcome is None:
        assert "pins" not in doc
        return
    (key,) = doc["pins"][0]["keys"]
    assert key["outcome"] == outcome
    assert key.get("interrupted_at") == interrupted_at


def test_japanese_error_line_has_no_space_after_the_full_stop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    break_at(monkeypatch, 2, "pcscd-stopped")
    r = run("--lang", "ja", *card(tmp_path), "verify-pin", "2", input="1234\n")
    assert r.code == Exit.NO_CARD
    assert r.err.strip() == (
        "jpkitool: 操作の途中で PC/SC サービス（pcscd）が停止しました。もう一度起動して"
        "（Debian/Ubuntu: sudo systemctl start pcscd）、やり直してください。"
        "暗証番号は送っていません。残り回数は減っていません。"
    )


# -- certificate commands that verify ① ----------------------------------------------------

SIGN_OLD = "ABC123"
ISD = bytes.fromhex("A0000001510000")
SIGN_COMMANDS = [("cert", "show", "sign"), ("expiry", "--sign"), ("cert", "export", "sign")]


def counted(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Every command the virtual card processes, in order."""
    real = VirtualCard.process
    seen: list[bytes] = []

    def process(self: VirtualCard, command: bytes) -> bytes:
        seen.append(bytes(command))
        return real(self, command)

    monkeypatch.setattr(VirtualCard, "process", process)
    return seen


@pytest.mark.parametrize("args", SIGN_COMMANDS)
def test_a_fault_in_a_command_that_verifies_the_sign_pin_says_what_became_of_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    """At every APDU: before the VERIFY 'no PIN was sent', at it 'not known', after it
    'only what is shown as correct was checked' with ① untouched on the card. In the
    ending (from the SELECT of the ISD on) the work is done: a fault there is what the
    card was left as, never a claim that it is clear."""
    out = ["-o", str(tmp_path / "c.pem")] if args[1:2] == ("export",) else []
    with monkeypatch.context() as m:
        seen = counted(m)
        whole = run("--lang", "en", *card(tmp_path), *args, *out, input=SIGN_OLD + "\n")
    assert whole.code == 0, whole.err
    verify_at = next(i for i, c in enumerate(seen, 1) if c[1] == 0x20 and len(c) > 5)
    ending_at = next(i for i, c in enumerate(seen, 1) if ISD in c)
    for k in range(1, len(seen) + 1):
        for answered in (False, True):
            (tmp_path / "c.pem").unlink(missing_ok=True)
            with monkeypatch.context() as m:
                cards = break_at(m, k, "removed", answered)
                r = run("--lang", "en", *card(tmp_path), *args, *out, input=SIGN_OLD + "\n")
            where = (k, answered, r.err)
            if ending_at <= k < ending_at + 4:  # SELECT ISD, throwaway, SELECT JPKI, proof
                said = r.out + r.err
                assert r.code in (Exit.OK, Exit.MAY_BE_VERIFIED), where
                if "no verified state remains" in said:  # only when it is true
                    assert [c.verified for c in cards] == [frozenset()], where
                assert ("take it out of the reader" in said) == (r.code != Exit.OK), where
                continue
            assert r.code == Exit.NO_CARD, where
            (error,) = [line for line in r.err.splitlines() if line.startswith("jpkitool:")]
            if k < verify_at:  # before ① is asked nothing is said of it; after, it is
                sent = error.endswith("No PIN was sent: no try was spent.")
                assert sent or (k < verify_at - 1 and error.endswith("retry.")), where
            elif k == verify_at:
                assert "Whether a try of ① signature PIN was spent is not known" in error, where
            else:
                assert error.endswith(
                    "Only what is shown as correct was checked; no try was spent."
                ), where
                assert "correct" in r.out, where
            sign = held(tmp_path).get("sign")  # written only when the card changed
            assert sign is None or (sign["value"], sign["remaining"]) == (SIGN_OLD, 5), where
