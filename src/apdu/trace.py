"""A readable APDU trace, secrets redacted as in recordings.

One line per command and one per response::

    > 00 20 00 80 04 XX XX XX XX
    < 63 C2  (63C2: verification failed, 2 tries left)  4.1 ms

Personal response data is never shown: a response the caller marks personal
(``transmit(..., personal=True)``), or whose data a card's rule (``personal``:
:class:`apdu.redact.PersonalRule`) calls personal in full, as ``<n bytes of personal
data hidden>``; the bytes the rule calls personal in a response of which it keeps the
rest, as ``XX`` each::

    < 01 1C XX XX ... XX 32 30 33 34 30 34 31 30 90 00  (9000: normal processing)  0.2 ms

An error of the inner transport is shown as ``! <error>`` and re-raised.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from typing import TextIO

from .redact import (
    PersonalRule,
    ResponseRedactor,
    Span,
    all_data,
    clean_spans,
    hide_response,
    redact_command,
)
from .status import describe
from .transport import BaseTransport, TransportWrapper


def spaced(text: str) -> str:
    """Hex text grouped by byte: ``"9000"`` -> ``"90 00"``."""
    return " ".join(text[i : i + 2] for i in range(0, len(text), 2))


def format_command(apdu: bytes, secret: bool = False) -> str:
    """The trace line of a command (without newline)."""
    return "> " + spaced(redact_command(apdu, secret)[0])


def format_response(
    response: bytes, ms: float, hidden: bool = False, spans: Sequence[Span] = ()
) -> str:
    """The trace line of a response (without newline); ``hidden``: personal data, whose
    length alone is shown; ``spans``: personal bytes of the data, shown as ``XX``."""
    text = spaced(hide_response(response, spans))
    whole = all_data(response)
    if (hidden or clean_spans(spans, len(response) - 2) == whole) and whole:
        status = spaced(response[-2:].hex().upper())
        text = f"<{len(response) - 2} bytes of personal data hidden> {status}"
    if len(response) < 2:
        return f"< {text}  (malformed: shorter than a status word)  {ms:.1f} ms"
    sw = int.from_bytes(response[-2:], "big")
    return f"< {text}  ({sw:04X}: {describe(sw)})  {ms:.1f} ms"


class TracingTransport(TransportWrapper):
    """Forwards to ``inner`` and writes each exchange to ``stream`` (default: stderr)."""

    def __init__(
        self,
        inner: BaseTransport,
        stream: TextIO | None = None,
        *,
        personal: PersonalRule | None = None,
    ) -> None:
        super().__init__(inner)
        self._stream = stream
        self._redactor = None if personal is None else ResponseRedactor(personal)

    def _emit(self, line: str) -> None:
        stream = self._stream if self._stream is not None else sys.stderr
        stream.write(line + "\n")
        stream.flush()

    def transmit(self, apdu: bytes, *, secret: bool = False, personal: bool = False) -> bytes:
        apdu = bytes(apdu)
        self._emit(format_command(apdu, secret))
        start = time.perf_counter()
        try:
            response = bytes(self.inner.transmit(apdu, secret=secret, personal=personal))
        except Exception as exc:
            self._emit(f"! {type(exc).__name__}: {exc}")
            raise
        spans = self._redactor.hidden(apdu, response) if self._redactor is not None else ()
        ms = (time.perf_counter() - start) * 1000
        self._emit(format_response(response, ms, personal, spans))
        return response

    def power_cycle(self, *, warm: bool = False) -> None:
        if self._redactor is not None:
            self._redactor.forget()
        self._emit("~ warm reset" if warm else "~ power removed and restored")
        try:
            self.inner.power_cycle(warm=warm)
        except Exception as exc:
            self._emit(f"! {type(exc).__name__}: {exc}")
            raise
