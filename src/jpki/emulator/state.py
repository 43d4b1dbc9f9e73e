"""The virtual card's memory: PIN values and counters, holder, dates, quirks.

A :class:`CardState` is what the virtual card remembers between sessions. It is
saved as JSON (``save_state``, atomic) and read back with ``load_state``, which
checks every field it is given, naming the field in the :class:`StateError`.
Two kinds of file: a complete state, marked by its ``format`` field (what
``save_state`` and ``jpkitool emulator init-state`` write), must hold every field,
and a missing one is named; a file without ``format`` gives only the fields that
change, the rest keeping their defaults.

PIN values are kept in clear: the file is the virtual card's own memory. Nothing
here is secret and every default is fictitious. ``repr`` never shows PIN values
or the My Number.

Uncertain, emulator only: a key whose maximum is unknown on real cards
(``max_tries`` None in :mod:`jpki.profile`) gets :data:`UNKNOWN_MAX` = 10. The
check numbers (照合番号A/B, birth-date key) are independent fields: the emulator
does not check that they agree with ``my_number``, the holder or the expiry.

Certificates: ``certificates`` maps ``auth``, ``auth-ca``, ``sign``, ``sign-ca`` to
a certificate the card serves instead of the generated one (that EF only). In a
state file each is a path to a PEM or DER file (read when the state is parsed;
relative to the state file's folder in :func:`load_state`, else to the current
directory) or the base64 of the DER; in Python DER bytes are accepted too. They are
kept, and saved, as DER (base64 in the file), never as paths. ``cert_filler``: the
number of filler bytes after each certificate's DER in its EF (emulator only), or
None for the card's default layout (see :mod:`jpki.emulator.card`). These two fields
came later: a complete file without them takes their defaults.

Seen on: emulator only (the defaults follow the formats of docs/card.md §1, §3).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from .. import profile
from ..atomicfile import write_whole
from ..profile import Token

#: Maximum tries the emulator uses when the profile does not know it (emulator only).
UNKNOWN_MAX = 10
#: Largest counter a ``63Cx`` answer can carry.
COUNTER_LIMIT = 15

STATE_FORMAT = "jpkitool-virtual-card"
STATE_VERSION = 1

#: Token kinds a state may name (``unknown`` is what a reader concludes, not a card kind).
TOKENS = (Token.CARD, Token.ANDROID, Token.IPHONE, Token.JUKI_CARD)

#: A contact ATR seen on real cards (docs/card.md §2, opensc issues #3021, #3169).
DEFAULT_ATR = "3BE000FF8131FE4514"

#: Fictitious My Number (its check digit is valid).
DEFAULT_MY_NUMBER = "123456789011"
#: 照合番号B: 昭和60年04月10日 (600410) + expiry year 2034 + security code 5678.
DEFAULT_CHECK_B = "60041020345678"
#: 券面事項確認AP birth-date key: 昭和60年04月10日.
DEFAULT_BIRTH_KEY = "600410"

#: Certificate EFs a state may give (``certificates`` keys): auth, auth CA, sign, sign CA.
CERT_NAMES = ("auth", "auth-ca", "sign", "sign-ca")
#: Largest ``cert_filler``: the last offset READ BINARY P1-P2 can name is 7FFF.
MAX_CERT_FILLER = 0x7FFF

#: Default value of every key (profile key id -> value), all fictitious.
DEFAULT_VALUES: dict[str, str] = {
    profile.SIGN_KEY.id: "ABC123",
    profile.AUTH_KEY.id: "1234",
    profile.JUKI_KEY.id: "1234",
    profile.COMMON_KEY.id: "1234",
    profile.CARDINFO_KEY.id: "1234",
    profile.CARDINFO_A_KEY.id: DEFAULT_MY_NUMBER,
    profile.CARDINFO_B_KEY.id: DEFAULT_CHECK_B,
    profile.CARDINFO_BLOCKED_KEY.id: "0000",
    profile.SURFACE_A_KEY.id: DEFAULT_MY_NUMBER,
    profile.SURFACE_B_KEY.id: DEFAULT_CHECK_B,
    profile.SURFACE_BIRTH_KEY.id: DEFAULT_BIRTH_KEY,
}
#: Keys blocked on a fresh card: ``cardinfo-0012`` is blocked on every card examined (myna-card).
DEFAULT_BLOCKED = frozenset({profile.CARDINFO_BLOCKED_KEY.id})

_JSON_FIELDS = (
    "format",
    "version",
    "atr",
    "token",
    "applications",
    "sign_certificate",
    "face_auth",
    "serial",
    "municipality",
    "card_expiry",
    "cert_issued",
    "my_number",
    "holder",
    "pins",
    "quirks",
    "latency_ms",
    "certificates",
    "cert_filler",
)
#: Fields a complete file may lack (added after version 1 files were written): default.
_LATER_FIELDS = ("certificates", "cert_filler")


class StateError(ValueError):
    """A state file or value is invalid; ``field`` is the dotted path of the culprit."""

    def __init__(self, field: str, reason: str, *, path: str | os.PathLike[str] | None = None):
        self.field = field
        self.reason = reason
        self.path = str(path) if path is not None else None
        parts = [p for p in (self.path, field) if p]
        super().__init__(": ".join([*parts, reason]))


def key_max(key: profile.Key) -> int:
    """The emulator's maximum for ``key``: the profile's, else :data:`UNKNOWN_MAX`."""
    return key.max_tries if key.max_tries is not None else UNKNOWN_MAX


@dataclass
class KeySlot:
    """One key's reference data and counter. ``repr`` hides the value."""

    value: str = field(repr=False)
    remaining: int
    max: int

    @property
    def blocked(self) -> bool:
        return self.remaining == 0

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "remaining": self.remaining, "max": self.max}


