"""The virtual card's state file: JSON of a :class:`.state.CardState`, read and written
from one table, :data:`FIELDS` (dotted path -> :class:`Codec`), in the file's order.

A file with ``format`` (what :func:`save_state` and ``jpkitool emulator init-state``
write) holds every field; one without gives only the fields that change. A file is
regular, at most :data:`MAX_STATE_BYTES`, UTF-8 (a byte order mark is ignored), with
no key twice in one object; each refusal is a :class:`StateError`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
from base64 import b64encode
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from apdu import jsonfile
from apdu.jsonfields import choice, in_range, like, typed
from apdu.jsonfile import FileFault
from apdu.outfile import write_whole

from .. import profile
from ..errors import JpkiError
from . import state as cs
from .givencert import given_certificate

STATE_FORMAT = "jpkitool-virtual-card"
STATE_VERSION = 1
#: The fields before the state's own, and their values.
HEADER = {"format": STATE_FORMAT, "version": STATE_VERSION}
#: Largest state file read (a complete one is 2 KB; four given certificates add some 5 KB).
MAX_STATE_BYTES = 1024 * 1024


class StateError(FileFault, JpkiError, ValueError):
    """A state file or value is invalid (an :class:`apdu.jsonfile.FileFault`, and a
    :class:`jpki.JpkiError` as everything the library raises)."""


class Codec(NamedTuple):
    """How a field is read: ``read(value, where)`` checks the file's value (``where``: its
    path, for errors) and gives the state's; ``write`` the reverse. ``deep``: ``read`` also
    takes the folder certificate paths are relative to and whether the file is complete."""

    read: Callable[..., Any]
    write: Callable[[Any], Any] = lambda value: value
    deep: bool = False


def fields(value: Any, where: str, known: Iterable[str], complete: bool = False) -> dict[str, Any]:
    """``value``: an object of ``known`` keys only (every one of them if ``complete``)."""
    doc: dict[str, Any] = typed(value, where, dict)
    known = tuple(known)
    for name in [*(n for n in doc if n not in known), *(n for n in known if complete)]:
        if name not in known or name not in doc:
            raise FileFault(f"{where}.{name}".lstrip("."), "unknown" if name in doc else "missing")
    return doc


def text(value: Any, where: str) -> str:
    """A string that is not blank."""
    if not typed(value, where, str).strip():
        raise FileFault(where, "empty")
    return str(value)


def _applications(value: Any, where: str) -> list[str]:
    out: list[str] = []
    for i, app in enumerate(typed(value, where, list)):
        if _APPLICATION(app, f"{where}[{i}]") in out:
            raise FileFault(f"{where}[{i}]", "twice")
        out.append(app)
    return out


def _answers(value: Any, where: str) -> dict[str, str]:
    doc = fields(value, where, profile.SLOTS_BY_ID)
    return {key: _STATUS(sw, f"{where}.{key}") for key, sw in doc.items()}


def _pins(value: Any, where: str, base: Path | None, complete: bool) -> dict[str, cs.SlotState]:
    pins = cs.default_pins()
    for key_id, entry in fields(value, where, profile.SLOTS_BY_ID, complete).items():
        at, fmt, slot = f"{where}.{key_id}", profile.SLOTS_BY_ID[key_id].format, pins[key_id]
        doc = fields(entry, at, ("value", "remaining", "max"), complete)
        top = in_range(1, cs.COUNTER_LIMIT)(doc["max"], f"{at}.max") if "max" in doc else slot.max
        left = in_range(0, top)(doc["remaining"], f"{at}.remaining") if "remaining" in doc else None
        if "value" in doc and not fmt.valid(typed(doc["value"], f"{at}.value", str)):
            raise FileFault(f"{at}.value", "pin", rule=fmt.id)
        pin = fmt.normalise(doc["value"]) if "value" in doc else slot.value
        pins[key_id] = cs.SlotState(pin, min(slot.remaining, top) if left is None else left, top)
    return pins


def _certificates(value: Any, where: str, base: Path | None, _: bool) -> dict[str, bytes]:
    doc = fields(value, where, cs.CERT_NAMES)
    return {n: given_certificate(doc[n], f"{where}.{n}", base) for n in cs.CERT_NAMES if n in doc}


_APPLICATION, _TOKEN = choice(profile.APPLICATIONS_BY_ID), choice(t.value for t in cs.TOKENS)
_STATUS = like(r"(?:[0-9A-F]{2}){2}", "6A88", hex_=True)
_FILLER = in_range(0, cs.MAX_CERT_FILLER)
_FLAG = Codec(lambda value, where: typed(value, where, bool))
_DATE = Codec(like(r"\d{4}-\d\d-\d\d", "2034-04-10", dt.date.fromisoformat), dt.date.isoformat)
_DIGITS = {n: Codec(like(rf"[0-9]{{{n}}}", example)) for n, example in
           ((15, "123456789012345"), (5, "13101"), (12, "123456789011"))}  # fmt: skip

#: Every field of the file, in its order: dotted path -> how it is read and written.
FIELDS: dict[str, Codec] = {
    "format": Codec(choice([STATE_FORMAT])),
    "version": Codec(choice([STATE_VERSION])),
    "atr": Codec(like(r"3[BF](?:[0-9A-F]{2}){1,32}", cs.DEFAULT_ATR, hex_=True)),
    "token": Codec(lambda v, at: profile.Token(_TOKEN(v, at)), lambda token: token.value),
    "applications": Codec(_applications, list),
    "sign_certificate": _FLAG,
    "face_auth": _FLAG,
    "serial": _DIGITS[15],
    "municipality": _DIGITS[5],
    "card_expiry": _DATE,
    "cert_issued": _DATE,
    "my_number": _DIGITS[12],
    **{f"holder.{f.name}": Codec(text) for f in dataclasses.fields(cs.Holder)},
    "holder.birth_date": _DATE,
    "holder.sex": Codec(choice("129")),
    "pins": Codec(_pins, lambda pins: {k: dataclasses.asdict(s) for k, s in pins.items()}, True),
    **{f"quirks.{f.name}": _FLAG for f in dataclasses.fields(cs.Quirks)},
    "quirks.answer_override": Codec(_answers, dict),
    "latency_ms": Codec(in_range(0, 60_000, whole=False)),
    "certificates": Codec(_certificates, lambda given: {n: b64encode(der).decode()
                                                       for n, der in given.items()}, True),
    "cert_filler": Codec(lambda value, where: value if value is None else _FILLER(value, where)),
}  # fmt: skip


def _names(prefix: str) -> list[str]:
    start = f"{prefix}." if prefix else ""
    return list(dict.fromkeys(p[len(start) :].split(".")[0] for p in FIELDS if p.startswith(start)))


def _read(doc: Any, prefix: str, state: cs.CardState, base: Path | None, complete: bool) -> None:
    doc = fields(doc, prefix, _names(prefix))
    for name in _names(prefix):
        path, value = f"{prefix}.{name}".lstrip("."), doc.get(name)
        codec = FIELDS.get(path)
        if name not in doc:
            if complete:
                raise FileFault(path, "missing")
        elif codec is None:
            _read(value, path, state, base, complete)
        else:
            value = codec.read(value, path, *((base, complete) if codec.deep else ()))
            if path not in HEADER:
                setattr(getattr(state, prefix) if prefix else state, name, value)


def parse(value: Any, base: Path | None = None) -> cs.CardState:
    """A state from a (possibly partial) document; :class:`StateError` on any bad field.
    ``base``: the folder relative certificate paths start from (else the current one)."""
    state = cs.CardState()
    try:
        _read(value, "", state, base, isinstance(value, dict) and "format" in value)
        if state.cert_issued <= state.holder.birth_date:
            raise FileFault("cert_issued", "after", other="holder.birth_date")
        if state.card_expiry <= state.cert_issued:
            raise FileFault("card_expiry", "after", other="cert_issued")
    except FileFault as exc:
        raise exc.at(StateError, None) from None
    return state


def to_document(state: cs.CardState) -> dict[str, Any]:
    """The JSON-able dict of a state, with ``format`` and ``version``."""
    doc: dict[str, Any] = {}
    for path, codec in FIELDS.items():
        *parts, name = path.split(".")
        inner, value = doc, state
        for part in parts:
            inner, value = inner.setdefault(part, {}), getattr(value, part)
        inner[name] = HEADER[name] if path in HEADER else codec.write(getattr(value, name))
    return doc


def dumps(state: cs.CardState) -> str:
    """The text of the state file."""
    return json.dumps(to_document(state), ensure_ascii=False, indent=2) + "\n"


def loads(text: str, base: Path | None = None) -> cs.CardState:
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
    **changes: Any,
) -> cs.CardState:
    """A default card with some changes, checked like a state file: ``remaining`` (key ->
    tries left), ``answer`` (key -> ``quirks.answer_override``), ``quirks``, top fields."""
    doc: dict[str, Any] = dict(changes)
    if remaining:
        doc["pins"] = {key: {"remaining": left} for key, left in remaining.items()}
    quirk_doc = dict(quirks or {}) | ({"answer_override": dict(answer)} if answer else {})
    return parse(doc | ({"quirks": quirk_doc} if quirk_doc else {}))


def load_state(path: str | os.PathLike[str]) -> cs.CardState:
    """Read a state file (a FIFO is not waited on, a file too large not read)."""
    try:
        text = jsonfile.decode(jsonfile.read_regular(path, MAX_STATE_BYTES))
        return loads(text, Path(path).parent)
    except FileFault as exc:
        raise exc.at(StateError, path) from None


def save_state(state: cs.CardState, path: str | os.PathLike[str]) -> None:
    """Write ``state`` as JSON whole or not at all, over a regular file or as a new one."""
    write_whole(path, dumps(state).encode("utf-8"), streams=False, overwrite=True)
