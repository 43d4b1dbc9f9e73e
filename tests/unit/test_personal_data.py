"""Personal data in traces and recordings: which files and bytes are personal, the
partial redaction of the 共通カードAP record, the trace line, the recording's header,
the replay's filler, and the typed error when a replayed command needs hidden bytes."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from apdu import FunctionTransport
from apdu.errors import EncodingError
from apdu.recording import RecordingTransport
from apdu.redact import (
    FILLER,
    FileRead,
    ResponseRedactor,
    hide_response,
    parse_response,
)
from apdu.replay import ReplayTransport
from apdu.trace import TracingTransport, format_response
from cli_runner import jpkitool_inprocess as run
from jpki import profile
from jpki.card import MyNumberCard
from jpki.certificate import CertificateError
from jpki.cli.failures import Exit
from jpki.personal import RULE, data_file, description, personal_spans
from jpki.session import SessionSpec

JPKI = profile.JPKI.aid
COMMON = profile.COMMON.aid
CARDINFO = profile.CARDINFO.aid
SURFACE = profile.SURFACE.aid

#: The 共通カードAP record of the virtual card: 01 1C, serial, municipality, expiry.
RECORD = bytes([0x01, 0x1C]) + b"123456789012345" + b"13101" + b"20340410"
OK = b"\x90\x00"


def read(aid: bytes | None, fid: int | None, *, record: bool = False, **kw: Any) -> FileRead:
    return FileRead(aid, None, fid, record, kw.pop("offset", 0), kw.pop("number", None))


# -- which files are personal ----------------------------------------------------------


def test_the_table_marks_the_personal_files() -> None:
    personal = {f.id for f in profile.DATA_FILES if f.personal}
    assert personal == {"sign-cert", "cardinfo-mynumber", "cardinfo-attrs"}
    partly = {f.id for f in profile.DATA_FILES if f.personal_bytes is not None}
    assert partly == {"card-record"}
    assert [a.id for a in profile.APPLICATIONS if a.personal] == ["surface"]


def test_the_record_hides_serial_and_municipality_but_not_the_expiry() -> None:
    layout = profile.CARD_RECORD.personal_bytes
    assert layout is not None
    assert layout.spans == ((2, 17), (17, 22))
    assert RECORD[2:17] == b"123456789012345" and RECORD[17:22] == b"13101"
    assert layout.prefix == RECORD[:2]
    assert profile.CARD_RECORD_LEN == 22 + 8  # the 8 bytes after them: YYYYMMDD


@pytest.mark.parametrize(
    ("file", "aid", "fid"),
    [
        (profile.SIGN_CERT, JPKI, 0x01),
        (profile.CARDINFO_MYNUMBER, CARDINFO, 0x01),
        (profile.CARDINFO_ATTRS, CARDINFO, 0x02),
    ],
)
def test_a_personal_file_is_hidden_whole(file: profile.DataFile, aid: bytes, fid: int) -> None:
    assert data_file(read(aid, fid)) is file
    assert personal_spans(read(aid, fid), b"\x30\x82\x01\x00") == ((0, 4),)
    assert personal_spans(read(aid, fid, offset=256), b"abc") == ((0, 3),)


@pytest.mark.parametrize("fid", [0x0A, 0x0B, 0x02, 0x06, 0x08])
def test_free_jpki_files_are_shown(fid: int) -> None:
    assert personal_spans(read(JPKI, fid), b"\x30\x82\x03\x80") == ()


def test_by_file_identifier_or_short_identifier_alike() -> None:
    by_fid = FileRead(JPKI, 0x0001, None, False, 0)
    by_sfi = FileRead(JPKI, None, 0x01, False, 0)
    assert personal_spans(by_fid, b"xy") == personal_spans(by_sfi, b"xy") == ((0, 2),)
    assert personal_spans(FileRead(JPKI, 0x000A, None, False, 0), b"xy") == ()


@pytest.mark.parametrize("fid", [0x01, 0x02, 0x05, 0x1E])
def test_every_file_of_the_surface_application_is_personal(fid: int) -> None:
    assert personal_spans(read(SURFACE, fid), b"face") == ((0, 4),)
    assert personal_spans(read(SURFACE, fid, record=True, number=1), b"face") == ((0, 4),)


@pytest.mark.parametrize(
    "where",
    [
        read(None, 0x0A),  # no application known
        read(JPKI, None),  # no EF known
        read(JPKI, 0x1D),  # a file the table does not know
        read(CARDINFO, 0x03),  # 券面事項入力補助AP files beyond 0001 and 0002
        read(bytes.fromhex("A000000003"), 0x0A),  # another application
        read(JPKI, 0x0A, record=True),  # the auth certificate is no record file
    ],
)
def test_what_the_commands_do_not_show_is_hidden(where: FileRead) -> None:
    assert personal_spans(where, b"data") == ((0, 4),)


def test_a_shortened_aid_names_its_application() -> None:
    assert personal_spans(read(JPKI[:7], 0x0A), b"x") == ()
    assert personal_spans(read(JPKI[:7], 0x01), b"x") == ((0, 1),)
    # D3 92 10 00 31 is the start of four AIDs: not known which one
    assert personal_spans(read(CARDINFO[:5], 0x0A), b"x") == ((0, 1),)


def test_the_record_is_hidden_in_part() -> None:
    where = read(COMMON, 0x01, record=True, number=1)
    assert personal_spans(where, RECORD) == ((2, 17), (17, 22))


@pytest.mark.parametrize(
    ("where", "data"),
    [
        (read(COMMON, 0x01, record=True, number=1), b"\x02\x1c" + RECORD[2:]),  # other layout
        (read(COMMON, 0x01, record=True, number=2), RECORD),  # another record
        (read(COMMON, 0x01, record=True, number=None), RECORD),  # records from P1 on
        (read(COMMON, 0x01, record=True, number=1, offset=10), RECORD[10:]),  # a later piece
        (read(COMMON, 0x01), RECORD),  # READ BINARY of the record file
    ],
)
def test_the_record_in_another_shape_is_hidden_whole(where: FileRead, data: bytes) -> None:
    assert personal_spans(where, data) == ((0, len(data)),)


def test_the_description_names_every_personal_file() -> None:
    text = "\n".join(description())
    assert "EF 0001 (sign certificate" in text
    assert "券面事項入力補助AP" in text and "EF 0002 (name, address, birth date, sex)" in text
    assert "券面事項確認AP" in text
    assert "record 1, bytes 3-17, 18-22: the card serial number and the municipality code" in text
    assert "expiry date is kept" in text
    assert "does not know" in text
    assert list(RULE.description) == list(description())


# -- following the commands ---------------------------------------------------------------


def h(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


def select(aid: bytes) -> bytes:
    return h("00 A4 04 0C") + bytes([len(aid)]) + aid


def test_the_redactor_follows_selects_and_short_identifiers() -> None:
    r = ResponseRedactor(RULE)
    assert r.hidden(select(JPKI), OK) == ()
    assert r.hidden(h("00 B0 8A 00 00"), b"\x30\x82" + OK) == ()  # auth cert by SFI
    assert r.hidden(h("00 B0 00 02 10"), b"more" + OK) == ()  # same EF, by offset
    assert r.hidden(h("00 B0 81 00 00"), b"\x30\x82" + OK) == ((0, 2),)  # sign cert by SFI
    assert r.hidden(h("00 B0 01 00 10"), b"rest" + OK) == ((0, 4),)  # still the sign cert
    assert r.hidden(h("00 A4 02 0C 02 00 0B"), OK) == ()
    assert r.hidden(h("00 B0 00 00 04"), b"\x30\x82\x01\x00" + OK) == ()  # auth CA
    assert r.hidden(h("00 A4 02 0C 02 00 01"), OK) == ()
    assert r.hidden(h("00 B0 00 00 04"), b"\x30\x82\x01\x00" + OK) == ((0, 4),)


def test_the_record_by_read_record_and_get_response() -> None:
    r = ResponseRedactor(RULE)
    r.hidden(select(COMMON), OK)
    assert r.hidden(h("00 B2 01 0C 00"), RECORD + OK) == ((2, 22),)  # both spans, merged
    # a card that answers 61xx: the data comes with GET RESPONSE, from offset 0
    assert r.hidden(h("00 B2 01 0C 00"), h("61 1E")) == ()
    assert r.hidden(h("00 C0 00 00 1E"), RECORD + OK) == ((2, 22),)
    # in two pieces: the second is not at offset 0, so it is hidden whole
    assert r.hidden(h("00 B2 01 0C 00"), RECORD[:10] + h("61 14")) == ((2, 10),)
    assert r.hidden(h("00 C0 00 00 14"), RECORD[10:] + OK) == ((0, 20),)
    # a GET RESPONSE after something else than a read is not judged
    assert r.hidden(h("00 C0 00 00 02"), b"ab" + OK) == ()


def test_a_failed_or_other_select_forgets_the_application() -> None:
    r = ResponseRedactor(RULE)
    r.hidden(select(JPKI), OK)
    r.hidden(select(bytes.fromhex("D392F000269999999999")), h("6A 82"))
    assert r.hidden(h("00 B0 8A 00 00"), b"x" + OK) == ((0, 1),)
    r.hidden(select(JPKI), OK)
    r.hidden(h("00 A4 00 0C 02 3F 00"), OK)  # the MF
    assert r.hidden(h("00 B0 8A 00 00"), b"x" + OK) == ((0, 1),)
    r.hidden(select(JPKI), OK)
    r.hidden(h("00 A4 02 0C 02 00 0A"), h("6A 82"))  # EF not found: no current EF known
    assert r.hidden(h("00 B0 00 00 01"), b"x" + OK) == ((0, 1),)
    r.hidden(select(JPKI), OK)
    r.forget()  # a reset
    assert r.hidden(h("00 B0 8A 00 00"), b"x" + OK) == ((0, 1),)


def test_answers_other_than_reads_are_not_judged() -> None:
    r = ResponseRedactor(RULE)
    assert r.hidden(h("00 A4 04 00 02 3F 00"), b"\x6f\x00" + OK) == ()  # FCI
    assert r.hidden(h("00 CA 01 01 00"), b"data" + OK) == ()
    assert r.hidden(h("00 B0 81 00 00"), h("6A 82")) == ()  # no data, nothing to hide
    assert r.hidden(h("00 B0"), b"x") == ()  # malformed on both sides


def test_odd_reads_name_their_file_in_ways_not_followed_so_are_hidden() -> None:
    r = ResponseRedactor(RULE)
    r.hidden(select(JPKI), OK)
    r.hidden(h("00 A4 02 0C 02 00 0A"), OK)  # the free auth certificate
    assert r.hidden(h("00 B0 00 00 02"), b"ab" + OK) == ()
    assert r.hidden(h("00 B1 00 0A 03 54 01 00 00"), b"ab" + OK) == ((0, 2),)
    assert r.hidden(h("00 B3 01 0C 00"), b"ab" + OK) == ((0, 2),)


# -- hex with XX, the replay's filler ----------------------------------------------------------


def test_hidden_bytes_are_xx_and_the_status_word_is_kept() -> None:
    response = RECORD + OK
    text = hide_response(response, ((2, 17), (17, 22)))
    assert text == "011C" + "XX" * 20 + "3230333430343130" + "9000"
    assert hide_response(b"abc" + OK, ((0, 99),)) == "XXXXXX9000"
    assert hide_response(OK, ((0, 2),)) == "9000"
    assert parse_response(text) == RECORD[:2] + bytes([FILLER]) * 20 + RECORD[22:] + OK
    with pytest.raises(EncodingError):
        parse_response("AB90XX")


# -- the trace ------------------------------------------------------------------------------


def test_trace_lines() -> None:
    whole = format_response(b"\x30\x82\x01\x00" + OK, 1.0, spans=((0, 4),))
    assert whole.startswith("< <4 bytes of personal data hidden> 90 00  (9000")
    marked = format_response(b"\x30\x82\x01\x00" + OK, 1.0, hidden=True)
    assert marked == whole
    part = format_response(RECORD + OK, 1.0, spans=((2, 17), (17, 22)))
    assert part.startswith("< 01 1C " + "XX " * 20 + "32 30 33 34 30 34 31 30 90 00  (9000")
    assert format_response(OK, 1.0, spans=()).startswith("< 90 00  (9000")


def test_the_tracing_transport_follows_the_rule() -> None:
    answers = {select(COMMON): OK, h("00 B2 01 0C 00"): RECORD + OK}
    out = io.StringIO()
    tracer = TracingTransport(FunctionTransport(answers.__getitem__), out, personal=RULE)
    for command in answers:
        assert tracer.transmit(command) == answers[command]  # the caller gets it all
    text = out.getvalue()
    assert "XX " * 20 + "32 30 33 34" in text
    assert "31 32 33" not in text


# -- the recording's header and lines ------------------------------------------------------


def card(answers: dict[bytes, bytes]) -> FunctionTransport:
    return FunctionTransport(answers.__getitem__, name="Test Reader")


def record_lines(path: Path, **kw: Any) -> list[dict[str, Any]]:
    answers = {select(COMMON): OK, h("00 B2 01 0C 00"): RECORD + OK}
    with RecordingTransport(card(answers), path, personal=RULE, **kw) as rec:
        for command in answers:
            assert rec.transmit(command) == answers[command]
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def test_the_default_header_lists_what_was_replaced(tmp_path: Path) -> None:
    header, _, record = record_lines(tmp_path / "s.jsonl")
    assert header["personal"] is False
    redacted = "\n".join(header["redacted"])
    assert "data field of VERIFY" in redacted
    assert "XX per byte" in redacted and "2A" in redacted
    assert "serial number and the municipality code" in redacted
    assert "sign certificate" in redacted and "券面事項確認AP" in redacted
    assert record["response"] == "011C" + "XX" * 20 + "3230333430343130" + "9000"


def test_record_personal_keeps_everything_and_says_so(tmp_path: Path) -> None:
    header, _, record = record_lines(tmp_path / "s.jsonl", keep_personal=True)
    assert header["personal"] is True
    assert header["redacted"][0].startswith("data field of VERIFY")
    assert not any("response" in line for line in header["redacted"])
    assert record["response"] == (RECORD + OK).hex().upper()


def test_record_personal_overrides_a_caller_marking(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    inner = card({h("00 B0 00 00 02"): b"ab" + OK})
    with RecordingTransport(inner, path, keep_personal=True) as r:
        r.transmit(h("00 B0 00 00 02"), personal=True)
    assert json.loads(path.read_text().splitlines()[1])["response"] == "61629000"


def test_a_replay_answers_filler_for_hidden_bytes(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    record_lines(path)
    with ReplayTransport(path) as replay:
        assert replay.transmit(select(COMMON)) == OK
        answer = replay.transmit(h("00 B2 01 0C 00"))
    assert answer == RECORD[:2] + b"*" * 20 + RECORD[22:] + OK


def test_a_filler_certificate_is_the_typed_hidden_error() -> None:
    def answers(apdu: bytes) -> bytes:
        return bytes([FILLER]) * 300 + OK if apdu[1] == 0xB0 else OK

    card = MyNumberCard(FunctionTransport(answers))
    with pytest.raises(CertificateError) as info:
        card.read_ef(profile.JPKI, 0x0001, "sign", personal=True)
    assert info.value.code == "hidden" and info.value.what == "sign"
    # a file not marked personal gets the ordinary error for a file that is no DER
    with pytest.raises(CertificateError) as info:
        card.read_ef(profile.JPKI, 0x000A, "auth")
    assert info.value.code == "bad-length"


def test_record_personal_needs_record() -> None:
    with pytest.raises(ValueError, match="record_personal"):
        SessionSpec(emulator=True, record_personal=True)
    for lang, words in (("en", "--record-personal needs --record"), ("ja", "--record が必要")):
        r = run("--lang", lang, "--emulator", "--record-personal", "info")
        assert r.code == Exit.USAGE and words in r.err and r.out == ""
