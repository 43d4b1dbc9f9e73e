"""Every PIN's remaining tries, without spending one.

Round trips: five SELECT AP, one READ BINARY for the token label and nine
``00 20 00 (80|FID)`` queries = 15 APDUs on a card that takes the short-EF form
(myna-card, jsapdu); a card that does not costs a SELECT EF more per key.
Asked for some PINs only, only their keys are queried and only their
applications selected: ① and ② take 4 APDUs (SELECT JPKI, the label, two queries).
Only VERIFY *without data* is ever sent here.

What to do next, from the seeds and newer municipal pages (``docs/card.md`` §1).

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
:func:`guidance` returns everything as typed codes; the CLI and the page render them
in the user's language (:mod:`jpki.words.guidance`). Where a PIN command would refuse a
PIN, the advice follows the refusal :func:`jpki.permit.refusal` would give, so that it names
the flag that lifts it: ``--force`` for the last try (``do-not-guess``),
``--accept-unknown-count`` for a count the card did not report reliably
(``unknown``), and none for a key the card does not have (``absent``). Nothing here
touches the card or reads the language.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from apdu import SW

from . import profile
from .card import MyNumberCard
from .errors import PinRequestError
from .keystatus import KeyState, KeyStatus, brief_count
from .permit import Refusal, refusal
from .profile import Pin, Token
from .schema import document


@dataclass(frozen=True)
class PinStatus:
    """One PIN as a user knows it; ③ combines two keys."""

    pin: Pin
    keys: tuple[KeyStatus, ...]
    remaining: int | None
    state: KeyState
    #: ③ only: the two keys report different counts.
    keys_differ: bool = False

    @property
    def id(self) -> str:
        return self.pin.id

    @property
    def max_tries(self) -> int | None:
        return self.pin.max_tries

    @property
    def locked(self) -> bool | None:
        if self.state is KeyState.UNKNOWN:
            return None
        return self.state is KeyState.LOCKED

    @property
    def sw(self) -> int:
        """Status word of the key that decided the state (and the count shown)."""
        same_state = [k for k in self.keys if k.state is self.state]
        same_count = [k for k in same_state if k.remaining == self.remaining]
        return (same_count or same_state or self.keys)[0].sw

    def _brief(self) -> str:
        """``sign 5/5 usable``: one line for a report's repr."""
        text = f"{self.id} {brief_count(self.remaining, self.max_tries, self.state)}"
        return text + " (keys differ)" if self.keys_differ else text

    def __repr__(self) -> str:
        text = (
            f"PinStatus(id={self.id!r}, no={self.pin.no}, remaining={self.remaining}, "
            f"max_tries={self.max_tries}, state={self.state.value!r}, sw='{self.sw:04X}'"
        )
        if len(self.keys) > 1:
            keys = ", ".join(f"{k.key.id} {k._brief()}" for k in self.keys)
            text += f", keys=[{keys}], keys_differ={self.keys_differ}"
        return text + ")"

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``json.dumps``: a PIN of ``retries --json``, with ``keys``
        (each key's :meth:`KeyStatus.to_dict`) for every PIN (docs/json.md)."""
        return {
            "id": self.id,
            "no": self.pin.no,
            "remaining": self.remaining,
            "max": self.max_tries,
            "locked": self.locked,
            "state": self.state.value,
            "sw": f"{self.sw:04X}",
            "keys": [k.to_dict() for k in self.keys],
            "keys_differ": self.keys_differ,
        }


@dataclass(frozen=True)
class RetriesReport:
    """The result of :func:`read_retries`."""

    reader: str
    token: Token
    pins: tuple[PinStatus, ...]
    apdus: int

    def pin(self, pin_id: str) -> PinStatus:
        for p in self.pins:
            if p.id == pin_id:
                return p
        raise KeyError(pin_id)

    @property
    def any_locked(self) -> bool:
        """Whether one of ①-④ in the report is locked."""
        return any(p.pin.no is not None and p.locked for p in self.pins)

    def __repr__(self) -> str:
        pins = ", ".join(p._brief() for p in self.pins)
        return (
            f"RetriesReport(reader={self.reader!r}, token={self.token.value!r}, "
            f"pins=[{pins}], apdus={self.apdus})"
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``json.dumps``: the document ``retries --json`` prints
        (docs/json.md), ``guidance`` as :func:`guidance`'s codes."""
        return document(
            {
                "reader": self.reader,
                "token": self.token.value,
                "pins": [p.to_dict() for p in self.pins],
                "any_locked": self.any_locked,
                "guidance": [{"code": a.code.value, "pins": list(a.pins)} for a in guidance(self)],
                "apdus": self.apdus,
            }
        )


def combine(pin: Pin, keys: tuple[KeyStatus, ...]) -> PinStatus:
    """One status for a PIN made of one or several keys: the lowest known count wins."""
    known = [k for k in keys if k.state is not KeyState.UNKNOWN]
    if not known:
        return PinStatus(pin, keys, None, KeyState.UNKNOWN)
    counts = {k.remaining for k in known}
    differ = len(counts) > 1 or len(known) != len(keys)
    locked = [k for k in known if k.state is KeyState.LOCKED]
    if locked:
        return PinStatus(pin, keys, 0, KeyState.LOCKED, differ)
    numbered = [k for k in known if k.remaining is not None]
    if not numbered:
        return PinStatus(pin, keys, None, known[0].state, differ)
    low = min(numbered, key=lambda k: k.remaining or 0)
    return PinStatus(pin, keys, low.remaining, low.state, differ)


def named_pins(
    pins: str | Pin | Iterable[str | Pin] | None = None,
    among: tuple[Pin, ...] = profile.PINS,
) -> tuple[Pin, ...]:
    """The PINs named, once each, in the card's order (①-④, then the 照合番号); all of
    ``among`` for ``None``. A name is a PIN id (``sign``, ``cardinfo-a``, ...), ``1``-``4``
    or ``①``-``④``; a PIN not in ``among``, anything else, or none at all raises
    :class:`PinRequestError`."""
    if pins is None:
        return among
    wanted: set[str] = set()
    for name in (pins,) if isinstance(pins, str | Pin) else pins:
        pin: Pin | None = name if isinstance(name, Pin) else None
        if isinstance(name, str):
            key = name.lower()
            pin = profile.PINS_BY_ID.get(key) or profile.USER_PIN_NAMES.get(key)
        if pin is None or pin not in among:
            raise PinRequestError("unknown-pin", str(name))
        wanted.add(pin.id)
    if not wanted:
        raise PinRequestError("no-pin")
    return tuple(p for p in among if p.id in wanted)


def read_retries(
    card: MyNumberCard, pins: str | Pin | Iterable[str | Pin] | None = None
) -> RetriesReport:
    """Query every key of ``pins`` (all PINs when ``None``; names as :func:`named_pins`
    takes them); raise NotMyNumberCardError if JPKI is absent.

    The report holds the PINs asked for, in the card's order; ``any_locked`` and the
    guidance consider those alone.
    """
    chosen = named_pins(pins)
    start = card.apdu_count
    card.require_jpki()
    token = card.read_token()
    # Visit keys application by application so each application is selected once.
    order = {app.id: i for i, app in enumerate(profile.APPLICATIONS)}
    keys = sorted(
        {k.id: k for p in chosen for k in p.slots}.values(), key=lambda k: order[k.app.id]
    )
    status = {k.id: card.query_key(k) for k in keys}
    result = tuple(combine(p, tuple(status[k.id] for k in p.slots)) for p in chosen)
    return RetriesReport(card.transport.name, token, result, card.apdu_count - start)


# -- what to do next -------------------------------------------------------------


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
    states = {p.id: p.state for p in report.pins}
    sign, auth = states.get("sign"), states.get("auth")
    if sign is KeyState.LOCKED and auth is KeyState.LOCKED:
        routes.append(Code.KIOSK_NEEDS_ONE)
    elif sign is KeyState.LOCKED and auth in _WORKING:
        routes.append(Code.KIOSK_SIGN)
    elif auth is KeyState.LOCKED and sign in _WORKING:
        routes.append(Code.KIOSK_AUTH)
    return tuple(routes)


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
    # Refused whatever flag is given: a key the card does not have.
    absent = [p for p in unknown if any(refusal(k) is Refusal.ABSENT for k in p.keys)]
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
