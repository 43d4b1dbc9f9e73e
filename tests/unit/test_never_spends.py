"""The promise of ``retries`` and ``info``: whatever the card, no try is ever spent.

Hypothesis draws virtual cards (counters, quirks, missing applications, tokens,
odd answers) and checks, for each, that reading sends VERIFY only without data,
leaves every counter as it was, and reports the counters the card holds.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from apdu import INS, FunctionTransport
from jpki import profile
from jpki.card import MyNumberCard
from jpki.emulator import VirtualCard, build_state
from jpki.errors import NotMyNumberCardError
from jpki.info import read_info
from jpki.keystatus import KeyState
from jpki.retries import read_retries

PIN_SLOTS = [k for k in profile.PIN_SLOTS if k.id != profile.CARDINFO_BLOCKED_SLOT.id]
QUIRKS = [
    "verified_query_9000",
    "blocked_query_6984",
    "no_extended",
    "no_sfi",
    "get_response",
    "short_query_9000",
]
ODD_ANSWERS = ["6A88", "6A82", "6982", "6F00", "6300", "9000", "6984"]


@st.composite
def cards(draw: st.DrawFn) -> dict[str, Any]:
    remaining = {
        k.id: draw(st.integers(0, k.max_tries or 10), label=k.id)
        for k in PIN_SLOTS
        if draw(st.booleans())
    }
    quirks = {q: draw(st.booleans()) for q in QUIRKS}
    answer = draw(
        st.dictionaries(
            st.sampled_from([k.id for k in PIN_SLOTS]), st.sampled_from(ODD_ANSWERS), max_size=2
        )
    )
    apps = draw(
        st.lists(st.sampled_from([a.id for a in profile.APPLICATIONS]), unique=True, min_size=0)
    )
    token = draw(st.sampled_from(["card", "android", "iphone", "juki-card"]))
    return {"remaining": remaining, "quirks": quirks, "answer": answer,
            "applications": apps, "token": token}  # fmt: skip


def counters(card: VirtualCard) -> dict[str, tuple[str, int]]:
    return {k: (slot.value, slot.remaining) for k, slot in card.state.pins.items()}


@settings(max_examples=150, deadline=None)
@given(cards())
def test_reading_never_spends_a_try(changes: dict[str, Any]) -> None:
    state = build_state(**changes)
    card = VirtualCard(state)
    card.power_on()
    before = counters(card)
    sent: list[bytes] = []

    def send(apdu: bytes) -> bytes:
        sent.append(apdu)
        return card.process(apdu)

    session = MyNumberCard(FunctionTransport(send))
    try:
        report = read_retries(session)
        read_info(session)
    except NotMyNumberCardError:
        assert "jpki" not in changes["applications"]
        report = None
    assert counters(card) == before
    assert session.permits_issued == 0
    verifies = [a for a in sent if a[1] == INS.VERIFY]
    assert all(len(a) == 4 for a in verifies), [a.hex() for a in verifies]
    assert not any(a[1] in (0x24, 0x32, 0x2C) for a in sent)
    if report is None:
        return
    present = set(state.applications) if state.token != "juki-card" else {"jpki"}
    for pin in report.pins:
        for status in pin.keys:
            key = status.key
            slot = state.pins[key.id]
            if key.app.id not in present or key.id in changes["answer"]:
                continue  # what the card says is reported as it is; checked elsewhere
            assert status.state is not KeyState.UNKNOWN, (key.id, f"{status.sw:04X}")
            if slot.remaining == 0:
                assert status.state is KeyState.LOCKED
            else:
                assert status.remaining == slot.remaining
