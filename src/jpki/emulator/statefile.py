"""The virtual card's state file: JSON of a :class:`.state.CardState`.

The file's fields are the dataclass fields of :class:`.state.CardState` and of its
parts (:class:`.state.Holder`, :class:`.state.Quirks`, :class:`.state.KeySlot`), in
their order, after ``format`` and ``version``; :data:`CODECS` says how each is read
and written. :func:`save_state` writes atomically; :func:`load_state` checks every
field it is given, naming the field in the :class:`StateError`.

Two kinds of file: a complete state, marked by its ``format`` field (what
``save_state`` and ``jpkitool emulator init-state`` write), must hold every field,
and a missing one is named; a file without ``format`` gives only the fields that
change, the rest keeping their defaults. ``certificates``, ``cert_filler`` and
``quirks.short_query_9000`` came later: a complete file without them takes their
defaults.

Certificates: ``certificates`` maps ``auth``, ``auth-ca``, ``sign``, ``sign-ca`` to
a certificate the card serves instead of the generated one (that EF only). In a
state file each is a path to a PEM or DER file (read when the state is parsed;
relative to the state file's folder in :func:`load_state`, else to the current
directory) or the base64 of the DER; in Python DER bytes are accepted too. They are
kept, and saved, as DER (base64 in the file), never as paths. ``cert_filler``: the
number of filler bytes after each certificate's DER in its EF (emulator only), or
null for the card's default layout (see :mod:`jpki.emulator.files`).

A state file must be a regular file of at most :data:`MAX_STATE_BYTES`, UTF-8 (a
leading byte order mark is ignored), with no key twice in one object. Errors carry
a :data:`StateReason` code and its parameters, for messages in any language.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import dataclasses
import datetime as dt
import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from apdu import jsonfile
from apdu.errors import english
from apdu.outfile import check, write_whole
from apdu.transport import finite_number

from .. import profile
from ..profile import Token
from .state import (
    CERT_NAMES,
    COUNTER_LIMIT,
    MAX_CERT_FILLER,
    TOKENS,
    CardState,
    Holder,
    KeySlot,
    Quirks,
    default_pins,
    default_slot,
)

STATE_FORMAT = "jpkitool-virtual-card"
STATE_VERSION = 1

#: Fields of the file before the state's own.
HEADER = ("format", "version")

#: Largest state file read (a complete one is 2 KB; four given certificates add some 5 KB).
MAX_STATE_BYTES = 1024 * 1024
#: Largest certificate file a state may name.
MAX_CERTIFICATE_BYTES = 1024 * 1024

#: What is wrong with a state file or value (:attr:`StateError.code`).
StateReason = Literal[
    "cannot-read",
    "not-regular",
    "too-large",
    "utf16",
    "not-utf8",
    "bad-json",
    "duplicate-key",
    "too-deep",
    "number-too-long",
    "not-object",
    "unknown-field",
    "missing-field",
    "not-bool",
    "not-string",
    "not-list",
    "not-int-range",
    "not-null-or-int-range",
    "bad-latency",
    "not-digits",
    "not-date",
    "empty",
    "bad-atr",
    "bad-atr-ts",
    "not-one-of",
    "bad-sex",
    "unknown-application",
    "listed-twice",
    "unknown-key",
    "bad-status-word",
    "bad-pin-value",
    "unknown-certificate",
    "not-certificate-der",
    "bad-certificate-type",
    "not-certificate-text",
    "cannot-read-certificate",
    "certificate-not-regular",
    "certificate-too-large",
    "not-certificate-file",
    "bad-format",
    "bad-version",
    "not-after",
    "other",
]

#: English text of each reason, formatted with the error's parameters (lists joined).
STATE_REASONS: dict[StateReason, str] = {
    "cannot-read": "cannot read: {strerror}",
    "not-regular": "not a regular file ({kind})",
    "too-large": "{size} bytes, more than the {limit} a state file may have",
    "utf16": "UTF-16 text: save it as UTF-8",
    "not-utf8": "not UTF-8 text (line {line})",
    "bad-json": "line {line}, column {column}: invalid JSON: {detail}",
    "duplicate-key": "key {key!r} given twice",
    "too-deep": "nested too deeply",
    "number-too-long": "a number with too many digits",
    "not-object": "must be an object, not {got}",
    "unknown-field": "unknown field (known: {known})",
    "missing-field": "missing: a state file with 'format' holds every field "
    "(leave 'format' out to give only the fields that change)",
    "not-bool": "must be true or false, not {got}",
    "not-string": "must be a string, not {got}",
    "not-list": "must be a list, not {got}",
    "not-int-range": "must be an integer {low}..{high}",
    "not-null-or-int-range": "must be null or an integer {low}..{high}",
    "bad-latency": "must be a number of milliseconds {low}..{high}",
    "not-digits": "must be {n} digits",
    "not-date": "must be a date YYYY-MM-DD, not {value!r}",
    "empty": "must not be empty",
    "bad-atr": "must be 2 to 33 bytes in hex",
    "bad-atr-ts": "must start with 3B or 3F (TS)",
    "not-one-of": "must be one of {choices}",
    "bad-sex": "must be '1' (male), '2' (female) or '9' (JIS X 0303)",
    "unknown-application": "unknown application {value!r} (known: {known})",
    "listed-twice": "{value!r} listed twice",
    "unknown-key": "unknown key (known: {known})",
    "bad-status-word": "must be a status word of 4 hex digits, e.g. '6A88'",
    "bad-pin-value": "does not fit the {rule} format of this key "
    "({low}-{high} characters matching {pattern})",
    "unknown-certificate": "unknown certificate (known: {known})",
    "not-certificate-der": "not a DER X.509 certificate",
    "bad-certificate-type": "must be a file path or base64 DER (a string), not {got}",
    "not-certificate-text": "neither base64 DER of a certificate nor a certificate file",
    "cannot-read-certificate": "cannot read {file!r}: {strerror}",
    "certificate-not-regular": "cannot read {file!r}: not a regular file ({kind})",
    "certificate-too-large": "cannot read {file!r}: {size} bytes, more than the {limit} "
    "a certificate file may have",
    "not-certificate-file": "{file!r} is not a certificate (PEM or DER)",
    "bad-format": "must be {expected!r}",
    "bad-version": "unsupported version (this jpkitool reads {supported})",
    "not-after": "must be after {other}",
    "other": "{reason}",
}


class StateError(ValueError):
    """A state file or value is invalid; ``field`` is the dotted path of the culprit
    (empty for the file as a whole), ``path`` the file when there is one.

    ``code`` (:data:`StateReason`) and ``params`` say what is wrong, for messages in
    any language; ``reason`` says it in English. A ``code`` that is not one of
    :data:`StateReason` is taken as an English reason (code ``other``).
    """

    def __init__(
        self,
        field: str,
        code: str,
        *,
        path: str | os.PathLike[str] | None = None,
        **params: Any,
    ) -> None:
        if code not in STATE_REASONS:
            code, params = "other", {"reason": code}
        self.field = field
        self.code: StateReason = code  # type: ignore[assignment]
        self.params = params
        self.reason = english(STATE_REASONS[self.code], params)
        self.path = str(path) if path is not None else None
        parts = [p for p in (self.path, field) if p]
        super().__init__(": ".join([*parts, self.reason]))


# -- reading one value ------------------------------------------------------------


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _object(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise StateError(where, "not-object", got=_type_name(value))
    return value


def _no_unknown(doc: Mapping[str, Any], known: tuple[str, ...], where: str) -> None:
    for name in doc:
        if name not in known:
            raise StateError(_join(where, str(name)), "unknown-field", known=known)


def _join(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise StateError(where, "not-bool", got=_type_name(value))
    return value


def _str(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise StateError(where, "not-string", got=_type_name(value))
    return value


def _int(value: Any, where: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise StateError(where, "not-int-range", low=low, high=high)
    return value


def _digits(n: int) -> Callable[[Any, str], str]:
    def read(value: Any, where: str) -> str:
        text = _str(value, where)
        if not re.fullmatch(rf"[0-9]{{{n}}}", text):
            raise StateError(where, "not-digits", n=n)
        return text

    return read


def _date(value: Any, where: str) -> dt.date:
    text = _str(value, where)
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
            raise ValueError
        return dt.date.fromisoformat(text)
    except ValueError:
        raise StateError(where, "not-date", value=text) from None


def _nonempty(value: Any, where: str) -> str:
    text = _str(value, where)
    if not text.strip():
        raise StateError(where, "empty")
    return text


def _atr(value: Any, where: str) -> str:
    text = re.sub(r"[\s:]", "", _str(value, where)).upper()
    if not re.fullmatch(r"(?:[0-9A-F]{2}){2,33}", text):
        raise StateError(where, "bad-atr")
    if text[:2] not in ("3B", "3F"):
        raise StateError(where, "bad-atr-ts")
    return text


def _token(value: Any, where: str) -> Token:
    token = _str(value, where)
    if token not in TOKENS:
        raise StateError(where, "not-one-of", choices=tuple(str(t.value) for t in TOKENS))
    return Token(token)


def _sex(value: Any, where: str) -> str:
    sex = _str(value, where)
    if sex not in ("1", "2", "9"):
        raise StateError(where, "bad-sex")
    return sex


def _latency(value: Any, where: str) -> float:
    if not finite_number(value) or not 0 <= value <= 60_000:
        raise StateError(where, "bad-latency", low=0, high=60_000)
    return float(value)


def _cert_filler(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_CERT_FILLER:
        raise StateError(where, "not-null-or-int-range", low=0, high=MAX_CERT_FILLER)
    return value


def _applications(value: Any, where: str) -> list[str]:
    if not isinstance(value, list):
        raise StateError(where, "not-list", got=_type_name(value))
    out: list[str] = []
    for i, item in enumerate(value):
        at = f"{where}[{i}]"
        app = _str(item, at)
        if app not in profile.APPLICATIONS_BY_ID:
            known = tuple(profile.APPLICATIONS_BY_ID)
            raise StateError(at, "unknown-application", value=app, known=known)
        if app in out:
            raise StateError(at, "listed-twice", value=app)
        out.append(app)
    return out


def _answer_override(value: Any, where: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for key_id, sw in _object(value, where).items():
        at = f"{where}.{key_id}"
        if key_id not in profile.KEYS_BY_ID:
            raise StateError(at, "unknown-key", known=tuple(profile.KEYS_BY_ID))
        text = _str(sw, at).replace(" ", "").upper()
        if not re.fullmatch(r"[0-9A-F]{4}", text):
            raise StateError(at, "bad-status-word")
        out[key_id] = text
    return out


def _slot(key: profile.Key, value: Any, where: str) -> KeySlot:
    doc = _object(value, where)
    _no_unknown(doc, _names(KeySlot), where)
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
                "bad-pin-value",
                rule=fmt.id,
                low=fmt.min_len,
                high=fmt.max_len,
                pattern=fmt.pattern,
            )
        pin = fmt.normalise(text)
    return KeySlot(pin, left, top)


def _pins(value: Any, where: str) -> dict[str, KeySlot]:
    pins = default_pins()
    for key_id, entry in _object(value, where).items():
        key = profile.KEYS_BY_ID.get(key_id)
        if key is None:
            known = tuple(profile.KEYS_BY_ID)
            raise StateError(f"{where}.{key_id}", "unknown-key", known=known)
        pins[key_id] = _slot(key, entry, f"{where}.{key_id}")
    return pins


def _der_certificate(der: bytes) -> bytes | None:
    """``der`` if it is exactly one DER X.509 certificate, else None."""
    try:
        x509.load_der_x509_certificate(der)
    except (ValueError, x509.InvalidVersion):  # InvalidVersion is not a ValueError
        return None
    return der


def _file_certificate(raw: bytes) -> bytes | None:
    """The DER of the certificate in a PEM or DER file's bytes, or None."""
    if b"-----BEGIN" not in raw:
        return _der_certificate(raw)
    try:
        return x509.load_pem_x509_certificate(raw).public_bytes(Encoding.DER)
    except (ValueError, x509.InvalidVersion):
        return None


