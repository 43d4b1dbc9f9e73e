"""What to do next, from the seeds and newer municipal pages (``docs/card.md`` §1).

- A locked or forgotten PIN is reset at the municipal office: bring the card and
  one other photo ID; a legal guardian for under-15s (seeds).
- ① can also be reset at a convenience-store kiosk if ② is known
  (JPKI暗証番号リセットアプリ reservation, within 24 hours; not 23:00-6:30) (seeds).
- Since 2024 the kiosk route also resets ② if ① is known: Seven-Eleven first,
  other operators following, so not every store offers it yet (Naha, Hioki and
  Matsusaka city pages, newer than the seeds). With both ① and ② locked, only
  the office. ③ and ④ are never reset at a kiosk.
- Smartphone certificates (Android / iPhone tokens) are not reset at the office (seeds).
- Helpline: マイナンバー総合フリーダイヤル 0120-95-0178, weekdays 9:30-20:00,
  weekends and holidays 9:30-17:30, not over the new year (seed 000).

:func:`recovery_routes` decides which routes fit the card's state and
:func:`guidance` returns everything as typed codes; the CLI renders them in the
user's language (:mod:`jpki.cli.advice`). Where a PIN command would refuse a PIN, the
advice follows the refusal :func:`jpki.permit.refusal` would give, so that it names
the flag that lifts it: ``--force`` for the last try (``do-not-guess``),
``--accept-unknown-count`` for a count the card did not report reliably
(``unknown``), and none for a key the card does not have (``absent``). Nothing here
touches the card or reads the language.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from apdu import SW

from .card import KeyState
from .permit import Refusal, refusal
from .profile import Token
from .retries import PinStatus, RetriesReport

#: States in which a PIN is known to work, so it can open a kiosk reset of the other.
_WORKING = (KeyState.USABLE, KeyState.LAST_TRY)


class Code(StrEnum):
    """What to do, as a stable code (``--json`` carries it; the CLI renders it)."""

    LOCKED = "locked"  # these PINs are locked
    OFFICE = "office"  # the municipal office resets any PIN
    GUARDIAN = "guardian"  # under 15 / adult guardianship: a legal representative
    KIOSK_SIGN = "kiosk-sign"  # ① at a convenience-store kiosk, with ② known
    KIOSK_AUTH = "kiosk-auth"  # ② at a kiosk, with ① known (some operators only)
    KIOSK_NEEDS_ONE = "kiosk-needs-one"  # both locked: the kiosk needs one working
    SMARTPHONE = "smartphone"  # a smartphone certificate: reset on the phone
    HELPLINE = "helpline"  # マイナンバー総合フリーダイヤル, with its hours
    LAST_TRY = "last-try"  # this PIN has one try left
    DO_NOT_GUESS = "do-not-guess"  # a correct entry resets it; do not guess
    UNKNOWN = "unknown"  # no count jpkitool can trust: --accept-unknown-count
    ABSENT = "absent"  # the card has no such key (6A82/6A88): no flag helps
    FACE_AUTH = "face-auth"  # a face-authentication card has no ②


@dataclass(frozen=True)
class Advice:
    """One piece of guidance: a code and the PINs (ids) it is about."""

    code: Code
    pins: tuple[str, ...] = ()


def _state(report: RetriesReport, pin_id: str) -> KeyState | None:
    """The state of ``pin_id``, or None when the report does not hold it."""
    for p in report.pins:
        if p.id == pin_id:
            return p.state
    return None


def recovery_routes(report: RetriesReport) -> tuple[Code, ...]:
    """The recovery routes for the locked PINs, in print order.

    Empty when nothing is locked. A smartphone token: ``smartphone`` only. A card:
    ``office`` and ``guardian``, then ``kiosk-sign`` (① locked, ② working),
    ``kiosk-auth`` (② locked, ① working) or ``kiosk-needs-one`` (both locked).
    ② or ① unknown or absent opens no kiosk route; ③ and ④ never do.
    """
    if not any(p.state is KeyState.LOCKED for p in report.pins):
        return ()
    if report.token in (Token.ANDROID, Token.IPHONE):
        return (Code.SMARTPHONE,)
    routes = [Code.OFFICE, Code.GUARDIAN]
    sign, auth = _state(report, "sign"), _state(report, "auth")
    if sign is KeyState.LOCKED and auth is KeyState.LOCKED:
        routes.append(Code.KIOSK_NEEDS_ONE)
    elif sign is KeyState.LOCKED and auth in _WORKING:
        routes.append(Code.KIOSK_SIGN)
    elif auth is KeyState.LOCKED and sign in _WORKING:
        routes.append(Code.KIOSK_AUTH)
    return tuple(routes)


def _absent(pin: PinStatus) -> bool:
    """Whether a PIN command would refuse ``pin`` whatever flag is given: one of its keys
    is one the card does not have (:attr:`jpki.permit.Refusal.ABSENT`)."""
    return any(refusal(k) is Refusal.ABSENT for k in pin.keys)


def guidance(report: RetriesReport) -> tuple[Advice, ...]:
    """What to do about locked PINs, PINs at their last try and unknown answers, in order.

    A PIN without a count is ``unknown`` when the count cannot be trusted
    (``--accept-unknown-count`` lets a PIN command try it) and ``absent`` when the card
    has no such key (``6A82``/``6A88``: no flag helps; the face-authentication line
    follows for ②).
    """
    out: list[Advice] = []
    locked = tuple(p.id for p in report.pins if p.state is KeyState.LOCKED)
    last = tuple(p.id for p in report.pins if p.state is KeyState.LAST_TRY)
    unknown = [p for p in report.pins if p.state is KeyState.UNKNOWN]
    absent = [p for p in unknown if _absent(p)]
    untrusted = tuple(p.id for p in unknown if p not in absent)
    if locked:
        out.append(Advice(Code.LOCKED, locked))
        out += [Advice(route) for route in recovery_routes(report)]
        out.append(Advice(Code.HELPLINE))
    out += [Advice(Code.LAST_TRY, (pin_id,)) for pin_id in last]
    if last:
        out.append(Advice(Code.DO_NOT_GUESS))
    if untrusted:
        out.append(Advice(Code.UNKNOWN, untrusted))
    if absent:
        out.append(Advice(Code.ABSENT, tuple(p.id for p in absent)))
        # A face-authentication card's ② (no public trace; the emulator answers 6A88).
        if any(p.id == "auth" and p.sw == SW.REFERENCE_DATA_NOT_FOUND for p in absent):
            out.append(Advice(Code.FACE_AUTH))
    return tuple(out)
