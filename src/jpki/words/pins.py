"""What both clients say of a PIN command: the counts, the result of
:func:`jpki.pinops.run_plan` (:mod:`jpki.pinresult`), how the card was left, and the
PIN errors whose sentence names no command-line option.

``verify-pin``, ``change-pin`` (:mod:`jpki.cli.commands.pins`) and the page's PIN forms
(:mod:`jpki.ui.pins`) print these same sentences; ``lang`` None is the CLI's current
language.
"""

from __future__ import annotations

from collections.abc import Iterable

from apdu import SW

from .. import errors as je
from .. import profile
from ..card import CardLeft
from ..i18n import has, t
from ..keystatus import KeyStatus
from ..pinresult import KeyResult, Outcome, PinCommandResult
from .failures import access_text


def pin_name(pin_id: str, lang: str | None = None) -> str:
    """A PIN's short name (the id itself when unknown)."""
    key = f"pin.{pin_id}.short"
    return t(key, lang) if has(key) else pin_id


def key_name(pin_id: str, key_id: str, lang: str | None = None) -> str:
    """A PIN's short name, with the application when it is one of ③'s two keys."""
    name = pin_name(pin_id, lang)
    pin = profile.PINS_BY_ID.get(pin_id)
    if pin is not None and len(pin.slots) > 1 and key_id in profile.SLOTS_BY_ID:
        name += f" ({profile.SLOTS_BY_ID[key_id].app.name_ja})"
    return name


def key_count_text(status: KeyStatus, after: bool = False, lang: str | None = None) -> str:
    """``3/3``; otherwise what the card answered. ``after``: read right after this
    command's correct VERIFY, where ``9000`` means verified (docs/card.md §5)."""
    if status.remaining is None:
        if after and status.sw == SW.OK:
            return t("pins.count_verified", lang)
        return t("pins.count_unknown", lang, sw=f"{status.sw:04X}")
    top = status.key.max_tries if status.key.max_tries is not None else "?"
    return f"{status.remaining}/{top}"


def keys_count_text(
    statuses: tuple[KeyStatus, ...], after: bool = False, lang: str | None = None
) -> str:
    if len(statuses) == 1:
        return key_count_text(statuses[0], after, lang)
    sep = t("guidance.list_separator", lang)
    return sep.join(f"{s.key.app.name_ja} {key_count_text(s, after, lang)}" for s in statuses)


def _apps(keys: Iterable[KeyResult], lang: str | None) -> str:
    return t("guidance.list_separator", lang).join(k.key.app.name_ja for k in keys)


def result_lines(result: PinCommandResult, lang: str | None = None) -> list[str]:
    """One line per PIN: done, partly done (③), or not done; for ③ changed on one key,
    the command that finishes it."""
    op = result.operation
    lines = []
    for p in result.pins:
        name = pin_name(p.pin.id, lang)
        if len(p.keys) < len(p.pin.slots):  # --key: say which of ③'s keys
            name += f" ({_apps(p.keys, lang)})"
        interrupted = [k for k in p.keys if k.outcome is Outcome.INTERRUPTED]
        if p.done:
            after = tuple(k.after for k in p.keys if k.after is not None)
            if len(after) < len(p.keys):  # the count after could not be read
                lines.append(t(f"pins.{op}.done_uncounted", lang, pin=name))
            else:
                count = keys_count_text(after, after=True, lang=lang)
                lines.append(t(f"pins.{op}.done", lang, pin=name, count=count))
        elif interrupted:
            if any(k.done for k in p.keys):
                done = _apps((k for k in p.keys if k.done), lang)
                lines.append(t(f"pins.{op}.done_keys", lang, pin=name, done=done))
            stage = "change" if interrupted[0].interrupted_at == "change" else "interrupted"
            keys = _apps(interrupted, lang)
            lines.append(t(f"pins.{op}.{stage}", lang, pin=name, keys=keys, no=p.pin.no))
        elif p.partly_done:
            done = _apps((k for k in p.keys if k.done), lang)
            not_done = _apps((k for k in p.keys if not k.done), lang)
            lines.append(t(f"pins.{op}.partly", lang, pin=name, done=done, not_done=not_done))
        else:
            lines.append(t(f"pins.{op}.not_done", lang, pin=name))
    for p in result.pins:
        left = [k.key.id for k in p.keys if not k.done]
        if op == "change" and p.partly_done and len(left) == 1:
            command = f"jpkitool change-pin {p.pin.no} --key {left[0]}"
            if p.pin.experimental_change:
                command += " --experimental"
            lines.append(t("pins.finish", lang, command=command))
    return lines