def default_slot(key: profile.Key) -> KeySlot:
    """The fresh-card slot of ``key`` (see :data:`DEFAULT_VALUES`, :data:`DEFAULT_BLOCKED`)."""
    top = key_max(key)
    return KeySlot(DEFAULT_VALUES[key.id], 0 if key.id in DEFAULT_BLOCKED else top, top)


def _default_pins() -> dict[str, KeySlot]:
    return {k.id: default_slot(k) for k in profile.KEYS}


@dataclass
class Holder:
    """The fictitious card holder.

    ``sex`` is one JIS X 0303 digit (1 male, 2 female, 9 not applicable), as in the
    sign certificate. ``prefecture_en``/``city_en`` make the ``L=`` parts of the
    sign certificate's subject. ``name_kana`` is not written to any file (no public
    source shows where a card keeps it).
    """

    name: str = "架空 花子"
    name_kana: str = "カクウ ハナコ"
    birth_date: dt.date = dt.date(1985, 4, 10)
    sex: str = "2"
    address: str = "東京都千代田区架空町一丁目２番３号"
    prefecture_en: str = "Tokyo-to"
    city_en: str = "Chiyoda-ku"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "name_kana": self.name_kana,
            "birth_date": self.birth_date.isoformat(),
            "sex": self.sex,
            "address": self.address,
            "prefecture_en": self.prefecture_en,
            "city_en": self.city_en,
        }


@dataclass
class Quirks:
    """Behaviours of some real cards, all off by default.

    - ``verified_query_9000``: after a successful VERIFY the query answers ``9000``
      ("some cards", myna-card) instead of ``63Cx``.
    - ``blocked_query_6984``: the query on a blocked key answers ``6984``, not ``63C0``.
    - ``no_extended``: extended-length APDUs answer ``6700``.
    - ``no_sfi``: the short-EF forms (READ BINARY P1 ``80|SFI``, VERIFY/CHANGE P2
      other than ``80``) answer ``6A86``.
    - ``get_response``: every response with data answers ``61xx`` first; the data
      comes with GET RESPONSE ``00 C0 00 00 xx`` in chunks of at most 256 bytes.
    - ``answer_override``: key id -> status word (4 hex digits) the query returns,
      to simulate a card answering something unexpected.
    """

    verified_query_9000: bool = False
    blocked_query_6984: bool = False
    no_extended: bool = False
    no_sfi: bool = False
    get_response: bool = False
    answer_override: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "verified_query_9000": self.verified_query_9000,
            "blocked_query_6984": self.blocked_query_6984,
            "no_extended": self.no_extended,
            "no_sfi": self.no_sfi,
            "get_response": self.get_response,
            "answer_override": dict(self.answer_override),
        }


