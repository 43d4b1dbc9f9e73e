"""Typed errors about the card itself (the transport's errors live in :mod:`apdu.errors`)."""

from __future__ import annotations


class JpkiError(Exception):
    """Base class of the errors raised by :mod:`jpki`."""


class NotMyNumberCardError(JpkiError):
    """The card does not answer as a My Number card (no JPKI application)."""

    def __init__(self, sw: int | None = None) -> None:
        detail = f" (SELECT JPKI answered {sw:04X})" if sw is not None else ""
        super().__init__(f"not a My Number card{detail}")
        self.sw = sw


class CardError(JpkiError):
    """The card answered a command with an unexpected status word."""

    def __init__(self, operation: str, sw: int) -> None:
        super().__init__(f"{operation}: card answered {sw:04X}")
        self.operation = operation
        self.sw = sw


class PinFormatError(JpkiError):
    """A PIN value was rejected before any byte reached the card.

    The message names the PIN and the rule; it never contains the value.
    """

    def __init__(self, pin_id: str, rule: str) -> None:
        super().__init__(f"{pin_id}: value does not match {rule}")
        self.pin_id = pin_id
        self.rule = rule


class WrongPinError(JpkiError):
    """The card rejected a PIN; tries remain."""

    def __init__(self, pin_id: str, remaining: int) -> None:
        super().__init__(f"{pin_id}: wrong PIN, {remaining} tries left")
        self.pin_id = pin_id
        self.remaining = remaining


class PinLockedError(JpkiError):
    """The PIN is locked (blocked) on the card."""

    def __init__(self, pin_id: str) -> None:
        super().__init__(f"{pin_id}: PIN locked")
        self.pin_id = pin_id


class AmbiguousCardError(JpkiError):
    """Several readers hold a card and no single one is a My Number card."""

    def __init__(self, readers: list[str]) -> None:
        super().__init__("several readers hold a card: " + ", ".join(readers))
        self.readers = readers
