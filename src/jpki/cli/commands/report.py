"""``jpkitool doctor --report PATH [--report-with-pin 1|4]``: see :mod:`jpki.report`."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from apdu import BaseTransport, outfile
from apdu.recording import RecordingTransport

from ... import profile
from ...api import virtual_card_opener
from ...card import CardLeft, MyNumberCard
from ...i18n import t
from ...keystatus import KeyState
from ...pinops import read_counters
from ...report import PIN_STEPS, PinProbe, ProbeStopped, Report, probe, probe_pin
from ...session import open_session
from ...words.pins import card_left_lines, pin_name
from ..context import AppContext, emit_json, print_error
from ..failures import Exit, ExitWith, UsageFailure, classify
from ..wrap import echo
from .pins import ask_checked

NONE = "-"


def summary_lines(report: Report, path: str, count: int) -> list[str]:
    """The summary in the current language, one fact a line."""
    read = report.read
    lines = [
        t("report.written", path=path, count=count),
        t("report.reader", reader=report.reader),
        t("report.atr", atr=report.atr or NONE),
        t("report.jpki", sw=report.jpki or NONE),
        t(
            "report.query",
            short=report.query_short or NONE,
            select=report.query_select or NONE,
            form=t(f"report.form.{report.query_form}"),
        ),
        t("report.read_sfi", sw=read.sfi or NONE),
        t(
            "report.read_extended",
            length=NONE if read.length is None else read.length,
            verdict=t(
                f"report.verdict.{read.verdict}",
                bytes=read.extended_bytes,
                length=read.length,
                sw=read.extended or NONE,
                seen=" ".join(read.seen),
                error=read.error,
            ),
        ),
        t("report.isd", sw=report.isd or NONE),
    ]
    if report.power_cycle != "done":
        lines.append(t("report.power.failed", error=report.power_cycle or NONE))
    elif report.power_6f00:
        lines.append(t("report.power.6f00", jpki=report.jpki_after_power or NONE))
    else:
        lines.append(
            t(
                "report.power.plain",
                first=report.after_power or NONE,
                jpki=report.jpki_after_power or NONE,
            )
        )
    if report.pin is not None:
        lines += pin_lines(report.pin)
    return lines


def pin_lines(result: PinProbe) -> list[str]:
    name = pin_name(result.pin)
    if result.verify is None:
        return [t("report.pin.refused", pin=name)]
    lines = [t("report.pin.title", pin=name, sw=result.verify, count=result.reverified)]
    for event in PIN_STEPS if result.verify == "9000" else ():
        outcome = result.steps.get(event, "not-run")
        text = t(f"report.step.{outcome}", sw=result.proof.get(event) or NONE)
        lines.append(t("report.pin.step", event=t(f"report.event.{event}"), result=text))
    if result.card_left is not None:
        lines += card_left_lines(CardLeft(result.card_left), result.left_steps)
    return lines


def run(app: AppContext, path: str, pin_no: str | None) -> None:
    """Write the report to ``path``, print the summary; exit as README says."""
    opts = app.options
    if opts.record is not None or opts.record_personal:
        raise UsageFailure("usage.report_record_conflict")
    if opts.replay is not None:
        raise UsageFailure("usage.report_replay_conflict")
    outfile.check(path, streams=True, overwrite=opts.overwrite)  # before the card and the PIN
    if opts.json and outfile.same_target(path, outfile.STDOUT):
        raise UsageFailure("usage.same_output")  # the report and the JSON would mix
    pin = profile.PINS_BY_ID["sign" if pin_no == "1" else "cardinfo"] if pin_no else None
    spec = app.session_spec(transaction=False, may_change=pin is not None)
    spec = replace(spec, record=path, record_personal=False)
    failure: Exception | None = None
    refused: ExitWith | None = None
    with open_session(spec, virtual_card_opener(spec)) as transport:
        card = MyNumberCard(transport)
        with card.transaction():
            report = probe(card)
        if pin is not None:
            report.pin = PinProbe(pin.id)
            try:
                failure = _pin_part(app, card, pin, report.pin)
            except ExitWith as exc:  # verify-pin's refusal, already said (JSON: that alone)
                if opts.json:
                    raise
                refused = exc
        count = _lines(transport)
    error = None if failure is None else classify(failure)
    if opts.json:
        report.path = path
        doc: dict[str, Any] = report.to_dict()
        if error is not None:
            doc["error"] = {"code": error.code, "message": error.message}
        emit_json(doc)
    else:
        to_stderr = path in (outfile.STDOUT, "/dev/stdout")
        echo("\n".join(summary_lines(report, path, count)), err=to_stderr)
        if error is not None:
            app.note(f"jpkitool: {error.message}")
    if refused is not None:
        raise refused
    if error is not None:
        raise ExitWith(error.exit)
    if report.pin is not None and report.pin.card_left == CardLeft.MAY_BE_VERIFIED:
        raise ExitWith(Exit.MAY_BE_VERIFIED)


def _lines(transport: BaseTransport) -> int:
    """Lines of the recording so far (its header included)."""
    while not isinstance(transport, RecordingTransport):
        inner = getattr(transport, "inner", None)
        if inner is None:
            return 0
        transport = inner
    return transport.count + 1


def _pin_part(
    app: AppContext, card: MyNumberCard, pin: profile.Pin, result: PinProbe
) -> Exception | None:
    """The PIN probe: the count read and refused, the value asked, as verify-pin does
    (a refusal raises its :class:`ExitWith`, the error already said); the error that
    stopped the probe, if any."""
    try:  # the report never takes a last try, and has no --force to offer for it
        with card.transaction():
            statuses = read_counters(card, (pin,)).keys[pin.id]
    except Exception:
        statuses = ()  # ask_checked below meets the same error and says it
    if any(s.state is KeyState.LAST_TRY for s in statuses):
        message = t("report.pin.last_try", pin=pin_name(pin.id), no=pin.no)
        print_error(app.options.json, "refused", message)
        raise ExitWith(Exit.REFUSED)
    plan = ask_checked(app, card, pin, (), False, False)
    try:
        with card.transaction():
            probe_pin(card, pin, plan.currents[pin.id], result)
    except ProbeStopped as stopped:
        return stopped.error
    return None
