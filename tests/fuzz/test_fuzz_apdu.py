"""Hostile input to the APDU layer: status words, response and command APDUs, the JSON
reader of user files, and session files for ``--replay``.

Each test states its case count: the first figure under the fuzz profile
(``--hypothesis-profile=fuzz``), the second under the default ``ci`` profile. The only
exceptions allowed out are the tool's typed errors.
"""

from __future__ import annotations

import contextlib
import functools
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from apdu import (
    ApduError,
    CommandAPDU,
    EncodingError,
    ResponseAPDU,
    SessionFileError,
    describe,
    jsonfile,
)
from apdu.errors import FAULTS
from apdu.jsonfile import PROBLEMS
from apdu.recording import SESSION_FORMAT, SESSION_VERSION
from apdu.redact import hidden_span, is_secret, redact_command
from apdu.replay import ReplayTransport

from .budget import cases
from .strategies import hex_texts, json_values, mutate, render_json, status_words, text_edits


@cases(ci=300)
@given(status_words() | st.integers(0, 0xFFFF))
def test_status_word(sw: int) -> None:
    """Status words: describe(sw) and every ResponseAPDU view of sw never raise.
    10,000 cases under the fuzz profile, 300 under ci."""
    text = describe(sw)
    assert isinstance(text, str) and text
    response = ResponseAPDU(b"", sw)
    assert response.sw_hex == f"{sw:04X}"
    left = response.retries_left
    assert left is None or 0 <= left <= 15
    for n in (response.more_available, response.correct_le):
        assert n is None or 1 <= n <= 256


@functools.cache
def sw_responses() -> st.SearchStrategy[bytes]:
    return st.builds(
        lambda data, sw: data + sw.to_bytes(2, "big"), st.binary(max_size=40), status_words()
    )


@cases(ci=300)
@given(st.binary(max_size=300) | sw_responses())
@example(b"")
@example(b"\x90")
def test_response_apdu_parse(raw: bytes) -> None:
    """ResponseAPDU.parse of any bytes: EncodingError or the same bytes back.
    10,000 cases under the fuzz profile, 300 under ci."""
    try:
        response = ResponseAPDU.parse(raw)
    except EncodingError:
        assert len(raw) < 2
        return
    assert response.to_bytes() == raw
    assert repr(response)


@functools.cache
def _encoded_commands() -> st.SearchStrategy[bytes]:
    """Well-formed command encodings (all four cases, short and extended), mutated."""
    command = st.builds(
        CommandAPDU,
        st.integers(0, 255),
        st.sampled_from((0x20, 0x21, 0x24, 0x2C, 0x32, 0xA4, 0xB0, 0xB2, 0xC0))
        | st.integers(0, 255),
        st.integers(0, 255),
        st.integers(0, 255),
        st.binary(max_size=300),
        st.none() | st.integers(1, 65536),
    )
    encoded = command.map(CommandAPDU.to_bytes)
    return encoded | encoded.flatmap(mutate)


@cases(ci=300)
@given(st.binary(max_size=300) | _encoded_commands(), st.booleans())
@example(b"\x00\xa4\x04\x0c\x00\x00", False)  # extended form, body too short
@example(b"\x00\x20\x00\x80\x00\x00\x00", False)  # extended Lc of zero
def test_command_apdu_parse(raw: bytes, secret: bool) -> None:
    """CommandAPDU.parse / data_span and the redaction of any bytes: EncodingError or
    the same bytes back; redaction never shows a hidden byte.
    10,000 cases under the fuzz profile, 300 under ci."""
    text, hidden = redact_command(raw, secret)
    span = hidden_span(raw, secret)
    assert hidden == (span is not None)
    if span is not None:
        start, end = span
        assert 0 <= start < end <= len(raw)
        assert text[2 * start : 2 * end] == "XX" * (end - start)
    assert len(text) == 2 * len(raw)
    try:
        command = CommandAPDU.parse(raw)
    except EncodingError:
        return
    assert command.to_bytes() == raw
    start, end = CommandAPDU.data_span(raw)
    assert raw[start:end] == command.data
    assert is_secret(raw, secret) == is_secret(command.to_bytes(), secret)
    assert repr(command)


@functools.cache
def _json_texts() -> st.SearchStrategy[str]:
    rendered = st.builds(render_json, json_values(), st.booleans())
    return st.one_of(
        rendered,
        rendered.flatmap(text_edits),
        st.text(max_size=40),
        st.integers(1, 3000).map(lambda n: "[" * n),
        st.integers(4290, 4310).map(lambda n: "1" * n),
    )


