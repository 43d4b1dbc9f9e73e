"""The PC/SC transport through a real pcscd + vpcd with a small scripted card."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

from apdu import (
    ApduChannel,
    CardRemovedError,
    CommandAPDU,
    NoCardError,
    NoReaderError,
    ReaderBusyError,
    TransportError,
    pcsc,
)
from apdu.pcsc import AmbiguousReaderError
from apdu.pcsctransport import PcscTransport
from pytest_jpkitool.pcscd import PcscdInstance, another_pcscd

pytestmark = pytest.mark.pcscd

ATR = bytes.fromhex("3BE000FF8131FE4514")


class EchoCard:
    """SELECT → 9000; READ BINARY → Le bytes (extended too); GET DATA 61xx chains."""

    atr = ATR

    def __init__(self) -> None:
        self.powered = 0
        self.resets = 0
        self.unpowered = 0
        self.seen: list[bytes] = []

    def power_on(self) -> None:
        self.powered += 1

    def power_off(self) -> None:
        self.unpowered += 1

    def warm_reset(self) -> None:
        self.resets += 1

    def process(self, apdu: bytes) -> bytes:
        self.seen.append(apdu)
        cmd = CommandAPDU.parse(apdu)
        if cmd.ins == 0xA4:
            return b"\x90\x00"
        if cmd.ins == 0xB0:
            return bytes(i & 0xFF for i in range(cmd.le or 0)) + b"\x90\x00"
        if cmd.ins == 0xCA:
            return b"\x61\x05"
        if cmd.ins == 0xC0:
            return b"\x01\x02\x03\x04\x05\x90\x00"
        return b"\x6d\x00"


def test_readers_are_listed_with_presence_and_atr(jpki_pcscd: PcscdInstance, serve_card) -> None:
    assert pcsc.list_readers() == ["Virtual PCD 00 00", "Virtual PCD 00 01"]
    name = serve_card(EchoCard())
    states = {s.name: s for s in pcsc.reader_states()}
    assert states[name].card_present and states[name].atr == ATR
    assert not states["Virtual PCD 00 01"].card_present


def test_transmit_short_extended_and_get_response(serve_card) -> None:
    card = EchoCard()
    name = serve_card(card)
    with PcscTransport(name) as transport:
        assert transport.atr == ATR
        channel = ApduChannel(transport)
        with transport.transaction():
            assert channel.send(CommandAPDU(0, 0xA4, 4, 0x0C, b"\xd3\x92")).ok
            big = channel.send(CommandAPDU(0, 0xB0, 0, 0, le=300))
            assert big.ok and len(big.data) == 300
            chained = channel.send(CommandAPDU(0, 0xCA, 0, 0, le=256))
            assert chained.data == b"\x01\x02\x03\x04\x05"
    assert card.seen[1] == bytes.fromhex("00B0000000012C")
    assert card.seen[-1] == bytes.fromhex("00C0000005")


def test_second_slot_is_the_next_port(jpki_pcscd: PcscdInstance, serve_card) -> None:
    name = serve_card(EchoCard(), slot=1)
    assert name == "Virtual PCD 00 01"
    with PcscTransport(name) as transport:
        assert transport.transmit(bytes.fromhex("00A4040C00"))[-2:] == b"\x90\x00"


def test_dropped_card_is_card_removed(jpki_pcscd: PcscdInstance) -> None:
    from jpki.emulator.vpcd import VpcdBridge

    bridge = VpcdBridge(EchoCard(), jpki_pcscd.port).start()
    try:
        name = jpki_pcscd.wait_for_card(0)
        transport = PcscTransport(name)
        assert transport.transmit(bytes.fromhex("00A4040C00")) == b"\x90\x00"
        bridge.disconnect()
        with pytest.raises(CardRemovedError) as info:
            transport.transmit(bytes.fromhex("00A4040C00"))
        assert info.value.code == 0x80100069  # type: ignore[attr-defined]
        transport.close()
        jpki_pcscd.wait_for_no_card(0)
        with pytest.raises(NoCardError):
            PcscTransport(name)
    finally:
        bridge.stop()
        jpki_pcscd.wait_for_no_card(0)


def test_empty_slot_is_no_card(jpki_pcscd: PcscdInstance) -> None:
    with pytest.raises(NoCardError):
        PcscTransport("Virtual PCD 00 01")


def test_exclusive_holder_makes_others_busy(serve_card) -> None:
    name = serve_card(EchoCard())
    holder = PcscTransport(name, exclusive=True)
    try:
        with pytest.raises(ReaderBusyError):
            PcscTransport(name)
    finally:
        holder.close()
    with PcscTransport(name) as again:
        assert again.atr == ATR


def test_wait_for_card_returns_when_inserted(jpki_pcscd: PcscdInstance) -> None:
    from jpki.emulator.vpcd import VpcdBridge

    bridge = VpcdBridge(EchoCard(), jpki_pcscd.port)
    timer = threading.Timer(0.5, bridge.start)
    timer.start()
    try:
        t0 = time.monotonic()
        assert pcsc.wait_for_card(None, 10) == "Virtual PCD 00 00"
        assert time.monotonic() - t0 >= 0.4
    finally:
        timer.join()
        bridge.stop()
        jpki_pcscd.wait_for_no_card(0)


def test_wait_for_card_times_out(jpki_pcscd: PcscdInstance) -> None:
    with pytest.raises(NoCardError):
        pcsc.wait_for_card("Virtual PCD 00 01", 0.3)


def test_wait_for_card_wakes_up_when_the_card_comes(jpki_pcscd: PcscdInstance) -> None:
    from jpki.emulator.vpcd import VpcdBridge

    bridge = VpcdBridge(EchoCard(), jpki_pcscd.port)
    inserted: list[float] = []
    told: list[float] = []

    def insert() -> None:
        inserted.append(time.monotonic())
        bridge.start()

    timer = threading.Timer(0.5, insert)
    t0 = time.monotonic()
    timer.start()
    try:
        name = pcsc.wait_for_card(None, 10, lambda: told.append(time.monotonic()))
        returned = time.monotonic()
    finally:
        timer.join()
        bridge.stop()
        jpki_pcscd.wait_for_no_card(0)
    assert name == "Virtual PCD 00 00"
    assert inserted and inserted[0] - t0 >= 0.4
    latency = returned - inserted[0]
    print(f"wait_for_card returned {latency:.3f} s after the insertion")
    assert latency < 1.0  # pcscd woke the blocking call; no 1 s slice was waited out
    assert len(told) == 1 and told[0] - t0 < 0.3  # on_wait once, at the first look


def test_wait_for_card_times_out_after_its_timeout(jpki_pcscd: PcscdInstance) -> None:
    told: list[bool] = []
    t0 = time.monotonic()
    with pytest.raises(NoCardError, match=r"within 1\.5 s"):
        pcsc.wait_for_card("Virtual PCD 00 01", 1.5, lambda: told.append(True))
    elapsed = time.monotonic() - t0
    assert 1.5 <= elapsed < 2.2
    assert told == [True]
    with pytest.raises(NoCardError):  # a reader that is not there: waited for, in vain
        pcsc.wait_for_card("No Such Reader 00 00", 0.3)


def test_wait_for_card_blocks_in_one_context(
    jpki_pcscd: PcscdInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = {"SCardEstablishContext": 0, "SCardGetStatusChange": 0, "SCardListReaders": 0}

    def counting(name: str):  # type: ignore[no-untyped-def]
        real = getattr(pcsc.sc, name)

        def wrapper(*args):  # type: ignore[no-untyped-def]
            calls[name] += 1
            return real(*args)

        return wrapper

    for name in calls:
        monkeypatch.setattr(pcsc.sc, name, counting(name))
    t0 = time.monotonic()
    with pytest.raises(NoCardError):
        pcsc.wait_for_card("Virtual PCD 00 01", 2.0)
    assert time.monotonic() - t0 >= 2.0
    assert calls["SCardEstablishContext"] in (1, 2)  # was one per 0.2 s poll
    # the first look, then blocking calls of at most 1 s (and a re-list after each)
    assert calls["SCardGetStatusChange"] <= 5
    assert calls["SCardListReaders"] <= 5


WAIT_CHILD = """
from apdu import pcsc, ServiceUnavailableError
try:
    pcsc.wait_for_card(None, 20, lambda: print("waiting", flush=True))
    print("card")