_BASE64 = re.compile(r"[A-Za-z0-9+/=\s]+")


def _certificate(value: Any, where: str, base: Path | None) -> bytes:
    """A given certificate: DER bytes, a PEM/DER file path, or base64 DER text."""
    if isinstance(value, bytes | bytearray):
        der = _der_certificate(bytes(value))
        if der is None:
            raise StateError(where, "not-certificate-der")
        return der
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str):
        raise StateError(where, "bad-certificate-type", got=_type_name(value))
    if not value.strip():
        raise StateError(where, "empty")
    looks_base64 = _BASE64.fullmatch(value) is not None and len(value) >= 64
    if looks_base64:
        try:
            der = _der_certificate(base64.b64decode(re.sub(r"\s", "", value), validate=True))
        except binascii.Error:
            der = None
        if der is not None:
            return der
    path = Path(value)
    with contextlib.suppress(RuntimeError):  # ~user of no known user: the name as it is
        path = path.expanduser()
    if base is not None and not path.is_absolute():
        path = base / path
    if looks_base64 and not os.path.exists(path):  # (Path.exists raises on long names)
        raise StateError(where, "not-certificate-text")
    try:
        raw = jsonfile.read_regular(path, MAX_CERTIFICATE_BYTES)
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the name
        errno = getattr(exc, "errno", None)
        strerror = getattr(exc, "strerror", None) or str(exc)
        raise StateError(
            where, "cannot-read-certificate", file=str(path), errno=errno, strerror=strerror
        ) from None
    except jsonfile.FileProblem as exc:
        code = "certificate-not-regular" if exc.code == "not-regular" else "certificate-too-large"
        raise StateError(where, code, file=str(path), **exc.params) from None
    der = _file_certificate(raw)
    if der is None:
        raise StateError(where, "not-certificate-file", file=str(path))
    return der


