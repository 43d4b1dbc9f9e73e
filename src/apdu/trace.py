"""A readable APDU trace, secrets redacted as in recordings.

One line per command and one per response::

    > 00 20 00 80 04 XX XX XX XX
    < 63 C2  (63C2: verification failed, 2 tries left)  4.1 ms

An error of the inner transport is shown as ``! <error>`` and re-raised.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from .redact import redact_command
from .status import describe
from .transport import BaseTransport, TransportWrapper


def spaced(text: str) -> str:
    """Hex text grouped by byte: ``"9000"`` -> ``"90 00"``."""
    return " ".join(text[i : i + 2] for i in range(0, len(text), 2))


def format_command(apdu: bytes, secret: bool = False) -> str:
    """The trace line of a command (without newline)."""
    return "> " + spaced(redact_command(apdu, secret)[0])


def format_response(response: bytes, ms: float, hidden: bool = False) -> str:
    """The trace line of a response (without newline); ``hidden``: personal data, whose
    length alone is shown."""
    text = spaced(response.hex().upper())
    if hidden and len(response) > 2:
        status = spaced(response[-2:].hex().upper())
        text = f"<{len(response) - 2} bytes of personal data hidden> {status}"
    if len(response) < 2:
        return f"< {text}  (malformed: shorter than a status word)  {ms:.1f} ms"
    sw = int.from_bytes(response[-2:], "big")
    return f"< {text}  ({sw:04X}: {describe(sw)})  {ms:.1f} ms"


class TracingTransport(TransportWrapper):
    """Forwards to ``inner`` and writes each exchange to ``stream`` (default: stderr)."""

    def __init__(self, inner: BaseTransport, stream: TextIO | None = None) -> None:
        super().__init__(inner)
        self._stream = stream

    def _emit(self, line: str) -> None:
        stream = self._stream if self._stream is not None else sys.stderr
        stream.write(line + "\n")
        stream.flush()

    def transmit(self, apdu: bytes, *, secret: bool = False) -> bytes:
        apdu = bytes(apdu)
        self._emit(format_command(apdu, secret))
        start = time.perf_counter()
        try:
            response = bytes(self.inner.transmit(apdu, secret=secret))
        except Exception as exc:
            self._emit(f"! {type(exc).__name__}: {exc}")
            raise
        self._emit(format_response(response, (time.perf_counter() - start) * 1000, self.hiding))
        return response
