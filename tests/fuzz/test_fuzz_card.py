"""A hostile card end to end: every answer is drawn by hypothesis, and the library's
operations (retries, info, certificates, notAfter, expiry, the chain, PIN checks and
changes) must raise nothing but :class:`jpki.JpkiError` and :class:`apdu.ApduError`.
Their results must still turn into JSON and reprs, and the CLI's day counts must work.

Two cards: one whose every answer is arbitrary (plausible pieces or garbage, by
instruction), and the virtual card with some answers replaced or mutated, which
reaches deep paths (a certificate read in chunks whose middle breaks, a counter that
changes between two reads).

Each test states its case count: the first figure under the fuzz profile
(``--hypothesis-profile=fuzz``), the second under the default ``ci`` profile.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
from collections.abc import Callable
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

import jpki
from apdu import ApduError, BaseTransport, CardUnresponsiveError
from jpki import profile
from jpki.card import MyNumberCard
from jpki.emulator import CardState, EmulatorTransport, VirtualCard
from jpki.expiry import end_of_day_jst
from jpki.jst import days_left
from jpki.retries import guidance

from .budget import cases
from .strategies import (
    card_records,
    cert_flags,
    certificate_bytes,
    corpus,
    mutate,
    sw_bytes,
    token_labels,
)

#: APDUs a fuzzed card answers before it stops answering (CardUnresponsiveError).
BUDGET = 120
NOW = dt.datetime(2025, 6, 1, 3, tzinfo=dt.UTC)
INS_SELECT, INS_READ_BINARY, INS_READ_RECORD, INS_VERIFY, INS_GET_RESPONSE = (
    0xA4,
    0xB0,
    0xB2,
    0x20,
    0xC0,
)


def _with_sw(data: st.SearchStrategy[bytes], sws: tuple[int, ...]) -> st.SearchStrategy[bytes]:
    """``data`` followed by one of the status words ``sws``."""
    return st.builds(lambda d, sw: d + sw.to_bytes(2, "big"), data, st.sampled_from(sws))


@functools.cache
def _certificate_chunk() -> st.SearchStrategy[bytes]:
    """Bytes of a certificate file from some offset: the real ones (so chunked reads fit
    together), mutated ones, or anything."""
    real = st.sampled_from(corpus())
    return st.one_of(
        real,
        st.builds(lambda der, cut: der[:cut], real, st.integers(0, 1400)),
        certificate_bytes(),
    )


@functools.cache
def _answers(ins: int) -> st.SearchStrategy[bytes]:
    """Answers to a command with instruction ``ins``: half of them what a working card
    would say (so that operations get past their first steps), the rest any status
    word or garbage."""
    garbage = st.binary(max_size=3) | st.binary(max_size=300)
    if ins == INS_SELECT:
        good = _with_sw(st.just(b""), (0x9000,))
        plausible = _with_sw(st.just(b""), (0x9000, 0x6A82, 0x6A86))
    elif ins == INS_VERIFY:
        good = _with_sw(st.just(b""), (0x63C3, 0x63C5, 0x63CA, 0x9000))
        plausible = _with_sw(st.just(b""), (0x63C1, 0x63C0, 0x6984, 0x6983, 0x6300, 0x63CF))
    elif ins == INS_READ_RECORD:
        good = _with_sw(card_records(), (0x9000,))
        plausible = _with_sw(card_records(), (0x9000, 0x6A83))
    elif ins in (INS_READ_BINARY, INS_GET_RESPONSE):
        good = _with_sw(token_labels() | cert_flags() | _certificate_chunk(), (0x9000,))
        plausible = _with_sw(
            token_labels() | cert_flags() | _certificate_chunk(),
            (0x9000, 0x6282, 0x6B00, 0x6100, 0x6C00, 0x6700, 0x6986),
        )
    else:
        good = _with_sw(st.just(b""), (0x9000,))
        plausible = _with_sw(st.binary(max_size=8), (0x9000,))
    return st.one_of(good, good, good, plausible, sw_bytes(), garbage)


@functools.cache
def _file_answers(offset: int, le: int) -> st.SearchStrategy[bytes]:
    """A READ BINARY at ``offset``: a real certificate's bytes there (so that reads in
    chunks fit together), or any answer."""
    real = st.sampled_from(corpus()).map(lambda der: der[offset : offset + le])
    return st.one_of(_with_sw(real, (0x9000, 0x6282)), _answers(INS_READ_BINARY))


class HostileCard(BaseTransport):
    """A transport whose every answer hypothesis draws, by the command's instruction;
    after :data:`BUDGET` APDUs it stops answering."""

    def __init__(self, draw: Callable[[st.SearchStrategy[Any]], Any], atr: bytes) -> None:
        self._draw = draw
        self._name = "hostile card"
        self._atr = atr
        self.sent = 0

    def transmit(self, apdu: bytes, *, secret: bool = False, personal: bool = False) -> bytes:
        self.sent += 1
        if self.sent > BUDGET:
            raise CardUnresponsiveError("hostile card: no more answers")
        ins = apdu[1] if len(apdu) > 1 else 0
        if ins == INS_READ_BINARY and len(apdu) >= 5 and not apdu[2] & 0x80:
            le = int.from_bytes(apdu[5:7] if apdu[4] == 0 and len(apdu) == 7 else apdu[4:5], "big")
            strategy = _file_answers((apdu[2] << 8) | apdu[3], le or 256)
        else:
            strategy = _answers(ins)
        answer: bytes = self._draw(strategy)
        return answer


class TamperedCard(EmulatorTransport):
    """The virtual card, with the answers hypothesis chooses replaced or mutated."""

    def __init__(self, draw: Callable[[st.SearchStrategy[Any]], Any]) -> None:
        super().__init__(VirtualCard(CardState()))  # fresh: PIN operations change it
        self._draw = draw
        self.sent = 0

    def transmit(self, apdu: bytes, *, secret: bool = False, personal: bool = False) -> bytes:
        self.sent += 1
        if self.sent > BUDGET * 4:
            raise CardUnresponsiveError("tampered card: no more answers")
        answer = super().transmit(apdu, secret=secret)
        how = self._draw(st.integers(0, 9))
        if how <= 6:
            return answer
        if how == 7:  # another status word
            return answer[:-2] + self._draw(sw_bytes())
        if how == 8:
            mutated: bytes = self._draw(mutate(answer))
            return mutated
        drawn: bytes = self._draw(_answers(apdu[1] if len(apdu) > 1 else 0))
        return drawn


# -- the operations, and what a caller does with their results -----------------------


def _days(when: dt.datetime | None) -> None:
    if when is not None:
        days_left(when, NOW)


def _retries(card: MyNumberCard, pins: Any) -> None:
    report = jpki.read_retries(card, pins)
    json.dumps(report.to_dict())
    assert repr(report)
    for advice in guidance(report):
        assert repr(advice)
    for pin in report.pins:
        assert pin.remaining is None or 0 <= pin.remaining <= 15


def _info(card: MyNumberCard, _: Any) -> None:
    info = jpki.read_info(card)
    json.dumps(info.to_dict())
    assert repr(info)
    if info.card_expiry is not None:
        _days(end_of_day_jst(info.card_expiry))
    _days(info.auth_not_after)


def _certificate(card: MyNumberCard, kind: Any) -> None:
    cert = jpki.read_certificate(card, kind, sign_pin="ABC123")
    json.dumps(cert.to_dict())
    json.dumps(cert.to_dict(personal=True))
    assert repr(cert)
    _days(cert.info.not_after)


def _expiry(card: MyNumberCard, sign: Any) -> None:
    report = jpki.read_expiry(card, NOW, sign=bool(sign), sign_pin="ABC123")
    json.dumps(report.to_dict())
    assert repr(report)


def _chain(card: MyNumberCard, kind: Any) -> None:
    chain = jpki.read_chain(card, kind, NOW, sign_pin="ABC123")
    json.dumps(chain.to_dict())
    assert repr(chain)


def _verify(card: MyNumberCard, pin: Any) -> None:
    value = "ABC123" if pin == "sign" else "1234"
    result = jpki.verify_pin(card, pin, value)
    json.dumps(result.to_dict())
    assert repr(result)


def _change(card: MyNumberCard, pin: Any) -> None:
    new = "XYZ789" if pin == "sign" else "2580"
    current = "ABC123" if pin == "sign" else "1234"
    result = jpki.change_pin(card, pin, current, new, experimental=True)
    json.dumps(result.to_dict())
    assert repr(result)


OPERATIONS: dict[str, tuple[Callable[[MyNumberCard, Any], None], tuple[Any, ...]]] = {
    "retries": (_retries, (None, "auth", ("juki", "cardinfo-a"))),
    "info": (_info, (None,)),
    "certificate": (_certificate, ("auth", "auth-ca", "sign", "sign-ca")),
    "expiry": (_expiry, (False, True)),
    "chain": (_chain, ("auth", "sign")),
    "verify": (_verify, ("auth", "sign", "juki")),
    "change": (_change, ("auth", "juki")),
}


@functools.cache
def _operations() -> st.SearchStrategy[tuple[str, Any]]:
    return st.sampled_from([(name, arg) for name, (_, args) in OPERATIONS.items() for arg in args])


def _run(card: MyNumberCard, operation: tuple[str, Any]) -> None:
    name, arg = operation
    run = OPERATIONS[name][0]
    try:
        with card.transaction():
            run(card, arg)
    except (jpki.JpkiError, ApduError) as exc:
        assert str(exc) or True  # a message is built without raising


@cases(ci=300)
@given(_operations(), st.booleans(), st.binary(max_size=12), st.data())
@example(("expiry", False), True, b"\x3b", None)
def test_hostile_card(
    operation: tuple[str, Any], extended: bool, atr: bytes, data: st.DataObject | None
) -> None:
    """Every library operation against a card whose every answer is drawn by hypothesis
    (by instruction: plausible answers, any status word, or garbage): only JpkiError or
    ApduError comes out, and a result gives its JSON and repr.
    10,000 cases under the fuzz profile, 300 under ci."""
    if data is None:  # the explicit example: the card answers 9000 with no data
        transport: BaseTransport = _Fixed(b"\x90\x00")
    else:
        transport = HostileCard(data.draw, atr)
    _run(MyNumberCard(transport, extended=extended), operation)


class _Fixed(BaseTransport):
    def __init__(self, answer: bytes) -> None:
        self.answer = answer

    def transmit(self, apdu: bytes, *, secret: bool = False, personal: bool = False) -> bytes:
        return self.answer


@cases(ci=200)
@given(_operations(), st.booleans(), st.data())
def test_tampered_virtual_card(
    operation: tuple[str, Any], extended: bool, data: st.DataObject
) -> None:
    """Every library operation against the virtual card with about one answer in three
    replaced by another status word, mutated, or drawn anew: only JpkiError or
    ApduError comes out.
    10,000 cases under the fuzz profile, 200 under ci."""
    _run(MyNumberCard(TamperedCard(data.draw), extended=extended), operation)


def test_untampered_virtual_card_answers_every_operation() -> None:
    """The control: with no answer tampered, every operation succeeds."""
    for name, (run, args) in OPERATIONS.items():
        for arg in args:
            card = MyNumberCard(TamperedCard(lambda s: 0))
            with card.transaction():
                run(card, arg)
            assert name


# -- the virtual card as the hostile host sees it (vpcd, any PC/SC program) ---------------


@functools.cache
def _commands() -> st.SearchStrategy[bytes]:
    """Commands to the virtual card: its own instructions with any parameters, the AIDs
    and file ids it knows, mutated; or any bytes."""
    from apdu import CommandAPDU

    names = [app.aid for app in profile.APPLICATIONS] + [b"\x00\x06", b"\x00\x0a", b"\x00\x18"]
    command = st.builds(
        CommandAPDU,
        st.sampled_from((0x00, 0x80, 0x0C)) | st.integers(0, 255),
        st.sampled_from((0xA4, 0xB0, 0xB2, 0x20, 0x24, 0x32, 0xC0)) | st.integers(0, 255),
        st.sampled_from((0x00, 0x02, 0x04, 0x80, 0x81, 0x86, 0x8A)) | st.integers(0, 255),
        st.sampled_from((0x00, 0x0C, 0x80, 0x04, 0x0C)) | st.integers(0, 255),
        st.sampled_from(names) | st.binary(max_size=20),
        st.none() | st.sampled_from((1, 3, 256, 65536)) | st.integers(1, 65536),
    ).map(CommandAPDU.to_bytes)
    return st.one_of(command, command.flatmap(mutate), st.binary(max_size=12))


class _Failures(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@cases(ci=150)
@given(st.lists(_commands(), min_size=1, max_size=12))
def test_virtual_card_commands(commands: list[bytes]) -> None:
    """VirtualCard.process on any sequence of commands: an answer of at least a status
    word each time, and no error inside the card (it would answer 6F00 and log it).
    10,000 cases under the fuzz profile, 150 under ci."""
    card = VirtualCard(CardState())
    card.power_on()
    failures = _Failures()
    log = logging.getLogger("jpki.emulator.card")
    log.addHandler(failures)
    try:
        for command in commands:
            assert len(card.process(command)) >= 2
    finally:
        log.removeHandler(failures)
    assert not failures.records, failures.records[0].getMessage()
