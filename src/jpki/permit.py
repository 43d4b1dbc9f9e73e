"""The PIN guard: no PIN data leaves the process without a permit to spend a try.

A command carries PIN data when :func:`apdu.redact.hidden_span` finds a data field
to hide: VERIFY with data, CHANGE REFERENCE DATA, RESET RETRY COUNTER, JICSAP
CHANGE KEY, or any command marked secret (the rule recordings and traces use).
:class:`PinGuard` sits between :class:`jpki.card.MyNumberCard` and its transport
and raises :class:`PermitError` for such a command unless a :class:`SpendPermit`
is being used, before a byte is sent. A permit:

- is granted only by :meth:`jpki.card.MyNumberCard.permit`, from a key's counter
  read without spending a try in the same transaction, and only when
  :func:`refusal` finds no reason to refuse (``force`` lifts the refusal of the
  last try alone, ``accept_unknown_count`` that of an untrusted count alone);
- admits one VERIFY with data for its key (one try at most), then one CHANGE
  (``00 24`` or ``80 32``) and only after that VERIFY answered ``9000``, then one
  VERIFY of the new value and only after that CHANGE answered ``9000`` (the change
  confirmed on the card; the correct VERIFY before it reset the counter, so a change
  the card took costs nothing);
- asks the transport to remove the card's power when the transaction ends, the
  safety net should the command not reach its own ending
  (:meth:`jpki.card.MyNumberCard.leave_unverified`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from apdu import INS, SW, BaseTransport, TransportWrapper
from apdu.redact import hidden_span

from . import profile
from .errors import PermitError, PinAbsentError, PinLockedError, SpendRefusedError
from .keyformats import Change
from .keystatus import KeyState, KeyStatus
from .profile import PinSlot


class Refusal(StrEnum):
    """Why a try is not spent on a key."""

    LOCKED = "locked"
    #: The card has no such key: application absent (``6A82``), no reference data (``6A88``).
    ABSENT = "absent"
    LAST_TRY = "last-try"
    #: No count, or one that cannot be true: ``9000`` before any VERIFY, ``6300`` on a
    #: key with a limit, more tries than the key's maximum, any other answer.
    UNTRUSTED = "untrusted"


#: Query answers meaning the card has no such key.
ABSENT_SW = frozenset({SW.FILE_NOT_FOUND, SW.REFERENCE_DATA_NOT_FOUND})


def refusal(
    status: KeyStatus, force: bool = False, accept_unknown_count: bool = False
) -> Refusal | None:
    """Why no try may be spent on ``status.key`` (``None``: go ahead).

    Locked and absent keys are refused whatever is given. ``force`` lifts the refusal
    of the last try and nothing else; ``accept_unknown_count`` that of an untrusted
    count and nothing else, so reaching for one never lifts the other's guard.
    """
    if status.state is KeyState.LOCKED:
        return Refusal.LOCKED
    if status.sw in ABSENT_SW:
        return Refusal.ABSENT
    if status.state is KeyState.LAST_TRY and not force:
        return Refusal.LAST_TRY
    if status.state is KeyState.UNKNOWN and not accept_unknown_count:
        return Refusal.UNTRUSTED
    return None


def refuse(status: KeyStatus, force: bool = False, accept_unknown_count: bool = False) -> None:
    """Raise the typed error for :func:`refusal` of ``status`` (nothing when it is ``None``),
    naming the PIN the key belongs to."""
    why = refusal(status, force, accept_unknown_count)
    key = status.key
    pin_id = profile.PIN_OF_SLOT[key.id].id if key.id in profile.PIN_OF_SLOT else key.id
    if why is Refusal.LOCKED:
        raise PinLockedError(pin_id, key.id)
    if why is Refusal.ABSENT:
        reason = "no-application" if status.sw == SW.FILE_NOT_FOUND else "no-reference-data"
        raise PinAbsentError(pin_id, reason, status.sw)
    if why is not None:
        raise SpendRefusedError(pin_id, key.id, why.value, status.sw)


@dataclass
class SpendPermit:
    """Leave to spend at most one try of ``key`` (see the module docstring)."""

    key: PinSlot
    #: The counter read, without spending a try, that the permit was granted on.
    before: KeyStatus
    verifies_left: int = 1
    verified: bool = False
    changes_left: int = 1
    changed: bool = False
    confirms_left: int = 1
    open: bool = True


_CHANGE_INS = frozenset({INS.CHANGE_REFERENCE_DATA, Change.JICSAP_CHANGE_KEY.ins})


class PinGuard(TransportWrapper):
    """Refuses commands carrying PIN data unless a permit is in use (:class:`PermitError`)."""

    def __init__(self, inner: BaseTransport) -> None:
        super().__init__(inner)
        self._permit: SpendPermit | None = None

    @contextlib.contextmanager
    def using(self, permit: SpendPermit) -> Iterator[None]:
        """Send under ``permit`` inside the ``with`` block."""
        if not permit.open:
            raise PermitError("the permit has expired")
        self._permit = permit
        try:
            yield
        finally:
            self._permit = None

    def _admit(self, apdu: bytes) -> None:
        permit = self._permit
        if permit is None or not permit.open:
            raise PermitError("PIN data without a permit to spend a try; nothing was sent")
        cla, ins, p2 = apdu[0], apdu[1], apdu[3]
        if p2 not in (0x80, permit.key.sfi_p2):
            raise PermitError(f"the permit is for key {permit.key.id}, not P2 {p2:02X}")
        if ins == INS.VERIFY and cla == 0x00:
            if permit.verifies_left >= 1:
                permit.verifies_left -= 1
            elif permit.changed and permit.confirms_left >= 1:
                permit.confirms_left -= 1
            else:
                raise PermitError("a permit spends at most one try")
            return
        if ins in _CHANGE_INS:
            if not permit.verified or permit.changes_left < 1:
                raise PermitError("a change needs a correct VERIFY under the same permit")
            permit.changes_left -= 1
            return
        raise PermitError(f"INS {ins:02X} with PIN data is not sent by this tool")

    def transmit(self, apdu: bytes, *, secret: bool = False, personal: bool = False) -> bytes:
        apdu = bytes(apdu)
        carries_pin = hidden_span(apdu, secret) is not None
        if carries_pin:
            self._admit(apdu)
        response = self.inner.transmit(apdu, secret=secret, personal=personal)
        permit = self._permit
        if carries_pin and permit is not None:
            ok = response[-2:] == b"\x90\x00"
            if apdu[1] == INS.VERIFY:
                permit.verified = ok
            else:
                permit.changed = ok
        return response
