"""Recording a card session to a JSON Lines file, secrets redacted.

The file holds a header line, then one line per exchange::

    {"format": "jpkitool-session", "version": 1, "tool": "...", "created": "...Z",
     "reader": "...", "atr": "3B...", "redacted": [...], "origin": null}
    {"i": 0, "command": "00A4040C0A...", "response": "9000", "ms": 12.3}

Command data fields are hidden as ``XX`` by the rule of :mod:`apdu.redact`.
Responses are kept as they are, except those the caller marks personal (the sign
certificate: name, address), written as ``XX`` per byte and the status word; such a
session does not replay. Other responses may still hold data about the card, so the
file is created readable by its owner only. Every line is
flushed at once, so a crash leaves all completed exchanges readable.
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from typing import IO, Any

from .errors import SessionFileError, TransportError
from .redact import REDACTED, hidden_response, redact_command
from .transport import BaseTransport, TransportWrapper

#: ``format`` value of a session file's header.
SESSION_FORMAT = "jpkitool-session"
#: Session file version written, and the only one read.
SESSION_VERSION = 1


class RecordingTransport(TransportWrapper):
    """Forwards to ``inner`` and writes every exchange to the session file ``path``.

    ``origin`` marks where the session came from (``"emulator"`` for the virtual
    card; ``None`` for a real reader). Errors of ``inner`` propagate unrecorded.
    """

    def __init__(
        self,
        inner: BaseTransport,
        path: str | os.PathLike[str],
        *,
        tool_version: str = "",
        origin: str | None = None,
    ) -> None:
        super().__init__(inner)
        self.path = os.fspath(path)
        self._index = 0
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            self._file: IO[str] = open(fd, "w", encoding="utf-8", newline="\n")  # noqa: SIM115
        except OSError as exc:
            raise SessionFileError(self.path, None, f"cannot write: {exc.strerror}") from exc
        self.header: dict[str, Any] = {
            "format": SESSION_FORMAT,
            "version": SESSION_VERSION,
            "tool": tool_version,
            "created": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "reader": inner.name,
            "atr": inner.atr.hex().upper(),
            "redacted": list(REDACTED),
            "origin": origin,
        }
        try:
            self._write(self.header)
        except BaseException:
            self._file.close()
            raise

    @property
    def count(self) -> int:
        """Number of exchanges recorded so far."""
        return self._index

    def _write(self, obj: dict[str, Any]) -> None:
        try:
            self._file.write(json.dumps(obj) + "\n")
            self._file.flush()
        except OSError as exc:
            raise SessionFileError(self.path, None, f"cannot write: {exc.strerror}") from exc

    def transmit(self, apdu: bytes, *, secret: bool = False) -> bytes:
        if self._file.closed:
            raise TransportError("the session recording is closed")
        apdu = bytes(apdu)
        start = time.perf_counter()
        response = bytes(self.inner.transmit(apdu, secret=secret))
        ms = round((time.perf_counter() - start) * 1000, 1)
        command, _ = redact_command(apdu, secret)
        answer = hidden_response(response) if self.hiding else response.hex().upper()
        self._write({"i": self._index, "command": command, "response": answer, "ms": ms})
        self._index += 1
        return response

    def close(self) -> None:
        """Close the file, then ``inner``; a second call does nothing."""
        if self._file.closed:
            return
        try:
            self._file.close()
        finally:
            self.inner.close()
