"""Checking and changing a PIN on the page: ``verify-pin`` and ``change-pin`` with every
guard they have, through the same library calls.

``GET /pin``: the choice of PIN and operation. ``GET /pin/verify?pin=ID`` and
``GET /pin/change?pin=ID``: the PIN's count, read without spending a try
(:func:`jpki.pinops.read_counters`); a locked or absent PIN is refused there, else the
form, with a confirmation box for the last try or an untrusted count when the count
calls for one (:func:`jpki.permit.refusal`). ``POST`` to the same address: the values
are checked first (format, weakness, the new value twice, :mod:`jpki.pinplan`) with no
card session at all; then :func:`jpki.pinops.run_plan` reads the count again and spends
at most one try under a permit, with ``force`` and ``accept_unknown_count`` taken from
their own boxes in this request only. The card is left unverified by the library, as
the CLI leaves it. ③ is changed only when the server was started with
``--experimental`` (:func:`jpki.pinplan.check_experimental`).

Each form carries a one-time id (:mod:`jpki.ui.once`): a POST whose id is unknown or
already taken is refused before any card session, so a reload sends nothing to the
card. What a POST did on the card is kept for one ``GET /pin/result/ID``, which the
POST answers with a 303 (Post/Redirect/Get).

PIN values live in the handler's locals: they are never logged, kept, echoed back (a
form shown again after an error has its PIN fields empty) or put in an error's text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol
from urllib.parse import parse_qs

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from .. import errors as je
from .. import pinplan
from ..errors import JpkiError
from ..i18n import t
from ..keystatus import KeyStatus
from ..permit import Refusal, refusal
from ..pinops import read_counters, run_plan
from ..pinplan import PinPlan
from ..pinresult import PinCommandResult
from ..profile import Pin
from ..words import pins as words
from ..words.failures import access_text
from . import pinpage
from .once import OneTime
from .pinpage import BOXES, Form
from .source import CardSource

OPERATIONS = ("verify", "change")


class PageState(Protocol):
    """What the page holds that the PIN forms use (:class:`jpki.ui.app.Page`)."""

    source: CardSource
    lang: str
    csrf: str


@dataclass(frozen=True)
class Sent:
    """A form's values checked, to be sent: the plan, the PIN, the boxes offered, and
    those ticked (``force``, ``accept``: this request only)."""

    plan: PinPlan
    pin: Pin
    offers: tuple[Refusal, ...]
    force: bool
    accept: bool


@dataclass
class Checked:
    """A request's values checked: the plan, or the errors by field."""

    plan: PinPlan | None
    errors: list[tuple[str, str]]


