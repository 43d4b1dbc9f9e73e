"""A read-only report of how a card and its reader answer: ``jpkitool doctor --report``.

The project has no physical card; this is how real cards teach it
(``docs/reporting.md``). :func:`probe` sends a fixed sequence, with no PIN, inside the
caller's transaction, and says what each answer shows:

1. SELECT JPKI by DF name;
2. the counter query of ② both ways (docs/card.md §4, §5): ``00 20 00 98`` (short EF
   identifier), then SELECT EF ``0018`` + ``00 20 00 80``;
3. READ BINARY ``00 B0 8A 00 04`` (the auth certificate by short EF identifier);
4. SELECT EF ``000A``, READ BINARY ``00 B0 00 00 04`` (its DER header), then one
   extended READ BINARY ``00 B0 00 00 00 HH LL`` of the whole certificate, as pymyna
   does, its data hidden from the recording (only its length and status word are
   kept); ``61xx`` is followed by GET RESPONSE and ``6Cxx`` by one resend, and both
   are noted;
5. SELECT of the GlobalPlatform ISD ``00 A4 04 0C 07 A0 00 00 01 51 00 00``;
6. a power cycle (:meth:`apdu.BaseTransport.power_cycle`), the throwaway
   ``00 A4 00 00`` (does a ``6F00`` come first?), SELECT JPKI again.

Commands go to the card as written, through :attr:`jpki.card.MyNumberCard.transport`
(the PIN guard), so that ``61xx`` and ``6Cxx`` are seen as the card sent them.

With a PIN (``--report-with-pin 1|4``), :func:`probe_pin`, in a transaction of its
own: the counter read, a permit (:meth:`jpki.card.MyNumberCard.permit`, refusing as
``verify-pin`` does), one VERIFY, then for each event in :data:`PIN_STEPS` the event
and the harmless proof read (one byte of the file the key guards, hidden:
``6982`` cleared, ``9000`` still verified). When an event cleared the key, the same
value is verified again before the next event, so that each event is tested on a
verified key: a correct VERIFY resets the counter and costs no try, and the value
was accepted moments before in the same transaction. A disconnect and reconnect is
not tested: it would end the transaction and let other programs reach a verified
card, and pcscd powers an idle card down after a while, so what it shows depends on
timing. It always ends with :meth:`jpki.card.MyNumberCard.leave_unverified`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from apdu import ResponseAPDU, TransportError

from . import profile
from .card import MyNumberCard
from .efreader import FATAL
from .errors import JpkiError, ReaderError
from .keystatus import is_count_answer
from .permit import SpendPermit
from .profile import Pin
from .schema import document

#: The commands of :func:`probe`, as sent.
SELECT_JPKI = bytes(profile.select_app(profile.JPKI.aid))
QUERY_SHORT = bytes([0x00, 0x20, 0x00, profile.AUTH_SLOT.sfi_p2])
SELECT_AUTH_PIN = bytes(profile.select_ef(profile.AUTH_SLOT.fid))
QUERY = bytes.fromhex("00200080")
READ_SFI = bytes([0x00, 0xB0, 0x80 | profile.AUTH_CERT.fid, 0x00, 0x04])
SELECT_AUTH_CERT = bytes(profile.select_ef(profile.AUTH_CERT.fid))
READ_HEADER = bytes.fromhex("00B0000004")
SELECT_ISD = bytes(profile.select_app(profile.ISD.aid))
#: Most GET RESPONSE rounds followed for one command.
MAX_ROUNDS = 64

#: The events :func:`probe_pin` tests, in order: those that should keep the key
#: verified first (docs/card.md §6).
PIN_STEPS = ("reselect", "warm-reset", "reconnect", "isd", "power-cycle")


@dataclass
class ReadProbe:
    """READ BINARY of the auth certificate: by SFI, short, and one extended read."""

    #: Status word of ``00 B0 8A 00 04`` (by short EF identifier).
    sfi: str | None = None
    #: Status word of ``00 B0 00 00 04`` after SELECT EF ``000A``.
    short: str | None = None
    #: The certificate's length from its DER header (None: unreadable).
    length: int | None = None
    #: The extended read: its last status word and how many bytes came.
    extended: str | None = None
    extended_bytes: int | None = None
    #: Status words met on the way (``61xx``, ``6Cxx``) and GET RESPONSE rounds.
    seen: list[str] = field(default_factory=list)
    #: A transport error instead of an answer (the reader did not carry it).
    error: str | None = None

    @property
    def verdict(self) -> str:
        """``works``, ``works-61xx``, ``6cxx``, ``refused`` (``6700``), ``reader-error``,
        ``partial`` (fewer bytes), ``other`` (another status word) or ``not-tested``."""
        if self.error is not None:
            return "reader-error"
        if self.extended is None:
            return "not-tested"
        if any(s.startswith("6C") for s in self.seen):
            return "6cxx"
        if self.extended == "6700":
            return "refused"
        if self.extended != "9000":
            return "other"
        if self.extended_bytes != self.length:
            return "partial"
        return "works-61xx" if any(s.startswith("61") for s in self.seen) else "works"


@dataclass
class PinProbe:
    """What :func:`probe_pin` found."""

    pin: str
    #: Status word of the one VERIFY with data (None: not sent).
    verify: str | None = None
    #: Per event of :data:`PIN_STEPS`: ``kept`` (the proof read answered ``9000``),
    #: ``cleared`` (``6982``), ``unknown`` (another answer), ``not-possible`` (the
    #: transport cannot do it, or the card refused the SELECT), ``not-tested``
    #: (reconnect: by design), ``not-run`` (an earlier failure stopped the probe).
    steps: dict[str, str] = field(default_factory=dict)
    #: Status word of the proof read per event.
    proof: dict[str, str | None] = field(default_factory=dict)
    #: Answers to the throwaway command after a warm reset and a power cycle.
    first_after: dict[str, str | None] = field(default_factory=dict)
    reverified: int = 0
    card_left: str | None = None
    left_steps: tuple[str, ...] = ()


@dataclass
class Report:
    """The summary of :func:`probe` (and :func:`probe_pin`): plain data."""

    reader: str
    atr: str
    jpki: str | None = None
    query_short: str | None = None
    query_select: str | None = None
    read: ReadProbe = field(default_factory=ReadProbe)
    isd: str | None = None
    #: ``done``, or why not (the transport's error).
    power_cycle: str | None = None
    #: Answer to the throwaway ``00 A4 00 00`` right after the power cycle.
    after_power: str | None = None
    jpki_after_power: str | None = None
    pin: PinProbe | None = None
    #: Where the recording of the probe was written (``-``: stdout), when it was.
    path: str | None = None

    @property
    def query_form(self) -> str:
        """``short`` (``00 20 00 98`` answered a count), ``select`` (only SELECT EF +
        ``00 20 00 80`` did), ``neither``, or ``not-tested`` (no JPKI)."""
        if self.query_short is None and self.query_select is None:
            return "not-tested"
        if _counts(self.query_short):
            return "short"
        return "select" if _counts(self.query_select) else "neither"

    @property
    def power_6f00(self) -> bool | None:
        """Whether the first command after the power cycle was answered ``6F00``."""
        return None if self.after_power is None else self.after_power == "6F00"

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``json.dumps``: the document ``doctor --report PATH --json``
        prints (docs/json.md)."""
        doc = asdict(self)
        doc["query_form"] = self.query_form
        doc["power_6f00"] = self.power_6f00
        doc["read"]["verdict"] = self.read.verdict
        return document(doc)


