"""Recording a card session to a JSON Lines file, secrets redacted.

The file holds a header line, then one line per exchange::

    {"format": "jpkitool-session", "version": 1, "tool": "...", "created": "...Z",
     "reader": "...", "atr": "3B...", "redacted": [...], "origin": null,
     "personal": false}
    {"i": 0, "command": "00A4040C0A...", "response": "9000", "ms": 12.3}
    {"i": 1, "power": "cycle", "ms": 80.2}

``"power": "cycle"`` marks a power cycle between two exchanges, ``"reset"`` a warm
reset (:meth:`apdu.BaseTransport.power_cycle`). An exchange the reader failed with
one of :data:`apdu.errors.FAULTS` is written with ``"fault": "card-removed"`` (and
the error's ``code`` and ``timeout`` when it carried them) instead of a response,
and a replay raises it again there; other transport errors are not written.

Command data fields are hidden as ``XX`` by the rule of :mod:`apdu.redact`; so is
personal response data (marked ``transmit(..., personal=True)``, or called personal
by the card's :class:`apdu.redact.PersonalRule`), one ``XX`` per byte before the
status word, which a replay answers as :data:`apdu.redact.FILLER`. The header's
``redacted`` lists what is hidden; with ``keep_personal`` responses are written as
they came (``"personal": true``). Other responses may still hold data about the
card, so the file is created readable by its owner only; each line is flushed at
once, so a crash leaves all completed exchanges readable. Where the file may be is
:func:`apdu.outfile.check`'s rule. A recording that cannot be written is removed,
so that nothing half-written blocks the next run; one that ends with any other
error is kept.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from datetime import UTC, datetime
from typing import IO, Any

from .errors import TransportError, fault_code
from .outfile import cannot_write, open_lines
from .redact import (
    HIDDEN_RESPONSES,
    REDACTED_COMMANDS,
    PersonalRule,
    ResponseRedactor,
    Span,
    all_data,
    hide_response,
    redact_command,
)
from .transport import BaseTransport, TransportWrapper

#: ``format`` value of a session file's header: the format's name, in every file
#: recorded (``jpkitool`` is the program that defined it).
SESSION_FORMAT = "jpkitool-session"
#: Session file version written, and the only one read.
SESSION_VERSION = 1


class RecordingTransport(TransportWrapper):
    """Forwards to ``inner`` and writes every exchange to the session file ``path``
    (module docstring). ``origin``: the header's (``"emulator"`` for a virtual card,
    ``None`` for a real reader); ``overwrite``: an existing regular file is replaced;
    ``personal``: the card's rule of which response bytes are personal;
    ``keep_personal``: hide none."""

    def __init__(
        self,
        inner: BaseTransport,
        path: str | os.PathLike[str],
        *,
        tool_version: str = "",
        origin: str | None = None,
        overwrite: bool = False,
        personal: PersonalRule | None = None,
        keep_personal: bool = False,
    ) -> None:
        super().__init__(inner)
        self.path = os.fspath(path)
        self.keep_personal = keep_personal
        self._redactor = None if personal is None or keep_personal else ResponseRedactor(personal)
        redacted = list(REDACTED_COMMANDS)
        if not keep_personal:
            redacted.append(HIDDEN_RESPONSES)
            redacted += personal.description if personal is not None else ()
        self._index = 0
        self._closed = False
        self._failure: OSError | None = None
        self._file: IO[str]
        self._file, self._started = open_lines(self.path, overwrite=overwrite)
        self.header: dict[str, Any] = {
            "format": SESSION_FORMAT,
            "version": SESSION_VERSION,
            "tool": tool_version,
            "created": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "reader": inner.name,
            "atr": inner.atr.hex().upper(),
            "redacted": redacted,
            "origin": origin,
            "personal": keep_personal,
        }
        try:
            self._write(self.header)
        except BaseException:
            self._give_up()
            raise
        if self._failure is not None:  # nothing reached the card yet: stop here
            self.inner.close()
            raise cannot_write(self.path, self._failure)

    def _give_up(self) -> None:
        """Close the file and remove what was started of it (not a stream)."""
        with contextlib.suppress(OSError):
            self._file.close()
        if self._started is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._started)
            self._started = None

    @property
    def count(self) -> int:
        """Number of exchanges recorded so far."""
        return self._index

    def _write(self, obj: dict[str, Any]) -> None:
        """Write one line. A failure closes and removes the file, and the session goes
        on unrecorded: the exchange already reached the card, and what it did must
        still be told; :meth:`close` raises the failure (and so does the header's)."""
        if self._failure is not None:
            return
        try:
            self._file.write(json.dumps(obj, ensure_ascii=False) + "\n")
            self._file.flush()
        except OSError as exc:
            self._failure = exc
            self._give_up()

    def transmit(self, apdu: bytes, *, secret: bool = False, personal: bool = False) -> bytes:
        if self._closed:
            raise TransportError("the session recording is closed")
        apdu = bytes(apdu)
        command, _ = redact_command(apdu, secret)
        start = time.perf_counter()
        try:
            response = bytes(self.inner.transmit(apdu, secret=secret, personal=personal))
        except TransportError as exc:
            self._fault({"i": self._index, "command": command}, exc, start)
            raise
        answer = hide_response(response, self._hidden(apdu, response, personal))
        self._record({"i": self._index, "command": command, "response": answer}, start)
        return response

    def _hidden(self, apdu: bytes, response: bytes, personal: bool) -> tuple[Span, ...]:
        """The spans of the response's data to write as ``XX``."""
        if self.keep_personal:
            return ()
        # The rule follows every exchange, so what is selected stays known after a
        # response the caller marked personal.
        spans = self._redactor.hidden(apdu, response) if self._redactor is not None else ()
        return all_data(response) if personal else spans

    def power_cycle(self, *, warm: bool = False) -> None:
        """Reset the card and write its ``power`` line (module docstring)."""
        if self._closed:
            raise TransportError("the session recording is closed")
        if self._redactor is not None:
            self._redactor.forget()
        line: dict[str, Any] = {"i": self._index, "power": "reset" if warm else "cycle"}
        start = time.perf_counter()
        try:
            self.inner.power_cycle(warm=warm)
        except TransportError as exc:
            self._fault(line, exc, start)
            raise
        self._record(line, start)

    def _fault(self, line: dict[str, Any], exc: TransportError, start: float) -> None:
        """Write ``line`` with the fault ``exc`` is, when it is one of
        :data:`apdu.errors.FAULTS` (the card may be another one after it), with the
        error's ``code`` (pcscd stopped rather than not running) and ``timeout``."""
        fault = fault_code(exc)
        if fault is None:
            return
        if self._redactor is not None:
            self._redactor.forget()
        line["fault"] = fault
        self._record(line, start, code=exc.code, timeout=exc.timeout)

    def _record(self, line: dict[str, Any], start: float, **details: float | None) -> None:
        """Write ``line`` as the next one, with its milliseconds since ``start`` and the
        ``details`` that are not None."""
        line["ms"] = round((time.perf_counter() - start) * 1000, 1)
        line.update((key, value) for key, value in details.items() if value is not None)
        self._write(line)
        self._index += 1

    def close(self, *, unpower: bool = False) -> None:
        """Close the file, then ``inner``; a second call does nothing."""
        if self._closed:
            return
        self._closed = True
        try:
            if self._failure is None:
                self._file.close()
        except OSError as exc:
            self._failure = exc
            self._give_up()
        finally:
            self.inner.close(unpower=unpower)
        if self._failure is not None:
            raise cannot_write(self.path, self._failure)
