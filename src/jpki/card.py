"""A session with a My Number card: selecting applications and files, querying keys.

The card's identifiers all come from :mod:`jpki.profile`. The session never selects
an application twice in a row, and learns once whether the card takes the
short-EF-identifier forms (``00 20 00 (80|FID)``, ``00 B0 (80|SFI) ...``), used only
by myna-card (in unit tests) and jsapdu: :meth:`MyNumberCard.query_key` and
:class:`jpki.efreader.EfReader`, which reads files.

PIN data reaches the card only through :meth:`MyNumberCard.verify` and
:meth:`MyNumberCard.change`, under a permit (:mod:`jpki.permit`); everything else
this class sends is refused by its guard if it carries PIN data.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from apdu import (
    INS,
    SW,
    ApduChannel,
    BaseTransport,
    CommandAPDU,
    ResponseAPDU,
)

from . import profile
from .efreader import EfReader
from .errors import CardError, NotMyNumberCardError, PermitError, jpki_errors
from .keyformats import Change
from .keystatus import KeyState, KeyStatus, interpret_query, is_count_answer
from .permit import PinGuard, SpendPermit, refuse
from .profile import Application, DataFile, PinSlot, Token


@dataclass(frozen=True)
class CardRecord:
    """The 共通カードAP record EF 0001 (myna-card, myna-rs): readable without a PIN."""

    serial: str
    municipality: str
    expiry: dt.date | None
    raw: bytes


def parse_card_record(raw: bytes) -> CardRecord:
    """Parse the 共通カードAP record (:data:`jpki.profile.CARD_RECORD_FIELDS`)."""
    tagged = len(raw) >= 2 and raw[0] == profile.CARD_RECORD_TAG
    text = (raw[2 : 2 + raw[1]] if tagged else raw).decode("ascii", "replace")
    fields, at = {}, 0
    for name, width in profile.CARD_RECORD_FIELDS:
        fields[name], at = text[at : at + width], at + width
    digits = fields["expiry"]
    expiry: dt.date | None = None
    # Eight ASCII digits or no date (strptime would take "2034041" as 2034-04-01).
    if len(digits) == 8 and digits.isascii() and digits.isdigit():
        with contextlib.suppress(ValueError):
            expiry = dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    return CardRecord(fields["serial"], fields["municipality"], expiry, bytes(raw))


class CardLeft(StrEnum):
    """What a command that verified a PIN left on the card
    (:meth:`MyNumberCard.leave_unverified`)."""

    #: Cleared, and a read that needs the key was refused (``6982``): proven.
    PROVEN_CLEAR = "proven-clear"
    #: Another application selected or the power cycled, with no harmless proof (② ③)
    #: or a proof that could not run.
    CLEARED_UNPROVEN = "cleared-unproven"
    #: A proof read answered ``9000``, or neither step took effect: take the card out.
    MAY_BE_VERIFIED = "may-be-verified"


class MyNumberCard(EfReader):
    """Operations on a My Number card over any transport."""

    def __init__(self, transport: BaseTransport, *, extended: bool = True) -> None:
        self._guard = PinGuard(transport)
        #: The transport as this session uses it: behind the PIN guard.
        self.transport: BaseTransport = self._guard
        self.channel = ApduChannel(self._guard, extended=extended)
        self._app: Application | None = None
        self.sfi = None
        self.extended = None if extended else False
        #: Counters read in the current transaction, by key id: what permits are granted on.
        self._fresh: dict[str, KeyStatus] = {}
        #: How many permits to spend a try this session granted (read-only commands: 0).
        self.permits_issued = 0
        self._permits: list[SpendPermit] = []
        #: What the last :meth:`leave_unverified` left (None: none ran in this
        #: transaction), and which of its steps took effect (``select``, ``power``).
        self.card_left: CardLeft | None = None
        self.left_steps: tuple[str, ...] = ()
        #: A PIN may be verified and the card's power was not removed since: done when
        #: the transaction ends (:meth:`transaction`).
        self.unpower_pending = False

    @property
    def apdu_count(self) -> int:
        return self.channel.count

    def send(self, command: CommandAPDU) -> ResponseAPDU:
        """Every APDU goes through here; a failure below comes out as a
        :class:`jpki.ReaderError` (a card used after its session ended included)."""
        with jpki_errors():
            return self.channel.send(command, personal=self.personal)

    def forget_selection(self) -> None:
        """Forget the selected application and the counters read, and close the permits
        granted (after a reset, or between transactions, when another program may have
        used the card)."""
        self._app = None
        self._fresh.clear()
        for permit in self._permits:
            permit.open = False
        self._permits.clear()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One PC/SC transaction: nothing else reaches the card in between.

        Selection and counters read before it are forgotten, and again after it. The
        safety net of a command that stops before its own ending: after a permit
        granted inside (:attr:`unpower_pending`), the card's power is removed as it
        ends, by a power cycle, else by closing the connection with the power removed.
        """
        with jpki_errors(), self.transport.transaction():
            self.forget_selection()
            self.card_left, self.left_steps = None, ()
            try:
                yield
            finally:
                self.forget_selection()
                self.unpower_if_pending()

    def unpower_if_pending(self) -> None:
        """The safety net, run as a transaction or a session ends: after a permit whose
        command did not reach its ending (:attr:`unpower_pending`), remove the card's
        power by a power cycle, else by closing the connection with the power removed."""
        if self.unpower_pending:
            self.unpower_pending = not (
                _done(self.transport.power_cycle)
                or _done(lambda: self.transport.close(unpower=True))
            )

    # -- selection ------------------------------------------------------------

    def select_app(self, app: Application) -> ResponseAPDU:
        """SELECT the application by DF name unless it is already selected."""
        if self._app is app:
            return ResponseAPDU(b"", SW.OK)
        resp = self.send(profile.select_app(app.aid))
        self._app = app if resp.ok else None
        return resp

    def require_jpki(self) -> None:
        """Select the JPKI application; raise :class:`NotMyNumberCardError` if absent."""
        resp = self.select_app(profile.JPKI)
        if not resp.ok:
            raise NotMyNumberCardError(resp.sw)

    # -- keys -----------------------------------------------------------------

    def query_key(self, key: PinSlot) -> KeyStatus:
        """The key's remaining tries via VERIFY without data: never spends a try.

        Sends ``00 20 00 (80|FID)`` first, a form one source uses (myna-card, in unit
        tests), unless the session learnt that the card does not count that way. Any
        answer to it that is not a count (:func:`jpki.keystatus.is_count_answer`),
        ``9000`` included, is asked again in the form all sources use (docs/card.md §5),
        SELECT EF + ``00 20 00 80``, whose answer stands as it is (``9000`` there:
        verified in this session, count not given, untrusted).

        What the session learns: a count answered to the short form, that the card takes
        it (:attr:`sfi` ``True``); a count answered to the long form after the short form
        gave none, that it does not (``False``, from then on SELECT EF straight away, for
        reads too); no count either way (``9000`` twice, errors) teaches nothing, so a
        ``9000`` to the short form never makes the session trust that form.
        """
        resp = self.select_app(key.app)
        if not resp.ok:
            return KeyStatus(key, resp.sw, None, KeyState.UNKNOWN)
        if self.sfi is not False:
            resp = self.send(CommandAPDU(0x00, INS.VERIFY, 0x00, key.sfi_p2))
            if is_count_answer(resp):
                self.sfi = True
                return self._remember(interpret_query(key, resp))
        sel = self.select_ef(key.fid)
        if not sel.ok:
            # The long form cannot be asked: report what the card said to the short form.
            return KeyStatus(
                key, resp.sw if self.sfi is not False else sel.sw, None, KeyState.UNKNOWN
            )
        fallback = self.send(CommandAPDU(0x00, INS.VERIFY, 0x00, 0x80))
        if is_count_answer(fallback) and self.sfi is None:
            self.sfi = False
        return self._remember(interpret_query(key, fallback))

    def _remember(self, status: KeyStatus) -> KeyStatus:
        self._fresh[status.key.id] = status
        return status

    # -- spending a try (only with a permit) -----------------------------------

    def permit(
        self, status: KeyStatus, *, force: bool = False, accept_unknown_count: bool = False
    ) -> SpendPermit:
        """Leave to spend one try of ``status.key``.

        ``status`` must be the key's latest counter read by :meth:`query_key` in this
        transaction. Raises the error of :func:`jpki.permit.refuse` when it refuses
        (``force`` lifts the refusal of the last try only, ``accept_unknown_count`` that
        of an untrusted count only).
        """
        key = status.key
        if self._fresh.get(key.id) is not status:
            raise PermitError(f"{key.id}: read the counter in this transaction first")
        refuse(status, force, accept_unknown_count)
        del self._fresh[key.id]  # one permit per reading
        self.permits_issued += 1
        self.unpower_pending = True  # the safety net, should the ending not run
        permit = SpendPermit(key, status)
        self._permits.append(permit)
        return permit

    def verify(self, permit: SpendPermit, value: bytes) -> ResponseAPDU:
        """VERIFY ``value`` for the permit's key: SELECT AP (unless selected) and SELECT
        EF, as all sources do, then ``00 20 00 80``; spends a try when wrong. Returns the
        card's answer as it is."""
        key = permit.key
        resp = self.select_app(key.app)
        if not resp.ok:
            raise CardError("SELECT AP", resp.sw)
        resp = self.select_ef(key.fid)
        if not resp.ok:
            raise CardError("SELECT EF", resp.sw)
        with self._guard.using(permit):
            return self.send(CommandAPDU(0x00, INS.VERIFY, 0x00, 0x80, value, secret=True))

    def change(self, permit: SpendPermit, new: bytes) -> ResponseAPDU:
        """Set the permit's key to ``new`` after a correct :meth:`verify` under it:
        CHANGE REFERENCE DATA ``00 24 01 80`` (①②④) or JICSAP ``80 32 00 80`` (③)."""
        key = permit.key
        method = key.change
        if method is Change.NONE:
            raise PermitError(f"{key.id} cannot be changed")
        command = CommandAPDU(method.cla, method.ins, method.p1, 0x80, new, secret=True)
        with self._guard.using(permit):
            return self.send(command)

    def read_token(self) -> Token:
        """Token kind from the label of JPKI EF 0006 (after :meth:`require_jpki`)."""
        resp = self.read_small(profile.JPKI, profile.TOKEN_INFO.fid, profile.TOKEN_LABEL_LEN)
        if not resp.ok and resp.sw != SW.END_OF_FILE:
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
        resp = self.send(CommandAPDU(0x00, INS.READ_RECORD, 0x01, p2, le=256))
        if not resp.ok:
            return None
        return parse_card_record(resp.data)

    # -- leaving the card unverified --------------------------------------------

    def leave_unverified(self, keys: Iterable[PinSlot]) -> CardLeft:
        """End a command that sent a VERIFY with data for ``keys``, inside the same
        transaction (docs/card.md §4b): (a) select an application other than theirs
        (the ISD, else another of the card's; myna-sign), (b) cycle the card's power
        (the only reset that clears it; myna-card, measured), (c) send one throwaway
        command for the ``6F00`` some cards answer first after power returns
        (myna-card), (d) for ① and ④ read one byte of a file their key opens
        (:data:`jpki.profile.PROOF_FILES`): ``6982`` proves the key closed. A step that
        fails (a transport error, a recording that cannot be written) is taken as not
        done; nothing is raised but an interrupt. :attr:`left_steps` says which of (a)
        and (b) took effect. Unless the card was cleared by both or proven clear, the
        application is left once more and the card's power removed when the transaction
        ends (the proof read selected it again; :attr:`unpower_pending`).
        """
        keys = tuple(keys)
        apps = {k.app for k in keys}
        pins = {profile.PIN_OF_SLOT[k.id].id for k in keys if k.id in profile.PIN_OF_SLOT}
        left = _done(lambda: self._leave_applications(apps))
        cycled = _done(self.transport.power_cycle)
        self.unpower_pending = self.unpower_pending and not cycled
        self.forget_selection()
        if cycled:  # its answer does not matter
            _done(lambda: self.send(CommandAPDU.parse(profile.THROWAWAY)))
        proven = sorted(pins & set(profile.PROOF_FILES))
        proofs = [self._closed(profile.PROOF_FILES[p]) for p in proven]
        self.forget_selection()
        if False in proofs or not (left or cycled):
            self.card_left = CardLeft.MAY_BE_VERIFIED
        elif pins and len(proven) == len(pins) and all(proofs):
            self.card_left = CardLeft.PROVEN_CLEAR
        else:
            self.card_left = CardLeft.CLEARED_UNPROVEN
        self.left_steps = tuple(s for s, done in (("select", left), ("power", cycled)) if done)
        if self.card_left is CardLeft.MAY_BE_VERIFIED or not cycled:
            _done(lambda: self._leave_applications(apps))
            self.forget_selection()
            self.unpower_pending = True
        return self.card_left

    def _leave_applications(self, apps: set[Application]) -> bool:
        """Select the ISD, else the first other application the card has: whether one
        answered ``9000``."""
        self._app = None  # always sent, whatever the session thinks is selected
        for app in (profile.ISD, *profile.APPLICATIONS):
            if app not in apps and self.select_app(app).ok:
                return True
        return False

    def _closed(self, file: DataFile) -> bool | None:
        """Whether one byte of ``file`` is refused with ``6982`` (True), read (False: its
        key is verified), or the read could not tell (None). The byte is discarded and
        kept out of traces and recordings."""
        try:
            with self.personal_responses():
                if not self.select_app(file.app).ok:
                    return None
                resp = self.read_first_byte(file.fid)
        except Exception:  # a transport error, a recording that cannot be written
            return None
        if resp.sw == SW.SECURITY_STATUS_NOT_SATISFIED:
            return True
        return False if resp.ok else None


def _done(step: Callable[[], object]) -> bool:
    """Run one step of the ending: whether it took effect (it returned True, or
    returned nothing without raising). Any error but an interrupt is a step not done."""
    try:
        outcome = step()
    except Exception:
        return False
    return outcome is not False