def _counts(sw: str | None) -> bool:
    return sw is not None and is_count_answer(ResponseAPDU(b"", int(sw, 16)))


def _send(card: MyNumberCard, apdu: bytes) -> ResponseAPDU:
    """Send ``apdu`` as written, through the card's transport (the PIN guard)."""
    return ResponseAPDU.parse(card.transport.transmit(apdu, personal=card.personal))


def _sw(card: MyNumberCard, apdu: bytes) -> str:
    return _send(card, apdu).sw_hex


def _follow(card: MyNumberCard, apdu: bytes, seen: list[str]) -> ResponseAPDU:
    """Send ``apdu``; ``6Cxx``: resend once with Le = xx; ``61xx``: GET RESPONSE until
    done. Every intermediate status word is added to ``seen``."""
    resp = _send(card, apdu)
    if resp.sw1 == 0x6C and len(apdu) == 5:
        seen.append(resp.sw_hex)
        resp = _send(card, apdu[:4] + bytes([resp.sw2]))
    data = bytearray(resp.data)
    rounds = 0
    while resp.sw1 == 0x61 and rounds < MAX_ROUNDS:
        seen.append(resp.sw_hex)
        rounds += 1
        resp = _send(card, bytes([0x00, 0xC0, 0x00, 0x00, resp.sw2]))
        data += resp.data
    return ResponseAPDU(bytes(data), resp.sw)


