"""A stand-in for pcscd's vpcd driver: a TCP server the test drives by hand.

vpcd listens and the card connects; vpcd then sends 2-byte big-endian lengths and
payloads (a 1-byte payload is a control: power off/on, reset, get ATR). Here the
test decides when (and whether) anything is sent, so a connection that vpcd
accepts but never talks to (a second card on a port already served) is just one
the test keeps silent. Every wait has a generous timeout and none is a measure.
"""

from __future__ import annotations

import socket
import struct

from jpki.emulator.vpcd import GET_ATR, POWER_ON

#: How long a step may take before the test gives up (a busy machine is slow, never this slow).
PATIENCE = 60.0


class FakeVpcd:
    """Listens on 127.0.0.1 (a free port); :meth:`accept` takes the card's connection."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(PATIENCE)
        self.port: int = self.server.getsockname()[1]
        self.conn: socket.socket | None = None

    def accept(self) -> FakeVpcd:
        conn, _ = self.server.accept()
        conn.settimeout(PATIENCE)
        self.conn = conn
        return self

    def _send(self, payload: bytes) -> None:
        assert self.conn is not None, "accept() first"
        self.conn.sendall(struct.pack(">H", len(payload)) + payload)

    def _receive(self) -> bytes:
        assert self.conn is not None, "accept() first"
        head = self._exact(2)
        return self._exact(struct.unpack(">H", head)[0])

    def _exact(self, n: int) -> bytes:
        assert self.conn is not None
        buf = b""
        while len(buf) < n:
            chunk = self.conn.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("the card closed the connection")
            buf += chunk
        return buf

    def atr(self) -> bytes:
        """Ask for the ATR, as vpcd does first when pcscd polls the reader."""
        self._send(bytes([GET_ATR]))
        return self._receive()

    def power_on(self) -> None:
        self._send(bytes([POWER_ON]))

    def transmit(self, apdu: bytes | str) -> bytes:
        """One command APDU; its response APDU."""
        self._send(bytes.fromhex(apdu) if isinstance(apdu, str) else apdu)
        return self._receive()

    def closed_by_card(self) -> bool:
        """Whether the card has closed the connection (waits for it)."""
        assert self.conn is not None
        try:
            return self.conn.recv(1) == b""
        except ConnectionResetError:
            return True

    def close_connection(self) -> None:
        """Drop the card's connection (the next :meth:`accept` takes another)."""
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def close(self) -> None:
        self.close_connection()
        self.server.close()

    def __enter__(self) -> FakeVpcd:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
