"""``jpkitool change-pin`` and ``jpkitool verify-pin``: the two commands that may spend a try.

Both read the counter first without spending a try, refuse a locked PIN, refuse the
last try unless ``--force`` and a count they cannot trust unless
``--accept-unknown-count`` (each flag lifts its own refusal and no other: see
:mod:`jpki.permit`). They end by leaving the card unverified and say how
(:meth:`jpki.card.MyNumberCard.leave_unverified`); exit 9 when it may not be.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace
from typing import Any, NoReturn

import click

from apdu import TransportError

from ... import profile
from ...card import CardLeft, MyNumberCard
from ...errors import (
    ChangeUnconfirmedError,
    JpkiError,
    PinLockedError,
    WrongPinError,
)
from ...i18n import t
from ...pinops import read_counters, run_plan
from ...pinplan import (
    PinPlan,
    check_again,
    check_experimental,
    check_one_format,
    plan_change,
    plan_verify,
    resolve_keys,
    resolve_pins,
)
from ...pinresult import PinCommandResult
from ...profile import Pin, PinSlot
from ...retries import read_retries
from ...schema import nested
from ...words.guidance import advice
from ...words.pins import (
    before_line,
    card_left_lines,
    fault_text,
    pin_name,
    result_lines,
    warning_lines,
)
from ..context import AppContext, emit_json
from ..failures import Exit, ExitWith, UsageFailure, classify
from ..pinname import PinNameType
from ..pinprompt import PinPrompter
from ..wrap import echo

KEY_CHOICES = [k.id for k in profile.JUKI_PIN.slots]


# -- shared run -------------------------------------------------------------------


def _locked_guidance(card: MyNumberCard | None) -> list[str]:
    """What to do about the locked PIN: the same guidance as ``retries`` (no try spent)."""
    if card is None:
        return []
    try:
        with card.transaction():
            return advice(read_retries(card))
    except Exception:  # the guidance is a courtesy; the error itself is already known
        return []


def report_failure(
    app: AppContext, card: MyNumberCard | None, exc: Exception, operation: str | None = None
) -> NoReturn:
    """The partial result, the one-line error and, for a locked PIN, the guidance.

    After a transport fault, ``operation`` (``change``/``verify``) adds to the error
    line whether a PIN was sent, a try spent or a PIN changed (:func:`fault_text`).
    """
    failure = classify(exc)
    result = exc.result if isinstance(exc, JpkiError) else None
    if not isinstance(result, PinCommandResult):
        result = None
    fault = operation is not None and isinstance(exc, TransportError)
    if fault and operation is not None:
        failure = replace(failure, message=fault_text(failure.message, operation, result))
    if app.options.json:
        error: dict[str, Any] = {"code": failure.code, "message": failure.message}
        pin_errors = WrongPinError | PinLockedError | ChangeUnconfirmedError
        if isinstance(exc, pin_errors) and exc.remaining is not None:
            error["remaining"] = exc.remaining
        if fault:
            error["pin_sent"] = result is not None and result.pin_sent
        emit_json({"error": error, **(nested(result.to_dict()) if result else {})})
    else:
        if result is not None:
            echo("\n".join(result_lines(result)), err=app.stdout_is_data)
        echo(f"jpkitool: {failure.message}", err=True)
        if result is not None and result.card_left is CardLeft.MAY_BE_VERIFIED:
            echo("\n".join(card_left_lines(result.card_left)), err=True)
        guidance = _locked_guidance(card) if isinstance(exc, PinLockedError) else []
        if guidance:
            echo("\n".join(guidance), err=app.stdout_is_data)
    raise ExitWith(failure.exit)


def run_checked(
    app: AppContext, card: MyNumberCard, plan: PinPlan, force: bool, accept_unknown_count: bool
) -> None:
    """Run the checked plan in a transaction of its own (the counters are read again
    before any try) and show its result, before the session closes: a recording's
    failure comes last."""
    try:
        with card.transaction():
            result = run_plan(card, plan, force=force, accept_unknown_count=accept_unknown_count)
    except Exception as exc:
        report_failure(app, card, exc, plan.operation)
    left = card_left_lines(result.card_left, result.left_steps)
    app.show(result.to_dict(), lambda: [*result_lines(result), *left])
    finish_left(result.card_left)


def finish_left(card_left: CardLeft | None) -> None:
    """Exit 9 when a command that otherwise succeeded may have left the card verified."""
    if card_left is CardLeft.MAY_BE_VERIFIED:
        raise ExitWith(Exit.MAY_BE_VERIFIED)


# -- change-pin -------------------------------------------------------------------


def ask_change(
    prompter: PinPrompter, pins: tuple[Pin, ...], same_current: bool
) -> tuple[str | dict[str, str], str]:
    """Current value(s), then the new value twice (they must match)."""
    current: str | dict[str, str]
    if same_current or len(pins) == 1:
        names = t("guidance.list_separator").join(pin_name(p.id) for p in pins)
        current = prompter.ask(t("pins.prompt.current", pin=names))
    else:
        current = {p.id: prompter.ask(t("pins.prompt.current", pin=pin_name(p.id))) for p in pins}
    new = prompter.ask(t("pins.prompt.new"))
    again = prompter.ask(t("pins.prompt.again"))
    check_again(pins[0], new, again)
    return current, new


#: Options both commands take (help texts come from the catalogues, ``help.option.*``):
#: ``--force`` lifts the refusal of the last try, ``--accept-unknown-count`` that of a
#: count the card did not report reliably; neither lifts the other's.
force_option = click.option("--force", is_flag=True)
accept_unknown_count_option = click.option("--accept-unknown-count", is_flag=True)
key_option = click.option("--key", "keys", multiple=True, type=click.Choice(KEY_CHOICES))


@click.command("change-pin")
@click.argument("names", nargs=-1, required=True, type=PinNameType(), metavar="KINDS...")
@force_option
@accept_unknown_count_option
@click.option("--allow-weak", is_flag=True)
@click.option("--same-current", is_flag=True)
@key_option
@click.option("--experimental", is_flag=True)
@click.pass_obj
def change_command(
    app: AppContext,
    names: tuple[str, ...],
    force: bool,
    accept_unknown_count: bool,
    allow_weak: bool,
    same_current: bool,
    keys: tuple[str, ...],
    experimental: bool,
) -> None:
    pins = resolve_pins(names)
    chosen = resolve_keys(pins, keys)
    check_experimental(chosen, experimental)  # before any prompt
    check_one_format(pins)
    with contextlib.ExitStack() as stack:
        card = open_pin_session(app, stack, "change")
        # A locked PIN or a refused last try is said before anything is typed.
        read_first(app, card, pins, chosen, force, accept_unknown_count, "change")
        plan: PinPlan = plan_change(pins, *ask_change(PinPrompter(), pins, same_current),
                                    allow_weak=allow_weak, keys=keys,
                                    experimental=experimental)  # fmt: skip
        if plan.warnings and not app.options.json:
            app.note("\n".join(warning_lines(plan.warnings)))
        run_checked(app, card, plan, force, accept_unknown_count)


def open_pin_session(app: AppContext, stack: contextlib.ExitStack, operation: str) -> MyNumberCard:
    """The card session, entered on ``stack``; a failure to open it (no card, reader
    taken, no answer, a state file that could not keep the change) is reported with
    "no PIN was sent"."""
    try:
        return stack.enter_context(app.card(transaction=False, may_change=True))
    except Exception as exc:
        report_failure(app, None, exc, operation)


# -- verify-pin -------------------------------------------------------------------


@click.command("verify-pin")
@click.argument("name", nargs=-1, required=True, type=PinNameType(), metavar="KIND")
@force_option
@accept_unknown_count_option
@key_option
@click.pass_obj
def verify_command(
    app: AppContext,
    name: tuple[str, ...],
    force: bool,
    accept_unknown_count: bool,
    keys: tuple[str, ...],
) -> None:
    if len(name) != 1:  # never echo the extra word: it may be a PIN
        raise UsageFailure("usage.one_kind")
    (pin,) = resolve_pins(name)
    with contextlib.ExitStack() as stack:
        card = open_pin_session(app, stack, "verify")
        plan = ask_checked(app, card, pin, keys, force, accept_unknown_count)
        run_checked(app, card, plan, force, accept_unknown_count)


def ask_checked(
    app: AppContext,
    card: MyNumberCard,
    pin: Pin,
    keys: tuple[str, ...],
    force: bool,
    accept_unknown_count: bool,
) -> PinPlan:
    """The PIN's counter read, refused or shown (:func:`read_first`), then its value
    asked: the checked plan to verify. No transaction stays open while the user types;
    :func:`run_plan` reads the counter again in the next one."""
    chosen = resolve_keys((pin,), keys)
    read_first(app, card, (pin,), chosen, force, accept_unknown_count, "verify")
    value = PinPrompter().ask(t("pins.prompt.current", pin=pin_name(pin.id)))
    return plan_verify(pin, value, keys=keys)


def read_first(
    app: AppContext,
    card: MyNumberCard,
    pins: tuple[Pin, ...],
    chosen: dict[str, tuple[PinSlot, ...]],
    force: bool,
    accept_unknown_count: bool,
    operation: str,
) -> None:
    """Read the counters in a transaction of their own (no try spent), refuse (locked,
    last try unless ``force``, untrusted count unless ``accept_unknown_count``) or
    show them: all before the user is asked for anything."""
    try:
        with card.transaction():
            counters = read_counters(card, pins, chosen)
        counters.first_refusal(force, accept_unknown_count)
    except Exception as exc:
        report_failure(app, card, exc, operation)
    if not app.options.json:
        for pin in pins:
            app.note(before_line(pin.id, counters.keys[pin.id]))
        app.note(t("pins.spend_warning"))
