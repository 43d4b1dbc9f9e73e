"""The bridge between a virtual card and pcscd's ``vpcd`` reader driver.

vsmartcard's vpcd driver listens on a TCP port; the card connects to it. Wire
format (seen on vsmartcard-vpcd 3.3 with pcsc-lite 1.9.9): a 2-byte big-endian
length, then the payload. A 1-byte payload is a control — ``00`` power off,
``01`` power on, ``02`` reset, ``04`` get ATR (answered with the ATR) — anything
longer is a command APDU, answered with the response APDU. Closing the socket
is what pcscd sees as the card being removed; a card's ``process`` does that by
raising :class:`CardPulled` (fault injection, :mod:`jpki.emulator.faults`).
"""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
import struct
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Literal, Protocol

log = logging.getLogger(__name__)

POWER_OFF, POWER_ON, RESET, GET_ATR = 0x00, 0x01, 0x02, 0x04


class Card(Protocol):
    """What the bridge needs of a card."""

    @property
    def atr(self) -> bytes: ...

    def power_on(self) -> None: ...

    def power_off(self) -> None: ...

    def warm_reset(self) -> None: ...

    def process(self, apdu: bytes) -> bytes: ...


class BridgeError(Exception):
    """The bridge could not reach pcscd's vpcd port in time."""


class CardPulled(Exception):
    """Raised by a card's ``process`` to take the card out mid-exchange: the bridge
    drops the connection without answering and stays out until :meth:`VpcdBridge.connect`."""


#: What :class:`VpcdBridge` reports: ``waiting`` (vpcd cannot be reached; said once
#: until it connects) and ``connected``.
BridgeEvent = Literal["waiting", "connected"]


def _recv_exact(sock: socket.socket, n: int) -> bytes | None:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
        _quick_ack(sock)
    return bytes(buf)


def _quick_ack(sock: socket.socket) -> None:
    """Acknowledge at once (Linux resets TCP_QUICKACK after each receive).

    vpcd writes the length and the APDU as two segments; with a delayed ACK the
    second waits about 40 ms for it (seen with vsmartcard-vpcd 3.3).
    """
    quickack = getattr(socket, "TCP_QUICKACK", None)
    if quickack is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, quickack, 1)


