"""Reading the card's transparent EFs by READ BINARY: :class:`EfReader`, the part of
:class:`jpki.card.MyNumberCard` that reads files.

A free file's first bytes (:meth:`EfReader.read_small`), the proof read of one byte
(:meth:`EfReader.read_first_byte`) and a whole DER object of any length
(:meth:`EfReader.read_ef`). The session learns once whether the card takes the
short-EF-identifier form ``00 B0 (80|SFI) ...`` (:attr:`sfi`) and whether card and
reader carry an extended Le (:attr:`extended`): one extended READ BINARY when they do,
256-byte chunks by offset (P1-P2, up to ``7FFF``) when not.
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator

from apdu import (
    EXTENDED_MAX,
    INS,
    SHORT_MAX,
    SW,
    ApduChannel,
    BaseTransport,
    CardRemovedError,
    CommandAPDU,
    NoCardError,
    ReaderBusyError,
    ResponseAPDU,
    ServiceUnavailableError,
    TransportError,
)
from apdu.redact import FILLER

from . import profile
from .errors import CardError
from .profile import Application

#: The largest offset READ BINARY can name in P1-P2.
MAX_OFFSET = 0x7FFF
#: Transport errors that no shorter APDU can help with.
FATAL = (CardRemovedError, NoCardError, ReaderBusyError, ServiceUnavailableError)


class EfReader(ABC):
    """READ BINARY over a session's channel; :class:`jpki.card.MyNumberCard` is one,
    and gives it the session's APDUs and selections."""

    transport: BaseTransport
    channel: ApduChannel
    #: ``None`` until learnt; ``False`` once the card rejected a short-EF form.
    sfi: bool | None
    #: ``None`` until learnt; ``False`` once card or reader refused an extended Le.
    extended: bool | None
    #: Inside :meth:`personal_responses`: the answers' data is personal.
    personal: bool = False

    @abstractmethod
    def send(self, command: CommandAPDU) -> ResponseAPDU:
        """Send one APDU of the session (``personal`` passed on to the transport)."""

    @contextlib.contextmanager
    def personal_responses(self) -> Iterator[None]:
        """Inside the block, the data of the card's answers is personal (a certificate
        with a name and an address): recordings and traces keep only its length and
        status word."""
        before, self.personal = self.personal, True
        try:
            yield
        finally:
            self.personal = before

    @abstractmethod
    def select_app(self, app: Application) -> ResponseAPDU:
        """SELECT an application (once: the session remembers it)."""

    def select_ef(self, fid: int) -> ResponseAPDU:
        """SELECT EF ``fid`` of the selected application."""
        return self.send(profile.select_ef(fid))

    def _read_first(self, fid: int, le: int) -> ResponseAPDU:
        """READ BINARY at offset 0 of a free EF, making it the current EF.

        By SFI (``00 B0 (80|SFI) 00 Le``) when the card takes it, else SELECT EF +
        ``00 B0 00 00 Le``. An extended Le that the card (``6700``) or the reader (a
        transmit error) does not carry is asked again in short form, and the session
        stops trying extended length.
        """
        resp = self._short_if_refused(le, lambda n: self._read_first_once(fid, n))
        if le > SHORT_MAX and resp.ok and len(resp.data) > SHORT_MAX:
            self.extended = True  # (a 6Cxx resend would have been short)
        return resp

    def _short_if_refused(self, le: int, read: Callable[[int], ResponseAPDU]) -> ResponseAPDU:
        """``read(le)``; an extended Le refused (``6700``, or a transmit error not
        :data:`FATAL`) is asked again as 256 bytes, and no more for the session."""
        while True:
            try:
                resp = read(le)
            except TransportError as exc:
                if le <= SHORT_MAX or isinstance(exc, FATAL):
                    raise
                resp = ResponseAPDU(b"", SW.WRONG_LENGTH)
            if le <= SHORT_MAX or resp.sw != SW.WRONG_LENGTH:
                return resp
            self.extended = False
            le = SHORT_MAX

    def _read_first_once(self, fid: int, le: int) -> ResponseAPDU:
        tried_sfi = False
        if self.sfi is not False and fid <= 0x1E:
            resp = self.send(CommandAPDU(0x00, INS.READ_BINARY, 0x80 | fid, 0x00, le=le))
            final = (SW.SECURITY_STATUS_NOT_SATISFIED, SW.OFFSET_OUTSIDE_FILE, SW.END_OF_FILE)
            if resp.ok or resp.sw in final or (resp.sw == SW.WRONG_LENGTH and le > SHORT_MAX):
                return resp
            tried_sfi = True
        sel = self.select_ef(fid)
        if not sel.ok:
            return sel
        resp = self.send(CommandAPDU(0x00, INS.READ_BINARY, 0x00, 0x00, le=le))
        if tried_sfi and resp.ok:
            self.sfi = False  # the file is there: it was the short-EF form the card refused
        return resp

    def read_first_byte(self, fid: int) -> ResponseAPDU:
        """READ BINARY of one byte at offset 0 of EF ``fid`` of the selected application
        (by SFI when the card takes it): the proof read of a guarded file."""
        return self._read_first(fid, 1)

    def read_small(self, app: Application, fid: int, length: int) -> ResponseAPDU:
        """READ BINARY of the first ``length`` (at most 256) bytes of a free EF, as the
        card answered it (callers judge ``6282`` and the like)."""
        resp = self.select_app(app)
        if not resp.ok:
            return resp
        return self._read_first(fid, min(length, SHORT_MAX))

    def read_ef(
        self, app: Application, fid: int, what: str = "EF", *, personal: bool = False
    ) -> bytes:
        """The DER object a transparent EF holds, of any length, filler after it ignored.

        One extended READ BINARY when card and reader carry it (pymyna, jsapdu read
        whole certificates so), else 256-byte chunks by offset (P1-P2, up to ``7FFF``).
        Raises :class:`CardError` when the card refuses, and
        :class:`jpki.certificate.CertificateError` for a truncated file or an
        impossible DER length. ``personal``: the file holds personal data (the sign
        certificate), kept out of APDU traces and recordings; when the answer is all
        filler, it comes from a recording that hid it: :class:`CertificateError` with
        code ``hidden``.
        """
        with self.personal_responses() if personal else contextlib.nullcontext():
            return self._read_der(app, fid, what, personal)

    def _read_der(self, app: Application, fid: int, what: str, personal: bool = False) -> bytes:
        from .certificate import der_length
        from .errors import CertificateError

        resp = self.select_app(app)
        if not resp.ok:
            raise CardError("SELECT AP", resp.sw)
        use_extended = self.extended is not False and self.channel.extended
        resp = self._read_first(fid, EXTENDED_MAX if use_extended else SHORT_MAX)
        if resp.sw == SW.OFFSET_OUTSIDE_FILE or (resp.ok and not resp.data):
            raise CertificateError(what, "the file is empty", "empty")
        if not resp.ok and resp.sw != SW.END_OF_FILE:
            raise CardError("READ BINARY", resp.sw)
        if personal and resp.data and resp.data.count(FILLER) == len(resp.data):
            # A replay's filler for bytes the recording hid: a certificate starts with 30.
            raise CertificateError(
                what, "personal data the replayed recording does not hold", "hidden"
            )
        data = bytearray(resp.data)
        want = der_length(bytes(data[:6]), what)
        while len(data) < want:
            offset = len(data)
            if offset > MAX_OFFSET or want > MAX_OFFSET + SHORT_MAX:
                raise CertificateError(
                    what, f"{want} bytes: longer than READ BINARY reaches", "too-long"
                )
            resp = self._read_chunk(fid, offset, want - offset)
            if not resp.data and (resp.ok or resp.sw in (SW.OFFSET_OUTSIDE_FILE, SW.END_OF_FILE)):
                raise CertificateError(what, f"truncated: {offset} of {want} bytes", "truncated")
            if not resp.ok and resp.sw != SW.END_OF_FILE:
                raise CardError("READ BINARY", resp.sw)
            data += resp.data
        return bytes(data[:want])

    def _read_chunk(self, fid: int, offset: int, left: int) -> ResponseAPDU:
        """READ BINARY at ``offset`` of the current EF (:meth:`_short_if_refused`)."""

        def read(le: int) -> ResponseAPDU:
            command = CommandAPDU(0x00, INS.READ_BINARY, offset >> 8, offset & 0xFF, le=le)
            resp = self.send(command)
            if resp.sw == SW.NO_CURRENT_EF:  # no current EF after all: select it and go on
                self.select_ef(fid)
                resp = self.send(command)
            return resp

        return self._short_if_refused(min(left, EXTENDED_MAX if self.extended else SHORT_MAX), read)
