"""``jpkitool doctor``: pcscd → readers → card → JPKI application, first missing link named.

``doctor --report PATH``: instead, a read-only report of how the card and the reader
answer (:mod:`jpki.report`, ``docs/reporting.md``), recorded to PATH (the rule of
:mod:`apdu.outfile`, personal data hidden, PIN bytes always ``XX``) and summed up on
stdout (on stderr when PATH is ``-``; ``--json`` for a JSON document).
``--report-with-pin 1|4`` adds the PIN probe, with the count read, refused and the
value asked as ``verify-pin`` does (:func:`jpki.cli.commands.pins.ask_checked`).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

import click

from apdu import (
    AccessDeniedError,
    PcscLibraryError,
    ReaderBusyError,
    ServiceUnavailableError,
    TransportError,
)

from ... import connect
from ...i18n import t
from ..context import AppContext
from ..failures import Exit, UsageFailure, finish

PLATFORMS = ("debian", "macos", "windows")


@dataclass(frozen=True)
class Check:
    link: str
    ok: bool
    detail: str
    exit: Exit = Exit.NO_CARD
    #: Which fix fits the failure (``doctor.fix.<fix>``); the link's own by default.
    fix: str = ""

    @property
    def fix_key(self) -> str:
        return self.fix or self.link


def current_platform(name: str | None = None) -> str:
    """``debian``, ``macos`` or ``windows``: whose fix to print (Linux takes Debian's)."""
    name = sys.platform if name is None else name
    if name == "darwin":
        return "macos"
    return "windows" if name.startswith(("win", "cygwin")) else "debian"


def walk(reader: str | None, timeout: float | None = None) -> list[Check]:
    """Run the checks in order, stopping at the first that fails."""
    checks: list[Check] = []
    try:
        from apdu import pcsc

        names = pcsc.list_readers()
    except PcscLibraryError as exc:
        return [Check("service", False, t("doctor.service.no_library", detail=str(exc)))]
    except AccessDeniedError:
        return [Check("service", False, t("doctor.service.denied"), fix="denied")]
    except ServiceUnavailableError:
        return [Check("service", False, t("doctor.service.fail"))]
    checks.append(Check("service", True, t("doctor.service.ok")))
    if not names:
        return [*checks, Check("reader", False, t("doctor.reader.fail"))]
    checks.append(Check("reader", True, t("doctor.reader.ok", readers=", ".join(names))))
    states = pcsc.reader_states()
    if reader is not None:
        chosen = pcsc.select_reader(reader, names)
        states = [s for s in states if s.name == chosen]
    with_card = [s for s in states if s.card_present]
    if not with_card:
        return [*checks, Check("card", False, t("doctor.card.fail"))]
    checks.append(
        Check("card", True, t("doctor.card.ok", readers=", ".join(s.name for s in with_card)))
    )
    answering = []
    for state in with_card:
        try:
            if connect.probe_reader(state.name, timeout=timeout).my_number:
                answering.append(state.name)
        except ReaderBusyError:
            busy = Check("jpki", False, t("doctor.busy", reader=state.name), Exit.ERROR, "busy")
            return [*checks, busy]
        except TransportError as exc:
            detail = t("doctor.card_error", detail=str(exc))
            return [*checks, Check("jpki", False, detail, Exit.ERROR, "card-error")]
    if not answering:
        return [*checks, Check("jpki", False, t("doctor.jpki.fail"))]
    if len(answering) > 1 and reader is None:
        # retries would stop here too (AmbiguousCardError): never say all is well.
        several = t("doctor.several", readers=", ".join(answering))
        return [*checks, Check("jpki", False, several, Exit.USAGE, "several")]
    return [*checks, Check("jpki", True, t("doctor.jpki.ok", readers=", ".join(answering)))]


def walk_transport(app: AppContext) -> list[Check]:
    with app.transport() as transport:
        ok = connect.probe(transport).my_number
        checks = [Check("card", True, t("doctor.card.ok", readers=transport.name))]
    key = "doctor.jpki.ok" if ok else "doctor.jpki.fail"
    return [*checks, Check("jpki", ok, t(key, readers=transport.name))]


@click.command("doctor")
@click.option("--report", "report_path", metavar="PATH")
@click.option("--report-with-pin", "report_pin", type=click.Choice(["1", "4"]))
@click.pass_obj
def command(app: AppContext, report_path: str | None, report_pin: str | None) -> None:
    if report_path is not None:
        from . import report as report_command

        report_command.run(app, report_path, report_pin)
        return
    if report_pin is not None:
        raise UsageFailure("usage.report_pin_needs_report")
    if app.options.emulator or app.options.replay:
        checks = walk_transport(app)
    else:
        checks = walk(app.options.reader, app.options.timeout)
    failed = next((c for c in checks if not c.ok), None)
    if app.options.json:
        doc: dict[str, Any] = {
            "checks": [{"link": c.link, "ok": c.ok, "detail": c.detail} for c in checks],
            "ok": failed is None,
        }
        if failed is not None:
            doc["missing"] = failed.link
            doc["fix"] = {p: t(f"doctor.fix.{failed.fix_key}.{p}") for p in PLATFORMS}
            doc["platform"] = current_platform()
        app.emit_json(doc)
    else:
        for c in checks:
            app.echo(f"{'✓' if c.ok else '✗'} {t(f'doctor.link.{c.link}')}: {c.detail}")
        if failed is None:
            app.echo(t("doctor.all_ok"))
        else:
            platform = current_platform()
            app.echo("")
            app.echo(t("doctor.fix_title"))
            fix = t(f"doctor.fix.{failed.fix_key}.{platform}")
            app.echo(f"  {t(f'doctor.platform.{platform}')}: {fix}")
    if failed is not None:
        finish(failed.exit)
