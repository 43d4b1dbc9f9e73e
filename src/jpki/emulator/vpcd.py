"""The bridge between a virtual card and pcscd's ``vpcd`` reader driver.

vsmartcard's vpcd driver listens on a TCP port; the card connects to it. Wire
format (seen on vsmartcard-vpcd 3.3 with pcsc-lite 1.9.9): a 2-byte big-endian
length, then the payload. A 1-byte payload is a control — ``00`` power off,
``01`` power on, ``02`` reset, ``04`` get ATR (answered with the ATR) — anything
longer is a command APDU, answered with the response APDU. Closing the socket
is what pcscd sees as the card being removed; a card's ``process`` does that by
raising :class:`CardPulled` (the test kit's fault injection, ``pytest_jpkitool.faults``),
and :meth:`VpcdBridge.disconnect` too: the card then stays out until the bridge stops.

vpcd talks to one card per port: a second connection to a port already served is
accepted (by TCP, into the listen backlog) but vpcd sends it nothing until the
first card leaves. So a card is served only once vpcd has sent its first bytes (it
asks for the ATR as soon as pcscd polls the reader), not once the TCP connection
is made.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
import struct
import threading
from collections.abc import Callable
from typing import Literal, Protocol

log = logging.getLogger(__name__)

POWER_OFF, POWER_ON, RESET, GET_ATR = 0x00, 0x01, 0x02, 0x04
#: The controls that only tell the card something, and the card's method for each.
CONTROLS = {POWER_OFF: "power_off", POWER_ON: "power_on", RESET: "warm_reset"}


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
    drops the connection without answering and the card stays out."""


#: What :class:`VpcdBridge` reports: ``waiting`` (vpcd cannot be reached, or has not
#: spoken within :attr:`VpcdBridge.quiet` seconds of the connection; said once until
#: connected) and ``connected`` (vpcd sent its first bytes: the card is served).
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


def _send(sock: socket.socket, payload: bytes) -> None:
    sock.sendall(struct.pack(">H", len(payload)) + payload)


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
        self.on_event = on_event or (lambda event: None)
        self._sock: socket.socket | None = None
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        #: The card was taken out (:meth:`disconnect`, :class:`CardPulled`): no reconnecting.
        self._out = threading.Event()
        self._waiting_said = False
        #: Seconds a new connection may stay silent before ``waiting`` is reported
        #: (pcscd polls a vpcd reader every 0.4 s, and vpcd asks for the ATR at once).
        self.quiet = 2.0
        #: What the card raised that stopped serving (see the class docstring).
        self.failure: Exception | None = None

    # -- one connection -------------------------------------------------------

    def _serve_connection(self, sock: socket.socket) -> None:
        heard = _peek(sock, self.quiet)  # vpcd speaks first, at once if it serves this card
        if heard is None:
            self._say_waiting("connected, but vpcd is silent (another card on this port?)")
            heard = _peek(sock, None)
        if not heard:  # the connection ended first (vpcd went away, or the bridge stopped)
            return
        self._waiting_said = False
        log.info("vpcd at %s:%d is talking to the card", self.host, self.port)
        self.on_event("connected")
        self._connected.set()
        while not self._stop.is_set():
            head = _recv_exact(sock, 2)
            if head is None:
                return
            (length,) = struct.unpack(">H", head)
            payload = _recv_exact(sock, length)
            if payload is None:
                return
            if length == 1:
                if payload[0] == GET_ATR:
                    _send(sock, self.card.atr)
                elif payload[0] in CONTROLS:
                    getattr(self.card, CONTROLS[payload[0]])()
                continue
            try:
                response = self.card.process(payload)
            except CardPulled:
                log.info("card pulled out mid-exchange")
                self._out.set()
                return
            _send(sock, response)

    # -- the serving loop -----------------------------------------------------

    def serve_forever(self) -> None:
        """Serve until stopped, reconnecting (with backoff) when pcscd goes away, or
        until the card fails (:attr:`failure`)."""
        delay = 0.05
        while not self._stop.is_set() and not self._out.is_set():
            try:
                sock = socket.create_connection((self.host, self.port), timeout=1.0)
            except OSError:
                self._say_waiting("cannot connect")
                self._stop.wait(delay)
                delay = min(delay * 2, 2.0)
                continue
            delay = 0.05
            sock.settimeout(None)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            log.info("connected to vpcd at %s:%d", self.host, self.port)
            with self._lock:
                self._sock = sock
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

    def _say_waiting(self, why: str) -> None:
        """Report ``waiting``, once until vpcd talks to the card."""
        if not self._waiting_said:
            self._waiting_said = True
            log.info("waiting for pcscd's vpcd at %s:%d: %s", self.host, self.port, why)
            self.on_event("waiting")

    # -- control from tests ---------------------------------------------------

    def _spawn(self) -> None:
        self._thread = threading.Thread(target=self.serve_forever, daemon=True, name="vpcd")
        self._thread.start()

    def start(self, timeout: float = 10.0) -> VpcdBridge:
        """Serve in a daemon thread; return once vpcd has spoken to the card."""
        self._spawn()
        if not self._connected.wait(timeout):
            self.stop()
            raise BridgeError(f"no vpcd listening at {self.host}:{self.port} after {timeout} s")
        return self

    def _end(self, flag: threading.Event) -> None:
        flag.set()
        with self._lock:
            if self._sock is not None:
                with contextlib.suppress(OSError):
                    self._sock.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(5)

    def disconnect(self) -> None:
        """Take the card out (close the socket) for good, and let :meth:`start`'s thread end."""
        self._end(self._out)

    def stop(self) -> None:
        self._end(self._stop)
        self._thread = None


def _peek(sock: socket.socket, timeout: float | None) -> bool | None:
    """Whether bytes came (True) or the connection ended (False) within ``timeout``
    seconds (None: no limit); None if neither did."""
    sock.settimeout(timeout)
    try:
        return bool(sock.recv(1, socket.MSG_PEEK))
    except (TimeoutError, BlockingIOError):  # (a timeout of 0: non-blocking)
        return None
    finally:
        sock.settimeout(None)


def serve(
    card: Card,
    port: int,
    host: str = "127.0.0.1",
    on_event: Callable[[BridgeEvent], None] | None = None,
) -> None:
    """Serve ``card`` until SIGINT or SIGTERM (the ``emulator serve`` command),
    reconnecting whenever vpcd goes away; ``on_event`` hears of it (:data:`BridgeEvent`).
    What the card raised that stopped serving (:attr:`VpcdBridge.failure`) is raised."""
    bridge = VpcdBridge(card, port, host, on_event)
    stop = bridge._stop
    previous = {s: signal.signal(s, lambda *_: stop.set()) for s in (signal.SIGINT, signal.SIGTERM)}
    bridge._spawn()
    try:
        while not stop.wait(0.2):  # (a signal is handled here, in the main thread)
            pass
    finally:
        bridge.stop()
        for s, h in previous.items():
            signal.signal(s, h)
    if bridge.failure is not None:
        raise bridge.failure
