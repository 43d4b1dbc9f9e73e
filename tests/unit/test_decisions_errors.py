"""What a library user sees of an error: its message (``print(e)`` in the README) and
the fields a program branches on. No message ever holds a PIN value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import apdu
from jpki import errors as je
from jpki.certificate import CertificateError


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: je.NotMyNumberCardError(), "not a My Number card"),
        (
            lambda: je.NotMyNumberCardError(0x6A82),
            "not a My Number card (SELECT JPKI answered 6A82)",
        ),
        (lambda: je.CardError("READ BINARY", 0x6F00), "READ BINARY: card answered 6F00"),
        (lambda: je.PinFormatError("auth", "digits4"), "auth: value does not match digits4"),
        (
            lambda: je.WeakPinError("auth", "sequence"),
            "auth: new value too easy to guess (sequence)",
        ),
        (lambda: je.PinRequestError("mixed-formats"), "mixed-formats"),
        (lambda: je.PinRequestError("unknown-pin", "9"), "unknown-pin: 9"),
        (lambda: je.WrongPinError("auth", 2), "auth: wrong PIN, 2 tries left"),
        (lambda: je.WrongPinError("auth", 1), "auth: wrong PIN, 1 try left"),
        (lambda: je.WrongPinError("sign", 0), "sign: wrong PIN, 0 tries left"),
        (lambda: je.PinLockedError("juki", "juki-common"), "juki: PIN locked"),
        (
            lambda: je.SpendRefusedError("auth", "auth", "last-try", 0x63C1),
            "auth: refused to spend a try (last-try, card answered 63C1)",
        ),
        (
            lambda: je.PinAbsentError("sign", "no-sign-certificate"),
            "sign: no such PIN on this card (no-sign-certificate)",
        ),
        (lambda: je.AmbiguousCardError(["A", "B"]), "several readers hold a card: A, B"),
        (lambda: CertificateError("auth", "the file is empty", "empty"), "auth: the file is empty"),
        (lambda: CertificateError("x.der", "two\nlines"), "x.der: two lines"),
    ],
)
def test_messages(make: Callable[[], Exception], message: str) -> None:
    """Made inside the test, so that the code under test runs in it."""
    assert str(make()) == message


def test_fields_a_program_branches_on() -> None:
    e = je.NotMyNumberCardError(0x6A82)
    assert e.sw == 0x6A82 and je.NotMyNumberCardError().sw is None
    c = je.CardError("SELECT EF", 0x6A82)
    assert (c.operation, c.sw) == ("SELECT EF", 0x6A82)
    f = je.PinFormatError("sign", "sign-password")
    assert (f.pin_id, f.rule) == ("sign", "sign-password")
    w = je.WeakPinError("auth", "repeated")
    assert (w.pin_id, w.weakness) == ("auth", "repeated")
    r = je.PinRequestError("unknown-key", "juki-x")
    assert (r.reason, r.detail) == ("unknown-key", "juki-x")
    assert je.PinRequestError("no-pin").detail == ""
    wrong = je.WrongPinError("juki", 2, "juki-common")
    assert (wrong.pin_id, wrong.key_id, wrong.remaining, wrong.attempts_remaining) == (
        "juki",
        "juki-common",
        2,
        2,
    )
    assert je.WrongPinError("auth", 2).key_id == "auth"
    locked = je.PinLockedError("auth")
    assert (locked.pin_id, locked.key_id, locked.just_locked, locked.remaining) == (
        "auth",
        "auth",
        False,
        0,
    )
    assert je.PinLockedError("juki", "juki-common", just_locked=True).just_locked is True
    refused = je.SpendRefusedError("juki", "juki-common", "untrusted", 0x9000)
    assert (refused.pin_id, refused.key_id, refused.reason, refused.sw) == (
        "juki",
        "juki-common",
        "untrusted",
        0x9000,
    )
    absent = je.PinAbsentError("auth", "no-reference-data", 0x6A88)
    assert (absent.pin_id, absent.reason, absent.sw) == ("auth", "no-reference-data", 0x6A88)
    assert je.PinAbsentError("auth", "smartphone").sw is None
    assert je.AmbiguousCardError(["A", "B"]).readers == ["A", "B"]
    cert = CertificateError("auth", "x")
    assert (cert.what, cert.reason, cert.code) == ("auth", "x", "not-x509")
    assert CertificateError("auth", "x", "pem").code == "pem"


@pytest.mark.parametrize(
    "original",
    [
        apdu.NoCardError("no card in A"),
        apdu.CardRemovedError("gone"),
        apdu.ReaderBusyError("busy"),
        apdu.ReplayMismatchError(3, "00A4", "00B0"),
    ],
)
def test_reader_errors_are_jpki_errors_and_still_their_own_kind(original: Exception) -> None:
    wrapped = je.as_jpki_error(original)  # type: ignore[arg-type]
    assert isinstance(wrapped, je.ReaderError) and isinstance(wrapped, je.JpkiError)
    assert isinstance(wrapped, type(original))
    assert type(wrapped) is getattr(je, type(original).__name__)  # declared, same name
    assert str(wrapped) == str(original) and wrapped.args == original.args
    assert wrapped.__dict__ == original.__dict__
    # one class per kind: ``except`` clauses and isinstance checks agree across calls
    assert type(je.as_jpki_error(original)) is type(wrapped)  # type: ignore[arg-type]


def test_every_apdu_error_has_its_declared_reader_error() -> None:
    """A new apdu error without its own class here would come out as its parent's."""
    import apdu.outfile

    def below(cls: type) -> set[type]:
        return {cls} | {c for sub in cls.__subclasses__() for c in below(sub)}

    apdu_errors = {c for c in below(apdu.ApduError) if c.__module__.startswith("apdu")} | {
        apdu.outfile.OutputError
    }
    assert apdu_errors == set(je._READER_ERRORS)
    for cls in apdu_errors:
        assert je._READER_ERRORS[cls].__name__ == cls.__name__