def card_left_lines(
    card_left: CardLeft | None, steps: tuple[str, ...] = (), lang: str | None = None
) -> list[str]:
    """How the card was left after a PIN was sent: proven clear, cleared without a
    proof, or possibly verified (then: take the card out)."""
    if card_left is None:
        return []
    sep = t("guidance.list_separator", lang)
    done = sep.join(t(f"card_left.step.{s}", lang) for s in steps)
    return [t(f"card_left.{card_left}", lang, steps=done)]


def fault_note(operation: str, result: PinCommandResult | None, lang: str | None = None) -> str:
    """After a fault (card removed, no answer, pcscd gone, reader taken): what became
    of the PINs, as far as this tool can know."""
    if result is None or not result.pin_sent:
        return t(f"pins.fault.none.{operation}", lang)
    if not result.interrupted:
        return t(f"pins.fault.rest.{operation}", lang)
    key = result.interrupted[0]
    pin = profile.PIN_OF_SLOT[key.key.id]
    stage = "verify" if operation == "verify" else f"change_{key.interrupted_at}"
    name = key_name(pin.id, key.key.id, lang)
    return t(f"pins.fault.unknown.{stage}", lang, pin=name, no=pin.no)


def fault_text(
    message: str, operation: str, result: PinCommandResult | None, lang: str | None = None
) -> str:
    """An error's line after a fault, with :func:`fault_note` added."""
    return joined(message, fault_note(operation, result, lang))


def joined(first: str, second: str) -> str:
    """Two sentences in one line: a space after English, none after a Japanese 。."""
    return first + (" " if first[-1:].isascii() else "") + second


def format_text(exc: je.PinFormatError, lang: str | None = None) -> str:
    rule = t(f"format.{exc.rule}", lang)
    return t("error.pin_format", lang, pin=pin_name(exc.pin_id, lang), rule=rule)


def request_text(exc: je.PinRequestError, lang: str | None = None) -> str:
    key = f"error.pins.request.{exc.reason}"
    return t(key, lang, detail=exc.detail, pin=pin_name(exc.detail, lang))


def wrong_text(exc: je.WrongPinError, lang: str | None = None) -> str:
    pin = key_name(exc.pin_id, exc.key_id, lang)
    return t("error.wrong_pin", lang, pin=pin, remaining=exc.remaining)


def unconfirmed_text(exc: je.ChangeUnconfirmedError, lang: str | None = None) -> str:
    remaining = "-" if exc.remaining is None else str(exc.remaining)
    pin = key_name(exc.pin_id, exc.key_id, lang)
    return t("error.unconfirmed", lang, pin=pin, remaining=remaining)


def absent_text(exc: je.PinAbsentError, lang: str | None = None) -> str:
    key = f"error.pins.absent.{exc.reason}"
    if exc.reason == "no-reference-data" and exc.pin_id == profile.AUTH.id:
        key += ".auth"  # only ② is missing on a 顔認証マイナンバーカード
    return t(key, lang, pin=pin_name(exc.pin_id, lang))


def locked_text(exc: je.PinLockedError, lang: str | None = None) -> str:
    """Locked by this command's wrong entry, or found locked (then no PIN was sent)."""
    key = "error.pins.just_locked" if exc.just_locked else "error.pin_locked"
    return t(key, lang, pin=key_name(exc.pin_id, exc.key_id, lang))


def warning_lines(warnings: tuple[str, ...], lang: str | None = None) -> list[str]:
    """The notes on a new value that was accepted (``date-like``)."""
    return [t(f"pins.warning.{w}", lang) for w in warnings]


def error_text(exc: je.JpkiError, operation: str, lang: str | None = None) -> str:
    """The error that stopped a PIN command after a PIN was sent: a wrong or locked
    PIN, a change not confirmed; else the error and what became of the PINs
    (:func:`fault_note`)."""
    if isinstance(exc, je.WrongPinError):
        return wrong_text(exc, lang)
    if isinstance(exc, je.PinLockedError):
        return locked_text(exc, lang)
    if isinstance(exc, je.ChangeUnconfirmedError):
        return unconfirmed_text(exc, lang)
    result = exc.result if isinstance(exc.result, PinCommandResult) else None
    return fault_text(access_text(exc, lang), operation, result, lang)


def before_line(pin_id: str, statuses: tuple[KeyStatus, ...], lang: str | None = None) -> str:
    """A PIN's count, read before any try is spent."""
    count = keys_count_text(statuses, lang=lang)
    return t("pins.before", lang, pin=pin_name(pin_id, lang), count=count)