_QUIRK_FLAGS = (
    "verified_query_9000",
    "blocked_query_6984",
    "no_extended",
    "no_sfi",
    "get_response",
)


@dataclass
class CardState:
    """Everything the virtual card remembers. ``CardState()`` is the default card.

    Defaults: PINs ①②③④ ``ABC123``/``1234``/``1234``/``1234`` with full counters;
    照合番号A = ``my_number`` ``123456789011``, B ``60041020345678``; ``cardinfo-0012``
    blocked; holder 架空 花子 born 1985-04-10; certificates issued 2024-06-01; card
    expiry 2034-04-10 (10th birthday after issue); serial ``123456789012345``;
    municipality ``13101``; token ``card``; all applications; no quirks; no latency;
    all four certificates generated (``certificates`` empty) and laid out as the
    card's default (``cert_filler`` None).

    ``certificates``: EF name (:data:`CERT_NAMES`) -> DER of a given certificate,
    served instead of the generated one; ``repr`` leaves it out (kilobytes).
    ``cert_filler``: filler bytes (``00``, emulator only) after each certificate's
    DER in its EF; None: padded with ``00`` to 2048 bytes (none when longer).
    """

    pins: dict[str, KeySlot] = field(default_factory=_default_pins)
    holder: Holder = field(default_factory=Holder)
    my_number: str = field(default=DEFAULT_MY_NUMBER, repr=False)
    card_expiry: dt.date = dt.date(2034, 4, 10)
    cert_issued: dt.date = dt.date(2024, 6, 1)
    serial: str = "123456789012345"
    municipality: str = "13101"
    token: Token = Token.CARD
    sign_certificate: bool = True
    face_auth: bool = False
    applications: list[str] = field(default_factory=lambda: [a.id for a in profile.APPLICATIONS])
    quirks: Quirks = field(default_factory=Quirks)
    latency_ms: float = 0.0
    atr: str = DEFAULT_ATR
    certificates: dict[str, bytes] = field(default_factory=dict, repr=False)
    cert_filler: int | None = None

    @classmethod
    def default(cls) -> CardState:
        """A fresh default card (see the class docstring)."""
        return cls()

    @property
    def atr_bytes(self) -> bytes:
        return bytes.fromhex(self.atr)

    def slot(self, key: profile.Key) -> KeySlot:
        """The slot of ``key`` (a fresh default one is added if the dict lacks it)."""
        if key.id not in self.pins:
            self.pins[key.id] = default_slot(key)
        return self.pins[key.id]

    # -- JSON -----------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict, the layout of the state file."""
        return {
            "format": STATE_FORMAT,
            "version": STATE_VERSION,
            "atr": self.atr,
            "token": self.token.value,
            "applications": list(self.applications),
            "sign_certificate": self.sign_certificate,
            "face_auth": self.face_auth,
            "serial": self.serial,
            "municipality": self.municipality,
            "card_expiry": self.card_expiry.isoformat(),
            "cert_issued": self.cert_issued.isoformat(),
            "my_number": self.my_number,
            "holder": self.holder.to_dict(),
            "pins": {k: v.to_dict() for k, v in self.pins.items()},
            "quirks": self.quirks.to_dict(),
            "latency_ms": self.latency_ms,
            "certificates": {
                name: base64.b64encode(self.certificates[name]).decode("ascii")
                for name in CERT_NAMES
                if name in self.certificates
            },
            "cert_filler": self.cert_filler,
        }

    @classmethod
    def from_dict(cls, doc: Any) -> CardState:
        """Build from a (possibly partial) dict; raise :class:`StateError` on any bad field."""
        return _parse(doc)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> CardState:
        """Parse a state file's text (certificate paths relative to the current directory)."""
        return _from_json(text, None)


