"""Every PIN's remaining tries, without spending one.

Round trips: five SELECT AP, one READ BINARY for the token label and nine
``00 20 00 (80|FID)`` queries = 15 APDUs on a card that takes the short-EF form
(myna-card, jsapdu); a card that does not costs a SELECT EF more per key.
Asked for some PINs only, only their keys are queried and only their
applications selected: ① and ② take 4 APDUs (SELECT JPKI, the label, two queries).
Only VERIFY *without data* is ever sent here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from . import profile
from .card import KeyState, KeyStatus, MyNumberCard
from .errors import PinRequestError
from .profile import Pin, Token
from .schema import document


def count_text(remaining: int | None, max_tries: int | None, state: KeyState) -> str:
    """A count as the reprs show it: ``5/5 usable``, ``?/3 unknown``."""
    left = "?" if remaining is None else remaining
    most = "?" if max_tries is None else max_tries
    return f"{left}/{most} {state.value}"


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
        for k in self.keys:
            if k.state is self.state and k.remaining == self.remaining:
                return k.sw
        for k in self.keys:
            if k.state is self.state:
                return k.sw
        return self.keys[0].sw

    def _brief(self) -> str:
        """``sign 5/5 usable``: one line for a report's repr."""
        text = f"{self.id} {count_text(self.remaining, self.max_tries, self.state)}"
        return text + " (keys differ)" if self.keys_differ else text

    def __repr__(self) -> str:
        text = (
            f"PinStatus(id={self.id!r}, no={self.pin.no}, remaining={self.remaining}, "
            f"max_tries={self.max_tries}, state={self.state.value!r}, sw='{self.sw:04X}'"
        )
        if len(self.keys) > 1:
            keys = ", ".join(
                f"{k.key.id} {count_text(k.remaining, k.key.max_tries, k.state)}" for k in self.keys
            )
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
        (docs/json.md), ``guidance`` as :func:`jpki.guidance.guidance`'s codes."""
        from .guidance import guidance  # (it imports this module)

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
    """One status for a PIN made of several keys: the lowest known count wins."""
    if len(keys) == 1:
        k = keys[0]
        return PinStatus(pin, keys, k.remaining, k.state)
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


#: Names :func:`named_pins` takes besides the ids: ``1``-``4`` and ``①``-``④``.
PIN_NUMBERS: dict[str, Pin] = {
    **{str(p.no): p for p in profile.USER_PINS if p.no},
    **{profile.CIRCLED[p.no]: p for p in profile.USER_PINS if p.no},
}


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
            pin = profile.PINS_BY_ID.get(key) or PIN_NUMBERS.get(key)
        if pin is None or pin not in among:
            raise PinRequestError("unknown-kind", str(name))
        wanted.add(pin.id)
    if not wanted:
        raise PinRequestError("no-kind")
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
    keys = sorted({k.id: k for p in chosen for k in p.keys}.values(), key=lambda k: order[k.app.id])
    status = {k.id: card.query_key(k) for k in keys}
    result = tuple(combine(p, tuple(status[k.id] for k in p.keys)) for p in chosen)
    return RetriesReport(card.transport.name, token, result, card.apdu_count - start)
