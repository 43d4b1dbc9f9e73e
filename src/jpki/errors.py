"""Typed errors about the card itself (the transport's errors live in :mod:`apdu.errors`)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import ClassVar

from apdu import errors as ae
from apdu import outfile


class JpkiError(Exception):
    """Base class of the errors raised by :mod:`jpki`.

    ``result`` holds what a PIN command achieved before it stopped (a
    :class:`jpki.pinresult.PinCommandResult`), or ``None``.
    """

    result: object | None = None


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


class WeakPinError(JpkiError):
    """A new PIN value is too easy to guess (refused unless weak values are allowed).

    ``weakness`` is a :class:`jpki.pinpolicy.Weakness` code; the value is never kept.
    """

    def __init__(self, pin_id: str, weakness: str) -> None:
        super().__init__(f"{pin_id}: new value too easy to guess ({weakness})")
        self.pin_id = pin_id
        self.weakness = weakness


class PinRequestError(JpkiError):
    """A PIN command was asked for something it cannot do (checked before the card).

    ``reason``: ``unknown-pin``, ``mixed-formats``, ``key-needs-juki``,
    ``unknown-key``, ``no-pin``, ``mismatch`` (the two new entries differ),
    ``missing-current``, ``same-value`` (the new value is every current one: nothing
    to change), ``experimental`` (a change of ③, whose command rests on one
    public source never seen on a card, without ``experimental=True``; ``detail``
    is the PIN id), ``pin-type`` (a PIN value neither ``str`` nor ``bytes``; ``detail``:
    its type), ``warn-days`` (a warning window not a whole number from 0 to 3650).
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}{': ' + detail if detail else ''}")
        self.reason = reason
        self.detail = detail


class WrongPinError(JpkiError):
    """The card rejected a PIN; tries remain (``remaining``), like ykman's InvalidPinError."""

    def __init__(self, pin_id: str, remaining: int, key_id: str | None = None) -> None:
        tries = "try" if remaining == 1 else "tries"
        super().__init__(f"{pin_id}: wrong PIN, {remaining} {tries} left")
        self.pin_id = pin_id
        self.key_id = key_id or pin_id
        self.remaining = remaining

    @property
    def attempts_remaining(self) -> int:
        return self.remaining


class ChangeUnconfirmedError(JpkiError):
    """The card answered the CHANGE with ``9000`` but refused the new value when it was
    verified right after: the old value may still be the valid one. ``remaining``:
    the tries left after that refusal (None when the card did not say)."""

    def __init__(self, pin_id: str, key_id: str, remaining: int | None) -> None:
        super().__init__(f"{pin_id}: the card did not accept the new PIN after the change")
        self.pin_id = pin_id
        self.key_id = key_id
        self.remaining = remaining


class PinLockedError(JpkiError):
    """The PIN is locked (blocked) on the card.

    ``just_locked``: this command's wrong attempt locked it (else it was locked before).
    """

    def __init__(
        self, pin_id: str, key_id: str | None = None, *, just_locked: bool = False
    ) -> None:
        super().__init__(f"{pin_id}: PIN locked")
        self.pin_id = pin_id
        self.key_id = key_id or pin_id
        self.just_locked = just_locked
        self.remaining = 0


class SpendRefusedError(JpkiError):
    """A try was not spent: the count is at its last try, or cannot be trusted.

    ``reason``: ``last-try`` or ``untrusted`` (see :func:`jpki.permit.refusal`);
    ``lifted_by``: the keyword that lifts it, and it alone (:data:`LIFTED_BY`): ``force``
    for the last try, ``accept_unknown_count`` for an untrusted count; the command-line
    flag is the same with dashes. Nothing carrying a PIN was sent.
    """

    #: The keyword that lifts each reason (``verify_pin``, ``change_pin``, ...).
    LIFTED_BY: ClassVar[Mapping[str, str]] = {
        "last-try": "force",
        "untrusted": "accept_unknown_count",
    }

    def __init__(self, pin_id: str, key_id: str, reason: str, sw: int) -> None:
        super().__init__(f"{pin_id}: refused to spend a try ({reason}, card answered {sw:04X})")
        self.pin_id = pin_id
        self.key_id = key_id
        self.reason = reason
        self.sw = sw
        self.lifted_by = self.LIFTED_BY.get(reason, "")