def _certificates(value: Any, where: str, base: Path | None) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for name, given in _object(value, where).items():
        at = f"{where}.{name}"
        if name not in CERT_NAMES:
            raise StateError(at, "unknown-certificate", known=CERT_NAMES)
        out[name] = _certificate(given, at, base)
    return {name: out[name] for name in CERT_NAMES if name in out}


def _dump_certificates(given: dict[str, bytes]) -> dict[str, str]:
    return {
        name: base64.b64encode(given[name]).decode("ascii") for name in CERT_NAMES if name in given
    }


# -- the codecs: how each field is read and written -----------------------------

Reader = Callable[[Any, str, Path | None], Any]


def _same(value: Any) -> Any:
    return value


def _plain(read: Callable[[Any, str], Any]) -> Reader:
    """A reader that needs no base folder."""
    return lambda value, where, base: read(value, where)


@dataclass(frozen=True)
class Codec:
    """How one field is read (checked) from the file and written to it.

    ``read(value, where, base)``: ``where`` is the field's dotted path for errors,
    ``base`` the folder relative certificate paths start from. ``later``: a
    complete file may lack the field (added after version 1 files were written).
    """

    read: Reader
    write: Callable[[Any], Any] = _same
    later: bool = False


def _names(cls: type[Any]) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def to_document(obj: Any) -> dict[str, Any]:
    """The JSON-able dict of a state (with ``format`` and ``version``) or of a part of it."""
    codecs = CODECS.get(type(obj), {})
    doc: dict[str, Any] = {}
    if isinstance(obj, CardState):
        doc.update(format=STATE_FORMAT, version=STATE_VERSION)
    for name in _names(type(obj)):
        value = getattr(obj, name)
        doc[name] = codecs[name].write(value) if name in codecs else value
    return doc


