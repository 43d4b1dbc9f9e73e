"""A session with a My Number card: selecting applications and files, querying keys.

The card's identifiers all come from :mod:`jpki.profile`. The session remembers
the selected application so that it is never selected twice in a row, and learns
whether the card takes the short-EF-identifier forms (``00 20 00 (80|FID)``,
``00 B0 (80|SFI) ...``), seen on real cards only by myna-card and jsapdu; when a
card answers such a form with anything but what it asked, the session falls back
to SELECT EF and stays there.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from apdu import ApduChannel, BaseTransport, CommandAPDU, ResponseAPDU

from . import profile
from .errors import NotMyNumberCardError
from .profile import Application, Key, Token


class KeyState(StrEnum):
    """What a query answer says about a key."""

    USABLE = "usable"
    LAST_TRY = "last-try"
    LOCKED = "locked"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class KeyStatus:
    """A key's counter as the card reported it, without spending a try."""

    key: Key
    sw: int
    remaining: int | None
    state: KeyState
    #: ``"verified"`` (9000: verified in this session, count not reported),
    #: ``"no-limit"`` (6300) or ``None``.
    note: str | None = None

    @property
    def locked(self) -> bool | None:
        if self.state is KeyState.UNKNOWN:
            return None
        return self.state is KeyState.LOCKED


def interpret_query(key: Key, resp: ResponseAPDU) -> KeyStatus:
    """Turn the answer to ``VERIFY`` without data into a :class:`KeyStatus` (§4 of the notes)."""
    sw = resp.sw
    left = resp.retries_left
    if left is not None:
        if left == 0:
            return KeyStatus(key, sw, 0, KeyState.LOCKED)
        return KeyStatus(key, sw, left, KeyState.LAST_TRY if left == 1 else KeyState.USABLE)
    if sw in (0x6984, 0x6983):
        return KeyStatus(key, sw, 0, KeyState.LOCKED)
    if sw == 0x9000:
        return KeyStatus(key, sw, None, KeyState.USABLE, "verified")
    if sw == 0x6300:
        return KeyStatus(key, sw, None, KeyState.USABLE, "no-limit")
    return KeyStatus(key, sw, None, KeyState.UNKNOWN)


def _is_count_answer(resp: ResponseAPDU) -> bool:
    return resp.retries_left is not None or resp.sw in (0x6984, 0x6983, 0x9000, 0x6300)


@dataclass(frozen=True)
class CardRecord:
    """The 共通カードAP record EF 0001 (myna-card, myna-rs): readable without a PIN."""

    serial: str
    municipality: str
    expiry: dt.date | None
    raw: bytes


def parse_card_record(raw: bytes) -> CardRecord:
    """Parse ``01 1C`` + serial(15) + municipality(5) + expiry ``YYYYMMDD``."""
    body = raw[2 : 2 + raw[1]] if len(raw) >= 2 and raw[0] == 0x01 else raw
    text = body.decode("ascii", "replace")
    expiry: dt.date | None
    try:
        expiry = dt.datetime.strptime(text[20:28], "%Y%m%d").date()
    except ValueError:
        expiry = None
    return CardRecord(text[:15], text[15:20], expiry, bytes(raw))