class PinAbsentError(JpkiError):
    """This card or token has no such PIN; nothing carrying a PIN was sent.

    ``reason``: ``smartphone``, ``juki-card``, ``no-sign-certificate``, ``no-reference-data``
    (``6A88``, e.g. a face-authentication card's ②), ``no-application`` (``6A82``).
    """

    def __init__(self, pin_id: str, reason: str, sw: int | None = None) -> None:
        super().__init__(f"{pin_id}: no such PIN on this card ({reason})")
        self.pin_id = pin_id
        self.reason = reason
        self.sw = sw


class PermitError(JpkiError):
    """Code tried to send PIN data without a valid permit; nothing was sent.

    A bug in the caller, never the user's doing: see :mod:`jpki.permit`.
    """


class AmbiguousCardError(JpkiError):
    """Several readers hold a card and no single one is a My Number card: ``readers``
    hold My Number cards (``my_number``), or cards none of which answers as one."""

    def __init__(self, readers: list[str], *, my_number: bool = False) -> None:
        super().__init__("several readers hold a card: " + ", ".join(readers))
        self.readers = readers
        self.my_number = my_number


class ReaderError(JpkiError):
    """A failure below the card, raised inside :func:`jpki.open_card` and friends: no
    PC/SC service, no reader, no card, card removed, reader busy, a card that does
    not answer, a recorded session that does not fit, a file that cannot be written.

    Each is one of the classes below, also an instance of the :mod:`apdu` error it
    stands for, so ``except apdu.NoCardError`` keeps working; the original is the
    ``__cause__``. After a PIN command began, ``result`` says what it did.
    """


# One class per apdu error, of the same name: the most specific one stands for an error.
class ApduError(ReaderError, ae.ApduError): ...


class EncodingError(ReaderError, ae.EncodingError): ...


class TransportError(ReaderError, ae.TransportError): ...


class ServiceUnavailableError(ReaderError, ae.ServiceUnavailableError): ...


class ServiceStoppedError(ReaderError, ae.ServiceStoppedError): ...


class AccessDeniedError(ReaderError, ae.AccessDeniedError): ...


class PcscLibraryError(ReaderError, ae.PcscLibraryError): ...


class NoReaderError(ReaderError, ae.NoReaderError): ...


class AmbiguousReaderError(ReaderError, ae.AmbiguousReaderError): ...


class NoCardError(ReaderError, ae.NoCardError): ...


class CardRemovedError(ReaderError, ae.CardRemovedError): ...


class ReaderBusyError(ReaderError, ae.ReaderBusyError): ...


class CardUnresponsiveError(ReaderError, ae.CardUnresponsiveError): ...


class SessionFileError(ReaderError, ae.SessionFileError): ...


class ReplayMismatchError(ReaderError, ae.ReplayMismatchError): ...


class ReplayLeftoverError(ReaderError, ae.ReplayLeftoverError): ...


class OutputError(ReaderError, outfile.OutputError): ...


_READER_ERRORS: dict[type[ae.ApduError], type[ReaderError]] = {
    base: cls
    for cls in ReaderError.__subclasses__()
    for base in cls.__bases__
    if base is not ReaderError
}


def as_jpki_error(exc: ae.ApduError) -> JpkiError:
    """``exc`` as the :class:`ReaderError` of its nearest class above (its fields and
    message kept)."""
    if isinstance(exc, JpkiError):
        return exc
    cls = next(_READER_ERRORS[c] for c in type(exc).__mro__ if c in _READER_ERRORS)
    error = cls.__new__(cls, *exc.args)
    error.__dict__.update(vars(exc))
    error.args = exc.args
    return error


@contextlib.contextmanager
def jpki_errors() -> Iterator[None]:
    """Inside the block, an :mod:`apdu` error comes out as its :class:`ReaderError`:
    everything the library raises is a :class:`JpkiError`."""
    try:
        yield
    except ae.ApduError as exc:
        if isinstance(exc, JpkiError):
            raise
        raise as_jpki_error(exc) from exc


class CertificateError(JpkiError):
    """A file that cannot be a certificate (truncated, impossible DER length, not X.509).

    ``what`` names the certificate (``auth``, ``sign-ca``, a file name), ``reason``
    says what is wrong in one line; no byte of the input is put in the message.
    """

    def __init__(self, what: str, reason: str, code: str = "not-x509") -> None:
        super().__init__(f"{what}: {reason}".replace("\n", " "))
        self.what = what
        self.reason = reason
        #: What is wrong, for messages in the user's language: ``bad-length``, ``pem``,
        #: ``truncated``, ``trailing``, ``empty``, ``too-long`` or ``not-x509``.
        self.code = code
