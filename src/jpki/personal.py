"""Which bytes of the card's answers are personal data: the rule traces and recordings
follow (:class:`apdu.redact.ResponseRedactor`), from the table in :mod:`jpki.profile`.

What is personal:

- a file the table marks ``personal`` in full: the sign certificate (JPKI EF
  ``0001``), the 券面事項入力補助AP's EF ``0001`` (My Number) and ``0002`` (name,
  address, birth date, sex);
- every file of an application marked ``personal``: the 券面事項確認AP (card face,
  photo), whose files the table does not name;
- the bytes a file's ``personal_bytes`` name: the card serial number and the
  municipality code in the 共通カードAP record, whose expiry date stays readable;
- and, failing closed, whatever the commands do not show to be a file the table
  calls not personal: a file it does not know, an application not selected by a
  name it knows, an EF not known to be current.

On this card a short EF identifier equals the file's identifier (docs/card.md §4).
"""

from __future__ import annotations

from apdu.redact import FileRead, Span

from . import profile
from .profile import Application, DataFile


def _app(aid: bytes | None) -> Application | None:
    """The application selected by the DF name ``aid`` (in full or its first bytes)."""
    if not aid:
        return None
    apps = [a for a in profile.APPLICATIONS if a.aid == aid]
    if not apps:
        apps = [a for a in profile.APPLICATIONS if a.aid.startswith(aid)]
    return apps[0] if len(apps) == 1 else None


def data_file(read: FileRead) -> DataFile | None:
    """The table's file that ``read`` reads, if the commands show which one it is."""
    app = _app(read.aid)
    fid = read.fid if read.fid is not None else read.sfi
    if app is None or fid is None:
        return None
    for f in profile.DATA_FILES:
        if f.app is app and f.fid == fid and f.record == read.record:
            return f
    return None


def personal_spans(read: FileRead, data: bytes) -> tuple[Span, ...]:
    """The spans of ``data``, read as ``read`` says, that are personal."""
    whole = ((0, len(data)),) if data else ()
    app = _app(read.aid)
    if app is None or app.personal:
        return whole
    f = data_file(read)
    if f is None or f.personal:
        return whole
    layout = f.personal_bytes
    if layout is None:
        return ()
    first = read.number == 1 if f.record else True
    if read.offset != 0 or not first or not data.startswith(layout.prefix):
        return whole
    return layout.spans


def description() -> tuple[str, ...]:
    """What the rule hides, one line per file or application (a recording's header)."""
    lines: list[str] = []
    for f in profile.DATA_FILES:
        where = f"{f.app.name_ja} ({f.app.name_en}) EF {f.fid:04X}"
        if f.personal:
            lines.append(f"response data of {where} ({f.description})")
        elif f.personal_bytes is not None:
            b = f.personal_bytes
            ranges = ", ".join(f"{start + 1}-{end}" for start, end in b.spans)
            part = "record 1, bytes" if f.record else "bytes"
            lines.append(f"response data of {where}, {part} {ranges}: {b.what}")
    for app in profile.APPLICATIONS:
        if app.personal:
            lines.append(f"response data of every file of the {app.name_ja} ({app.name_en})")
    lines.append(
        "response data of any file jpkitool does not know, or read where the selected "
        "application or file is not known"
    )
    return tuple(lines)


class CardPersonalData:
    """The My Number card's rule, as :class:`apdu.redact.PersonalRule`."""

    description = description()
    spans = staticmethod(personal_spans)


#: The rule sessions hide personal data by.
RULE = CardPersonalData()
