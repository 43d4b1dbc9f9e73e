"""The vpcd bridge says "connected" (``emulator serve``: "Serving") only once vpcd
has spoken, and says it waits until then.

vpcd serves one card per port: a second connection to a port already served is
accepted by TCP (it sits in the listen backlog) but vpcd never sends it anything.
A fake vpcd (:mod:`fake_vpcd`) plays both: the test decides when it speaks. Every
step waits for an event or a line, never for time to pass.
"""

from __future__ import annotations

import queue
import signal
import threading
from collections.abc import Iterator

import pytest

from cli_runner import StderrLines, serve_process
from fake_vpcd import PATIENCE, FakeVpcd
from jpki.emulator import CardState, VirtualCard
from jpki.emulator.vpcd import BridgeEvent, VpcdBridge


class Bridge:
    """A bridge serving the default card in a thread, its events in a queue."""

    def __init__(self, port: int, quiet: float = 0) -> None:
        """``quiet`` 0: "waiting" at once on a connection vpcd has not spoken on."""
        self.events: queue.Queue[BridgeEvent] = queue.Queue()
        self.bridge = VpcdBridge(VirtualCard(CardState()), port, on_event=self.events.put)
        self.bridge.quiet = quiet
        self.thread = threading.Thread(target=self.bridge.serve_forever, daemon=True)
        self.thread.start()

    def next_event(self) -> BridgeEvent:
        return self.events.get(timeout=PATIENCE)

    def no_event(self) -> bool:
        return self.events.empty()

    def stop(self) -> None:
        self.bridge.stop()  # (serve_forever ran in our thread: joined here)
        self.thread.join(PATIENCE)


@pytest.fixture
def fake() -> Iterator[FakeVpcd]:
    with FakeVpcd() as vpcd:
        yield vpcd


def test_connected_is_reported_only_once_vpcd_sends_its_first_byte(fake: FakeVpcd) -> None:
    bridge = Bridge(fake.port)
    try:
        fake.accept()  # TCP connected: vpcd has not said a word yet
        assert bridge.next_event() == "waiting"
        assert bridge.no_event()  # not "connected": nothing came from vpcd
        assert fake.atr() == VirtualCard(CardState()).atr
        assert bridge.next_event() == "connected"
    finally:
        bridge.stop()


def test_a_second_card_on_a_port_already_served_waits_until_the_first_leaves(
    fake: FakeVpcd,
) -> None:
    first = Bridge(fake.port, quiet=PATIENCE)  # (it never needs to say "waiting")
    second: Bridge | None = None
    try:
        fake.accept()
        fake.atr()
        assert first.next_event() == "connected"
        # vpcd serves one card per port: the second connection waits in the backlog.
        second = Bridge(fake.port)
        assert second.next_event() == "waiting"
        assert second.no_event()
        first.stop()
        assert fake.closed_by_card()
        fake.close_connection()
        fake.accept()  # vpcd takes the next connection once the first is gone
        fake.atr()
        assert second.next_event() == "connected"
    finally:
        first.stop()
        if second is not None:
            second.stop()


def test_start_returns_only_once_vpcd_has_spoken(fake: FakeVpcd) -> None:
    bridge = VpcdBridge(VirtualCard(CardState()), fake.port)
    started = threading.Event()

    def start() -> None:
        bridge.start(timeout=PATIENCE)
        started.set()

    thread = threading.Thread(target=start, daemon=True)
    thread.start()
    try:
        fake.accept()
        assert not started.is_set()  # connected by TCP only: start() still waits
        fake.atr()
        assert started.wait(PATIENCE)
    finally:
        bridge.stop()
        thread.join(PATIENCE)


# -- emulator serve, as a user runs it -------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "waiting", "serving"),
    [
        ("en", "Waiting for pcscd's vpcd at", "Serving"),
        ("ja", "vpcd を待っています", "カードを提供しています"),
    ],
)
def test_serve_says_waiting_on_a_silent_vpcd_and_serving_only_once_it_speaks(
    fake: FakeVpcd, lang: str, waiting: str, serving: str
) -> None:
    proc = serve_process(fake.port, lang=lang)
    lines = StderrLines(proc)
    try:
        fake.accept()
        first = lines.next()
        assert waiting in first and f"127.0.0.1:{fake.port}" in first, first
        assert serving not in first
        fake.atr()
        assert serving in lines.next()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(PATIENCE)
    assert proc.returncode == 0