def _read_fields(obj: Any, doc: Mapping[str, Any], where: str, base: Path | None) -> None:
    codecs = CODECS[type(obj)]
    for name in _names(type(obj)):
        if name in doc:
            setattr(obj, name, codecs[name].read(doc[name], _join(where, name), base))


def _read_record(cls: type[Any], value: Any, where: str, base: Path | None) -> Any:
    doc = _object(value, where)
    _no_unknown(doc, _names(cls), where)
    obj = cls()
    _read_fields(obj, doc, where, base)
    return obj


def _record(cls: type[Any]) -> Codec:
    """A nested object read field by field into ``cls()``'s defaults."""
    return Codec(lambda value, where, base: _read_record(cls, value, where, base), to_document)


_FLAG = Codec(_plain(_bool))
#: A flag a complete file written before it existed may lack.
_LATER_FLAG = Codec(_plain(_bool), later=True)
_TEXT = Codec(_plain(_nonempty))
_DATE = Codec(_plain(_date), dt.date.isoformat)

#: Per dataclass, per field: its codec. :class:`.state.KeySlot` has none: its fields
#: are written as they are and read by ``_slot`` (the key's format and maximum).
CODECS: dict[type[Any], dict[str, Codec]] = {
    CardState: {
        "atr": Codec(_plain(_atr)),
        "token": Codec(_plain(_token), lambda token: token.value),
        "applications": Codec(_plain(_applications), list),
        "sign_certificate": _FLAG,
        "face_auth": _FLAG,
        "serial": Codec(_plain(_digits(15))),
        "municipality": Codec(_plain(_digits(5))),
        "card_expiry": _DATE,
        "cert_issued": _DATE,
        "my_number": Codec(_plain(_digits(12))),
        "holder": _record(Holder),
        "pins": Codec(
            _plain(_pins), lambda pins: {key: to_document(slot) for key, slot in pins.items()}
        ),
        "quirks": _record(Quirks),
        "latency_ms": Codec(_plain(_latency)),
        "certificates": Codec(_certificates, _dump_certificates, later=True),
        "cert_filler": Codec(_plain(_cert_filler), later=True),
    },
    Holder: {
        "name": _TEXT,
        "name_kana": _TEXT,
        "birth_date": _DATE,
        "sex": Codec(_plain(_sex)),
        "address": _TEXT,
        "prefecture_en": _TEXT,
        "city_en": _TEXT,
    },
    Quirks: {
        "verified_query_9000": _FLAG,
        "blocked_query_6984": _FLAG,
        "no_extended": _FLAG,
        "no_sfi": _FLAG,
        "get_response": _FLAG,
        "answer_override": Codec(_plain(_answer_override), dict),
        "power_up_6f00": _LATER_FLAG,
        "sticky_verified": _LATER_FLAG,
        "change_not_kept": _LATER_FLAG,
        "short_query_9000": _LATER_FLAG,
    },
}