class VpcdBridge:
    """Serves ``card`` on pcscd's vpcd port; ``card`` may be replaced at any time.

    If the card's ``process`` raises anything but :class:`CardPulled` (its state
    could not be saved), the command is not answered, the connection is closed and
    serving stops; the error is kept in :attr:`failure` (:func:`serve` raises it).
    """

    def __init__(
        self,
        card: Card,
        port: int,
        host: str = "127.0.0.1",
        on_event: Callable[[BridgeEvent], None] | None = None,
    ) -> None:
        self.card = card
        self.port = port
        self.host = host
        self.on_event = on_event
        self._sock: socket.socket | None = None
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._paused = _Flag()
        #: What the card raised that stopped serving (see the class docstring).
        self.failure: Exception | None = None

    # -- one connection -------------------------------------------------------

    def _serve_connection(self, sock: socket.socket) -> None:
        while not self._stop.is_set():
            head = _recv_exact(sock, 2)
            if head is None:
                return
            (length,) = struct.unpack(">H", head)
            payload = _recv_exact(sock, length)
            if payload is None:
                return
            if length == 1:
                control = payload[0]
                if control == POWER_ON:
                    self.card.power_on()
                elif control == POWER_OFF:
                    self.card.power_off()
                elif control == RESET:
                    self.card.warm_reset()
                elif control == GET_ATR:
                    atr = self.card.atr
                    sock.sendall(struct.pack(">H", len(atr)) + atr)
                continue
            try:
                response = self.card.process(payload)
            except CardPulled:
                log.info("card pulled out mid-exchange")
                self._paused.set()
                return
            sock.sendall(struct.pack(">H", len(response)) + response)

    def _connect(self) -> socket.socket | None:
        try:
            sock = socket.create_connection((self.host, self.port), timeout=1.0)
        except OSError:
            return None
        sock.settimeout(None)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    # -- the serving loop -----------------------------------------------------

    def serve_forever(self, stop: threading.Event | None = None) -> None:
        """Serve until stopped, reconnecting (with backoff) when pcscd goes away, or
        until the card fails (:attr:`failure`)."""
        if stop is not None:
            self._stop = stop
        delay = 0.05
        waiting_said = False
        while not self._stop.is_set():
            sock = self._connect()
            if sock is None:
                if not waiting_said:
                    log.info("waiting for pcscd's vpcd at %s:%d", self.host, self.port)
                    self._report("waiting")
                    waiting_said = True
                self._stop.wait(delay)
                delay = min(delay * 2, 2.0)
                continue
            delay, waiting_said = 0.05, False
            log.info("connected to vpcd at %s:%d", self.host, self.port)
            self._report("connected")
            with self._lock:
                self._sock = sock
            self._connected.set()
            try:
                self._serve_connection(sock)
            except OSError as exc:
                log.info("vpcd connection lost: %s", exc)
            except Exception as exc:  # the card failed: not answered, and serving ends
                log.info("the card failed, serving stops: %r", exc)
                self.failure = exc
                self._stop.set()
            finally:
                self._connected.clear()
                with self._lock:
                    self._sock = None
                sock.close()
            if self._paused.is_set():
                self._paused.wait_clear(self._stop)

    def _report(self, event: BridgeEvent) -> None:
        if self.on_event is not None:
            self.on_event(event)

    # -- control from tests ---------------------------------------------------

    def start(self, timeout: float = 10.0) -> VpcdBridge:
        """Serve in a daemon thread; return once connected to vpcd."""
        self._stop.clear()
        self._thread = threading.Thread(target=self.serve_forever, daemon=True, name="vpcd")
        self._thread.start()
        if not self._connected.wait(timeout):
            self.stop()
            raise BridgeError(f"no vpcd listening at {self.host}:{self.port} after {timeout} s")
        return self

    def _close_socket(self) -> None:
        with self._lock:
            if self._sock is not None:
                with contextlib.suppress(OSError):
                    self._sock.shutdown(socket.SHUT_RDWR)

    def disconnect(self) -> None:
        """Take the card out (close the socket) and stay out until :meth:`connect`."""
        self._paused.set()
        self._close_socket()
        deadline = time.monotonic() + 5
        while self._connected.is_set() and time.monotonic() < deadline:
            time.sleep(0.01)

    def connect(self, timeout: float = 10.0) -> None:
        """Put the card back in after :meth:`disconnect`."""
        self._paused.clear()
        if not self._connected.wait(timeout):
            raise BridgeError(f"could not reconnect to vpcd at {self.host}:{self.port}")

    def stop(self) -> None:
        self._stop.set()
        self._paused.clear()
        self._close_socket()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None


class _Flag:
    """A settable flag that can be waited on until cleared."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._set = False

    def set(self) -> None:
        with self._cond:
            self._set = True

    def clear(self) -> None:
        with self._cond:
            self._set = False
            self._cond.notify_all()

    def is_set(self) -> bool:
        return self._set

    def wait_clear(self, stop: threading.Event) -> None:
        with self._cond:
            while self._set and not stop.is_set():
                self._cond.wait(0.1)


def serve(
    card: Card,
    port: int,
    host: str = "127.0.0.1",
    on_event: Callable[[BridgeEvent], None] | None = None,
) -> None:
    """Serve ``card`` until SIGINT or SIGTERM (the ``emulator serve`` command),
    reconnecting whenever vpcd goes away; ``on_event`` hears of it (:data:`BridgeEvent`).
    What the card raised that stopped serving (:attr:`VpcdBridge.failure`) is raised."""
    stop = threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    bridge = VpcdBridge(card, port, host, on_event)
    thread = threading.Thread(target=bridge.serve_forever, args=(stop,), daemon=True)
    thread.start()
    try:
        while not stop.wait(0.2):
            pass
    finally:
        bridge._close_socket()
        thread.join(5)
        for s, h in previous.items():
            signal.signal(s, h)
    if bridge.failure is not None:
        raise bridge.failure
