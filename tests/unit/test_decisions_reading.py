"""Reading from the card: which form of READ BINARY and VERIFY-without-data is used,
what the session learns from the answers, and which error a broken file or a
refusal becomes. A scripted card answers APDU by APDU; no PIN is ever sent.
"""

from __future__ import annotations

import datetime as dt

import pytest

from apdu import CardRemovedError, CardUnresponsiveError, FunctionTransport, TransportError
from jpki import profile
from jpki.card import CardRecord, MyNumberCard, parse_card_record
from jpki.certificate import CertificateError
from jpki.emulator import EmulatorTransport, VirtualCard, build_state
from jpki.emulator.certs import certificates
from jpki.errors import CardError
from jpki.info import read_info
from jpki.keystatus import KeyState
from jpki.profile import Token, token_from_label

AUTH = profile.AUTH_CERT  # JPKI EF 000A
DER = certificates(build_state()).auth  # 900 bytes


def der_of(total: int) -> bytes:
    """A DER SEQUENCE of exactly ``total`` bytes (content is filler)."""
    body = total - 4
    return b"\x30\x82" + body.to_bytes(2, "big") + bytes(i % 251 for i in range(body))


def der_long(total: int) -> bytes:
    body = total - 5
    return b"\x30\x83" + body.to_bytes(3, "big") + bytes(i % 251 for i in range(body))


class EF:
    """A card with JPKI's EF 000A holding ``content``.

    ``extended``: the card takes an extended Le (else ``6700``); ``reader``: the reader
    carries extended APDUs (else ``error`` is raised); ``extended_chunks``: extended Le
    also at an offset (else the card or reader refuses it there); ``limit``: the most
    bytes one answer holds; ``eof``: fewer bytes than Le come with ``6282``;
    ``beyond``: the answer past the end; ``answers``: offset -> status word.
    """

    def __init__(
        self,
        content: bytes,
        *,
        extended: bool = True,
        reader: bool = True,
        error: type[TransportError] = CardUnresponsiveError,
        extended_chunks: bool = True,
        chunk_refusal: str = "6700",
        limit: int = 65536,
        eof: bool = False,
        beyond: bytes = b"\x6b\x00",
        sfi: bool = True,
        sfi_read_answer: bytes | None = None,
        no_current_ef_once: bool = False,
        answers: dict[int, bytes] | None = None,
        fail_at: int | None = None,
    ) -> None:
        self.content = content
        self.extended, self.reader, self.error = extended, reader, error
        self.extended_chunks, self.chunk_refusal = extended_chunks, chunk_refusal
        self.limit, self.eof, self.beyond = limit, eof, beyond
        self.sfi, self.sfi_read_answer = sfi, sfi_read_answer
        self.no_current_ef_once = no_current_ef_once
        self.answers = answers or {}
        self.fail_at = fail_at
        self.current: int | None = None
        self.sent: list[bytes] = []

    def __call__(self, apdu: bytes) -> bytes:
        self.sent.append(apdu)
        ins, p1, p2 = apdu[1], apdu[2], apdu[3]
        if ins == 0xA4:
            if p1 == 0x02:
                self.current = int.from_bytes(apdu[5:7], "big")
            return b"\x90\x00"
        assert ins == 0xB0, apdu.hex()
        is_extended = len(apdu) == 7
        le = (int.from_bytes(apdu[5:7], "big") or 65536) if is_extended else (apdu[4] or 256)
        by_sfi = bool(p1 & 0x80)
        offset = 0 if by_sfi else (p1 << 8) | p2
        if is_extended and offset and not self.extended_chunks:
            if self.chunk_refusal == "6700":
                return b"\x67\x00"
            raise self.error("extended refused at an offset")
        if is_extended and not self.reader:
            raise self.error("the reader does not carry extended APDUs")
        if is_extended and not self.extended:
            return b"\x67\x00"
        if by_sfi:
            if not self.sfi:
                return b"\x6a\x86"
            if self.sfi_read_answer is not None:
                return self.sfi_read_answer
            self.current = p1 & 0x1F
        elif self.no_current_ef_once:
            self.no_current_ef_once = False
            return b"\x69\x86"
        if offset == self.fail_at and not by_sfi:
            raise self.error("the reader lost the card's answer")
        if offset in self.answers:
            return self.answers[offset]
        if offset >= len(self.content):
            return self.beyond
        data = self.content[offset : offset + min(le, self.limit)]
        sw = b"\x62\x82" if self.eof and len(data) < le else b"\x90\x00"
        return data + sw

    def reads(self) -> list[bytes]:
        return [a for a in self.sent if a[1] == 0xB0]


