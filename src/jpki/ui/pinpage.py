"""The HTML of the page's PIN check and change (:mod:`jpki.ui.pins`).

GOV.UK's patterns: PIN fields ``type=password`` with ``autocomplete=off``, an
``inputmode`` that fits the PIN, paste allowed and a Show/Hide button added by
``static/pin.js`` (the fields work without it); labels tied to their fields; after an
error, a summary at the top (``role=alert``, focused by ``pin.js``) linking to each
field in error, and the form again with its PIN fields empty; a result page with what
happens next. Every text is escaped; no value entered is ever written back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from typing import NamedTuple

from .. import keyformats, profile
from ..i18n import t
from ..keystatus import KeyStatus
from ..permit import Refusal
from ..pinresult import PinCommandResult
from ..profile import Pin
from ..words import pins as words
from .page import document


class Box(NamedTuple):
    """A confirmation box: its form field, and its label's catalogue key."""

    field: str
    label: str


#: The confirmation boxes: each lifts its own refusal, in the request it is sent with.
BOXES = {
    Refusal.LAST_TRY: Box("force", "ui.pin.force"),
    Refusal.UNTRUSTED: Box("accept_unknown_count", "ui.pin.accept_unknown"),
}


@dataclass(frozen=True)
class Form:
    """A PIN form: for ``pin``, the count read (None when not read for this page), the
    confirmation boxes offered, and the errors by field (``current``, ``new``,
    ``again``, or a box's field)."""

    operation: str
    pin: Pin
    statuses: tuple[KeyStatus, ...] | None
    offered: tuple[Refusal, ...] = ()
    errors: list[tuple[str, str]] = field(default_factory=list)


def e(text: object) -> str:
    return escape(str(text))


def shell(lang: str, title: str, main: str) -> str:
    """A PIN page: the heading, ``main``, the way back to the top page, and pin.js."""
    body = (
        f'<header>\n<p class="product">jpkitool</p>\n<h1>{e(title)}</h1>\n</header>\n'
        f'<main>\n{main}<p class="actions"><a href="/">{e(t("ui.pin.back", lang))}</a></p>\n'
        '</main>\n<script src="/static/pin.js" defer></script>\n'
    )
    return document(lang, title, body)


#: The operation that reads the sign certificate with ① (:mod:`jpki.ui.signcert`): its
#: form is ①'s check, sent to its own address.
CERTIFICATE = "certificate"


def address(operation: str, pin: Pin) -> str:
    """Where ``operation``'s form for ``pin`` is opened."""
    if operation == CERTIFICATE:
        return "/certificate/sign"
    return f"/pin/{operation}?pin={pin.id}"


def action(operation: str) -> str:
    """Where ``operation``'s form is sent."""
    return "/certificate/sign" if operation == CERTIFICATE else f"/pin/{operation}"


def title(operation: str, pin: Pin | None, lang: str) -> str:
    if pin is None:
        return t("ui.pin.menu_title", lang)
    return t(f"ui.pin.{operation}.title", lang, pin=words.pin_name(pin.id, lang))


def menu(lang: str, operations_of: Callable[[Pin], tuple[str, ...]]) -> str:
    """Each PIN with the operations the page offers for it (③'s change only with
    ``--experimental``), and a note when a change is not offered."""
    rows = ""
    for pin in profile.USER_PINS:
        operations = operations_of(pin)
        actions = [  # the link's name says which PIN, for a screen reader's list of links
            f'<a href="/pin/{op}?pin={pin.id}" aria-label="{e(title(op, pin, lang))}">'
            f"{e(t(f'ui.pin.{op}', lang))}</a>"
            for op in operations
        ]
        name = words.pin_name(pin.id, lang)
        rows += f"<li><span>{e(name)}</span> {' '.join(actions)}</li>\n"
    every = all("change" in operations_of(pin) for pin in profile.USER_PINS)
    note = "" if every else f"<p>{e(t('ui.pin.juki_experimental', lang))}</p>\n"
    main = f'<p>{e(t("ui.pin.menu_intro", lang))}</p>\n<ul class="pin-menu">\n{rows}</ul>\n{note}'
    return shell(lang, t("ui.pin.menu_title", lang), main)


def error_summary(errors: list[tuple[str, str]], lang: str) -> str:
    items = "".join(f'<li><a href="#{name}">{e(text)}</a></li>\n' for name, text in errors)
    return (
        '<div class="error-summary" role="alert" tabindex="-1" '
        'aria-labelledby="error-summary-title">\n'
        f'<h2 id="error-summary-title">{e(t("ui.pin.errors_title", lang))}</h2>\n'
        f"<ul>\n{items}</ul>\n</div>\n"
    )


