"""The virtual My Number card: command APDUs in, response APDUs out.

Applications, files and keys all come from :mod:`jpki.profile`; behaviour follows
``docs/card.md``. Seen on: myna-card, myna-rs/go, opensc, jsapdu (as
named there). Everything listed under "emulator only" is a choice made here where
no public source shows what a real card answers.

Emulator only:

- SELECT P2 ``00`` answers like ``0C``: no FCI. A DF name of 5 bytes or more that
  prefixes a present application's AID selects the first such application in
  :data:`jpki.profile.APPLICATIONS` order; shorter ones answer ``6A82``. A failed
  SELECT leaves the selection as it was. Any SELECT AP clears the current EF.
- The security state (docs/card.md §4b): a verified key stays verified through a
  warm reset, a disconnect and reconnect, and a re-SELECT of its own application
  (myna-card measured the first two on a card; myna-sign relies on the third);
  the SELECT of a different application (the GlobalPlatform ISD
  ``A0 00 00 01 51 00 00`` included, which answers ``9000`` and holds no file)
  and removing power clear it (myna-sign, myna-card).
- SELECT EF with no application selected answers ``6A82``. The private-key EFs
  (``0017``, ``001A``) are not modelled (``6A82``).
- READ BINARY or VERIFY ``P2=80`` with no current EF: ``6986``. READ BINARY on a
  key or record EF: ``6981``. Le larger than what remains: what remains, ``9000``.
  No Le: ``6700``. Reading by SFI makes that EF current (ISO 7816-4).
- VERIFY and CHANGE: see :mod:`jpki.emulator.keys`.
- READ RECORD: only P2 low bits ``100`` (record number in P1); other records
  ``6A83``; Le shorter than the record ``6Cxx``; the ``no_sfi`` quirk does not
  apply to it (everyone reads the record with P2 ``0C``).
- CLA: ``00`` (``80`` for ``32``); logical channels (``01``-``03``, ``40``-``7F``,
  ``81``-``83``) ``6881``; anything else ``6E00``; ``00 32`` answers ``6D00``.
- GET RESPONSE with nothing pending: ``6985``.
- Face-auth card (no public trace): the auth key ② answers the query, VERIFY and
  CHANGE with ``6A88`` (no reference data); everything else is a normal card.
- No sign certificate (children under 15): EF ``0008`` is ``00 8F 00``, EFs
  ``0001``/``0002`` are absent (``6A82``), the sign key ① answers ``6A88``.
- Old 住基カード token: only the JPKI application exists.
- Smartphone tokens (android/iphone): the auth certificate needs ② (docs/card.md §3).
- A key with an unknown maximum counts from 10 (:data:`.state.UNKNOWN_MAX`).
- File contents (layouts, certificate filler): see :mod:`jpki.emulator.files`.
- Given certificates (state field ``certificates``: ``auth``, ``auth-ca``,
  ``sign``, ``sign-ca``): served as given, in place of the generated one of that
  EF; the others stay generated. Every EF's size is its content's: READ BINARY
  (short, extended, by SFI, GET RESPONSE) answers ``6B00`` at or past its end,
  whatever the certificate's length.
- Anything that would raise inside the card answers ``6F00`` (a safety net).
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable

from apdu import INS, SW, CommandAPDU, EncodingError, ResponseAPDU, redact_command

from .. import profile
from ..keyformats import Change
from ..profile import Application, DataFile, PinSlot, Token
from .files import ef_image
from .keys import KeyCommands, _r
from .state import CardState

log = logging.getLogger(__name__)

#: Largest chunk GET RESPONSE hands out.
CHUNK = 256

SMARTPHONE_TOKENS = frozenset({Token.ANDROID, Token.IPHONE})

#: The interindustry class (ISO/IEC 7816-4): no secure messaging, basic channel.
CLA_ISO = 0x00
#: The proprietary change command (CLA ``80``, INS ``32``).
JICSAP = Change.JICSAP_CHANGE_KEY
#: SELECT P1: by DF name (an application's AID), by file id.
SELECT_BY_NAME, SELECT_BY_FID = 0x04, 0x02

Node = PinSlot | DataFile


def _more(n: int) -> int:
    """``61xx``: ``n`` more bytes (``00`` for 256 or more)."""
    return SW.BYTES_REMAINING | (min(n, CHUNK) & 0xFF)


class VirtualCard(KeyCommands):
    """A My Number card in memory. ``state`` is mutated as PINs are tried and changed;
    :attr:`changes` counts those mutations."""

    def __init__(
        self,
        state: CardState,
        *,
        prepare: bool = True,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        """``prepare``: build the certificates now (cached), so that the first READ BINARY
        of one answers at once, as a served card must; False (``--emulator retries``)
        loads no certificate code until a certificate is read.

        ``on_change``: called with the card locked after each command that changed
        ``state`` (a try spent, a counter restored, a PIN changed), before the answer:
        ``emulator serve --state`` saves the state there; what it raises comes out of
        :meth:`process` (the command is then not answered)."""
        self.state = state
        self.on_change = on_change
        #: Times a command changed ``state`` (cheap to compare: no serialising).
        self.changes = 0
        self._lock = threading.Lock()
        self._app: Application | None = None
        self._ef: int | None = None
        self._verified: set[str] = set()
        self._pending: bytes | None = None
        self._pending_sw: int = SW.OK
        self._powered = False
        #: Commands were answered since the last power-up (arms ``power_up_6f00``).
        self._served = False
        #: The next command answers ``6F00`` (the ``power_up_6f00`` quirk).
        self._answer_6f00 = False
        if prepare:
            from .certs import certificates

            certificates(state)
        self._handlers: dict[int, Callable[[CommandAPDU], ResponseAPDU]] = {
            INS.SELECT: self._select,
            INS.READ_BINARY: self._read_binary,
            INS.READ_RECORD: self._read_record,
            INS.VERIFY: self._verify,
            INS.GET_RESPONSE: self._get_response,
        }
        for change in (Change.CHANGE_REFERENCE_DATA, Change.JICSAP_CHANGE_KEY):
            self._handlers[change.ins] = functools.partial(self._change, command=change)

    # -- the card's outside -----------------------------------------------------

    @property
    def atr(self) -> bytes:
        return bytes.fromhex(self.state.atr)

    def power_on(self) -> None:
        """Power the card up (nothing happens when it is powered): no selection, no verified key."""
        with self._lock:
            if self._powered:
                return
            self._powered = True
            self._forget_selection()
            self._served = False

    def power_off(self) -> None:
        """Remove the card's power: the verified keys are forgotten (the only thing
        that does so besides selecting another application; myna-card)."""
        with self._lock:
            self._powered = False
            self._forget_selection()
            if not self.state.quirks.sticky_verified:
                self._verified.clear()
            self._answer_6f00 = self._served and self.state.quirks.power_up_6f00

    def warm_reset(self) -> None:
        """A warm reset (``SCARD_RESET_CARD``): the selection is gone, the verified keys
        stay verified (myna-card, measured on a card)."""
        with self._lock:
            self._forget_selection()

    def _forget_selection(self) -> None:
        self._app = None
        self._ef = None
        self._pending = None

    @property
    def verified(self) -> frozenset[str]:
        """The keys verified now (for tests)."""
        return frozenset(self._verified)

    def process(self, apdu: bytes) -> bytes:
        """Answer one command APDU (after the state's latency). Never raises, but for
        what ``on_change`` raises."""
        if self.state.latency_ms > 0:
            time.sleep(self.state.latency_ms / 1000)
        with self._lock:
            self._served = True
            if self._answer_6f00:
                self._answer_6f00 = False
                return _r(SW.NO_PRECISE_DIAGNOSIS).to_bytes()
            before = self.changes
            try:
                resp = self._dispatch(bytes(apdu))
            except Exception:  # a bug in the emulator, not the caller
                log.exception("virtual card failed on %s", redact_command(bytes(apdu))[0])
                resp = _r(SW.NO_PRECISE_DIAGNOSIS)
            if self.changes != before and self.on_change is not None:
                self.on_change()
        return resp.to_bytes()

    @property
    def selected_app(self) -> Application | None:
        """The current application (for tests)."""
        return self._app

    # -- dispatch -------------------------------------------------------------------

    def _dispatch(self, raw: bytes) -> ResponseAPDU:
        try:
            cmd = CommandAPDU.parse(raw)
        except EncodingError:
            self._pending = None
            return _r(SW.WRONG_LENGTH)
        if cmd.ins != INS.GET_RESPONSE:
            self._pending = None
        if cmd.is_extended and self.state.quirks.no_extended:
            return _r(SW.WRONG_LENGTH)
        bad_class = self._check_class(cmd.cla, cmd.ins)
        if bad_class is not None:
            return _r(bad_class)
        handler = self._handlers.get(cmd.ins)
        if handler is None:
            return _r(SW.INS_NOT_SUPPORTED)
        resp = handler(cmd)
        if self.state.quirks.get_response and resp.data and cmd.ins != INS.GET_RESPONSE:
            self._pending, self._pending_sw = resp.data, resp.sw
            return _r(_more(len(resp.data)))
        return resp

    @staticmethod
    def _check_class(cla: int, ins: int) -> SW | None:
        # Logical channels 1-3 (first interindustry, with or without the chaining
        # or proprietary bit) and 4-19 (further interindustry, 40-7F).
        if cla in (0x01, 0x02, 0x03, 0x81, 0x82, 0x83) or 0x40 <= cla <= 0x7F:
            return SW.LOGICAL_CHANNEL_NOT_SUPPORTED
        if cla == CLA_ISO:
            return SW.INS_NOT_SUPPORTED if ins == JICSAP.ins else None
        if cla == JICSAP.cla and ins == JICSAP.ins:
            return None
        return SW.CLA_NOT_SUPPORTED

    # -- the file system ------------------------------------------------------------

    def _node(self, app: Application | None, fid: int) -> Node | None:
        absent = () if self.state.sign_certificate else (profile.SIGN_CERT, profile.SIGN_CA_CERT)
        nodes: tuple[Node, ...] = (*profile.PIN_SLOTS, *profile.DATA_FILES)
        return next((n for n in nodes if n.app is app and n.fid == fid and n not in absent), None)

    def _current(self) -> Node | None:
        return None if self._ef is None else self._node(self._app, self._ef)

    def _content(self, f: DataFile) -> bytes:
        """The bytes of ``f`` (:mod:`.files`); a test card may serve others."""
        return ef_image(f, self.state)

    def _data_file(self, sfi: int, *, record: bool) -> DataFile | SW:
        """The EF to read: the one short identifier ``sfi`` names (it becomes current), or
        with ``sfi`` 0 the current EF; a status word if it cannot be read so."""
        node = self._current() if not sfi else self._node(self._app, sfi)
        if node is None:
            return SW.FILE_NOT_FOUND if sfi else SW.NO_CURRENT_EF
        if sfi:
            self._ef = sfi
        if isinstance(node, PinSlot) or node.record != record:
            return SW.INCOMPATIBLE_FILE_STRUCTURE
        need = node.guarded_by  # the access rules are the profile's
        if self.state.token in SMARTPHONE_TOKENS:
            need = need + node.guarded_on_phone_by
        if need and not any(k in self._verified for k in need):
            return SW.SECURITY_STATUS_NOT_SATISFIED
        return node

    # -- SELECT -------------------------------------------------------------------

    def _select(self, cmd: CommandAPDU) -> ResponseAPDU:
        if cmd.p1 not in (SELECT_BY_NAME, SELECT_BY_FID) or cmd.p2 not in (0x0C, 0x00):
            return _r(SW.INCORRECT_P1P2)
        if not cmd.data:
            return _r(SW.WRONG_LENGTH)
        if cmd.p1 == SELECT_BY_NAME:
            return self._select_app(cmd.data)
        if len(cmd.data) != 2:
            return _r(SW.WRONG_LENGTH)
        fid = int.from_bytes(cmd.data, "big")
        if self._node(self._app, fid) is None:
            return _r(SW.FILE_NOT_FOUND)
        self._ef = fid
        return _r(SW.OK)

    def _select_app(self, name: bytes) -> ResponseAPDU:
        if len(name) > 16:
            return _r(SW.WRONG_LENGTH)
        juki = self.state.token is Token.JUKI_CARD  # the old card has only JPKI
        present = (a for a in profile.APPLICATIONS if a.id in self.state.applications)
        apps = [*(a for a in present if a is profile.JPKI or not juki), profile.ISD]
        app = next((a for a in apps if a.aid == name), None)
        if app is None and len(name) >= 5:
            app = next((a for a in apps if a.aid.startswith(name)), None)
        if app is None:
            return _r(SW.FILE_NOT_FOUND)
        if not self.state.quirks.sticky_verified:  # another application's keys: cleared
            self._verified = {k for k in self._verified if profile.SLOTS_BY_ID[k].app is app}
        self._app = app
        self._ef = None
        return _r(SW.OK)

    # -- READ BINARY / READ RECORD --------------------------------------------------

    def _read_binary(self, cmd: CommandAPDU) -> ResponseAPDU:
        if cmd.le is None or cmd.data:
            return _r(SW.WRONG_LENGTH)
        by_sfi, sfi = cmd.p1 & 0x80, cmd.p1 & 0x1F
        if by_sfi and (self.state.quirks.no_sfi or cmd.p1 & 0x60 or not 1 <= sfi <= 0x1E):
            return _r(SW.INCORRECT_P1P2)
        f = self._data_file(sfi if by_sfi else 0, record=False)
        if isinstance(f, SW):
            return _r(f)
        offset = cmd.p2 if by_sfi else (cmd.p1 << 8) | cmd.p2
        content = self._content(f)
        if offset >= len(content):
            return _r(SW.OFFSET_OUTSIDE_FILE)
        return _r(SW.OK, content[offset : offset + cmd.le])

    def _read_record(self, cmd: CommandAPDU) -> ResponseAPDU:
        if cmd.le is None or cmd.data:
            return _r(SW.WRONG_LENGTH)
        if cmd.p2 & 0x07 != 0x04:
            return _r(SW.INCORRECT_P1P2)
        f = self._data_file(cmd.p2 >> 3, record=True)
        if isinstance(f, SW):
            return _r(f)
        if cmd.p1 != 1:
            return _r(SW.RECORD_NOT_FOUND)
        record = self._content(f)
        if cmd.le < len(record):
            return _r(SW.WRONG_LE | len(record))
        return _r(SW.OK, record)

    # -- GET RESPONSE ----------------------------------------------------------------

    def _get_response(self, cmd: CommandAPDU) -> ResponseAPDU:
        if cmd.p1 or cmd.p2:
            return _r(SW.INCORRECT_P1P2)
        if cmd.le is None or cmd.data:
            return _r(SW.WRONG_LENGTH)
        if self._pending is None:
            return _r(SW.CONDITIONS_NOT_SATISFIED)
        n = min(cmd.le, CHUNK)
        chunk, rest = self._pending[:n], self._pending[n:]
        if rest:
            self._pending = rest
            return _r(_more(len(rest)), chunk)
        self._pending = None
        return _r(self._pending_sw, chunk)