def read(ef: EF, *, extended: bool = True, what: str = "auth") -> bytes:
    card = MyNumberCard(FunctionTransport(ef), extended=extended)
    return card.read_ef(profile.JPKI, AUTH.fid, what)


def failure(ef: EF, what: str = "auth", *, extended: bool = True) -> CertificateError:
    with pytest.raises(CertificateError) as caught:
        read(ef, extended=extended, what=what)
    return caught.value


# -- how much one READ BINARY takes --------------------------------------------------------


def test_a_large_file_in_one_extended_read() -> None:
    big = der_long(40000)
    ef = EF(big)  # exactly the object, no filler: nothing left to ask for
    assert read(ef) == big
    assert len(ef.reads()) == 1


def test_an_answer_of_part_of_the_file_is_continued_in_extended_chunks() -> None:
    ef = EF(DER, limit=300)
    card = MyNumberCard(FunctionTransport(ef))
    assert card.read_ef(profile.JPKI, AUTH.fid, "auth") == DER
    reads = ef.reads()
    assert len(reads) == 3 and all(len(a) == 7 for a in reads)
    assert [r[2:4] for r in reads[1:]] == [(300).to_bytes(2, "big"), (600).to_bytes(2, "big")]
    assert card.extended is True


@pytest.mark.parametrize("limit", [200, 256])
def test_a_short_first_answer_does_not_prove_extended_length(limit: int) -> None:
    ef = EF(DER, limit=limit)
    card = MyNumberCard(FunctionTransport(ef))
    assert card.read_ef(profile.JPKI, AUTH.fid, "auth") == DER
    assert card.extended is None
    assert all(len(a) == 5 for a in ef.reads()[1:])  # the chunks ask 256 bytes