def _failure(action: Callable[[], object]) -> str | None:
    """Run ``action``; ``None`` when it worked, else the transport's error as text (a
    card removed, no card, a reader taken or pcscd gone is raised)."""
    try:
        action()
    except TransportError as exc:
        if isinstance(exc, FATAL):
            raise
        return str(exc) or type(exc).__name__
    return None


def probe(card: MyNumberCard) -> Report:
    """Run the fixed sequence of the module docstring (no PIN; the caller holds the
    transaction) and say what it found. Transport errors other than a card removed,
    no card, a reader taken or pcscd gone are taken as the step's answer."""
    transport = card.transport
    report = Report(transport.name, transport.atr.hex().upper())
    card.forget_selection()
    report.jpki = _sw(card, SELECT_JPKI)
    if report.jpki == "9000":
        report.query_short = _sw(card, QUERY_SHORT)
        if _sw(card, SELECT_AUTH_PIN) == "9000":
            report.query_select = _sw(card, QUERY)
        report.read = _read_probe(card)
    report.isd = _sw(card, SELECT_ISD)
    report.power_cycle = _failure(transport.power_cycle) or "done"
    card.forget_selection()
    if report.power_cycle == "done":
        report.after_power = _sw(card, profile.THROWAWAY)
        report.jpki_after_power = _sw(card, SELECT_JPKI)
    card.forget_selection()
    return report


def _read_probe(card: MyNumberCard) -> ReadProbe:
    read = ReadProbe()
    read.sfi = _follow(card, READ_SFI, []).sw_hex
    if _sw(card, SELECT_AUTH_CERT) != "9000":
        return read
    header = _follow(card, READ_HEADER, read.seen)
    read.short = header.sw_hex
    if not (header.ok and len(header.data) == 4 and header.data[:2] == b"\x30\x82"):
        return read
    read.length = int.from_bytes(header.data[2:4], "big") + 4
    command = bytes.fromhex("00B0000000") + read.length.to_bytes(2, "big")

    def extended() -> None:
        whole = _follow(card, command, read.seen)
        read.extended = whole.sw_hex
        read.extended_bytes = len(whole.data)

    with card.personal_responses():  # the length and status word are enough
        read.error = _failure(extended)
    return read


# -- with a PIN ---------------------------------------------------------------------


class ProbeStopped(Exception):
    """The PIN probe stopped: a VERIFY was refused (``error``, as verify-pin gives it)."""

    def __init__(self, error: JpkiError) -> None:
        super().__init__(str(error))
        self.error = error