class PinPages:
    """The PIN routes; ``experimental``: ③ may be changed (``jpkitool ui --experimental``);
    ``forms``: the one-time ids of the forms shown."""

    def __init__(
        self, state: PageState, experimental: bool = False, forms: OneTime | None = None
    ) -> None:
        self.state = state
        self.experimental = experimental
        self.forms = forms or OneTime()
        self.results = OneTime()

    def menu(self, request: Request) -> Response:
        return HTMLResponse(pinpage.menu(self.state.lang, self.operations))

    def show(self, request: Request) -> Response:
        operation = request.path_params["operation"]
        pin = self.chosen(operation, request.query_params.get("pin", ""))
        if isinstance(pin, str):
            return self.message(operation, None, pin, 404)
        return self.open_form(operation, pin)

    def open_form(self, operation: str, pin: Pin) -> Response:
        """``pin``'s count, read without spending a try; a locked or absent PIN gets a
        sentence, any other the form with the boxes its count calls for."""
        lang = self.state.lang
        try:
            with self.state.source.pin_session() as card, card.transaction():
                counters = read_counters(card, (pin,))
        except JpkiError as exc:
            return self.message(operation, pin, self.card_text(exc, pin))
        except (ValueError, OSError) as exc:  # the virtual card's state file
            return self.message(operation, pin, access_text(exc, lang))
        try:  # a locked or absent key: no form (the boxes lift neither)
            counters.first_refusal(force=True, accept_unknown_count=True)
        except je.PinLockedError:
            return self.message(operation, pin, t("ui.pin.locked", lang, pin=pin_name(pin, lang)))
        except je.PinAbsentError as exc:
            return self.message(operation, pin, words.absent_text(exc, lang))
        statuses = counters.keys[pin.id]
        return self.form(Form(operation, pin, statuses, offered(statuses)))

    async def submit(self, request: Request) -> Response:
        operation = request.path_params["operation"]
        fields = await form_fields(request)
        pin = self.chosen(operation, fields.get("pin", [""])[0])
        if isinstance(pin, str):
            return self.message(operation, None, pin, 404)
        sent = self.received(operation, pin, fields)
        if not isinstance(sent, Sent):
            return sent
        # In a worker thread: the card's lock may be held by a page being read.
        return await run_in_threadpool(self.run, sent)

    def received(self, operation: str, pin: Pin, fields: dict[str, list[str]]) -> Sent | Response:
        """A form's POST taken: its one-time id first, then its values checked (no card
        session): what to send, or the page that refuses it."""

        def field(name: str) -> str:
            return fields.get(name, [""])[0]

        if self.forms.take(field("form")) != form_value(operation, pin):
            used = pinpage.used(operation, pin, self.state.lang)
            return HTMLResponse(used, status_code=409)
        offers = tuple(r for r, box in BOXES.items() if field(f"offered_{box.field}"))
        checked = self.check(operation, pin, field("current"), field("new"), field("again"))
        if checked.plan is None:
            return self.form(Form(operation, pin, None, offers, checked.errors), 400)
        force = field(BOXES[Refusal.LAST_TRY].field) == "yes"
        accept = field(BOXES[Refusal.UNTRUSTED].field) == "yes"
        return Sent(checked.plan, pin, offers, force, accept)

    def run(self, sent: Sent) -> Response:
        """The plan on the card, one try at most; the result as the CLI reports it, kept
        for :meth:`result` (a 303 to it), or the form again with the box it needs."""
        plan, pin, operation = sent.plan, sent.pin, sent.plan.operation
        try:
            with self.state.source.pin_session() as card, card.transaction():
                result = run_plan(card, plan, force=sent.force, accept_unknown_count=sent.accept)
        except (JpkiError, ValueError, OSError) as exc:
            return self.failed(operation, sent, exc)
        done = "changed" if operation == "change" else "verified"
        return self.outcome(operation, pin, result, "", done if result.done else "unknown")

    def failed(self, operation: str, sent: Sent, exc: JpkiError | ValueError | OSError) -> Response:
        """What stopped ``sent`` on the card: the form again with the box a refusal
        needs (no PIN sent), else the result as the CLI says it, kept for one GET."""
        lang, pin, offers = self.state.lang, sent.pin, sent.offers
        verb = "change" if operation == "change" else "verify"
        if isinstance(exc, je.SpendRefusedError):  # no PIN sent: the form again, with its box
            why = Refusal(exc.reason)
            text = t(f"ui.pin.refused.{exc.reason}", lang, pin=pin_name(pin, lang), sw=sw(exc))
            form = Form(operation, pin, None, (*offers, why), [(BOXES[why].field, text)])
            return self.form(form, 409)
        if not isinstance(exc, JpkiError):  # the virtual card's state file, as the CLI says
            return self.kept(pinpage.message(operation, pin, access_text(exc, lang), lang))
        stopped = exc.result if isinstance(exc.result, PinCommandResult) else None
        if isinstance(exc, je.PinLockedError):
            if exc.just_locked:
                return self.outcome(operation, pin, stopped, words.locked_text(exc, lang), "locked")
            text = t("ui.pin.locked", lang, pin=pin_name(pin, lang))
            return self.kept(pinpage.message(operation, pin, text, lang))
        if stopped is None or not stopped.pin_sent:
            return self.kept(pinpage.message(operation, pin, self.card_text(exc, pin), lang))
        text = words.error_text(exc, verb, lang)
        next_step = "wrong" if isinstance(exc, je.WrongPinError) else "unknown"
        return self.outcome(operation, pin, stopped, text, next_step)

    def result(self, request: Request) -> Response:
        """A result kept by :meth:`run`, shown once; then a line saying it was shown."""
        page = self.results.take(request.path_params["key"])
        return HTMLResponse(page if page is not None else pinpage.shown(self.state.lang))

    def check(self, operation: str, pin: Pin, current: str, new: str, again: str) -> Checked:
        """The values checked before the card is touched: each field's error, or the
        plan. The current value is checked once: by the plan, or alone when the new
        value is refused (the summary lists every field in error)."""
        lang = self.state.lang
        if operation != "change":  # checking ①..④, or ① for the sign certificate
            try:
                return Checked(pinplan.plan_verify(pin, current), [])
            except je.PinFormatError as exc:
                return Checked(None, [("current", words.format_text(exc, lang))])
        errors = self.new_errors(pin, new, again)
        if errors:
            try:
                pinplan.encode_value(pin, current)
            except je.PinFormatError as exc:
                errors.insert(0, ("current", words.format_text(exc, lang)))
            return Checked(None, errors)
        try:
            plan = pinplan.plan_change(pin, current, new, experimental=self.experimental)
        except je.PinFormatError as exc:  # the current value: the new one passed
            return Checked(None, [("current", words.format_text(exc, lang))])
        except je.PinRequestError as exc:  # the same value twice
            return Checked(None, [("new", words.request_text(exc, lang))])
        return Checked(plan, [])

    def new_errors(self, pin: Pin, new: str, again: str) -> list[tuple[str, str]]:
        """The new value's errors: its format, its weakness, the two entries differing."""
        lang = self.state.lang
        errors: list[tuple[str, str]] = []
        try:
            pinplan.check_new_value((pin,), new, allow_weak=False)
        except je.PinFormatError as exc:
            errors.append(("new", words.format_text(exc, lang)))
        except je.WeakPinError as exc:
            why = t(f"weakness.{exc.weakness}", lang)
            errors.append(("new", t("ui.pin.weak", lang, pin=pin_name(pin, lang), why=why)))
        try:
            pinplan.check_again(pin, new, again)
        except je.PinRequestError as exc:
            errors.append(("again", words.request_text(exc, lang)))
        return errors

    def chosen(self, operation: str, name: str) -> Pin | str:
        """The PIN the request names, or why it cannot be acted on (no card touched)."""
        lang = self.state.lang
        if operation not in OPERATIONS:
            return t("error.pins.request.unknown-pin", lang, detail=operation)
        try:
            (pin,) = pinplan.resolve_pins([name])
        except je.PinRequestError as exc:
            return words.request_text(exc, lang)
        refused = self.change_refused(pin)
        if operation == "change" and refused is not None:
            return words.request_text(refused, lang)
        return pin

    def change_refused(self, pin: Pin) -> je.PinRequestError | None:
        """Why ``pin`` may not be changed here: ③ without ``--experimental``, by the
        CLI's check (:func:`jpki.pinplan.check_experimental`); None when it may."""
        try:
            pinplan.check_experimental(pinplan.resolve_keys((pin,), None), self.experimental)
        except je.PinRequestError as exc:
            return exc
        return None

    def operations(self, pin: Pin) -> tuple[str, ...]:
        """What the page offers for ``pin``: checking, and changing unless refused."""
        return OPERATIONS if self.change_refused(pin) is None else ("verify",)

    def card_text(self, exc: JpkiError, pin: Pin) -> str:
        """A failure before any PIN was sent, in a sentence."""
        lang = self.state.lang
        if isinstance(exc, je.PinAbsentError):
            return words.absent_text(exc, lang)
        return words.joined(access_text(exc, lang), t("ui.pin.card_failed", lang))

    def form(self, spec: Form, status: int = 200) -> Response:
        """The form with a new one-time id."""
        key = self.forms.issue(form_value(spec.operation, spec.pin))
        page = pinpage.form(spec, self.state.lang, self.state.csrf, key)
        return HTMLResponse(page, status_code=status)

    def kept(self, page: str) -> Response:
        """``page`` kept for one GET, and a 303 to it."""
        return RedirectResponse(f"/pin/result/{self.results.issue(page)}", status_code=303)

    def message(self, operation: str, pin: Pin | None, text: str, status: int = 200) -> Response:
        page = pinpage.message(operation, pin, text, self.state.lang)
        return HTMLResponse(page, status_code=status)

    def outcome(
        self,
        operation: str,
        pin: Pin,
        result: PinCommandResult | None,
        error: str,
        next_step: str,
    ) -> Response:
        return self.kept(pinpage.result(operation, pin, result, error, next_step, self.state.lang))


async def form_fields(request: Request) -> dict[str, list[str]]:
    """A form POST's fields (the guard has checked its CSRF token)."""
    return parse_qs((await request.body()).decode("latin-1"), keep_blank_values=True)


def offered(statuses: tuple[KeyStatus, ...]) -> tuple[Refusal, ...]:
    """The confirmations the count calls for: the last try, an untrusted count."""
    found = {refusal(s) for s in statuses}
    return tuple(r for r in BOXES if r in found)


def form_value(operation: str, pin: Pin) -> str:
    """What a form's id stands for: its id is good for that form alone."""
    return f"{operation} {pin.id}"


def pin_name(pin: Pin, lang: str) -> str:
    return words.pin_name(pin.id, lang)


def sw(exc: je.SpendRefusedError) -> str:
    return "-" if exc.sw is None else f"{exc.sw:04X}"
