"""The result of a PIN command: what happened to each key and each PIN, and what
:func:`jpki.pinops.verify_pin` and :func:`jpki.pinops.change_pin` return
(:class:`PinCommandResult`, also attached to the error that stopped one as
``error.result``).

Plain frozen dataclasses, with their ``to_dict`` (the document ``change-pin --json`` and
``verify-pin --json`` print, docs/json.md); :mod:`jpki.pinops` builds them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .card import CardLeft
from .keystatus import KeyStatus
from .profile import Pin, PinSlot, Token
from .schema import document


class Outcome(StrEnum):
    """What happened to one key."""

    CHANGED = "changed"
    VERIFIED = "verified"
    WRONG = "wrong"
    LOCKED = "locked"
    #: The card refused the CHANGE (or VERIFY) with an unexpected status word.
    FAILED = "failed"
    #: The CHANGE answered ``9000`` but the VERIFY of the new value right after was
    #: refused: the old value may still be the valid one.
    UNCONFIRMED = "unconfirmed"
    #: The VERIFY or CHANGE was sent and its answer never came (card removed, no answer,
    #: pcscd gone): whether a try was spent, or the key changed, is not known
    #: (:attr:`KeyResult.interrupted_at`); ``retries`` shows the count without a try.
    INTERRUPTED = "interrupted"
    NOT_TRIED = "not-tried"


@dataclass(frozen=True)
class KeyResult:
    key: PinSlot
    #: The counter read before, without spending a try.
    before: KeyStatus
    outcome: Outcome
    #: The counter read after (``None`` when the key was not tried or the command failed).
    after: KeyStatus | None = None
    #: Status word of the VERIFY or CHANGE that decided the outcome.
    sw: int | None = None
    #: With :attr:`Outcome.INTERRUPTED`: ``verify`` (the VERIFY's answer never came) or
    #: ``change`` (the VERIFY answered ``9000``, the CHANGE's answer never came); with
    #: :attr:`Outcome.CHANGED`: ``confirm`` (the VERIFY of the new value went unanswered).
    interrupted_at: str | None = None
    #: After a CHANGE: whether the card accepted the new value when it was verified
    #: right after (None: no CHANGE answered ``9000``, or the VERIFY's answer was lost).
    confirmed: bool | None = None

    @property
    def done(self) -> bool:
        return self.outcome in (Outcome.CHANGED, Outcome.VERIFIED)

    def __repr__(self) -> str:
        sw = None if self.sw is None else f"'{self.sw:04X}'"
        after = "None" if self.after is None else self.after._brief()
        return (
            f"KeyResult(key={self.key.id!r}, outcome={self.outcome.value!r}, sw={sw}, "
            f"before={self.before._brief()}, after={after})"
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``json.dumps``: ``before``/``after`` are :meth:`KeyStatus.to_dict`."""
        return {
            "id": self.key.id,
            "application": self.key.app.id,
            "outcome": self.outcome.value,
            "done": self.done,
            "sw": None if self.sw is None else f"{self.sw:04X}",
            "interrupted_at": self.interrupted_at,
            "confirmed": self.confirmed,
            "before": self.before.to_dict(),
            "after": None if self.after is None else self.after.to_dict(),
        }


@dataclass(frozen=True)
class PinResult:
    pin: Pin
    keys: tuple[KeyResult, ...]

    @property
    def done(self) -> bool:
        """Every key of this PIN was changed (or verified)."""
        return all(k.done for k in self.keys)

    @property
    def partly_done(self) -> bool:
        """Some keys but not all were changed: ③ now holds two values."""
        return any(k.done for k in self.keys) and not self.done

    def _brief(self) -> str:
        """``auth changed``; ``juki (juki changed, juki-common not-tried)``."""
        if len(self.keys) == 1 and self.keys[0].key.id == self.pin.id:
            return f"{self.pin.id} {self.keys[0].outcome.value}"
        keys = ", ".join(f"{k.key.id} {k.outcome.value}" for k in self.keys)
        return f"{self.pin.id} ({keys})"

    def __repr__(self) -> str:
        keys = ", ".join(f"{k.key.id} {k.outcome.value}" for k in self.keys)
        return f"PinResult(pin={self.pin.id!r}, done={self.done}, keys=[{keys}])"

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``json.dumps``."""
        return {
            "id": self.pin.id,
            "no": self.pin.no,
            "done": self.done,
            "partly_done": self.partly_done,
            "keys": [k.to_dict() for k in self.keys],
        }


@dataclass(frozen=True)
class PinCommandResult:
    """The result of :func:`change_pin` or :func:`verify_pin` (also attached to the error
    that stopped one, as ``error.result``)."""

    operation: str  # "change" or "verify"
    reader: str
    token: Token
    pins: tuple[PinResult, ...]
    apdus: int
    #: ``date-like`` when the new value looks like a date (accepted with a warning).
    warnings: tuple[str, ...] = ()
    #: How the card was left (None: no PIN value was sent, or a fault cut the command
    #: short before its ending; the transport then removes the card's power).
    card_left: CardLeft | None = None
    #: Which steps of the ending took effect: ``select`` (another application),
    #: ``power`` (the power cycled).
    left_steps: tuple[str, ...] = ()

    @property
    def done(self) -> tuple[Pin, ...]:
        return tuple(p.pin for p in self.pins if p.done)

    @property
    def not_done(self) -> tuple[Pin, ...]:
        return tuple(p.pin for p in self.pins if not p.done)

    @property
    def interrupted(self) -> tuple[KeyResult, ...]:
        """Keys whose VERIFY or CHANGE went unanswered, or changed keys whose VERIFY of
        the new value did (``interrupted_at``): their fate is not known."""
        return tuple(k for p in self.pins for k in p.keys if k.interrupted_at is not None)

    @property
    def pin_sent(self) -> bool:
        """Whether any PIN value was handed to the card."""
        return any(k.outcome is not Outcome.NOT_TRIED for p in self.pins for k in p.keys)

    def __repr__(self) -> str:
        pins = ", ".join(p._brief() for p in self.pins)
        warnings = f", warnings={list(self.warnings)}" if self.warnings else ""
        return (
            f"PinCommandResult(operation={self.operation!r}, reader={self.reader!r}, "
            f"token={self.token.value!r}, pins=[{pins}], apdus={self.apdus}{warnings})"
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``json.dumps``: the document ``change-pin --json`` /
        ``verify-pin --json`` prints (``changed``/``not_changed`` or
        ``verified``/``not_verified``; docs/json.md)."""
        change = self.operation == "change"
        done, not_done = ("changed", "not_changed") if change else ("verified", "not_verified")
        confirmed = {}
        if change:  # every key the card took was confirmed on it
            keys = [k.confirmed for p in self.pins for k in p.keys if k.confirmed is not None]
            confirmed["confirmed"] = all(keys) if keys else None  # None: nothing changed
        return document(
            {
                "operation": self.operation,
                "reader": self.reader,
                "token": self.token.value,
                "pins": [p.to_dict() for p in self.pins],
                done: [p.id for p in self.done],
                not_done: [p.id for p in self.not_done],
                "warnings": list(self.warnings),
                **confirmed,
                "card_left": None if self.card_left is None else self.card_left.value,
                "card_left_steps": list(self.left_steps),
                "apdus": self.apdus,
            }
        )