def probe_pin(card: MyNumberCard, pin: Pin, value: bytes, result: PinProbe) -> None:
    """Verify ``value`` once for ``pin`` (① or ④) and test each event of
    :data:`PIN_STEPS` with the proof read, filling ``result``; end with
    :meth:`MyNumberCard.leave_unverified` (``result.card_left``). Inside the caller's
    transaction. Raises the refusal of :meth:`MyNumberCard.permit` before anything is
    sent, and :class:`ProbeStopped` when the VERIFY was not accepted (after the
    ending)."""
    key = pin.slots[0]
    permit = card.permit(card.query_key(key))
    stopped: JpkiError | None = None
    try:
        result.verify, stopped = _verify(card, pin, permit, value)
        stopped = stopped or _events(card, pin, value, result)
    finally:
        if result.verify is not None:
            result.card_left = str(card.leave_unverified([key]))
            result.left_steps = card.left_steps
    if stopped is not None:
        raise ProbeStopped(stopped)


def _verify(
    card: MyNumberCard, pin: Pin, permit: SpendPermit, value: bytes
) -> tuple[str, JpkiError | None]:
    """VERIFY ``value`` under ``permit``: its status word, and the error when refused."""
    from .pinops import attempt_error

    resp = card.verify(permit, value)
    return resp.sw_hex, None if resp.ok else attempt_error(pin, pin.slots[0], resp.sw)


def _events(card: MyNumberCard, pin: Pin, value: bytes, result: PinProbe) -> JpkiError | None:
    """Each event of :data:`PIN_STEPS` and its proof read, the key verified before each
    (again when the last event cleared it); the error of a VERIFY that was refused."""
    own_app = bytes(profile.select_app(pin.slots[0].app.aid))
    stopped: JpkiError | None = None
    verified = True
    for name in PIN_STEPS:
        if name == "reconnect":
            result.steps[name] = "not-tested"
            continue
        if stopped is None and not verified:
            stopped = _reverify(card, pin, value, result)
        if stopped is not None:
            result.steps[name] = "not-run"
            continue
        problem = _event(card, name, own_app, result)
        if problem is not None:
            result.steps[name] = "not-possible"
            result.proof[name] = problem if len(problem) == 4 else None
            verified = True
            continue
        answer = _proof(card, profile.PROOF_FILES[pin.id])
        result.proof[name] = answer
        result.steps[name] = {"9000": "kept", "6982": "cleared"}.get(answer or "", "unknown")
        verified = answer == "9000"
    return stopped


def _event(card: MyNumberCard, name: str, own_app: bytes, result: PinProbe) -> str | None:
    """Event ``name``: ``None`` when done, else why it could not be (the status word of
    the SELECT, or the transport's error). A reset is followed by the throwaway command."""
    transport = card.transport
    card.forget_selection()
    try:
        if name in ("reselect", "isd"):
            answer = _sw(card, own_app if name == "reselect" else SELECT_ISD)
            return None if answer == "9000" else answer
        problem = _failure(lambda: transport.power_cycle(warm=name == "warm-reset"))
        if problem is None:
            result.first_after[name] = _sw(card, profile.THROWAWAY)
        return problem
    finally:
        card.forget_selection()


def _proof(card: MyNumberCard, file: profile.DataFile) -> str | None:
    """The status word of the one-byte proof read of ``file`` (its byte hidden)."""
    card.forget_selection()
    try:
        with card.personal_responses():
            if not card.select_app(file.app).ok:
                return None
            return card.read_first_byte(file.fid).sw_hex
    finally:
        card.forget_selection()


def _reverify(card: MyNumberCard, pin: Pin, value: bytes, result: PinProbe) -> JpkiError | None:
    """Verify the same value again (the key was cleared by the last event): the counter
    read first, refused as any VERIFY is; the error when it cannot be done."""
    try:
        permit = card.permit(card.query_key(pin.slots[0]))
    except ReaderError:
        raise
    except JpkiError as exc:
        return exc
    _, error = _verify(card, pin, permit, value)
    if error is None:
        result.reverified += 1
    return error
