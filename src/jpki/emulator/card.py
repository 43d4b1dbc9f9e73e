"""The virtual My Number card: command APDUs in, response APDUs out.

Applications, files and keys all come from :mod:`jpki.profile`; behaviour follows
``docs/card.md``. Seen on: myna-card, myna-rs/go, opensc, jsapdu (as
named there). Everything listed under "emulator only" is a choice made here where
no public source shows what a real card answers.

Commands: SELECT (``A4``) by DF name (P1 04) or FID (P1 02), READ BINARY (``B0``)
by offset or SFI, READ RECORD (``B2``), VERIFY (``20``), CHANGE REFERENCE DATA
(``24``), JICSAP CHANGE KEY (``80 32``), GET RESPONSE (``C0``).

Emulator only:

- SELECT P2 ``00`` answers like ``0C``: no FCI. A DF name of 5 bytes or more that
  prefixes a present application's AID selects the first such application in
  :data:`jpki.profile.APPLICATIONS` order; shorter ones answer ``6A82``. A failed
  SELECT leaves the selection as it was. Any SELECT AP clears the current EF and
  every verified flag.
- SELECT EF with no application selected answers ``6A82``. The private-key EFs
  (``0017``, ``001A``) are not modelled (``6A82``).
- READ BINARY or VERIFY ``P2=80`` with no current EF: ``6986``. READ BINARY on a
  key or record EF: ``6981``. Le larger than what remains: what remains, ``9000``.
  No Le: ``6700``. Reading by SFI makes that EF current (ISO 7816-4).
- VERIFY/CHANGE naming by SFI a key that the current application lacks (or with
  no application): ``6A88``. VERIFY with data of any length is compared as is: a
  value of the wrong length is a wrong attempt. A wrong attempt clears the key's
  verified flag.
- CHANGE with the other instruction than the key's (``24`` on ③, ``80 32`` on
  ①②④, either on the 照合番号 keys): ``6985``. CHANGE REFERENCE DATA P1 must be
  ``01`` (new value only), JICSAP CHANGE KEY P1 ``00``; else ``6A86``.
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
- File layouts: EF ``0006`` is the label space-padded to 32 bytes, then 32 bytes
  ``00``; certificate EFs are the DER padded with ``00`` to 2048 bytes (no padding
  when the DER is longer); 券面事項入力
  補助AP ``0001`` is ``FF 10 0C`` + 12 ASCII digits and ``0002`` is ``FF 20 L`` +
  ``DF 21`` (four 2-byte offsets of the next TLVs from the start of the file, a
  guess) + ``DF 22`` name, ``DF 23`` address, ``DF 24`` birth ``YYYYMMDD``, ``DF 25``
  sex, UTF-8 (tags per jsapdu; the offsets' meaning is not published).
- Given certificates (state field ``certificates``: ``auth``, ``auth-ca``,
  ``sign``, ``sign-ca``): served as given, in place of the generated one of that
  EF; the others stay generated. ``cert_filler`` (state field): that many filler
  bytes after each certificate's DER instead of the padding to 2048 bytes. The
  filler byte is ``00``: what real cards hold after the DER is not published. Every
  EF's size is its content's: READ BINARY (short, extended, by SFI, GET RESPONSE)
  answers ``6B00`` at or past its end, whatever the certificate's length.
- Anything that would raise inside the card answers ``6F00`` (a safety net).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from apdu import CommandAPDU, EncodingError, ResponseAPDU, redact_command

from .. import profile
from ..profile import Application, Change, DataFile, Key, Token
from .certs import certificates
from .state import CardState

log = logging.getLogger(__name__)

#: Size of a certificate EF by default: DER, then ``00`` filler (emulator only).
CERT_EF_SIZE = 2048
#: Filler byte after a certificate's DER (emulator only: real cards' filler is unknown).
CERT_FILLER = 0x00
#: Size of EF 0006: the 32-byte label, then ``00`` filler (emulator only).
TOKEN_EF_SIZE = 64
#: EF 0008 without a sign certificate: first byte not ``8F`` (emulator only: ``00``).
CERT_FLAGS_NO_SIGN = bytes([0x00, profile.CERT_FLAG_PRESENT, 0x00])
CERT_FLAGS_BOTH = bytes([profile.CERT_FLAG_PRESENT, profile.CERT_FLAG_PRESENT, 0x00])
#: Largest chunk GET RESPONSE hands out.
CHUNK = 256

SMARTPHONE_TOKENS = frozenset({Token.ANDROID, Token.IPHONE})

SW_OK = 0x9000

Node = Key | DataFile


def _r(sw: int, data: bytes = b"") -> ResponseAPDU:
    return ResponseAPDU(data, sw)


def _pad(data: bytes, size: int) -> bytes:
    if len(data) > size:  # pragma: no cover - the label is 32 bytes
        raise ValueError(f"{len(data)} bytes do not fit an EF of {size}")
    return data + b"\x00" * (size - len(data))


def _cert_ef(der: bytes, filler: int | None) -> bytes:
    """A certificate EF: the DER, then ``filler`` bytes, or padding to :data:`CERT_EF_SIZE`."""
    n = max(0, CERT_EF_SIZE - len(der)) if filler is None else filler
    return der + bytes([CERT_FILLER]) * n


def _tlv(tag: bytes, value: bytes) -> bytes:
    n = len(value)
    if n < 0x80:
        length = bytes([n])
    elif n < 0x100:
        length = bytes([0x81, n])
    else:
        length = bytes([0x82]) + n.to_bytes(2, "big")
    return tag + length + value


class VirtualCard:
    """A My Number card in memory. ``state`` is mutated as PINs are tried and changed."""

    def __init__(self, state: CardState) -> None:
        self.state = state
        self._lock = threading.Lock()
        self._app: Application | None = None
        self._ef: int | None = None
        self._verified: set[str] = set()
        self._pending: bytes | None = None
        self._pending_sw = SW_OK
        # Build the certificates now (cached), so the first READ BINARY is not slow.
        certificates(state)
        self._handlers: dict[int, Callable[[CommandAPDU], ResponseAPDU]] = {
            profile.INS_SELECT: self._select,
            profile.INS_READ_BINARY: self._read_binary,
            profile.INS_READ_RECORD: self._read_record,
            profile.INS_VERIFY: self._verify,
            profile.INS_CHANGE_REFERENCE_DATA: self._change_reference_data,
            profile.INS_JICSAP_CHANGE_KEY: self._jicsap_change_key,
            profile.INS_GET_RESPONSE: self._get_response,
        }

    # -- the card's outside -----------------------------------------------------

    @property
    def atr(self) -> bytes:
        return self.state.atr_bytes

    def power_on(self) -> None:
        """Cold reset: forget the selection, verified flags and pending response data."""
        with self._lock:
            self._app = None
            self._ef = None
            self._verified.clear()
            self._pending = None

    def process(self, apdu: bytes) -> bytes:
        """Answer one command APDU (after the state's latency). Never raises."""
        if self.state.latency_ms > 0:
            time.sleep(self.state.latency_ms / 1000)
        with self._lock:
            try:
                resp = self._dispatch(bytes(apdu))
            except Exception:  # a bug in the emulator, not the caller
                log.exception("virtual card failed on %s", redact_command(bytes(apdu))[0])
                resp = _r(0x6F00)
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
            return _r(0x6700)
        if cmd.ins != profile.INS_GET_RESPONSE:
            self._pending = None
        if cmd.is_extended and self.state.quirks.no_extended:
            return _r(0x6700)
        bad_class = self._check_class(cmd.cla, cmd.ins)
        if bad_class is not None:
            return _r(bad_class)
        handler = self._handlers.get(cmd.ins)
        if handler is None:
            return _r(0x6D00)
        resp = handler(cmd)
        if self.state.quirks.get_response and resp.data and cmd.ins != profile.INS_GET_RESPONSE:
            self._pending, self._pending_sw = resp.data, resp.sw
            return _r(0x6100 | (min(len(resp.data), CHUNK) & 0xFF))
        return resp

    @staticmethod
    def _check_class(cla: int, ins: int) -> int | None:
        if cla in (0x01, 0x02, 0x03, 0x81, 0x82, 0x83) or 0x40 <= cla <= 0x7F:
            return 0x6881
        if cla == 0x00:
            return 0x6D00 if ins == profile.INS_JICSAP_CHANGE_KEY else None
        if cla == profile.CLA_JICSAP and ins == profile.INS_JICSAP_CHANGE_KEY:
            return None
        return 0x6E00

    # -- the file system ------------------------------------------------------------

    def _present_apps(self) -> list[Application]:
        ids = set(self.state.applications)
        if self.state.token is Token.JUKI_CARD:
            ids &= {profile.JPKI.id}
        return [a for a in profile.APPLICATIONS if a.id in ids]

    def _file_present(self, f: DataFile) -> bool:
        if f in (profile.SIGN_CERT, profile.SIGN_CA_CERT):
            return self.state.sign_certificate
        return True

    def _node(self, app: Application | None, fid: int) -> Node | None:
        if app is None:
            return None
        for key in profile.KEYS:
            if key.app is app and key.fid == fid:
                return key
        for f in profile.DATA_FILES:
            if f.app is app and f.fid == fid and self._file_present(f):
                return f
        return None

    def _current(self) -> Node | None:
        return None if self._ef is None else self._node(self._app, self._ef)

    def _content(self, f: DataFile) -> bytes:
        s = self.state
        if f in (profile.AUTH_CERT, profile.AUTH_CA_CERT, profile.SIGN_CERT, profile.SIGN_CA_CERT):
            c = certificates(s)
            der = {
                profile.AUTH_CERT.id: c.auth,
                profile.AUTH_CA_CERT.id: c.auth_ca,
                profile.SIGN_CERT.id: c.sign,
                profile.SIGN_CA_CERT.id: c.sign_ca,
            }[f.id]
            return _cert_ef(der, s.cert_filler)
        if f is profile.TOKEN_INFO:
            label = profile.TOKEN_LABEL_OF[s.token].encode("ascii")
            return _pad(label.ljust(profile.TOKEN_LABEL_LEN, b" "), TOKEN_EF_SIZE)
        if f is profile.CERT_FLAGS:
            return CERT_FLAGS_BOTH if s.sign_certificate else CERT_FLAGS_NO_SIGN
        if f is profile.CARD_RECORD:
            body = (s.serial + s.municipality + f"{s.card_expiry:%Y%m%d}").encode("ascii")
            return bytes([0x01, profile.CARD_RECORD_LEN - 2]) + body
        if f is profile.CARDINFO_MYNUMBER:
            return _tlv(b"\xff\x10", s.my_number.encode("ascii"))
        if f is profile.CARDINFO_ATTRS:
            return self._attributes()
        raise LookupError(f.id)  # pragma: no cover - every profile file is handled above

    def _attributes(self) -> bytes:
        h = self.state.holder
        items = [
            _tlv(b"\xdf\x22", h.name.encode("utf-8")),
            _tlv(b"\xdf\x23", h.address.encode("utf-8")),
            _tlv(b"\xdf\x24", f"{h.birth_date:%Y%m%d}".encode("ascii")),
            _tlv(b"\xdf\x25", h.sex.encode("ascii")),
        ]
        body_len = 3 + 8 + sum(len(i) for i in items)  # DF 21 08 + offsets, then the items
        header = len(_tlv(b"\xff\x20", b"\x00" * body_len)) - body_len
        offsets, pos = bytearray(), header + 3 + 8
        for item in items:
            offsets += pos.to_bytes(2, "big")
            pos += len(item)
        return _tlv(b"\xff\x20", _tlv(b"\xdf\x21", bytes(offsets)) + b"".join(items))

    def _allowed(self, f: DataFile) -> bool:
        need = f.guarded_by  # the access rules are the profile's
        if self.state.token in SMARTPHONE_TOKENS:
            need = need + f.guarded_on_phone_by
        return not need or any(k in self._verified for k in need)

    # -- SELECT -------------------------------------------------------------------

    def _select(self, cmd: CommandAPDU) -> ResponseAPDU:
        if cmd.p1 not in (0x04, 0x02) or cmd.p2 not in (0x0C, 0x00):
            return _r(0x6A86)
        if not cmd.data:
            return _r(0x6700)
        if cmd.p1 == 0x04:
            return self._select_app(cmd.data)
        if len(cmd.data) != 2:
            return _r(0x6700)
        fid = int.from_bytes(cmd.data, "big")
        if self._node(self._app, fid) is None:
            return _r(0x6A82)
        self._ef = fid
        return _r(SW_OK)

    def _select_app(self, name: bytes) -> ResponseAPDU:
        if len(name) > 16:
            return _r(0x6700)
        apps = self._present_apps()
        app = next((a for a in apps if a.aid == name), None)
        if app is None and len(name) >= 5:
            app = next((a for a in apps if a.aid.startswith(name)), None)
        if app is None:
            return _r(0x6A82)
        self._app = app
        self._ef = None
        self._verified.clear()
        return _r(SW_OK)

    # -- READ BINARY / READ RECORD --------------------------------------------------

    def _read_binary(self, cmd: CommandAPDU) -> ResponseAPDU:
        if cmd.le is None or cmd.data:
            return _r(0x6700)
        if cmd.p1 & 0x80:
            sfi = cmd.p1 & 0x1F
            if self.state.quirks.no_sfi or cmd.p1 & 0x60 or not 1 <= sfi <= 0x1E:
                return _r(0x6A86)
            node = self._node(self._app, sfi)
            if node is None:
                return _r(0x6A82)
            self._ef = sfi
            offset = cmd.p2
        else:
            node = self._current()
            if node is None:
                return _r(0x6986)
            offset = (cmd.p1 << 8) | cmd.p2
        if isinstance(node, Key) or node.record:
            return _r(0x6981)
        if not self._allowed(node):
            return _r(0x6982)
        content = self._content(node)
        if offset >= len(content):
            return _r(0x6B00)
        return _r(SW_OK, content[offset : offset + cmd.le])

    def _read_record(self, cmd: CommandAPDU) -> ResponseAPDU:
        if cmd.le is None or cmd.data:
            return _r(0x6700)
        if cmd.p2 & 0x07 != 0x04:
            return _r(0x6A86)
        sfi = cmd.p2 >> 3
        if sfi:
            node = self._node(self._app, sfi)
            if node is None:
                return _r(0x6A82)
            self._ef = sfi
        else:
            node = self._current()
            if node is None:
                return _r(0x6986)
        if isinstance(node, Key) or not node.record:
            return _r(0x6981)
        if not self._allowed(node):
            return _r(0x6982)
        if cmd.p1 != 1:
            return _r(0x6A83)
        record = self._content(node)
        if cmd.le < len(record):
            return _r(0x6C00 | len(record))
        return _r(SW_OK, record)

    # -- keys -----------------------------------------------------------------------

    def _key_for(self, p2: int) -> Key | int:
        """The key P2 names (``80``: the current EF; ``80|FID``: by SFI), or a status word."""
        if p2 == 0x80:
            node = self._current()
            if node is None:
                return 0x6986
            return node if isinstance(node, Key) else 0x6981
        if 0x81 <= p2 <= 0x9E:
            if self.state.quirks.no_sfi:
                return 0x6A86
            node = self._node(self._app, p2 & 0x1F)
            return node if isinstance(node, Key) else 0x6A88
        return 0x6A86

    def _no_reference_data(self, key: Key) -> bool:
        """Face-auth card's ② and a card without sign certificate's ① (emulator only)."""
        s = self.state
        return (key is profile.AUTH_KEY and s.face_auth) or (
            key is profile.SIGN_KEY and not s.sign_certificate
        )

    def _verify(self, cmd: CommandAPDU) -> ResponseAPDU:
        if cmd.p1 != 0x00:
            return _r(0x6A86)
        key = self._key_for(cmd.p2)
        if isinstance(key, int):
            return _r(key)
        slot = self.state.slot(key)
        quirks = self.state.quirks
        if not cmd.data:
            override = quirks.answer_override.get(key.id)
            if override is not None:
                return _r(int(override, 16))
            if self._no_reference_data(key):
                return _r(0x6A88)
            if slot.blocked:
                return _r(0x6984 if quirks.blocked_query_6984 else 0x63C0)
            if key.id in self._verified and quirks.verified_query_9000:
                return _r(SW_OK)
            return _r(0x63C0 | slot.remaining)
        if self._no_reference_data(key):
            return _r(0x6A88)
        if slot.blocked:
            return _r(0x6984)
        if cmd.data == slot.value.encode("utf-8"):
            slot.remaining = slot.max
            self._verified.add(key.id)
            return _r(SW_OK)
        slot.remaining -= 1
        self._verified.discard(key.id)
        return _r(0x63C0 | slot.remaining)

    def _change(self, cmd: CommandAPDU, kind: Change) -> ResponseAPDU:
        if cmd.p1 != kind.p1:
            return _r(0x6A86)
        key = self._key_for(cmd.p2)
        if isinstance(key, int):
            return _r(key)
        if not cmd.data:
            return _r(0x6700)
        if self._no_reference_data(key):
            return _r(0x6A88)
        if key.change is not kind:
            return _r(0x6985)
        slot = self.state.slot(key)
        if slot.blocked:
            return _r(0x6984)
        if key.id not in self._verified:
            return _r(0x6982)
        try:
            text = cmd.data.decode("ascii")
        except UnicodeDecodeError:
            return _r(0x6A80)
        if not key.format.valid(text) or key.format.normalise(text) != text:
            return _r(0x6A80)
        slot.value = text
        return _r(SW_OK)

    def _change_reference_data(self, cmd: CommandAPDU) -> ResponseAPDU:
        return self._change(cmd, Change.CHANGE_REFERENCE_DATA)

    def _jicsap_change_key(self, cmd: CommandAPDU) -> ResponseAPDU:
        return self._change(cmd, Change.JICSAP_CHANGE_KEY)

    # -- GET RESPONSE ----------------------------------------------------------------

    def _get_response(self, cmd: CommandAPDU) -> ResponseAPDU:
        if cmd.p1 or cmd.p2:
            return _r(0x6A86)
        if cmd.le is None or cmd.data:
            return _r(0x6700)
        if self._pending is None:
            return _r(0x6985)
        n = min(cmd.le, CHUNK)
        chunk, rest = self._pending[:n], self._pending[n:]
        if rest:
            self._pending = rest
            return _r(0x6100 | (min(len(rest), CHUNK) & 0xFF), chunk)
        self._pending = None
        return _r(self._pending_sw, chunk)
