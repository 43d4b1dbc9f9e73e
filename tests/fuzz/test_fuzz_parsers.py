"""Hostile input to the card-side parsers: query answers, token EF 0006, EF 0008, the
共通カードAP record EF 0001, DER lengths, certificates and their notAfter, and the
virtual card's state files.

Each test states its case count: the first figure under the fuzz profile
(``--hypothesis-profile=fuzz``), the second under the default ``ci`` profile. The only
exceptions allowed out are the tool's typed errors (``CertificateError``,
``StateError``).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from apdu import BaseTransport, ResponseAPDU
from apdu.jsonfile import PROBLEMS
from jpki import profile
from jpki.card import CardRecord, MyNumberCard, parse_card_record
from jpki.certificate import CertificateError, der_length, parse_certificate
from jpki.emulator import statefile
from jpki.emulator.statefile import StateError
from jpki.expiry import end_of_day_jst, expiry_item
from jpki.jst import days_left
from jpki.keystatus import KeyState, KeyStatus, interpret_query, is_count_answer
from jpki.retries import RetriesReport, combine, guidance

from .budget import cases
from .strategies import (
    card_records,
    cert_flags,
    certificate_bytes,
    corpus,
    der_heads,
    json_values,
    mutate,
    render_json,
    status_words,
    text_edits,
    token_labels,
)

#: "Now" for the expiry arithmetic: any aware time a caller may pass.
NOWS = st.sampled_from(
    (
        dt.datetime(2025, 6, 1, tzinfo=dt.UTC),
        dt.datetime(1, 1, 1, tzinfo=dt.UTC),
        dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC),
    )
) | st.datetimes(timezones=st.just(dt.UTC))

# -- query answers -> key state -----------------------------------------------------------


@cases(ci=300)
@given(st.lists(st.tuples(status_words(), st.binary(max_size=4)), min_size=11, max_size=11))
def test_query_answers(answers: list[tuple[int, bytes]]) -> None:
    """interpret_query / is_count_answer for every key, then the PIN view (combine, the
    report, its guidance): any answer gives a state, never a count above the key's
    maximum, and a count is usable only when it can be true.
    10,000 cases under the fuzz profile, 300 under ci."""
    status: dict[str, KeyStatus] = {}
    for key, (sw, data) in zip(profile.PIN_SLOTS, answers, strict=True):
        resp = ResponseAPDU(data, sw)
        s = interpret_query(key, resp)
        status[key.id] = s
        assert s.sw == sw
        if s.remaining is not None:
            assert 0 <= s.remaining <= (key.max_tries or 15)
        if s.state in (KeyState.USABLE, KeyState.LAST_TRY):
            assert is_count_answer(resp)
        assert s.to_dict()["state"] == s.state.value and repr(s)
    pins = tuple(combine(p, tuple(status[k.id] for k in p.slots)) for p in profile.PINS)
    report = RetriesReport("fuzz", profile.Token.CARD, pins, 0)
    json.dumps(report.to_dict())
    assert repr(report)
    guidance(report)


# -- card files read without a PIN --------------------------------------------------------


class _Files(BaseTransport):
    """A card that selects everything and answers READ BINARY / READ RECORD with ``data``."""

    def __init__(self, data: bytes, sw: int) -> None:
        self.answer = data + sw.to_bytes(2, "big")

    def transmit(self, apdu: bytes, *, secret: bool = False, personal: bool = False) -> bytes:
        if apdu[1] in (0xB0, 0xB2):
            return self.answer
        return b"\x90\x00"


@cases(ci=300)
@given(token_labels(), st.sampled_from((0x9000, 0x6282)) | status_words())
@example(b"JPKIAPICCTOKEN2" + b" " * 17, 0x9000)
def test_token_label(raw: bytes, sw: int) -> None:
    """EF 0006 (token label): token_from_label and MyNumberCard.read_token give a Token.
    10,000 cases under the fuzz profile, 300 under ci."""
    token = profile.token_from_label(raw)
    assert token in profile.Token
    assert MyNumberCard(_Files(raw, sw)).read_token() in profile.Token


@cases(ci=300)
@given(cert_flags(), st.sampled_from((0x9000,)) | status_words())
@example(b"", 0x9000)
def test_cert_flags(raw: bytes, sw: int) -> None:
    """EF 0008 (sign certificate flag): sign_certificate_present gives True, False or None.
    10,000 cases under the fuzz profile, 300 under ci."""
    present = MyNumberCard(_Files(raw, sw)).sign_certificate_present()
    assert present in (True, False, None)
    if sw == 0x9000:
        assert present is (None if not raw else raw[0] == profile.CERT_FLAG_PRESENT)


@cases(ci=300)
@given(card_records(), NOWS)
@example(b"\x01\x1c" + b"0" * 20 + b"99991231", dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
@example(b"\x01\x1c" + b"0" * 20 + b"00010101", dt.datetime(9999, 12, 31, tzinfo=dt.UTC))
@example(b"\x01\xff\x00", dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
@example(b"\x01", dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
def test_card_record(raw: bytes, now: dt.datetime) -> None:
    """EF 0001 of the 共通カードAP (serial, municipality, expiry): parse_card_record and
    READ RECORD through MyNumberCard never raise, and the expiry arithmetic on the date
    read (end of day JST, days left, state) does not either.
    10,000 cases under the fuzz profile, 300 under ci."""
    record = parse_card_record(raw)
    assert isinstance(record, CardRecord) and record.raw == raw
    assert MyNumberCard(_Files(raw, 0x9000)).read_card_record() == record
    if record.expiry is not None:
        end = end_of_day_jst(record.expiry)
        item = expiry_item("card", end, now, 90)
        assert item.days_left == days_left(end, now)
        json.dumps(item.to_dict())
        assert repr(item)


# -- DER lengths and certificates -----------------------------------------------------


@cases(ci=300)
@given(der_heads())
@example(b"0")
@example(b"\x30\x85\x00\x00\x00\x00\x01")
@example(b"\x30\x84\xff\xff\xff\xff")
@example(b"-----BEGIN")
def test_der_length(head: bytes) -> None:
    """der_length of any first bytes: CertificateError or a length the head can hold.
    10,000 cases under the fuzz profile, 300 under ci."""
    try:
        n = der_length(head, "fuzz")
    except CertificateError as exc:
        assert exc.code in ("bad-length", "pem") and exc.what == "fuzz"
        return
    assert 2 <= n <= 2 + 4 + 0xFFFFFFFF
    assert head[0] == 0x30


#: A certificate whose notAfter is RFC 5280's "no well-defined expiration date".
def _with_not_after(der: bytes, text: bytes) -> bytes:
    from .strategies import Node, parse_tree

    root = parse_tree(der)
    validity = root.children[0].children[4]  # type: ignore[index]
    validity.children[1] = Node(0x18 if len(text) == 15 else 0x17, text)  # type: ignore[index]
    return root.encode()


@functools.cache
def _edge_certificates() -> tuple[bytes, ...]:
    auth = corpus()[0]
    return tuple(
        _with_not_after(auth, t)
        for t in (b"99991231235959Z", b"491231235959Z", b"500101000000Z", b"00010101000000Z")
    )


@cases(ci=200)
@given(certificate_bytes() | st.sampled_from(_edge_certificates()), NOWS)
@example(b"", dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
@example(b"\x30\x80\x00\x00", dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
@example(b"\x30\x03\x02\x01\x00", dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
def test_certificate_bytes(der: bytes, now: dt.datetime) -> None:
    """parse_certificate on any bytes: CertificateError or a result, and the expiry
    arithmetic on its notAfter (days left, state, JSON) does not raise.
    10,000 cases under the fuzz profile, 200 under ci."""
    try:
        info = parse_certificate(der, "fuzz")
    except CertificateError as exc:
        assert exc.what == "fuzz" and str(exc)
        info = None
    if info is not None:
        assert info.der == der
        assert info.not_after.tzinfo is not None
        item = expiry_item("auth", info.not_after, now, 90)
        json.dumps(item.to_dict())
        assert repr(info.personal) if info.personal else True


# -- state files ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with files a state's ``certificates`` may name."""
    folder = tmp_path_factory.mktemp("state")
    auth, ca = corpus()[0], corpus()[1]
    pem = (
        b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(auth) + b"-----END CERTIFICATE-----\n"
    )
    (folder / "auth.pem").write_bytes(pem)
    (folder / "ca.der").write_bytes(ca)
    (folder / "junk.pem").write_bytes(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END")
    (folder / "bad.der").write_bytes(auth[:-10])
    (folder / "folder").mkdir()
    return folder


#: Values a certificate entry may hold: names of the files above, odd paths, base64.
PATHS = (
    "auth.pem",
    "ca.der",
    "junk.pem",
    "bad.der",
    "folder",
    "missing.pem",
    "~",
    "~/missing.pem",
    "~no-such-user-fuzz/x.pem",
    "a\x00b",
    "",
    " ",
    "x" * 5000,
    "/dev/null",
)


@functools.cache
def _certificate_values() -> st.SearchStrategy[Any]:
    b64 = certificate_bytes().map(lambda d: base64.b64encode(d).decode())
    return st.one_of(st.sampled_from(PATHS), b64, st.text(max_size=12), json_values(3))


@functools.cache
def _state_fields() -> dict[str, st.SearchStrategy[Any]]:
    """Each state field with plausible values, wrong types and edge values."""
    any_json = json_values(4)
    digits = st.text(alphabet="0123456789", max_size=16) | st.text(max_size=16)
    dates = st.dates().map(dt.date.isoformat) | st.sampled_from(
        ("2025-02-29", "0000-01-01", "9999-12-31", "2025-1-1", "２０２５-01-01")
    )
    flags = st.booleans()
    key_ids = st.sampled_from(sorted(profile.SLOTS_BY_ID)) | st.text(max_size=6)
    slot = st.fixed_dictionaries(
        {},
        optional={
            "value": st.sampled_from(("1234", "ABC123", "abc123", "ß12345", "123456789012"))
            | st.text(max_size=16),
            "remaining": st.integers(-2, 20) | any_json,
            "max": st.integers(-2, 20) | any_json,
            "extra": any_json,
        },
    )
    return {
        "format": st.just(statefile.STATE_FORMAT) | any_json,
        "version": st.just(statefile.STATE_VERSION) | any_json,
        "atr": st.sampled_from(("3BE000FF8131FE4514", "3b:e0", "3F" + "00" * 33, "AA00"))
        | st.text(max_size=12),
        "token": st.sampled_from(("card", "android", "iphone", "juki-card", "unknown")),
        "applications": st.lists(
            st.sampled_from(sorted(profile.APPLICATIONS_BY_ID)) | st.text(max_size=4), max_size=6
        ),
        "sign_certificate": flags,
        "face_auth": flags,
        "serial": digits,
        "municipality": digits,
        "card_expiry": dates,
        "cert_issued": dates,
        "my_number": digits,
        "holder": st.fixed_dictionaries(
            {},
            optional={
                "name": st.text(max_size=6),
                "birth_date": dates,
                "sex": st.sampled_from(("1", "2", "9", "3", "")),
                "address": st.text(max_size=6),
                "nickname": any_json,
            },
        ),
        "pins": st.dictionaries(key_ids, slot | any_json, max_size=3),
        "quirks": st.fixed_dictionaries(
            {},
            optional={
                "no_sfi": flags,
                "get_response": flags,
                "answer_override": st.dictionaries(
                    key_ids, st.sampled_from(("6A88", "63 C1", "9000", "6a8", "XYZW")), max_size=2
                ),
            },
        ),
        "latency_ms": st.sampled_from((0, 0.5, 60_000, 60_001, -1)) | st.floats(),
        "certificates": st.dictionaries(
            st.sampled_from(("auth", "auth-ca", "sign", "sign-ca", "root")),
            _certificate_values(),
            max_size=2,
        ),
        "cert_filler": st.none() | st.integers(-1, 0x8000),
    }


@functools.cache
def _state_texts() -> st.SearchStrategy[str]:
    fields = {name: value | json_values(3) for name, value in _state_fields().items()}
    docs = st.fixed_dictionaries({}, optional=fields) | json_values(6)
    rendered = st.builds(render_json, docs, st.booleans())
    return st.one_of(
        rendered, rendered.flatmap(text_edits), st.text(max_size=30), st.just('{"a": 1, "a": 2}')
    )


@cases(ci=200)
@given(_state_texts())
@example('{"certificates": {"auth": "a\\u0000b"}}')
@example('{"certificates": {"auth": "~no-such-user-fuzz/auth.pem"}}')
@example('{"format": "jpkitool-virtual-card", "holder": 1}')
@example("[" * 50_000)
def test_state_file_text(state_dir: Path, text: str) -> None:
    """statefile.loads (the state file's text, checked field by field): StateError with a
    known code, or a state that saves and loads again to the same document.
    10,000 cases under the fuzz profile, 200 under ci."""
    try:
        state = statefile.loads(text, state_dir)
    except StateError as exc:
        assert exc.code in PROBLEMS and exc.path is None, exc
        assert str(exc)
        return
    again = statefile.loads(statefile.dumps(state), state_dir)
    assert statefile.to_document(again) == statefile.to_document(state)


@cases(ci=200)
@given(
    _state_texts().map(lambda t: t.encode("utf-8", "surrogatepass")).flatmap(mutate)
    | st.binary(max_size=64)
)
@example(b"\xef\xbb\xbf{}")
@example(b"\xff\xfe{\x00}\x00")
@example(b"{}\xff")
def test_state_file_bytes(state_dir: Path, raw: bytes) -> None:
    """load_state on any file content (decoding, JSON, fields): StateError naming the
    file, or a state.
    10,000 cases under the fuzz profile, 200 under ci."""
    path = state_dir / "state.json"
    path.write_bytes(raw)
    try:
        statefile.load_state(path)
    except StateError as exc:
        assert exc.code in PROBLEMS and exc.path == str(path), exc
