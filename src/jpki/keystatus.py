"""What a key's retry counter says, as read without spending a try (docs/card.md §5).

A count is trusted only when it can be true: ``63Cx`` with x no more than the key's
maximum, ``63C0``/``6984``/``6983`` for a blocked key, ``6300`` on a key with no
known limit. ``9000`` (verified in this session, count not reported; some cards per
myna-card), ``6300`` on a key that has a limit and ``63Cx`` above the maximum are
reported as :attr:`KeyState.UNKNOWN` with a note, never as usable.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from apdu import SW, ResponseAPDU

from .profile import PinSlot


def brief_count(remaining: int | None, max_tries: int | None, state: KeyState) -> str:
    """A count as the reprs show it: ``5/5 usable``, ``?/3 unknown``."""
    left = "?" if remaining is None else remaining
    most = "?" if max_tries is None else max_tries
    return f"{left}/{most} {state.value}"


class KeyState(StrEnum):
    """What a query answer says about a key."""

    USABLE = "usable"
    LAST_TRY = "last-try"
    LOCKED = "locked"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class KeyStatus:
    """A key's counter as the card reported it, without spending a try."""

    key: PinSlot
    sw: int
    remaining: int | None
    state: KeyState
    #: ``"verified"`` (9000: verified in this session, count not reported),
    #: ``"no-limit"`` (6300 on a key with no known maximum), ``"no-limit-claimed"`` (6300
    #: on a key that has one), ``"over-max"`` (63Cx above the maximum) or ``None``.
    note: str | None = None

    @property
    def locked(self) -> bool | None:
        if self.state is KeyState.UNKNOWN:
            return None
        return self.state is KeyState.LOCKED

    def _brief(self) -> str:
        """``3/3 usable``: the count in a result's repr."""
        return brief_count(self.remaining, self.key.max_tries, self.state)

    def __repr__(self) -> str:
        note = "" if self.note is None else f", note={self.note!r}"
        return (
            f"KeyStatus(key={self.key.id!r}, remaining={self.remaining}, "
            f"max_tries={self.key.max_tries}, state={self.state.value!r}, "
            f"sw='{self.sw:04X}'{note})"
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``json.dumps`` (the key by its id, ``sw`` as ``"63C3"``)."""
        return {
            "id": self.key.id,
            "application": self.key.app.id,
            "remaining": self.remaining,
            "max": self.key.max_tries,
            "locked": self.locked,
            "state": self.state.value,
            "sw": f"{self.sw:04X}",
            "note": self.note,
        }


def interpret_query(key: PinSlot, resp: ResponseAPDU) -> KeyStatus:
    """Turn the answer to ``VERIFY`` without data into a :class:`KeyStatus` (docs/card.md §5)."""
    sw = resp.sw
    left = resp.retries_left
    if left is not None:
        if left == 0:
            return KeyStatus(key, sw, 0, KeyState.LOCKED)
        if key.max_tries is not None and left > key.max_tries:
            return KeyStatus(key, sw, None, KeyState.UNKNOWN, "over-max")
        return KeyStatus(key, sw, left, KeyState.LAST_TRY if left == 1 else KeyState.USABLE)
    if sw in (SW.REFERENCE_DATA_NOT_USABLE, SW.AUTH_METHOD_BLOCKED):
        return KeyStatus(key, sw, 0, KeyState.LOCKED)
    if sw == SW.OK:
        return KeyStatus(key, sw, None, KeyState.UNKNOWN, "verified")
    if sw == SW.VERIFY_FAILED_NO_COUNTER:
        if key.max_tries is None:
            return KeyStatus(key, sw, None, KeyState.USABLE, "no-limit")
        return KeyStatus(key, sw, None, KeyState.UNKNOWN, "no-limit-claimed")
    return KeyStatus(key, sw, None, KeyState.UNKNOWN)


def is_count_answer(resp: ResponseAPDU) -> bool:
    """Whether a query answer says how many tries are left: ``63Cx`` (``63C0`` blocked),
    ``6984``/``6983`` (blocked) or ``6300`` (no limit). ``9000`` is not one: it says the
    key is verified and not how many tries it has (:meth:`jpki.card.MyNumberCard.query_key`
    asks a ``9000`` to the short form again in the long form)."""
    return resp.retries_left is not None or resp.sw in (
        SW.REFERENCE_DATA_NOT_USABLE,
        SW.AUTH_METHOD_BLOCKED,
        SW.VERIFY_FAILED_NO_COUNTER,
    )