def build_state(
    *,
    remaining: Mapping[str, int] | None = None,
    answer: Mapping[str, str] | None = None,
    quirks: Mapping[str, bool] | None = None,
    **fields: Any,
) -> CardState:
    """A default card with some changes, checked like a state file.

    ``remaining``: key id -> tries left; ``answer``: key id -> status word the
    query returns (``quirks.answer_override``); ``quirks``: quirk flags; any other
    keyword is a top-level state-file field (``applications=[...]``,
    ``token="android"``, ``card_expiry="2026-12-01"``,
    ``certificates={"auth": der_bytes, "auth-ca": "ca.pem"}``, ``cert_filler=300``, ...).
    """
    doc: dict[str, Any] = dict(fields)
    if remaining:
        doc["pins"] = {key: {"remaining": left} for key, left in remaining.items()}
    quirk_doc: dict[str, Any] = dict(quirks or {})
    if answer:
        quirk_doc["answer_override"] = dict(answer)
    if quirk_doc:
        doc["quirks"] = quirk_doc
    return _parse(doc)


def load_state(path: str | os.PathLike[str]) -> CardState:
    """Read a state file; :class:`StateError` names the file and the bad field."""
    try:
        text = Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise StateError("", f"cannot read: {exc}", path=path) from None
    try:
        return _from_json(text, Path(path).parent)
    except StateError as exc:
        raise StateError(exc.field, exc.reason, path=path) from None


def save_state(state: CardState, path: str | os.PathLike[str]) -> None:
    """Write ``state`` as JSON atomically (temporary file in the same directory, then rename)."""
    write_whole(path, state.to_json().encode("utf-8"))


def _from_json(text: str, base: Path | None) -> CardState:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StateError(
            f"line {exc.lineno}, column {exc.colno}", f"invalid JSON: {exc.msg}"
        ) from None
    return _parse(doc, base)


