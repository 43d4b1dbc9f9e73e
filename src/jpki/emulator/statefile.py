"""The virtual card's state file: JSON of a :class:`.state.CardState`, read and written
from one table, :data:`FIELDS` (dotted path -> :class:`Kind`), in the file's order.

A complete state, marked by its ``format`` field (what :func:`save_state` and
``jpkitool emulator init-state`` write), holds every field; a file without ``format``
gives only the fields that change. ``certificates``: EF name -> a certificate served
instead of the generated one (:func:`.givencert.given_certificate`; saved as base64
DER). The file must be a regular one of at most :data:`MAX_STATE_BYTES`, UTF-8 (a
leading byte order mark is ignored), with no key twice in one object. Every refusal
is a :class:`StateError`: file, line, field and one of :data:`apdu.jsonfile.PROBLEMS`.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apdu import jsonfile
from apdu.jsonfile import FileFault, type_fault
from apdu.outfile import check, write_whole
from apdu.transport import finite_number

from .. import profile
from ..profile import Token
from .givencert import given_certificate
from .state import (
    CERT_NAMES,
    COUNTER_LIMIT,
    DEFAULT_ATR,
    MAX_CERT_FILLER,
    TOKENS,
    CardState,
    Holder,
    KeySlot,
    Quirks,
    default_pins,
)

STATE_FORMAT = "jpkitool-virtual-card"
STATE_VERSION = 1
#: The fields before the state's own, and their values.
HEADER = {"format": STATE_FORMAT, "version": STATE_VERSION}
#: Largest state file read (a complete one is 2 KB; four given certificates add some 5 KB).
MAX_STATE_BYTES = 1024 * 1024
#: The records nested in a state, by field.
RECORDS: dict[str, type[Any]] = {"holder": Holder, "quirks": Quirks}


class StateError(FileFault, ValueError):
    """A state file or value is invalid (an :class:`apdu.jsonfile.FileFault`)."""


Read = Callable[[Any, str], Any]


@dataclass(frozen=True)
class Kind:
    """One field: ``read(value, where)`` checks the file's value (``where``: its path,
    for errors) and gives the state's; ``write`` the reverse. ``deep``: ``read`` takes
    too the folder certificates are relative to and whether the file is complete."""

    read: Callable[..., Any]
    write: Callable[[Any], Any] = lambda value: value
    deep: bool = False


def _typed(value: Any, where: str, wanted: type) -> Any:
    if not isinstance(value, wanted):
        raise type_fault(where, wanted)
    return value


def _object(value: Any, where: str, known: Iterable[str], complete: bool) -> dict[str, Any]:
    """``value``: an object of ``known`` keys only (every one of them if ``complete``)."""
    doc: dict[str, Any] = _typed(value, where, dict)
    known = tuple(known)
    for name in [*(n for n in doc if n not in known), *(n for n in known if complete)]:
        if name not in known or name not in doc:
            code = "unknown" if name in doc else "missing"
            raise FileFault(f"{where}.{name}" if where else name, code)
    return doc


def whole(low: int, high: int) -> Read:
    def read(value: Any, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise FileFault(where, "whole", low=low, high=high)
        return value

    return read


def _number(low: int, high: int) -> Read:
    def read(value: Any, where: str) -> float:
        if not finite_number(value) or not low <= value <= high:
            raise FileFault(where, "number", low=low, high=high)
        return float(value)

    return read


def _like(pattern: str, example: str, hex_: bool = False, date: bool = False) -> Kind:
    """A string matching ``pattern`` (hex: spaces and colons dropped, upper case)."""

    def read(value: Any, where: str) -> Any:
        text = _typed(value, where, str)
        text = re.sub(r"[\s:]", "", text).upper() if hex_ else text
        try:
            if re.fullmatch(pattern, text):
                return dt.date.fromisoformat(text) if date else text
        except ValueError:  # a date that is not one (1985-13-01)
            pass
        raise FileFault(where, "like", example=example)

    return Kind(read, dt.date.isoformat if date else str)


def _choice(values: tuple[Any, ...], convert: Callable[[Any], Any] = lambda v: v) -> Kind:
    def read(value: Any, where: str) -> Any:
        if isinstance(value, bool) or value not in values:
            raise FileFault(where, "choice", choices=values)
        return convert(value)

    return Kind(read, lambda value: getattr(value, "value", value))


def _text(value: Any, where: str) -> str:
    if not _typed(value, where, str).strip():
        raise FileFault(where, "empty")
    return str(value)


def _applications(value: Any, where: str) -> list[str]:
    out: list[str] = []
    for i, item in enumerate(_typed(value, where, list)):
        if _APPLICATION.read(item, f"{where}[{i}]") in out:
            raise FileFault(f"{where}[{i}]", "twice")
        out.append(item)
    return out


def _answers(value: Any, where: str) -> dict[str, str]:
    doc = _object(value, where, profile.KEYS_BY_ID, False)
    return {key: _STATUS.read(sw, f"{where}.{key}") for key, sw in doc.items()}


def _pins(value: Any, where: str, base: Path | None, complete: bool) -> dict[str, KeySlot]:
    pins = default_pins()
    for key_id, entry in _object(value, where, profile.KEYS_BY_ID, complete).items():
        at, fmt, slot = f"{where}.{key_id}", profile.KEYS_BY_ID[key_id].format, pins[key_id]
        doc = _object(entry, at, ("value", "remaining", "max"), complete)
        top = whole(1, COUNTER_LIMIT)(doc["max"], f"{at}.max") if "max" in doc else slot.max
        left = whole(0, top)(doc["remaining"], f"{at}.remaining") if "remaining" in doc else None
        if "value" in doc and not fmt.valid(_typed(doc["value"], f"{at}.value", str)):
            raise FileFault(f"{at}.value", "pin", rule=fmt.id)
        pin = fmt.normalise(doc["value"]) if "value" in doc else slot.value
        pins[key_id] = KeySlot(pin, min(slot.remaining, top) if left is None else left, top)
    return pins


def _certificates(value: Any, where: str, base: Path | None, complete: bool) -> dict[str, bytes]:
    doc = _object(value, where, CERT_NAMES, False)
    return {n: given_certificate(doc[n], f"{where}.{n}", base) for n in CERT_NAMES if n in doc}


_FLAG = Kind(lambda value, where: _typed(value, where, bool))
_TEXT = Kind(_text)
_DATE = _like(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", "2034-04-10", date=True)
_STATUS = _like(r"(?:[0-9A-F]{2}){2}", "6A88", hex_=True)
_APPLICATION = _choice(tuple(profile.APPLICATIONS_BY_ID))

#: Every field of the file, in its order: dotted path -> kind.
FIELDS: dict[str, Kind] = {
    "format": _choice((STATE_FORMAT,)),
    "version": _choice((STATE_VERSION,)),
    "atr": _like(r"3[BF](?:[0-9A-F]{2}){1,32}", DEFAULT_ATR, hex_=True),
    "token": _choice(tuple(t.value for t in TOKENS), Token),
    "applications": Kind(_applications, list),
    "sign_certificate": _FLAG,
    "face_auth": _FLAG,
    "serial": _like(r"[0-9]{15}", "123456789012345"),
    "municipality": _like(r"[0-9]{5}", "13101"),
    "card_expiry": _DATE,
    "cert_issued": _DATE,
    "my_number": _like(r"[0-9]{12}", "123456789011"),
    **{f"holder.{f.name}": _TEXT for f in dataclasses.fields(Holder)},
    "holder.birth_date": _DATE,
    "holder.sex": _choice(("1", "2", "9")),
    "pins": Kind(_pins, lambda pins: {k: dataclasses.asdict(s) for k, s in pins.items()}, True),
    **{f"quirks.{f.name}": _FLAG for f in dataclasses.fields(Quirks)},
    "quirks.answer_override": Kind(_answers, dict),
    "latency_ms": Kind(_number(0, 60_000)),
    "certificates": Kind(
        _certificates,
        lambda given: {n: base64.b64encode(d).decode() for n, d in given.items()},
        True,
    ),
    "cert_filler": Kind(lambda v, at: None if v is None else whole(0, MAX_CERT_FILLER)(v, at)),
}


def _names(prefix: str) -> list[str]:
    """The fields (and records) of the file at ``prefix`` ("" or a record's name)."""
    start = f"{prefix}." if prefix else ""
    return list(dict.fromkeys(p[len(start) :].split(".")[0] for p in FIELDS if p.startswith(start)))


def _read(doc: Any, prefix: str, state: CardState, base: Path | None, complete: bool) -> None:
    doc = _object(doc, prefix, _names(prefix), False)
    for name in _names(prefix):
        path, value = f"{prefix}.{name}".lstrip("."), doc.get(name)
        kind = FIELDS.get(path)
        if name not in doc:
            if complete:
                raise FileFault(path, "missing")
        elif kind is None:
            _read(value, path, state, base, complete)
        elif path not in HEADER:
            value = kind.read(value, path, base, complete) if kind.deep else kind.read(value, path)
            setattr(getattr(state, prefix) if prefix else state, name, value)
        else:
            kind.read(value, path)


def parse(value: Any, base: Path | None = None) -> CardState:
    """A state from a (possibly partial) document; :class:`StateError` on any bad field.
    ``base``: the folder relative certificate paths start from (else the current one)."""
    state = CardState()
    try:
        _read(value, "", state, base, isinstance(value, dict) and "format" in value)
        if state.cert_issued <= state.holder.birth_date:
            raise FileFault("cert_issued", "after", other="holder.birth_date")
        if state.card_expiry <= state.cert_issued:
            raise FileFault("card_expiry", "after", other="cert_issued")
    except FileFault as exc:
        raise exc.at(StateError, None) from None
    return state


def to_document(obj: Any) -> dict[str, Any]:
    """The JSON-able dict of a state (with ``format`` and ``version``) or of a part of it."""
    if isinstance(obj, KeySlot):
        return dataclasses.asdict(obj)
    for part, cls in RECORDS.items():
        if isinstance(obj, cls):
            return dict(to_document(dataclasses.replace(CardState(), **{part: obj}))[part])
    doc: dict[str, Any] = {}
    for path, kind in FIELDS.items():
        *parts, name = path.split(".")
        inner, value = doc, obj
        for part in parts:
            inner, value = inner.setdefault(part, {}), getattr(value, part)
        inner[name] = HEADER[name] if path in HEADER else kind.write(getattr(value, name))
    return doc


def dumps(state: CardState) -> str:
    """The text of the state file."""
    return json.dumps(to_document(state), ensure_ascii=False, indent=2) + "\n"


def loads(text: str, base: Path | None = None) -> CardState:
    """A state from a state file's text (``base`` as in :func:`parse`)."""
    try:
        doc = jsonfile.loads(text.removeprefix("\ufeff"))
    except FileFault as exc:
        raise exc.at(StateError, None) from None
    return parse(doc, base)


def build_state(
    *,
    remaining: Mapping[str, int] | None = None,
    answer: Mapping[str, str] | None = None,
    quirks: Mapping[str, bool] | None = None,
    **fields: Any,
) -> CardState:
    """A default card with some changes, checked like a state file: ``remaining``: key
    id -> tries left; ``answer``: key id -> status word of the query
    (``quirks.answer_override``); ``quirks``: quirk flags; any other keyword is a
    top-level field (``token="android"``, ``certificates={"auth": der_bytes}``, ...)."""
    doc: dict[str, Any] = dict(fields)
    if remaining:
        doc["pins"] = {key: {"remaining": left} for key, left in remaining.items()}
    quirk_doc = dict(quirks or {}) | ({"answer_override": dict(answer)} if answer else {})
    return parse(doc | ({"quirks": quirk_doc} if quirk_doc else {}))


def load_state(path: str | os.PathLike[str]) -> CardState:
    """Read a state file; :class:`StateError` names the file, the line or field and the
    problem. A FIFO is not waited on, a file over :data:`MAX_STATE_BYTES` not read."""
    try:
        text = jsonfile.decode(jsonfile.read_regular(path, MAX_STATE_BYTES))
        return loads(text, Path(path).parent)
    except FileFault as exc:
        raise exc.at(StateError, path) from None


def check_writable(path: str | os.PathLike[str]) -> None:
    """Refuse, before any work, a state file :func:`save_state` could not write
    (:func:`apdu.outfile.check`: no streams, an existing regular file replaced)."""
    check(path, streams=False, overwrite=True)


def save_state(state: CardState, path: str | os.PathLike[str]) -> None:
    """Write ``state`` as JSON whole or not at all, over a regular file or as a new one."""
    write_whole(path, dumps(state).encode("utf-8"), streams=False, overwrite=True)