def test_a_jpki_error_is_not_wrapped_again() -> None:
    wrapped = je.as_jpki_error(apdu.NoCardError("x"))
    assert je.as_jpki_error(wrapped) is wrapped  # type: ignore[arg-type]


def test_a_card_used_after_its_session_raises_a_jpki_error() -> None:
    """Everything the library raises is a JpkiError: a card kept past its ``with``
    block included (its transport is closed)."""
    import jpki

    with jpki.open_emulator() as card:
        jpki.read_retries(card)
    with pytest.raises(je.ReaderError) as caught:
        jpki.read_retries(card)
    assert isinstance(caught.value, apdu.TransportError)
    assert isinstance(caught.value.__cause__, apdu.TransportError)
    assert not isinstance(caught.value.__cause__, je.JpkiError)


def test_a_fault_during_a_pin_command_carries_what_it_did() -> None:
    """A transport fault in the middle of a PIN command is a ReaderError whose
    ``result`` (declared, not attached) says what was sent."""
    import jpki
    from jpki.emulator import VirtualCard, build_state

    card = VirtualCard(build_state())
    sent: list[bytes] = []

    def answer(command: bytes) -> bytes:
        sent.append(command)
        if command[1] == 0x20 and len(command) > 5:  # the VERIFY with data
            raise apdu.CardRemovedError("pulled out")
        return card.process(command)

    with (
        pytest.raises(je.CardRemovedError) as caught,
        jpki.open_transport(apdu.FunctionTransport(answer)) as session,
    ):
        jpki.verify_pin(session, "auth", "1234")
    result = caught.value.result
    assert isinstance(result, jpki.PinCommandResult)
    assert result.pins[0].keys[0].outcome.value == "interrupted"


def _failing_reads(after_verify: bool = False) -> Any:
    """The virtual card, whose READ BINARY of a certificate raises a replay mismatch (an
    apdu error that is not a transport fault), once ① was verified when
    ``after_verify``."""
    from jpki.emulator import VirtualCard, build_state

    card = VirtualCard(build_state())
    verified: list[bool] = []

    def answer(command: bytes) -> bytes:
        if command[1] == 0x20 and len(command) > 5:
            verified.append(True)
        certificate = command[2] & 0x1F in (0x01, 0x0A) if command[2] & 0x80 else True
        if command[1] == 0xB0 and certificate and (verified or not after_verify):
            raise apdu.ReplayMismatchError(7, "00B0...", "00B0...")
        return card.process(command)

    return apdu.FunctionTransport(answer), card


def test_a_failure_after_the_sign_pin_still_leaves_the_card_unverified() -> None:
    """Not a transport fault (the card still answers): the ending runs, as for a
    wrong ①, and the error comes out as the library's own."""
    import jpki

    transport, card = _failing_reads(after_verify=True)
    with pytest.raises(je.ReplayMismatchError), jpki.open_transport(transport) as session:
        try:
            jpki.read_certificate(session, "sign", sign_pin="ABC123")
        finally:
            assert session.card_left is not None  # leave_unverified ran
            assert card._verified == set()


def test_info_does_not_hide_a_failure_of_the_session_itself() -> None:
    import jpki

    transport, _ = _failing_reads()
    with pytest.raises(je.ReplayMismatchError), jpki.open_transport(transport) as session:
        jpki.read_info(session)