@pytest.mark.parametrize(
    ("refusal", "error"),
    [("6700", CardUnresponsiveError), ("raise", CardUnresponsiveError)],
)
def test_an_extended_chunk_refused_is_asked_again_in_256_bytes(
    refusal: str, error: type[TransportError]
) -> None:
    ef = EF(DER, limit=300, extended_chunks=False, chunk_refusal=refusal, error=error)
    card = MyNumberCard(FunctionTransport(ef))
    assert card.read_ef(profile.JPKI, AUTH.fid, "auth") == DER
    chunks = ef.reads()[1:]
    assert len(chunks[0]) == 7 and all(len(a) == 5 for a in chunks[1:])
    assert len(chunks) == 1 + -(-(len(DER) - 300) // 256)
    assert card.extended is False
    ef.sent.clear()
    card.read_ef(profile.JPKI, profile.AUTH_CA_CERT.fid, "auth-ca")
    assert all(len(a) == 5 for a in ef.reads())  # no extended try again this session


def test_a_card_removed_during_an_extended_chunk_is_not_retried() -> None:
    ef = EF(DER, limit=300, extended_chunks=False, chunk_refusal="raise", error=CardRemovedError)
    with pytest.raises(CardRemovedError):
        read(ef)
    assert len(ef.reads()) == 2


def test_a_short_chunk_refused_for_its_length_is_a_card_error() -> None:
    ef = EF(DER, extended=False, answers={256: b"\x67\x00"})
    with pytest.raises(CardError) as caught:
        read(ef, extended=False)
    assert (caught.value.operation, caught.value.sw) == ("READ BINARY", 0x6700)


def test_a_short_read_the_reader_fails_is_that_error() -> None:
    def mute(apdu: bytes) -> bytes:
        if apdu[1] == 0xA4:
            return b"\x90\x00"
        raise CardUnresponsiveError("mute")

    card = MyNumberCard(FunctionTransport(mute), extended=False)
    with pytest.raises(CardUnresponsiveError):
        card.read_ef(profile.JPKI, AUTH.fid, "auth")


def test_a_short_chunk_the_reader_fails_is_that_error() -> None:
    ef = EF(DER, extended=False, fail_at=256)
    with pytest.raises(CardUnresponsiveError):
        read(ef, extended=False)


def test_no_current_ef_selects_it_and_asks_again() -> None:
    ef = EF(DER, extended=False, no_current_ef_once=True)
    assert read(ef, extended=False) == DER
    selects = [a for a in ef.sent if a[1] == 0xA4 and a[2] == 0x02]
    assert [s[5:7] for s in selects] == [b"\x00\x0a"]


def test_the_end_of_file_answer_with_data_is_data() -> None:
    ef = EF(DER, eof=True)
    assert read(ef) == DER
    ef = EF(DER, extended=False, eof=True)
    assert read(ef, extended=False) == DER


def test_a_session_without_extended_length_never_asks_it() -> None:
    ef = EF(DER)
    card = MyNumberCard(FunctionTransport(ef), extended=False)
    assert (card.extended, card.channel.extended) == (False, False)
    assert card.read_ef(profile.JPKI, AUTH.fid, "auth") == DER
    assert all(len(a) == 5 for a in ef.reads())
    fresh = MyNumberCard(FunctionTransport(ef))
    assert (fresh.extended, fresh.channel.extended) == (None, True)


def test_personal_files_are_read_with_responses_hidden() -> None:
    hiding: list[bool] = []
    ef = EF(DER)

    class Transport(FunctionTransport):
        def transmit(self, apdu: bytes, *, secret: bool = False, personal: bool = False) -> bytes:
            if apdu[1] == 0xB0:
                hiding.append(personal)
            return ef(apdu)

    session = MyNumberCard(Transport(ef))
    session.read_ef(profile.JPKI, AUTH.fid, "auth")
    session.read_ef(profile.JPKI, profile.SIGN_CERT.fid, "sign", personal=True)
    assert hiding == [False, True]
    assert session.personal is False


def test_a_personal_file_a_recording_hid_is_said_to_be_hidden() -> None:
    ef = EF(b"\x2a" * 900)  # what a replay answers for bytes the recording hid
    card = MyNumberCard(FunctionTransport(ef))
    with pytest.raises(CertificateError) as caught:
        card.read_ef(profile.JPKI, profile.SIGN_CERT.fid, "sign", personal=True)
    e = caught.value
    assert (e.what, e.code, e.reason) == (
        "sign",
        "hidden",
        "personal data the replayed recording does not hold",
    )


def test_an_ef_read_without_a_name_is_called_ef() -> None:
    card = MyNumberCard(FunctionTransport(EF(b"\x31\x00")))
    with pytest.raises(CertificateError) as caught:
        card.read_ef(profile.JPKI, AUTH.fid)
    assert caught.value.what == "EF"


def test_an_application_that_failed_to_select_is_selected_again() -> None:
    answers = [b"\x6a\x82", b"\x90\x00", b"\x90\x00"]
    sent: list[bytes] = []

    def card(apdu: bytes) -> bytes:
        sent.append(apdu)
        return answers.pop(0)

    session = MyNumberCard(FunctionTransport(card))
    assert not session.select_app(profile.JPKI).ok
    assert session.select_app(profile.JPKI).ok
    assert session.select_app(profile.JPKI).ok  # selected now: not sent again
    assert len(sent) == 2


def test_a_token_label_shorter_than_asked_is_read() -> None:
    ef = EF(b"JPKIAPICCTOKEN2", eof=True)
    card = MyNumberCard(FunctionTransport(ef))
    assert card.read_token() is Token.CARD
    refused = MyNumberCard(FunctionTransport(EF(b"", beyond=b"\x6a\x82")))
    assert refused.read_token() is Token.UNKNOWN


# -- files that cannot be read whole -------------------------------------------------------


def test_the_last_offset_read_binary_names_is_used() -> None:
    """Offsets go up to 7FFF (P1-P2): a file ending 256 bytes past it is read."""
    whole = der_of(0x7FFF + 256)
    ef = EF(whole, limit=0x7FFF)
    assert read(ef) == whole
    assert ef.reads()[1][2:4] == b"\x7f\xff"


def test_a_file_longer_than_read_binary_reaches_is_refused_before_reading_it() -> None:
    ef = EF(der_of(0x7FFF + 257), limit=0x7FFF)
    e = failure(ef, "auth-x")
    assert (e.what, e.code) == ("auth-x", "too-long")
    assert e.reason == f"{0x7FFF + 257} bytes: longer than READ BINARY reaches"
    assert len(ef.reads()) == 1


def test_a_file_that_runs_past_the_last_offset_in_chunks_is_refused() -> None:
    ef = EF(der_of(33000), extended=False)
    e = failure(ef, "auth-x", extended=False)
    assert (e.what, e.code, e.reason) == (
        "auth-x",
        "too-long",
        "33000 bytes: longer than READ BINARY reaches",
    )
    assert ef.reads()[-1][2:4] == b"\x7f\x00"  # the last offset asked: 32512


@pytest.mark.parametrize("beyond", [b"\x6b\x00", b"\x90\x00", b"\x62\x82"])
def test_a_truncated_file(beyond: bytes) -> None:
    ef = EF(DER[:700], extended=False, beyond=beyond)
    e = failure(ef, "auth-x", extended=False)
    assert (e.what, e.code, e.reason) == (
        "auth-x",
        "truncated",
        f"truncated: 700 of {len(DER)} bytes",
    )


@pytest.mark.parametrize("answer", [b"\x6b\x00", b"\x90\x00"])
def test_an_empty_file(answer: bytes) -> None:
    ef = EF(b"", beyond=answer)
    e = failure(ef, "auth-x")
    assert (e.what, e.code, e.reason) == ("auth-x", "empty", "the file is empty")


@pytest.mark.parametrize(
    "content",
    [b"\x04\x82\x06\x20" + b"\x00" * 100, b"\x30\x80" + b"\x00" * 100, b"\x30"],
)
def test_a_file_that_is_no_der_object_names_the_certificate(content: bytes) -> None:
    e = failure(EF(content), "auth-x")
    assert (e.what, e.code) == ("auth-x", "bad-length")


@pytest.mark.parametrize(
    ("answers", "sw"),
    [({0: b"\x69\x82"}, 0x6982), ({512: b"\x69\x82"}, 0x6982), ({256: b"\x6a\x82"}, 0x6A82)],
)
def test_a_refused_read_is_a_card_error(answers: dict[int, bytes], sw: int) -> None:
    ef = EF(DER, extended=False, sfi=False, answers=answers)
    with pytest.raises(CardError) as caught:
        read(ef, extended=False)
    assert (caught.value.operation, caught.value.sw) == ("READ BINARY", sw)


def test_an_application_that_does_not_answer_is_a_card_error() -> None:
    card = MyNumberCard(FunctionTransport(lambda apdu: b"\x6a\x82"))
    with pytest.raises(CardError) as caught:
        card.read_ef(profile.JPKI, AUTH.fid, "auth")
    assert (caught.value.operation, caught.value.sw) == ("SELECT AP", 0x6A82)


# -- the short-EF form and what the session learns -----------------------------------------


@pytest.mark.parametrize(("fid", "by_sfi"), [(0x01, True), (0x1E, True), (0x1F, False)])
def test_short_ef_identifiers_are_1_to_30(fid: int, by_sfi: bool) -> None:
    ef = EF(b"\x01\x02\x03")
    card = MyNumberCard(FunctionTransport(ef))
    assert card.read_small(profile.JPKI, fid, 3).data == b"\x01\x02\x03"
    first = ef.reads()[0]
    assert (first[2] == 0x80 | fid) is by_sfi
    assert card.sfi is None  # nothing learnt from a read that worked


def test_a_short_form_refused_is_learnt_once_the_file_answers() -> None:
    ef = EF(DER, sfi=False)
    card = MyNumberCard(FunctionTransport(ef))
    assert card.read_ef(profile.JPKI, AUTH.fid, "auth") == DER
    assert card.sfi is False
    ef.sent.clear()
    card.read_small(profile.JPKI, profile.TOKEN_INFO.fid, 32)
    assert ef.sent[0][1:3] == b"\xa4\x02"  # straight to SELECT EF


def test_an_unexpected_answer_to_the_short_form_falls_back_to_select_ef() -> None:
    ef = EF(DER, extended=False, sfi_read_answer=b"\x67\x00")
    assert read(ef, extended=False) == DER
    assert ef.sent[1][2] & 0x80 and ef.sent[2][1:3] == b"\xa4\x02"


class Keys:
    """A card answering VERIFY without data: ``by_sfi`` to the short form per key id,
    ``direct`` after SELECT EF, ``select`` to SELECT EF (default 9000)."""

    def __init__(
        self,
        by_sfi: dict[str, bytes],
        direct: dict[str, bytes],
        select: dict[str, bytes] | None = None,
    ) -> None:
        self.by_sfi, self.direct, self.select = by_sfi, direct, select or {}
        self.app: bytes | None = None
        self.ef: int | None = None
        self.sent: list[bytes] = []

    def key(self, fid: int) -> str:
        return next(k.id for k in profile.PIN_SLOTS if k.fid == fid and k.app.aid == self.app)

    def __call__(self, apdu: bytes) -> bytes:
        self.sent.append(apdu)
        ins, p1, p2 = apdu[1], apdu[2], apdu[3]
        if ins == 0xA4 and p1 == 0x04:
            self.app = apdu[5:]
            return b"\x90\x00"
        if ins == 0xA4:
            self.ef = int.from_bytes(apdu[5:7], "big")
            return self.select.get(self.key(self.ef), b"\x90\x00")
        assert ins == 0x20 and len(apdu) == 4
        if p2 == 0x80:
            return self.direct[self.key(self.ef or 0)]
        return self.by_sfi[self.key(p2 & 0x1F)]


def test_a_card_that_took_the_short_form_keeps_being_asked_so() -> None:
    keys = Keys({"sign": b"\x63\xc5", "auth": b"\x6a\x86"}, {"auth": b"\x63\xc3"})
    card = MyNumberCard(FunctionTransport(keys))
    assert card.query_key(profile.SIGN_SLOT).remaining == 5
    assert card.sfi is True
    assert card.query_key(profile.AUTH_SLOT).remaining == 3  # by SELECT EF this once
    assert card.sfi is True


def test_a_card_that_refuses_the_short_form_is_asked_by_select_ef_from_then_on() -> None:
    keys = Keys({"sign": b"\x6a\x86"}, {"sign": b"\x63\xc5", "auth": b"\x63\xc3"})
    card = MyNumberCard(FunctionTransport(keys))
    assert card.query_key(profile.SIGN_SLOT).remaining == 5
    assert card.sfi is False
    keys.sent.clear()
    assert card.query_key(profile.AUTH_SLOT).remaining == 3
    assert [a[1] for a in keys.sent] == [0xA4, 0x20]  # no short-form try


def test_a_key_that_answers_no_count_either_way_teaches_nothing() -> None:
    keys = Keys({"auth": b"\x6a\x86"}, {"auth": b"\x6a\x88"})
    card = MyNumberCard(FunctionTransport(keys))
    status = card.query_key(profile.AUTH_SLOT)
    assert (status.state, status.sw) == (KeyState.UNKNOWN, 0x6A88)
    assert card.sfi is None


# Any answer to the short form that is not a count is asked again in the long form: the
# short form has one source (myna-card's unit tests), SELECT EF + 00 20 00 80 has eight.

SELECT_AP, SHORT, SELECT_EF, LONG = "select-ap", "short", "select-ef", "long"


def forms(sent: list[bytes]) -> list[str]:
    """The APDUs of a query, by what they are."""
    names = {0x04: SELECT_AP, 0x02: SELECT_EF}
    return [names[a[2]] if a[1] == 0xA4 else LONG if a[3] == 0x80 else SHORT for a in sent]


@pytest.mark.parametrize("sw", [b"\x90\x00", b"\x6a\x86", b"\x69\x82", b"\x6d\x00", b"\x6f\x00"])
def test_an_answer_to_the_short_form_that_is_no_count_is_asked_again_in_the_long_form(
    sw: bytes,
) -> None:
    """9000 included: the long form's count is what the key reports."""
    keys = Keys({"auth": sw}, {"auth": b"\x63\xc2"})
    card = MyNumberCard(FunctionTransport(keys))
    status = card.query_key(profile.AUTH_SLOT)
    assert (status.remaining, status.state, status.sw, status.note) == (
        2,
        KeyState.USABLE,
        0x63C2,
        None,
    )
    assert forms(keys.sent) == [SELECT_AP, SHORT, SELECT_EF, LONG]
    assert card.sfi is False  # the long form counted where the short one did not


@pytest.mark.parametrize("sw", [0x63C3, 0x63C1, 0x63C0, 0x6984, 0x6983, 0x6300, 0x63C9])
def test_a_count_answered_to_the_short_form_stands(sw: int) -> None:
    """63Cx (above the maximum too: what the card counts, judged untrusted later),
    blocked, no limit: no second query."""
    keys = Keys({"auth": sw.to_bytes(2, "big")}, {})
    card = MyNumberCard(FunctionTransport(keys))
    assert card.query_key(profile.AUTH_SLOT).sw == sw
    assert forms(keys.sent) == [SELECT_AP, SHORT]
    assert card.sfi is True


def test_9000_to_both_forms_is_verified_and_teaches_nothing() -> None:
    """The long form's 9000 stays what it was: verified in this session, count not given
    (untrusted). The session learns nothing: the short form is tried on the next key."""
    keys = Keys({"auth": b"\x90\x00", "sign": b"\x63\xc5"}, {"auth": b"\x90\x00"})
    card = MyNumberCard(FunctionTransport(keys))
    status = card.query_key(profile.AUTH_SLOT)
    assert (status.remaining, status.state, status.sw, status.note) == (
        None,
        KeyState.UNKNOWN,
        0x9000,
        "verified",
    )
    assert forms(keys.sent) == [SELECT_AP, SHORT, SELECT_EF, LONG]
    assert card.sfi is None
    keys.sent.clear()
    assert card.query_key(profile.SIGN_SLOT).remaining == 5
    assert forms(keys.sent) == [SHORT] and card.sfi is True


def test_9000_to_the_short_form_never_makes_the_session_trust_it() -> None:
    """A 9000 is no count: the session does not learn that the short form works."""
    keys = Keys({"auth": b"\x90\x00"}, {"auth": b"\x6a\x88"})
    card = MyNumberCard(FunctionTransport(keys))
    assert card.query_key(profile.AUTH_SLOT).sw == 0x6A88
    assert card.sfi is None


def test_a_session_that_took_the_short_form_asks_a_9000_again_for_that_key_alone() -> None:
    keys = Keys(
        {"sign": b"\x63\xc5", "auth": b"\x90\x00"},
        {"auth": b"\x63\xc3"},
    )
    card = MyNumberCard(FunctionTransport(keys))
    card.query_key(profile.SIGN_SLOT)
    keys.sent.clear()
    assert card.query_key(profile.AUTH_SLOT).remaining == 3
    assert forms(keys.sent) == [SHORT, SELECT_EF, LONG]
    assert card.sfi is True  # one key's 9000 does not undo what the others showed


def test_a_card_that_answers_9000_to_the_short_form_is_counted_by_the_long_form() -> None:
    """The virtual card's quirk ``short_query_9000``: every key's count, read through the
    long form after the first key taught the session to go there straight away."""
    state = build_state(remaining={"sign": 2, "juki": 1}, quirks={"short_query_9000": True})
    card = MyNumberCard(EmulatorTransport(VirtualCard(state, prepare=False)))
    keys = (profile.SIGN_SLOT, profile.AUTH_SLOT, profile.JUKI_SLOT)
    counts = {k.id: card.query_key(k) for k in keys}
    assert {k: (s.remaining, s.state) for k, s in counts.items()} == {
        "sign": (2, KeyState.USABLE),
        "auth": (3, KeyState.USABLE),
        "juki": (1, KeyState.LAST_TRY),
    }
    assert card.sfi is False


@pytest.mark.parametrize(("learnt", "sw"), [(None, 0x6A86), (False, 0x6A82)])
def test_a_key_whose_ef_cannot_be_selected_reports_the_answer_to_the_query(
    learnt: bool | None, sw: int
) -> None:
    """Unknown, with the status word of the VERIFY form tried (the short form's answer,
    or the SELECT EF's when the short form is known not to work)."""
    keys = Keys({"auth": b"\x6a\x86"}, {}, select={"auth": b"\x6a\x82"})
    card = MyNumberCard(FunctionTransport(keys))
    card.sfi = learnt
    status = card.query_key(profile.AUTH_SLOT)
    assert (status.key, status.sw, status.remaining, status.state) == (
        profile.AUTH_SLOT,
        sw,
        None,
        KeyState.UNKNOWN,
    )


# -- the card record, the token label, info ---------------------------------------------------


RECORD_BODY = b"123456789012345" + b"13101" + b"20340410"


@pytest.mark.parametrize(
    ("raw", "record"),
    [
        (b"\x01\x1c" + RECORD_BODY, ("123456789012345", "13101", dt.date(2034, 4, 10))),
        (
            b"\x01\x1c" + RECORD_BODY + b"\xff\xff",
            ("123456789012345", "13101", dt.date(2034, 4, 10)),
        ),
        (RECORD_BODY, ("123456789012345", "13101", dt.date(2034, 4, 10))),
        (b"\x01\x1c" + RECORD_BODY[:20] + b"20340231", ("123456789012345", "13101", None)),
        (b"\x01\x10" + RECORD_BODY, ("123456789012345", "1", None)),
        (b"\x01", ("\x01", "", None)),
        (b"", ("", "", None)),
        (b"\x01\x1c", ("", "", None)),  # the tag and length, no record
        (RECORD_BODY + b"9", ("123456789012345", "13101", dt.date(2034, 4, 10))),
    ],
)
def test_the_card_record(raw: bytes, record: tuple[str, str, dt.date | None]) -> None:
    parsed = parse_card_record(raw)
    assert (parsed.serial, parsed.municipality, parsed.expiry) == record
    assert parsed.raw == raw and type(parsed.raw) is bytes


def test_a_cut_short_date_is_no_date() -> None:
    assert parse_card_record(b"\x01\x1c" + RECORD_BODY[:20] + b"2034041").expiry is None


def test_a_record_with_bytes_that_are_not_ascii() -> None:
    parsed = parse_card_record(b"\x01\x1c" + b"\xff" * 15 + b"13101" + b"20340410")
    assert parsed.serial == "\ufffd" * 15 and parsed.expiry == dt.date(2034, 4, 10)


@pytest.mark.parametrize(
    ("raw", "token"),
    [
        (b"JPKIAPICCTOKEN2".ljust(32, b" "), Token.CARD),
        (b"JPKIAPICCTOKEN2".ljust(32, b"\x00"), Token.CARD),
        (b"JPKIAPICCTOKEN2 \x00 ", Token.CARD),
        (b"JPKIAPGPSETOKEN".ljust(32, b" "), Token.ANDROID),
        (b"JPKIAPIOSTOKEN".ljust(32, b"\x00"), Token.IPHONE),
        (b"JPKIAPICCTOKEN".ljust(32, b" "), Token.JUKI_CARD),
        (b"JPKIAPICCTOKEN3".ljust(32, b" "), Token.UNKNOWN),
        (b"\xff\xfeJPKI".ljust(32, b" "), Token.UNKNOWN),
        (b"", Token.UNKNOWN),
    ],
)
def test_the_token_label(raw: bytes, token: Token) -> None:
    assert token_from_label(raw) is token


def emulator_card(**changes: object) -> tuple[MyNumberCard, list[bytes]]:
    vc = VirtualCard(build_state(**changes))
    vc.power_on()
    sent: list[bytes] = []

    def send(apdu: bytes) -> bytes:
        sent.append(apdu)
        return vc.process(apdu)

    return MyNumberCard(FunctionTransport(send)), sent


def selects_of(sent: list[bytes], app: profile.Application) -> int:
    return sum(1 for a in sent if a[1] == 0xA4 and a[2] == 0x04 and a[5:] == app.aid)


def test_info_reads_the_record_only_from_a_common_application_that_answers() -> None:
    card, sent = emulator_card(applications=["jpki", "cardinfo", "surface", "juki"])
    info = read_info(card)
    assert info.record is None and info.card_expiry is None
    assert selects_of(sent, profile.COMMON) == 1
    card, _ = emulator_card(applications=["jpki", "common"])
    info = read_info(card)
    assert isinstance(info.record, CardRecord) and info.card_expiry == dt.date(2034, 4, 10)
    assert [a.present for a in info.applications] == [True, False, False, False, True]


@pytest.mark.parametrize(
    ("error", "raised"), [(CardUnresponsiveError, False), (CardRemovedError, True)]
)
def test_info_without_the_auth_certificate(error: type[TransportError], raised: bool) -> None:
    """A card that stops answering while the auth certificate is read: shown without it;
    a card removed: that error."""
    vc = VirtualCard(build_state())
    vc.power_on()

    def send(apdu: bytes) -> bytes:
        if apdu[1] == 0xB0 and (apdu[2] == 0x80 | AUTH.fid or apdu[2] < 0x80):
            raise error("while reading the auth certificate")
        return vc.process(apdu)

    card = MyNumberCard(FunctionTransport(send))
    if raised:
        with pytest.raises(error):
            read_info(card)
    else:
        assert read_info(card).auth_not_after is None