except ServiceUnavailableError as exc:
    print("service-unavailable", hex(exc.code))
"""


def test_pcscd_stopping_during_the_wait_is_service_unavailable(jpki_pcscd: PcscdInstance) -> None:
    import os

    with another_pcscd() as other:
        proc = subprocess.Popen(
            [sys.executable, "-c", WAIT_CHILD],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **other.env},
        )
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "waiting"
        time.sleep(0.3)  # inside the blocking SCardGetStatusChange
        other.stop()
    t0 = time.monotonic()
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert out.split()[0] == "service-unavailable", out
    assert time.monotonic() - t0 < 5  # not the 20 s timeout


def test_select_reader() -> None:
    readers = ["ACS ACR39U 00 00", "Virtual PCD 00 00", "Virtual PCD 00 01"]
    assert pcsc.select_reader("1", readers) == "Virtual PCD 00 00"
    assert pcsc.select_reader("acr39", readers) == "ACS ACR39U 00 00"
    assert pcsc.select_reader("virtual pcd 00 01", readers) == "Virtual PCD 00 01"
    with pytest.raises(AmbiguousReaderError) as info:
        pcsc.select_reader("virtual", readers)
    assert info.value.matches == readers[1:]
    with pytest.raises(NoReaderError):
        pcsc.select_reader("gemalto", readers)
    with pytest.raises(NoReaderError):
        pcsc.select_reader("7", readers)
    with pytest.raises(NoReaderError):
        pcsc.select_reader(None, [])


CHILD = """
import sys
from apdu import pcsc, ServiceUnavailableError, NoReaderError
try:
    names = pcsc.list_readers()
    print("readers", len(names))
    pcsc.select_reader(None, names)
