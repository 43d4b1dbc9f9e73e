"""The emulator transport, latency, and the card's robustness to any bytes."""

from __future__ import annotations

import logging
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apdu import BaseTransport, TransportError
from jpki.emulator import CardState, EmulatorTransport, VirtualCard
from jpki.emulator.statefile import parse as parse_state

JPKI = "00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01"


def h(text: str) -> bytes:
    return bytes.fromhex(text)


def test_transport_basics() -> None:
    card = VirtualCard(parse_state({"atr": "3B DA 13 FF 81 31 FB 46 80 12 39 2F"}))
    t = EmulatorTransport(card)
    assert isinstance(t, BaseTransport)
    assert t.name == "jpkitool virtual card"
    assert t.atr == card.atr == h("3B DA 13 FF 81 31 FB 46 80 12 39 2F")
    assert t.transmit(h(JPKI)) == h("90 00")
    assert t.transmit(h("00 20 00 98 04 31 32 33 34"), secret=True) == h("90 00")
    assert t.transmit(h("00 24 01 98 04 35 36 37 38")) == h("90 00")
    t.power_cycle()  # power removed: the application and the verified flag are gone
    assert t.transmit(h("00 24 01 98 04 31 32 33 34")) == h("6A 88")
    assert t.transmit(h(JPKI)) == h("90 00")
    assert t.transmit(h("00 24 01 98 04 31 32 33 34")) == h("69 82")
    t.close()
    with pytest.raises(TransportError):
        t.transmit(h(JPKI))


def test_transport_powers_the_card_on() -> None:
    card = VirtualCard(CardState())
    assert card.process(h(JPKI)) == h("90 00")
    EmulatorTransport(card)
    assert card.selected_app is None


def test_default_atr() -> None:
    assert VirtualCard(CardState()).atr == h("3B E0 00 FF 81 31 FE 45 14")


def test_latency_applies_to_every_apdu() -> None:
    card = VirtualCard(parse_state({"latency_ms": 15}))
    start = time.perf_counter()
    for _ in range(3):
        card.process(h(JPKI))
    assert time.perf_counter() - start >= 0.045


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=300), st.sampled_from([{}, {"get_response": True}, {"no_sfi": True}]))
def test_any_bytes_get_a_response(raw: bytes, quirks: dict[str, bool]) -> None:
    card = VirtualCard(parse_state({"quirks": quirks}))
    card.process(h(JPKI))
    resp = card.process(raw)
    assert len(resp) >= 2 and resp[-2:] != h("6F 00")


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([0x00, 0x80]),
    st.sampled_from([0xA4, 0xB0, 0xB2, 0x20, 0x24, 0x32, 0xC0]),
    st.integers(0, 255),
    st.integers(0, 255),
    st.binary(max_size=20),
)
def test_well_formed_commands_never_fail_inside(
    cla: int, ins: int, p1: int, p2: int, data: bytes
) -> None:
    card = VirtualCard(parse_state({"quirks": {"get_response": True}}))
    card.process(h(JPKI))
    body = bytes([len(data)]) + data if data else b""
    for raw in (bytes([cla, ins, p1, p2]) + body, bytes([cla, ins, p1, p2]) + body + b"\x00"):
        resp = card.process(raw)
        assert len(resp) >= 2 and resp[-2:] != h("6F 00")


def test_an_emulator_failure_is_6f00_and_its_log_hides_the_pin(
    monkeypatch: pytest.MonkeyPatch,
) -> None:

    card = VirtualCard(CardState())
    card.power_on()

    def broken(cmd: object) -> object:
        raise RuntimeError("emulator bug")

    monkeypatch.setitem(card._handlers, 0x20, broken)
    # A handler on the card's own logger: what reaches the root (caplog) depends on
    # what other tests did to logging before this one.
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.ERROR)
    handler.emit = records.append  # type: ignore[method-assign]
    log = logging.getLogger("jpki.emulator.card")
    log.addHandler(handler)
    monkeypatch.setattr(log, "disabled", False)
    monkeypatch.setattr(log.manager, "disable", 0)  # no logging.disable() from elsewhere
    level, log.level = log.level, logging.ERROR
    log.manager._clear_cache()
    try:
        answer = card.process(bytes.fromhex("002000980439383736"))
    finally:
        log.removeHandler(handler)
        log.setLevel(level)
    text = "\n".join(logging.Formatter().format(r) for r in records)
    assert answer == b"\x6f\x00"
    assert "0020009804XXXXXXXX" in text
    assert "39383736" not in text
