"""Verifying and changing PINs ①-④: with the report's PIN probe (:mod:`jpki.report`),
the only code that asks for a permit to spend a try.

The sequence (docs/card.md §7; myna-rs, myna-go, myna-card — myna marks its own
change command untested; nothing here was seen on a physical card, only on the
virtual card):

1. values are checked against the PIN's format (and a new value against
   :mod:`jpki.pinpolicy`) before the card is touched, and a change of ③ is refused
   unless asked for as experimental (:mod:`jpki.pinplan`, the :class:`PinPlan`);
2. SELECT JPKI, read the token label (smartphone and old 住基 tokens are refused),
   for ① read EF ``0008`` (no sign certificate: refused);
3. every key's counter is read without spending a try, and every key is checked
   by :func:`jpki.permit.refuse` before the first VERIFY with data;
4. per key: SELECT EF, VERIFY the current value, CHANGE with the new value only
   (``00 24 01 80`` for ①②④, JICSAP ``80 32 00 80`` for ③'s two keys), VERIFY
   the new value once (the change confirmed on the card), then the counter is read
   again (``9000`` right after the VERIFY is success);
5. the card is left unverified, in the same transaction
   (:meth:`jpki.card.MyNumberCard.leave_unverified`): the result
   (:mod:`jpki.pinresult`) says how (:attr:`PinCommandResult.card_left`).

The first wrong current value stops the command: the keys after it are not tried,
so one entry never spends more than one try. The caller holds the transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from apdu import SW, ResponseAPDU, TransportError

from . import profile
from .card import MyNumberCard
from .errors import (
    CardError,
    ChangeUnconfirmedError,
    JpkiError,
    PinAbsentError,
    PinLockedError,
    WrongPinError,
)
from .keystatus import KeyStatus, interpret_query
from .permit import refuse
from .pinplan import PinPlan, PinValue, plan_change, plan_verify
from .pinresult import KeyResult, Outcome, PinCommandResult, PinResult
from .profile import Pin, PinSlot, Token

# -- reading the counters (no try spent) ---------------------------------------------


@dataclass(frozen=True)
class Counters:
    """The counters of the keys a PIN command will act on, read without spending a try."""

    reader: str
    token: Token
    keys: dict[str, tuple[KeyStatus, ...]]

    def first_refusal(self, force: bool, accept_unknown_count: bool = False) -> None:
        """Raise the refusal of the first key that may not be tried (see :func:`refuse`:
        ``force`` lifts the last try's, ``accept_unknown_count`` an untrusted count's)."""
        for statuses in self.keys.values():
            for status in statuses:
                refuse(status, force, accept_unknown_count)


def read_counters(
    card: MyNumberCard, pins: Sequence[Pin], keys: Mapping[str, tuple[PinSlot, ...]] | None = None
) -> Counters:
    """Check the token and ① 's certificate, then read each key's counter (no try spent)."""
    card.require_jpki()
    token = card.read_token()
    if token in (Token.ANDROID, Token.IPHONE):
        raise PinAbsentError(pins[0].id, "smartphone")
    if token is Token.JUKI_CARD:
        raise PinAbsentError(pins[0].id, "juki-card")
    if profile.SIGN in pins and card.sign_certificate_present() is False:
        raise PinAbsentError(profile.SIGN.id, "no-sign-certificate")
    chosen = keys if keys is not None else {p.id: p.slots for p in pins}
    statuses = {p.id: tuple(card.query_key(k) for k in chosen[p.id]) for p in pins}
    return Counters(card.transport.name, token, statuses)


# -- spending ------------------------------------------------------------------------


def attempt_error(pin: Pin, key: PinSlot, sw: int) -> JpkiError:
    """The error for a VERIFY with data that the card did not accept."""
    left = sw & 0x0F if sw & 0xFFF0 == SW.VERIFY_FAILED else None
    if left == 0 or sw in (SW.AUTH_METHOD_BLOCKED, SW.REFERENCE_DATA_NOT_USABLE):
        return PinLockedError(pin.id, key.id, just_locked=True)
    if left is not None:
        return WrongPinError(pin.id, left, key.id)
    return CardError("VERIFY", sw)


#: The outcome of a key whose VERIFY raised :func:`attempt_error`'s error (else ``failed``).
_OUTCOMES = {WrongPinError: Outcome.WRONG, PinLockedError: Outcome.LOCKED}


def run_plan(
    card: MyNumberCard,
    plan: PinPlan,
    *,
    force: bool = False,
    accept_unknown_count: bool = False,
    leave: bool = True,
) -> PinCommandResult:
    """Carry out a checked plan on the card (inside the caller's transaction), and
    when a PIN value was sent, leave the card unverified (``leave``; a caller that
    reads with the verified key first passes False and calls
    :meth:`MyNumberCard.leave_unverified` itself). A transport fault skips the
    ending: the card's power is removed when the card's transaction or session ends
    (:meth:`MyNumberCard.unpower_if_pending`)."""
    start = card.apdu_count
    counters = read_counters(card, plan.pins, plan.keys)
    counters.first_refusal(force, accept_unknown_count)
    failure: Exception | None = None
    results: list[PinResult] = []
    for pin in plan.pins:
        done: list[KeyResult] = []
        for status in counters.keys[pin.id]:
            if failure is not None:
                done.append(KeyResult(status.key, status, Outcome.NOT_TRIED))
                continue
            try:
                key_result, failure = _one_key(
                    card, pin, status, plan.currents[pin.id], plan.new, force, accept_unknown_count
                )
            except Exception as exc:  # no permit: nothing was sent for this key
                key_result, failure = KeyResult(status.key, status, Outcome.NOT_TRIED), exc
            done.append(key_result)
        results.append(PinResult(pin, tuple(done)))
    sent = [k.key for p in results for k in p.keys if k.outcome is not Outcome.NOT_TRIED]
    card_left = None
    if sent and leave and not isinstance(failure, TransportError):
        card_left = card.leave_unverified(sent)
    result = PinCommandResult(
        plan.operation,
        counters.reader,
        counters.token,
        tuple(results),
        card.apdu_count - start,
        plan.warnings,
        card_left,
        card.left_steps if card_left is not None else (),
    )
    if isinstance(failure, JpkiError):  # the card's errors and ReaderError alike
        failure.result = result
    if failure is not None:
        raise failure
    return result


def _one_key(
    card: MyNumberCard,
    pin: Pin,
    status: KeyStatus,
    current: bytes,
    new: bytes | None,
    force: bool,
    accept_unknown_count: bool,
) -> tuple[KeyResult, Exception | None]:
    """VERIFY (and CHANGE) one key. An exchange that fails is returned as the failure,
    with what is known: the permit tells whether the VERIFY or CHANGE was handed to
    the card (its answer lost: :attr:`Outcome.INTERRUPTED`) or never sent."""
    key = status.key
    permit = card.permit(status, force=force, accept_unknown_count=accept_unknown_count)
    try:
        answer: ResponseAPDU = card.verify(permit, current)
    except Exception as exc:
        if permit.verifies_left:  # failed before the VERIFY (SELECT EF): no try spent
            return KeyResult(key, status, Outcome.NOT_TRIED), exc
        return KeyResult(key, status, Outcome.INTERRUPTED, interrupted_at="verify"), exc
    if not answer.ok:
        error = attempt_error(pin, key, answer.sw)
        # The answer to a wrong VERIFY carries the count: no second query needed.
        after = interpret_query(key, answer) if answer.retries_left is not None else None
        outcome = _OUTCOMES.get(type(error), Outcome.FAILED)
        return KeyResult(key, status, outcome, after, answer.sw), error
    if new is None:
        return _counted(card, KeyResult(key, status, Outcome.VERIFIED, None, answer.sw))
    try:
        answer = card.change(permit, new)
    except Exception as exc:
        if permit.changes_left:  # the CHANGE was not sent: verified, not changed
            return KeyResult(key, status, Outcome.FAILED, None, answer.sw), exc
        return KeyResult(key, status, Outcome.INTERRUPTED, interrupted_at="change"), exc
    if not answer.ok:
        error = CardError("CHANGE", answer.sw)
        return KeyResult(key, status, Outcome.FAILED, None, answer.sw), error
    changed = KeyResult(key, status, Outcome.CHANGED, None, answer.sw)
    try:
        confirm = card.verify(permit, new)  # once; never again by itself
    except Exception as exc:
        if permit.confirms_left:  # not sent (SELECT EF failed): changed, not confirmed
            return changed, exc
        return replace(changed, interrupted_at="confirm"), exc
    if not confirm.ok:
        after = interpret_query(key, confirm) if confirm.retries_left is not None else None
        unconfirmed = replace(changed, outcome=Outcome.UNCONFIRMED, after=after, sw=confirm.sw)
        error = ChangeUnconfirmedError(pin.id, key.id, None if after is None else after.remaining)
        return replace(unconfirmed, confirmed=False), error
    return _counted(card, replace(changed, confirmed=True))


def _counted(card: MyNumberCard, result: KeyResult) -> tuple[KeyResult, Exception | None]:
    """``result`` with the counter read again; when that read fails, the result stands
    (the VERIFY or CHANGE was answered) without ``after``, and the failure is returned."""
    try:
        return replace(result, after=card.query_key(result.key)), None
    except Exception as exc:
        return result, exc


def change_pin(
    card: MyNumberCard,
    pins: str | Pin | Sequence[str | Pin],
    current: PinValue | Mapping[str, PinValue],
    new: PinValue,
    *,
    force: bool = False,
    accept_unknown_count: bool = False,
    allow_weak: bool = False,
    keys: Sequence[str] | None = None,
    experimental: bool = False,
) -> PinCommandResult:
    """Change one or more of ①-④ to ``new`` (②③④ may share it; ① alone).

    ``current`` is one value for all, or a value per PIN id; a value is a ``str`` or
    ``bytes`` read as ASCII (anything else: :class:`PinRequestError` ``pin-type``).
    ``keys`` picks ③'s keys (``juki-common``, ``juki``). ③ is changed only with
    ``experimental``: its command, JICSAP CHANGE KEY, has one public source (myna-card,
    mock tests only) and was never seen run on a card; the municipal office changes it. Raises
    :class:`PinFormatError`, :class:`WeakPinError` or :class:`PinRequestError`
    (``experimental`` among its reasons) before the card is touched;
    :class:`PinAbsentError`, :class:`PinLockedError` or :class:`SpendRefusedError`
    before any try is spent (``force`` lifts the refusal of the last try alone,
    ``accept_unknown_count`` that of a count the card did not report reliably alone);
    :class:`WrongPinError` (``remaining``) or :class:`PinLockedError` (``just_locked``)
    when the card rejects the current value, with ``error.result`` telling what was
    changed before.
    """
    plan = plan_change(
        pins, current, new, allow_weak=allow_weak, keys=keys, experimental=experimental
    )
    return run_plan(card, plan, force=force, accept_unknown_count=accept_unknown_count)


def verify_pin(
    card: MyNumberCard,
    pin: str | Pin,
    value: PinValue,
    *,
    force: bool = False,
    accept_unknown_count: bool = False,
    keys: Sequence[str] | None = None,
) -> PinCommandResult:
    """Check ``value`` against one of ①-④ (③: both keys, stopping at the first wrong).

    Errors as for :func:`change_pin`. A correct VERIFY resets the count; the card is
    left unverified before this returns, or, should that break off, when the card's
    transaction or session ends.
    """
    plan = plan_verify(pin, value, keys=keys)
    return run_plan(card, plan, force=force, accept_unknown_count=accept_unknown_count)