except ServiceUnavailableError:
    print("service-unavailable")
except NoReaderError:
    print("no-reader")
"""


def _child(env: dict[str, str]) -> str:
    import os

    full = {**os.environ, **env}
    proc = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, env=full, timeout=30
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.split()[-1] if proc.stdout.strip() else proc.stdout


def test_pcscd_not_running_is_service_unavailable(tmp_path) -> None:
    out = _child({"PCSCLITE_CSOCK_NAME": str(tmp_path / "nothing-here")})
    assert out == "service-unavailable"


def test_pcscd_without_readers_is_no_reader(jpki_pcscd: PcscdInstance) -> None:
    with another_pcscd(readers=False) as empty:
        proc_out = _child(empty.env)
        from cli_runner import jpkitool

        waited = jpkitool("--lang", "en", "--wait", "0.5", "retries", env=empty.env)
    assert proc_out == "no-reader"
    # waiting for a card where there is no reader says there is no reader
    assert waited.code == 5 and "no smart-card reader found" in waited.err, waited.err


def test_a_power_cycle_unpowers_the_card_and_keeps_working(serve_card) -> None:
    card = EchoCard()
    name = serve_card(card)
    with PcscTransport(name) as transport, transport.transaction():
        assert transport.transmit(bytes.fromhex("00A4040C00")) == b"\x90\x00"
        before, off, resets = card.powered, card.unpowered, card.resets
        transport.power_cycle()  # inside the transaction: pcsc-lite keeps it
        # vpcd passed power off and on (not a warm reset) on to the card
        assert (card.powered > before, card.unpowered > off, card.resets) == (True, True, resets)
        assert transport.atr == ATR
        assert transport.transmit(bytes.fromhex("00A4040C00")) == b"\x90\x00"
    # closed: a second close does nothing, a transmit is a typed error
    transport.close()
    with pytest.raises(TransportError):
        transport.transmit(bytes.fromhex("00A4040C00"))