class MyNumberCard:
    """Operations on a My Number card over any transport."""

    def __init__(self, transport: BaseTransport, *, extended: bool = True) -> None:
        self.transport = transport
        self.channel = ApduChannel(transport, extended=extended)
        self._app: Application | None = None
        #: ``None`` until learnt; ``False`` once the card rejected a short-EF form.
        self.sfi: bool | None = None

    @property
    def apdu_count(self) -> int:
        return self.channel.count

    def send(self, command: CommandAPDU) -> ResponseAPDU:
        return self.channel.send(command)

    def forget_selection(self) -> None:
        """Forget the selected application (after a reset or reconnect)."""
        self._app = None

    # -- selection ------------------------------------------------------------

    def select_app(self, app: Application) -> ResponseAPDU:
        """SELECT the application by DF name unless it is already selected."""
        if self._app is app:
            return ResponseAPDU(b"", 0x9000)
        resp = self.send(CommandAPDU(0x00, profile.INS_SELECT, 0x04, 0x0C, app.aid))
        self._app = app if resp.ok else None
        return resp

    def require_jpki(self) -> None:
        """Select the JPKI application; raise :class:`NotMyNumberCardError` if absent."""
        resp = self.select_app(profile.JPKI)
        if not resp.ok:
            raise NotMyNumberCardError(resp.sw)

    def select_app_is_jpki(self) -> bool:
        """Whether the card selects the JPKI application (no exception)."""
        return self.select_app(profile.JPKI).ok

    def select_ef(self, fid: int) -> ResponseAPDU:
        return self.send(CommandAPDU(0x00, profile.INS_SELECT, 0x02, 0x0C, fid.to_bytes(2, "big")))

    # -- keys -----------------------------------------------------------------

    def query_key(self, key: Key) -> KeyStatus:
        """The key's remaining tries via VERIFY without data: never spends a try.

        Sends ``00 20 00 (80|FID)`` first; when the card answers that with anything
        but a count, falls back to SELECT EF + ``00 20 00 80``.
        """
        resp = self.select_app(key.app)
        if not resp.ok:
            return KeyStatus(key, resp.sw, None, KeyState.UNKNOWN)
        if self.sfi is not False:
            resp = self.send(CommandAPDU(0x00, profile.INS_VERIFY, 0x00, key.sfi_p2))
            if _is_count_answer(resp):
                self.sfi = True
                return interpret_query(key, resp)
        sel = self.select_ef(key.fid)
        if not sel.ok:
            # The key form failed too: report what the card said to the direct form.
            return KeyStatus(
                key, resp.sw if self.sfi is not False else sel.sw, None, KeyState.UNKNOWN
            )
        fallback = self.send(CommandAPDU(0x00, profile.INS_VERIFY, 0x00, 0x80))
        if _is_count_answer(fallback) and self.sfi is None:
            self.sfi = False
        return interpret_query(key, fallback)

    # -- files ----------------------------------------------------------------

    def read_small(self, app: Application, fid: int, length: int) -> ResponseAPDU:
        """READ BINARY of the first ``length`` (≤256) bytes of a free EF.

        Uses the SFI form (``00 B0 (80|SFI) 00 Le``) when the card takes it, else
        SELECT EF + ``00 B0 00 00 Le``.
        """
        resp = self.select_app(app)
        if not resp.ok:
            return resp
        if self.sfi is not False and fid <= 0x1E:
            resp = self.send(
                CommandAPDU(0x00, profile.INS_READ_BINARY, 0x80 | fid, 0x00, le=length)
            )
            if resp.ok or resp.sw in (0x6982, 0x6B00, 0x6282):
                return resp
        sel = self.select_ef(fid)
        if not sel.ok:
            return sel
        return self.send(CommandAPDU(0x00, profile.INS_READ_BINARY, 0x00, 0x00, le=length))

    def read_token(self) -> Token:
        """Token kind from the label of JPKI EF 0006 (after :meth:`require_jpki`)."""
        resp = self.read_small(profile.JPKI, profile.TOKEN_INFO.fid, profile.TOKEN_LABEL_LEN)
        if not resp.ok and resp.sw != 0x6282:
            return Token.UNKNOWN
        return profile.token_from_label(resp.data)

    def sign_certificate_present(self) -> bool | None:
        """Whether EF 0008 says a sign certificate exists (``None`` if unreadable)."""
        resp = self.read_small(profile.JPKI, profile.CERT_FLAGS.fid, 3)
        if not resp.ok or not resp.data:
            return None
        return resp.data[0] == profile.CERT_FLAG_PRESENT

    def read_card_record(self) -> CardRecord | None:
        """The 共通カードAP record (card serial, municipality, expiry), or ``None``."""
        if not self.select_app(profile.COMMON).ok:
            return None
        p2 = (profile.CARD_RECORD.fid << 3) | 0x04
        resp = self.send(CommandAPDU(0x00, profile.INS_READ_RECORD, 0x01, p2, le=256))
        if not resp.ok:
            return None
        return parse_card_record(resp.data)