#: The records nested in a state, by field: a complete file may lack their ``later``
#: fields too.
RECORDS: dict[str, type[Any]] = {"holder": Holder, "quirks": Quirks}


def _later(cls: type[Any]) -> frozenset[str]:
    """The fields of ``cls`` a complete file may lack (:attr:`Codec.later`)."""
    return frozenset(name for name, c in CODECS.get(cls, {}).items() if c.later)


def _require_complete(
    doc: Mapping[str, Any], layout: Mapping[str, Any], where: str, optional: frozenset[str]
) -> None:
    """Every field of ``layout`` (the default state's document) but ``optional`` is in ``doc``."""
    for name, default in layout.items():
        path = _join(where, name)
        if name not in doc and name not in optional:
            raise StateError(path, "missing-field")
        if isinstance(default, dict) and default and isinstance(doc.get(name), dict):
            record = RECORDS.get(path)
            _require_complete(doc[name], default, path, _later(record) if record else frozenset())


def parse(value: Any, base: Path | None = None) -> CardState:
    """A state from a (possibly partial) document; :class:`StateError` on any bad field.

    ``base``: the folder relative certificate paths start from (else the current one).
    """
    doc = _object(value, "")
    _no_unknown(doc, (*HEADER, *_names(CardState)), "")
    if "format" in doc and doc["format"] != STATE_FORMAT:
        raise StateError("format", "bad-format", expected=STATE_FORMAT)
    if "version" in doc and doc["version"] != STATE_VERSION:
        raise StateError("version", "bad-version", supported=STATE_VERSION)
    if "format" in doc:
        _require_complete(doc, to_document(CardState()), "", _later(CardState))
    s = CardState()
    _read_fields(s, doc, "", base)
    if s.cert_issued <= s.holder.birth_date:
        raise StateError("cert_issued", "not-after", other="holder.birth_date")
    if s.card_expiry <= s.cert_issued:
        raise StateError("card_expiry", "not-after", other="cert_issued")
    return s


def dumps(state: CardState) -> str:
    """The text of the state file."""
    return json.dumps(to_document(state), ensure_ascii=False, indent=2) + "\n"


def loads(text: str, base: Path | None = None) -> CardState:
    """A state from a state file's text (``base`` as in :func:`parse`); a leading byte
    order mark is ignored, a key given twice in one object is refused."""
    try:
        doc = jsonfile.loads(text.removeprefix("\ufeff"))
    except jsonfile.FileProblem as exc:
        raise StateError(
            "", "bad-json" if exc.code == "syntax" else exc.code, **exc.params
        ) from None
    return parse(doc, base)


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
    return parse(doc)


def load_state(path: str | os.PathLike[str]) -> CardState:
    """Read a state file; :class:`StateError` names the file and the bad field. The
    file must be a regular one of at most :data:`MAX_STATE_BYTES` (checked before
    reading: a FIFO is not waited on)."""
    try:
        text = jsonfile.decode(jsonfile.read_regular(path, MAX_STATE_BYTES))
        return loads(text, Path(path).parent)
    except OSError as exc:
        strerror = exc.strerror or str(exc)
        raise StateError("", "cannot-read", path=path, errno=exc.errno, strerror=strerror) from None
    except jsonfile.FileProblem as exc:
        raise StateError("", exc.code, path=path, **exc.params) from None
    except StateError as exc:
        raise StateError(exc.field, exc.code, path=path, **exc.params) from None


def check_writable(path: str | os.PathLike[str]) -> None:
    """Refuse, before any work, a state file :func:`save_state` could not write
    (:class:`OutputError`): the rule of :func:`apdu.outfile.check` for state files, no
    streams and an existing regular file replaced (unless it is read-only, or its
    folder cannot take the new file renamed over it)."""
    check(path, streams=False, overwrite=True)


def save_state(state: CardState, path: str | os.PathLike[str]) -> None:
    """Write ``state`` as JSON whole or not at all, over a regular file or as a new one
    (:func:`apdu.outfile.check`: a device, a FIFO or a link to nothing is refused)."""
    write_whole(path, dumps(state).encode("utf-8"), streams=False, overwrite=True)