@cases(ci=300)
@given(st.binary(max_size=200) | _json_texts().map(lambda t: t.encode("utf-8", "surrogatepass")))
@example(b"\xff\xfe{}")
@example(b"\xef\xbb\xbf{}")
@example(b"[" * 100_000)
@example(b'{"a": 1, "a": 2}')
@example(b"9" * 5000)
def test_json_file_decode_and_loads(raw: bytes) -> None:
    """jsonfile.decode + jsonfile.loads (state and session files) of any bytes: a
    FileFault saying where (the line and column, or the key given twice), or a value.
    10,000 cases under the fuzz profile, 300 under ci."""
    try:
        jsonfile.loads(jsonfile.decode(raw))
    except jsonfile.FileFault as exc:
        assert exc.code in {"utf8", "json", "twice"}, exc
        assert (exc.line is not None) == (exc.code != "twice") and exc.path is None
        if exc.code == "json":
            assert exc.params["column"] >= 1
        if exc.code == "twice":
            assert exc.field


# -- session files (--replay) ---------------------------------------------------------


@functools.cache
def _header() -> st.SearchStrategy[dict[str, Any]]:
    valid: dict[str, st.SearchStrategy[Any]] = {
        "format": st.just(SESSION_FORMAT),
        "version": st.just(SESSION_VERSION),
        "tool": st.just("jpkitool 0.1.0"),
        "created": st.just("2025-01-01T00:00:00Z"),
        "reader": st.text(max_size=10),
        "atr": st.just("3BE000FF8131FE4514") | hex_texts(),
        "redacted": st.lists(st.text(max_size=5), max_size=2),
        "origin": st.none() | st.text(max_size=5),
    }
    fields = {name: value | json_values(4) for name, value in valid.items()}
    return st.fixed_dictionaries({}, optional=fields) | st.fixed_dictionaries(fields)


@st.composite
def _exchange(draw: st.DrawFn, index: int) -> dict[str, Any]:
    line: dict[str, Any] = {}
    line["i"] = draw(st.just(index) | json_values(2))
    line["command"] = draw(st.sampled_from(("00A4040C", "0020008", "00200080XXXX")) | hex_texts())
    kind = draw(st.sampled_from(("response", "fault", "both", "neither")))
    if kind in ("response", "both"):
        line["response"] = draw(st.sampled_from(("9000", "63C3", "90")) | hex_texts())
    if kind in ("fault", "both"):
        line["fault"] = draw(st.sampled_from(sorted(FAULTS)) | json_values(2))
    if draw(st.booleans()):
        line["ms"] = draw(st.floats() | st.integers() | json_values(2))
    if draw(st.booleans()):
        del line[draw(st.sampled_from(sorted(line)))]
    return line


@st.composite
def session_files(draw: st.DrawFn) -> bytes:
    """The bytes of a session file: a header and exchanges, mostly well-formed JSON
    with wrong values, sometimes broken text."""
    lines: list[Any] = [draw(_header())]
    lines += [draw(_exchange(i)) for i in range(draw(st.integers(0, 4)))]
    if draw(st.booleans()):
        lines.insert(draw(st.integers(0, len(lines))), draw(json_values(4)))
    text = "\n".join(render_json(line, draw(st.booleans())) for line in lines)
    text += draw(st.sampled_from(("", "\n", "\n\n", "\r\n")))
    data = text.encode("utf-8", "surrogatepass")
    prefix = draw(st.sampled_from((b"", b"\xef\xbb\xbf", b"\xff\xfe")))
    return prefix + draw(st.just(data) | mutate(data))


@pytest.fixture(scope="module")
def session_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sessions")


def _recorded_commands(raw: bytes) -> list[bytes]:
    """The commands of an accepted session file, ``XX`` sent as ``00``."""
    lines = raw.removeprefix(jsonfile.BOM).split(b"\n")[1:]
    objects = [json.loads(line) for line in lines if line.strip()]
    return [bytes.fromhex(o["command"].upper().replace("XX", "00")) for o in objects]


def _replay_everything(transport: ReplayTransport, commands: list[bytes], extra: bytes) -> None:
    for command in [*commands, extra]:
        with contextlib.suppress(ApduError):
            assert ResponseAPDU.parse(transport.transmit(command))
    with contextlib.suppress(ApduError):
        transport.close()


@cases(ci=200)
@given(session_files() | st.binary(max_size=200), st.binary(min_size=4, max_size=8))
@example(b"", b"\x00\x00\x00\x00")
@example(b"\n", b"\x00\x00\x00\x00")
@example(json.dumps({"format": SESSION_FORMAT, "version": SESSION_VERSION}).encode(), b"\x00" * 4)
def test_session_file_loader(session_dir: Path, raw: bytes, extra: bytes) -> None:
    """ReplayTransport (the session-file loader) on any file content: SessionFileError
    with a known code and the line, or a replay whose every step raises only ApduError.
    10,000 cases under the fuzz profile, 200 under ci."""
    path = session_dir / "session.jsonl"
    path.write_bytes(raw)
    try:
        transport = ReplayTransport(path)
    except SessionFileError as exc:
        assert exc.code in PROBLEMS and exc.path == str(path), exc
        assert str(exc).startswith(str(path))
        return
    assert transport.header["format"] == SESSION_FORMAT
    _replay_everything(transport, _recorded_commands(raw), extra)