# -- validation -----------------------------------------------------------------


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _object(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise StateError(where or "(top level)", f"must be an object, not {_type_name(value)}")
    return value


def _no_unknown(doc: Mapping[str, Any], known: tuple[str, ...], where: str) -> None:
    for name in doc:
        if name not in known:
            path = f"{where}.{name}" if where else str(name)
            raise StateError(path, f"unknown field (known: {', '.join(known)})")


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise StateError(where, f"must be true or false, not {_type_name(value)}")
    return value


def _str(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise StateError(where, f"must be a string, not {_type_name(value)}")
    return value


def _int(value: Any, where: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise StateError(where, f"must be an integer {low}..{high}")
    return value


def _digits(value: Any, where: str, n: int) -> str:
    text = _str(value, where)
    if not re.fullmatch(rf"[0-9]{{{n}}}", text):
        raise StateError(where, f"must be {n} digits")
    return text


def _date(value: Any, where: str) -> dt.date:
    text = _str(value, where)
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
            raise ValueError
        return dt.date.fromisoformat(text)
    except ValueError:
        raise StateError(where, f"must be a date YYYY-MM-DD, not {text!r}") from None


def _nonempty(value: Any, where: str) -> str:
    text = _str(value, where)
    if not text.strip():
        raise StateError(where, "must not be empty")
    return text


def _atr(value: Any, where: str) -> str:
    text = re.sub(r"[\s:]", "", _str(value, where)).upper()
    if not re.fullmatch(r"(?:[0-9A-F]{2}){2,33}", text):
        raise StateError(where, "must be 2 to 33 bytes in hex")
    if text[:2] not in ("3B", "3F"):
        raise StateError(where, "must start with 3B or 3F (TS)")
    return text


def _slot(key: profile.Key, value: Any, where: str) -> KeySlot:
    doc = _object(value, where)
    _no_unknown(doc, ("value", "remaining", "max"), where)
    base = default_slot(key)
    top = _int(doc["max"], f"{where}.max", 1, COUNTER_LIMIT) if "max" in doc else base.max
    if "remaining" in doc:
        left = _int(doc["remaining"], f"{where}.remaining", 0, top)
    else:
        left = min(base.remaining, top)
    pin = base.value
    if "value" in doc:
        text = _str(doc["value"], f"{where}.value")
        fmt = key.format
        if not fmt.valid(text):
            raise StateError(
                f"{where}.value",
                f"does not fit the {fmt.id} format of this key "
                f"({fmt.min_len}-{fmt.max_len} characters matching {fmt.pattern})",
            )
        pin = fmt.normalise(text)
    return KeySlot(pin, left, top)


def _pins(value: Any) -> dict[str, KeySlot]:
    doc = _object(value, "pins")
    pins = _default_pins()
    for key_id, entry in doc.items():
        key = profile.KEYS_BY_ID.get(key_id)
        if key is None:
            known = ", ".join(profile.KEYS_BY_ID)
            raise StateError(f"pins.{key_id}", f"unknown key (known: {known})")
        pins[key_id] = _slot(key, entry, f"pins.{key_id}")
    return pins


def _holder(value: Any) -> Holder:
    doc = _object(value, "holder")
    known = ("name", "name_kana", "birth_date", "sex", "address", "prefecture_en", "city_en")
    _no_unknown(doc, known, "holder")
    h = Holder()
    for name in ("name", "name_kana", "address", "prefecture_en", "city_en"):
        if name in doc:
            setattr(h, name, _nonempty(doc[name], f"holder.{name}"))
    if "birth_date" in doc:
        h.birth_date = _date(doc["birth_date"], "holder.birth_date")
    if "sex" in doc:
        sex = _str(doc["sex"], "holder.sex")
        if sex not in ("1", "2", "9"):
            raise StateError("holder.sex", "must be '1' (male), '2' (female) or '9' (JIS X 0303)")
        h.sex = sex
    return h


def _quirks(value: Any) -> Quirks:
    doc = _object(value, "quirks")
    _no_unknown(doc, (*_QUIRK_FLAGS, "answer_override"), "quirks")
    q = Quirks()
    for name in _QUIRK_FLAGS:
        if name in doc:
            setattr(q, name, _bool(doc[name], f"quirks.{name}"))
    if "answer_override" in doc:
        overrides = _object(doc["answer_override"], "quirks.answer_override")
        for key_id, sw in overrides.items():
            where = f"quirks.answer_override.{key_id}"
            if key_id not in profile.KEYS_BY_ID:
                raise StateError(where, f"unknown key (known: {', '.join(profile.KEYS_BY_ID)})")
            text = _str(sw, where).replace(" ", "").upper()
            if not re.fullmatch(r"[0-9A-F]{4}", text):
                raise StateError(where, "must be a status word of 4 hex digits, e.g. '6A88'")
            q.answer_override[key_id] = text
    return q


def _applications(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise StateError("applications", f"must be a list, not {_type_name(value)}")
    out: list[str] = []
    for i, item in enumerate(value):
        where = f"applications[{i}]"
        app = _str(item, where)
        if app not in profile.APPLICATIONS_BY_ID:
            known = ", ".join(profile.APPLICATIONS_BY_ID)
            raise StateError(where, f"unknown application {app!r} (known: {known})")
        if app in out:
            raise StateError(where, f"{app!r} listed twice")
        out.append(app)
    return out


def _der_certificate(der: bytes) -> bytes | None:
    """``der`` if it is exactly one DER X.509 certificate, else None."""
    try:
        x509.load_der_x509_certificate(der)
    except ValueError:
        return None
    return der


def _file_certificate(raw: bytes) -> bytes | None:
    """The DER of the certificate in a PEM or DER file's bytes, or None."""
    if b"-----BEGIN" not in raw:
        return _der_certificate(raw)
    try:
        return x509.load_pem_x509_certificate(raw).public_bytes(Encoding.DER)
    except ValueError:
        return None


_BASE64 = re.compile(r"[A-Za-z0-9+/=\s]+")


def _certificate(value: Any, where: str, base: Path | None) -> bytes:
    """A given certificate: DER bytes, a PEM/DER file path, or base64 DER text."""
    if isinstance(value, bytes | bytearray):
        der = _der_certificate(bytes(value))
        if der is None:
            raise StateError(where, "not a DER X.509 certificate")
        return der
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str):
        raise StateError(
            where, f"must be a file path or base64 DER (a string), not {_type_name(value)}"
        )
    if not value.strip():
        raise StateError(where, "must not be empty")
    looks_base64 = _BASE64.fullmatch(value) is not None and len(value) >= 64
    if looks_base64:
        try:
            der = _der_certificate(base64.b64decode(re.sub(r"\s", "", value), validate=True))
        except binascii.Error:
            der = None
        if der is not None:
            return der
    path = Path(value).expanduser()
    if base is not None and not path.is_absolute():
        path = base / path
    if looks_base64 and not os.path.exists(path):  # (Path.exists raises on long names)
        raise StateError(where, "neither base64 DER of a certificate nor a certificate file")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise StateError(where, f"cannot read {str(path)!r}: {exc.strerror or exc}") from None
    der = _file_certificate(raw)
    if der is None:
        raise StateError(where, f"{str(path)!r} is not a certificate (PEM or DER)")
    return der


def _certificates(value: Any, base: Path | None) -> dict[str, bytes]:
    doc = _object(value, "certificates")
    out: dict[str, bytes] = {}
    for name, given in doc.items():
        where = f"certificates.{name}"
        if name not in CERT_NAMES:
            raise StateError(where, f"unknown certificate (known: {', '.join(CERT_NAMES)})")
        out[name] = _certificate(given, where, base)
    return {name: out[name] for name in CERT_NAMES if name in out}


def _require_complete(doc: Mapping[str, Any], layout: Mapping[str, Any], where: str) -> None:
    """Every field of ``layout`` (the default state's JSON) must be in ``doc``."""
    for name, default in layout.items():
        path = f"{where}.{name}" if where else name
        optional = not where and name in _LATER_FIELDS
        if name not in doc and not optional:
            raise StateError(
                path,
                "missing: a state file with 'format' holds every field "
                "(leave 'format' out to give only the fields that change)",
            )
        if isinstance(default, dict) and default and isinstance(doc[name], dict):
            _require_complete(doc[name], default, path)


def _parse(value: Any, base: Path | None = None) -> CardState:
    doc = _object(value, "")
    _no_unknown(doc, _JSON_FIELDS, "")
    s = CardState()
    if "format" in doc and doc["format"] != STATE_FORMAT:
        raise StateError("format", f"must be {STATE_FORMAT!r}")
    if "version" in doc and doc["version"] != STATE_VERSION:
        raise StateError("version", f"unsupported version (this jpkitool reads {STATE_VERSION})")
    if "format" in doc:
        _require_complete(doc, s.to_dict(), "")
    if "atr" in doc:
        s.atr = _atr(doc["atr"], "atr")
    if "token" in doc:
        token = _str(doc["token"], "token")
        if token not in TOKENS:
            raise StateError("token", f"must be one of {', '.join(TOKENS)}")
        s.token = Token(token)
    if "applications" in doc:
        s.applications = _applications(doc["applications"])
    for name in ("sign_certificate", "face_auth"):
        if name in doc:
            setattr(s, name, _bool(doc[name], name))
    if "serial" in doc:
        s.serial = _digits(doc["serial"], "serial", 15)
    if "municipality" in doc:
        s.municipality = _digits(doc["municipality"], "municipality", 5)
    if "my_number" in doc:
        s.my_number = _digits(doc["my_number"], "my_number", 12)
    if "card_expiry" in doc:
        s.card_expiry = _date(doc["card_expiry"], "card_expiry")
    if "cert_issued" in doc:
        s.cert_issued = _date(doc["cert_issued"], "cert_issued")
    if "holder" in doc:
        s.holder = _holder(doc["holder"])
    if "pins" in doc:
        s.pins = _pins(doc["pins"])
    if "quirks" in doc:
        s.quirks = _quirks(doc["quirks"])
    if "latency_ms" in doc:
        ms = doc["latency_ms"]
        if (
            isinstance(ms, bool)
            or not isinstance(ms, int | float)
            or not math.isfinite(ms)
            or not 0 <= ms <= 60_000
        ):
            raise StateError("latency_ms", "must be a number of milliseconds 0..60000")
        s.latency_ms = float(ms)
    if "certificates" in doc:
        s.certificates = _certificates(doc["certificates"], base)
    if "cert_filler" in doc and doc["cert_filler"] is not None:
        filler = doc["cert_filler"]
        if (
            isinstance(filler, bool)
            or not isinstance(filler, int)
            or not 0 <= filler <= MAX_CERT_FILLER
        ):
            raise StateError("cert_filler", f"must be null or an integer 0..{MAX_CERT_FILLER}")
        s.cert_filler = filler
    if s.cert_issued <= s.holder.birth_date:
        raise StateError("cert_issued", "must be after holder.birth_date")
    if s.card_expiry <= s.cert_issued:
        raise StateError("card_expiry", "must be after cert_issued")
    return s