def pin_field(name: str, pin: Pin, lang: str, errors: dict[str, str]) -> str:
    """One PIN field, always empty: its label, the format as a hint, its error."""
    digits = pin.format == keyformats.DIGITS4
    mode = 'inputmode="numeric"' if digits else 'inputmode="text" autocapitalize="characters"'
    described = f"{name}-hint"
    error = ""
    if name in errors:
        described += f" {name}-error"
        error = f'<p class="field-error" id="{name}-error">{e(errors[name])}</p>\n'
    invalid = ' aria-invalid="true"' if name in errors else ""
    return (
        f'<div class="field{" field-invalid" if error else ""}">\n'
        f'<label for="{name}">{e(t(f"ui.pin.{name}", lang))}</label>\n'
        f'<p class="hint" id="{name}-hint">{e(t(f"format.{pin.format.id}", lang))}</p>\n'
        f"{error}"
        f'<input type="password" id="{name}" name="{name}" autocomplete="off" {mode} '
        f'spellcheck="false" aria-describedby="{described}"{invalid} '
        f'data-show="{e(t("ui.pin.show", lang))}" data-hide="{e(t("ui.pin.hide", lang))}">\n'
        "</div>\n"
    )


def box(refusal: Refusal, lang: str, errors: dict[str, str]) -> str:
    """A confirmation, unticked: it lifts its own refusal for this request alone."""
    name, label = BOXES[refusal]
    error = ""
    if name in errors:
        error = f'<p class="field-error" id="{name}-error">{e(errors[name])}</p>\n'
    return (
        f'<div class="field confirm">\n{error}'
        f'<input type="hidden" name="offered_{name}" value="yes">\n'
        f'<input type="checkbox" id="{name}" name="{name}" value="yes">\n'
        f'<label for="{name}">{e(t(label, lang))}</label>\n</div>\n'
    )


def form(spec: Form, lang: str, csrf: str, key: str) -> str:
    """The form for ``spec.pin``: the count when read, the fields, the boxes offered,
    and ``key``, its one-time id."""
    pin, operation = spec.pin, spec.operation
    errors = dict(spec.errors)
    main = error_summary(spec.errors, lang) if spec.errors else ""
    if spec.statuses is not None:
        count = words.before_line(pin.id, spec.statuses, lang)
        main += f'<p class="count" id="pin-count">{e(count)}</p>\n'
    else:
        main += f"<p>{e(t('ui.pin.count_later', lang))}</p>\n"
    main += f'<p class="warning">{e(t("ui.pin.spend_warning", lang))}</p>\n'
    names = ["current", "new", "again"] if operation == "change" else ["current"]
    fields = "".join(pin_field(name, pin, lang, errors) for name in names)
    boxes = "".join(box(r, lang, errors) for r in dict.fromkeys(spec.offered))
    main += (
        f'<form method="post" action="{action(operation)}" class="pin-form" novalidate>\n'
        f'<input type="hidden" name="csrf" value="{e(csrf)}">\n'
        f'<input type="hidden" name="form" value="{e(key)}">\n'
        f'<input type="hidden" name="pin" value="{e(pin.id)}">\n'
        f"{fields}{boxes}"
        f'<button type="submit">{e(t(f"ui.pin.send.{operation}", lang))}</button>\n</form>\n'
    )
    return shell(lang, title(operation, pin, lang), main)


def message(operation: str, pin: Pin | None, text: str, lang: str) -> str:
    """Why the form is not offered (a locked PIN, no card, ...), in one paragraph."""
    main = f'<section class="problem" role="alert">\n<p>{e(text)}</p>\n</section>\n'
    return shell(lang, title(operation, pin, lang), main)


def used(operation: str, pin: Pin, lang: str) -> str:
    """A form sent twice or out of date: nothing sent, and a link to open it again."""
    link = f'<a href="{e(address(operation, pin))}">{e(t("ui.pin.form_again", lang))}</a>'
    main = (
        f'<section class="problem" role="alert">\n<p>{e(t("ui.pin.form_used", lang))}</p>\n'
        f"<p>{link}</p>\n</section>\n"
    )
    return shell(lang, title(operation, pin, lang), main)


def shown(lang: str) -> str:
    """A result asked for again: it was shown once and is not kept."""
    main = f"<p>{e(t('ui.pin.result_shown', lang))}</p>\n"
    return shell(lang, t("ui.pin.menu_title", lang), main)


def result(
    operation: str,
    pin: Pin,
    outcome: PinCommandResult | None,
    error: str,
    next_step: str,
    lang: str,
) -> str:
    """What the card answered, as ``verify-pin``/``change-pin`` say it, how the card
    was left, and what happens next."""
    lines = [] if outcome is None else words.result_lines(outcome, lang)
    if error:
        lines.append(error)
    if outcome is not None:
        lines += words.warning_lines(outcome.warnings, lang)
        lines += words.card_left_lines(outcome.card_left, outcome.left_steps, lang)
    kind = "done" if next_step in ("changed", "verified") else "problem"
    items = "".join(f"<p>{e(line)}</p>\n" for line in lines)
    main = (
        f'<section class="pin-result {kind}" id="pin-result" tabindex="-1">\n'
        f"<h2>{e(t(f'ui.pin.result.{operation}', lang))}</h2>\n{items}</section>\n"
        f'<section aria-labelledby="next">\n<h2 id="next">{e(t("ui.pin.next_title", lang))}</h2>\n'
        f"<p>{e(t(f'ui.pin.next.{next_step}', lang))}</p>\n</section>\n"
    )
    return shell(lang, title(operation, pin, lang), main)
